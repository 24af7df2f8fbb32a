// Package comments talks to maintainers in a source repository's issues and
// PRs: who may run /promote, the acknowledging reaction, and the reply.
package comments

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	"sigs.k8s.io/prow/pkg/github"
)

// Client is the part of Prow's GitHub client this package calls.
type Client interface {
	BotUser() (*github.UserData, error)
	CreateComment(org, repo string, number int, comment string) error
	CreateCommentReaction(org, repo string, id int, reaction string) error
	IsMember(org, user string) (bool, error)
	HasPermission(org, repo, user string, roles ...string) (bool, error)
	TeamBySlugHasMember(org, teamSlug, memberLogin string) (bool, error)
	GetRef(org, repo, ref string) (string, error)
	GetPullRequest(org, repo string, number int) (*github.PullRequest, error)
}

// Talker answers comments through Prow's client.
type Talker struct {
	gh    Client
	count func(string)

	mu  sync.Mutex
	bot string
}

// New returns a Talker; count, if not nil, is told of each GitHub call.
func New(gh Client, count func(string)) *Talker {
	if count == nil {
		count = func(string) {}
	}
	return &Talker{gh: gh, count: count}
}

// IsBot reports whether login is promoter's own user, whose comments are
// never commands (a reply quoting usage must not run).
func (t *Talker) IsBot(login string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.bot == "" {
		t.count("BotUser")
		u, err := t.gh.BotUser()
		if err != nil {
			return false
		}
		t.bot = u.Login
	}
	return strings.EqualFold(login, t.bot)
}

// React acknowledges a comment with the "eyes" reaction.
func (t *Talker) React(org, repo string, commentID int) error {
	t.count("CreateCommentReaction")
	return t.gh.CreateCommentReaction(org, repo, commentID, "eyes")
}

// Reply comments on the issue or PR.
func (t *Talker) Reply(org, repo string, number int, body string) error {
	t.count("CreateComment")
	return t.gh.CreateComment(org, repo, number, body)
}

// TagExists reports whether the repository has the tag.
func (t *Talker) TagExists(org, repo, tag string) (bool, error) {
	t.count("GetRef")
	_, err := t.gh.GetRef(org, repo, "tags/"+tag)
	switch {
	case err == nil:
		return true, nil
	case github.IsNotFound(err):
		return false, nil
	}
	var many github.GetRefTooManyResultsError
	if errors.As(err, &many) {
		return false, nil // only tags with this prefix exist
	}
	return false, err
}

// PullState is what a PR's merge state says about promoting its builds.
type PullState struct {
	Merged   bool
	Open     bool
	MergeSHA string // the merge (or squash) commit, when merged
}

// Pull reads a PR's merge state.
func (t *Talker) Pull(org, repo string, number int) (PullState, error) {
	t.count("GetPullRequest")
	pr, err := t.gh.GetPullRequest(org, repo, number)
	if err != nil {
		return PullState{}, err
	}
	st := PullState{Merged: pr.Merged, Open: pr.State == github.PullRequestStateOpen}
	if pr.Merged && pr.MergeSHA != nil {
		st.MergeSHA = *pr.MergeSHA
	}
	return st, nil
}

// Allowed is who may use /promote besides the org's members and the repo's
// write collaborators.
type Allowed struct {
	Users []string
	Teams []string // "org/team-slug"
}

// Trusted reports whether user may run /promote on org/repo: a member of
// the org, a collaborator with write (or maintain, admin) on the repo, or
// listed in allowed.
func (t *Talker) Trusted(org, repo, user string, allowed Allowed) (bool, error) {
	for _, u := range allowed.Users {
		if strings.EqualFold(strings.TrimPrefix(u, "@"), user) {
			return true, nil
		}
	}
	t.count("IsMember")
	if ok, err := t.gh.IsMember(org, user); err != nil || ok {
		return ok, err
	}
	t.count("HasPermission")
	if ok, err := t.gh.HasPermission(org, repo, user, "admin", "maintain", "write"); err != nil || ok {
		return ok, err
	}
	for _, team := range allowed.Teams {
		torg, slug, _ := strings.Cut(team, "/")
		t.count("TeamBySlugHasMember")
		if ok, err := t.gh.TeamBySlugHasMember(torg, slug, user); err != nil || ok {
			return ok, err
		}
	}
	return false, nil
}

// WhoMay says, in a reply, who may use /promote.
func WhoMay(org, repo string, allowed Allowed) string {
	who := []string{fmt.Sprintf("members of the %s organization", org), fmt.Sprintf("collaborators with write access to %s/%s", org, repo)}
	for _, u := range allowed.Users {
		who = append(who, "@"+strings.TrimPrefix(u, "@"))
	}
	for _, tm := range allowed.Teams {
		who = append(who, "members of the team @"+tm)
	}
	if len(who) == 2 {
		return who[0] + " and " + who[1]
	}
	return strings.Join(who[:len(who)-1], ", ") + " and " + who[len(who)-1]
}
