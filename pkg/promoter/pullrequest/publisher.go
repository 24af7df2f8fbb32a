package pullrequest

import (
	"context"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	githubql "github.com/shurcooL/githubv4"
	"github.com/sirupsen/logrus"
	"golang.org/x/sync/singleflight"
	"sigs.k8s.io/prow/pkg/github"
)

// Client is the part of Prow's GitHub client the publisher calls.
type Client interface {
	GetRepo(owner, name string) (github.FullRepo, error)
	CreateFork(owner, repo string) (string, error)
	GetRef(org, repo, ref string) (string, error)
	GetFile(org, repo, filepath, commit string) ([]byte, error)
	CreatePullRequest(org, repo, title, body, head, base string, canModify bool) (int, error)
	UpdatePullRequest(org, repo string, number int, title, body *string, open *bool, branch *string, canModify *bool) error
	QueryWithGitHubAppsSupport(ctx context.Context, q interface{}, vars map[string]interface{}, org string) error
	MutateWithGitHubAppsSupport(ctx context.Context, m interface{}, input githubql.Input, vars map[string]interface{}, org string) error
	ListIssueComments(org, repo string, number int) ([]github.IssueComment, error)
	CreateComment(org, repo string, number int, comment string) error
}

// Publisher opens promotion PRs on one GitHub (one client, one bot user).
type Publisher struct {
	gh   Client
	rest *REST
	bot  string // the login the token belongs to, read once at start
	// Host builds PR links, e.g. github.com.
	host string
	log  *logrus.Entry
	// Count, when set, is told of every call to Prow's client (for metrics).
	count func(call string)

	// Making a fork takes GitHub up to minutes: one caller makes it while
	// the others wait for that result, and no lock is held meanwhile.
	forking singleflight.Group
	mu      sync.Mutex
	forks   map[string]string // "org/repo" -> fork name under the bot
}

// Option configures a Publisher.
type Option func(*Publisher)

// WithHost sets the web host PR links use (default github.com).
func WithHost(h string) Option { return func(p *Publisher) { p.host = h } }

// WithLogger sets the logger.
func WithLogger(l *logrus.Entry) Option { return func(p *Publisher) { p.log = l } }

// WithCounter counts GitHub calls by name.
func WithCounter(f func(call string)) Option {
	return func(p *Publisher) { p.count = f; p.rest.Count = f }
}

// New returns a Publisher for the bot user bot, using Prow's client for
// what it can do and rest for the rest.
func New(gh Client, rest *REST, bot string, opts ...Option) *Publisher {
	p := &Publisher{gh: gh, rest: rest, bot: bot, host: "github.com", forks: map[string]string{},
		log: logrus.WithField("component", "pullrequest"), count: func(string) {}}
	for _, o := range opts {
		o(p)
	}
	return p
}

// Repo names a branch of a repository.
type Repo struct{ Org, Name, Branch string }

func (r Repo) String() string { return r.Org + "/" + r.Name }

// Bot is the login PRs are opened as.
func (p *Publisher) Bot() string { return p.bot }

// Head returns the commit the branch points at now. (Prow's GetRef takes no
// context; the request timeout bounds it.)
func (p *Publisher) Head(ctx context.Context, r Repo) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	p.count("GetRef")
	sha, err := p.gh.GetRef(r.Org, r.Name, "heads/"+r.Branch)
	if err != nil {
		return "", named(fmt.Errorf("reading %s branch %s: %w", r, r.Branch, err))
	}
	return sha, nil
}

// ErrNotFound is returned by ReadFile for a path that does not exist.
var ErrNotFound = errors.New("file not found")

// ReadFile reads path at commit. The contents API answers files over 1 MB
// without content (k8s-staging-kubernetes' images.yaml is 1.5 MB); those are
// read again whole.
func (p *Publisher) ReadFile(ctx context.Context, r Repo, path, commit string) ([]byte, error) {
	p.count("GetFile")
	b, err := p.gh.GetFile(r.Org, r.Name, path, commit)
	var nf *github.FileNotFound
	switch {
	case errors.As(err, &nf) || github.IsNotFound(err):
		return nil, fmt.Errorf("%s in %s at %.12s: %w", path, r, commit, ErrNotFound)
	case err != nil:
		return nil, named(fmt.Errorf("reading %s from %s: %w", path, r, err))
	case len(b) > 0:
		return b, nil
	}
	b, err = p.rest.RawFile(ctx, r.Org, r.Name, path, commit)
	if err != nil {
		return nil, named(fmt.Errorf("reading %s from %s: %w", path, r, err))
	}
	return b, nil
}

