package jobs

import (
	"context"
	"fmt"
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
	// (the source is synced); watching goes on in the background until ctx
	// ends. It returns an error when the source cannot sync: the list is
	// refused for good (RBAC forbids it, the ProwJob CRD is missing, Deck
	// answers 4xx), or it has not succeeded within timeout (0: no limit),
	// naming the last error seen. A restart is the answer to both: a
	// promoter that cannot see job runs must say so, not run blind.
	Start(ctx context.Context, onDone func(Run), timeout time.Duration) error
	// OnRunning sets f to be called for every run seen running for the
	// first time or in a new state (triggered, then pending): a rerun of a
	// failed image job. Set it before Start.
	OnRunning(f func(Run))
	// Runs returns the postsubmit runs of job for org/repo at baseRef,
	// newest first (by Start).
	Runs(job, org, repo, baseRef string) []Run
	// List returns every postsubmit run the source knows, newest first.
	List() []Run
}

// errLast joins why a sync gave up with the last error seen, if any.
func errLast(why error, last error) error {
	if last == nil {
		return why
	}
	return fmt.Errorf("%w; last error: %w", why, last)
}

// syncDeadline is ctx bounded by timeout (none when 0), for the first sync.
func syncDeadline(ctx context.Context, timeout time.Duration) (context.Context, context.CancelFunc) {
	if timeout <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeoutCause(ctx, timeout, fmt.Errorf("the ProwJob source did not sync within %s", timeout))
}
