package promoter

import (
	"context"
	"time"

	"sigs.k8s.io/promoter/pkg/promoter/jobs"
	"sigs.k8s.io/promoter/pkg/promoter/pullrequest"
)

// closedLookback bounds how far back the state rebuild reads closed and
// merged PRs: twice the week Prow keeps ProwJobs, after which no job run
// can ask for an old tag again.
const closedLookback = 14 * 24 * time.Hour

// Resync rebuilds the work from state, not events: promoter's PRs on the
// manifest repository (their hidden metadata, in any state) are recorded,
// and every finished run of a configured image job at a release tag that
// nothing has settled yet is asked for. Reconciling a settled promotion
// again is harmless (it finds the PR or "already promoted"); skipping them
// only saves calls.
func (c *Controller) Resync(ctx context.Context) error {
	cfg := c.config()
	prs, err := c.github.Promotions(ctx, manifestRepo(cfg), c.now().Add(-closedLookback))
	if err != nil {
		return err
	}
	known := map[Key]bool{}
	for _, pr := range prs {
		k := Key{Project: pr.Project, Tag: pr.Tag}
		known[k] = true
		c.tracker.adopt(k, adopted(pr))
	}
	n := 0
	for _, r := range c.runs() {
		if !r.Done() {
			continue
		}
		for _, k := range c.keysForRun(r) {
			if known[k] || c.pending(k) || c.coveredAll(k) {
				continue
			}
			known[k] = true
			c.Enqueue(k)
			n++
		}
	}
	c.log.WithField("prs", len(prs)).WithField("enqueued", n).Info("Resync done.")
	return nil
}

// adopted is the status of a PR found on GitHub, for a key this process
// has not worked on.
func adopted(pr pullrequest.Promotion) Status {
	st := Status{PR: pr.URL, Started: pr.Updated, done: true}
	for _, img := range pr.Images {
		st.Images = append(st.Images, Image{Name: img.Name, Digest: img.Digest, Tag: img.Tag})
	}
	switch pr.State {
	case pullrequest.StateMerged:
		st.Stage, st.Note = StageAlreadyPromoted, "the promotion PR was merged (found on GitHub)"
	case pullrequest.StateClosed:
		st.Stage, st.Note = StageClosed, "a reviewer closed the promotion PR without merging it (found on GitHub)"
	default:
		st.Stage, st.Note = StagePROpen, "found open on GitHub"
	}
	return st
}

// coveredAll reports a settled round that promoted every image: a finished
// run has nothing to add to it.
func (c *Controller) coveredAll(k Key) bool {
	st, ok := c.tracker.Get(k)
	return ok && st.done && len(st.Only) == 0
}

func (c *Controller) runs() []jobs.Run {
	if c.jobs == nil {
		return nil
	}
	return c.jobs.List()
}

// RunResync resyncs at once, retrying a failed first resync with a short
// backoff; calls ready after the first one succeeds; then resyncs every
// resyncPeriod until ctx ends.
func (c *Controller) RunResync(ctx context.Context, ready func()) {
	for delay := time.Second; ; delay = min(2*delay, 30*time.Second) {
		err := c.Resync(ctx)
		if err == nil {
			break
		}
		c.log.WithError(err).WithField("retry-in", delay).Warn("The first resync failed; promoter is not ready until it succeeds.")
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
	}
	if ready != nil {
		ready()
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(c.config().ResyncPeriod.Duration):
		}
		if err := c.Resync(ctx); err != nil {
			c.log.WithError(err).Warn("Resync failed; the next one will try again.")
		}
	}
}