// Proposal is one promotion PR, as it should be.
type Proposal struct {
	Base    Repo   // upstream repository and branch the PR targets
	BaseSHA string // the commit of Base the content was computed from
	Branch  string // branch in the bot's fork
	Path    string // file the commit writes
	Content []byte
	Title   string
	Body    string
	// Message is the commit message: headline, blank line, body.
	Message string
	// KnownPR is the number of the PR this promotion had, if any: a branch
	// that is gone may have gone with a PR a reviewer closed.
	KnownPR int
	// Reopen: a PR of this promotion that a reviewer closed is opened
	// again (a trusted /promote asked). Without it a closed PR is a
	// decision: Publish writes nothing and reports it closed.
	Reopen bool
}

// Outcome says what Publish did.
type Outcome struct {
	Number   int
	URL      string
	Created  bool // a new PR was opened
	Pushed   bool // the branch got a new commit
	Edited   bool // title or body refreshed
	Reopened bool // a closed PR was opened again
	// Closed: the PR was closed without merging, and left so (nothing was
	// written); ClosedBy is who closed it, when GitHub says.
	Closed   bool
	ClosedBy string
}

// Publish makes the fork's branch hold the proposal and opens the PR, or
// refreshes the one that is open. It pushes only when the file differs from
// what the branch holds, so a reviewer's lgtm survives a refresh. Errors a
// human must fix are named (ErrNotAFork, ErrForkConflict,
// ErrBadCredentials, ErrForbidden); IsPermanent tells them from blips.
func (p *Publisher) Publish(ctx context.Context, prop Proposal) (Outcome, error) {
	out, err := p.publish(ctx, prop)
	return out, named(err)
}

func (p *Publisher) publish(ctx context.Context, prop Proposal) (Outcome, error) {
	bot := p.bot
	fork, err := p.EnsureFork(ctx, prop.Base)
	if err != nil {
		return Outcome{}, err
	}
	st, err := p.branchState(ctx, bot, fork, prop.Branch, prop.Path)
	if err != nil {
		return Outcome{}, err
	}
	pr, err := p.currentPR(ctx, prop, st.exists)
	if err != nil {
		return Outcome{}, err
	}
	var out Outcome
	if pr != nil && pr.closedUnmerged() && !prop.Reopen {
		out.Number, out.URL, out.Closed = pr.Number, p.prURL(prop.Base, pr.Number), true
		out.ClosedBy = p.closedBy(ctx, prop.Base, pr.Number)
		return out, nil
	}
	pushed, err := p.writeBranch(ctx, bot, fork, prop, st)
	if err != nil {
		return out, err
	}
	out.Pushed = pushed
	if err := p.ensurePR(ctx, bot, prop, pr, &out); err != nil {
		return out, err
	}
	return out, nil
}

// currentPR is this promotion's newest PR in any state, or nil. A branch
// that did not exist has no open PR (GitHub closes a PR whose head branch
// is deleted), so a new promotion skips the lookup; but a PR this
// promotion had may have been closed and its branch deleted, so that one
// is read.
func (p *Publisher) currentPR(ctx context.Context, prop Proposal, branchExists bool) (*PullRequest, error) {
	b := prop.Base
	switch {
	case branchExists:
		pr, err := p.rest.FindPullRequest(ctx, b.Org, b.Name, p.bot, prop.Branch)
		if err != nil {
			return nil, fmt.Errorf("looking for the PR of %s:%s: %w", p.bot, prop.Branch, err)
		}
		return pr, nil
	case prop.KnownPR != 0:
		pr, err := p.rest.GetPullRequest(ctx, b.Org, b.Name, prop.KnownPR)
		if err != nil {
			return nil, fmt.Errorf("reading PR #%d: %w", prop.KnownPR, err)
		}
		return pr, nil
	}
	return nil, nil
}

// closedBy is who closed an issue or PR, "" when GitHub does not say (the
// pulls API does not; the issues API does).
func (p *Publisher) closedBy(ctx context.Context, r Repo, number int) string {
	login, err := p.rest.ClosedBy(ctx, r.Org, r.Name, number)
	if err != nil {
		p.log.WithError(err).WithField("pr", number).Debug("Cannot tell who closed the PR.")
	}
	return login
}

