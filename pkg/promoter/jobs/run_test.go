package jobs

import (
	"slices"
	"strings"
	"testing"
	"time"

	prowapi "sigs.k8s.io/prow/pkg/apis/prowjobs/v1"
)

func TestFromProwJob(t *testing.T) {
	pj := image("run-1", testTag, "success", t0)
	got, ok := FromProwJob(pj)
	if !ok {
		t.Fatal("a postsubmit with refs is not a run")
	}
	want := Run{
		Name: "run-1", Job: imageJob, Org: testOrg, Repo: testRepo, BaseRef: testTag,
		BaseSHA: "sha-run-1", State: "success", GUID: "guid-run-1",
		URL:   "https://prow.k8s.io/view/gs/kubernetes-ci-logs/logs/" + imageJob + "/run-1",
		Start: t0, Completion: t0.Add(5 * time.Minute),
	}
	if got != want {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	if !got.Succeeded() {
		t.Error("a done success run does not succeed")
	}
}

func TestFromProwJobRunning(t *testing.T) {
	got, _ := FromProwJob(image("run-1", testTag, "pending", t0))
	if got.Done() || !got.Completion.IsZero() || got.State != "pending" {
		t.Errorf("a pending job gave %+v", got)
	}
}

// The prow.k8s.io/job label is cut to 63 characters; the run must carry the
// whole Spec.Job, which is what the configuration names.
func TestFromProwJobLongName(t *testing.T) {
	long := "post-" + strings.Repeat("very-long-image-job-name-", 4) + "push-images"
	pj := prowJob(prowapi.PostsubmitJob, "run-1", long, testOrg, testRepo, testTag, "pending", t0)
	if pj.Labels["prow.k8s.io/job"] == long {
		t.Fatal("test setup: the label should be truncated")
	}
	if got, _ := FromProwJob(pj); got.Job != long {
		t.Errorf("Job = %q, want %q", got.Job, long)
	}
}

func TestFromProwJobNotARun(t *testing.T) {
	periodic := image("periodic", testTag, "success", t0)
	periodic.Spec.Type = prowapi.PeriodicJob
	periodic.Spec.Refs = nil
	noRefs := image("no-refs", testTag, "success", t0)
	noRefs.Spec.Refs = nil
	for name, pj := range map[string]*prowapi.ProwJob{
		"presubmit": prowJob(prowapi.PresubmitJob, "pre", imageJob, testOrg, testRepo, testTag, "success", t0),
		"batch":     prowJob(prowapi.BatchJob, "batch", imageJob, testOrg, testRepo, testTag, "success", t0),
		"periodic":  periodic,
		"no refs":   noRefs,
		"nil":       nil,
	} {
		if r, ok := FromProwJob(pj); ok {
			t.Errorf("%s: got run %+v", name, r)
		}
	}
}

func TestNewestFirst(t *testing.T) {
	runs := []Run{
		{Name: "a", Start: t0},
		{Name: "c", Start: t0.Add(-time.Hour)},
		{Name: "b", Start: t0},
		{Name: "d", Start: t0.Add(time.Minute)},
	}
	sortRuns(runs)
	if got, want := names(runs), []string{"d", "b", "a", "c"}; !slices.Equal(got, want) {
		t.Errorf("order %v, want %v", got, want)
	}
}

func TestNewlyDone(t *testing.T) {
	pending := Run{State: "pending"}
	success := Run{State: "success", Completion: t0}
	failure := Run{State: "failure", Completion: t0}
	for _, c := range []struct {
		name      string
		prev      Run
		known     bool
		cur       Run
		wantFresh bool
	}{
		{"first seen done", Run{}, false, success, true},
		{"first seen running", Run{}, false, pending, false},
		{"finished", pending, true, success, true},
		{"still running", pending, true, pending, false},
		{"unchanged", success, true, success, false},
		{"final state changed", failure, true, success, true},
	} {
		if got := newlyDone(c.prev, c.known, c.cur); got != c.wantFresh {
			t.Errorf("%s: newlyDone = %v, want %v", c.name, got, c.wantFresh)
		}
	}
}
