package server

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// stateFile is where the non-git state lives under the root.
const stateFile = "_state.json"

const stateVersion = 1

// firstID is the first id handed out, so ids never look like issue numbers.
const firstID = 1000001

// state is everything the stand-in knows that git does not: issues, pull
// requests, comments, reactions, statuses. Guarded by Server.mu and written
// to DIR/_state.json after every change.
type state struct {
	Version int                   `json:"version"`
	NextID  int64                 `json:"next_id"`
	Repos   map[string]*repoState `json:"repos"` // "owner/name"
}

type repoState struct {
	NextNumber int                `json:"next_number"`
	Issues     map[int]*issue     `json:"issues"` // issues and pull requests by number
	Comments   map[int64]*comment `json:"comments"`
	Statuses   []*commitStatus    `json:"statuses"`
}

// issue is an issue or, with PR set, a pull request.
type issue struct {
	Number    int         `json:"number"`
	ID        int64       `json:"id"`
	Title     string      `json:"title"`
	Body      string      `json:"body"`
	User      string      `json:"user"`
	State     string      `json:"state"` // open, closed
	Labels    []string    `json:"labels,omitempty"`
	Assignees []string    `json:"assignees,omitempty"`
	CreatedAt time.Time   `json:"created_at"`
	UpdatedAt time.Time   `json:"updated_at"`
	ClosedAt  *time.Time  `json:"closed_at,omitempty"`
	ClosedBy  string      `json:"closed_by,omitempty"`
	Reactions []*reaction `json:"reactions,omitempty"`
	PR        *pull       `json:"pull,omitempty"`
}

// pull is what a pull request has beyond its issue.
type pull struct {
	ID                  int64      `json:"id"`
	HeadOwner           string     `json:"head_owner"`
	HeadRepo            string     `json:"head_repo"`
	HeadRef             string     `json:"head_ref"`
	HeadSHA             string     `json:"head_sha"` // as last seen; live while open
	BaseRef             string     `json:"base_ref"`
	BaseSHA             string     `json:"base_sha"`
	Draft               bool       `json:"draft,omitempty"`
	MaintainerCanModify bool       `json:"maintainer_can_modify,omitempty"`
	Merged              bool       `json:"merged,omitempty"`
	MergedAt            *time.Time `json:"merged_at,omitempty"`
	MergedBy            string     `json:"merged_by,omitempty"`
	MergeCommitSHA      string     `json:"merge_commit_sha,omitempty"`
}

type comment struct {
	ID        int64       `json:"id"`
	Issue     int         `json:"issue"`
	User      string      `json:"user"`
	Body      string      `json:"body"`
	CreatedAt time.Time   `json:"created_at"`
	UpdatedAt time.Time   `json:"updated_at"`
	Reactions []*reaction `json:"reactions,omitempty"`
}

type reaction struct {
	ID        int64     `json:"id"`
	User      string    `json:"user"`
	Content   string    `json:"content"`
	CreatedAt time.Time `json:"created_at"`
}

type commitStatus struct {
	ID          int64     `json:"id"`
	SHA         string    `json:"sha"`
	State       string    `json:"state"`
	TargetURL   string    `json:"target_url,omitempty"`
	Description string    `json:"description,omitempty"`
	Context     string    `json:"context"`
	Creator     string    `json:"creator"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

func newState() *state {
	return &state{Version: stateVersion, NextID: firstID, Repos: map[string]*repoState{}}
}

// loadState reads DIR/_state.json; a missing file is an empty state.
func loadState(root string) (*state, error) {
	b, err := os.ReadFile(filepath.Join(root, stateFile))
	if os.IsNotExist(err) {
		return newState(), nil
	}
	if err != nil {
		return nil, err
	}
	st := newState()
	if err := json.Unmarshal(b, st); err != nil {
		return nil, fmt.Errorf("reading %s: %w", stateFile, err)
	}
	if st.Version != stateVersion {
		return nil, fmt.Errorf("%s has version %d, want %d", stateFile, st.Version, stateVersion)
	}
	if st.Repos == nil {
		st.Repos = map[string]*repoState{}
	}
	for _, rs := range st.Repos {
		rs.init()
	}
	return st, nil
}

func (rs *repoState) init() {
	if rs.Issues == nil {
		rs.Issues = map[int]*issue{}
	}
	if rs.Comments == nil {
		rs.Comments = map[int64]*comment{}
	}
}

// save writes the state atomically (temporary file, then rename).
func (st *state) save(root string) error {
	b, err := json.MarshalIndent(st, "", " ")
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(root, ".state-*.json")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), filepath.Join(root, stateFile))
}

// repo returns the state of owner/name, creating it.
func (st *state) repo(fullName string) *repoState {
	rs := st.Repos[fullName]
	if rs == nil {
		rs = &repoState{}
		rs.init()
		st.Repos[fullName] = rs
	}
	return rs
}

// peekRepo returns the state of a repository without creating it.
func (st *state) peekRepo(fullName string) *repoState {
	if rs := st.Repos[fullName]; rs != nil {
		return rs
	}
	empty := &repoState{}
	empty.init()
	return empty
}

func (st *state) newID() int64 {
	id := st.NextID
	st.NextID++
	return id
}
