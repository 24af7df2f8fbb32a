// Command demo shows promoter end to end on one machine, with no network and
// no Docker, in the flow apisnoop's real image jobs follow: they run on main
// only, so a release is the main-branch build of the tagged commit. An
// in-process OCI registry holds the staging images, a Deck serves the image
// jobs' runs, the GitHub stand-in is seeded with apisnoop's real manifests,
// and the real promoter binary runs with the shipped config/apisnoop.yaml.
// It prints each step, then the PR.
//
//	make demo   (builds bin/promoter and bin/fakegithub, then runs this)
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"sigs.k8s.io/promoter/pkg/promoter"
	"sigs.k8s.io/promoter/test/fakegithub/server"
	"sigs.k8s.io/promoter/test/harness"
)

// images are apisnoop's, each with its job in test-infra's
// config/jobs/image-pushing/k8s-staging-apisnoop.yaml.
var images = []struct{ name, job string }{
	{"snoopdb", "apisnoop-push-snoopdb-images"},
	{"auditlogger", "apisnoop-push-auditlogger-images"},
}

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
	root, err := harness.RepoRoot()
	if err != nil {
		return err
	}
	config, err := os.ReadFile(filepath.Join(root, "config", "apisnoop.yaml"))
	if err != nil {
		return err
	}
	reg := harness.StartRegistry()
	defer reg.Close()
	deck := harness.StartDeck()
	defer deck.Close()
	step("Staging registry (go-containerregistry pkg/registry) at %s; a Deck serving ProwJobs at %s", reg.Host, deck.URL)

	ctx, cancel := harness.Deadline(time.Minute)
	defer cancel()
	s, err := harness.NewStack(ctx, harness.StackOptions{
		Dir: dir, PromoterBin: promoterBin, FakeGitHubBin: fakegithubBin,
		Config: string(config), Secret: "demo-hmac-secret", Token: "demo-token",
		ExtraArgs: []string{"--deck-url", deck.URL, "--deck-poll-interval", "100ms"},
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
	step("GitHub stand-in at %s over git repositories in %s: kubernetes/k8s.io (apisnoop's real images.yaml and promoter-manifest.yaml, its src pointed at the registry above), kubernetes-sigs/apisnoop", s.GitHub, s.Root)

	release, err := server.Commit(s.Root, "kubernetes-sigs", "apisnoop", "main", map[string][]byte{"VERSION": []byte("0.3.0\n")}, "Release v0.3.0")
	if err != nil {
		return err
	}
	step("The release commit %.12s lands on kubernetes-sigs/apisnoop main: Prow starts its image jobs (branches: [^main$])", release)
	for _, img := range images {
		deck.Set(harness.Postsubmit(img.job+"-1", img.job, "kubernetes-sigs", "apisnoop", "main", release, "pending", time.Now()))
	}

	if err := s.StartPromoter(ctx); err != nil {
		return err
	}
	step("promoter (config/apisnoop.yaml, as shipped) listening at %s", s.Promoter)

	tagObject, err := server.Tag(s.Root, "kubernetes-sigs", "apisnoop", "v0.3.0", release, true)
	if err != nil {
		return err
	}
	code, err := harness.Send(s.Promoter, "push", harness.TagPushEvent("kubernetes-sigs/apisnoop", "v0.3.0", tagObject, release), s.Secret)
	if err != nil {
		return err
	}
	step("The maintainer tags that commit v0.3.0 (annotated) and GitHub sends the signed push webhook: HTTP %d", code)
	st, err := await(ctx, s, promoter.StageWaitingForJob)
	if err != nil {
		return err
	}
	step("promoter waits for the main-branch runs that built %.12s: %s", release, st.Error)

	build := "v" + time.Now().UTC().Format("20060102") + "-v0.2.0-1-g" + release[:9]
	for _, img := range images {
		d, err := reg.PushIndex("k8s-staging-apisnoop/"+img.name, build, "linux/amd64", "linux/arm64/v8", "linux/ppc64le")
		if err != nil {
			return err
		}
		deck.Set(harness.Postsubmit(img.job+"-1", img.job, "kubernetes-sigs", "apisnoop", "main", release, "success", time.Now()))
		step("%s succeeded: pushed %s/k8s-staging-apisnoop/%s:%s -> %s (index: linux/amd64, linux/arm64/v8, linux/ppc64le)", img.job, reg.Host, img.name, build, d)
	}
	done := time.Now()
	if st, err = await(ctx, s, promoter.StagePROpen, promoter.StageFailed); err != nil {
		return err
	}
	if st.Stage == promoter.StageFailed {
		return fmt.Errorf("promotion failed: %s\npromoter output:\n%s", st.Error, s.P.Output())
	}
	step("PR open %.2fs after the jobs succeeded (%.1fs since the demo started)", time.Since(done).Seconds(), time.Since(start).Seconds())
	return show(s, base)
}

// await waits for v0.3.0's promotion to reach one of stages.
func await(ctx context.Context, s *harness.Stack, stages ...promoter.Stage) (promoter.Status, error) {
	var st promoter.Status
	err := harness.WaitFor(ctx, s.P, fmt.Sprintf("the promotion to reach %v", stages), func() bool {
		st, _ = harness.Promotion(s.Promoter, "apisnoop", "v0.3.0")
		return slices.Contains(stages, st.Stage)
	})
	if err != nil {
		return st, fmt.Errorf("%w\npromoter output:\n%s", err, s.P.Output())
	}
	return st, nil
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
