package e2e

import (
	"testing"

	"sigs.k8s.io/promoter/pkg/promoter"
	"sigs.k8s.io/promoter/test/fakegithub/server"
	"sigs.k8s.io/promoter/test/harness"
)

// A release-grouped images.yaml, as kops keeps it: one group per release,
// each headed by a comment naming it, the image names repeated in every
// group, the newest group last. A new release is a new group at the end,
// in the same shape; it is not spliced into the oldest group.
const kopsImages = `# v1.29.0
- name: dns-controller
  dmap:
    "sha256:1111111111111111111111111111111111111111111111111111111111111111": ["v1.29.0"]
- name: kops-controller
  dmap:
    "sha256:2222222222222222222222222222222222222222222222222222222222222222": ["v1.29.0"]

# v1.30.0
- name: dns-controller
  dmap:
    "sha256:3333333333333333333333333333333333333333333333333333333333333333": ["v1.30.0"]
- name: kops-controller
  dmap:
    "sha256:4444444444444444444444444444444444444444444444444444444444444444": ["v1.30.0"]
`

func TestReleaseGroupedManifestGetsANewGroup(t *testing.T) {
	const path = "registry.k8s.io/images/k8s-staging-kops/images.yaml"
	reg := harness.StartRegistry()
	t.Cleanup(reg.Close)
	config := `
manifestRepo: kubernetes/k8s.io
projects:
- name: kops
  repo: kubernetes/kops
  stagingRegistry: ` + reg.Host + `/k8s-staging-kops
  gitTags: '^v\d+\.\d+\.\d+$'
  images:
  - name: dns-controller
  - name: kops-controller
`
	e := newEnvConfig(t, config)
	if _, err := server.Commit(e.s.Root, "kubernetes", "k8s.io", "main", map[string][]byte{path: []byte(kopsImages)}, "kops images"); err != nil {
		t.Fatal(err)
	}
	var err error
	commit, err := server.InitRepo(e.s.Root, "kubernetes", "kops", map[string][]byte{"VERSION": []byte("1.31.0\n")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := server.Tag(e.s.Root, "kubernetes", "kops", "v1.31.0", commit, false); err != nil {
		t.Fatal(err)
	}
	digests := map[string]string{}
	for _, img := range []string{"kops-controller", "dns-controller"} {
		if digests[img], err = reg.PushIndex("k8s-staging-kops/"+img, "v20261201-v1.31.0", "linux/amd64", "linux/arm64"); err != nil {
			t.Fatal(err)
		}
	}
	e.start()
	if code, err := harness.Send(e.s.Promoter, "push", harness.TagPushEvent("kubernetes/kops", "v1.31.0", commit, commit), secret); err != nil || code != 200 {
		t.Fatalf("webhook: %d %v", code, err)
	}
	ctx, cancel := harness.Deadline(wait)
	defer cancel()
	var st promoter.Status
	if err := harness.WaitFor(ctx, e.s.P, "the kops promotion", func() bool {
		st, _ = harness.Promotion(e.s.Promoter, "kops", "v1.31.0")
		return st.Stage == promoter.StagePROpen || st.Stage == promoter.StageFailed
	}); err != nil || st.Stage != promoter.StagePROpen {
		t.Fatalf("%v: %+v", err, st)
	}
	got, err := server.ReadFile(e.s.Root, bot, "k8s.io", "refs/heads/kops-v1.31.0-image-promotion", path)
	if err != nil {
		t.Fatal(err)
	}
	want := kopsImages + `
# v1.31.0
- name: dns-controller
  dmap:
    "` + digests["dns-controller"] + `": ["v1.31.0"]
- name: kops-controller
  dmap:
    "` + digests["kops-controller"] + `": ["v1.31.0"]
`
	if string(got) != want {
		t.Errorf("the new release must be a new group at the end:\n%s\nwant:\n%s", got, want)
	}
}
