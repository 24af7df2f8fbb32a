package imagebuild

import (
	"context"
	"fmt"
	"io"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// base gives the base image for a platform.
type base struct {
	image func(p v1.Platform) (v1.Image, error)
	debs  []Deb  // the offline base's packages
	ref   string // the registry base, with its digest
}

func (b *base) name() string {
	if b.ref != "" {
		return b.ref
	}
	return "from Debian packages " + debList(b.debs)
}

func newBase(ctx context.Context, o Options) (*base, error) {
	if o.Base != "" {
		return registryBase(ctx, o.Base, o.Log)
	}
	lock, err := ReadLock(o.Lock)
	if err != nil {
		return nil, err
	}
	tree, err := debianBase(ctx, lock, o.Cache)
	if err != nil {
		return nil, err
	}
	layer, err := tree.layer(o.Source.Time)
	if err != nil {
		return nil, err
	}
	history := v1.History{Created: v1.Time{Time: o.Source.Time}, CreatedBy: "hack/image: distroless-style base from Debian " + lock.Release + " packages", Comment: debList(lock.Debs)}
	return &base{debs: lock.Debs, image: func(p v1.Platform) (v1.Image, error) {
		img, err := mutate.ConfigFile(mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON), baseConfig(p))
		if err != nil {
			return nil, err
		}
		return mutate.Append(img, mutate.Addendum{Layer: layer, History: history, MediaType: types.OCILayer})
	}}, nil
}

func debList(debs []Deb) string {
	s := ""
	for i, d := range debs {
		if i > 0 {
			s += " "
		}
		s += d.Name + "=" + d.Version
	}
	return s
}

// registryBase pulls the base's platform images. The reference is resolved
// to a digest once, so every platform comes from the same index.
func registryBase(ctx context.Context, ref string, log io.Writer) (*base, error) {
	r, err := name.ParseReference(ref)
	if err != nil {
		return nil, fmt.Errorf("base %q: %w", ref, err)
	}
	opts := []remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(authn.DefaultKeychain)}
	desc, err := remote.Head(r, opts...)
	if err != nil {
		return nil, fmt.Errorf("base %s: %w", ref, err)
	}
	pinned := r.Context().Digest(desc.Digest.String())
	if _, ok := r.(name.Digest); !ok && log != nil {
		fmt.Fprintf(log, "base %s is %s; pin it by digest for reproducible builds\n", ref, pinned)
	}
	return &base{ref: pinned.String(), image: func(p v1.Platform) (v1.Image, error) {
		img, err := remote.Image(pinned, append(opts, remote.WithPlatform(p))...)
		if err != nil {
			return nil, fmt.Errorf("base %s for %s: %w", pinned, p, err)
		}
		return img, nil
	}}, nil
}
