package registry

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// ArtifactKind says what an artifact attached to a build is.
type ArtifactKind string

// The kinds a reviewer tells apart. A kind the registry does not make
// plain (an unknown artifact type or tag suffix) is KindOther.
const (
	KindSignature   ArtifactKind = "signature"
	KindAttestation ArtifactKind = "attestation"
	KindSBOM        ArtifactKind = "sbom"
	KindOther       ArtifactKind = "other"
)

// Artifact is a signature, attestation, SBOM or other artifact stored for a
// build in its staging repository, either under cosign's tag convention or
// as an OCI 1.1 referrer.
type Artifact struct {
	Kind ArtifactKind
	// Subject is the digest the artifact is for: Build.Digest, or one of
	// the index's children.
	Subject string
	// Platform is the child's platform when Subject is a child of the
	// index ("unknown" if it declares none); "" for Build.Digest itself.
	Platform string
	// Tag is the tag it was found under: a cosign tag sha256-<hex>.sig,
	// .att or .sbom; for a referrer on a registry without the referrers
	// API, the referrers tag sha256-<hex>; "" for a referrer the referrers
	// API listed.
	Tag string
	// Digest and ArtifactType are a referrer's, as the referrers list
	// gives them; both "" for a cosign tag, whose manifest is not read.
	Digest       string
	ArtifactType string
}

// subject is a digest that artifacts may be stored for.
type subject struct {
	digest   string
	platform string // "" for the build itself
}

// subjects are the build's digest and, for an index, its children's:
// cosign sign --recursive signs each platform image as well as the index.
func subjects(digest string, im *v1.IndexManifest) []subject {
	out := []subject{{digest: digest}}
	if im == nil {
		return out
	}
	for _, d := range im.Manifests {
		if isAttestation(d) {
			continue
		}
		p := UnknownPlatform
		if declared(d.Platform) {
			p = platformString(d.Platform.OS, d.Platform.Architecture, d.Platform.Variant)
		}
		out = append(out, subject{digest: d.Digest.String(), platform: p})
	}
	return out
}

// tagTarget is the tag prefix cosign and the OCI referrers tag schema use
// for digest: "sha256:<hex>" becomes "sha256-<hex>".
func tagTarget(digest string) string {
	return strings.Replace(digest, ":", "-", 1)
}

// tagged finds the cosign-convention tags of subjects in the listing that
// Resolve already made, so it costs no request. The build's own bare
// sha256-<hex> tag is its referrers tag, which referrers reads; a child's is
// reported as KindOther without being read, which would cost a request per
// child. Artifacts come in subject order, then tag order.
func tagged(tags []string, subs []subject) []Artifact {
	at := make(map[string]int, len(subs))
	for i, s := range subs {
		if _, dup := at[tagTarget(s.digest)]; !dup {
			at[tagTarget(s.digest)] = i
		}
	}
	found := make([][]Artifact, len(subs))
	for _, t := range slices.Sorted(slices.Values(tags)) {
		target, suffix, _ := strings.Cut(t, ".")
		i, ok := at[target]
		if !ok || (i == 0 && suffix == "") {
			continue
		}
		found[i] = append(found[i], Artifact{Kind: tagKind(suffix), Subject: subs[i].digest, Platform: subs[i].platform, Tag: t})
	}
	return slices.Concat(found...)
}

func tagKind(suffix string) ArtifactKind {
	switch suffix {
	case "sig":
		return KindSignature
	case "att":
		return KindAttestation
	case "sbom":
		return KindSBOM
	}
	return KindOther
}