// writeBranch points the branch at BaseSHA and commits the file on it,
// unless the branch already holds exactly that file: then it writes nothing
// at all, not even the fork's sync. It reports whether the branch existed
// before and whether it pushed. Moving the ref and committing are two
// calls; when the commit fails the ref move is undone (rollBack).
func (p *Publisher) writeBranch(ctx context.Context, bot, fork string, prop Proposal, st branchState) (pushed bool, err error) {
	if st.exists && st.blob == blobID(prop.Content) {
		return false, nil
	}
	// Sync first: a fork refuses a ref to an upstream commit it lacks.
	if err := p.rest.MergeUpstream(ctx, bot, fork, prop.Base.Branch); err != nil {
		return false, fmt.Errorf("syncing the fork %s/%s: %w", bot, fork, err)
	}
	if st.exists {
		err = p.updateRef(ctx, bot, st.refID, prop.BaseSHA)
	} else {
		// The new ref's id, kept for rollBack (st.refID is nil here).
		st.refID, err = p.createRef(ctx, bot, st.repoID, prop.Branch, prop.BaseSHA)
	}
	if err != nil {
		return false, err
	}
	if err := p.commit(ctx, bot+"/"+fork, prop); err != nil {
		return false, p.rollBack(ctx, bot+"/"+fork, prop.Branch, st, err)
	}
	return true, nil
}

// rollbackTimeout bounds undoing a ref move after a failed commit.
const rollbackTimeout = 30 * time.Second

// rollBack undoes writeBranch's ref move after the commit failed, so a
// failure leaves nothing half-written: a branch this attempt created (at
// the bare base, a tree without the promotion) is deleted, and a branch it
// reset goes back to the head it had, so its open PR keeps showing the
// change. It runs on a context of its own, since the attempt's may be the
// one that expired. A commit that failed only in transit (a 502 after
// GitHub committed) is undone too; the next attempt makes it again. It
// returns commitErr, saying so when the undo failed too; the next attempt
// repairs the branch either way (it resets and commits again).
func (p *Publisher) rollBack(ctx context.Context, fork, branch string, st branchState, commitErr error) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rollbackTimeout)
	defer cancel()
	owner, _, _ := strings.Cut(fork, "/")
	var err error
	if st.exists {
		err = p.updateRef(ctx, owner, st.refID, st.head)
	} else {
		err = p.deleteRef(ctx, owner, st.refID)
	}
	if err == nil {
		return commitErr
	}
	p.log.WithError(err).WithFields(logrus.Fields{"fork": fork, "branch": branch}).
		Warn("Could not roll the promotion branch back after a failed commit; the next attempt repairs it.")
	return fmt.Errorf("%w (rolling the branch back failed too, so it may be left at the base commit until the next attempt repairs it)", commitErr)
}

// ensurePR opens the PR, refreshes the open one, or (asked to) reopens the
// closed one. A merged one belongs to an earlier promotion: a new PR is
// opened.
func (p *Publisher) ensurePR(ctx context.Context, bot string, prop Proposal, pr *PullRequest, out *Outcome) error {
	b := prop.Base
	if pr != nil && pr.closedUnmerged() {
		open := true
		p.count("UpdatePullRequest")
		err := p.gh.UpdatePullRequest(b.Org, b.Name, pr.Number, &prop.Title, &prop.Body, &open, nil, nil)
		if err == nil {
			out.Number, out.URL, out.Reopened = pr.Number, p.prURL(b, pr.Number), true
			return nil
		}
		// GitHub may refuse to reopen a PR whose branch was deleted and
		// made anew: open a new one then.
		p.log.WithError(err).WithField("pr", pr.Number).Info("Cannot reopen the closed PR; opening a new one.")
		pr = nil
	}
	if pr != nil && pr.MergedAt != nil {
		pr = nil
	}
	if pr == nil {
		p.count("CreatePullRequest")
		n, err := p.gh.CreatePullRequest(b.Org, b.Name, prop.Title, prop.Body, bot+":"+prop.Branch, b.Branch, true)
		if err != nil {
			return fmt.Errorf("opening the PR for %s:%s: %w", bot, prop.Branch, err)
		}
		out.Number, out.URL, out.Created = n, p.prURL(b, n), true
		return nil
	}
	// The same link as a new PR gets, so a refresh reports no change.
	out.Number, out.URL = pr.Number, p.prURL(b, pr.Number)
	if pr.Title == prop.Title && pr.Body == prop.Body {
		return nil
	}
	p.count("UpdatePullRequest")
	if err := p.gh.UpdatePullRequest(b.Org, b.Name, pr.Number, &prop.Title, &prop.Body, nil, nil, nil); err != nil {
		return fmt.Errorf("refreshing PR #%d: %w", pr.Number, err)
	}
	out.Edited = true
	return nil
}

