package jobs

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	prowapi "sigs.k8s.io/prow/pkg/apis/prowjobs/v1"
)

const (
	testNS   = "test-pods"
	imageJob = "apisnoop-push-snoopdb-images"
	testOrg  = "kubernetes-sigs"
	testRepo = "apisnoop"
	testTag  = "v1.2.3"
	// wait bounds every wait for something asynchronous.
	wait = 10 * time.Second
)

// t0 is whole seconds: ProwJob times go through JSON at second precision.
var t0 = time.Date(2026, 8, 22, 10, 0, 0, 0, time.UTC)

// prowJob builds a ProwJob as Prow's trigger does (pjutil.NewProwJob): the
// labels, a truncated prow.k8s.io/job label, and a completion time for done
// states.
func prowJob(typ prowapi.ProwJobType, name, job, org, repo, ref, state string, start time.Time) *prowapi.ProwJob {
	labels := map[string]string{
		"created-by-prow":           "true",
		"prow.k8s.io/type":          string(typ),
		"prow.k8s.io/job":           truncate(job, 63),
		"prow.k8s.io/refs.org":      org,
		"prow.k8s.io/refs.repo":     repo,
		"prow.k8s.io/refs.base_ref": ref,
		"event-GUID":                "guid-" + name,
	}
	pj := &prowapi.ProwJob{
		TypeMeta:   metav1.TypeMeta{Kind: "ProwJob", APIVersion: "prow.k8s.io/v1"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: testNS, Labels: labels},
		Spec: prowapi.ProwJobSpec{
			Type: typ, Job: job, Agent: prowapi.KubernetesAgent,
			Refs: &prowapi.Refs{Org: org, Repo: repo, BaseRef: ref, BaseSHA: "sha-" + name},
		},
		Status: prowapi.ProwJobStatus{
			State:     prowapi.ProwJobState(state),
			StartTime: metav1.NewTime(start),
			URL:       "https://prow.k8s.io/view/gs/kubernetes-ci-logs/logs/" + job + "/" + name,
		},
	}
	finish(pj, state, start.Add(5*time.Minute))
	return pj
}

// image is a postsubmit of the image job for the test repo at ref.
func image(name, ref, state string, start time.Time) *prowapi.ProwJob {
	return prowJob(prowapi.PostsubmitJob, name, imageJob, testOrg, testRepo, ref, state, start)
}

// finish sets state, with a completion time when the state is final.
func finish(pj *prowapi.ProwJob, state string, at time.Time) {
	pj.Status.State = prowapi.ProwJobState(state)
	pj.Status.CompletionTime = nil
	switch prowapi.ProwJobState(state) {
	case prowapi.SuccessState, prowapi.FailureState, prowapi.AbortedState, prowapi.ErrorState:
		done := metav1.NewTime(at)
		pj.Status.CompletionTime = &done
	}
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// recorder collects onDone calls. The channel is large enough that onDone
// never blocks in these tests, as the caller's enqueue never does.
type recorder chan Run

func newRecorder() recorder { return make(recorder, 256) }

func (r recorder) onDone(run Run) { r <- run }

// next returns the next reported run, failing after wait.
func (r recorder) next(t *testing.T) Run {
	t.Helper()
	select {
	case run := <-r:
		return run
	case <-time.After(wait):
		t.Fatal("no run was reported")
		return Run{}
	}
}

// until returns the runs reported before the marker run. Reports come in
// order, so once the marker (made done after everything else) is reported,
// nothing reported earlier is still on its way.
func (r recorder) until(t *testing.T, marker string) []Run {
	t.Helper()
	var before []Run
	for {
		run := r.next(t)
		if run.Name == marker {
			return before
		}
		before = append(before, run)
	}
}

// eventually polls cond until it holds, failing after wait.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func names(runs []Run) []string {
	out := make([]string, len(runs))
	for i, r := range runs {
		out[i] = r.Name
	}
	return out
}
