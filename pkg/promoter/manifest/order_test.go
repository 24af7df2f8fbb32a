package manifest

import (
	"bytes"
	"testing"
)

// kpromo writes each block's digests in the order of the digest strings
// (promo-tools' RegInvImage.ToSorted); a new digest goes where that order
// puts it, whatever its tag.
func TestDigestOrder(t *testing.T) {
	src := readTestdata(t, "digest-order.yaml")
	cases := []struct {
		name  string
		p     Promotion
		after int // the line the new digest follows
	}{
		{"between two digests", Promotion{Image: "controller", Digest: hexDigest("5"), Tags: []string{"v0.11.0"}}, 4},
		{"first", Promotion{Image: "controller", Digest: hexDigest("0"), Tags: []string{"v0.11.0"}}, 2},
		{"last", Promotion{Image: "controller", Digest: hexDigest("e"), Tags: []string{"v0.0.1"}}, 7},
		// manager's three digests are in version order too; controller shows
		// the file keeps digest order, so manager follows it.
		{"block in both orders, file in digest order", Promotion{Image: "manager", Digest: hexDigest("3"), Tags: []string{"v0.4.0"}}, 10},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := mustAdd(t, src, c.p)
			want := insertAfter(src, c.after, `    "`+c.p.Digest+`": ["`+c.p.Tags[0]+`"]`)
			if !bytes.Equal(r.Content, want) {
				t.Fatalf("got\n%s\nwant\n%s", r.Content, want)
			}
		})
	}
}

// Where a block fits a tag order and digest order, and nothing else in the
// file tells them apart, tag order wins (see chooseOrder); with two digests
// digest order is no evidence at all.
func TestDigestOrderNeedsEvidence(t *testing.T) {
	x := hexDigest("5")
	cases := []struct {
		name string
		src  []byte
		want []byte
	}{
		{
			name: "three digests in version and digest order: version order",
			src:  []byte("- name: app\n  dmap:\n    \"" + hexDigest("1") + "\": [\"v1.0.0\"]\n    \"" + hexDigest("4") + "\": [\"v1.1.0\"]\n    \"" + hexDigest("8") + "\": [\"v1.2.0\"]\n"),
			want: []byte("- name: app\n  dmap:\n    \"" + hexDigest("1") + "\": [\"v1.0.0\"]\n    \"" + hexDigest("4") + "\": [\"v1.1.0\"]\n    \"" + hexDigest("8") + "\": [\"v1.2.0\"]\n    \"" + x + "\": [\"v1.3.0\"]\n"),
		},
		{
			name: "three digests in digest order only",
			src:  []byte("- name: app\n  dmap:\n    \"" + hexDigest("1") + "\": [\"v1.1.0\"]\n    \"" + hexDigest("4") + "\": [\"v1.0.0\"]\n    \"" + hexDigest("8") + "\": [\"v1.2.0\"]\n"),
			want: []byte("- name: app\n  dmap:\n    \"" + hexDigest("1") + "\": [\"v1.1.0\"]\n    \"" + hexDigest("4") + "\": [\"v1.0.0\"]\n    \"" + x + "\": [\"v1.3.0\"]\n    \"" + hexDigest("8") + "\": [\"v1.2.0\"]\n"),
		},
		{
			name: "two digests, newest version first: version order",
			src:  []byte("- name: app\n  dmap:\n    \"" + hexDigest("1") + "\": [\"v1.1.0\"]\n    \"" + hexDigest("8") + "\": [\"v1.0.0\"]\n"),
			want: []byte("- name: app\n  dmap:\n    \"" + x + "\": [\"v1.3.0\"]\n    \"" + hexDigest("1") + "\": [\"v1.1.0\"]\n    \"" + hexDigest("8") + "\": [\"v1.0.0\"]\n"),
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := mustAdd(t, c.src, Promotion{Image: "app", Digest: x, Tags: []string{"v1.3.0"}})
			if !bytes.Equal(r.Content, c.want) {
				t.Fatalf("got\n%s\nwant\n%s", r.Content, c.want)
			}
		})
	}
}

