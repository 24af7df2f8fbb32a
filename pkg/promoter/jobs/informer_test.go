package jobs

import (
	"slices"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	clienttesting "k8s.io/client-go/testing"
	prowapi "sigs.k8s.io/prow/pkg/apis/prowjobs/v1"
	"sigs.k8s.io/prow/pkg/client/clientset/versioned/fake"
)

// cluster is Prow's fake clientset behind a started informer Source.
type cluster struct {
	t   *testing.T
	cs  *fake.Clientset
	src Source
	rec recorder
}

// startInformer starts an informer Source over a fake clientset holding
// objs, and returns once its watch is open. The fake's tracker has no
// resource versions, so an object created between the informer's list and
// its watch would be lost; waiting for the watch closes that gap.
func startInformer(t *testing.T, objs ...*prowapi.ProwJob) *cluster {
	t.Helper()
	ros := make([]runtime.Object, len(objs))
	for i, o := range objs {
		ros[i] = o
	}
	cs := fake.NewSimpleClientset(ros...)
	watching := make(chan struct{})
	cs.PrependWatchReactor("prowjobs", func(a clienttesting.Action) (bool, watch.Interface, error) {
		w, err := cs.Tracker().Watch(a.GetResource(), a.GetNamespace())
		if err == nil {
			close(watching)
		}
		return true, w, err
	})
	c := &cluster{t: t, cs: cs, src: NewInformer(cs, testNS), rec: newRecorder()}
	if err := c.src.Start(t.Context(), c.rec.onDone, 0); err != nil {
		t.Fatalf("Start: %v", err)
	}
	select {
	case <-watching:
	case <-time.After(wait):
		t.Fatal("the informer never started watching")
	}
	return c
}

func (c *cluster) create(pj *prowapi.ProwJob) {
	c.t.Helper()
	if _, err := c.cs.ProwV1().ProwJobs(testNS).Create(c.t.Context(), pj, metav1.CreateOptions{}); err != nil {
		c.t.Fatalf("creating %s: %v", pj.Name, err)
	}
}

func (c *cluster) update(pj *prowapi.ProwJob) {
	c.t.Helper()
	if _, err := c.cs.ProwV1().ProwJobs(testNS).Update(c.t.Context(), pj, metav1.UpdateOptions{}); err != nil {
		c.t.Fatalf("updating %s: %v", pj.Name, err)
	}
}

// barrier creates a done job and returns what was reported before it.
func (c *cluster) barrier() []Run {
	c.t.Helper()
	c.create(prowJob(prowapi.PostsubmitJob, "marker", "marker-job", testOrg, "other", "main", "success", t0))
	return c.rec.until(c.t, "marker")
}

func TestInformerReportsFinish(t *testing.T) {
	pj := image("run-1", testTag, "pending", t0)
	c := startInformer(t, pj.DeepCopy())

	runs := c.src.Runs(imageJob, testOrg, testRepo, testTag)
	if len(runs) != 1 || runs[0].Name != "run-1" || runs[0].Done() {
		t.Fatalf("Runs = %+v, want run-1 not done", runs)
	}
	if len(c.rec) != 0 {
		t.Fatalf("a pending job was reported: %+v", <-c.rec)
	}

	finish(pj, "success", t0.Add(3*time.Minute))
	c.update(pj)
	got := c.rec.next(t)
	if got.Name != "run-1" || !got.Succeeded() || got.URL != pj.Status.URL || !got.Completion.Equal(t0.Add(3*time.Minute)) {
		t.Errorf("reported %+v", got)
	}
	if more := c.barrier(); len(more) != 0 {
		t.Errorf("reported again: %+v", more)
	}
	if runs := c.src.Runs(imageJob, testOrg, testRepo, testTag); len(runs) != 1 || !runs[0].Succeeded() {
		t.Errorf("Runs after success = %+v", runs)
	}
}

