package promoter

import (
	"context"
	"strings"
	"time"

	"github.com/sirupsen/logrus"

	"sigs.k8s.io/promoter/pkg/promoter/config"
	"sigs.k8s.io/promoter/pkg/promoter/jobs"
	"sigs.k8s.io/promoter/pkg/promoter/pullrequest"
	"sigs.k8s.io/promoter/pkg/promoter/source"
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
	for _, pr := range prs.Ours {
		k := Key{Project: pr.Project, Tag: pr.Tag}
		known[k] = true
		if c.tracker.adopt(k, adopted(pr)) {
			// The PR answers what the job source's first list asked for
			// this key before the PRs were read.
			c.dropRebuild(k)
		} else {
			c.tracker.observe(k, pr)
		}
		if pr.State == pullrequest.StateMerged && c.watching(pr.MergedAt) && c.unwatched(k) {
			c.Request(k, Ask{Rebuild: true, Watch: true, Merged: pr.MergedAt})
		}
	}
	c.indexOthers(ctx, manifestRepo(cfg), prs.Others)
	n := 0
	ask := func(k Key) {
		if known[k] || c.pending(k) || c.coveredAll(k) {
			return
		}
		known[k] = true
		c.Enqueue(k)
		n++
	}
	for _, r := range c.runs() {
		if !r.Done() {
			continue
		}
		for _, k := range c.keysForRun(r) {
			ask(k)
		}
	}
	for _, k := range c.commitBuilt(ctx, cfg) {
		ask(k)
	}
	c.log.WithFields(logrus.Fields{"prs": len(prs.Ours), "others": len(prs.Others), "enqueued": n}).Info("Resync done.")
	return nil
}

// commitBuilt finds the release tags of projects whose images are built
// from the tagged commit on a branch: a finished run there names a commit,
// not a tag, so the tags are read from the source repository (one call per
// repository) and matched to the commits that finished runs built. This is
// how a lost tag push of a commit-built release is found again.
func (c *Controller) commitBuilt(ctx context.Context, cfg *config.Config) []Key {
	if c.source == nil || c.jobs == nil {
		return nil
	}
	built := map[string]map[string]bool{} // commit -> jobs that built it
	for _, r := range c.jobs.List() {
		if r.Done() {
			if built[r.BaseSHA] == nil {
				built[r.BaseSHA] = map[string]bool{}
			}
			built[r.BaseSHA][strings.ToLower(r.Org+"/"+r.Repo)+" "+r.Job] = true
		}
	}
	var keys []Key
	tagsOf := map[string][]source.Tag{}
	for i := range cfg.Projects {
		p := &cfg.Projects[i]
		if !p.ByCommit() {
			continue
		}
		tags, ok := tagsOf[p.Repo]
		if !ok {
			var err error
			if tags, err = c.source.Tags(ctx, owner(p.Repo), name(p.Repo)); err != nil {
				c.log.WithError(err).WithField("project", p.Name).Warn("Cannot list tags for the resync.")
			}
			tagsOf[p.Repo] = tags
		}
		for _, t := range tags {
			if builtFor(p, t, built[t.Commit]) {
				keys = append(keys, Key{Project: p.Name, Tag: t.Name})
			}
		}
	}
	return keys
}

// builtFor reports whether tag t releases a commit-built image of p whose
// job has a finished run of t's commit.
func builtFor(p *config.Project, t source.Tag, jobs map[string]bool) bool {
	if len(jobs) == 0 {
		return false
	}
	rel, err := p.Release(t.Name, "")
	if err != nil {
		return false
	}
	for _, img := range rel.Images {
		if img.ByCommit && jobs[strings.ToLower(p.Repo)+" "+img.Job] {
			return true
		}
	}
	return false
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
		merged := pr.MergedAt
		st.Stage, st.Merged, st.Note = StageMerged, &merged, "the promotion PR merged (found on GitHub)"
	case pullrequest.StateClosed:
		st.Stage, st.ClosedBy = StageClosed, pr.ClosedBy
		st.Note = closedNote(Key{Project: pr.Project, Tag: pr.Tag}, pr.ClosedBy)
	default:
		st.Stage, st.Note = StagePROpen, "found open on GitHub"
	}
	return st
}

// unwatched reports a merged promotion whose watch has not ended and is not
// under way.
func (c *Controller) unwatched(k Key) bool {
	st, _ := c.tracker.Get(k)
	return st.Stage == StageMerged && !c.pending(k)
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

// dropRebuild forgets key's request if only the state rebuild asked for it.
func (c *Controller) dropRebuild(k Key) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if r, ok := c.requests[k]; ok && !r.fresh && len(r.replies) == 0 {
		delete(c.requests, k)
	}
}

// FirstResync resyncs at once, retrying with a short backoff until it
// succeeds; it reports false if ctx ended first. Work starts after it, so
// that a restart finds its PRs before it redoes anything.
func (c *Controller) FirstResync(ctx context.Context) bool {
	for delay := time.Second; ; delay = min(2*delay, 30*time.Second) {
		err := c.Resync(ctx)
		if err == nil {
			return true
		}
		c.log.WithError(err).WithField("retry-in", delay).Warn("The first resync failed; promoter is not ready until it succeeds.")
		select {
		case <-ctx.Done():
			return false
		case <-time.After(delay):
		}
	}
}

// ResyncEvery resyncs every resyncPeriod until ctx ends.
func (c *Controller) ResyncEvery(ctx context.Context) {
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
