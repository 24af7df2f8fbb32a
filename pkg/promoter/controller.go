package promoter

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sirupsen/logrus"
	"k8s.io/client-go/util/workqueue"

	"sigs.k8s.io/promoter/pkg/promoter/config"
)

// Controller runs promotions from a keyed, deduplicating work queue: a key is
// never worked on by two workers at once, a key added while queued is
// merged, and one added while in work is worked on again afterwards. Keys
// of one project run in parallel: each tag has its own branch, reset to
// upstream main and written through the API, so two promotions never touch
// each other's work.
type Controller struct {
	config   func() *config.Config
	registry Registry
	github   Manifests
	jobs     Jobs   // nil: no ProwJobs, the staging registry is the evidence
	source   Source // nil: no commit statuses, no /promote
	trust    Trust
	dryRun   bool
	log      *logrus.Entry
	tracker  *Tracker
	queue    workqueue.RateLimitingInterface
	now      func() time.Time
	// Attempt timeout: one hung call must not hold a worker forever.
	attemptTimeout time.Duration
	comments       chan struct{} // bounds the /promote comments handled at once

	// standby: another replica leads. Asks are kept (to act on should this
	// one lead), nothing is worked on and nothing written.
	standby  atomic.Bool
	mu       sync.Mutex
	requests map[Key]*request
	held     []CommentRequest // /promote comments received while standing by
	stagings map[string]staging
	owners   map[string]approverList // project -> its approvers in kubernetes/k8s.io
	humans   map[int]humanPR         // others' open PRs on the manifest repository
	prods    map[string]prodCache    // project -> its promoter-manifest.yaml, for production
}

// Options for a Controller; zero values take defaults.
type Options struct {
	DryRun bool
	// Jobs is where image job runs are read; nil waits for no job.
	Jobs Jobs
	// Source reads tags and writes commit statuses and replies in source
	// repositories; Trust says who may /promote. Without them no status is
	// set and /promote comments are ignored.
	Source Source
	Trust  Trust
	Log    *logrus.Entry
	// RetryBase and RetryMax bound the backoff between attempts
	// (default 2s and 5m).
	RetryBase, RetryMax time.Duration
	// AttemptTimeout bounds one reconcile attempt (default 5m).
	AttemptTimeout time.Duration
	// Standby starts the controller standing by (leader election): see
	// Lead.
	Standby bool
}

// New returns a Controller. cfg is called for every attempt, so a reloaded
// config takes effect at once.
func New(cfg func() *config.Config, reg Registry, gh Manifests, o Options) *Controller {
	log := o.Log
	if log == nil {
		log = logrus.WithField("component", "promoter")
	}
	limiter := workqueue.NewItemExponentialFailureRateLimiter(orDuration(o.RetryBase, 2*time.Second), orDuration(o.RetryMax, 5*time.Minute))
	c := &Controller{
		config: cfg, registry: reg, github: gh, jobs: o.Jobs, source: o.Source, trust: o.Trust,
		dryRun: o.DryRun, log: log,
		tracker:        NewTracker(),
		queue:          workqueue.NewRateLimitingQueue(limiter),
		now:            time.Now,
		attemptTimeout: orDuration(o.AttemptTimeout, 5*time.Minute),
		comments:       make(chan struct{}, 4),
		requests:       map[Key]*request{},
		stagings:       map[string]staging{},
		owners:         map[string]approverList{},
		humans:         map[int]humanPR{},
		prods:          map[string]prodCache{},
	}
	c.standby.Store(o.Standby)
	return c
}

// Lead makes a standby controller the one that acts: comments it held are
// handled now. FirstResync, Run and ResyncEvery do the rest (the first
// resync rebuilds the work from ProwJobs and PRs at once).
func (c *Controller) Lead() {
	c.standby.Store(false)
	c.mu.Lock()
	held := c.held
	c.held = nil
	c.mu.Unlock()
	for _, req := range held {
		c.Comment(req)
	}
}

// Tracker exposes the promotions' status.
func (c *Controller) Tracker() *Tracker { return c.tracker }

// Enqueue asks for every image of key, waiting for builds, as the state
// rebuild does (a resync, a finished image job). It never blocks.
func (c *Controller) Enqueue(k Key) { c.Request(k, Ask{Rebuild: true}) }

// Request merges an ask into key's request and queues the key. It never
// blocks.
func (c *Controller) Request(k Key, a Ask) {
	c.mu.Lock()
	r, ok := c.requests[k]
	if !ok {
		r = &request{since: c.now()}
		c.requests[k] = r
	}
	r.merge(a)
	c.mu.Unlock()
	c.queue.Add(k)
}

// pending reports whether key has a request not yet settled.
func (c *Controller) pending(k Key) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.requests[k]
	return ok
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
	c.attempt(ctx, item.(Key))
	return true
}

func orDuration(v, d time.Duration) time.Duration {
	if v == 0 {
		return d
	}
	return v
}
