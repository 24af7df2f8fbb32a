package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/sirupsen/logrus"
	prowapi "sigs.k8s.io/prow/pkg/apis/prowjobs/v1"
)

const (
	// deckQuery drops the bulky fields promoter never reads (Deck's own UI
	// asks the same). Labels stay: the event-GUID label is one of them.
	deckQuery = "omit=annotations,decoration_config,pod_spec"
	// defaultMaxBody bounds one /prowjobs.js answer. prow.k8s.io's is tens of
	// MB with these omissions; a runaway answer must not exhaust memory.
	defaultMaxBody = 200 << 20
	// firstPollBackoff is the first wait before retrying a failed first poll;
	// it doubles up to the poll interval.
	firstPollBackoff = time.Second
	// defaultInterval is how often Deck itself refreshes its job list.
	defaultInterval = 30 * time.Second
)

// DeckOption configures NewDeck.
type DeckOption func(*deck)

// WithHTTPClient makes Deck polls use c instead of a client with a 30 s
// timeout.
func WithHTTPClient(c *http.Client) DeckOption {
	return func(d *deck) { d.client = c }
}

// deck is the out-of-cluster Source: it polls Deck and keeps the latest
// answer's postsubmit runs.
type deck struct {
	baseURL  string
	interval time.Duration
	client   *http.Client
	maxBody  int64
	log      *logrus.Entry

	onRunning func(Run)

	mu    sync.RWMutex
	all   []Run // newest first
	byKey map[runKey][]Run
}

func (d *deck) OnRunning(f func(Run)) { d.onRunning = f }

// NewDeck returns a Source that polls baseURL's /prowjobs.js every interval
// (30 s, Deck's own refresh period, if interval is not positive).
func NewDeck(baseURL string, interval time.Duration, opts ...DeckOption) Source {
	if interval <= 0 {
		interval = defaultInterval
	}
	d := &deck{
		baseURL:  baseURL,
		interval: interval,
		client:   &http.Client{Timeout: 30 * time.Second},
		maxBody:  defaultMaxBody,
		log:      logrus.WithField("component", "jobs-deck"),
	}
	for _, o := range opts {
		o(d)
	}
	return d
}

// Start polls until the first poll succeeds (a Deck briefly down at start
// does not stop promoter), reports every done run of it, then polls every
// interval in the background until ctx ends. A 4xx answer (a wrong URL, a
// Deck that refuses promoter) ends the wait at once; other failures are
// retried until timeout.
func (d *deck) Start(ctx context.Context, onDone func(Run), timeout time.Duration) error {
	endpoint, err := d.endpoint()
	if err != nil {
		return err
	}
	log := d.log.WithField("url", endpoint.Redacted())
	syncCtx, cancel := syncDeadline(ctx, timeout)
	defer cancel()
	first, err := d.firstPoll(syncCtx, endpoint.String(), log)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return err
	}
	d.report(nil, first, onDone)
	go d.loop(ctx, endpoint.String(), first, onDone, log)
	return nil
}

