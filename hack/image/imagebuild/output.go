package imagebuild

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// RefNameAnnotation names the image index in the layout's index.json.
const RefNameAnnotation = "org.opencontainers.image.ref.name"

// WriteLayout writes the result as an OCI image layout at dir: index.json
// lists the image index (named by the version) and then the SBOMs, each an
// artifact whose subject is one platform image. An existing layout at dir is
// replaced whole; any other existing directory is refused.
func (r *Result) WriteLayout(dir, refName string) (v1.Hash, error) {
	if err := CheckOut(dir); err != nil {
		return v1.Hash{}, err
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return v1.Hash{}, err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "."+filepath.Base(dir)+"-")
	if err != nil {
		return v1.Hash{}, err
	}
	defer os.RemoveAll(tmp)
	p, err := layout.Write(tmp, empty.Index)
	if err != nil {
		return v1.Hash{}, err
	}
	if err := p.AppendIndex(r.Index, layout.WithAnnotations(map[string]string{RefNameAnnotation: refName})); err != nil {
		return v1.Hash{}, err
	}
	for _, img := range r.Images {
		if err := p.AppendImage(img.SBOM); err != nil {
			return v1.Hash{}, err
		}
	}
	if err := os.RemoveAll(dir); err != nil {
		return v1.Hash{}, err
	}
	if err := os.Rename(tmp, dir); err != nil {
		return v1.Hash{}, err
	}
	return r.Index.Digest()
}

// CheckOut refuses, as the place to write a layout, a directory that is
// not empty and not an OCI layout: a mistyped -out must not remove
// someone's files.
func CheckOut(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) || (err == nil && len(entries) == 0) {
		return nil
	}
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(dir, "oci-layout")); err != nil {
		return fmt.Errorf("%s exists and is not an OCI image layout: not replacing it", dir)
	}
	return nil
}

// Push writes the index to repo under tag, then the SBOMs (which the
// registry lists as referrers of the platform images, or ggcr records under
// the referrers tag where the registry has no referrers API). It returns
// the index's reference by digest, the one to deploy.
func (r *Result) Push(ctx context.Context, repo, tag string) (name.Digest, error) {
	ref, err := PushRef(repo, tag)
	if err != nil {
		return name.Digest{}, err
	}
	opts := []remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(authn.DefaultKeychain)}
	if err := remote.WriteIndex(ref, r.Index, opts...); err != nil {
		return name.Digest{}, fmt.Errorf("pushing %s: %w", ref, err)
	}
	for _, img := range r.Images {
		d, err := img.SBOM.Digest()
		if err != nil {
			return name.Digest{}, err
		}
		if err := remote.Write(ref.Context().Digest(d.String()), img.SBOM, opts...); err != nil {
			return name.Digest{}, fmt.Errorf("pushing the SBOM of %s: %w", img.Platform, err)
		}
	}
	d, err := r.Index.Digest()
	if err != nil {
		return name.Digest{}, err
	}
	return ref.Context().Digest(d.String()), nil
}

// PushRef is the reference Push writes to, checked.
func PushRef(repo, tag string) (name.Tag, error) {
	ref, err := name.NewTag(repo + ":" + tag)
	if err != nil {
		return name.Tag{}, fmt.Errorf("image reference %s:%s: %w", repo, tag, err)
	}
	return ref, nil
}

// Size is what one platform image weighs.
type Size struct {
	Platform     v1.Platform
	Compressed   int64 // layers, config and manifest: what a node pulls
	Uncompressed int64 // the layers unpacked: what a node stores
	Binary       int64
}

// Sizes measures each platform image.
func (r *Result) Sizes() ([]Size, error) {
	var out []Size
	for _, img := range r.Images {
		s := Size{Platform: img.Platform, Binary: img.BinarySize}
		m, err := img.Image.Manifest()
		if err != nil {
			return nil, err
		}
		raw, err := img.Image.RawManifest()
		if err != nil {
			return nil, err
		}
		s.Compressed = m.Config.Size + int64(len(raw))
		for _, l := range m.Layers {
			s.Compressed += l.Size
		}
		layers, err := img.Image.Layers()
		if err != nil {
			return nil, err
		}
		for _, l := range layers {
			n, err := uncompressedSize(l)
			if err != nil {
				return nil, err
			}
			s.Uncompressed += n
		}
		out = append(out, s)
	}
	return out, nil
}

func uncompressedSize(l v1.Layer) (int64, error) {
	rc, err := l.Uncompressed()
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	return io.Copy(io.Discard, rc)
}
