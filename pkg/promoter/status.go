package promoter

import (
	"sort"
	"sync"
	"time"

	"sigs.k8s.io/promoter/pkg/promoter/pullrequest"
)

// Key identifies one promotion: a git tag of a project. All work is keyed by
// it, never by a webhook's delivery id (Prow's phony always sends "GUID").
type Key struct{ Project, Tag string }

func (k Key) String() string { return k.Project + " " + k.Tag }

// Stage is where a promotion stands; the values are part of /promotions' contract.
type Stage string

const (
	StageWaitingForJob   Stage = "waiting-for-job"
	StageResolving       Stage = "resolving"
	StagePROpen          Stage = "pr-open"
	StageAlreadyPromoted Stage = "already-promoted"
	StageFailed          Stage = "failed"
)

// terminal stages end a round of work; a new event starts a new round.
func (s Stage) terminal() bool {
	return s == StagePROpen || s == StageAlreadyPromoted || s == StageFailed
}

// Status is one tracked promotion, as /promotions shows it.
type Status struct {
	Project string    `json:"project"`
	Tag     string    `json:"tag"`
	Stage   Stage     `json:"stage"`
	PR      string    `json:"pr,omitempty"`
	Error   string    `json:"error,omitempty"`
	Note    string    `json:"note,omitempty"`
	Jobs    []string  `json:"jobs"`
	Images  []Image   `json:"images,omitempty"`
	Started time.Time `json:"started"`
	Updated time.Time `json:"updated"`

	reported pullrequest.CommitStatus // last commit status set, to set each once
	dryRun   bool                     // a dry run ended this round (its stage stays resolving)
	only     []string                 // images a /promote limited this round to; nil: all
	commit   string                   // a merged PR's merge commit: promote its builds, not a tag's
	prompt   bool                     // a /promote asked: answer a missing staging image at once
}

// settled reports whether this round of work has ended.
func (s *Status) settled() bool { return s.Stage.terminal() || s.dryRun }

// Image is one resolved image of a promotion.
type Image struct {
	Name       string   `json:"name"`
	Digest     string   `json:"digest"`
	StagingTag string   `json:"stagingTag"`
	Tag        string   `json:"tag"`
	Platforms  []string `json:"platforms,omitempty"`
}

// Tracker keeps the status of every promotion this process has seen.
type Tracker struct {
	mu       sync.Mutex
	all      map[Key]*Status
	watchers map[Key][]func(Status) // told once when the round settles
	now      func() time.Time
}

// NewTracker returns an empty tracker.
func NewTracker() *Tracker {
	return &Tracker{all: map[Key]*Status{}, watchers: map[Key][]func(Status){}, now: time.Now}
}

// watch calls f with key's status when its current round settles.
func (t *Tracker) watch(k Key, f func(Status)) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.watchers[k] = append(t.watchers[k], f)
}

// settle tells the watchers of key, if its round has settled.
func (t *Tracker) settle(k Key) {
	t.mu.Lock()
	s, ok := t.all[k]
	if !ok || !s.settled() || len(t.watchers[k]) == 0 {
		t.mu.Unlock()
		return
	}
	st, fs := *s, t.watchers[k]
	delete(t.watchers, k)
	t.mu.Unlock()
	for _, f := range fs {
		f(st)
	}
}

// begin records interest in key. It starts a new round (and the clock of
// its time limit) unless a round is already under way.
func (t *Tracker) begin(k Key) {
	t.mu.Lock()
	defer t.mu.Unlock()
	s, ok := t.all[k]
	if ok && !s.settled() {
		return
	}
	now := t.now()
	ns := &Status{Project: k.Project, Tag: k.Tag, Stage: StageResolving, Jobs: []string{}, Started: now, Updated: now}
	if ok {
		ns.reported = s.reported // the commit status is still there: set it again only if it changes
	}
	t.all[k] = ns
}

// adopt records an open PR found on GitHub for a key this process has not
// seen (after a restart).
func (t *Tracker) adopt(k Key, pr string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.all[k]; ok {
		return
	}
	now := t.now()
	t.all[k] = &Status{Project: k.Project, Tag: k.Tag, Stage: StagePROpen, PR: pr, Jobs: []string{},
		Note: "found open on GitHub at start", Started: now, Updated: now}
}

// update applies f to key's status under the lock.
func (t *Tracker) update(k Key, f func(*Status)) {
	t.mu.Lock()
	defer t.mu.Unlock()
	s, ok := t.all[k]
	if !ok {
		now := t.now()
		s = &Status{Project: k.Project, Tag: k.Tag, Jobs: []string{}, Started: now}
		t.all[k] = s
	}
	f(s)
	s.Updated = t.now()
}

// Get returns a copy of key's status.
func (t *Tracker) Get(k Key) (Status, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	s, ok := t.all[k]
	if !ok {
		return Status{}, false
	}
	return *s, true
}

// List returns every status, most recently updated first.
func (t *Tracker) List() []Status {
	t.mu.Lock()
	out := make([]Status, 0, len(t.all))
	for _, s := range t.all {
		out = append(out, *s)
	}
	t.mu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Updated.Equal(out[j].Updated) {
			return out[i].Updated.After(out[j].Updated)
		}
		return out[i].Project+out[i].Tag < out[j].Project+out[j].Tag
	})
	return out
}
