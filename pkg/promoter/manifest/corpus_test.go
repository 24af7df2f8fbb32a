package manifest

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	yaml "go.yaml.in/yaml/v3"
)

// Sampling, to keep TestCorpus to a few seconds: files above
// corpusSampleAbove bytes (only the two k8s-staging-kubernetes files, 1.2 MB
// and 0.9 MB, 47 and 42 images) have corpusSample of their images edited,
// not all, and the YAML-library decode of the result done for 2 of them (a
// decode costs 50-80 ms there); the 7 other files above corpusDecodeAbove
// (build-image, dns, kops, cluster-api, autoscaling: 43 KB to 210 KB) have
// the decode done for corpusSample of their images.
const (
	corpusSampleAbove = 500_000
	corpusDecodeAbove = 40_000
	corpusSample      = 6
)

// corpusStats is what TestCorpus checked.
type corpusStats struct {
	sync.Mutex
	files, images, sampledFiles, repromoted, edits, decoded, moves int
	byKind                                                         map[string]int
}

func (s *corpusStats) add(f corpusFileStats) {
	s.Lock()
	defer s.Unlock()
	s.files++
	s.images += f.images
	s.repromoted += f.repromoted
	s.edits += f.edits
	s.decoded += f.decoded
	s.moves += f.moves
	if f.sampled {
		s.sampledFiles++
	}
	for k, n := range f.kinds {
		s.byKind[k] += n
	}
}

type corpusFileStats struct {
	images, repromoted, edits, decoded, moves int
	sampled                                   bool
	kinds                                     map[string]int
}

// TestCorpus holds the editor to every images.yaml of the k8s.io corpus
// (registry.k8s.io and the legacy k8s.gcr.io copies): each parses; promoting
// again every existing entry changes no byte; and for every image (a sample
// of corpusSample images in files above corpusSampleAbove bytes) a new
// digest, a new tag on an existing digest and a new image each insert only
// their own lines (one changed line for a tag) and, decoded with the YAML
// library alone, give exactly the old content plus the new entry; a tag
// moved to another digest is refused.
func TestCorpus(t *testing.T) {
	files := corpusFiles(t)
	st := &corpusStats{byKind: map[string]int{}}
	t.Run("files", func(t *testing.T) {
		for _, f := range files {
			t.Run(f.name, func(t *testing.T) {
				t.Parallel()
				checkCorpusFile(t, f, st)
			})
		}
	})
	t.Logf("%d files, %d images edited (%d files sampled, %d images each), %d entries promoted again unchanged, %d edits checked (%v), %d of them decoded with the YAML library, %d tag moves refused",
		st.files, st.images, st.sampledFiles, corpusSample, st.repromoted, st.edits, st.byKind, st.decoded, st.moves)
	if st.files != len(files) || st.edits < 3*st.images-10 || st.images < 600 {
		t.Errorf("checked %d of %d files, %d edits of %d images; the corpus has over 600 images", st.files, len(files), st.edits, st.images)
	}
}

func checkCorpusFile(t *testing.T, f corpusFile, st *corpusStats) {
	m, err := Parse(f.src)
	if err != nil {
		t.Fatal(err)
	}
	repromoted := checkRepromotion(t, m, f.src)
	old := decodeWithLibrary(t, f.src)

	names := imageNames(m)
	fs := corpusFileStats{repromoted: repromoted, kinds: map[string]int{}}
	if fs.sampled = len(f.src) > corpusSampleAbove && len(names) > corpusSample; fs.sampled {
		names = evenSample(names, corpusSample)
	}
	decode := names
	switch {
	case fs.sampled:
		decode = evenSample(names, 2)
	case len(f.src) > corpusDecodeAbove && len(names) > corpusSample:
		decode = evenSample(names, corpusSample)
	}
	fs.images = len(names)
	for _, name := range names {
		for _, e := range corpusEdits(m, name) {
			r, err := m.Add(e.p)
			if err != nil {
				t.Errorf("%s: %v", e.what, err)
				continue
			}
			c := r.Changes[0]
			fs.kinds[changeKindName(c.Kind)]++
			fs.edits++
			checkMinimalDiff(t, e.what, m, f.src, r)
			if slices.Contains(decode, name) {
				checkDecoded(t, e.what, old, decodeWithLibrary(t, r.Content), c, m.groups != nil)
				fs.decoded++
			}
		}
		if p, ok := tagMove(m, name); ok {
			r, err := m.Add(p)
			if !errors.Is(err, ErrTagMove) || r != nil {
				t.Errorf("moving tag %s of %s to a new digest: got %v, want ErrTagMove", p.Tags[0], name, err)
			}
			fs.moves++
		}
	}
	st.add(fs)
}

