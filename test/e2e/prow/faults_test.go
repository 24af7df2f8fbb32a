//go:build e2e

package prow

import (
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/promoter/pkg/promoter"
	"sigs.k8s.io/promoter/test/fakegithub/server"
	"sigs.k8s.io/promoter/test/harness"
)

// Each fault case turns one fault on, sends a tag push, and requires that
// the fault was really hit and that, once it heals, the promotion completes
// with exactly one correct PR. Each logs "recovered in": from the push to
// the PR.

// underGitHubFault promotes tag with fault f on, then checks f was hit
// (exactly hits times when hits > 0).
func underGitHubFault(t *testing.T, w *world, tag string, f server.Fault, hits int) {
	digests, commit := w.releaseUnder(t, apisnoop, tag, func() { f = w.addFault(t, f) })
	took := w.pushAndPromote(t, apisnoop, tag, commit, digests)
	w.faultHit(t, f.ID, hits)
	t.Logf("recovered in %.1fs (push to PR)", took.Seconds())
}

func (w *world) addFault(t *testing.T, f server.Fault) server.Fault {
	t.Helper()
	f, err := harness.AddFault(w.s.GitHub, f)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// faultHit checks the stand-in's fault id was hit (exactly want times when
// want > 0).
func (w *world) faultHit(t *testing.T, id, want int) {
	t.Helper()
	if got := w.s.FaultHits(t, id); got == 0 || (want > 0 && got != want) {
		t.Fatalf("the fault was hit %d times, want %d", got, want)
	}
}

// awaitRecovery waits for tag's PR after a fault the case itself healed,
// logs the time from the push and from the healing, and checks the PR.
func (w *world) awaitRecovery(t *testing.T, p harness.Project, tag, commit string, digests map[string]string, pushed, healed time.Time) {
	t.Helper()
	w.s.AwaitStage(t, p.Name, tag, promoter.StagePROpen)
	t.Logf("recovered in %.1fs (push to PR), %.1fs after the fault ended", time.Since(pushed).Seconds(), time.Since(healed).Seconds())
	w.s.CheckPromoted(t, p, tag, commit, digests)
}

// Prow's client retries 5xx itself (2 s, then 4 s).
func github500(t *testing.T, w *world) {
	underGitHubFault(t, w, "v2.0.0", server.Fault{Method: "GET", Path: "/contents/" + apisnoop.Images, Status: 500, Times: 2}, 2)
}

// GraphQL is not retried by Prow's client: promoter's queue retries the
// whole promotion, which is idempotent.
func github502(t *testing.T, w *world) {
	underGitHubFault(t, w, "v2.1.0", server.Fault{Method: "POST", Path: "/graphql", Status: 502, Times: 2}, 2)
}

// A secondary rate limit on opening the PR: Prow's client waits Retry-After
// and sends it again; one PR results, not two.
func githubSecondaryLimit(t *testing.T, w *world) {
	underGitHubFault(t, w, "v2.2.0", server.Fault{Method: "POST", Path: "/repos/kubernetes/k8s.io/pulls",
		Status: 403, RetryAfter: 1, Times: 1}, 1)
}

func githubSlow(t *testing.T, w *world) {
	underGitHubFault(t, w, "v2.3.0", server.Fault{DelayMs: 1500}, 0)
}

// githubHang: every read of apisnoop's images.yaml hangs for 2 minutes,
// longer than promoter's GitHub request timeout (5 s here). While apisnoop's
// worker waits, kueue's tag is promoted; once the hang ends (the fault is
// removed), apisnoop's promotion completes too. kueue's job runs show only
// once the hang began, so its promotion cannot have happened before.
func githubHang(t *testing.T, w *world) {
	var f server.Fault
	aDigests, aCommit := w.releaseUnder(t, apisnoop, "v2.4.0", func() {
		f = w.addFault(t, server.Fault{Method: "GET", Path: "/contents/" + apisnoop.Images, DelayMs: 120000})
	})
	kDigests := w.stage(t, kueue, "v9.9.0", "linux/amd64") // kueue does not require multi-arch
	kCommit := w.tag(t, kueue, "v9.9.0")
	pushed := time.Now()
	w.pushTag(t, apisnoop, "v2.4.0")
	w.s.Await(t, "the hung read", func() bool { return w.s.FaultHits(t, f.ID) > 0 })
	hungSince := time.Now()
	t.Log("kueue's tag, released and pushed while apisnoop's read hangs")
	w.jobs(kueue, "v9.9.0", kCommit, "success")
	w.pushAndPromote(t, kueue, "v9.9.0", kCommit, kDigests)
	if st, _ := harness.Promotion(w.s.Promoter, apisnoop.Name, "v2.4.0"); st.Stage == promoter.StagePROpen {
		t.Fatalf("apisnoop was promoted through a hung read")
	}
	t.Logf("kueue promoted %.1fs into apisnoop's hang", time.Since(hungSince).Seconds())
	if err := harness.ClearFaults(w.s.GitHub); err != nil {
		t.Fatal(err)
	}
	w.awaitRecovery(t, apisnoop, "v2.4.0", aCommit, aDigests, pushed, time.Now())
}

// commitAfterRef: createRef succeeds, createCommitOnBranch fails until the
// fault is removed. While it fails, the fork must hold no branch for the
// tag (a branch at the base would be an orphan at the wrong tree).
func commitAfterRef(t *testing.T, w *world) {
	p, tag := apisnoop, "v2.5.0"
	var f server.Fault
	digests, commit := w.releaseUnder(t, p, tag, func() {
		f = w.addFault(t, server.Fault{Method: "POST", Path: "/graphql", Body: "createCommitOnBranch", Status: 502})
	})
	pushed := time.Now()
	w.pushTag(t, p, tag)
	w.s.Await(t, "a failed commit attempt", func() bool {
		st, _ := harness.Promotion(w.s.Promoter, p.Name, tag)
		return strings.Contains(st.Error, "committing")
	})
	// promoter retries at once (the job's success enqueues the tag too), so
	// a look now could land between a retry's createRef and its commit.
	// Stop it (SIGTERM: the attempt in flight ends, its rollback included)
	// and look at a quiet fork.
	w.s.P.Stop()
	if b := w.s.ForkBranch(p.Branch(tag)); b != "" {
		t.Fatalf("after the failed commits the fork has branch %s at %.12s", p.Branch(tag), b)
	}
	w.faultHit(t, f.ID, 0)
	if err := harness.ClearFaults(w.s.GitHub); err != nil {
		t.Fatal(err)
	}
	healed := time.Now()
	// The restart's resync finds the finished job runs and promotes.
	w.startPromoter(t)
	w.awaitRecovery(t, p, tag, commit, digests, pushed, healed)
}

// ---------------------------------------------------------------- registry

// underRegistryFault promotes tag while the proxy fails n requests.
func underRegistryFault(t *testing.T, w *world, tag string, status, n, retryAfter int) {
	_, before := w.proxy.Counts()
	digests, commit := w.releaseUnder(t, apisnoop, tag, func() { w.proxy.Fail(status, n, retryAfter) })
	took := w.pushAndPromote(t, apisnoop, tag, commit, digests)
	if _, failed := w.proxy.Counts(); failed-before < n {
		t.Fatalf("only %d of the %d injected failures were hit", failed-before, n)
	}
	t.Logf("recovered in %.1fs (push to PR)", took.Seconds())
}

func registry5xx(t *testing.T, w *world) { underRegistryFault(t, w, "v3.0.0", 503, 4, 0) }

func registry429(t *testing.T, w *world) { underRegistryFault(t, w, "v3.1.0", 429, 3, 1) }

// registryDown stops docker-registry and the proxy's listener, so promoter
// gets connection refused; promoter keeps retrying; once both are back the
// promotion completes.
func registryDown(t *testing.T, w *world) {
	p, tag := apisnoop, "v3.2.0"
	digests, commit := w.releaseUnder(t, p, tag, func() {
		w.reg.Stop()
		if err := w.proxy.Down(); err != nil {
			t.Fatal(err)
		}
	})
	pushed := time.Now()
	w.pushTag(t, p, tag)
	// Down for a while: at least 5 s, and until promoter has failed three
	// attempts on it.
	retries := func() float64 { n, _ := w.s.Metric("promoter_promotion_retries_total", `reason="transient"`); return n }
	before, downSince := retries(), time.Now()
	var st promoter.Status
	w.s.Await(t, "promoter to fail three attempts on the down registry", func() bool {
		st, _ = harness.Promotion(w.s.Promoter, p.Name, tag)
		return strings.Contains(st.Error, "connection refused") && retries() >= before+3 &&
			time.Since(downSince) > 5*time.Second
	})
	t.Logf("registry down for %.1fs", time.Since(downSince).Seconds())
	if st.Stage == promoter.StageFailed {
		t.Fatalf("a registry outage failed the promotion: %s", st.Error)
	}
	w.heal(t) // docker-registry and the proxy come back
	w.awaitRecovery(t, p, tag, commit, digests, pushed, time.Now())
}

// registryHang: every request for kueue's staging images hangs (2 min),
// longer than promoter's registry timeout (30 s per operation). apisnoop's
// tag, released and pushed after kueue's, is promoted meanwhile; kueue's
// attempt gives up at the timeout and, once the hang ends, completes.
func registryHang(t *testing.T, w *world) {
	kDigests := w.stage(t, kueue, "v9.9.1", "linux/amd64")
	kCommit := w.tag(t, kueue, "v9.9.1")
	aDigests := w.stage(t, apisnoop, "v3.3.0")
	aCommit := w.tag(t, apisnoop, "v3.3.0")
	w.proxy.Hang("/k8s-staging-kueue/", 2*time.Minute)
	w.jobs(kueue, "v9.9.1", kCommit, "success")
	pushed := time.Now()
	w.pushTag(t, kueue, "v9.9.1")
	t.Log("apisnoop's tag, released and pushed while kueue's registry hangs")
	w.jobs(apisnoop, "v3.3.0", aCommit, "success")
	w.pushAndPromote(t, apisnoop, "v3.3.0", aCommit, aDigests)
	t.Logf("apisnoop promoted %.1fs into kueue's registry hang", time.Since(pushed).Seconds())
	var st promoter.Status
	w.s.Await(t, "kueue's attempt to time out", func() bool {
		st, _ = harness.Promotion(w.s.Promoter, kueue.Name, "v9.9.1")
		return strings.Contains(st.Error, "deadline exceeded")
	})
	t.Logf("kueue's attempt gave up after %.1fs: %.120s", time.Since(pushed).Seconds(), st.Error)
	w.proxy.Hang("", 0)
	w.awaitRecovery(t, kueue, "v9.9.1", kCommit, kDigests, pushed, time.Now())
}
