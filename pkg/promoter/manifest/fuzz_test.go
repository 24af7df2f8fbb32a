package manifest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// compareImages describes how two parses differ, "" when they agree on
// everything an edit relies on.
func compareImages(a, b []Image) string {
	if len(a) != len(b) {
		return fmt.Sprintf("%d images vs %d", len(a), len(b))
	}
	for i := range a {
		if !reflect.DeepEqual(a[i], b[i]) {
			return fmt.Sprintf("image %d differs:\n%+v\n%+v", i, a[i], b[i])
		}
	}
	return ""
}

func fuzzSeeds(f *testing.F) [][]byte {
	paths, _ := filepath.Glob(filepath.Join(realFiles, "*", "images.yaml"))
	// Hand-made layouts: release groups, digest order, per-image comments.
	fixtures, _ := filepath.Glob(filepath.Join("testdata", "*.yaml"))
	paths = append(paths, fixtures...)
	var seeds [][]byte
	for _, p := range paths {
		src, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, src)
	}
	return append(seeds,
		[]byte(""),
		yamlOf("- name: app", "  dmap:", `    "D1": ["v1.0.0", "v1.0"]  # c`, "    # note", `    'D2': [ 'v1.1.0' ]`),
		yamlOf("- name: app", "  dmap:", `    "D1":`, "    - v1.0.0", "- name: b", "  dmap: {}"),
		yamlOf("- name: app", "  dmap:", `    "D1": ["v1.0.0",`, `      "v1.0"]`, "- name: app", "  dmap:", `    "sha256:x": [latest]`),
		[]byte("- name: app\r\n  dmap:\r\n    \""+d1+"\": [\"v1\"]"),
	)
}

// FuzzScanMatchesYAML holds the fast scanner to the YAML library: whatever
// the scanner accepts, the library reads the same way.
func FuzzScanMatchesYAML(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		tx := splitLines(src)
		if checkIndentation(tx) != nil {
			return
		}
		fast, ok := scan(tx)
		if !ok {
			return
		}
		slow, err := decode(src, tx)
		if err != nil {
			t.Fatalf("scanner accepted what the YAML library refuses (%v):\n%q", err, src)
		}
		if diff := compareImages(fast, slow); diff != "" {
			t.Fatalf("scanner and YAML library disagree: %s\n%q", diff, src)
		}
	})
}

// FuzzAdd: whatever the input, no panic; an accepted edit re-parses, is
// valid YAML, keeps every earlier entry, carries the promotion, differs from
// the original only by inserted lines (or the one tag list it extends), and
// leaves a release-grouped file release-grouped.
func FuzzAdd(f *testing.F) {
	for i, s := range fuzzSeeds(f) {
		f.Add(s, uint8(i), "d1", "v9.9.9", "")
		f.Add(s, uint8(0), d2, "v0.0.1", "0.0.1")
		f.Add(s, uint8(i+1), "d3", "1.2.0-alpha.1", "v1.2.0-alpha.1")
	}
	f.Fuzz(func(t *testing.T, src []byte, pick uint8, digest, tag, release string) {
		m, err := Parse(src)
		if err != nil {
			return
		}
		image := "fuzz-new"
		if n := int(pick) % (len(m.Images) + 1); n < len(m.Images) {
			image = m.Images[n].Name
		}
		if !strings.HasPrefix(digest, "sha256:") && pick%2 == 0 {
			digest = newDigest(digest)
		}
		p := Promotion{Image: image, Digest: digest, Tags: []string{tag}, Release: release}
		r, err := m.Add(p)
		if err != nil {
			if r != nil {
				t.Fatal("a refused edit returned a result")
			}
			return
		}
		again, err := Parse(r.Content)
		if err != nil {
			t.Fatalf("accepted edit does not re-parse: %v\n%q", err, r.Content)
		}
		slowBefore, err1 := decode(src, splitLines(src))
		slowAfter, err2 := decode(r.Content, splitLines(r.Content))
		if err1 != nil || err2 != nil {
			t.Fatalf("YAML library refuses the files: before %v, after %v\n%q", err1, err2, r.Content)
		}
		for _, img := range slowBefore {
			for _, e := range img.Digests {
				if !hasEntry(slowAfter, img.Name, e) {
					t.Fatalf("edit lost %s %s %v\n%q", img.Name, e.Digest, e.Tags, r.Content)
				}
			}
		}
		if !hasEntry(slowAfter, image, Entry{Digest: digest, Tags: []string{tag}}) || entryLine(again.Lookup(p.Image), p) == 0 {
			t.Fatalf("edit lacks the promotion\n%q", r.Content)
		}
		if m.groups != nil && again.groups == nil {
			t.Fatalf("edit left a release-grouped file without its groups\n%q", r.Content)
		}
		if kept := keptLines(src, r.Content); kept < countLines(src)-1 || (kept < countLines(src) && r.Changes[0].Kind != NewTags) {
			t.Fatalf("edit changed more than it added: kept %d of %d lines\n%q", kept, countLines(src), r.Content)
		}
	})
}

func hasEntry(images []Image, name string, want Entry) bool {
	for _, img := range images {
		if img.Name != name {
			continue
		}
		for _, e := range img.Digests {
			if e.Digest == want.Digest && isSubset(want.Tags, e.Tags) {
				return true
			}
		}
	}
	return false
}

func isSubset(small, big []string) bool {
	return !slices.ContainsFunc(small, func(s string) bool { return !slices.Contains(big, s) })
}

// keptLines counts the lines of old found, in order, in new.
func keptLines(old, new []byte) int {
	ol, nl := bytes.SplitAfter(old, []byte("\n")), bytes.SplitAfter(new, []byte("\n"))
	j, kept := 0, 0
	for _, l := range ol {
		if len(l) == 0 {
			continue
		}
		k := j
		for k < len(nl) && !bytes.Equal(bytes.TrimRight(nl[k], "\r\n"), bytes.TrimRight(l, "\r\n")) {
			k++
		}
		if k < len(nl) { // a line not found does not use up the rest
			kept++
			j = k + 1
		}
	}
	return kept
}

func countLines(src []byte) int { return splitLines(src).n() }
