package harness

import (
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Registry is go-containerregistry's in-memory registry on a loopback port.
type Registry struct {
	srv *httptest.Server
	// Host is "127.0.0.1:PORT"; ggcr and promoter speak plain HTTP to it.
	Host string
}

// StartRegistry starts an empty registry.
func StartRegistry() *Registry {
	srv := httptest.NewServer(ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0))))
	return &Registry{srv: srv, Host: strings.TrimPrefix(srv.URL, "http://")}
}

// RegistryAt pushes to a registry that runs elsewhere (Debian's
// docker-registry in hack/e2e), at host "127.0.0.1:PORT".
func RegistryAt(host string) *Registry { return &Registry{Host: host} }

// Close stops the registry if this package started it.
func (r *Registry) Close() {
	if r.srv != nil {
		r.srv.Close()
	}
}

// PushIndex pushes a multi-arch index of random images, one per platform
// ("linux/amd64", "linux/arm64/v8"), as repo:tag and returns its digest.
func (r *Registry) PushIndex(repo, tag string, platforms ...string) (string, error) {
	return r.PushIndexAnnotated(repo, tag, nil, platforms...)
}

// PushImage pushes a single-platform image as repo:tag and returns its digest.
func (r *Registry) PushImage(repo, tag, platform string) (string, error) {
	img, _, err := platformImage(platform)
	if err != nil {
		return "", err
	}
	ref, err := name.ParseReference(r.Host + "/" + repo + ":" + tag)
	if err != nil {
		return "", err
	}
	if err := remote.Write(ref, img); err != nil {
		return "", fmt.Errorf("pushing %s: %w", ref, err)
	}
	d, err := img.Digest()
	return d.String(), err
}

func platformImage(platform string) (v1.Image, *v1.Platform, error) {
	plat, err := v1.ParsePlatform(platform)
	if err != nil {
		return nil, nil, err
	}
	img, err := random.Image(256, 1)
	if err != nil {
		return nil, nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Variant = plat.OS, plat.Architecture, plat.Variant
	img, err = mutate.ConfigFile(img, cf)
	return img, plat, err
}

// PushIndexAnnotated is PushIndex with annotations on the index, e.g.
// org.opencontainers.image.revision.
func (r *Registry) PushIndexAnnotated(repo, tag string, annotations map[string]string, platforms ...string) (string, error) {
	var idx v1.ImageIndex = empty.Index
	for _, p := range platforms {
		img, plat, err := platformImage(p)
		if err != nil {
			return "", err
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: plat}})
	}
	if annotations != nil {
		idx = mutate.Annotations(idx, annotations).(v1.ImageIndex)
	}
	ref, err := name.ParseReference(r.Host + "/" + repo + ":" + tag)
	if err != nil {
		return "", err
	}
	if err := remote.WriteIndex(ref, idx); err != nil {
		return "", fmt.Errorf("pushing %s: %w", ref, err)
	}
	d, err := idx.Digest()
	return d.String(), err
}

// Copy copies what src (host/repo:tag or @digest) names to dst, digest for
// digest, as kubernetes/k8s.io's promotion job copies staging to
// production.
func Copy(src, dst string) error {
	from, err := name.ParseReference(src)
	if err != nil {
		return err
	}
	to, err := name.ParseReference(dst)
	if err != nil {
		return err
	}
	desc, err := remote.Get(from)
	if err != nil {
		return fmt.Errorf("reading %s: %w", src, err)
	}
	if desc.MediaType.IsIndex() {
		idx, err := desc.ImageIndex()
		if err != nil {
			return err
		}
		return remote.WriteIndex(to, idx)
	}
	img, err := desc.Image()
	if err != nil {
		return err
	}
	return remote.Write(to, img)
}

// Attach pushes a small random artifact under a cosign-convention tag of
// digest in repo: sha256-<hex>.<suffix>, with suffix "sig", "att" or
// "sbom".
func (r *Registry) Attach(repo, digest, suffix string) (string, error) {
	img, err := random.Image(64, 1)
	if err != nil {
		return "", err
	}
	tag := strings.Replace(digest, ":", "-", 1) + "." + suffix
	ref, err := name.ParseReference(r.Host + "/" + repo + ":" + tag)
	if err != nil {
		return "", err
	}
	return tag, remote.Write(ref, img)
}
