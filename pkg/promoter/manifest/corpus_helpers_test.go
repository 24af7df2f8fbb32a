package manifest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// corpusDir is the shared snapshot of kubernetes/k8s.io images.yaml files,
// read in place from ../shared/corpus/k8sio beside the repository root.
func corpusDir(t testing.TB) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	root := wd
	for {
		if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(root)
		if parent == root {
			t.Fatalf("no go.mod above %s", wd)
		}
		root = parent
	}
	dir := filepath.Join(root, "..", "shared", "corpus", "k8sio")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("the shared corpus of kubernetes/k8s.io files is not at %s (%v); CI has it", dir, err)
	}
	return dir
}

// corpusFile is one images.yaml of the corpus.
type corpusFile struct {
	name string // e.g. registry.k8s.io/k8s-staging-kops
	src  []byte
}

// corpusFiles reads every images.yaml of both trees (registry.k8s.io and the
// legacy k8s.gcr.io copies).
func corpusFiles(t testing.TB) []corpusFile {
	t.Helper()
	dir := corpusDir(t)
	paths, err := filepath.Glob(filepath.Join(dir, "*", "images", "*", "images.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatalf("no images.yaml under %s", dir)
	}
	files := make([]corpusFile, 0, len(paths))
	for _, p := range paths {
		src, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(dir, filepath.Dir(p))
		files = append(files, corpusFile{name: strings.Replace(rel, "/images/", "/", 1), src: src})
	}
	return files
}

// readCorpus reads one file of the corpus, e.g. ("registry.k8s.io", "k8s-staging-kops").
func readCorpus(t testing.TB, tree, dir string) []byte {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(corpusDir(t), tree, "images", dir, "images.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// withoutLines returns src without lines [from, to] (0-based, inclusive).
func withoutLines(src []byte, from, to int) []byte {
	t := splitLines(src)
	out := make([]byte, 0, len(src))
	out = append(out, src[:t.start[from]]...)
	return append(out, src[t.start[to+1]:]...)
}
