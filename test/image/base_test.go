package image

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/promoter/hack/image/imagebuild"
)

// TestRegistryBase: with a base image from a registry (as a release build
// uses gcr.io/distroless/static-debian12:nonroot), the base's layers are
// kept as they are, the binary is one layer on top, and the image records
// which base, by digest. The registry here holds the image the command
// pushed, standing in for distroless.
func TestRegistryBase(t *testing.T) {
	b := setup(t)
	src, err := imagebuild.SourceOf(context.Background(), b.root)
	if err != nil {
		t.Fatal(err)
	}
	baseRef := b.repo + ":" + b.want.version
	res, err := imagebuild.Build(context.Background(), imagebuild.Options{
		Root: b.root, Package: "./cmd/plugin", Platforms: platforms, Base: baseRef,
		Lock: filepath.Join(b.root, "hack", "image", "debian.lock"), Cache: b.cache, Source: src,
	})
	if err != nil {
		t.Fatal(err)
	}
	baseIdx, _ := imageIndex(t, b.cli, b.want.version)
	baseDigest, _ := baseIdx.Digest()
	for i, p := range platforms {
		img := res.Images[i].Image
		base, _ := platformImage(t, baseIdx, p)
		bl, _ := base.Layers()
		il, err := img.Layers()
		if err != nil {
			t.Fatal(err)
		}
		if len(il) != len(bl)+1 {
			t.Fatalf("%s: %d layers on a base of %d, want one more", p, len(il), len(bl))
		}
		for j := range bl {
			bd, _ := bl[j].Digest()
			id, _ := il[j].Digest()
			if bd != id {
				t.Errorf("%s: layer %d is %s, the base's is %s", p, j, id, bd)
			}
		}
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		if cf.Config.User != "65532:65532" || strings.Join(cf.Config.Entrypoint, " ") != "/promoter" || cf.Config.Labels["org.opencontainers.image.revision"] != b.want.revision {
			t.Errorf("%s: config %+v", p, cf.Config)
		}
		if !strings.Contains(strings.Join(cf.Config.Env, " "), "SSL_CERT_FILE=") {
			t.Errorf("%s: the base's environment was lost: %v", p, cf.Config.Env)
		}
		m, _ := img.Manifest()
		if want := b.repo + "@" + baseDigest.String(); m.Annotations["org.opencontainers.image.base.name"] != want {
			t.Errorf("%s: base.name annotation %q, want %q", p, m.Annotations["org.opencontainers.image.base.name"], want)
		}
	}
}
