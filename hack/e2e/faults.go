package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"sigs.k8s.io/promoter/pkg/promoter"
	"sigs.k8s.io/promoter/test/fakegithub/server"
	"sigs.k8s.io/promoter/test/harness"
)

// Each fault case turns one fault on, sends a tag push, and requires that
// the fault was really hit and that, once it heals, the promotion completes
// with exactly one correct PR.

// underGitHubFault promotes tag with fault f on, then checks f was hit
// (exactly hits times when hits > 0).
func underGitHubFault(ctx context.Context, e *env, tag string, f server.Fault, hits int) error {
	digests, commit, err := e.release(apisnoop, tag)
	if err != nil {
		return err
	}
	if _, err := harness.AddFault(e.s.GitHub, f); err != nil {
		return err
	}
	if err := e.pushAndPromote(ctx, apisnoop, tag, commit, digests); err != nil {
		return err
	}
	return faultHit(e, hits)
}

// faultHit checks the stand-in's one fault was hit (exactly want times when
// want > 0).
func faultHit(e *env, want int) error {
	fs, err := harness.Faults(e.s.GitHub)
	if err != nil {
		return err
	}
	if len(fs) != 1 {
		return fmt.Errorf("want one fault, the stand-in lists %d", len(fs))
	}
	got := fs[0].Hits
	if got == 0 || (want > 0 && got != want) {
		return fmt.Errorf("the fault was hit %d times, want %d", got, want)
	}
	return nil
}

// Prow's client retries 5xx itself (2 s, then 4 s).
func github500(ctx context.Context, e *env) error {
	return underGitHubFault(ctx, e, "v2.0.0", server.Fault{Method: "GET",
		Path: "/contents/" + apisnoop.images, Status: 500, Times: 2}, 2)
}

// GraphQL is not retried by Prow's client: promoter's queue retries the
// whole promotion, which is idempotent.
func github502(ctx context.Context, e *env) error {
	return underGitHubFault(ctx, e, "v2.1.0", server.Fault{Method: "POST", Path: "/graphql", Status: 502, Times: 2}, 2)
}

// A secondary rate limit on opening the PR: Prow's client waits Retry-After
// and sends it again; one PR results, not two.
func githubSecondaryLimit(ctx context.Context, e *env) error {
	return underGitHubFault(ctx, e, "v2.2.0", server.Fault{Method: "POST", Path: "/repos/kubernetes/k8s.io/pulls",
		Status: 403, RetryAfter: 1, Times: 1}, 1)
}

func githubSlow(ctx context.Context, e *env) error {
	start := time.Now()
	err := underGitHubFault(ctx, e, "v2.3.0", server.Fault{DelayMs: 1500}, 0)
	if err == nil {
		fmt.Printf("    promoted in %.1fs with every GitHub call 1.5 s slow\n", time.Since(start).Seconds())
	}
	return err
}

// githubHang: every read of apisnoop's images.yaml hangs for 2 minutes,
// longer than promoter's GitHub request timeout (5 s here). While apisnoop's
// worker waits, kueue's tag is promoted; once the hang ends (the fault is
// removed), apisnoop's promotion completes too.
func githubHang(ctx context.Context, e *env) error {
	aDigests, aCommit, err := e.release(apisnoop, "v2.4.0")
	if err != nil {
		return err
	}
	kDigests, kCommit, err := e.prepare(kueue, "v9.9.0", "success", "linux/amd64") // kueue does not require multi-arch
	if err != nil {
		return err
	}
	if _, err := harness.AddFault(e.s.GitHub, server.Fault{Method: "GET", Path: "/contents/" + apisnoop.images, DelayMs: 120000}); err != nil {
		return err
	}
	if err := e.pushTag(apisnoop, "v2.4.0"); err != nil {
		return err
	}
	if err := e.await(ctx, "the hung read", func() bool { return faultHit(e, 0) == nil }); err != nil {
		return err
	}
	hungSince := time.Now()
	if err := e.pushAndPromote(ctx, kueue, "v9.9.0", kCommit, kDigests); err != nil {
		return fmt.Errorf("kueue, while apisnoop hangs: %w", err)
	}
	if st, _ := harness.Promotion(e.s.Promoter, apisnoop.name, "v2.4.0"); st.Stage == promoter.StagePROpen {
		return fmt.Errorf("apisnoop was promoted through a hung read")
	}
	fmt.Printf("    kueue promoted %.1fs into apisnoop's hang\n", time.Since(hungSince).Seconds())
	if err := harness.ClearFaults(e.s.GitHub); err != nil {
		return err
	}
	return e.awaitPromoted(ctx, apisnoop, "v2.4.0", aCommit, aDigests)
}

