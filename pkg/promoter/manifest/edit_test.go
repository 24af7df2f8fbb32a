package manifest

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

var (
	d1 = newDigest("d1")
	d2 = newDigest("d2")
	d3 = newDigest("d3")
)

// yamlOf builds a file from lines, with "\n" endings; D1..D3 stand for digests.
func yamlOf(lines ...string) []byte {
	s := strings.Join(lines, "\n") + "\n"
	return []byte(strings.NewReplacer("D1", d1, "D2", d2, "D3", d3).Replace(s))
}

func mustParse(t *testing.T, src []byte) *Manifest {
	t.Helper()
	m, err := Parse(src)
	if err != nil {
		t.Fatalf("Parse: %v\n%s", err, src)
	}
	return m
}

func mustAdd(t *testing.T, src []byte, ps ...Promotion) *Result {
	t.Helper()
	r, err := mustParse(t, src).Add(ps...)
	if err != nil {
		t.Fatalf("Add: %v", err)
	}
	return r
}

func TestAddRefusals(t *testing.T) {
	base := yamlOf(
		"- name: app",
		"  dmap:",
		`    "D1": ["v1.0.0"]`,
	)
	cases := []struct {
		name string
		p    Promotion
		is   error
		says string
	}{
		{"tag move", Promotion{Image: "app", Digest: d2, Tags: []string{"v1.0.0"}}, ErrTagMove, `tag "v1.0.0" of image "app" already points at ` + d1 + " (line 3)"},
		{"latest", Promotion{Image: "app", Digest: d2, Tags: []string{"latest"}}, ErrInvalidTag, `refuses to promote "latest"`},
		{"uppercase digest", Promotion{Image: "app", Digest: strings.ToUpper(d2), Tags: []string{"v2"}}, ErrInvalidDigest, "64 lowercase hex"},
		{"short digest", Promotion{Image: "app", Digest: d2[:70], Tags: []string{"v2"}}, ErrInvalidDigest, "invalid digest"},
		{"sha512 digest", Promotion{Image: "app", Digest: "sha512:" + d2[7:], Tags: []string{"v2"}}, ErrInvalidDigest, "want sha256:"},
		{"tag starting with a dot", Promotion{Image: "app", Digest: d2, Tags: []string{".v2"}}, ErrInvalidTag, `".v2"`},
		{"tag with a slash", Promotion{Image: "app", Digest: d2, Tags: []string{"v2/x"}}, ErrInvalidTag, "invalid tag"},
		{"tag with YAML syntax", Promotion{Image: "app", Digest: d2, Tags: []string{`v2"], "x`}}, ErrInvalidTag, "invalid tag"},
		{"tag with a newline", Promotion{Image: "app", Digest: d2, Tags: []string{"v2\n- name: evil"}}, ErrInvalidTag, "invalid tag"},
		{"tag too long", Promotion{Image: "app", Digest: d2, Tags: []string{"v" + strings.Repeat("1", 128)}}, ErrInvalidTag, "up to 127"},
		{"no tag", Promotion{Image: "app", Digest: d2, Tags: nil}, ErrInvalidTag, "no tag given"},
		{"bad image name", Promotion{Image: "App/../x", Digest: d2, Tags: []string{"v2"}}, ErrInvalidImage, "lowercase path components"},
		{"image name with newline", Promotion{Image: "app\n  dmap: {}", Digest: d2, Tags: []string{"v2"}}, ErrInvalidImage, "invalid image name"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := mustParse(t, base).Add(c.p)
			if !errors.Is(err, c.is) || !strings.Contains(err.Error(), c.says) {
				t.Fatalf("got %v, want %v saying %q", err, c.is, c.says)
			}
			if r != nil {
				t.Error("a refused edit returned a result")
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		name string
		src  []byte
		says string
	}{
		{"duplicate digest", yamlOf("- name: app", "  dmap:", `    "D1": ["v1"]`, `    "D2": ["v2"]`, `    "D1": ["v3"]`),
			`line 5: image "app" lists digest ` + d1 + " twice (first at line 3)"},
		{"unknown key", yamlOf("- name: app", "  dmap:", `    "D1": ["v1"]`, "  owner: me"),
			`line 4: unknown key "owner" in an image`},
		{"tab indentation", []byte("- name: app\n\tdmap:\n"), "line 2: indented with a tab"},
		{"lone carriage return", []byte("- name: app\n  dmap:\r    \"x\": []\n"), "line 2: carriage return without a line feed"},
		{"Unicode line separator", []byte("- name: app\n  dmap: # a\u2028b\n"), "line 2: Unicode line separator U+2028"},
		{"bad YAML", yamlOf("- name: app", "  dmap:", `    "D1": ["v1"`), "line 2: not valid YAML: did not find expected ',' or ']' (the fault is on this line or one of the next)"},
		{"not a list", yamlOf("name: app", "dmap: {}"), "must be a list of images"},
		{"second document", yamlOf("- name: app", "  dmap: {}", "---", "- name: b"), "line 3: a second YAML document"},
		{"tags not a list", yamlOf("- name: app", "  dmap:", `    "D1": "v1"`), "tags must be a list"},
		{"name twice", yamlOf("- name: app", "  name: b", "  dmap: {}"), "second `name` key"},
		{"no name", yamlOf("- dmap:", `    "D1": ["v1"]`), "image without a `name`"},
		{"alias", yamlOf("- name: app", "  dmap: &d", `    "D1": ["v1"]`, "- name: b", "  dmap: *d"), "anchors and aliases"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse(c.src)
			var perr *Error
			if !errors.As(err, &perr) || !strings.Contains(err.Error(), c.says) {
				t.Fatalf("got %v, want an *Error saying %q", err, c.says)
			}
		})
	}
}

// Quirks the promoter tolerates in old entries are warnings and never block
// promoting something else.
func TestQuirksAreWarnings(t *testing.T) {
	src := yamlOf(
		"- name: app",
		"  dmap:",
		`    "D1": ["v1.0.0"]`,
		`    "sha256:abc": ["old"]`,
		"- name: app",
		"  dmap:",
		`    "D2": ["v1.1.0"]`,
		"- name: other",
		"  dmap:",
		`    "D3": ["latest"]`,
	)
	m := mustParse(t, src)
	want := []string{
		`line 4: image "app": digest "sha256:abc" is not of the form sha256:<64 hex digits>`,
		`line 5: image "app" is listed again (first at line 1); both blocks are kept as they are`,
		`line 10: image "other": tag "latest" would not be accepted for a new promotion`,
	}
	var got []string
	for _, w := range m.Warnings {
		got = append(got, w.String())
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("warnings\n got %q\nwant %q", got, want)
	}
	// A different image is promoted despite the quirks.
	r := mustAdd(t, src, Promotion{Image: "other", Digest: d1, Tags: []string{"v2.0.0"}})
	if !bytes.Contains(r.Content, []byte(`    "`+d1+`": ["v2.0.0"]`)) || len(r.Manifest.Warnings) != 3 {
		t.Fatalf("promotion next to quirks failed:\n%s", r.Content)
	}
	// In the duplicated image, a tag of the second block still counts.
	if _, err := m.Add(Promotion{Image: "app", Digest: d3, Tags: []string{"v1.1.0"}}); !errors.Is(err, ErrTagMove) {
		t.Fatalf("tag move across duplicate blocks: got %v", err)
	}
	// A new digest of the duplicated image goes into its first block.
	r = mustAdd(t, src, Promotion{Image: "app", Digest: d3, Tags: []string{"v1.2.0"}})
	if !hasEntry(r.Manifest.Images[:1], "app", Entry{Digest: d3}) {
		t.Fatalf("new digest of a duplicated image not in its first block:\n%s", r.Content)
	}
}

func TestAlreadyPromoted(t *testing.T) {
	src := yamlOf("- name: app", "  dmap:", `    "D1": ["v1.0.0", "v1.0"]`)
	r := mustAdd(t, src, Promotion{Image: "app", Digest: d1, Tags: []string{"v1.0"}})
	if r.Changed() || !bytes.Equal(r.Content, src) || r.Changes[0].Kind != AlreadyPromoted {
		t.Fatalf("want already promoted and no change, got %+v", r.Changes)
	}
	if got := r.Summary(); got != "- `app`: `"+d1+"` already promoted as `v1.0` (line 3); no change\n" {
		t.Errorf("summary: %q", got)
	}
	// Asking for one more tag adds only that one.
	r = mustAdd(t, src, Promotion{Image: "app", Digest: d1, Tags: []string{"v1.0.0", "v1"}})
	if c := r.Changes[0]; c.Kind != NewTags || strings.Join(c.Added, ",") != "v1" {
		t.Fatalf("got %+v", c)
	}
	if !bytes.Contains(r.Content, []byte(`["v1.0.0", "v1.0", "v1"]`)) {
		t.Fatalf("tag not appended:\n%s", r.Content)
	}
}

func TestEditKeepsFileConventions(t *testing.T) {
	cases := []struct {
		name string
		src  []byte
		p    []Promotion
		want []byte
	}{
		{
			name: "empty file",
			src:  []byte(""),
			p:    []Promotion{{Image: "app", Digest: d1, Tags: []string{"v1.0.0"}}},
			want: yamlOf("- name: app", "  dmap:", `    "D1": ["v1.0.0"]`),
		},
		{
			name: "comments only",
			src:  yamlOf("# images of app"),
			p:    []Promotion{{Image: "app", Digest: d1, Tags: []string{"v1.0.0"}}},
			want: yamlOf("# images of app", "- name: app", "  dmap:", `    "D1": ["v1.0.0"]`),
		},
		{
			name: "CRLF line endings",
			src:  []byte("- name: app\r\n  dmap:\r\n    \"" + d1 + "\": [\"v1.0.0\"]\r\n"),
			p:    []Promotion{{Image: "app", Digest: d2, Tags: []string{"v1.1.0"}}, {Image: "new", Digest: d3, Tags: []string{"v1"}}},
			want: []byte("- name: app\r\n  dmap:\r\n    \"" + d1 + "\": [\"v1.0.0\"]\r\n    \"" + d2 + "\": [\"v1.1.0\"]\r\n- name: new\r\n  dmap:\r\n    \"" + d3 + "\": [\"v1\"]\r\n"),
		},
		{
			name: "no newline at end of file",
			src:  []byte("- name: app\n  dmap:\n    \"" + d1 + "\": [\"v1.0.0\"]"),
			p:    []Promotion{{Image: "app", Digest: d2, Tags: []string{"v1.1.0"}}},
			want: []byte("- name: app\n  dmap:\n    \"" + d1 + "\": [\"v1.0.0\"]\n    \"" + d2 + "\": [\"v1.1.0\"]"),
		},
		{
			name: "comments and blank lines kept; a comment stays with its entry",
			src: yamlOf(
				"# Promoted by hand.",
				"",
				"- name: app   # the main image",
				"  dmap:",
				`    "D1": ["v1.0.0"]`,
				"    # rebuilt after CVE-2026-1234",
				`    "D3": ["v1.2.0"]  # do not remove`,
				"",
			),
			p: []Promotion{{Image: "app", Digest: d2, Tags: []string{"v1.1.0"}}},
			want: yamlOf(
				"# Promoted by hand.",
				"",
				"- name: app   # the main image",
				"  dmap:",
				`    "D1": ["v1.0.0"]`,
				`    "D2": ["v1.1.0"]`,
				"    # rebuilt after CVE-2026-1234",
				`    "D3": ["v1.2.0"]  # do not remove`,
				"",
			),
		},
		{
			name: "list styles: no space, single quotes, plain",
			src:  yamlOf("- name: app", "  dmap:", `    "D1": ['v1.0.0','v1.0']`, `    "D2": ['v1.1.0']`, `    "D3": [v1.2.0]`),
			p:    []Promotion{{Image: "app", Digest: d3, Tags: []string{"v1.2"}}, {Image: "app", Digest: newDigest("x"), Tags: []string{"v1.3.0"}}},
			want: append(yamlOf("- name: app", "  dmap:", `    "D1": ['v1.0.0','v1.0']`, `    "D2": ['v1.1.0']`, `    "D3": [v1.2.0,v1.2]`),
				[]byte(`    "`+newDigest("x")+`": ['v1.3.0']`+"\n")...),
		},
		{
			name: "block-style tag list",
			src:  yamlOf("- name: app", "  dmap:", `    "D1":`, "    - v1.0.0", "- name: b", "  dmap: {}"),
			p:    []Promotion{{Image: "app", Digest: d1, Tags: []string{"v1.0"}}},
			want: yamlOf("- name: app", "  dmap:", `    "D1":`, "    - v1.0.0", "    - v1.0", "- name: b", "  dmap: {}"),
		},
		{
			name: "multi-line flow list: new digest goes after its closing bracket",
			src:  yamlOf("- name: app", "  dmap:", `    "D1": ["v1.0.0",`, `      "v1.0"]`, "- name: b", "  dmap: {}"),
			p:    []Promotion{{Image: "app", Digest: d2, Tags: []string{"v1.1.0"}}},
			want: yamlOf("- name: app", "  dmap:", `    "D1": ["v1.0.0",`, `      "v1.0"]`, `    "D2": ["v1.1.0"]`, "- name: b", "  dmap: {}"),
		},
		{
			name: "empty dmap and empty tag list",
			src:  yamlOf("- name: app", "  dmap:", "- name: b", "  dmap:", `    "D1": []`),
			p:    []Promotion{{Image: "app", Digest: d2, Tags: []string{"v1"}}, {Image: "b", Digest: d1, Tags: []string{"v2"}}},
			want: yamlOf("- name: app", "  dmap:", `    "D2": ["v1"]`, "- name: b", "  dmap:", `    "D1": ["v2"]`),
		},
		{
			name: "unsorted digests, by tag and by digest: appended",
			src:  yamlOf("- name: app", "  dmap:", `    "D3": ["v1.2.0"]`, `    "D1": ["v1.0.0"]`, `    "D2": ["v1.1.0"]`),
			p:    []Promotion{{Image: "app", Digest: newDigest("x"), Tags: []string{"v1.0.5"}}},
			want: append(yamlOf("- name: app", "  dmap:", `    "D3": ["v1.2.0"]`, `    "D1": ["v1.0.0"]`, `    "D2": ["v1.1.0"]`),
				[]byte(`    "`+newDigest("x")+`": ["v1.0.5"]`+"\n")...),
		},
		{
			name: "indented list, names that YAML would not read as strings",
			src:  yamlOf("  - name: 'app'", "    dmap:", `        "D1": ["v1"]`),
			p:    []Promotion{{Image: "zz", Digest: d2, Tags: []string{"1.0"}}},
			want: yamlOf("  - name: 'app'", "    dmap:", `        "D1": ["v1"]`, "  - name: 'zz'", "    dmap:", `        "D2": ["1.0"]`),
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := mustAdd(t, c.src, c.p...)
			if !bytes.Equal(r.Content, c.want) {
				t.Fatalf("got\n%s\nwant\n%s", r.Content, c.want)
			}
		})
	}
}