func (p *Publisher) prURL(r Repo, n int) string {
	return fmt.Sprintf("https://%s/%s/%s/pull/%d", p.host, r.Org, r.Name, n)
}

// EnsureFork returns the bot's fork of r, creating it if needed. Prow's
// EnsureFork waits 30 s before it first looks for a new fork; this polls
// with a short backoff instead, so the first promotion after a fork is made
// does not wait on a ticker. Call it at start to pay the cost before any
// job succeeds. Concurrent callers share one attempt.
func (p *Publisher) EnsureFork(ctx context.Context, r Repo) (string, error) {
	key := r.String()
	p.mu.Lock()
	f, ok := p.forks[key]
	p.mu.Unlock()
	if ok {
		return f, nil
	}
	v, err, _ := p.forking.Do(key, func() (any, error) {
		f, err := p.findOrCreateFork(ctx, r)
		if err != nil {
			return "", err
		}
		p.mu.Lock()
		p.forks[key] = f
		p.mu.Unlock()
		return f, nil
	})
	if err != nil {
		return "", named(err)
	}
	return v.(string), nil
}

func (p *Publisher) findOrCreateFork(ctx context.Context, r Repo) (string, error) {
	p.count("GetRepo")
	repo, err := p.gh.GetRepo(p.bot, r.Name)
	switch {
	case err == nil && repo.Fork && strings.EqualFold(repo.Parent.FullName, r.String()):
		return repo.Name, nil
	case err == nil:
		return "", fmt.Errorf("%w: %s is not a fork of %s; rename or delete it, and promoter makes the fork", ErrNotAFork, repo.FullName, r)
	case !github.IsNotFound(err):
		return "", fmt.Errorf("looking for the bot's fork of %s: %w", r, err)
	}
	p.count("CreateFork")
	name, err := p.gh.CreateFork(r.Org, r.Name)
	if err != nil {
		return "", fmt.Errorf("forking %s as %s: %w", r, p.bot, err)
	}
	if name == "" {
		name = r.Name
	}
	p.log.WithField("fork", p.bot+"/"+name).Info("Created the bot's fork of the manifest repository.")
	return name, p.waitForFork(ctx, name)
}

func (p *Publisher) waitForFork(ctx context.Context, name string) error {
	delay := 500 * time.Millisecond
	deadline := time.Now().Add(6 * time.Minute) // GitHub: "contact support after 5 minutes"
	for {
		p.count("GetRepo")
		if _, err := p.gh.GetRepo(p.bot, name); err == nil {
			return nil
		} else if time.Now().After(deadline) {
			return fmt.Errorf("the fork %s/%s did not appear: %w", p.bot, name, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
		delay = min(2*delay, 15*time.Second)
	}
}

// blobID is git's object id for a file with this content; comparing it with
// the branch's blob tells whether a push would change anything without
// downloading the file.
func blobID(content []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(content))
	h.Write(content)
	return fmt.Sprintf("%x", h.Sum(nil))
}

func encode(content []byte) string { return base64.StdEncoding.EncodeToString(content) }

// Comment posts body on PR number of r unless a comment of the bot's
// already holds marker: said once, also across restarts.
func (p *Publisher) Comment(ctx context.Context, r Repo, number int, marker, body string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	p.count("ListIssueComments")
	cs, err := p.gh.ListIssueComments(r.Org, r.Name, number)
	if err != nil {
		return named(fmt.Errorf("reading the comments of PR #%d: %w", number, err))
	}
	for _, c := range cs {
		if strings.EqualFold(c.User.Login, p.bot) && strings.Contains(c.Body, marker) {
			return nil
		}
	}
	p.count("CreateComment")
	if err := p.gh.CreateComment(r.Org, r.Name, number, body); err != nil {
		return named(fmt.Errorf("commenting on PR #%d: %w", number, err))
	}
	return nil
}
