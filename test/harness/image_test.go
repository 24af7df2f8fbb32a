package harness

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"sigs.k8s.io/promoter/hack/image/imagebuild"
)

// testLayout writes an OCI layout shaped as make image writes it: one image
// index with an image for arch holding /promoter, labelled rev and ver.
func testLayout(t *testing.T, arch, rev, ver string, binary []byte) string {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Name: "promoter", Mode: 0o755, Size: int64(len(binary)), Typeflag: tar.TypeReg})
	tw.Write(binary)
	tw.Close()
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(buf.Bytes())), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(mutate.MediaType(empty.Image, types.OCIManifestSchema1), layer)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf.Config.Labels = map[string]string{"org.opencontainers.image.revision": rev, "org.opencontainers.image.version": ver}
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}
	idx := mutate.AppendManifests(mutate.IndexMediaType(empty.Index, types.OCIImageIndex),
		mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: arch}}})
	dir := filepath.Join(t.TempDir(), "image")
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AppendIndex(idx); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestImageBinary(t *testing.T) {
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	src, err := imagebuild.SourceOf(context.Background(), root)
	if err != nil {
		t.Skipf("not a git checkout: %v", err)
	}
	binary := []byte("#!/bin/sh\necho the image's promoter\n")
	for _, c := range []struct {
		name, arch, rev, ver string
		err                  string
	}{
		{"built from this checkout", runtime.GOARCH, src.Revision, src.Version, ""},
		{"another commit", runtime.GOARCH, strings.Repeat("0", 40), src.Version, "run make image"},
		{"the checkout was dirty, or is now", runtime.GOARCH, src.Revision, src.Version + "-x", "run make image"},
		{"no image for this machine", "s390x", src.Revision, src.Version, "no linux/" + runtime.GOARCH + " image"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dst := filepath.Join(t.TempDir(), "promoter")
			err := ImageBinary(testLayout(t, c.arch, c.rev, c.ver, binary), dst)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("got %v, want an error saying %q", err, c.err)
				}
				if _, err := os.Stat(dst); !os.IsNotExist(err) {
					t.Errorf("a refused image still wrote %s", dst)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(dst)
			if err != nil || !bytes.Equal(got, binary) {
				t.Fatalf("extracted %q (%v), want the image's /promoter", got, err)
			}
			if fi, _ := os.Stat(dst); fi.Mode()&0o111 == 0 {
				t.Errorf("%s is not executable: %v", dst, fi.Mode())
			}
		})
	}
}
