package manifest

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// hexDigest is a readable digest for hand-made files: "a1" -> sha256:a1a1...
func hexDigest(pattern string) string {
	return "sha256:" + strings.Repeat(pattern, 64)[:64]
}

// insertAfter returns src with lines inserted after its first n lines.
func insertAfter(src []byte, n int, lines ...string) []byte {
	t := splitLines(src)
	var b bytes.Buffer
	b.Write(src[:t.start[n]])
	for _, l := range lines {
		b.WriteString(l + "\n")
	}
	b.Write(src[t.start[n]:])
	return b.Bytes()
}

func block(name, digest, tags string) []string {
	return []string{"- name: " + name, "  dmap:", `    "` + digest + `": ` + tags}
}

func lines(parts ...[]string) []string {
	var out []string
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func TestReleaseGroupedNewRelease(t *testing.T) {
	src := readTestdata(t, "release-grouped.yaml") // kops' layout: newest group last, two blank lines before it
	m := mustParse(t, src)
	if len(m.Warnings) != 0 {
		t.Errorf("images repeated once per release are the layout, not a quirk: %v", m.Warnings)
	}
	// The images of a release, given in no particular order, under the git tag.
	r, err := m.Add(
		Promotion{Image: "utils", Digest: hexDigest("d3"), Tags: []string{"1.2.0"}, Release: "v1.2.0"},
		Promotion{Image: "controller", Digest: hexDigest("d1"), Tags: []string{"1.2.0"}, Release: "v1.2.0"},
		Promotion{Image: "dns", Digest: hexDigest("d2"), Tags: []string{"1.2.0"}, Release: "v1.2.0"},
	)
	if err != nil {
		t.Fatal(err)
	}
	want := insertAfter(src, 28, lines(
		[]string{"", "", "# 1.2.0"},
		block("controller", hexDigest("d1"), `["1.2.0"]`),
		block("dns", hexDigest("d2"), `["1.2.0"]`),
		block("utils", hexDigest("d3"), `["1.2.0"]`),
	)...)
	if !bytes.Equal(r.Content, want) {
		t.Fatalf("got\n%s\nwant\n%s", r.Content, want)
	}
	if got := r.Summary(); !strings.Contains(got, "`controller`: new digest `"+hexDigest("d1")+"` as `1.2.0` (line 34)") {
		t.Errorf("summary:\n%s", got)
	}
	// The same release again, from the file it made: already promoted.
	again, err := r.Manifest.Add(
		Promotion{Image: "dns", Digest: hexDigest("d2"), Tags: []string{"1.2.0"}, Release: "v1.2.0"},
	)
	if err != nil || again.Changed() || !bytes.Equal(again.Content, r.Content) {
		t.Fatalf("re-promotion of a release in the file: changed=%v err=%v", again != nil && again.Changed(), err)
	}
}

// A release whose group is already in the file gets its next image where
// the group's order puts it, and a second digest of an image in that
// image's block there; an older release's group is never touched.
func TestReleaseGroupedExistingGroup(t *testing.T) {
	src := readTestdata(t, "release-grouped.yaml")
	r := mustAdd(t, src,
		Promotion{Image: "api", Digest: hexDigest("e1"), Tags: []string{"1.0.1"}},
		Promotion{Image: "dns", Digest: hexDigest("e2"), Tags: []string{"1.0.1-arm"}, Release: "1.0.1"},
	)
	want := insertAfter(insertAfter(src, 16, `    "`+hexDigest("e2")+`": ["1.0.1-arm"]`), 10, block("api", hexDigest("e1"), `["1.0.1"]`)...)
	if !bytes.Equal(r.Content, want) {
		t.Fatalf("got\n%s\nwant\n%s", r.Content, want)
	}
	if k := r.Changes[0].Kind; k != NewImage {
		t.Errorf("api is new to the file: got %v", k)
	}
}

func TestReleaseGroupedHeaderForm(t *testing.T) {
	// etcdadm's layout: tags have a "v", the newest header does not, one
	// blank line between groups, no blank line at the end.
	src := readTestdata(t, "release-grouped-v.yaml")
	r := mustAdd(t, src,
		Promotion{Image: "manager", Digest: hexDigest("4b"), Tags: []string{"v3.0.4"}},
		Promotion{Image: "backup", Digest: hexDigest("4a"), Tags: []string{"v3.0.4"}},
	)
	want := append(bytes.Clone(src), []byte(strings.Join(lines(
		[]string{"", "# 3.0.4"},
		block("backup", hexDigest("4a"), `["v3.0.4"]`),
		block("manager", hexDigest("4b"), `["v3.0.4"]`),
	), "\n")+"\n")...)
	if !bytes.Equal(r.Content, want) {
		t.Fatalf("got\n%s\nwant\n%s", r.Content, want)
	}
	// The duplicate block inside one group is still a quirk.
	m := mustParse(t, src)
	if len(m.Warnings) != 1 || !strings.Contains(m.Warnings[0].String(), `line 16: image "manager" is listed again`) {
		t.Errorf("warnings: %v", m.Warnings)
	}
}

// A digest that a new release carries unchanged is written again, with the
// new tag, in the new release's group, as etcdadm's file does.
func TestReleaseGroupedUnchangedDigest(t *testing.T) {
	src := readTestdata(t, "release-grouped-v.yaml")
	r := mustAdd(t, src, Promotion{Image: "backup", Digest: hexDigest("2a"), Tags: []string{"v3.0.4"}})
	want := append(bytes.Clone(src), []byte(strings.Join(lines(
		[]string{"", "# 3.0.4"},
		block("backup", hexDigest("2a"), `["v3.0.4"]`),
	), "\n")+"\n")...)
	if !bytes.Equal(r.Content, want) {
		t.Fatalf("got\n%s\nwant\n%s", r.Content, want)
	}
	if c := r.Changes[0]; c.Kind != NewTags || c.Line != 31 {
		t.Errorf("got %+v, want new tags at line 31", c)
	}
}

func TestReleaseGroupedNewestFirst(t *testing.T) {
	src := readTestdata(t, "release-grouped-newest-first.yaml")
	r := mustAdd(t, src,
		Promotion{Image: "cli", Digest: hexDigest("4d"), Tags: []string{"v0.4.0"}},
		Promotion{Image: "agent", Digest: hexDigest("4f"), Tags: []string{"v0.4.0"}},
		Promotion{Image: "server", Digest: hexDigest("4e"), Tags: []string{"v0.4.0"}},
	)
	// First, above the newest group and below the file's own comment, blocks
	// in the newest group's order (server before agent), a new image last.
	// (With two groups in descending order, the new one would go last.)
	want := insertAfter(src, 2, lines(
		[]string{"# v0.4.0"},
		block("server", hexDigest("4e"), `["v0.4.0"]`),
		block("agent", hexDigest("4f"), `["v0.4.0"]`),
		block("cli", hexDigest("4d"), `["v0.4.0"]`),
		[]string{""},
	)...)
	if !bytes.Equal(r.Content, want) {
		t.Fatalf("got\n%s\nwant\n%s", r.Content, want)
	}
	// Two groups, the second older (a patch of an older line, as kops adds
	// them): the new group still goes last.
	two := yamlOf("# v0.2.0", "- name: app", "  dmap:", `    "D1": ["v0.2.0"]`, "# v0.1.5", "- name: app", "  dmap:", `    "D2": ["v0.1.5"]`)
	r = mustAdd(t, two, Promotion{Image: "app", Digest: d3, Tags: []string{"v0.3.0"}})
	if want := append(bytes.Clone(two), yamlOf("# v0.3.0", "- name: app", "  dmap:", `    "D3": ["v0.3.0"]`)...); !bytes.Equal(r.Content, want) {
		t.Fatalf("got\n%s\nwant\n%s", r.Content, want)
	}
}

// Promoting again what a file with the same digest in two blocks of one
// image already carries, in either block, changes nothing; a tag of either
// block on another digest is a tag move.
func TestDuplicateBlocks(t *testing.T) {
	src := readTestdata(t, "release-grouped-v.yaml")
	m := mustParse(t, src)
	for _, c := range []struct {
		p    Promotion
		line int
	}{
		{Promotion{Image: "backup", Digest: hexDigest("2a"), Tags: []string{"v3.0.3"}}, 23},
		{Promotion{Image: "backup", Digest: hexDigest("2a"), Tags: []string{"v3.0.2"}}, 12},
		{Promotion{Image: "backup", Digest: hexDigest("2a"), Tags: []string{"v3.0.2", "v3.0.3"}}, 12},
		{Promotion{Image: "backup", Digest: hexDigest("2a"), Tags: []string{"v3.0.3"}, Release: "v3.0.2"}, 23},
	} {
		r, err := m.Add(c.p)
		if err != nil {
			t.Fatalf("%s: %v", c.p, err)
		}
		if r.Changed() || !bytes.Equal(r.Content, src) {
			t.Fatalf("%s: want already promoted, got %+v\n%s", c.p, r.Changes, r.Content)
		}
		if got := r.Changes[0]; got.Kind != AlreadyPromoted || got.Line != c.line {
			t.Errorf("%s: got %+v, want already promoted at line %d", c.p, got, c.line)
		}
	}
	for _, tag := range []string{"v3.0.2", "v3.0.3", "v3.0.2-slim"} {
		img := "backup"
		if tag == "v3.0.2-slim" {
			img = "manager"
		}
		_, err := m.Add(Promotion{Image: img, Digest: hexDigest("99"), Tags: []string{tag}})
		if !errors.Is(err, ErrTagMove) {
			t.Errorf("tag %s onto a new digest: got %v, want a tag move", tag, err)
		}
	}
	// The same in a file of per-image blocks listed twice.
	plain := yamlOf("- name: app", "  dmap:", `    "D1": ["v1"]`, "- name: app", "  dmap:", `    "D1": ["v1.0"]`, `    "D2": ["v2"]`)
	r := mustAdd(t, plain, Promotion{Image: "app", Digest: d1, Tags: []string{"v1.0"}})
	if r.Changed() {
		t.Fatalf("a tag of the second block added to the first:\n%s", r.Content)
	}
	if _, err := mustParse(t, plain).Add(Promotion{Image: "app", Digest: d3, Tags: []string{"v1.0"}}); !errors.Is(err, ErrTagMove) {
		t.Fatalf("tag move across duplicate blocks: got %v", err)
	}
}

func TestReleaseRefusals(t *testing.T) {
	src := readTestdata(t, "release-grouped.yaml")
	m := mustParse(t, src)
	cases := []struct {
		name string
		p    Promotion
		is   error
		says string
	}{
		{"release naming none of the tags", Promotion{Image: "dns", Digest: hexDigest("f1"), Tags: []string{"1.3.0"}, Release: "v1.4.0"},
			ErrNotEditable, `release "v1.4.0" is none of the tags promoted (1.3.0)`},
		{"release with a line break", Promotion{Image: "dns", Digest: hexDigest("f1"), Tags: []string{"1.3.0"}, Release: "1.3.0\n- name: x"},
			ErrInvalidRelease, "invalid release"},
		{"release with a space", Promotion{Image: "dns", Digest: hexDigest("f1"), Tags: []string{"1.3.0"}, Release: "1.3.0 final"},
			ErrInvalidRelease, "invalid release"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := m.Add(c.p)
			if !errors.Is(err, c.is) || !strings.Contains(err.Error(), c.says) || r != nil {
				t.Fatalf("got %v (result %v), want %v saying %q", err, r != nil, c.is, c.says)
			}
		})
	}
	// A release with a slash (a git tag such as "controller/v1.3.0") is fine
	// where it names no group.
	if _, err := mustParse(t, yamlOf("- name: app", "  dmap:")).Add(Promotion{Image: "app", Digest: d1, Tags: []string{"v1.3.0"}, Release: "controller/v1.3.0"}); err != nil {
		t.Fatal(err)
	}
}

// Comments above per-image blocks do not make a release-grouped file: no
// image repeats. A new digest goes into the image's block as ever.
func TestPerImageCommentsAreNotGroups(t *testing.T) {
	src := readTestdata(t, "per-image-comments.yaml")
	m := mustParse(t, src)
	if m.groups != nil {
		t.Fatal("per-image blocks with comments taken for release groups")
	}
	r := mustAdd(t, src, Promotion{Image: "controller", Digest: hexDigest("c2"), Tags: []string{"v1.2.0"}})
	if want := insertAfter(src, 6, `    "`+hexDigest("c2")+`": ["v1.2.0"]`); !bytes.Equal(r.Content, want) {
		t.Fatalf("got\n%s\nwant\n%s", r.Content, want)
	}
	// Repeated names under comments that name no release of theirs are not
	// groups either: the block listed again is a quirk.
	src = yamlOf("# first", "- name: app", "  dmap:", `    "D1": ["v1"]`, "# second", "- name: app", "  dmap:", `    "D2": ["v2"]`)
	if m := mustParse(t, src); m.groups != nil || len(m.Warnings) != 1 {
		t.Fatalf("groups %v, warnings %v", m.groups, m.Warnings)
	}
}