func TestNotEditableInPlace(t *testing.T) {
	cases := []struct {
		name string
		src  []byte
		p    Promotion
	}{
		{"flow dmap", yamlOf("- name: app", `  dmap: {"D1": ["v1"]}`), Promotion{Image: "app", Digest: d2, Tags: []string{"v2"}}},
		{"multi-line tag list", yamlOf("- name: app", "  dmap:", `    "D1": ["v1",`, `      "v1.0"]`), Promotion{Image: "app", Digest: d1, Tags: []string{"v1.0.0"}}},
		{"digest without a list", yamlOf("- name: app", "  dmap:", `    "D1":`), Promotion{Image: "app", Digest: d1, Tags: []string{"v1"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := mustParse(t, c.src).Add(c.p)
			if !errors.Is(err, ErrNotEditable) || !strings.Contains(err.Error(), "by hand") {
				t.Fatalf("got %v, want ErrNotEditable", err)
			}
		})
	}
}

func TestAddSeveral(t *testing.T) {
	src := yamlOf("- name: a", "  dmap:", `    "D1": ["v1.0.0"]`, "- name: c", "  dmap:", `    "D1": ["v1.0.0"]`)
	r := mustAdd(t, src,
		Promotion{Image: "a", Digest: d2, Tags: []string{"v1.1.0"}},
		Promotion{Image: "b", Digest: d2, Tags: []string{"v1.1.0"}},
		Promotion{Image: "c", Digest: d1, Tags: []string{"v1.0.0"}},
	)
	want := "- new image `b`: `" + d2 + "` as `v1.1.0` (line 7)\n" // image names sorted: b between a and c
	if !strings.Contains(r.Summary(), want) || len(r.Changes) != 3 || r.Changes[2].Kind != AlreadyPromoted {
		t.Fatalf("summary:\n%s", r.Summary())
	}
	// A conflicting pair in one call is refused whole.
	if _, err := mustParse(t, src).Add(Promotion{Image: "a", Digest: d2, Tags: []string{"v2"}}, Promotion{Image: "a", Digest: d3, Tags: []string{"v2"}}); !errors.Is(err, ErrTagMove) {
		t.Fatalf("got %v", err)
	}
}

func TestScanAndYAMLLibraryAgreeOnRealFiles(t *testing.T) {
	for _, dir := range []string{"k8s-staging-apisnoop", "k8s-staging-kueue", "k8s-staging-sig-storage", "k8s-staging-experimental"} {
		src := readReal(t, dir)
		fast, ok := scan(splitLines(src))
		slow, err := decode(src, splitLines(src))
		if !ok || err != nil {
			t.Fatalf("%s: scan ok=%v, decode err=%v", dir, ok, err)
		}
		if diff := compareImages(fast, slow); diff != "" {
			t.Errorf("%s: %s", dir, diff)
		}
	}
}
