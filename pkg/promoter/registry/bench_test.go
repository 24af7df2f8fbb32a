package registry

import (
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/types"
)

// BenchmarkResolve measures a multi-arch resolve with one passed-over build
// against the in-process registry (loopback HTTP, so mostly client cost).
func BenchmarkResolve(b *testing.B) {
	repo := newTestRepo(b, nil)
	repo.pushIndex("v20260821-v1.2.3", repo.index(types.OCIImageIndex, amd64, arm64))
	repo.pushIndex("v20260822-v1.2.3", repo.index(types.OCIImageIndex, amd64, arm64, s390x))
	r := New()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Resolve(b.Context(), repo.name, release); err != nil {
			b.Fatal(err)
		}
	}
}