// checkRepromotion promotes every valid existing entry again, in one call.
func checkRepromotion(t *testing.T, m *Manifest, src []byte) int {
	var all []Promotion
	for _, img := range m.Images {
		for _, e := range img.Digests {
			p := Promotion{Image: img.Name, Digest: e.Digest, Tags: e.Tags}
			if p.validate() == nil { // old quirks (a 63-digit digest) are not promoted anew
				all = append(all, p)
			}
		}
	}
	r, err := m.Add(all...)
	if err != nil {
		t.Fatalf("promoting again what the file has: %v", err)
	}
	if r.Changed() || !bytes.Equal(r.Content, src) {
		t.Fatalf("promoting again what the file has changed it:\n%s", Diff("images.yaml", src, r.Content))
	}
	for _, c := range r.Changes {
		if c.Kind != AlreadyPromoted || c.Line == 0 {
			t.Fatalf("want already promoted with a line, got %v", c)
		}
	}
	return len(all)
}

type corpusEdit struct {
	what string
	p    Promotion
}

// corpusEdits are the three edits made for each image: a new digest, a new
// tag on its last valid digest, and a new image named after it.
func corpusEdits(m *Manifest, name string) []corpusEdit {
	edits := []corpusEdit{{
		what: "new digest of " + name,
		p:    Promotion{Image: name, Digest: newDigest("corpus " + name), Tags: []string{"v999.0.0-corpus"}},
	}}
	for i := len(m.Images) - 1; i >= 0 && len(edits) == 1; i-- {
		img := m.Images[i]
		if img.Name != name {
			continue
		}
		for j := len(img.Digests) - 1; j >= 0; j-- {
			e := img.Digests[j]
			if ValidateDigest(e.Digest) != nil || len(e.Tags) == 0 || (e.list.kind != listFlow && e.list.kind != listBlock) {
				continue
			}
			p := Promotion{Image: name, Digest: e.Digest, Tags: []string{"corpus-1"}}
			if m.groups != nil { // the release of the entry's group: its tag list grows
				p.Release = m.groups.groups[m.groups.of[i]].release
			}
			edits = append(edits, corpusEdit{what: fmt.Sprintf("new tag on %s@%s (line %d)", name, e.Digest, e.Line), p: p})
			break
		}
	}
	return append(edits, corpusEdit{
		what: "new image " + name + "-corpus",
		p:    Promotion{Image: name + "-corpus", Digest: newDigest("corpus image " + name), Tags: []string{"v1.0.0"}},
	})
}

// tagMove is a new digest of image name under one of its valid tags.
func tagMove(m *Manifest, name string) (Promotion, bool) {
	for _, e := range m.Lookup(name) {
		for _, tag := range e.Tags {
			if ValidateTag(tag) == nil {
				return Promotion{Image: name, Digest: newDigest("move " + name), Tags: []string{tag}}, true
			}
		}
	}
	return Promotion{}, false
}

// checkMinimalDiff: the edit inserts only its own lines, or changes the one
// line of a tag list, and the promotion jobs' regex finds a new digest in
// the added lines.
func checkMinimalDiff(t *testing.T, what string, m *Manifest, old []byte, r *Result) {
	t.Helper()
	removed, added := changedLines(old, r.Content)
	c := r.Changes[0]
	var want int
	switch {
	case m.groups != nil && c.Kind != NewTags: // a new release's group
		want = m.groups.gap + 4
	case c.Kind == NewImage:
		want = 3
	default:
		want = 1
	}
	switch {
	case c.Kind == NewTags && len(removed) == 1 && len(added) == 1: // a one-line list grew
	case len(removed) == 0 && len(added) == want:
	default:
		t.Errorf("%s: want %d added lines and nothing removed (or one line changed), got -%d +%d:\n%s",
			what, want, len(removed), len(added), Diff("images.yaml", old, r.Content))
		return
	}
	if c.Kind != NewTags && !jobDigestRE.MatchString(strings.Join(added, "\n")) {
		t.Errorf("%s: the promotion job's regex finds no digest in the added lines %q", what, added)
	}
}

