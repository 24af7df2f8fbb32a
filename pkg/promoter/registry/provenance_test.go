package registry

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

const (
	commit = "5d7ea35c0f4bd3d2a9b1a1f3c3b0e8f2a1c4d6e7"
	source = "https://github.com/kubernetes-sigs/apisnoop"
)

// labelled returns r.image(p) with labels in its config, as a Dockerfile
// LABEL or buildx --label writes them.
func (r *testRepo) labelled(p v1.Platform, labels map[string]string) v1.Image {
	r.t.Helper()
	img := r.image(p)
	cfg, err := img.ConfigFile()
	if err != nil {
		r.t.Fatal(err)
	}
	cfg = cfg.DeepCopy()
	cfg.Config.Labels = labels
	img, err = mutate.ConfigFile(img, cfg)
	if err != nil {
		r.t.Fatal(err)
	}
	return img
}

func assertProvenance(t *testing.T, b Build, revision, source, from string) {
	t.Helper()
	if b.Revision != revision || b.Source != source || b.ProvenanceFrom != from {
		t.Errorf("Revision %q, Source %q, from %q\nwant     %q, %q, from %q", b.Revision, b.Source, b.ProvenanceFrom, revision, source, from)
	}
}

func TestProvenanceIndexAnnotation(t *testing.T) {
	repo := newTestRepo(t, nil)
	idx := repo.index(types.OCIImageIndex, amd64, arm64)
	idx = mutate.Annotations(idx, map[string]string{revisionKey: commit, sourceKey: source}).(v1.ImageIndex)
	repo.pushIndex("v20260822-v1.2.3", idx)

	assertProvenance(t, mustResolve(t, repo.name, release), commit, source, "index annotations")
}

func TestProvenanceImageConfigLabel(t *testing.T) {
	repo := newTestRepo(t, nil)
	img := repo.labelled(amd64, map[string]string{revisionKey: commit, sourceKey: source, "maintainer": "x"})
	if err := remote.Write(repo.ref("v20260822-v1.2.3"), img); err != nil {
		t.Fatal(err)
	}

	assertProvenance(t, mustResolve(t, repo.name, release), commit, source, "config labels")
}

// A manifest annotation wins over a config label; a key only the label
// has still comes from it.
func TestProvenanceAnnotationOverLabel(t *testing.T) {
	repo := newTestRepo(t, nil)
	img := repo.labelled(amd64, map[string]string{revisionKey: "0000000", sourceKey: source})
	img = mutate.Annotations(img, map[string]string{revisionKey: commit}).(v1.Image)
	if err := remote.Write(repo.ref("v20260822-v1.2.3"), img); err != nil {
		t.Fatal(err)
	}

	assertProvenance(t, mustResolve(t, repo.name, release), commit, source, "manifest annotations, config labels")
}

// An index without a revision annotation stands for its images: the first
// child's labels are read (a manifest and a config GET).
func TestProvenanceIndexFromFirstChild(t *testing.T) {
	repo := newTestRepo(t, nil)
	labels := map[string]string{revisionKey: commit, sourceKey: source}
	idx := mutate.AppendManifests(repo.withAttestation(mutate.IndexMediaType(empty.Index, types.OCIImageIndex)),
		mutate.IndexAddendum{Add: repo.labelled(arm64, labels), Descriptor: v1.Descriptor{Platform: &arm64}},
		mutate.IndexAddendum{Add: repo.labelled(amd64, labels), Descriptor: v1.Descriptor{Platform: &amd64}},
	)
	// The index names its source but not its revision: the child is read.
	idx = mutate.Annotations(idx, map[string]string{sourceKey: "https://example.com/index"}).(v1.ImageIndex)
	repo.pushIndex("v20260822-v1.2.3", idx)

	b := mustResolve(t, repo.name, release)

	assertProvenance(t, b, commit, "https://example.com/index", "index annotations, the linux/arm64/v8 image's config labels")
}

func TestProvenanceNone(t *testing.T) {
	repo := newTestRepo(t, nil)
	repo.pushIndex("v20260822-v1.2.3", repo.index(types.OCIImageIndex, amd64))
	repo.pushImage("v20260821-v1.2.3", amd64)

	assertProvenance(t, mustResolve(t, repo.name, release), "", "", "")
	assertProvenance(t, mustResolve(t, repo.name, regexp.MustCompile(regexp.QuoteMeta("v20260821-v1.2.3"))), "", "", "")
}

// An index whose child is gone cannot be promoted: say so, and do not ask
// for a retry that cannot help.
func TestProvenanceBrokenIndex(t *testing.T) {
	repo := newTestRepo(t, nil)
	idx := repo.index(types.OCIImageIndex, amd64, arm64)
	repo.pushIndex("v20260822-v1.2.3", idx)
	child, _ := firstChildOf(t, idx)
	if err := remote.Delete(repo.ref("x").Context().Digest(child)); err != nil {
		t.Fatal(err)
	}

	_, err := resolve(t, repo.name, release)

	if err == nil || IsTransient(err) || !strings.Contains(err.Error(), child) || !strings.Contains(err.Error(), "broken") {
		t.Fatalf("err = %v, want a permanent error naming child %s and saying the build is broken", err, child)
	}
}

func TestProvenanceChildTransient(t *testing.T) {
	f := &faults{status: http.StatusServiceUnavailable, code: "UNAVAILABLE", match: pathContains("/manifests/sha256:")}
	repo := newTestRepo(t, f.wrap)
	repo.pushIndex("v20260822-v1.2.3", repo.index(types.OCIImageIndex, amd64, arm64))
	f.n = 1

	if _, err := resolve(t, repo.name, release); !IsTransient(err) {
		t.Fatalf("err = %v, want transient", err)
	}
	mustResolve(t, repo.name, release)
}