// referrers lists the OCI 1.1 referrers of digest with one GET of the
// referrers API. A registry without that API answers 404 (or 400, 406, or
// something that is not an index), which ggcr, its tag fallback turned off,
// reports as an error without a status; the referrers can then only be in
// the referrers tag sha256-<hex>, read only when the listing has it. "Not
// supported" is thus "none", never a failed resolve; 5xx and timeouts are
// transient as for any other call.
func (s session) referrers(ctx context.Context, digest string, tags []string) ([]Artifact, string, error) {
	var idx v1.ImageIndex
	err := s.r.call(ctx, func(ctx context.Context) (err error) {
		idx, err = remote.Referrers(s.repo.Digest(digest), remote.Reuse(s.puller), remote.WithContext(ctx))
		return err
	})
	if err != nil {
		e := wrap("list referrers of "+digest+" in", s.repo.Name(), err)
		switch code := statusCode(err); {
		case e.transient || errors.Is(err, context.Canceled):
			return nil, "", e
		case code != 0:
			// 401, 403, 405...: the registry has the endpoint but refuses
			// it; the promotion does not depend on it, the reviewer should
			// know it was not checked.
			return nil, fmt.Sprintf("referrers not checked: the registry answered the referrers API with HTTP %d %s",
				code, http.StatusText(code)), nil
		}
		return s.referrersTag(ctx, digest, tags)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, "referrers not checked: the registry's referrers answer is not an OCI index: " + err.Error(), nil
	}
	return referrerArtifacts(im, digest, ""), "", nil
}

// referrersTag reads the OCI referrers tag schema's index for digest, which
// clients maintain on registries without the referrers API.
func (s session) referrersTag(ctx context.Context, digest string, tags []string) ([]Artifact, string, error) {
	tag := tagTarget(digest)
	if !slices.Contains(tags, tag) {
		return nil, "", nil
	}
	desc, err := s.get(ctx, s.repo.Tag(tag))
	if err != nil {
		return nil, "", wrapListed("read referrers tag "+tag+" of", s.repo.Name(), err)
	}
	im, err := v1.ParseIndexManifest(bytes.NewReader(desc.Manifest))
	if err != nil || !desc.MediaType.IsIndex() {
		return nil, fmt.Sprintf("referrers not checked: the referrers tag %s holds a %s, not an OCI index", tag, desc.MediaType), nil
	}
	return referrerArtifacts(im, digest, tag), "", nil
}

// referrerArtifacts orders referrers by digest: the referrers API promises
// no order, and the PR body must not change between two resolves.
func referrerArtifacts(im *v1.IndexManifest, subject, tag string) []Artifact {
	out := make([]Artifact, 0, len(im.Manifests))
	for _, d := range im.Manifests {
		out = append(out, Artifact{
			Kind:         referrerKind(d.ArtifactType, d.Annotations),
			Subject:      subject,
			Tag:          tag,
			Digest:       d.Digest.String(),
			ArtifactType: d.ArtifactType,
		})
	}
	slices.SortFunc(out, func(a, b Artifact) int { return strings.Compare(a.Digest, b.Digest) })
	return out
}

// referrerKind tells the kind from the artifact type the referrers list
// gives (the manifest's artifactType, or its config media type), matching
// the families in use: cosign, Notation, Sigstore bundles, in-toto, SPDX,
// CycloneDX.
func referrerKind(artifactType string, annotations map[string]string) ArtifactKind {
	t := strings.ToLower(artifactType)
	has := func(subs ...string) bool {
		return slices.ContainsFunc(subs, func(s string) bool { return strings.Contains(t, s) })
	}
	switch {
	case has("sigstore.bundle"):
		return bundleKind(annotations)
	case has("cosign.artifact.sig", "cosign.simplesigning", "notary.signature"):
		return KindSignature
	case has("spdx", "cyclonedx", "cosign.artifact.sbom"):
		return KindSBOM
	case has("in-toto", "dsse", "cosign.artifact.att"):
		return KindAttestation
	}
	return KindOther
}

// bundleKind: a Sigstore bundle holds either a signature or an attestation,
// and only cosign's annotations say which. cosign drops them when it writes
// the referrers tag, so such a bundle stays KindOther.
func bundleKind(annotations map[string]string) ArtifactKind {
	predicate := strings.ToLower(annotations["dev.sigstore.bundle.predicateType"])
	switch {
	case predicate == "https://sigstore.dev/cosign/sign/v1" || annotations["dev.sigstore.bundle.content"] == "message-signature":
		return KindSignature
	case strings.Contains(predicate, "spdx") || strings.Contains(predicate, "cyclonedx"):
		return KindSBOM
	case predicate != "":
		return KindAttestation
	}
	return KindOther
}
