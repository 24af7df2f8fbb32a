package promoter

import (
	"sort"
	"sync"
	"time"

	"sigs.k8s.io/promoter/pkg/promoter/pullrequest"
	"sigs.k8s.io/promoter/pkg/promoter/source"
)

// Key identifies one promotion: a git tag of a project (for a merged PR's
// builds, its merge commit's short SHA). All work is keyed by it, never by
// a webhook's delivery id (Prow's phony always sends "GUID").
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
	// StageClosed: a reviewer closed the promotion PR without merging it.
	// It stays closed until a trusted /promote reopens it.
	StageClosed Stage = "closed"
	// StageMerged: the promotion PR merged; promoter watches the
	// production registry until every promoted tag serves its digest.
	StageMerged Stage = "merged"
	// StageLive: every promoted tag resolves to its digest in production.
	StageLive Stage = "live"
)

// Status is what happened to one promotion, as /promotions shows it. Only
// an attempt (or the state rebuild from GitHub) writes it; what was asked
// lives in the request.
type Status struct {
	Project string    `json:"project"`
	Tag     string    `json:"tag"`
	Stage   Stage     `json:"stage"`
	PR      string    `json:"pr,omitempty"`
	Error   string    `json:"error,omitempty"`
	Note    string    `json:"note,omitempty"`
	Jobs    []string  `json:"jobs"`
	Images  []Image   `json:"images,omitempty"`
	Only    []string  `json:"only,omitempty"`   // the images this round was limited to
	Commit  string    `json:"commit,omitempty"` // the released commit
	Started time.Time `json:"started"`
	Updated time.Time `json:"updated"`
	// Warnings are things a reviewer should know that did not stop the
	// promotion: quirks kept in images.yaml, platforms a build does not
	// declare.
	Warnings []string `json:"warnings,omitempty"`
	// ClosedBy is who closed the PR, in stage closed (when GitHub says).
	ClosedBy string `json:"closedBy,omitempty"`
	// Merged is when the PR merged, from stage merged on.
	Merged *time.Time `json:"merged,omitempty"`
	// Production are the promoted references as the production registry
	// serves them, once live.
	Production []string `json:"production,omitempty"`

	reported  source.Status // last commit status set, to set each once
	done      bool          // this round has ended (terminal stage, or a dry run)
	jobFailed bool          // it ended because an image job's newest run failed
	merged    bool          // a merged PR's builds: the reply is the report, no commit status
}

// Settled reports whether this round of work has ended.
func (s Status) Settled() bool { return s.done }

// Image is one resolved image of a promotion.
type Image struct {
	Name       string   `json:"name"`
	Digest     string   `json:"digest"`
	StagingTag string   `json:"stagingTag"`
	Tag        string   `json:"tag"`
	Platforms  []string `json:"platforms,omitempty"`
	// PassedOver are older staging builds of the same release, not
	// promoted (the newest wins), as "tag@digest".
	PassedOver []string `json:"passedOver,omitempty"`
}

// Tracker keeps the status of every promotion this process has seen.
type Tracker struct {
	mu  sync.Mutex
	all map[Key]*Status
	now func() time.Time
}

// NewTracker returns an empty tracker.
func NewTracker() *Tracker {
	return &Tracker{all: map[Key]*Status{}, now: time.Now}
}

// put records st as key's status.
func (t *Tracker) put(k Key, st Status) {
	t.mu.Lock()
	defer t.mu.Unlock()
	st.Project, st.Tag = k.Project, k.Tag
	if st.Jobs == nil {
		st.Jobs = []string{}
	}
	st.Updated = t.now()
	t.all[k] = &st
}

// adopt records a PR found on GitHub for a key this process has not seen
// (after a restart, or one a standby has not worked on).
func (t *Tracker) adopt(k Key, st Status) bool {
	t.mu.Lock()
	_, ok := t.all[k]
	t.mu.Unlock()
	if ok {
		return false
	}
	t.put(k, st)
	return true
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

// reported records the commit status last set for key.
func (t *Tracker) reported(k Key, s source.Status) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if st, ok := t.all[k]; ok {
		st.reported = s
	}
}

// observe updates a tracked promotion with what the resync saw of its PR: a
// reviewer closed it, or it merged (the watch for production starts).
func (t *Tracker) observe(k Key, pr pullrequest.Promotion) {
	t.mu.Lock()
	defer t.mu.Unlock()
	st, ok := t.all[k]
	if !ok || st.Stage != StagePROpen || prNumber(st.PR) != pr.Number {
		return
	}
	switch pr.State {
	case pullrequest.StateClosed:
		st.Stage, st.ClosedBy, st.Note = StageClosed, pr.ClosedBy, closedNote(k, pr.ClosedBy)
	case pullrequest.StateMerged:
		merged := pr.MergedAt
		st.Stage, st.Merged, st.Note = StageMerged, &merged, "the promotion PR merged"
	default:
		return
	}
	st.Updated = t.now()
}

// failedByJob are the promotions of commit sha that ended because an image
// job failed: a run of it on a branch may be their rerun.
func (t *Tracker) failedByJob(sha string) []Key {
	if sha == "" {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []Key
	for k, st := range t.all {
		if st.jobFailed && st.Commit == sha {
			out = append(out, k)
		}
	}
	return out
}
