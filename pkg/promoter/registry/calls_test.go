package registry

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// TestResolveCallCount pins the registry calls of a resolve so that a change
// adding calls fails here. ggcr's ping of a 127.0.0.1 registry tries https
// first, then plain http; against gcr.io it is one ping plus one anonymous
// token request instead, so the totals are the same there.
func TestResolveCallCount(t *testing.T) {
	repo := newTestRepo(t, nil)
	path := "GET http /v2/k8s-staging-apisnoop/snoopdb/"
	repo.pushIndex("v20260822-v1.2.3", repo.index(types.OCIImageIndex, amd64, arm64))
	img := repo.image(amd64)
	if err := remote.Write(repo.ref("v20260822-v1.0.0"), img); err != nil {
		t.Fatal(err)
	}
	cfg, err := img.ConfigName()
	if err != nil {
		t.Fatal(err)
	}
	repo.pushImage("v20260821-v1.0.0", amd64)

	for _, tc := range []struct {
		name    string
		pattern string
		want    []string
	}{
		{"index", `v[0-9]{8}-v1\.2\.3`, []string{
			"GET https /v2/", "GET http /v2/",
			path + "tags/list",
			path + "manifests/v20260822-v1.2.3",
		}},
		{"image with a passed-over build", `v[0-9]{8}-v1\.0\.0`, []string{
			"GET https /v2/", "GET http /v2/",
			path + "tags/list",
			path + "manifests/v20260822-v1.0.0",
			path + "blobs/" + cfg.String(),
			"HEAD" + strings.TrimPrefix(path, "GET") + "manifests/v20260821-v1.0.0",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ct := &countingTransport{}
			mustResolve(t, repo.name, regexp.MustCompile(tc.pattern), WithTransport(ct), WithUserAgent("promoter-test"))

			if got := ct.snapshot(); !slices.Equal(got, tc.want) {
				t.Errorf("calls (%d):\n  %s\nwant (%d):\n  %s",
					len(got), strings.Join(got, "\n  "), len(tc.want), strings.Join(tc.want, "\n  "))
			}
			if !strings.HasPrefix(ct.agent, "promoter-test") {
				t.Errorf("User-Agent = %q, want the configured prefix", ct.agent)
			}
		})
	}
}
