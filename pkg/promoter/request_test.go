package promoter_test

import (
	"context"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	prowfake "sigs.k8s.io/prow/pkg/client/clientset/versioned/fake"

	"sigs.k8s.io/promoter/pkg/promoter"
	"sigs.k8s.io/promoter/pkg/promoter/manifest"
	"sigs.k8s.io/promoter/test/fakegithub/server"
	"sigs.k8s.io/promoter/test/harness"
)

// What was asked is kept apart from what happened: requests that meet
// merge, and no ask is lost or turned into another's failure.

const twoJobsConfig = `
manifestRepo: kubernetes/k8s.io
jobTimeout: 1m
jobWindow: 2s
projects:
- name: apisnoop
  repo: kubernetes-sigs/apisnoop
  gitTags: '^v\d+\.\d+\.\d+$'
  images:
  - name: snoopdb
    job: apisnoop-push-snoopdb-images
  - name: auditlogger
    job: apisnoop-push-auditlogger-images
`

var v030 = promoter.Key{Project: "apisnoop", Tag: "v0.3.0"}

// run creates or replaces a run of job at v0.3.0 in the fake cluster.
func run(t *testing.T, ctx context.Context, cs *prowfake.Clientset, name, job, state string) {
	t.Helper()
	pj := harness.Postsubmit(name, job, "kubernetes-sigs", "apisnoop", "v0.3.0", commitOf("v0.3.0"), state, time.Now())
	pjs := cs.ProwV1().ProwJobs("default")
	if _, err := pjs.Get(ctx, name, metav1.GetOptions{}); err == nil {
		if _, err := pjs.Update(ctx, &pj, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		return
	}
	if _, err := pjs.Create(ctx, &pj, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// A tag push for two images waits for one of them; a /promote for the
// other arrives meanwhile. Before requests were kept apart from status, the
// round was cut down to the /promote's image and the first image was never
// promoted. Now the asks merge (every image wins) and the PR has both.
func TestPushAndPromoteOfOneImageMerge(t *testing.T) {
	ctx, cs, f := startInformerWith(t, twoJobsConfig)
	snoop := f.pushIndex("v20261124-v0.3.0")
	audit, err := f.reg.PushIndex("k8s-staging-apisnoop/auditlogger", "v20261124-v0.3.0", "linux/amd64", "linux/arm64")
	if err != nil {
		t.Fatal(err)
	}
	run(t, ctx, cs, "snoop-1", "apisnoop-push-snoopdb-images", "pending")
	run(t, ctx, cs, "audit-1", "apisnoop-push-auditlogger-images", "success")
	f.ctl.Enqueue(v030) // the tag push
	f.await(v030, promoter.StageWaitingForJob)

	// The /promote and snoopdb's success arrive together: on the old code
	// the success was merged into the round the /promote had cut down.
	f.say("alice", 5, false, promoter.Command{Tag: "v0.3.0", Images: []string{"auditlogger"}})
	run(t, ctx, cs, "snoop-1", "apisnoop-push-snoopdb-images", "success")

	mustSay(t, f.talk.reply(t), "the promotion PR for `v0.3.0` is open", snoop, audit)
	prs := f.openPRs()
	if len(prs) != 1 {
		t.Fatalf("want one PR, got %d", len(prs))
	}
	if got := f.branchFile(prs[0].Head.Ref); !strings.Contains(got, snoop) || !strings.Contains(got, audit) {
		t.Errorf("the PR must promote both images:\n%s", got)
	}
	if st, _ := f.ctl.Tracker().Get(v030); len(st.Only) != 0 {
		t.Errorf("the round was limited to %v", st.Only)
	}
}

// A /promote arriving while a push round waits for a staging image that no
// job is building used to turn the push round into an immediate failure.
// Now the person gets an answer at once, and the push round goes on.
func TestPromoteDuringWaitingPushDoesNotFailIt(t *testing.T) {
	f := newFixture(t, strings.Replace(testConfig, "jobTimeout: 3s", "jobTimeout: 1m", 1))
	f.ctl.Enqueue(v030) // the push; snoopdb is not in staging yet
	f.awaitError(v030, "not in staging yet")

	f.say("alice", 5, false, promoter.Command{Tag: "v0.3.0"})
	mustSay(t, f.talk.reply(t), "`v0.3.0` is not promoted yet", "not in staging yet", "goes on waiting")
	if st, _ := f.ctl.Tracker().Get(v030); st.Stage == promoter.StageFailed {
		t.Fatalf("the push round failed: %s", st.Error)
	}

	digest := f.pushIndex("v20261124-v0.3.0")
	if st := f.await(v030, promoter.StagePROpen, promoter.StageFailed); st.Stage != promoter.StagePROpen {
		t.Fatalf("the push round ended %s: %s", st.Stage, st.Error)
	}
	if got := f.branchFile(f.openPRs()[0].Head.Ref); !strings.Contains(got, digest) {
		t.Errorf("the PR lacks the digest:\n%s", got)
	}
}

// For a tag whose ProwJobs are gone (Prow deletes them after a week), the
// preview used to plan on a fresh tracker and say "waiting" where the real
// run promotes. Now both run one plan: the preview says the real run would
// wait up to jobWindow and shows the PR it would then open, and the real
// run opens exactly that.
func TestDryRunAgreesWithTheRealRun(t *testing.T) {
	_, _, f := startInformerWith(t, twoJobsConfig) // no runs at all
	f.pushIndex("v20261124-v0.3.0")
	if _, err := f.reg.PushIndex("k8s-staging-apisnoop/auditlogger", "v20261124-v0.3.0", "linux/amd64", "linux/arm64"); err != nil {
		t.Fatal(err)
	}
	f.say("alice", 5, false, promoter.Command{DryRun: true, Tag: "v0.3.0"})
	preview := f.talk.reply(t)
	mustSay(t, preview, "the promotion would first wait: no run of apisnoop-push-snoopdb-images for v0.3.0 seen yet",
		"then the staging registry alone is the evidence", "Then this is the PR I would open")

	f.say("alice", 5, false, promoter.Command{Tag: "v0.3.0"})
	mustSay(t, f.talk.reply(t), "the promotion PR for `v0.3.0` is open")
	pr := f.openPRs()[0]
	diff := f.diff(pr.Head.Ref)
	if !strings.Contains(preview, diff) {
		t.Errorf("the preview's diff differs from the PR's:\npreview:\n%s\nPR:\n%s", preview, diff)
	}
	if !strings.Contains(pr.Body, "the staging registry alone is the evidence") {
		t.Errorf("the PR body must say no job run was seen:\n%s", pr.Body)
	}

	// A round under way keeps its clock: once its window has passed, the
	// preview says what the real run does now (no wait for a job).
	v040 := promoter.Key{Project: "apisnoop", Tag: "v0.4.0"}
	f.ctl.Enqueue(v040) // a push; no run, and no staging image yet
	f.awaitError(v040, "not in staging yet")
	f.say("alice", 5, false, promoter.Command{DryRun: true, Tag: "v0.4.0"})
	got := f.talk.reply(t)
	mustSay(t, got, "no PR would be opened now", "image snoopdb is not in staging yet")
	if strings.Contains(got, "would first wait") {
		t.Errorf("the round's window has passed, yet the preview says it would wait: %s", got)
	}
}

// A PR of ours that a reviewer closed is part of the state a restarted
// promoter rebuilds (it used to read open PRs only).
func TestStateRebuildSeesClosedPRs(t *testing.T) {
	f := newFixture(t, testConfig)
	f.pushIndex("v20261124-v0.3.0")
	if st := f.promote("v0.3.0"); st.Stage != promoter.StagePROpen {
		t.Fatalf("%s: %s", st.Stage, st.Error)
	}
	pr := f.openPRs()[0]
	if err := harness.ClosePR(f.gh.URL, "kubernetes/k8s.io", "reviewer-token", pr.Number); err != nil {
		t.Fatal(err)
	}
	f.start() // a restart
	if err := f.ctl.Resync(context.Background()); err != nil {
		t.Fatal(err)
	}
	st, ok := f.ctl.Tracker().Get(v030)
	if !ok || st.Stage != promoter.StageClosed || !strings.HasSuffix(st.PR, "/pull/1") {
		t.Errorf("after a restart the closed PR is not seen: %+v", st)
	}
}

// awaitError waits until key's status carries an error containing want.
func (f *fixture) awaitError(k promoter.Key, want string) promoter.Status {
	f.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var st promoter.Status
	for time.Now().Before(deadline) {
		if st, _ = f.ctl.Tracker().Get(k); strings.Contains(st.Error, want) {
			return st
		}
		time.Sleep(5 * time.Millisecond)
	}
	f.t.Fatalf("%v: no error %q: %+v", k, want, st)
	return st
}

// diff is the images.yaml change the PR's branch makes to upstream main as
// seeded, as promoter renders diffs.
func (f *fixture) diff(branch string) string {
	f.t.Helper()
	old, err := server.ReadFile(f.root, "kubernetes", "k8s.io", f.base, harness.ImagesPath)
	if err != nil {
		f.t.Fatal(err)
	}
	return manifest.Diff(harness.ImagesPath, old, []byte(f.branchFile(branch)))
}
