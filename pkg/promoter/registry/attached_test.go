package registry

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

const (
	cosignSigType  = "application/vnd.dev.cosign.artifact.sig.v1+json"
	sigstoreBundle = "application/vnd.dev.sigstore.bundle.v0.3+json"
	spdxType       = "application/spdx+json"
)

func assertAttached(t *testing.T, got, want []Artifact) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("Attached:\n  %s\nwant:\n  %s", artifactLines(got), artifactLines(want))
	}
}

func artifactLines(as []Artifact) string {
	var lines []string
	for _, a := range as {
		lines = append(lines, strings.Join([]string{string(a.Kind), a.Subject, a.Platform, a.Tag, a.Digest, a.ArtifactType}, " | "))
	}
	return strings.Join(lines, "\n  ")
}

// cosign's tags for the chosen digest are reported; those of another build
// (a passed-over one) in the same repository are not.
func TestResolveCosignTags(t *testing.T) {
	repo := newTestRepo(t, nil)
	older := repo.pushImage("v20260821-v1.2.3", amd64)
	build := repo.pushImage("v20260822-v1.2.3", amd64)
	sig := repo.pushArtifactTag(build, "sig")
	att := repo.pushArtifactTag(build, "att")
	sbom := repo.pushArtifactTag(build, "sbom")
	repo.pushArtifactTag(older, "sig")

	b := mustResolve(t, repo.name, release)

	assertAttached(t, b.Attached, []Artifact{
		{Kind: KindAttestation, Subject: build, Tag: att},
		{Kind: KindSBOM, Subject: build, Tag: sbom},
		{Kind: KindSignature, Subject: build, Tag: sig},
	})
	if b.ReferrersNote != "" {
		t.Errorf("ReferrersNote = %q, want none: a registry without the referrers API has none", b.ReferrersNote)
	}
}

func TestResolveUnsignedBuild(t *testing.T) {
	for name, repo := range map[string]*testRepo{
		"without the referrers API": newTestRepo(t, nil),
		"with the referrers API":    newReferrersRepo(t, nil),
	} {
		t.Run(name, func(t *testing.T) {
			repo.pushImage("v20260822-v1.2.3", amd64)

			b := mustResolve(t, repo.name, release)

			if len(b.Attached) != 0 || b.ReferrersNote != "" {
				t.Errorf("Attached = %+v, note %q; want none and no note", b.Attached, b.ReferrersNote)
			}
		})
	}
}

// cosign sign --recursive signs the index and each platform image; each
// child's tags are reported with the child's platform.
func TestResolveIndexPerPlatformSignatures(t *testing.T) {
	repo := newTestRepo(t, nil)
	idx := repo.withAttestation(repo.index(types.OCIImageIndex, amd64, arm64))
	build := repo.pushIndex("v20260822-v1.2.3", idx)
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	amd, arm := im.Manifests[0].Digest.String(), im.Manifests[1].Digest.String()
	idxSig := repo.pushArtifactTag(build, "sig")
	amdSig := repo.pushArtifactTag(amd, "sig")
	armSig := repo.pushArtifactTag(arm, "sig")
	armAtt := repo.pushArtifactTag(arm, "att")
	// A child's bare referrers tag is named, not read.
	repo.pushImage(tagTarget(amd), v1.Platform{})

	b := mustResolve(t, repo.name, release)

	assertAttached(t, b.Attached, []Artifact{
		{Kind: KindSignature, Subject: build, Tag: idxSig},
		{Kind: KindOther, Subject: amd, Platform: "linux/amd64", Tag: tagTarget(amd)},
		{Kind: KindSignature, Subject: amd, Platform: "linux/amd64", Tag: amdSig},
		{Kind: KindAttestation, Subject: arm, Platform: "linux/arm64/v8", Tag: armAtt},
		{Kind: KindSignature, Subject: arm, Platform: "linux/arm64/v8", Tag: armSig},
	})
}

