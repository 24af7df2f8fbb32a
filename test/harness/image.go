package harness

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"runtime"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"sigs.k8s.io/promoter/hack/image/imagebuild"
)

// ImageEnv names the OCI layout (as `make image` writes it) whose promoter
// the end-to-end tests run instead of one they build: `make test` sets it,
// so the binary they drive is the one the Deployment ships.
const ImageEnv = "PROMOTER_IMAGE"

// ImageBinary writes to dst the /promoter of this machine's platform from
// the image in the OCI layout dir. The image must be built from this
// checkout (its revision and version labels, which carry git's -dirty, are
// the checkout's): a stale image is an error, not a test of old code.
func ImageBinary(dir, dst string) error {
	root, err := RepoRoot()
	if err != nil {
		return err
	}
	src, err := imagebuild.SourceOf(context.Background(), root)
	if err != nil {
		return err
	}
	img, err := layoutImage(dir, v1.Platform{OS: "linux", Architecture: runtime.GOARCH})
	if err != nil {
		return fmt.Errorf("%s: %w", dir, err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return err
	}
	labels := cf.Config.Labels
	if rev, ver := labels["org.opencontainers.image.revision"], labels["org.opencontainers.image.version"]; rev != src.Revision || ver != src.Version {
		return fmt.Errorf("%s was built from %s (%s), the checkout is %s (%s): run make image", dir, rev, ver, src.Revision, src.Version)
	}
	return extract(img, imagebuild.BinaryPath, dst)
}

// layoutImage finds p's image in the layout's one image index.
func layoutImage(dir string, p v1.Platform) (v1.Image, error) {
	l, err := layout.FromPath(dir)
	if err != nil {
		return nil, err
	}
	top, err := l.ImageIndex()
	if err != nil {
		return nil, err
	}
	m, err := top.IndexManifest()
	if err != nil {
		return nil, err
	}
	for _, d := range m.Manifests {
		if d.MediaType != types.OCIImageIndex {
			continue // the SBOMs beside it
		}
		idx, err := top.ImageIndex(d.Digest)
		if err != nil {
			return nil, err
		}
		im, err := idx.IndexManifest()
		if err != nil {
			return nil, err
		}
		for _, c := range im.Manifests {
			if c.Platform != nil && c.Platform.OS == p.OS && c.Platform.Architecture == p.Architecture {
				return idx.Image(c.Digest)
			}
		}
	}
	return nil, fmt.Errorf("no %s image", p.String())
}

// extract copies the file at name in img's flattened filesystem to dst.
func extract(img v1.Image, name, dst string) error {
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("the image has no %s", name)
		}
		if err != nil {
			return err
		}
		if path.Clean("/"+h.Name) != name || h.Typeflag != tar.TypeReg {
			continue
		}
		f, err := os.OpenFile(dst, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o755)
		if err != nil {
			return err
		}
		if _, err := io.Copy(f, tr); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}
}
