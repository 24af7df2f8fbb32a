package pullrequest_test

import (
	"context"
	"errors"
	"io"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	githubql "github.com/shurcooL/githubv4"
	"github.com/sirupsen/logrus"
	"sigs.k8s.io/prow/pkg/github"

	"sigs.k8s.io/promoter/pkg/promoter/pullrequest"
	"sigs.k8s.io/promoter/test/fakegithub/server"
)

// These tests run the Publisher against the GitHub stand-in through Prow's
// real client, with a wrapper that makes chosen mutations fail the way a
// GitHub 502 or timeout does, and check that a failed commit leaves the
// fork's branch as it was before the attempt.

const (
	bot    = server.DefaultBotLogin
	branch = "promote-apisnoop-v1.2.3"
	path   = "images.yaml"
)

var errInjected = errors.New("injected: 502 Bad Gateway")

// faulty fails the next N createCommitOnBranch and deleteRef mutations,
// recognised by their input's Go type, and passes all else to the client.
type faulty struct {
	pullrequest.Client
	mu                       sync.Mutex
	failCommits, failDels    int
	cancelOnCommitFailure    context.CancelFunc // when set, called as a commit fails
	commitCalls, deleteCalls int
}

func (f *faulty) MutateWithGitHubAppsSupport(ctx context.Context, m interface{}, in githubql.Input, vars map[string]interface{}, org string) error {
	f.mu.Lock()
	var fail bool
	switch in.(type) {
	case pullrequest.CreateCommitOnBranchInput:
		f.commitCalls++
		fail = take(&f.failCommits)
		if fail && f.cancelOnCommitFailure != nil {
			f.cancelOnCommitFailure()
		}
	case githubql.DeleteRefInput:
		f.deleteCalls++
		fail = take(&f.failDels)
	}
	f.mu.Unlock()
	if fail {
		return errInjected
	}
	return f.Client.MutateWithGitHubAppsSupport(ctx, m, in, vars, org)
}

func take(n *int) bool {
	if *n == 0 {
		return false
	}
	*n--
	return true
}