// With the OCI 1.1 referrers API, referrers are listed with their digest
// and artifact type, and classified by it.
func TestResolveReferrers(t *testing.T) {
	repo := newReferrersRepo(t, nil)
	build := repo.pushIndex("v20260822-v1.2.3", repo.index(types.OCIImageIndex, amd64, arm64))
	sub := repo.descriptor("v20260822-v1.2.3")
	sig := repo.pushReferrer(sub, cosignSigType, nil)
	bundleSig := repo.pushReferrer(sub, sigstoreBundle, map[string]string{
		"dev.sigstore.bundle.content":       "dsse-envelope",
		"dev.sigstore.bundle.predicateType": "https://sigstore.dev/cosign/sign/v1",
	})
	provenance := repo.pushReferrer(sub, sigstoreBundle, map[string]string{
		"dev.sigstore.bundle.content":       "dsse-envelope",
		"dev.sigstore.bundle.predicateType": "https://slsa.dev/provenance/v1",
	})
	sbom := repo.pushReferrer(sub, spdxType, nil)
	other := repo.pushReferrer(sub, "application/vnd.example.report+json", nil)
	tagSig := repo.pushArtifactTag(build, "sig")

	b := mustResolve(t, repo.name, release)

	want := []Artifact{
		{Kind: KindSignature, Subject: build, Tag: tagSig},
		{Kind: KindSignature, Subject: build, Digest: sig, ArtifactType: cosignSigType},
		{Kind: KindSignature, Subject: build, Digest: bundleSig, ArtifactType: sigstoreBundle},
		{Kind: KindAttestation, Subject: build, Digest: provenance, ArtifactType: sigstoreBundle},
		{Kind: KindSBOM, Subject: build, Digest: sbom, ArtifactType: spdxType},
		{Kind: KindOther, Subject: build, Digest: other, ArtifactType: "application/vnd.example.report+json"},
	}
	slices.SortFunc(want[1:], func(a, b Artifact) int { return strings.Compare(a.Digest, b.Digest) })
	assertAttached(t, b.Attached, want)
	if b.ReferrersNote != "" {
		t.Errorf("ReferrersNote = %q", b.ReferrersNote)
	}
}

// On a registry without the referrers API, clients keep the referrers in
// an index under the tag sha256-<hex> (ggcr's remote.Write does): it is
// read because the listing has it, and not reported as a tag of its own.
func TestResolveReferrersTagFallback(t *testing.T) {
	repo := newTestRepo(t, nil)
	build := repo.pushImage("v20260822-v1.2.3", amd64)
	sig := repo.pushReferrer(repo.descriptor("v20260822-v1.2.3"), cosignSigType, nil)
	ct := &countingTransport{}

	b := mustResolve(t, repo.name, release, WithTransport(ct))

	assertAttached(t, b.Attached, []Artifact{
		{Kind: KindSignature, Subject: build, Tag: tagTarget(build), Digest: sig, ArtifactType: cosignSigType},
	})
	if !slices.Contains(ct.snapshot(), "GET http /v2/k8s-staging-apisnoop/snoopdb/manifests/"+tagTarget(build)) {
		t.Errorf("calls %q do not read the referrers tag", ct.snapshot())
	}
}

