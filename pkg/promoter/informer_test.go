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

// TestInformerJobSuccessOpensPR drives the in-cluster path with Prow's fake
// clientset: the tag push arrives while the image job is pending; the job's
// success alone (through the informer) opens the PR, once. It logs the time
// from the job's completion to the PR, which the README reports.
func TestInformerJobSuccessOpensPR(t *testing.T) {
	cs := prowfake.NewSimpleClientset()
	src := jobs.NewInformer(cs, "default")
	f := newFixtureWith(t, informerConfig, src)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	if err := src.Start(ctx, f.ctl.JobDone); err != nil {
		t.Fatal(err)
	}
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