type env struct {
	t     *testing.T
	root  string
	base  string
	gh    *faulty
	pub   *pullrequest.Publisher
	calls map[string]int
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{t: t, root: t.TempDir(), calls: map[string]int{}}
	srv, err := server.New(server.Config{Root: e.root})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	if e.base, err = server.InitRepo(e.root, "kubernetes", "k8s.io", map[string][]byte{path: []byte("old\n")}); err != nil {
		t.Fatal(err)
	}
	gc, err := github.NewClient(func() []byte { return []byte("token") }, func(b []byte) []byte { return b }, ts.URL+"/graphql", ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	gc.SetMax404Retries(0)
	e.gh = &faulty{Client: gc}
	log := logrus.New()
	log.SetOutput(io.Discard)
	var mu sync.Mutex
	count := func(c string) { mu.Lock(); e.calls[c]++; mu.Unlock() }
	e.pub = pullrequest.New(e.gh, &pullrequest.REST{Endpoint: ts.URL, Token: func() []byte { return []byte("token") }}, bot,
		pullrequest.WithLogger(logrus.NewEntry(log)), pullrequest.WithCounter(count))
	return e
}

func (e *env) proposal(base, content string) pullrequest.Proposal {
	return pullrequest.Proposal{
		Base: pullrequest.Repo{Org: "kubernetes", Name: "k8s.io", Branch: "main"}, BaseSHA: base,
		Branch: branch, Path: path, Content: []byte(content),
		Title: "Promote apisnoop v1.2.3", Body: "body", Message: "Promote apisnoop v1.2.3\n\nbody",
	}
}

// head is the fork branch's commit, "" when the branch does not exist.
func (e *env) head() string {
	sha, err := server.ResolveRef(e.root, bot, "k8s.io", "refs/heads/"+branch)
	if err != nil {
		return ""
	}
	return sha
}

func (e *env) file(ref string) string {
	e.t.Helper()
	b, err := server.ReadFile(e.root, bot, "k8s.io", ref, path)
	if err != nil {
		e.t.Fatal(err)
	}
	return string(b)
}

func (e *env) openPRs() []github.PullRequest {
	e.t.Helper()
	prs, err := e.gh.Client.(github.Client).GetPullRequests("kubernetes", "k8s.io")
	if err != nil {
		e.t.Fatal(err)
	}
	return prs
}

// publishOK publishes prop, which must succeed without a rollback call.
func (e *env) publishOK(prop pullrequest.Proposal) pullrequest.Outcome {
	e.t.Helper()
	before := e.calls["GraphQL deleteRef"] + e.calls["GraphQL updateRef"]
	out, err := e.pub.Publish(context.Background(), prop)
	if err != nil {
		e.t.Fatalf("Publish: %v", err)
	}
	if !out.Pushed || e.file(branch) != string(prop.Content) {
		e.t.Fatalf("the branch does not hold the proposal: %+v, file %q", out, e.file(branch))
	}
	if prs := e.openPRs(); len(prs) != 1 || prs[0].Number != out.Number {
		e.t.Fatalf("want PR #%d open alone, have %+v", out.Number, prs)
	}
	// A happy path resets an existing branch once and never deletes one.
	if got := e.calls["GraphQL deleteRef"] + e.calls["GraphQL updateRef"] - before; got > 1 {
		e.t.Fatalf("%d ref deletes/updates on the happy path, calls %v", got, e.calls)
	}
	return out
}

func TestFailedCommitDeletesTheNewBranch(t *testing.T) {
	e := newEnv(t)
	e.gh.failCommits = 1
	_, err := e.pub.Publish(context.Background(), e.proposal(e.base, "new\n"))
	if !errors.Is(err, errInjected) {
		t.Fatalf("Publish: want the commit's error, got %v", err)
	}
	if strings.Contains(err.Error(), "may be left") {
		t.Errorf("the rollback worked, yet the error says it did not: %v", err)
	}
	if h := e.head(); h != "" {
		t.Fatalf("the fork kept branch %s at %.12s after the commit failed", branch, h)
	}
	if e.calls["GraphQL deleteRef"] != 1 {
		t.Errorf("calls: %v", e.calls)
	}
	if prs := e.openPRs(); len(prs) != 0 {
		t.Fatalf("a PR was opened: %+v", prs)
	}
	out := e.publishOK(e.proposal(e.base, "new\n"))
	if !out.Created {
		t.Errorf("the retry did not open the PR: %+v", out)
	}
}

// The job's deadline passing during the commit must not stop the rollback.
func TestRollbackOutlivesTheAttemptContext(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e.gh.failCommits, e.gh.cancelOnCommitFailure = 1, cancel
	if _, err := e.pub.Publish(ctx, e.proposal(e.base, "new\n")); !errors.Is(err, errInjected) {
		t.Fatalf("Publish: want the commit's error, got %v", err)
	}
	if h := e.head(); h != "" {
		t.Fatalf("the fork kept branch %s at %.12s after the commit failed", branch, h)
	}
}

func TestFailedCommitRestoresTheOpenPRsBranch(t *testing.T) {
	e := newEnv(t)
	first := e.publishOK(e.proposal(e.base, "v1\n"))
	was := e.head()
	// Upstream moves and the promotion changes: the next write resets the
	// branch to the new base before committing.
	base2, err := server.Commit(e.root, "kubernetes", "k8s.io", "main", map[string][]byte{"other": []byte("x")}, "another PR")
	if err != nil {
		t.Fatal(err)
	}
	e.gh.failCommits = 1
	if _, err := e.pub.Publish(context.Background(), e.proposal(base2, "v2\n")); !errors.Is(err, errInjected) {
		t.Fatalf("Publish: want the commit's error, got %v", err)
	}
	if h := e.head(); h != was {
		t.Fatalf("branch %s is at %.12s, want its previous head %.12s", branch, h, was)
	}
	if f := e.file(branch); f != "v1\n" {
		t.Fatalf("the branch holds %q, want the previous file", f)
	}
	prs := e.openPRs()
	if len(prs) != 1 || prs[0].Number != first.Number || prs[0].Head.SHA != was {
		t.Fatalf("the open PR changed: %+v", prs)
	}
	out := e.publishOK(e.proposal(base2, "v2\n"))
	if out.Created || out.Number != first.Number {
		t.Errorf("the retry did not refresh PR #%d: %+v", first.Number, out)
	}
}

func TestFailedRollbackIsReportedAndRepaired(t *testing.T) {
	e := newEnv(t)
	e.gh.failCommits, e.gh.failDels = 1, 1
	_, err := e.pub.Publish(context.Background(), e.proposal(e.base, "new\n"))
	if !errors.Is(err, errInjected) || !strings.Contains(err.Error(), "may be left at the base commit") {
		t.Fatalf("Publish: want the commit's error saying the branch may be left at base, got %v", err)
	}
	if e.gh.deleteCalls != 1 {
		t.Fatalf("deleteRef tried %d times, want 1", e.gh.deleteCalls)
	}
	if h := e.head(); h != e.base {
		t.Fatalf("branch %s is at %q; the failed rollback should leave it at the base %.12s", branch, h, e.base)
	}
	out := e.publishOK(e.proposal(e.base, "new\n"))
	if !out.Created {
		t.Errorf("the retry did not open the PR: %+v", out)
	}
}
