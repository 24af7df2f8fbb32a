package registry

import (
	"context"
	"fmt"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// The OCI keys for where a build came from. Builders set them as manifest
// or index annotations (buildx --annotation, ko) or as config labels
// (Dockerfile LABEL, buildx --label).
const (
	revisionKey = "org.opencontainers.image.revision"
	sourceKey   = "org.opencontainers.image.source"
)

// provenance collects Revision and Source from the places a build may
// declare them, the first place that has a key winning for that key.
type provenance struct {
	revision, source string
	from             []string
}

// read takes what m declares and the other key has not already given.
func (p *provenance) read(m map[string]string, where string) {
	took := false
	if v := strings.TrimSpace(m[revisionKey]); v != "" && p.revision == "" {
		p.revision, took = v, true
	}
	if v := strings.TrimSpace(m[sourceKey]); v != "" && p.source == "" {
		p.source, took = v, true
	}
	if took {
		p.from = append(p.from, where)
	}
}

func (p *provenance) setOn(b *Build) {
	b.Revision, b.Source, b.ProvenanceFrom = p.revision, p.source, strings.Join(p.from, ", ")
}

// firstChild is the child whose manifest and config stand for an index
// that declares no revision itself: builders label every platform image
// alike, so one is enough. BuildKit attestation entries are not images.
func firstChild(im *v1.IndexManifest) (v1.Descriptor, bool) {
	for _, d := range im.Manifests {
		if !isAttestation(d) && d.MediaType.IsImage() {
			return d, true
		}
	}
	return v1.Descriptor{}, false
}

// childProvenance reads the first child image of an index: its manifest
// (one GET) for annotations and its config (one blob GET) for labels.
func (s session) childProvenance(ctx context.Context, im *v1.IndexManifest, p provenance) (provenance, error) {
	child, ok := firstChild(im)
	if !ok {
		return p, nil
	}
	m, cfg, err := s.image(ctx, child.Digest)
	if err != nil {
		return p, err
	}
	what := "the " + childName(child) + " image's"
	p.read(m.Annotations, what+" annotations")
	if cfg != nil {
		p.read(cfg.Config.Labels, what+" config labels")
	}
	return p, nil
}

func childName(d v1.Descriptor) string {
	if declared(d.Platform) {
		return platformString(d.Platform.OS, d.Platform.Architecture, d.Platform.Variant)
	}
	return fmt.Sprintf("%.19s", d.Digest.String())
}
