// Package source talks to a release's source repository on GitHub: it
// resolves a tag to its commit, sets the `promotion` commit status there,
// reads a pull request's merge state, and reacts and replies to /promote
// comments. It owns that conversation and nothing else: it never writes to
// the manifest repository (pkg/promoter/pullrequest does) and never decides
// who may ask (pkg/promoter/trust does).
package source

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"unicode/utf8"

	"sigs.k8s.io/prow/pkg/github"

	"sigs.k8s.io/promoter/pkg/promoter/pullrequest"
)

// Client is the part of Prow's GitHub client this package calls. Prow's
// methods take no context; its request timeout bounds each call.
type Client interface {
	GetSingleCommit(org, repo, SHA string) (github.RepositoryCommit, error)
	CreateStatus(org, repo, SHA string, s github.Status) error
	GetCombinedStatus(org, repo, ref string) (*github.CombinedStatus, error)
	GetPullRequest(org, repo string, number int) (*github.PullRequest, error)
	CreateComment(org, repo string, number int, comment string) error
	CreateCommentReaction(org, repo string, id int, reaction string) error
}

// ErrNoSuchTag is returned by TagCommit for a tag the repository lacks.
var ErrNoSuchTag = errors.New("no such tag")

// StatusContext is the commit status promoter sets on a tagged commit.
const StatusContext = "promotion"

// Status is what the `promotion` commit status says.
type Status struct {
	State       string // pending, success, failure, error
	Description string // cut to GitHub's 140 characters
	URL         string // the PR, or the failed job's run
}

// Stored is s as GitHub keeps it: the description cut to 140 characters.
func (s Status) Stored() Status {
	s.Description = cut(s.Description, 140)
	return s
}

// Conversation talks to source repositories through Prow's client, and
// lists tags with rest (Prow's client cannot at our version).
type Conversation struct {
	gh    Client
	rest  *pullrequest.REST
	count func(string)

	mu   sync.Mutex
	tags map[string]string // "org/repo@tag" -> the commit it points at
}

// New returns a Conversation; count, if not nil, is told of each GitHub
// call made through gh (rest counts its own).
func New(gh Client, rest *pullrequest.REST, count func(string)) *Conversation {
	if count == nil {
		count = func(string) {}
	}
	return &Conversation{gh: gh, rest: rest, count: count, tags: map[string]string{}}
}

// Tag is a release tag and its commit.
type Tag struct{ Name, Commit string }

// Tags are the repository's most recent tags (the first page GitHub
// lists), each with its commit. Their commits are remembered for TagCommit.
func (c *Conversation) Tags(ctx context.Context, org, repo string) ([]Tag, error) {
	list, err := c.rest.Tags(ctx, org, repo)
	if err != nil {
		return nil, fmt.Errorf("listing the tags of %s/%s: %w", org, repo, err)
	}
	out := make([]Tag, len(list))
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, t := range list {
		out[i] = Tag{Name: t.Name, Commit: t.Commit.SHA}
		c.tags[org+"/"+repo+"@"+t.Name] = t.Commit.SHA
	}
	return out, nil
}

// TagCommit returns the commit tag points at (an annotated tag is
// dereferenced: statuses and builds belong to commits). It is looked up
// once per process: a tag that moves is a new release's problem.
func (c *Conversation) TagCommit(ctx context.Context, org, repo, tag string) (string, error) {
	key := org + "/" + repo + "@" + tag
	c.mu.Lock()
	sha, ok := c.tags[key]
	c.mu.Unlock()
	if ok {
		return sha, nil
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	c.count("GetSingleCommit")
	// "tags/<name>": never a branch or a SHA prefix of the same name.
	commit, err := c.gh.GetSingleCommit(org, repo, "tags/"+tag)
	switch code := pullrequest.StatusCode(err); {
	case err == nil:
	case code == http.StatusNotFound || code == http.StatusUnprocessableEntity || github.IsNotFound(err):
		return "", fmt.Errorf("tag %s in %s/%s: %w", tag, org, repo, ErrNoSuchTag)
	default:
		return "", fmt.Errorf("finding the commit of tag %s in %s/%s: %w", tag, org, repo, err)
	}
	c.mu.Lock()
	c.tags[key] = commit.SHA
	c.mu.Unlock()
	return commit.SHA, nil
}

// SetStatus sets the `promotion` status on commit sha.
func (c *Conversation) SetStatus(ctx context.Context, org, repo, sha string, s Status) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.count("CreateStatus")
	err := c.gh.CreateStatus(org, repo, sha, github.Status{
		State: s.State, TargetURL: s.URL, Description: cut(s.Description, 140), Context: StatusContext,
	})
	if err != nil {
		return fmt.Errorf("setting the %s status on %s/%s@%.12s: %w", StatusContext, org, repo, sha, err)
	}
	return nil
}

// Status reads the `promotion` status on commit sha as GitHub has it (the
// zero Status when there is none), so that a restarted promoter writes only
// what changed.
func (c *Conversation) Status(ctx context.Context, org, repo, sha string) (Status, error) {
	if err := ctx.Err(); err != nil {
		return Status{}, err
	}
	c.count("GetCombinedStatus")
	cs, err := c.gh.GetCombinedStatus(org, repo, sha)
	if err != nil {
		return Status{}, fmt.Errorf("reading the statuses of %s/%s@%.12s: %w", org, repo, sha, err)
	}
	for _, st := range cs.Statuses {
		if st.Context == StatusContext {
			return Status{State: st.State, Description: st.Description, URL: st.TargetURL}, nil
		}
	}
	return Status{}, nil
}

// PullState is what a PR's merge state says about promoting its builds.
type PullState struct {
	Merged   bool
	Open     bool
	MergeSHA string // the merge (or squash) commit, when merged
}

// Pull reads a PR's merge state.
func (c *Conversation) Pull(ctx context.Context, org, repo string, number int) (PullState, error) {
	if err := ctx.Err(); err != nil {
		return PullState{}, err
	}
	c.count("GetPullRequest")
	pr, err := c.gh.GetPullRequest(org, repo, number)
	if err != nil {
		return PullState{}, err
	}
	st := PullState{Merged: pr.Merged, Open: pr.State == github.PullRequestStateOpen}
	if pr.Merged && pr.MergeSHA != nil {
		st.MergeSHA = *pr.MergeSHA
	}
	return st, nil
}

// React acknowledges a comment with the "eyes" reaction.
func (c *Conversation) React(ctx context.Context, org, repo string, commentID int) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.count("CreateCommentReaction")
	return c.gh.CreateCommentReaction(org, repo, commentID, "eyes")
}

// Reply comments on the issue or PR.
func (c *Conversation) Reply(ctx context.Context, org, repo string, number int, body string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.count("CreateComment")
	return c.gh.CreateComment(org, repo, number, body)
}

// cut shortens s to n bytes, on a rune boundary, marking the cut.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n-3]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return strings.TrimRight(s, " ") + "..."
}
