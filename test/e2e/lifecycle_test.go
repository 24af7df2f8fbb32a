package e2e

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/promoter/test/fakegithub/server"
	"sigs.k8s.io/promoter/test/harness"
)

// A promoter that cannot see job runs exits with the reason (a restart is
// the answer to missing RBAC or a wrong URL) instead of running blind and
// ready, where a failed image job would go unnoticed.
func TestRefusedJobSourceExitsWithTheReason(t *testing.T) {
	deck := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "401 Unauthorized: Deck wants a login", http.StatusUnauthorized)
	}))
	t.Cleanup(deck.Close)
	e := newEnvConfig(t, jobsConfig, "--deck-url", deck.URL)
	if err := e.s.LaunchPromoter(); err != nil {
		t.Fatal(err)
	}
	code, exited := e.s.P.ExitCode(wait)
	if !exited || code == 0 {
		t.Fatalf("promoter exited %v with %d; want a non-zero exit", exited, code)
	}
	out := e.s.P.Output()
	for _, want := range []string{"the ProwJob source did not start", "refused", "401"} {
		if !strings.Contains(out, want) {
			t.Errorf("the exit does not say %q:\n%s", want, out)
		}
	}
	if harness.HTTPOK(e.s.Health + "/healthz/ready") {
		t.Error("ready after all")
	}
}

// /healthz/ready stays unready until the first resync has read promoter's
// PRs back: a promoter that has not rebuilt its state is not ready.
func TestNotReadyUntilTheFirstResync(t *testing.T) {
	e := newEnv(t)
	f, err := harness.AddFault(e.s.GitHub, server.Fault{Method: "GET", Path: "/repos/kubernetes/k8s.io/pulls?", Status: 500})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.s.LaunchPromoter(); err != nil {
		t.Fatal(err)
	}
	e.s.Await(t, "two failed resyncs", func() bool { return e.s.FaultHits(t, f.ID) >= 2 })
	if harness.HTTPOK(e.s.Health + "/healthz/ready") {
		t.Fatal("ready before any resync succeeded")
	}
	if !harness.HTTPOK(e.s.Health + "/healthz") {
		t.Error("not alive while it retries the resync")
	}
	if err := harness.ClearFaults(e.s.GitHub); err != nil {
		t.Fatal(err)
	}
	e.s.Await(t, "ready", func() bool { return harness.HTTPOK(e.s.Health + "/healthz/ready") })
}

// Webhooks are answered with no GitHub call before the answer: while every
// GitHub call hangs, a push and a /promote comment are still acknowledged,
// and the work completes once GitHub answers again.
func TestWebhooksAnsweredWhileGitHubHangs(t *testing.T) {
	e := newCommandsEnv(t)
	e.pushIndex("snoopdb", "v20261124-v0.3.0")
	after := e.tag("v0.3.0", false)
	c, err := harness.CreateComment(e.s.GitHub, source, "alice-token", e.issue, "/promote v0.3.0")
	if err != nil {
		t.Fatal(err)
	}
	// Every call hangs 15 s: longer than GitHub waits for a webhook's answer
	// (10 s, harness.Send's timeout), short enough for the work to finish.
	if _, err := harness.AddFault(e.s.GitHub, server.Fault{DelayMs: 15000}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	// harness.Send gives up after 10 s, as GitHub does.
	if code, err := harness.Send(e.s.Promoter, "issue_comment", harness.CommentEvent(source, e.issue, false, c, "created"), secret); err != nil || code != 200 {
		t.Fatalf("comment webhook: %d %v", code, err)
	}
	if code := e.webhook("v0.3.0", after, secret); code != 200 {
		t.Fatalf("push webhook: %d", code)
	}
	t.Logf("both webhooks answered in %v while GitHub hung", time.Since(start))
	if err := harness.ClearFaults(e.s.GitHub); err != nil {
		t.Fatal(err)
	}
	harness.MustContain(t, "the reply", e.awaitReply(1), "the promotion PR for `v0.3.0` is open")
}