// commitAfterRef: createRef succeeds, createCommitOnBranch fails until the
// fault is removed. While it fails, the fork must hold no branch for the
// tag (a branch at the base would be an orphan at the wrong tree).
func commitAfterRef(ctx context.Context, e *env) error {
	p, tag := apisnoop, "v2.5.0"
	digests, commit, err := e.release(p, tag)
	if err != nil {
		return err
	}
	if _, err := harness.AddFault(e.s.GitHub, server.Fault{Method: "POST", Path: "/graphql", Body: "createCommitOnBranch", Status: 502}); err != nil {
		return err
	}
	if err := e.pushTag(p, tag); err != nil {
		return err
	}
	err = e.await(ctx, "a failed commit attempt", func() bool {
		st, _ := harness.Promotion(e.s.Promoter, p.name, tag)
		return strings.Contains(st.Error, "committing")
	})
	if err != nil {
		return err
	}
	// promoter retries at once (the job's success enqueues the tag too), so
	// a look now could land between a retry's createRef and its commit.
	// Stop it (SIGTERM: the attempt in flight ends, its rollback included)
	// and look at a quiet fork.
	e.s.P.Stop()
	if b := e.forkBranch(p, tag); b != "" {
		return fmt.Errorf("after the failed commits the fork has branch %s at %.12s", branch(p, tag), b)
	}
	if err := faultHit(e, 0); err != nil {
		return err
	}
	if err := harness.ClearFaults(e.s.GitHub); err != nil {
		return err
	}
	// The restart's resync finds the finished job runs and promotes.
	if err := e.startPromoter(ctx); err != nil {
		return err
	}
	return e.awaitPromoted(ctx, p, tag, commit, digests)
}

// ---------------------------------------------------------------- registry

// underRegistryFault promotes tag while the proxy fails n requests.
func underRegistryFault(ctx context.Context, e *env, tag string, status, n, retryAfter int) error {
	digests, commit, err := e.release(apisnoop, tag)
	if err != nil {
		return err
	}
	e.proxy.Fail(status, n, retryAfter)
	if err := e.pushAndPromote(ctx, apisnoop, tag, commit, digests); err != nil {
		return err
	}
	if _, failed := e.proxy.Counts(); failed < n {
		return fmt.Errorf("only %d of the %d injected failures were hit", failed, n)
	}
	return nil
}

func registry5xx(ctx context.Context, e *env) error {
	return underRegistryFault(ctx, e, "v3.0.0", 503, 4, 0)
}

func registry429(ctx context.Context, e *env) error {
	return underRegistryFault(ctx, e, "v3.1.0", 429, 3, 1)
}

// registryDown stops docker-registry and the proxy's listener, so promoter
// gets connection refused; promoter keeps retrying; once both are back the
// promotion completes.
func registryDown(ctx context.Context, e *env) error {
	p, tag := apisnoop, "v3.2.0"
	digests, commit, err := e.release(p, tag)
	if err != nil {
		return err
	}
	e.reg.Stop()
	if err := e.proxy.Down(); err != nil {
		return err
	}
	if err := e.pushTag(p, tag); err != nil {
		return err
	}
	// Down for a while: at least 5 s, and until promoter has failed three
	// attempts on it.
	retries := func() float64 { n, _ := e.s.Metric("promoter_promotion_retries_total", `reason="transient"`); return n }
	before, downSince := retries(), time.Now()
	var st promoter.Status
	err = e.await(ctx, "promoter to fail three attempts on the down registry", func() bool {
		st, _ = harness.Promotion(e.s.Promoter, p.name, tag)
		return strings.Contains(st.Error, "connection refused") && retries() >= before+3 &&
			time.Since(downSince) > 5*time.Second
	})
	if err != nil {
		return err
	}
	fmt.Printf("    registry down for %.1fs\n", time.Since(downSince).Seconds())
	if st.Stage == promoter.StageFailed {
		return fmt.Errorf("a registry outage failed the promotion: %s", st.Error)
	}
	e.heal() // docker-registry and the proxy come back
	return e.awaitPromoted(ctx, p, tag, commit, digests)
}

