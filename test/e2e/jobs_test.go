package e2e

import (
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/promoter/pkg/promoter"
	"sigs.k8s.io/promoter/test/harness"
)

// These run promoter with --deck-url against a Deck that serves
// real-shaped /prowjobs.js, so the image job decides when to promote.

const jobsConfig = `
manifestRepo: kubernetes/k8s.io
jobTimeout: 2m
jobWindow: 3s
resyncPeriod: 2s
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

const job = "apisnoop-push-snoopdb-images"

type jobsEnv struct {
	*env
	deck *harness.Deck
}

func newJobsEnv(t *testing.T) *jobsEnv {
	t.Helper()
	deck := harness.StartDeck()
	t.Cleanup(deck.Close)
	e := newEnvConfig(t, jobsConfig, "--deck-url", deck.URL, "--deck-poll-interval", "100ms")
	return &jobsEnv{env: e, deck: deck}
}

// run sets the image job's run for tag in Deck.
func (e *jobsEnv) run(name, tag, sha, state string, start time.Time) {
	e.deck.Set(harness.Postsubmit(name, job, "kubernetes-sigs", "apisnoop", tag, sha, state, start))
}

// awaitWaitingOn waits until the promotion of tag waits on run, and only
// on it.
func (e *jobsEnv) awaitWaitingOn(tag, run string) {
	e.t.Helper()
	e.s.AwaitPromotion(e.t, "apisnoop", tag, "waiting on "+run, func(st promoter.Status) bool {
		return st.Stage == promoter.StageWaitingForJob && len(st.Jobs) == 1 && strings.Contains(st.Jobs[0], run)
	})
}

// status is the `promotion` commit status on the tag's commit.
func TestJobPendingThenSuccess(t *testing.T) {
	e := newJobsEnv(t)
	e.pushIndex("snoopdb", "v20261124-v0.3.0")
	after := e.tag("v0.3.0", true) // annotated: the status goes on the commit
	e.run("run-1", "v0.3.0", after, "pending", time.Now())
	e.start()
	if code := e.webhook("v0.3.0", after, secret); code != 200 {
		t.Fatalf("webhook answered %d", code)
	}
	// The push may arrive before promoter's first Deck poll ("no run seen
	// yet"), as a real push arrives before trigger's ProwJob: await the run.
	e.awaitWaitingOn("v0.3.0", "run-1")
	e.awaitCommitStatus("v0.3.0", "pending", "run-1")
	if n := len(e.prFor("v0.3.0")); n != 0 {
		t.Fatalf("a PR was opened while the job ran")
	}

	e.run("run-1", "v0.3.0", after, "success", time.Now())
	e.awaitPROpen("v0.3.0")
	prs := e.prFor("v0.3.0")
	if len(prs) != 1 {
		t.Fatalf("want one PR, got %d", len(prs))
	}
	if !strings.Contains(prs[0].Body, "[apisnoop-push-snoopdb-images](https://prow.k8s.io/view/gs/kubernetes-ci-logs/logs/apisnoop-push-snoopdb-images/run-1)") {
		t.Errorf("the PR body should link the job run:\n%s", prs[0].Body)
	}
	if s := e.awaitCommitStatus("v0.3.0", "success"); s.TargetURL != prs[0].HTMLURL && !strings.HasSuffix(s.TargetURL, "/pull/1") {
		t.Errorf("success status should link the PR: %+v", s)
	}
}

func TestJobFailureThenRerun(t *testing.T) {
	e := newJobsEnv(t)
	e.pushIndex("snoopdb", "v20261124-v0.3.0")
	after := e.tag("v0.3.0", false)
	start := time.Now()
	e.run("run-1", "v0.3.0", after, "failure", start)
	e.start()
	if code := e.webhook("v0.3.0", after, secret); code != 200 {
		t.Fatalf("webhook answered %d", code)
	}
	st := e.awaitStage("v0.3.0", promoter.StageFailed, promoter.StagePROpen)
	if st.Stage != promoter.StageFailed || !strings.Contains(st.Error, "ended in failure") || !strings.Contains(st.Error, "run-1") {
		t.Fatalf("want a failure naming the run, got %s: %s", st.Stage, st.Error)
	}
	if s := e.awaitCommitStatus("v0.3.0", "failure"); !strings.Contains(s.TargetURL, "run-1") || !strings.Contains(s.Description, "ended in failure") {
		t.Errorf("failure status: %+v", s)
	}
	if n := len(e.prFor("v0.3.0")); n != 0 {
		t.Fatalf("a failed job opened %d PRs", n)
	}

	// A maintainer reruns the job; its success alone (no new push) promotes.
	e.run("run-2", "v0.3.0", after, "success", start.Add(time.Minute))
	if st := e.awaitStage("v0.3.0", promoter.StagePROpen); !strings.Contains(strings.Join(st.Jobs, " "), "run-2") {
		t.Errorf("the newest run decides: jobs %v", st.Jobs)
	}
	if n := len(e.prFor("v0.3.0")); n != 1 {
		t.Fatalf("want one PR after the rerun, got %d", n)
	}
}

func TestJobsOfOtherTagsAndReposIgnored(t *testing.T) {
	e := newJobsEnv(t)
	e.pushIndex("snoopdb", "v20261124-v0.3.0")
	e.pushIndex("snoopdb", "v20261124-v0.4.0")
	after := e.tag("v0.3.0", false)
	e.run("run-1", "v0.3.0", after, "pending", time.Now())
	// Successful runs of the same job for another tag of another repository,
	// of another job, and for a branch: none may promote anything.
	e.deck.Set(harness.Postsubmit("other-repo", job, "kubernetes-sigs", "kueue", "v0.4.0", after, "success", time.Now()))
	e.deck.Set(harness.Postsubmit("other-job", "apisnoop-unit-tests", "kubernetes-sigs", "apisnoop", "v0.3.0", after, "success", time.Now()))
	e.deck.Set(harness.Postsubmit("branch", job, "kubernetes-sigs", "apisnoop", "main", after, "success", time.Now()))
	e.start()
	if code := e.webhook("v0.3.0", after, secret); code != 200 {
		t.Fatalf("webhook answered %d", code)
	}
	e.awaitWaitingOn("v0.3.0", "run-1")
	// Let several polls and a resync pass (resyncPeriod 2s), then check.
	ctx, cancel := harness.Deadline(wait)
	defer cancel()
	first := time.Now()
	harness.WaitFor(ctx, e.s.P, "a resync", func() bool {
		return len(e.s.P.Lines("Resync done.")) >= 2 && time.Since(first) > time.Second
	})
	all, _ := harness.Promotions(e.s.Promoter)
	if len(all) != 1 || all[0].Tag != "v0.3.0" || all[0].Stage != promoter.StageWaitingForJob {
		t.Errorf("other jobs changed what is tracked: %+v", all)
	}
	if n := len(e.openPRs()); n != 0 {
		t.Errorf("other jobs opened %d PRs", n)
	}
}

func TestRestartWhileWaiting(t *testing.T) {
	e := newJobsEnv(t)
	e.pushIndex("snoopdb", "v20261124-v0.3.0")
	after := e.tag("v0.3.0", false)
	e.run("run-1", "v0.3.0", after, "pending", time.Now())
	e.start()
	if code := e.webhook("v0.3.0", after, secret); code != 200 {
		t.Fatalf("webhook answered %d", code)
	}
	e.awaitWaitingOn("v0.3.0", "run-1")
	e.s.P.Stop()

	// The job finishes while promoter is down; no webhook comes again.
	e.run("run-1", "v0.3.0", after, "success", time.Now())
	e.start()
	e.awaitPROpen("v0.3.0")
	// A second restart finds the PR open and makes no other.
	e.s.P.Stop()
	e.start()
	e.awaitStage("v0.3.0", promoter.StagePROpen) // the resync saw the open PR
	if prs, _ := harness.PRs(e.s.GitHub, "kubernetes/k8s.io", "all"); len(prs) != 1 {
		t.Errorf("want exactly one PR ever, got %d", len(prs))
	}
}

func TestLostEventResyncPromotes(t *testing.T) {
	e := newJobsEnv(t)
	e.pushIndex("snoopdb", "v20261124-v0.3.0")
	after := e.tag("v0.3.0", false)
	e.start()
	// GitHub sent no push event (more than three tags pushed at once); only
	// the job's run tells promoter about the tag.
	e.run("run-1", "v0.3.0", after, "success", time.Now())
	e.awaitPROpen("v0.3.0")
	if n := len(e.prFor("v0.3.0")); n != 1 {
		t.Fatalf("want one PR, got %d", n)
	}
}

func TestNoJobRunFallsBackToRegistry(t *testing.T) {
	e := newJobsEnv(t) // jobWindow: 3s
	e.pushIndex("snoopdb", "v20261124-v0.3.0")
	after := e.tag("v0.3.0", false)
	e.start()
	if code := e.webhook("v0.3.0", after, secret); code != 200 {
		t.Fatalf("webhook answered %d", code)
	}
	e.awaitStage("v0.3.0", promoter.StageWaitingForJob)
	e.awaitPROpen("v0.3.0")
	body := e.prFor("v0.3.0")[0].Body
	if !strings.Contains(body, "no run of apisnoop-push-snoopdb-images for this tag was seen within 3s; the staging registry alone is the evidence") {
		t.Errorf("the PR body must say the job was not seen:\n%s", body)
	}
}

// TestDryRunReportsOnce: a dry run settles its round, so the resyncs that
// follow (every 2s here) do not log the same proposal again and again.
func TestDryRunReportsOnce(t *testing.T) {
	deck := harness.StartDeck()
	t.Cleanup(deck.Close)
	e := newEnvConfig(t, jobsConfig, "--deck-url", deck.URL, "--deck-poll-interval", "100ms", "--dry-run")
	e.pushIndex("snoopdb", "v20261124-v0.3.0")
	after := e.tag("v0.3.0", false)
	deck.Set(harness.Postsubmit("run-1", job, "kubernetes-sigs", "apisnoop", "v0.3.0", after, "success", time.Now()))
	e.start()
	e.s.Await(t, "three resyncs after the dry run", func() bool {
		return len(e.s.P.Lines("Dry run: would open")) > 0 && len(e.s.P.Lines("Resync done.")) >= 3
	})
	if n := len(e.s.P.Lines("Dry run: would open")); n != 1 {
		t.Errorf("the dry run was reported %d times; want once", n)
	}
}
