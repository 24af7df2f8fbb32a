package e2e

import (
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/promoter/pkg/promoter"
	"sigs.k8s.io/promoter/test/fakegithub/server"
	"sigs.k8s.io/promoter/test/harness"
)

// GitHub calls per promotion in the flow Prow really has: the tag push
// arrives while the image job is still pending (trigger starts the job on
// the same push), then the job succeeds. Counted by the stand-in; the
// README's table comes from this test's log (go test ./test/e2e -run
// TestGitHubCallsPerPromotion -v).

const callsConfig = `
manifestRepo: kubernetes/k8s.io
jobTimeout: 2m
jobWindow: 30s
resyncPeriod: 1h
projects:
- name: apisnoop
  repo: kubernetes-sigs/apisnoop
  gitTags: '^v\d+\.\d+\.\d+$'
  images:
  - name: snoopdb
    job: apisnoop-push-snoopdb-images
  reviewers: [hh]
  requireMultiArch: true
`

// Targets: at most 9 calls from the push to the open PR once the fork
// exists, at most 5 for a redelivery with nothing to change, no write for
// a tracked tag when promoter restarts and nothing changed.
const (
	maxPromotion  = 9
	maxRedelivery = 5
)

func TestGitHubCallsPerPromotion(t *testing.T) {
	deck := harness.StartDeck()
	t.Cleanup(deck.Close)
	e := &jobsEnv{env: newEnvConfig(t, callsConfig, "--deck-url", deck.URL, "--deck-poll-interval", "100ms"), deck: deck}
	e.start()
	e.quiet()
	start := e.requests()
	t.Logf("GitHub requests, one-time at start (%d): %s", total(start), describe(start))

	promote := func(tag string) (after string, calls map[string]int) {
		t.Helper()
		// Each release its own commit: the commit status is per commit.
		if _, err := server.Commit(e.s.Root, "kubernetes-sigs", "apisnoop", "main", map[string][]byte{"VERSION": []byte(tag)}, "Release "+tag); err != nil {
			t.Fatal(err)
		}
		after = e.tag(tag, true)
		e.run("run-"+tag, tag, after, "pending", time.Now())
		e.quiet()
		harness.ResetRequests(e.s.GitHub)
		if code := e.webhook(tag, after, secret); code != 200 {
			t.Fatalf("webhook answered %d", code)
		}
		e.awaitWaitingOn(tag, "run-"+tag)
		e.awaitCommitStatus(tag, "pending")
		e.pushIndex("snoopdb", "v20261124-"+tag)
		e.run("run-"+tag, tag, after, "success", time.Now())
		if st := e.awaitStage(tag, promoter.StagePROpen, promoter.StageFailed); st.Stage != promoter.StagePROpen {
			t.Fatalf("%s: %s", tag, st.Error)
		}
		e.awaitCommitStatus(tag, "success")
		e.quiet()
		return after, e.requests()
	}
	_, first := promote("v0.3.0")
	t.Logf("GitHub requests, the project's first promotion (%d): %s", total(first), describe(first))
	after, steady := promote("v0.4.0")
	t.Logf("GitHub requests, a promotion (%d): %s", total(steady), describe(steady))
	if n := total(steady); n > maxPromotion {
		t.Errorf("%d GitHub requests from the push to the open PR; the target is at most %d", n, maxPromotion)
	}
	if n := len(e.prFor("v0.4.0")); n != 1 {
		t.Fatalf("%d PRs for v0.4.0", n)
	}

	harness.ResetRequests(e.s.GitHub)
	unchanged, _ := e.s.Metric("promoter_promotions_total", `outcome="pr-unchanged"`)
	if code := e.webhook("v0.4.0", after, secret); code != 200 {
		t.Fatalf("webhook answered %d", code)
	}
	ctx, cancel := harness.Deadline(wait)
	defer cancel()
	if err := harness.WaitFor(ctx, e.s.P, "the redelivery's round", func() bool {
		n, _ := e.s.Metric("promoter_promotions_total", `outcome="pr-unchanged"`)
		return n > unchanged
	}); err != nil {
		t.Fatal(err)
	}
	e.quiet()
	redelivery := e.requests()
	t.Logf("GitHub requests, a redelivery with nothing to change (%d): %s", total(redelivery), describe(redelivery))
	if n := total(redelivery); n > maxRedelivery {
		t.Errorf("%d GitHub requests for a redelivery; the target is at most %d", n, maxRedelivery)
	}

	e.s.P.Stop()
	harness.ResetRequests(e.s.GitHub)
	e.start()
	e.quiet()
	restart := e.requests()
	t.Logf("GitHub requests, a restart with two promotions tracked and nothing changed (%d): %s", total(restart), describe(restart))
	if w := writes(restart); len(w) > 0 {
		t.Errorf("a restart with nothing changed wrote to GitHub: %v", w)
	}
}

// writes are the requests that may change something: every method but GET,
// and GraphQL mutations (the stand-in counts GraphQL by operation).
func writes(r map[string]int) []string {
	var out []string
	for k := range r {
		if !strings.HasPrefix(k, "GET ") && !strings.HasPrefix(k, "graphql query") {
			out = append(out, k)
		}
	}
	return out
}
