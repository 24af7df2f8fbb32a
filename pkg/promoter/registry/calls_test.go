package registry

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// TestResolveCallCount pins the registry calls of a resolve so that a change
// adding calls fails here. ggcr's ping of a 127.0.0.1 registry tries https
// first, then plain http; against gcr.io it is one ping plus one anonymous
// token request instead, so the totals are the same there. The calls after
// the chosen manifest run concurrently, so their order is not compared.
func TestResolveCallCount(t *testing.T) {
	repo := newTestRepo(t, nil)
	path := "GET http /v2/k8s-staging-apisnoop/snoopdb/"
	head := "HEAD http /v2/k8s-staging-apisnoop/snoopdb/"
	pings := []string{"GET https /v2/", "GET http /v2/"}

	idx := repo.index(types.OCIImageIndex, amd64, arm64)
	idxDigest := repo.pushIndex("v20260822-v1.2.3", idx)
	child, childConfig := firstChildOf(t, idx)

	annotated := mutate.Annotations(repo.index(types.OCIImageIndex, amd64, arm64), map[string]string{revisionKey: "abc1234"}).(v1.ImageIndex)
	annotatedDigest := repo.pushIndex("v20260822-v1.2.4", annotated)

	img := repo.image(amd64)
	if err := remote.Write(repo.ref("v20260822-v1.0.0"), img); err != nil {
		t.Fatal(err)
	}
	cfg, err := img.ConfigName()
	if err != nil {
		t.Fatal(err)
	}
	repo.pushImage("v20260821-v1.0.0", amd64)
	// A signature tag is free: it is in the listing already.
	repo.pushImage(tagTarget(digestOf(t, img))+".sig", v1.Platform{})

	for _, tc := range []struct {
		name    string
		pattern string
		want    []string
	}{
		{"index: its first child is read for provenance", `v[0-9]{8}-v1\.2\.3`, append(pings,
			path+"tags/list",
			path+"manifests/v20260822-v1.2.3",
			path+"referrers/"+idxDigest,
			path+"manifests/"+child,
			path+"blobs/"+childConfig,
		)},
		{"index with a revision annotation", `v[0-9]{8}-v1\.2\.4`, append(pings,
			path+"tags/list",
			path+"manifests/v20260822-v1.2.4",
			path+"referrers/"+annotatedDigest,
		)},
		{"signed image with a passed-over build", `v[0-9]{8}-v1\.0\.0`, append(pings,
			path+"tags/list",
			path+"manifests/v20260822-v1.0.0",
			path+"blobs/"+cfg.String(),
			path+"referrers/"+digestOf(t, img),
			head+"manifests/v20260821-v1.0.0",
		)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ct := &countingTransport{}
			mustResolve(t, repo.name, regexp.MustCompile(tc.pattern), WithTransport(ct), WithUserAgent("promoter-test"))
			assertCalls(t, ct, tc.want)
			if !strings.HasPrefix(ct.agent, "promoter-test") {
				t.Errorf("User-Agent = %q, want the configured prefix", ct.agent)
			}
		})
	}
}

// TestLookupCallCount: a lookup is one HEAD after ggcr's ping.
func TestLookupCallCount(t *testing.T) {
	repo := newTestRepo(t, nil)
	repo.pushImage("v1.2.3", amd64)
	ct := &countingTransport{}

	if _, found, err := New(WithTransport(ct)).Lookup(t.Context(), repo.name+":v1.2.3"); err != nil || !found {
		t.Fatalf("Lookup: found=%v err=%v", found, err)
	}
	assertCalls(t, ct, []string{"GET https /v2/", "GET http /v2/", "HEAD http /v2/k8s-staging-apisnoop/snoopdb/manifests/v1.2.3"})
}

func assertCalls(t *testing.T, ct *countingTransport, want []string) {
	t.Helper()
	got := ct.snapshot()
	slices.Sort(got)
	want = slices.Sorted(slices.Values(want))
	if !slices.Equal(got, want) {
		t.Errorf("calls (%d):\n  %s\nwant (%d):\n  %s",
			len(got), strings.Join(got, "\n  "), len(want), strings.Join(want, "\n  "))
	}
}

// firstChildOf returns the digests of idx's first child and of its config.
func firstChildOf(t *testing.T, idx v1.ImageIndex) (manifest, config string) {
	t.Helper()
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	img, err := idx.Image(im.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := img.ConfigName()
	if err != nil {
		t.Fatal(err)
	}
	return im.Manifests[0].Digest.String(), cfg.String()
}
