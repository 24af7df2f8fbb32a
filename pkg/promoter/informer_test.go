package promoter_test

import (
	"context"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	prowfake "sigs.k8s.io/prow/pkg/client/clientset/versioned/fake"

	"sigs.k8s.io/promoter/pkg/promoter"
	"sigs.k8s.io/promoter/pkg/promoter/jobs"
	"sigs.k8s.io/promoter/test/harness"
)

const informerConfig = `
manifestRepo: kubernetes/k8s.io
projects:
- name: apisnoop
  repo: kubernetes-sigs/apisnoop
  gitTags: '^v\d+\.\d+\.\d+$'
  images:
  - name: snoopdb
    job: apisnoop-push-snoopdb-images
`

// startInformer runs the controller with an informer over Prow's fake
// ProwJob clientset, as promoter runs in a cluster.
func startInformer(t *testing.T) (context.Context, *prowfake.Clientset, *fixture) {
	t.Helper()
	return startInformerWith(t, informerConfig)
}

func startInformerWith(t *testing.T, cfg string) (context.Context, *prowfake.Clientset, *fixture) {
	t.Helper()
	cs := prowfake.NewSimpleClientset()
	src := jobs.NewInformer(cs, "default")
	f := newFixtureWith(t, cfg, src)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	src.OnRunning(f.ctl.JobRunning)
	if err := src.Start(ctx, f.ctl.JobDone, 0); err != nil {
		t.Fatal(err)
	}
	return ctx, cs, f
}

// TestInformerJobSuccessOpensPR drives the in-cluster path with Prow's fake
// clientset: the tag push arrives while the image job is pending; the job's
// success alone (through the informer) opens the PR, once. It logs the time
// from the job's completion to the PR, which the README reports.
func TestInformerJobSuccessOpensPR(t *testing.T) {
	ctx, cs, f := startInformer(t)
	f.pushIndex("v20261124-v0.3.0")

	pj := harness.Postsubmit("run-1", "apisnoop-push-snoopdb-images", "kubernetes-sigs", "apisnoop", "v0.3.0", "abc", "pending", time.Now())
	pjs := cs.ProwV1().ProwJobs("default")
	if _, err := pjs.Create(ctx, &pj, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	k := promoter.Key{Project: "apisnoop", Tag: "v0.3.0"}
	f.ctl.Enqueue(k) // the tag push
	f.await(k, promoter.StageWaitingForJob)

	done := harness.Postsubmit("run-1", "apisnoop-push-snoopdb-images", "kubernetes-sigs", "apisnoop", "v0.3.0", "abc", "success", time.Now())
	start := time.Now()
	if _, err := pjs.Update(ctx, &done, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	st := f.await(k, promoter.StagePROpen, promoter.StageFailed)
	latency := time.Since(start)
	if st.Stage != promoter.StagePROpen {
		t.Fatalf("promotion failed: %s", st.Error)
	}
	t.Logf("job success to PR open: %v", latency)
	if n := len(f.openPRs()); n != 1 {
		t.Fatalf("want one PR, got %d", n)
	}
	// A second update of the finished job (Prow sets fields after completion)
	// must not open a second PR.
	done.Status.Description = "Job succeeded."
	if _, err := pjs.Update(ctx, &done, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := f.ctl.Resync(ctx); err != nil {
		t.Fatal(err)
	}
	f.await(k, promoter.StagePROpen)
	if n := len(f.openPRs()); n != 1 {
		t.Fatalf("want one PR, got %d", n)
	}
}

// TestInformerFailureRerunAndOtherJobs: a failed run stops the promotion and
// opens nothing; a rerun's success alone opens the PR; runs of the same job
// for another tag or another repository change nothing.
func TestInformerFailureRerunAndOtherJobs(t *testing.T) {
	ctx, cs, f := startInformer(t)
	f.pushIndex("v20261124-v0.3.0")
	f.pushIndex("v20261124-v0.4.0")
	pjs := cs.ProwV1().ProwJobs("default")
	create := func(name, repo, tag, state string, start time.Time) {
		t.Helper()
		pj := harness.Postsubmit(name, "apisnoop-push-snoopdb-images", "kubernetes-sigs", repo, tag, "abc", state, start)
		if _, err := pjs.Create(ctx, &pj, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	k := promoter.Key{Project: "apisnoop", Tag: "v0.3.0"}
	create("run-1", "apisnoop", "v0.3.0", "failure", start)
	st := f.await(k, promoter.StageFailed, promoter.StagePROpen)
	if st.Stage != promoter.StageFailed || len(st.Jobs) != 1 {
		t.Fatalf("want a failure with the run's link, got %+v", st)
	}
	if n := len(f.openPRs()); n != 0 {
		t.Fatalf("a failed job opened %d PRs", n)
	}

	// Another repository's run for a tag of ours, and our job for a tag no
	// push asked about in a repo we do not configure: nothing new is tracked.
	create("other-repo", "kueue", "v0.4.0", "success", start)
	create("branch", "apisnoop", "main", "success", start)
	create("run-2", "apisnoop", "v0.3.0", "success", start.Add(time.Minute))
	if st := f.await(k, promoter.StagePROpen); len(st.Jobs) != 1 || st.Jobs[0] == "" {
		t.Errorf("jobs %v", st.Jobs)
	}
	if n := len(f.openPRs()); n != 1 {
		t.Fatalf("want one PR after the rerun, got %d", n)
	}
	for _, s := range f.ctl.Tracker().List() {
		if s.Tag != "v0.3.0" {
			t.Errorf("a run of another repo or ref is tracked: %+v", s)
		}
	}
}
