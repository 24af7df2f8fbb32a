package image

import (
	"context"
	"io"
	"log"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"sigs.k8s.io/promoter/hack/image/imagebuild"
)

// TestPushedIndexReadsBackByDigest: `-repo` (IMAGE_REPO=) pushed the index
// to a registry without the referrers API; the printed digest reference
// reads back as the layout's index, with the same images, and each image's
// SBOM is found as its referrer (through the referrers tag).
func TestPushedIndexReadsBackByDigest(t *testing.T) {
	b := setup(t)
	idx, _ := imageIndex(t, b.cli, b.want.version)
	d, err := idx.Digest()
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Fields(b.cliOut)
	printed := lines[len(lines)-1]
	if want := b.repo + "@" + d.String(); printed != want {
		t.Fatalf("the command printed %q last, want the digest reference %q:\n%s", printed, want, b.cliOut)
	}
	readBack(t, printed, idx)
	tag, err := name.NewTag(b.repo + ":" + b.want.version)
	if err != nil {
		t.Fatal(err)
	}
	tagged, err := remote.Index(tag)
	if err != nil {
		t.Fatal(err)
	}
	if td, _ := tagged.Digest(); td != d {
		t.Errorf("tag %s is %s, want %s", b.want.version, td, d)
	}
}

// TestPushWithReferrersAPI: the same through a registry that has the
// referrers API (OCI distribution 1.1).
func TestPushWithReferrersAPI(t *testing.T) {
	b := setup(t)
	srv := httptest.NewServer(registry.New(registry.WithReferrersSupport(true), quiet))
	defer srv.Close()
	repo := strings.TrimPrefix(srv.URL, "http://") + "/promoter"
	ref, err := b.again.Push(context.Background(), repo, "test")
	if err != nil {
		t.Fatal(err)
	}
	idx, _ := imageIndex(t, b.againDir, b.want.version)
	readBack(t, ref.String(), idx)
}

func readBack(t *testing.T, ref string, want v1.ImageIndex) {
	t.Helper()
	r, err := name.NewDigest(ref)
	if err != nil {
		t.Fatal(err)
	}
	got, err := remote.Index(r)
	if err != nil {
		t.Fatalf("reading %s back: %v", ref, err)
	}
	gd, _ := got.Digest()
	wd, _ := want.Digest()
	if gd != wd {
		t.Fatalf("%s reads back as %s", ref, gd)
	}
	for _, p := range platforms {
		img, desc := platformImage(t, got, p)
		wimg, _ := platformImage(t, want, p)
		gl, err := img.Layers()
		if err != nil {
			t.Fatal(err)
		}
		wl, _ := wimg.Layers()
		if len(gl) != len(wl) {
			t.Fatalf("%s: %d layers pushed, %d built", p, len(gl), len(wl))
		}
		for i := range gl {
			// Digest() of a remote layer is the registry's; reading it
			// checks the blob's bytes against it.
			g, _ := gl[i].Digest()
			w, _ := wl[i].Digest()
			if g != w {
				t.Errorf("%s: layer %d is %s, built %s", p, i, g, w)
			}
			rc, err := gl[i].Compressed()
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := v1.SHA256(rc); err != nil {
				t.Errorf("%s: layer %d: %v", p, i, err)
			}
			rc.Close()
		}
		refs, err := remote.Referrers(r.Context().Digest(desc.Digest.String()))
		if err != nil {
			t.Fatalf("%s: referrers: %v", p, err)
		}
		m, _ := refs.IndexManifest()
		if len(m.Manifests) != 1 {
			t.Fatalf("%s: referrers %+v, want the SBOM", p, m.Manifests)
		}
		// ggcr's registry lists a referrer's config media type as its
		// artifactType (the spec says the manifest's artifactType comes
		// first): read the manifest itself.
		sb, err := remote.Image(r.Context().Digest(m.Manifests[0].Digest.String()))
		if err != nil {
			t.Fatal(err)
		}
		if sm, _ := sb.Manifest(); sm.ArtifactType != imagebuild.SPDXMediaType || sm.Subject == nil || sm.Subject.Digest != desc.Digest {
			t.Errorf("%s: referrer %s is not the SBOM of %s: %+v", p, m.Manifests[0].Digest, desc.Digest, sm)
		}
	}
}

// quiet keeps the registry's request log out of the test output.
var quiet = registry.Logger(log.New(io.Discard, "", 0))
