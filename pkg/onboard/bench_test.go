package onboard

import (
	"path/filepath"
	"testing"
)

// The whole corpus: 202 postsubmits and 75 staging projects.

func BenchmarkCorpusLoad(b *testing.B) {
	corpusInputs(b) // skips without the corpus
	root := filepath.Join(repoRoot(b), "..", "shared", "corpus")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Load(filepath.Join(root, "test-infra"), filepath.Join(root, "k8sio")); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCorpusGenerate(b *testing.B) {
	in := corpusInputs(b)
	b.ReportAllocs()
	for b.Loop() {
		generateCorpus(b, in)
	}
}

func BenchmarkCorpusDoctor(b *testing.B) {
	in := corpusInputs(b)
	cfg, _ := generateCorpus(b, in)
	b.ReportAllocs()
	for b.Loop() {
		if fs := in.Doctor(cfg); Errors(fs) != 0 {
			b.Fatal(lines(fs))
		}
	}
}