// Status updates of a running job and a resync-like no-op update of a done
// job are not finishes.
func TestInformerIgnoresNonFinishes(t *testing.T) {
	done := image("done", testTag, "failure", t0)
	c := startInformer(t, image("run-1", testTag, "triggered", t0), done.DeepCopy())
	if got := c.rec.next(t); got.Name != "done" {
		t.Fatalf("reported %+v at start, want done", got)
	}

	running := image("run-1", testTag, "pending", t0)
	c.update(running)
	done.Labels["touched"] = "true"
	c.update(done)
	if more := c.barrier(); len(more) != 0 {
		t.Errorf("reported %+v", more)
	}
}

func TestInformerOnlyPostsubmitsOfTheRef(t *testing.T) {
	wanted := image("wanted", testTag, "success", t0)
	presubmit := prowJob(prowapi.PresubmitJob, "presubmit", imageJob, testOrg, testRepo, testTag, "success", t0)
	otherRepo := prowJob(prowapi.PostsubmitJob, "other-repo", imageJob, testOrg, "boskos", testTag, "success", t0)
	otherRef := image("other-ref", "v1.2.4", "success", t0)
	c := startInformer(t, wanted, presubmit, otherRepo, otherRef)

	// Created after the start, an unlabelled presubmit reaches the informer
	// through the watch (the fake does not filter watches by label).
	late := prowJob(prowapi.PresubmitJob, "late-presubmit", imageJob, testOrg, testRepo, testTag, "success", t0)
	delete(late.Labels, "prow.k8s.io/type")
	c.create(late)
	c.barrier()

	if got := names(c.src.Runs(imageJob, testOrg, testRepo, testTag)); !slices.Equal(got, []string{"wanted"}) {
		t.Errorf("Runs = %v, want [wanted]", got)
	}
	if got := names(c.src.Runs(imageJob, testOrg, testRepo, "v9.9.9")); len(got) != 0 {
		t.Errorf("Runs of an unknown tag = %v", got)
	}
	if got := names(c.src.List()); !slices.Equal(got, []string{"wanted", "other-repo", "other-ref", "marker"}) {
		t.Errorf("List = %v", got)
	}
	lists := 0
	for _, a := range c.cs.Actions() {
		if l, ok := a.(clienttesting.ListAction); ok {
			lists++
			if sel := l.GetListRestrictions().Labels.String(); sel != "prow.k8s.io/type=postsubmit" {
				t.Errorf("listed with selector %q", sel)
			}
		}
	}
	if lists == 0 {
		t.Error("the informer never listed")
	}
}

func TestInformerNewestFirst(t *testing.T) {
	c := startInformer(t, image("first", testTag, "failure", t0))
	c.create(image("rerun", testTag, "pending", t0.Add(10*time.Minute)))
	eventually(t, "the rerun in the cache", func() bool {
		return len(c.src.Runs(imageJob, testOrg, testRepo, testTag)) == 2
	})
	runs := c.src.Runs(imageJob, testOrg, testRepo, testTag)
	if got := names(runs); !slices.Equal(got, []string{"rerun", "first"}) {
		t.Fatalf("Runs = %v, want [rerun first]", got)
	}
	// The caller owns what it gets.
	runs[0].State = "mangled"
	if again := c.src.Runs(imageJob, testOrg, testRepo, testTag); again[0].State != "pending" {
		t.Errorf("a caller's change leaked into the source: %+v", again[0])
	}
}

// After a restart every done job is seen again, once, before Start returns.
func TestInformerReportsDoneJobsAtStart(t *testing.T) {
	c := startInformer(t,
		image("old-success", testTag, "success", t0),
		image("running", testTag, "pending", t0.Add(time.Minute)))
	if len(c.rec) != 1 {
		t.Fatalf("%d runs reported by Start, want 1", len(c.rec))
	}
	if got := c.rec.next(t); got.Name != "old-success" || !got.Succeeded() {
		t.Errorf("reported %+v", got)
	}
	if more := c.barrier(); len(more) != 0 {
		t.Errorf("reported again: %+v", more)
	}
}
