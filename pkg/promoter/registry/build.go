package registry

import (
	"fmt"
	"maps"
	"slices"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// UnknownPlatform stands in for platforms a build does not declare, so that
// Platforms is never empty for a resolved build; PlatformNote says why.
const UnknownPlatform = "unknown"

// Build is one staging build of an image.
type Build struct {
	Repository string // e.g. "gcr.io/k8s-staging-apisnoop/snoopdb"
	Tag        string // the staging tag chosen
	// Digest is what Tag points at: for a multi-arch image the index
	// (manifest list), never one of its children. This is what to promote.
	Digest    string
	MediaType string // OCI index, Docker manifest list, OCI or Docker manifest
	Index     bool   // Digest is an index / manifest list
	// Platforms are "os/arch[/variant]", sorted and distinct, attestations
	// left out; ["unknown"] when the build does not say.
	Platforms    []string
	PlatformNote string // why some or all platforms are unknown; "" if none
	// PassedOver are the other matching tags, newest first, for the PR body.
	PassedOver        []Candidate
	PassedOverOmitted int // older matching tags not looked up (see maxPassedOver)

	// Revision and Source are the build's org.opencontainers.image.revision
	// and .source (the commit and repository it was built from), "" when it
	// does not say. ProvenanceFrom says where they were read.
	Revision       string
	Source         string
	ProvenanceFrom string

	// Attached are the signatures, attestations and SBOMs stored for Digest
	// (and, for an index, for its children) in the staging repository.
	// BuildKit attestation manifests inside an index are part of the build
	// (promoted with it) and are not listed.
	Attached []Artifact
	// ReferrersNote says why the referrers of Digest could not be listed
	// ("" when they were, or when the registry has no referrers API, which
	// means there are none).
	ReferrersNote string
}

// Candidate is a matching tag that lost to a newer one.
type Candidate struct {
	Tag    string
	Digest string
}

// MultiArch reports whether b is an index with at least two real platforms.
// An index holding a single image is still a single-arch build.
func (b Build) MultiArch() bool {
	n := 0
	for _, p := range b.Platforms {
		if p != UnknownPlatform {
			n++
		}
	}
	return b.Index && n >= 2
}

// indexPlatforms reads the platforms an index declares for its children.
// Children are not fetched: the index descriptors carry the platform, and
// fetching each child's config would cost two calls per architecture.
func indexPlatforms(im *v1.IndexManifest) ([]string, string) {
	seen := map[string]bool{}
	undeclared := 0
	for _, d := range im.Manifests {
		switch {
		case isAttestation(d):
		case !declared(d.Platform):
			undeclared++
		default:
			seen[platformString(d.Platform.OS, d.Platform.Architecture, d.Platform.Variant)] = true
		}
	}
	return platformsOrUnknown(slices.Sorted(maps.Keys(seen)), undeclaredNote(undeclared, len(im.Manifests)))
}

func declared(p *v1.Platform) bool {
	return p != nil && p.OS != "" && p.Architecture != ""
}

func undeclaredNote(undeclared, total int) string {
	if undeclared == 0 {
		return ""
	}
	return fmt.Sprintf("%d of the index's %d manifests declare no platform", undeclared, total)
}

// isAttestation recognizes BuildKit provenance/SBOM entries, which sit in the
// index next to the images but are not runnable platforms.
func isAttestation(d v1.Descriptor) bool {
	if d.Annotations["vnd.docker.reference.type"] == "attestation-manifest" {
		return true
	}
	return d.Platform != nil && d.Platform.OS == "unknown" && d.Platform.Architecture == "unknown"
}

// configPlatform reads the platform a single image declares in its config.
func configPlatform(cfg *v1.ConfigFile) ([]string, string) {
	if cfg.OS == "" || cfg.Architecture == "" {
		return platformsOrUnknown(nil, "the image config declares no os/architecture")
	}
	return []string{platformString(cfg.OS, cfg.Architecture, cfg.Variant)}, ""
}

func platformsOrUnknown(platforms []string, note string) ([]string, string) {
	if len(platforms) == 0 {
		if note == "" {
			note = "the build declares no platform"
		}
		return []string{UnknownPlatform}, note
	}
	return platforms, note
}

// platformString leaves out os.version: promotion cares about os/arch.
func platformString(os, arch, variant string) string {
	s := os + "/" + arch
	if variant != "" {
		s += "/" + variant
	}
	return s
}