// kpromo also sorts each digest's tags; a tag added to a sorted list goes
// where string order puts it, in the list's own style.
func TestSortedTagLists(t *testing.T) {
	kpromo := readTestdata(t, "digest-order.yaml") // lists of two tags are sorted
	cases := []struct {
		name      string
		src       []byte
		p         Promotion
		line      int
		old, want string
	}{
		{"sorted list", kpromo, Promotion{Image: "controller", Digest: hexDigest("7"), Tags: []string{"v0"}}, 5,
			`["v0.4", "v0.4.0"]`, `["v0", "v0.4", "v0.4.0"]`},
		{"list of one in a file of sorted lists", kpromo, Promotion{Image: "controller", Digest: hexDigest("1"), Tags: []string{"v0.3"}}, 3,
			`["v0.3.0"]`, `["v0.3", "v0.3.0"]`},
		{"two tags at once", kpromo, Promotion{Image: "manager", Digest: hexDigest("5"), Tags: []string{"v0", "v0.2.1-rc"}}, 11,
			`["v0.2", "v0.2.0"]`, `["v0", "v0.2", "v0.2.0", "v0.2.1-rc"]`},
		{"sorting puts it last anyway", kpromo, Promotion{Image: "controller", Digest: hexDigest("4"), Tags: []string{"v0.1.1"}}, 4,
			`["v0.1.0"]`, `["v0.1.0", "v0.1.1"]`},
		{"unsorted list: appended", yamlOf("- name: app", "  dmap:", `    "D1": ["v0.1.0", "v0.1"]`), Promotion{Image: "app", Digest: d1, Tags: []string{"v0"}}, 3,
			`["v0.1.0", "v0.1"]`, `["v0.1.0", "v0.1", "v0"]`},
		{"list of one, file shows no sorted list: appended", yamlOf("- name: app", "  dmap:", `    "D1": ["v0.1.0"]`), Promotion{Image: "app", Digest: d1, Tags: []string{"v0"}}, 3,
			`["v0.1.0"]`, `["v0.1.0", "v0"]`},
		{"padded, unquoted, no space", yamlOf("- name: app", "  dmap:", `    "D1": [ v0.1,v0.1.0 ]`), Promotion{Image: "app", Digest: d1, Tags: []string{"v0"}}, 3,
			`[ v0.1,v0.1.0 ]`, `[ v0,v0.1,v0.1.0 ]`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := mustAdd(t, c.src, c.p)
			want := bytes.Replace(c.src, []byte(c.p.Digest+`": `+c.old), []byte(c.p.Digest+`": `+c.want), 1)
			if bytes.Equal(want, c.src) {
				t.Fatalf("test case: %s not in the file", c.old)
			}
			if !bytes.Equal(r.Content, want) {
				t.Fatalf("got\n%s\nwant\n%s", r.Content, want)
			}
			if got := r.Changes[0]; got.Kind != NewTags || got.Line != c.line {
				t.Errorf("got %+v", got)
			}
		})
	}
	// A block list (kpromo's SplitTagsOverMultipleLines) keeps its order too.
	src := yamlOf("- name: app", "  dmap:", "    D1:", "    - v0.1", "    - v0.1.0", "    D2:", "    - v0.2")
	r := mustAdd(t, src, Promotion{Image: "app", Digest: d1, Tags: []string{"v0.1.0-rc.1"}})
	if want := yamlOf("- name: app", "  dmap:", "    D1:", "    - v0.1", "    - v0.1.0", "    - v0.1.0-rc.1", "    D2:", "    - v0.2"); !bytes.Equal(r.Content, want) {
		t.Fatalf("got\n%s\nwant\n%s", r.Content, want)
	}
	r = mustAdd(t, src, Promotion{Image: "app", Digest: d1, Tags: []string{"v0"}})
	if want := yamlOf("- name: app", "  dmap:", "    D1:", "    - v0", "    - v0.1", "    - v0.1.0", "    D2:", "    - v0.2"); !bytes.Equal(r.Content, want) {
		t.Fatalf("got\n%s\nwant\n%s", r.Content, want)
	}
	// A new digest's tags follow the file's sorted lists.
	r = mustAdd(t, kpromo, Promotion{Image: "manager", Digest: hexDigest("9"), Tags: []string{"v0.4.0", "v0.4"}})
	if !bytes.Contains(r.Content, []byte(`    "`+hexDigest("9")+`": ["v0.4", "v0.4.0"]`+"\n")) {
		t.Fatalf("new entry's tags not sorted:\n%s", r.Content)
	}
}
