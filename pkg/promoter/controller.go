// Package promoter is the domain: for a (project, git tag) it resolves the
// staging digests, edits images.yaml and opens or refreshes the one
// promotion PR. Events only enqueue keys; the reconcile loop does the work.
package promoter

import (
	"context"
	"errors"
	"regexp"
	"sync"
	"time"

	"github.com/sirupsen/logrus"
	"k8s.io/client-go/util/workqueue"

	"sigs.k8s.io/promoter/pkg/promoter/config"
	"sigs.k8s.io/promoter/pkg/promoter/jobs"
	"sigs.k8s.io/promoter/pkg/promoter/pullrequest"
	"sigs.k8s.io/promoter/pkg/promoter/registry"
)

// Registry resolves staging builds (pkg/promoter/registry).
type Registry interface {
	Resolve(ctx context.Context, repository string, match *regexp.Regexp) (registry.Build, error)
}

// GitHub reads the manifest repository and publishes PRs (pkg/promoter/pullrequest).
type GitHub interface {
	Head(r pullrequest.Repo) (string, error)
	ReadFile(ctx context.Context, r pullrequest.Repo, path, commit string) ([]byte, error)
	Publish(ctx context.Context, p pullrequest.Proposal) (pullrequest.Outcome, error)
	SetStatus(ctx context.Context, org, repo, tag string, s pullrequest.CommitStatus) error
	OpenPromotions(ctx context.Context, r pullrequest.Repo) ([]pullrequest.Open, error)
}

// Controller runs promotions from a keyed, deduplicating work queue: a key is
// never worked on by two workers at once, a key added while queued is
// merged, and one added while in work is worked on again afterwards.
type Controller struct {
	config   func() *config.Config
	registry Registry
	github   GitHub
	jobs     jobs.Source // nil: no ProwJobs, the staging registry is the evidence
	talk     Conversation
	comments chan struct{} // bounds the /promote comments handled at once
	dryRun   bool
	log      *logrus.Entry
	tracker  *Tracker
	queue    workqueue.RateLimitingInterface
	// Attempt timeout: one hung call must not hold a worker forever.
	attemptTimeout time.Duration

	mu       sync.Mutex
	busy     map[string]bool // projects with a promotion in work
	stagings map[string]staging
}

// Options for a Controller; zero values take defaults.
type Options struct {
	DryRun bool
	// Jobs is where image job runs are read; nil waits for no job.
	Jobs jobs.Source
	// Talk answers /promote comments; nil ignores them.
	Talk Conversation
	Log  *logrus.Entry
	// RetryBase and RetryMax bound the backoff between attempts
	// (default 2s and 5m).
	RetryBase, RetryMax time.Duration
	// AttemptTimeout bounds one reconcile attempt (default 5m).
	AttemptTimeout time.Duration
}

// New returns a Controller. cfg is called for every attempt, so a reloaded
// config takes effect at once.
func New(cfg func() *config.Config, reg Registry, gh GitHub, o Options) *Controller {
	base, max := o.RetryBase, o.RetryMax
	if base == 0 {
		base = 2 * time.Second
	}
	if max == 0 {
		max = 5 * time.Minute
	}
	log := o.Log
	if log == nil {
		log = logrus.WithField("component", "promoter")
	}
	return &Controller{
		config: cfg, registry: reg, github: gh, jobs: o.Jobs, talk: o.Talk, dryRun: o.DryRun, log: log,
		comments:       make(chan struct{}, 4),
		tracker:        NewTracker(),
		queue:          workqueue.NewRateLimitingQueue(workqueue.NewItemExponentialFailureRateLimiter(base, max)),
		attemptTimeout: orDuration(o.AttemptTimeout, 5*time.Minute),
		busy:           map[string]bool{},
		stagings:       map[string]staging{},
	}
}

// Tracker exposes the promotions' status.
func (c *Controller) Tracker() *Tracker { return c.tracker }

// Enqueue asks for key to be reconciled. It never blocks.
func (c *Controller) Enqueue(k Key) {
	c.tracker.begin(k)
	c.queue.Add(k)
}

// Run works the queue with n workers until ctx ends.
func (c *Controller) Run(ctx context.Context, n int) {
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c.next(ctx) {
			}
		}()
	}
	<-ctx.Done()
	c.queue.ShutDown()
	wg.Wait()
}

func (c *Controller) next(ctx context.Context) bool {
	item, quit := c.queue.Get()
	if quit {
		return false
	}
	defer c.queue.Done(item)
	k := item.(Key)
	// One promotion per project at a time: they edit the same file. Others
	// go on; this key comes back shortly.
	if !c.claim(k.Project) {
		c.queue.AddAfter(k, time.Second)
		return true
	}
	defer c.release(k.Project)
	c.attempt(ctx, k)
	return true
}

func (c *Controller) claim(project string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.busy[project] {
		return false
	}
	c.busy[project] = true
	return true
}

func (c *Controller) release(project string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.busy, project)
}

// attempt runs one reconcile and decides what follows: done, retry later, or
// give up.
func (c *Controller) attempt(ctx context.Context, k Key) {
	log := c.log.WithFields(logrus.Fields{"project": k.Project, "tag": k.Tag})
	actx, cancel := context.WithTimeout(ctx, c.attemptTimeout)
	err := c.reconcile(actx, k, log)
	cancel()
	defer c.tracker.settle(k) // after the report below: defers run last first
	defer c.report(ctx, k, log)
	if err == nil || ctx.Err() != nil {
		c.queue.Forget(k)
		return
	}
	var perm *permanentError
	if errors.As(err, &perm) {
		c.fail(k, log, err)
		return
	}
	st, _ := c.tracker.Get(k)
	var w *waitError
	if errors.As(err, &w) && !w.forJob && st.prompt {
		// A maintainer asked with /promote and no job is still building:
		// a missing staging image will not appear by waiting, so say so now.
		c.fail(k, log, permanent(err))
		return
	}
	limit := c.config().JobTimeout.Duration
	if time.Since(st.Started) > limit {
		c.fail(k, log, &permanentError{err: errors.New("gave up after " + limit.String() + ": " + err.Error())})
		return
	}
	reason := "transient"
	if w != nil {
		reason = "waiting"
	}
	retries.WithLabelValues(reason).Inc()
	log.WithError(err).WithField("reason", reason).Info("Will retry.")
	c.tracker.update(k, func(s *Status) { s.Error = err.Error() })
	c.queue.AddRateLimited(k)
}

func (c *Controller) fail(k Key, log *logrus.Entry, err error) {
	c.queue.Forget(k)
	promotions.WithLabelValues("failed").Inc()
	log.WithError(err).Warn("Promotion failed.")
	c.tracker.update(k, func(s *Status) { s.Stage, s.Error = StageFailed, err.Error() })
}

// permanentError will not go away by retrying: a maintainer must act.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

func permanent(err error) error { return &permanentError{err: err} }

// waitError means "not there yet": retried until the time limit.
type waitError struct {
	msg    string
	forJob bool // an image job is running (or about to): worth waiting for
}

func (e *waitError) Error() string { return e.msg }

func orDuration(v, d time.Duration) time.Duration {
	if v == 0 {
		return d
	}
	return v
}