var jobDigestRE = regexp.MustCompile(`"(sha256:[0-9a-f]{64})"`)

// changedLines is the one run of lines the edit replaced: old's lines
// between the common prefix and suffix, and new's.
func changedLines(old, new []byte) (removed, added []string) {
	a, b := splitLines(old), splitLines(new)
	pre := 0
	for pre < a.n() && pre < b.n() && bytes.Equal(a.line(pre), b.line(pre)) {
		pre++
	}
	suf := 0
	for suf < a.n()-pre && suf < b.n()-pre && bytes.Equal(a.line(a.n()-1-suf), b.line(b.n()-1-suf)) {
		suf++
	}
	for i := pre; i < a.n()-suf; i++ {
		removed = append(removed, string(a.line(i)))
	}
	for i := pre; i < b.n()-suf; i++ {
		added = append(added, string(b.line(i)))
	}
	return removed, added
}

// libraryImage is an image as the YAML library alone decodes it.
type libraryImage struct {
	Name string              `yaml:"name"`
	Dmap map[string][]string `yaml:"dmap"`
}

func decodeWithLibrary(t *testing.T, src []byte) []libraryImage {
	t.Helper()
	var images []libraryImage
	if err := yaml.Unmarshal(src, &images); err != nil {
		t.Fatalf("the YAML library refuses the file: %v", err)
	}
	return images
}

// checkDecoded: the new file decodes to the old blocks plus the promotion:
// one new block (a new image, or a new release's group), one block with one
// more digest, or one digest with one more tag.
func checkDecoded(t *testing.T, what string, old, new []libraryImage, c Change, grouped bool) {
	t.Helper()
	entry := map[string][]string{c.Digest: c.Added}
	switch {
	case c.Kind == NewImage || (grouped && c.Kind == NewDigest):
		k := slices.IndexFunc(new, func(img libraryImage) bool { return img.Name == c.Image && reflect.DeepEqual(img.Dmap, entry) })
		if len(new) != len(old)+1 || k < 0 || !reflect.DeepEqual(slices.Delete(slices.Clone(new), k, k+1), old) {
			t.Errorf("%s: want the old %d blocks and one new block %s %v, got %d blocks", what, len(old), c.Image, entry, len(new))
		}
		return
	}
	if len(new) != len(old) {
		t.Errorf("%s: %d blocks, want %d", what, len(new), len(old))
		return
	}
	for i := range old {
		if reflect.DeepEqual(old[i], new[i]) {
			continue
		}
		want := libraryImage{Name: old[i].Name, Dmap: maps(old[i].Dmap)}
		switch c.Kind {
		case NewDigest:
			want.Dmap[c.Digest] = c.Added
		case NewTags:
			got := new[i].Dmap[c.Digest]
			if isSubsequence(want.Dmap[c.Digest], got) && len(got) == len(want.Dmap[c.Digest])+len(c.Added) && isSubset(c.Added, got) {
				want.Dmap[c.Digest] = got // the old tags, in order, and the new one where the list's order puts it
			}
		}
		if !reflect.DeepEqual(new[i], want) {
			t.Errorf("%s: block %d (%s) decodes to %v, want %v", what, i, old[i].Name, new[i].Dmap, want.Dmap)
		}
		for j := i + 1; j < len(old); j++ {
			if !reflect.DeepEqual(old[j], new[j]) {
				t.Errorf("%s: block %d (%s) changed too", what, j, old[j].Name)
			}
		}
		return
	}
	t.Errorf("%s: the YAML library sees no change", what)
}

func maps(m map[string][]string) map[string][]string {
	out := make(map[string][]string, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	return out
}

func imageNames(m *Manifest) []string {
	var names []string
	for _, img := range m.Images {
		if !slices.Contains(names, img.Name) {
			names = append(names, img.Name)
		}
	}
	return names
}

func changeKindName(k ChangeKind) string {
	return [...]string{"already promoted", "new image", "new digest", "new tags"}[k]
}