// endpoint is baseURL/prowjobs.js with the omissions; a bad base URL is a
// configuration error, not something to retry.
func (d *deck) endpoint() (*url.URL, error) {
	u, err := url.Parse(d.baseURL)
	if err != nil {
		return nil, fmt.Errorf("parsing the Deck URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("the Deck URL %q is not http(s)", u.Redacted())
	}
	u = u.JoinPath("prowjobs.js")
	u.RawQuery = deckQuery
	return u, nil
}

// firstPoll retries with a backoff capped at the interval until a poll
// succeeds or ctx ends.
func (d *deck) firstPoll(ctx context.Context, endpoint string, log *logrus.Entry) (map[string]Run, error) {
	wait := min(firstPollBackoff, d.interval)
	var last error // the last failure of Deck's own, not of the deadline
	for {
		runs, err := d.poll(ctx, endpoint)
		var refused *refusedError
		switch {
		case err == nil:
			return runs, nil
		case errors.As(err, &refused):
			return nil, fmt.Errorf("reading ProwJobs from Deck was refused: %w", err)
		case ctx.Err() != nil:
			return nil, errLast(context.Cause(ctx), last)
		}
		last = err
		log.WithError(err).WithField("retry-in", wait).Warn("Cannot read ProwJobs from Deck yet.")
		select {
		case <-ctx.Done():
			return nil, errLast(context.Cause(ctx), last)
		case <-time.After(wait):
		}
		wait = min(2*wait, d.interval)
	}
}

// loop polls every interval; a failed poll keeps the last good state.
func (d *deck) loop(ctx context.Context, endpoint string, prev map[string]Run, onDone func(Run), log *logrus.Entry) {
	t := time.NewTicker(d.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		cur, err := d.poll(ctx, endpoint)
		if err != nil {
			if ctx.Err() == nil {
				log.WithError(err).Warn("Reading ProwJobs from Deck failed; keeping the last list.")
			}
			continue
		}
		d.report(prev, cur, onDone)
		prev = cur
	}
}

// poll reads one answer and, on success, makes it the state. It returns the
// runs by name for the next comparison.
func (d *deck) poll(ctx context.Context, endpoint string) (map[string]Run, error) {
	runs, err := d.fetch(ctx, endpoint)
	if err != nil {
		return nil, err
	}
	d.set(runs)
	byName := make(map[string]Run, len(runs))
	for _, r := range runs {
		byName[r.Name] = r
	}
	return byName, nil
}

func (d *deck) fetch(ctx context.Context, endpoint string) ([]Run, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := d.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	switch code := resp.StatusCode; {
	case code >= 400 && code < 500 && code != http.StatusRequestTimeout && code != http.StatusTooManyRequests:
		return nil, &refusedError{status: resp.Status}
	case code != http.StatusOK:
		return nil, fmt.Errorf("deck answered %s", resp.Status)
	}
	return decodeRuns(&limitedReader{r: resp.Body, n: d.maxBody})
}

// report calls onDone, outside the lock, for each run of cur that finished
// since prev. With no prev (the first poll) that is every done run, as the
// informer reports done jobs on Add.
func (d *deck) report(prev, cur map[string]Run, onDone func(Run)) {
	var done, running []Run
	for name, r := range cur {
		p, known := prev[name]
		switch {
		case newlyDone(p, known, r):
			done = append(done, r)
		case newlyRunning(p, known, r):
			running = append(running, r)
		}
	}
	// Oldest first, so the caller sees changes in the order they happened.
	oldestFirst := func(a, b Run) int { return newestFirst(b, a) }
	slices.SortFunc(done, oldestFirst)
	slices.SortFunc(running, oldestFirst)
	for _, r := range done {
		onDone(r)
	}
	if d.onRunning != nil {
		for _, r := range running {
			d.onRunning(r)
		}
	}
}

// set replaces the state with runs, sorted and indexed.
func (d *deck) set(runs []Run) {
	sortRuns(runs)
	byKey := make(map[runKey][]Run)
	for _, r := range runs {
		k := keyOf(r)
		byKey[k] = append(byKey[k], r)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.all, d.byKey = runs, byKey
}

// Runs returns a copy: the state's slices are shared between calls.
func (d *deck) Runs(job, org, repo, baseRef string) []Run {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return slices.Clone(d.byKey[runKey{job, org, repo, baseRef}])
}

// List returns a copy of every postsubmit run of the last good poll.
func (d *deck) List() []Run {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return slices.Clone(d.all)
}

// decodeRuns streams {"items":[ProwJob...]}, keeping only postsubmit runs,
// so the thousands of other jobs Deck lists are never held at once.
func decodeRuns(r io.Reader) ([]Run, error) {
	dec := json.NewDecoder(r)
	if err := expectDelim(dec, '{'); err != nil {
		return nil, err
	}
	var runs []Run
	sawItems := false
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("decoding Deck's answer: %w", err)
		}
		if key != "items" {
			if err := dec.Decode(&json.RawMessage{}); err != nil {
				return nil, fmt.Errorf("decoding Deck's answer: %w", err)
			}
			continue
		}
		if runs, err = decodeItems(dec); err != nil {
			return nil, err
		}
		sawItems = true
	}
	if err := expectDelim(dec, '}'); err != nil {
		return nil, err
	}
	// Deck answers "{}" when it fails to marshal its jobs: that is not an
	// empty list, and must not wipe the state.
	if !sawItems {
		return nil, errors.New("deck's answer has no items")
	}
	return runs, nil
}

// decodeItems reads the items array (or null, which is how Go marshals an
// empty slice that was never allocated) one ProwJob at a time.
func decodeItems(dec *json.Decoder) ([]Run, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("decoding Deck's items: %w", err)
	}
	if tok == nil {
		return []Run{}, nil
	}
	if tok != json.Delim('[') {
		return nil, fmt.Errorf("decoding Deck's items: want an array, got %v", tok)
	}
	runs := []Run{}
	for dec.More() {
		var pj prowapi.ProwJob
		if err := dec.Decode(&pj); err != nil {
			return nil, fmt.Errorf("decoding a ProwJob from Deck: %w", err)
		}
		if r, ok := FromProwJob(&pj); ok {
			runs = append(runs, r)
		}
	}
	return runs, expectDelim(dec, ']')
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("decoding Deck's answer: %w", err)
	}
	if tok != want {
		return fmt.Errorf("decoding Deck's answer: want %v, got %v", want, tok)
	}
	return nil
}

// errTooLarge is returned once a body passes the limit; a plain
// io.LimitReader would end it early and be reported as truncated JSON.
var errTooLarge = errors.New("deck's answer is larger than the limit")

// limitedReader reads at most n bytes, then fails with errTooLarge if the
// body goes on (a body of exactly n bytes still ends with io.EOF).
type limitedReader struct {
	r io.Reader
	n int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		var one [1]byte
		if n, err := io.ReadFull(l.r, one[:]); n == 0 {
			return 0, err
		}
		return 0, errTooLarge
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	return n, err
}

// refusedError is a Deck answer that retrying will not change.
type refusedError struct{ status string }

func (e *refusedError) Error() string { return "deck answered " + e.status }