func TestResolveReferrersFaults(t *testing.T) {
	referrersAPI := func(req *http.Request) bool { return strings.Contains(req.URL.Path, "/referrers/") }
	for _, tc := range []struct {
		name      string
		status    int
		code      string
		transient bool   // the resolve fails, to be retried
		note      string // or it succeeds with this in ReferrersNote
	}{
		{"503", http.StatusServiceUnavailable, "UNAVAILABLE", true, ""},
		{"429", http.StatusTooManyRequests, "TOOMANYREQUESTS", true, ""},
		{"403", http.StatusForbidden, "DENIED", false, "HTTP 403"},
		{"405", http.StatusMethodNotAllowed, "UNSUPPORTED", false, "HTTP 405"},
		// What registries without the API answer: none, and nothing to say.
		{"404", http.StatusNotFound, "NAME_UNKNOWN", false, ""},
		{"400", http.StatusBadRequest, "UNSUPPORTED", false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &faults{status: tc.status, code: tc.code, match: referrersAPI}
			repo := newReferrersRepo(t, f.wrap)
			build := repo.pushImage("v20260822-v1.2.3", amd64)
			repo.pushReferrer(repo.descriptor("v20260822-v1.2.3"), cosignSigType, nil)
			f.n = 1

			b, err := resolve(t, repo.name, release)

			switch {
			case tc.transient:
				if !IsTransient(err) || !strings.Contains(err.Error(), "referrers") {
					t.Fatalf("err = %v, want a transient error about referrers", err)
				}
				if b := mustResolve(t, repo.name, release); len(b.Attached) != 1 {
					t.Errorf("retry: Attached = %+v, want the signature", b.Attached)
				}
			case err != nil:
				t.Fatalf("err = %v; a registry that does not list referrers must not fail the resolve", err)
			case b.Digest != build || len(b.Attached) != 0:
				t.Errorf("got %s with %+v, want %s and no referrers", b.Digest, b.Attached, build)
			case tc.note == "" && b.ReferrersNote != "":
				t.Errorf("ReferrersNote = %q, want none", b.ReferrersNote)
			case !strings.Contains(b.ReferrersNote, tc.note) || (tc.note != "" && !strings.Contains(b.ReferrersNote, "not checked")):
				t.Errorf("ReferrersNote = %q, want it to say referrers were not checked (%s)", b.ReferrersNote, tc.note)
			}
		})
	}
}

// The referrers tag was listed, then a 5xx on reading it: look again.
func TestResolveReferrersTagTransient(t *testing.T) {
	f := &faults{status: http.StatusBadGateway, code: "UNAVAILABLE", match: pathContains("/manifests/sha256-")}
	repo := newTestRepo(t, f.wrap)
	repo.pushImage("v20260822-v1.2.3", amd64)
	repo.pushReferrer(repo.descriptor("v20260822-v1.2.3"), cosignSigType, nil)
	f.n = 1

	_, err := resolve(t, repo.name, release)

	if !IsTransient(err) || !strings.Contains(err.Error(), "referrers tag") {
		t.Fatalf("err = %v, want a transient error naming the referrers tag", err)
	}
}

func TestReferrerKind(t *testing.T) {
	for _, tc := range []struct {
		artifactType string
		annotations  map[string]string
		want         ArtifactKind
	}{
		{cosignSigType, nil, KindSignature},
		{"application/vnd.dev.cosign.simplesigning.v1+json", nil, KindSignature},
		{"application/vnd.cncf.notary.signature", nil, KindSignature},
		{"application/vnd.in-toto+json", nil, KindAttestation},
		{"application/vnd.dsse.envelope.v1+json", nil, KindAttestation},
		{"application/vnd.cyclonedx+json", nil, KindSBOM},
		{"text/spdx", nil, KindSBOM},
		{sigstoreBundle, map[string]string{"dev.sigstore.bundle.content": "message-signature"}, KindSignature},
		{sigstoreBundle, map[string]string{"dev.sigstore.bundle.predicateType": "https://spdx.dev/Document"}, KindSBOM},
		{sigstoreBundle, map[string]string{"dev.sigstore.bundle.predicateType": "https://openvex.dev/ns/v0.2.0"}, KindAttestation},
		// cosign drops the annotations in the referrers tag: say no more than is known.
		{sigstoreBundle, nil, KindOther},
		{"", nil, KindOther},
		{"application/vnd.oci.image.config.v1+json", nil, KindOther},
	} {
		if got := referrerKind(tc.artifactType, tc.annotations); got != tc.want {
			t.Errorf("referrerKind(%q, %v) = %s, want %s", tc.artifactType, tc.annotations, got, tc.want)
		}
	}
}
