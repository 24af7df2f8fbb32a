package pullrequest

import (
	"strings"
	"testing"
)

func evidence() Evidence {
	return Evidence{
		Project: "apisnoop", GitTag: "v1.2.3", SourceRepo: "kubernetes-sigs/apisnoop",
		ManifestPath: "registry.k8s.io/images/k8s-staging-apisnoop/images.yaml",
		Reviewers:    []string{"hh", "@bobymcbobs"},
		Changes:      "- snoopdb: new digest\n",
		Images: []ImageEvidence{{
			Name: "snoopdb", Repository: "gcr.io/k8s-staging-apisnoop/snoopdb",
			Digest:     "sha256:" + strings.Repeat("a", 64),
			StagingTag: "v20261124-v1.2.3", PromotedTag: "v1.2.3",
			Platforms: []string{"linux/amd64", "linux/arm64"}, Index: true,
			Job:        "apisnoop-push-snoopdb-images",
			PassedOver: []Build{{Tag: "v20261123-v1.2.3", Digest: "sha256:" + strings.Repeat("b", 64)}},
		}},
	}
}

func TestBodyShowsTheEvidence(t *testing.T) {
	body := Body(evidence())
	for _, want := range []string{
		"| snoopdb | `gcr.io/k8s-staging-apisnoop/snoopdb@sha256:" + strings.Repeat("a", 64) + "` | `v20261124-v1.2.3` | `v1.2.3` | linux/amd64, linux/arm64 | `apisnoop-push-snoopdb-images` |",
		"snoopdb `v20261123-v1.2.3` (`sha256:" + strings.Repeat("b", 64) + "`)",
		"/cc @hh @bobymcbobs\n",
		"- snoopdb: new digest\n",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %q:\n%s", want, body)
		}
	}
	e := evidence()
	e.Images[0].Index, e.Images[0].Platforms = false, []string{"linux/amd64"}
	if !strings.Contains(Body(e), "linux/amd64 (single-arch)") {
		t.Error("a single-arch image is not flagged in the body")
	}
}

func TestMetadataRoundTrip(t *testing.T) {
	m, ok := ParseMetadata(Body(evidence()))
	if !ok {
		t.Fatal("no metadata found in the body")
	}
	if m.Project != "apisnoop" || m.Tag != "v1.2.3" || len(m.Images) != 1 ||
		m.Images[0] != (ImageMetadata{Name: "snoopdb", Digest: "sha256:" + strings.Repeat("a", 64), Tag: "v1.2.3"}) {
		t.Errorf("metadata %+v", m)
	}
	for _, body := range []string{"", "a human's PR", "<!-- promoter-metadata {broken -->", "<!-- promoter-metadata {} -->"} {
		if _, ok := ParseMetadata(body); ok {
			t.Errorf("ParseMetadata(%q) found metadata", body)
		}
	}
}

func TestNames(t *testing.T) {
	if got := BranchName("apisnoop", "v1.2.3"); got != "apisnoop-v1.2.3-image-promotion" {
		t.Errorf("branch %q", got)
	}
	if got := Title("apisnoop", "v1.2.3"); got != "Image promotion for apisnoop v1.2.3" {
		t.Errorf("title %q", got)
	}
}

func TestBlobIDMatchesGit(t *testing.T) {
	// `printf 'hello\n' | git hash-object --stdin`
	if got := blobID([]byte("hello\n")); got != "ce013625030ba8dba906f756967f9e9ca394464a" {
		t.Errorf("blobID = %s", got)
	}
}

// The body answers kubernetes/k8s.io's PR template point by point; the
// multi-arch box is ticked only when every image covers Kubernetes'
// supported platforms.
func TestBodyAnswersTheTemplate(t *testing.T) {
	e := evidence()
	body := Body(e)
	for _, want := range []string{
		"**What this PR does / why we need it**:",
		"**Special notes for your reviewer**:",
		"- [x] I have verified the digest with [gcrane]",
		"`crane digest gcr.io/k8s-staging-apisnoop/snoopdb:v20261124-v1.2.3` → `sha256:" + strings.Repeat("a", 64) + "`",
		"- [ ] I'm promoting a multi-arch image that matches all the [supported]",
		"snoopdb lacks linux/ppc64le, linux/s390x",
		"- [x] I'm not promoting a tag that resolves to latest or moving tags",
		"- [x] registry.k8s.io is an immutable registry",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %q:\n%s", want, body)
		}
	}
	e.Images[0].Platforms = []string{"linux/amd64", "linux/arm64/v8", "linux/ppc64le", "linux/s390x"}
	if body := Body(e); !strings.Contains(body, "- [x] I'm promoting a multi-arch image") {
		t.Errorf("all supported platforms, yet the box is not ticked:\n%s", body)
	}
}
