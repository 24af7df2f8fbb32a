package promoter

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"sigs.k8s.io/promoter/pkg/promoter/config"
	"sigs.k8s.io/promoter/pkg/promoter/jobs"
)

// jobCheck is what the image jobs of a release say.
type jobCheck struct {
	urls    []string // newest run of each job, for /promotions and the PR
	byImage map[string]string
	doneAt  time.Time // when the last of them finished
	// waiting says why the promotion must wait: a run still going, or no
	// run seen yet within jobWindow.
	waiting []string
	note    string // why the staging registry alone is the evidence
}

// checkJobs looks at the newest run of each image's job for the release:
// at the tag for a tag-built image, at the released commit on any branch
// for one built from the commit. While one runs (or none has appeared
// within jobWindow of the first ask) the promotion waits; a failed newest
// run stops it with the run's link; a job that never ran falls back to the
// staging registry, and says so.
func (c *Controller) checkJobs(p *config.Project, rel config.Release, since time.Time) (jobCheck, error) {
	jc := jobCheck{byImage: map[string]string{}}
	if c.jobs == nil {
		return jc, nil
	}
	window := c.config().JobWindow.Duration
	var missing []string
	for _, img := range rel.Images {
		if img.Job == "" {
			continue
		}
		runs := c.runsOf(img, p.Repo, rel)
		if len(runs) == 0 {
			if until := since.Add(window); c.now().Before(until) {
				jc.waiting = append(jc.waiting, fmt.Sprintf("no run of %s for %s seen yet (waiting until %s, then the staging registry alone is the evidence)",
					img.Job, what(img, rel), until.UTC().Format(time.RFC3339)))
			} else {
				missing = append(missing, img.Job)
			}
			continue
		}
		r := runs[0]
		// A run Prow has just triggered has no link yet.
		if r.URL != "" && !slices.Contains(jc.urls, r.URL) {
			jc.urls = append(jc.urls, r.URL)
		}
		if r.URL != "" {
			jc.byImage[img.Name] = r.URL
		}
		switch {
		case !r.Done():
			jc.waiting = append(jc.waiting, fmt.Sprintf("image job %s is %s (%s)", img.Job, orState(r.State), orNoLink(r.URL)))
		case !r.Succeeded():
			return jc, permanent(&jobFailed{job: img.Job, state: r.State, url: r.URL})
		case r.Completion.After(jc.doneAt):
			jc.doneAt = r.Completion
		}
	}
	if len(missing) > 0 {
		jc.note = fmt.Sprintf("no run of %s for %s was seen within %s; the staging registry alone is the evidence", strings.Join(missing, ", "), whatRelease(rel), window)
	}
	return jc, nil
}

// runsOf are the runs of the image's job that built this release, newest
// first: at the tag, or for an image built from the released commit (and a
// merged PR's builds), the postsubmit runs whose base SHA is the commit.
func (c *Controller) runsOf(img config.ImageRelease, sourceRepo string, rel config.Release) []jobs.Run {
	org, repo := owner(sourceRepo), name(sourceRepo)
	if !img.ByCommit {
		return c.jobs.Runs(img.Job, org, repo, rel.GitTag)
	}
	var out []jobs.Run
	for _, r := range c.jobs.List() {
		if r.Job == img.Job && strings.EqualFold(r.Org, org) && strings.EqualFold(r.Repo, repo) && r.BaseSHA == rel.Commit {
			out = append(out, r)
		}
	}
	return out
}

func what(img config.ImageRelease, rel config.Release) string {
	if img.ByCommit {
		return fmt.Sprintf("commit %.12s", rel.Commit)
	}
	return rel.GitTag
}

func whatRelease(rel config.Release) string {
	if rel.Merged {
		return fmt.Sprintf("commit %.12s", rel.Commit)
	}
	return "this tag"
}

// jobFailed stops a promotion: the newest run of an image job failed.
type jobFailed struct{ job, state, url string }

func (e *jobFailed) Error() string {
	return fmt.Sprintf("image job %s ended in %s: %s; fix the build and rerun the job, and the promotion follows its success", e.job, e.state, e.url)
}

func orNoLink(url string) string {
	if url == "" {
		return "no link yet"
	}
	return url
}

func orState(s string) string {
	if s == "" {
		return "triggered"
	}
	return s
}

// JobDone is the job source's callback for a finished run. A run of a
// configured image job at a release tag asks for that tag's promotion; a
// run on a branch wakes every pending promotion whose commit it built. It
// never blocks.
func (c *Controller) JobDone(r jobs.Run) {
	if c.standby.Load() {
		return // the leader sees the same run; a new leader's resync finds it
	}
	for _, k := range c.keysForRun(r) {
		c.Enqueue(k)
	}
	for _, k := range c.waitingOn(r.BaseSHA) {
		c.queue.Add(k)
	}
}

// JobRunning is the job source's callback for a run seen running (or in a
// new state while running): a rerun of a failed image job puts its
// promotion back to waiting on it, and a waiting promotion shows the run it
// waits on. It never blocks.
func (c *Controller) JobRunning(r jobs.Run) {
	if c.standby.Load() {
		return
	}
	keys := append(c.keysForRun(r), c.waitingOn(r.BaseSHA)...)
	keys = append(keys, c.tracker.failedByJob(r.BaseSHA)...)
	for _, k := range keys {
		st, ok := c.tracker.Get(k)
		switch {
		case c.pending(k):
			c.queue.Add(k)
		case ok && st.done && st.jobFailed:
			c.Enqueue(k)
		}
	}
}

// keysForRun are the promotions a finished run at a tag asks for.
func (c *Controller) keysForRun(r jobs.Run) []Key {
	var keys []Key
	for _, p := range c.config().ProjectsFor(r.Org + "/" + r.Repo) {
		rel, err := p.Release(r.BaseRef, "")
		if err != nil {
			continue
		}
		for _, img := range rel.Images {
			if img.Job == r.Job && !img.ByCommit {
				keys = append(keys, Key{Project: p.Name, Tag: r.BaseRef})
				break
			}
		}
	}
	return keys
}

// waitingOn are the pending promotions of commit sha: a build of it on a
// branch may be what they wait for. A tag's commit is known once an
// attempt has looked it up (the status records it).
func (c *Controller) waitingOn(sha string) []Key {
	if sha == "" {
		return nil
	}
	c.mu.Lock()
	pending := make(map[Key]string, len(c.requests))
	for k, r := range c.requests {
		pending[k] = r.commit
	}
	c.mu.Unlock()
	var out []Key
	for k, commit := range pending {
		if st, _ := c.tracker.Get(k); commit == sha || st.Commit == sha {
			out = append(out, k)
		}
	}
	return out
}
