package promoter

import (
	"context"
	"fmt"
	"strings"
	"time"

	"sigs.k8s.io/promoter/pkg/promoter/config"
	"sigs.k8s.io/promoter/pkg/promoter/jobs"
	"sigs.k8s.io/promoter/pkg/promoter/pullrequest"
)

// jobCheck is what the image jobs of a release say.
type jobCheck struct {
	urls    []string // newest run of each job, for /promotions and the PR
	byImage map[string]string
	doneAt  time.Time // when the last of them finished
	note    string    // why the staging registry alone is the evidence
}

// checkJobs looks at the newest run of each image's job for the tag. While
// one runs (or none has appeared within jobWindow) the promotion waits; a
// failed newest run stops it with the run's link; an image job that never
// ran falls back to the staging registry, and says so.
func (c *Controller) checkJobs(k Key, tr *Tracker, p *config.Project, rel config.Release) (jobCheck, error) {
	jc := jobCheck{byImage: map[string]string{}}
	if c.jobs == nil {
		return jc, nil
	}
	org, repo, _ := strings.Cut(p.Repo, "/")
	st, _ := tr.Get(k)
	window := c.config().JobWindow.Duration
	var waiting, missing []string
	for _, img := range rel.Images {
		if img.Job == "" {
			continue
		}
		runs := c.runsOf(img.Job, org, repo, rel)
		if len(runs) == 0 {
			if time.Since(st.Started) < window {
				waiting = append(waiting, fmt.Sprintf("no run of %s for %s seen yet", img.Job, rel.GitTag))
			} else {
				missing = append(missing, img.Job)
			}
			continue
		}
		r := runs[0]
		jc.urls = append(jc.urls, r.URL)
		jc.byImage[img.Name] = r.URL
		switch {
		case !r.Done():
			waiting = append(waiting, fmt.Sprintf("image job %s is %s (%s)", img.Job, orState(r.State), r.URL))
		case !r.Succeeded():
			tr.update(k, func(s *Status) { s.Jobs = append([]string{}, jc.urls...) })
			return jc, permanent(&jobFailed{job: img.Job, state: r.State, url: r.URL})
		case r.Completion.After(jc.doneAt):
			jc.doneAt = r.Completion
		}
	}
	tr.update(k, func(s *Status) { s.Jobs = append([]string{}, jc.urls...) })
	if len(waiting) > 0 {
		tr.update(k, func(s *Status) { s.Stage = StageWaitingForJob })
		return jc, &waitError{msg: "waiting: " + strings.Join(waiting, "; "), forJob: true}
	}
	if len(missing) > 0 {
		jc.note = fmt.Sprintf("no run of %s for this tag was seen within %s; the staging registry alone is the evidence", strings.Join(missing, ", "), window)
	}
	return jc, nil
}

// runsOf are the runs of job for the release: at the tag, or for a merged
// PR's builds, the postsubmit runs at its merge commit.
func (c *Controller) runsOf(job, org, repo string, rel config.Release) []jobs.Run {
	if rel.Commit == "" {
		return c.jobs.Runs(job, org, repo, rel.GitTag)
	}
	var out []jobs.Run
	for _, r := range c.jobs.List() {
		if r.Job == job && r.Org == org && r.Repo == repo && r.BaseSHA == rel.Commit {
			out = append(out, r)
		}
	}
	return out
}

// jobFailed stops a promotion: the newest run of an image job failed.
type jobFailed struct{ job, state, url string }

func (e *jobFailed) Error() string {
	return fmt.Sprintf("image job %s ended in %s: %s; fix the build and rerun the job, and the promotion follows its success", e.job, e.state, e.url)
}

func orState(s string) string {
	if s == "" {
		return "triggered"
	}
	return s
}

// JobDone is the job source's callback: a finished run of a configured image
// job at one of a project's release tags enqueues that promotion. It never
// blocks.
func (c *Controller) JobDone(r jobs.Run) {
	for _, k := range c.keysForRun(r) {
		c.Enqueue(k)
	}
}

func (c *Controller) keysForRun(r jobs.Run) []Key {
	var keys []Key
	for _, p := range c.config().ProjectsFor(r.Org + "/" + r.Repo) {
		rel, err := p.Release(r.BaseRef, "")
		if err != nil {
			continue
		}
		for _, img := range rel.Images {
			if img.Job == r.Job {
				keys = append(keys, Key{Project: p.Name, Tag: r.BaseRef})
				break
			}
		}
	}
	return keys
}

// Resync rebuilds the work from state, not events: promoter's open PRs
// (their hidden metadata) are recorded as open, and every finished run of a
// configured image job at a release tag this process does not track yet is
// enqueued. Reconciling a settled or open promotion again is
// harmless (it finds the PR or "already promoted"); this only saves calls.
func (c *Controller) Resync(ctx context.Context) error {
	cfg := c.config()
	repo := pullrequest.Repo{Org: owner(cfg.ManifestRepo), Name: name(cfg.ManifestRepo), Branch: cfg.ManifestBranch}
	open, err := c.github.OpenPromotions(ctx, repo)
	if err != nil {
		return err
	}
	known := map[Key]bool{}
	for _, o := range open {
		k := Key{Project: o.Project, Tag: o.Tag}
		known[k] = true
		c.tracker.adopt(k, o.URL)
	}
	n := 0
	for _, r := range c.runs() {
		if !r.Done() {
			continue
		}
		for _, k := range c.keysForRun(r) {
			// A tracked key is settled, or queued, in work or waiting for
			// its retry: either way it needs nothing from the resync.
			if _, tracked := c.tracker.Get(k); known[k] || tracked {
				continue
			}
			known[k] = true
			c.Enqueue(k)
			n++
		}
	}
	c.log.WithField("open-prs", len(open)).WithField("enqueued", n).Info("Resync done.")
	return nil
}

func (c *Controller) runs() []jobs.Run {
	if c.jobs == nil {
		return nil
	}
	return c.jobs.List()
}

// RunResync resyncs now and every resyncPeriod until ctx ends.
func (c *Controller) RunResync(ctx context.Context) {
	for {
		if err := c.Resync(ctx); err != nil {
			c.log.WithError(err).Warn("Resync failed; the next one will try again.")
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(c.config().ResyncPeriod.Duration):
		}
	}
}
