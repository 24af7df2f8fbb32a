// Package imagebuild builds promoter's container image without a Docker
// daemon: a static Go binary on a distroless-style nonroot base, for several
// platforms, as one OCI image index, reproducibly (the same inputs give the
// same digest), with an SPDX SBOM per platform image as an OCI referrer.
//
// The base is either made here from pinned Debian packages (no registry
// needed) or pulled from a registry (gcr.io/distroless/static-debian12:nonroot).
package imagebuild

import (
	"context"
	"crypto/sha256"
	"debug/buildinfo"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Options say what to build.
type Options struct {
	Root      string        // the module's root directory
	Package   string        // the main package, relative to Root (./cmd/plugin)
	Platforms []v1.Platform // linux/amd64, linux/arm64
	// Base is the base image reference; empty for the offline base made of
	// the packages in Lock. Pin a registry base by digest for reproducibility.
	Base   string
	Lock   string // the Debian lock file (hack/image/debian.lock)
	Cache  string // where .deb files are kept between builds
	Source Source
	Log    io.Writer // progress; nil for none
}

// Path of the binary in the image, its entrypoint.
const (
	BinaryPath = "/promoter"
	imageName  = "promoter"
)

// Image is one platform's image and its SBOM.
type Image struct {
	Platform   v1.Platform
	Image      v1.Image
	SBOM       v1.Image // an artifact whose subject is Image
	BinarySize int64
}

// Result is the image index and its platform images.
type Result struct {
	Index  v1.ImageIndex
	Images []Image
}

// Build compiles the binary for each platform and assembles the images.
func Build(ctx context.Context, o Options) (*Result, error) {
	if len(o.Platforms) == 0 {
		return nil, fmt.Errorf("no platforms")
	}
	if o.Source.Time.IsZero() || o.Source.Revision == "" || o.Source.Version == "" {
		return nil, fmt.Errorf("the source's revision, version and time are needed (labels, reproducible timestamps)")
	}
	start := time.Now()
	base, err := newBase(ctx, o)
	if err != nil {
		return nil, err
	}
	o.logf("base %s ready in %.1fs\n", base.name(), time.Since(start).Seconds())
	tmp, err := os.MkdirTemp("", "promoter-image-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)

	res := &Result{}
	adds := make([]mutate.IndexAddendum, 0, len(o.Platforms))
	for _, p := range o.Platforms {
		start := time.Now()
		img, err := buildPlatform(ctx, o, base, p, tmp)
		if err != nil {
			return nil, err
		}
		o.logf("%s: %s built and layered in %.1fs\n", p, o.Package, time.Since(start).Seconds())
		res.Images = append(res.Images, *img)
		adds = append(adds, mutate.IndexAddendum{Add: plainImage{img.Image}, Descriptor: v1.Descriptor{Platform: &img.Platform}})
	}
	idx := mutate.AppendManifests(mutate.IndexMediaType(empty.Index, types.OCIImageIndex), adds...)
	res.Index = mutate.Annotations(idx, annotations(o.Source)).(v1.ImageIndex)
	return res, nil
}

// plainImage keeps ggcr from giving an image's index entry an
// artifactType (it would copy the config's media type there): the field is
// for artifacts, and an image index of plain images has none.
type plainImage struct{ v1.Image }

func (plainImage) ArtifactType() (string, error) { return "", nil }

func (o Options) logf(format string, args ...any) {
	if o.Log != nil {
		fmt.Fprintf(o.Log, format, args...)
	}
}

// annotations are the OCI labels, also set on the index as annotations.
func annotations(s Source) map[string]string {
	return map[string]string{
		"org.opencontainers.image.source":   s.URL,
		"org.opencontainers.image.revision": s.Revision,
		"org.opencontainers.image.version":  s.Version,
		"org.opencontainers.image.created":  s.Time.UTC().Format(time.RFC3339),
		"org.opencontainers.image.title":    imageName,
	}
}

// buildPlatform compiles the binary and puts it on the base as one layer.
func buildPlatform(ctx context.Context, o Options, b *base, p v1.Platform, tmp string) (*Image, error) {
	bin := filepath.Join(tmp, "promoter-"+p.OS+"-"+p.Architecture+p.Variant)
	if err := goBuild(ctx, o.Root, o.Package, p, bin); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(bin)
	if err != nil {
		return nil, err
	}
	info, err := buildinfo.ReadFile(bin)
	if err != nil {
		return nil, fmt.Errorf("reading the build info of %s: %w", bin, err)
	}
	t := newTree()
	t.file(BinaryPath, 0o755, data)
	layer, err := t.layer(o.Source.Time)
	if err != nil {
		return nil, err
	}
	baseImg, err := b.image(p)
	if err != nil {
		return nil, err
	}
	img, err := mutate.Append(baseImg, mutate.Addendum{
		Layer:     layer,
		MediaType: types.OCILayer,
		History:   v1.History{Created: v1.Time{Time: o.Source.Time}, CreatedBy: GoBuildCommand(o.Package), Comment: info.GoVersion},
	})
	if err != nil {
		return nil, err
	}
	if img, err = configure(img, o.Source, p); err != nil {
		return nil, err
	}
	if b.ref != "" {
		img = mutate.Annotations(img, map[string]string{"org.opencontainers.image.base.name": b.ref}).(v1.Image)
	}
	sum := sha256.Sum256(data)
	sb, err := platformSBOM(img, p, o.Source, b, info, hex.EncodeToString(sum[:]))
	if err != nil {
		return nil, err
	}
	return &Image{Platform: p, Image: img, SBOM: sb, BinarySize: int64(len(data))}, nil
}

// configure sets what a runtime reads: the entrypoint, the nonroot user,
// the labels, the ports, and the source's time as the creation time.
func configure(img v1.Image, s Source, p v1.Platform) (v1.Image, error) {
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.Created = v1.Time{Time: s.Time}
	cf.OS, cf.Architecture, cf.Variant = p.OS, p.Architecture, p.Variant
	cf.Config.Entrypoint = []string{BinaryPath}
	cf.Config.Cmd = nil
	cf.RootFS.Type = "layers"
	cf.Config.User = strconv.Itoa(NonrootUID) + ":" + strconv.Itoa(NonrootUID)
	if cf.Config.Labels == nil {
		cf.Config.Labels = map[string]string{}
	}
	for k, v := range annotations(s) {
		if k != "org.opencontainers.image.created" {
			cf.Config.Labels[k] = v
		}
	}
	// 8888 webhooks, /help, /promotions; 8081 health; 9090 metrics.
	cf.Config.ExposedPorts = map[string]struct{}{"8888/tcp": {}, "8081/tcp": {}, "9090/tcp": {}}
	return mutate.ConfigFile(img, cf)
}

func platformSBOM(img v1.Image, p v1.Platform, s Source, b *base, info *debug.BuildInfo, binSum string) (v1.Image, error) {
	desc, err := partial.Descriptor(img)
	if err != nil {
		return nil, err
	}
	doc, err := sbom(sbomInput{
		name: imageName, version: s.Version, image: desc.Digest, platform: p,
		binPath: BinaryPath, binSHA256: binSum, build: info, debs: b.debs, base: b.ref, created: s.Time,
	})
	if err != nil {
		return nil, err
	}
	return sbomArtifact(doc, *desc, s.Time)
}
