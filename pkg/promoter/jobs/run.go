package jobs

import (
	"cmp"
	"slices"

	prowapi "sigs.k8s.io/prow/pkg/apis/prowjobs/v1"
	"sigs.k8s.io/prow/pkg/github"
)

// FromProwJob reduces a ProwJob to a Run. It reports false for anything that
// is not a postsubmit with refs: only those are runs of an image job for a
// pushed tag.
func FromProwJob(pj *prowapi.ProwJob) (Run, bool) {
	if pj == nil || pj.Spec.Type != prowapi.PostsubmitJob || pj.Spec.Refs == nil {
		return Run{}, false
	}
	r := Run{
		Name:    pj.Name,
		Job:     pj.Spec.Job,
		Org:     pj.Spec.Refs.Org,
		Repo:    pj.Spec.Refs.Repo,
		BaseRef: pj.Spec.Refs.BaseRef,
		BaseSHA: pj.Spec.Refs.BaseSHA,
		State:   string(pj.Status.State),
		URL:     pj.Status.URL,
		GUID:    pj.Labels[github.EventGUID],
		// UTC: a ProwJob read from JSON carries local times, one from the
		// cache whatever it was built with; Runs from both should compare.
		Start: pj.Status.StartTime.UTC(),
	}
	if pj.Status.CompletionTime != nil {
		r.Completion = pj.Status.CompletionTime.UTC()
	}
	return r, true
}

// runKey is what Runs looks runs up by.
type runKey struct{ job, org, repo, baseRef string }

func keyOf(r Run) runKey { return runKey{r.Job, r.Org, r.Repo, r.BaseRef} }

// newestFirst orders runs by Start descending; equal starts (reruns created
// in the same second) fall back to Name descending so the order is stable
// across calls and sources.
func newestFirst(a, b Run) int {
	if c := b.Start.Compare(a.Start); c != 0 {
		return c
	}
	return cmp.Compare(b.Name, a.Name)
}

func sortRuns(runs []Run) { slices.SortFunc(runs, newestFirst) }

// newlyDone reports whether cur is a finish the caller has not been told
// about: it is done, and before it was unknown, still running, or done in
// another state.
func newlyDone(prev Run, known bool, cur Run) bool {
	if !cur.Done() {
		return false
	}
	return !known || !prev.Done() || prev.State != cur.State
}

// newlyRunning reports whether cur is a run the caller has not been told is
// running in this state: it is not done, and before it was unknown or in
// another state.
func newlyRunning(prev Run, known bool, cur Run) bool {
	return !cur.Done() && (!known || prev.State != cur.State)
}
