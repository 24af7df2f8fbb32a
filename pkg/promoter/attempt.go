package promoter

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sirupsen/logrus"

	"sigs.k8s.io/promoter/pkg/promoter/pullrequest"
)

// attempt works on key once: it reconciles a snapshot of the request,
// records what happened, reports it, and decides what follows: done, retry
// later, or give up.
func (c *Controller) attempt(ctx context.Context, k Key) {
	snap, ok := c.snapshot(k)
	if !ok {
		c.queue.Forget(k) // a stale queue entry: nothing is asked
		return
	}
	prev, _ := c.tracker.Get(k)
	log := c.log.WithFields(logrus.Fields{"project": k.Project, "tag": k.Tag})
	actx, cancel := context.WithTimeout(ctx, c.attemptTimeout)
	st, err := c.reconcile(actx, k, snap, prev, log)
	cancel()
	if ctx.Err() != nil {
		return // shutting down: a restart's resync finds the work again
	}
	st, retry := c.judge(snap, st, err, log)
	c.tracker.put(k, st)
	c.report(ctx, k, snap.fresh, log)
	c.settle(k, snap, st, retry, err)
}

func (c *Controller) snapshot(k Key) (snapshot, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.requests[k]
	if !ok {
		return snapshot{}, false
	}
	return r.snapshot(), true
}

// judge turns an attempt's error into the status that follows it and says
// whether to retry: errors a person must fix end the round at once, waits
// and blips are retried until jobTimeout has passed since the first ask.
func (c *Controller) judge(snap snapshot, st Status, err error, log *logrus.Entry) (Status, bool) {
	var w *waitError
	switch {
	case err == nil:
		st.done, st.Error = true, ""
		return st, false
	case isPermanent(err):
		return c.failed(st, err, log), false
	case errors.As(err, &w) && !w.forJob && !snap.wait:
		// Only people asked, and no job is building the missing image:
		// waiting would not make it appear, so say so now.
		return c.failed(st, err, log), false
	}
	if limit := c.config().JobTimeout.Duration; !snap.watch && c.now().Sub(snap.since) > limit {
		return c.failed(st, fmt.Errorf("gave up after %s: %w", limit, err), log), false
	}
	reason := "transient"
	if w != nil {
		reason = "waiting"
	}
	retries.WithLabelValues(reason).Inc()
	log.WithError(err).WithField("reason", reason).Info("Will retry.")
	st.Error = err.Error()
	return st, true
}

func (c *Controller) failed(st Status, err error, log *logrus.Entry) Status {
	promotions.WithLabelValues("failed").Inc()
	log.WithError(err).Warn("Promotion failed.")
	var jf *jobFailed
	st.Stage, st.Error, st.done, st.jobFailed = StageFailed, err.Error(), true, errors.As(err, &jf)
	return st
}

// settle answers the asks this attempt covered, once its round has ended,
// and drops the request unless an ask came in meanwhile (the queue has the
// key again then). A round that goes on is queued after a backoff; a person
// who asked for an image nobody is building is answered now.
func (c *Controller) settle(k Key, snap snapshot, st Status, retry bool, err error) {
	var tell []*reply
	c.mu.Lock()
	r := c.requests[k]
	switch {
	case r == nil:
	case !retry:
		tell = snap.replies
		if r.gen == snap.gen {
			delete(c.requests, k)
		} else {
			r.drop(tell)
		}
	case isMissingImage(err):
		for _, x := range snap.replies {
			if x.prompt {
				tell = append(tell, x)
			}
		}
		r.drop(tell)
	}
	c.mu.Unlock()
	if retry {
		c.queue.AddRateLimited(k)
		if len(tell) > 0 {
			st.Note = "the promotion goes on waiting for the staging image until " + st.Started.Add(c.config().JobTimeout.Duration).UTC().Format(time.RFC3339)
		}
	} else {
		c.queue.Forget(k)
	}
	for _, x := range tell {
		x.tell(st)
	}
}

// permanentError will not go away by retrying: a maintainer must act.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

func permanent(err error) error { return &permanentError{err: err} }

// waitError means "not there yet": retried until the time limit.
type waitError struct {
	err    error
	forJob bool // an image job is running (or about to): worth waiting for
}

func (e *waitError) Error() string { return e.err.Error() }
func (e *waitError) Unwrap() error { return e.err }

func waiting(forJob bool, format string, args ...any) error {
	return &waitError{err: fmt.Errorf(format, args...), forJob: forJob}
}

func asWait(err error, w **waitError) bool { return errors.As(err, w) }

// isMissingImage: a staging image not there while no job builds it.
func isMissingImage(err error) bool {
	var w *waitError
	return errors.As(err, &w) && !w.forJob
}

func isPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

// gitHubError classifies an error from GitHub: one a person must fix
// (bad credentials, a forbidden call, a conflict, a refused request) ends
// the round; a blip is retried.
func gitHubError(err error) error {
	if err != nil && pullrequest.IsPermanent(err) {
		return permanent(err)
	}
	return err
}
