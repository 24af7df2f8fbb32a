// Command demo shows promoter end to end on one machine, with no network and
// no Docker: an in-process OCI registry holding a multi-arch staging image,
// the GitHub stand-in seeded with apisnoop's real manifests, and the real
// promoter binary receiving a signed tag-push webhook. It prints the PR.
//
//	make demo   (builds bin/promoter and bin/fakegithub, then runs this)
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"sigs.k8s.io/promoter/pkg/promoter"
	"sigs.k8s.io/promoter/test/fakegithub/server"
	"sigs.k8s.io/promoter/test/harness"
)

const config = `manifestRepo: kubernetes/k8s.io
manifestBranch: main
projects:
- name: apisnoop
  repo: kubernetes-sigs/apisnoop
  gitTags: '^v\d+\.\d+\.\d+$'
  stagingTag: 'v\d{8}-{{.Tag}}'
  images:
  - name: snoopdb
    job: apisnoop-push-snoopdb-images
  - name: auditlogger
    job: apisnoop-push-auditlogger-images
  reviewers: [hh, bobymcbobs]
  requireMultiArch: true
`

func main() {
	promoterBin := flag.String("promoter", "bin/promoter", "promoter binary")
	fakegithubBin := flag.String("fakegithub", "bin/fakegithub", "GitHub stand-in binary")
	keep := flag.Bool("keep", false, "keep the working directory (the stand-in's git repositories) for a look afterwards")
	flag.Parse()
	if err := run(*promoterBin, *fakegithubBin, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "demo failed:", err)
		os.Exit(1)
	}
}

func run(promoterBin, fakegithubBin string, keep bool) error {
	start := time.Now()
	dir, err := os.MkdirTemp("", "promoter-demo-")
	if err != nil {
		return err
	}
	if !keep {
		defer os.RemoveAll(dir)
	}
	reg := harness.StartRegistry()
	defer reg.Close()
	step("Staging registry (go-containerregistry pkg/registry) at %s", reg.Host)

	build := "v" + time.Now().UTC().Format("20060102") + "-v0.3.0"
	for _, img := range []string{"snoopdb", "auditlogger"} {
		d, err := reg.PushIndex("k8s-staging-apisnoop/"+img, build, "linux/amd64", "linux/arm64/v8", "linux/ppc64le")
		if err != nil {
			return err
		}
		step("Pushed %s/k8s-staging-apisnoop/%s:%s -> %s (index: linux/amd64, linux/arm64/v8, linux/ppc64le)", reg.Host, img, build, d)
	}

	ctx, cancel := harness.Deadline(time.Minute)
	defer cancel()
	s, err := harness.NewStack(ctx, harness.StackOptions{
		Dir: dir, PromoterBin: promoterBin, FakeGitHubBin: fakegithubBin,
		Config: config, Secret: "demo-hmac-secret", Token: "demo-token",
	})
	if err != nil {
		return err
	}
	defer s.Stop()
	base, err := harness.SeedManifestRepo(s.Root, reg.Host+"/k8s-staging-apisnoop")
	if err != nil {
		return err
	}
	if _, err := harness.SeedSourceRepo(s.Root); err != nil {
		return err
	}
	head, err := server.ResolveRef(s.Root, "kubernetes-sigs", "apisnoop", "refs/heads/main")
	if err != nil {
		return err
	}
	tagObject, err := server.Tag(s.Root, "kubernetes-sigs", "apisnoop", "v0.3.0", head, true)
	if err != nil {
		return err
	}
	step("GitHub stand-in at %s over git repositories in %s: kubernetes/k8s.io (apisnoop's real images.yaml), kubernetes-sigs/apisnoop (annotated tag v0.3.0)", s.GitHub, s.Root)

	if err := s.StartPromoter(ctx); err != nil {
		return err
	}
	step("promoter listening at %s", s.Promoter)

	code, err := harness.Send(s.Promoter, "push", harness.PushEvent("kubernetes-sigs/apisnoop", "v0.3.0", tagObject), s.Secret)
	if err != nil {
		return err
	}
	sent := time.Now()
	step("Sent a signed push webhook for tag v0.3.0: HTTP %d", code)

	var st promoter.Status
	err = harness.WaitFor(ctx, s.P, "the promotion PR", func() bool {
		st, _ = harness.Promotion(s.Promoter, "apisnoop", "v0.3.0")
		return st.Stage == promoter.StagePROpen || st.Stage == promoter.StageFailed
	})
	if err != nil {
		return fmt.Errorf("%w\npromoter output:\n%s", err, s.P.Output())
	}
	if st.Stage == promoter.StageFailed {
		return fmt.Errorf("promotion failed: %s\npromoter output:\n%s", st.Error, s.P.Output())
	}
	step("PR open %.2fs after the webhook (%.1fs since the demo started)", time.Since(sent).Seconds(), time.Since(start).Seconds())
	return show(s, base)
}

func show(s *harness.Stack, base string) error {
	prs, err := harness.PRs(s.GitHub, "kubernetes/k8s.io", "open")
	if err != nil {
		return err
	}
	if len(prs) != 1 {
		return fmt.Errorf("want one open PR, found %d", len(prs))
	}
	pr := prs[0]
	rule := strings.Repeat("-", 78)
	fmt.Printf("\n%s\nPR #%d  %s\nfrom %s:%s into kubernetes/k8s.io:%s\n%s\n%s\n", rule, pr.Number, pr.Title,
		pr.Head.Repo.Owner.Login, pr.Head.Ref, pr.Base.Ref, rule, pr.Body)
	diff, err := exec.Command("git", "--git-dir", server.RepoPath(s.Root, pr.Head.Repo.Owner.Login, "k8s.io"),
		"diff", base, "refs/heads/"+pr.Head.Ref).CombinedOutput()
	if err != nil {
		return fmt.Errorf("git diff: %v\n%s", err, diff)
	}
	fmt.Printf("%s\nThe commit's diff (git diff in the bot's fork):\n%s\n%s", rule, rule, diff)
	return nil
}

func step(format string, args ...any) {
	fmt.Printf("==> "+format+"\n", args...)
}
