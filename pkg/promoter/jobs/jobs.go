// Package jobs answers "did the image job for this tag succeed?" from
// ProwJobs: in-cluster with a ProwJob informer, or outside the cluster by
// polling Deck's /prowjobs.js.
package jobs

import (
	"context"
	"time"
)

// Run is one ProwJob run of a postsubmit, reduced to what promoter needs.
type Run struct {
	Name       string // the ProwJob's metadata.name (unique per run)
	Job        string // Spec.Job (never the truncated prow.k8s.io/job label)
	Org, Repo  string // Spec.Refs.Org / Spec.Refs.Repo
	BaseRef    string // Spec.Refs.BaseRef: the tag for a tag push
	BaseSHA    string // Spec.Refs.BaseSHA: the push's "after"
	State      string // Status.State: triggered, pending, success, failure, aborted, error
	URL        string // Status.URL: link to the run
	GUID       string // the event-GUID label: the push's delivery id
	Start      time.Time
	Completion time.Time // zero until done
}

// Done reports whether the run has finished (Status.CompletionTime is set).
func (r Run) Done() bool { return !r.Completion.IsZero() }

// Succeeded reports whether the run finished with success.
func (r Run) Succeeded() bool { return r.Done() && r.State == "success" }

// Source is where ProwJob runs come from.
type Source interface {
	// Start begins watching (or polling) and calls onDone for every run that
	// is seen finished for the first time: at once for the informer, at the
	// next poll for Deck. It returns when the first full list has been read
	// (the source is synced) or ctx ends; watching goes on in the background
	// until ctx ends.
	Start(ctx context.Context, onDone func(Run)) error
	// Runs returns the postsubmit runs of job for org/repo at baseRef,
	// newest first (by Start).
	Runs(job, org, repo, baseRef string) []Run
	// List returns every postsubmit run the source knows, newest first.
	List() []Run
}