// registryHang: every request for kueue's staging images hangs (2 min),
// longer than promoter's registry timeout (30 s per operation). apisnoop's
// tag, pushed after kueue's, is promoted meanwhile; kueue's attempt gives up
// at the timeout and, once the hang ends, completes.
func registryHang(ctx context.Context, e *env) error {
	kDigests, kCommit, err := e.prepare(kueue, "v9.9.1", "success", "linux/amd64")
	if err != nil {
		return err
	}
	aDigests, aCommit, err := e.release(apisnoop, "v3.3.0")
	if err != nil {
		return err
	}
	e.proxy.Hang("/k8s-staging-kueue/", 2*time.Minute)
	start := time.Now()
	if err := e.pushTag(kueue, "v9.9.1"); err != nil {
		return err
	}
	if err := e.pushAndPromote(ctx, apisnoop, "v3.3.0", aCommit, aDigests); err != nil {
		return fmt.Errorf("apisnoop, while kueue's registry hangs: %w", err)
	}
	fmt.Printf("    apisnoop promoted %.1fs into kueue's registry hang\n", time.Since(start).Seconds())
	var st promoter.Status
	err = e.await(ctx, "kueue's attempt to time out", func() bool {
		st, _ = harness.Promotion(e.s.Promoter, kueue.name, "v9.9.1")
		return strings.Contains(st.Error, "deadline exceeded")
	})
	if err != nil {
		return err
	}
	fmt.Printf("    kueue's attempt gave up after %.1fs: %.120s\n", time.Since(start).Seconds(), st.Error)
	e.proxy.Hang("", 0)
	return e.awaitPromoted(ctx, kueue, "v9.9.1", kCommit, kDigests)
}

// ---------------------------------------------------------------- final checks

// noHalfWritten: every branch in the bot's fork besides main is the head of
// exactly one PR, that PR is open, and the branch changes something.
func noHalfWritten(ctx context.Context, e *env) error {
	out, err := e.git(bot, "k8s.io", "for-each-ref", "--format=%(refname:short)", "refs/heads/")
	if err != nil {
		return fmt.Errorf("git for-each-ref: %v: %s", err, out)
	}
	all, err := harness.PRs(e.s.GitHub, manifests, "all")
	if err != nil {
		return err
	}
	heads := map[string][]harness.PR{}
	for _, pr := range all {
		heads[pr.Head.Ref] = append(heads[pr.Head.Ref], pr)
	}
	n := 0
	for _, b := range strings.Fields(out) {
		if b == "main" {
			continue
		}
		n++
		prs := heads[b]
		if len(prs) != 1 || prs[0].State != "open" {
			return fmt.Errorf("branch %s has %d PRs (%+v), want one open", b, len(prs), prs)
		}
		if diff, _ := e.git(bot, "k8s.io", "diff", "--stat", "refs/heads/main", "refs/heads/"+b); diff == "" {
			return fmt.Errorf("branch %s holds no change: half-written", b)
		}
	}
	if n != len(all) {
		return fmt.Errorf("%d branches for %d PRs", n, len(all))
	}
	fmt.Printf("    %d branches, %d PRs, all open, each with its change\n", n, len(all))
	return nil
}

// noSecrets reads every log this run produced, promoter's over each
// restart included, and looks for the token and the HMAC secret.
func noSecrets(ctx context.Context, e *env) error {
	e.writeLogs()
	files, err := filepath.Glob(filepath.Join(e.logs, "*.log"))
	if err != nil {
		return err
	}
	lines := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		lines += strings.Count(string(b), "\n")
		for name, s := range map[string]string{"GitHub token": e.s.Token, "HMAC secret": e.s.Secret} {
			if strings.Contains(string(b), s) {
				return fmt.Errorf("%s holds the %s", filepath.Base(f), name)
			}
		}
	}
	if lines < 100 {
		return fmt.Errorf("only %d log lines in %d files: the check looked at nothing", lines, len(files))
	}
	fmt.Printf("    %d log lines in %d files checked\n", lines, len(files))
	return nil
}
