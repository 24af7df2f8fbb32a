package server

import (
	"net/http"
	"strings"
	"testing"
	"time"

	githubql "github.com/shurcooL/githubv4"
	"sigs.k8s.io/prow/pkg/github"
)

// The semantics GitHub documents for the calls promoter relies on, through
// Prow's real client; every exchange is also held to GitHub's API
// descriptions (newCheckedEnv).

// GitHub answers "is user a member of org?" only to a member of org: 204 or
// 404. Anyone else gets 302 to the public membership check, which answers
// 204 only for a member who made it public. Prow's IsMember follows the
// redirect (Go's http.Client does), so a bot outside the org sees a
// private member as no member at all, without an error.
func TestOrgMembershipAsGitHubAnswersIt(t *testing.T) {
	e := newCheckedEnv(t, Config{})
	e.writeAccess(`
tokens: {insider-token: insider}
orgs: {kubernetes-sigs: [alice, insider]}
publicMembers: {kubernetes-sigs: [frank]}
`)
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequest("GET", e.ts.URL+"/orgs/kubernetes-sigs/members/alice", nil)
	req.Header.Set("Authorization", "Bearer bot-token")
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != e.ts.URL+"/orgs/kubernetes-sigs/public_members/alice" {
		t.Errorf("bot outside the org asking: %d Location %q, want 302 to the public membership check", resp.StatusCode, resp.Header.Get("Location"))
	}

	member := func(gh github.Client, user string, want bool) {
		t.Helper()
		if got, err := gh.IsMember("kubernetes-sigs", user); err != nil || got != want {
			t.Errorf("IsMember(%s) = %v, %v; want %v", user, got, err, want)
		}
	}
	member(e.gh, "alice", false) // private: hidden from outside
	member(e.gh, "frank", true)  // public
	member(e.gh, "bob", false)
	insider := e.client("insider-token")
	member(insider, "alice", true)
	member(insider, "frank", true)
	member(insider, "bob", false)

	logins := func(gh github.Client) string {
		t.Helper()
		users, err := gh.ListOrgMembers("kubernetes-sigs", "all")
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, u := range users {
			out = append(out, u.Login)
		}
		return strings.Join(out, ",")
	}
	if got := logins(e.gh); got != "frank" {
		t.Errorf("members listed to the bot outside the org: %s, want only the public frank", got)
	}
	if got := logins(insider); got != "alice,frank,insider" {
		t.Errorf("members listed to a member: %s, want all", got)
	}
}

// GitHub tells a collaborator's permission only to a requester with push
// access; others get 403 "Must have push access to view collaborator
// permission.".
func TestCollaboratorPermissionNeedsPushAccess(t *testing.T) {
	e := newCheckedEnv(t, Config{})
	e.initRepo("kubernetes-sigs", "apisnoop", map[string]string{"a": "1"})
	e.writeAccess(`
tokens: {maintainer-token: maintainer}
collaborators: {kubernetes-sigs/apisnoop: {bob: write, maintainer: maintain}}
`)
	_, err := e.gh.HasPermission("kubernetes-sigs", "apisnoop", "bob", "admin", "write")
	if err == nil || !strings.Contains(err.Error(), "Must have push access to view collaborator permission.") {
		t.Errorf("bot without push access: %v, want GitHub's 403", err)
	}
	ok, err := e.client("maintainer-token").HasPermission("kubernetes-sigs", "apisnoop", "bob", "admin", "write")
	if err != nil || !ok {
		t.Errorf("maintainer asking about bob: %v, %v; want true", ok, err)
	}
	if p, err := e.client("maintainer-token").GetUserPermission("kubernetes-sigs", "apisnoop", "promoter-bot"); err != nil || p != "none" {
		t.Errorf("maintainer asking about the bot: %q, %v; want none", p, err)
	}
}

// A ref that does not exist is 404 to read but 422 to change (GitHub
// documents no 404 for git ref writes); GraphQL names the failure in its
// errors.
func TestRefsNotFoundVersusUnprocessable(t *testing.T) {
	e := newCheckedEnv(t, Config{})
	head := e.initRepo("promoter-bot", "r", map[string]string{"a": "1"})
	if _, err := e.gh.GetRef("promoter-bot", "r", "heads/missing"); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("GetRef of a missing branch: %v, want a 404", err)
	}
	status := func(method, path string, body any, want int, wantMsg string) {
		t.Helper()
		code, _, raw := e.do(method, path, "bot-token", body)
		if code != want || !strings.Contains(string(raw), wantMsg) {
			t.Errorf("%s %s: %d %s, want %d %q", method, path, code, raw, want, wantMsg)
		}
	}
	status("GET", "/repos/promoter-bot/r/git/ref/heads/missing", nil, 404, "Not Found")
	status("PATCH", "/repos/promoter-bot/r/git/refs/heads/missing", map[string]any{"sha": head, "force": true}, 422, "Reference does not exist")
	status("DELETE", "/repos/promoter-bot/r/git/refs/heads/missing", nil, 422, "Reference does not exist")
	status("POST", "/repos/promoter-bot/r/git/refs", map[string]any{"ref": "refs/heads/main", "sha": head}, 422, "Reference already exists")
	status("POST", "/repos/promoter-bot/r/git/refs", map[string]any{"ref": "refs/heads/x", "sha": strings.Repeat("1", 40)}, 422, "Object does not exist")

	repoID := githubql.ID(nodeID("R", "promoter-bot/r"))
	if err := gqlCreateRef(e.gh, repoID, "main", head); err == nil || !strings.Contains(err.Error(), `A ref named "refs/heads/main" already exists`) {
		t.Errorf("createRef of an existing branch: %v", err)
	}
	if err := gqlCreateRef(e.gh, repoID, "y", strings.Repeat("1", 40)); err == nil || !strings.Contains(err.Error(), "Could not resolve to a Git object") {
		t.Errorf("createRef to a missing object: %v", err)
	}
	gone := githubql.ID(refNodeID(repoRef{Owner: "promoter-bot", Name: "r"}, "refs/heads/gone"))
	if err := gqlUpdateRef(e.gh, gone, head, true); err == nil || !strings.Contains(err.Error(), "Could not resolve to a node") {
		t.Errorf("updateRef of a missing ref: %v", err)
	}
}

// Syncing a fork: 409 when upstream's change conflicts with the fork's,
// 404 for a branch the fork lacks, 422 for a repository that is no fork.
func TestMergeUpstreamConflictAndRefusals(t *testing.T) {
	e := newCheckedEnv(t, Config{})
	e.initRepo("o", "r", map[string]string{"a": "1\n"})
	if _, err := Fork(e.root, "o", "r", "promoter-bot"); err != nil {
		t.Fatal(err)
	}
	e.commit("promoter-bot", "r", "main", map[string]string{"a": "fork\n"}, "fork change")
	e.commit("o", "r", "main", map[string]string{"a": "upstream\n"}, "upstream change")
	for _, c := range []struct {
		repo, branch string
		want         int
	}{
		{"promoter-bot/r", "main", http.StatusConflict},
		{"promoter-bot/r", "nope", http.StatusNotFound},
		{"o/r", "main", http.StatusUnprocessableEntity},
	} {
		if code, _, raw := e.do("POST", "/repos/"+c.repo+"/merge-upstream", "bot-token", map[string]string{"branch": c.branch}); code != c.want {
			t.Errorf("sync %s %s: %d %s, want %d", c.repo, c.branch, code, raw, c.want)
		}
	}
	if got := e.gitOut("promoter-bot", "r", "show", "main:a"); got != "fork" {
		t.Errorf("a refused sync changed the fork: a = %q", got)
	}
}

// GitHub's secondary rate limit on content-creating requests (80 a minute
// there; 2 per 2 s here): the next write answers 403 with Retry-After.
// Prow's REST client waits it out and succeeds; its GraphQL client does not
// retry, and nothing is written. Reads are not limited.
func TestSecondaryRateLimitOnContentCreation(t *testing.T) {
	e := newCheckedEnv(t, Config{ContentLimit: 2, ContentWindow: 2 * time.Second})
	head := e.initRepo("promoter-bot", "r", map[string]string{"a": "1"})
	n, err := e.gh.CreateIssue("promoter-bot", "r", "first", "", 0, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.gh.CreateComment("promoter-bot", "r", n, "second"); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		if _, err := e.gh.GetIssue("promoter-bot", "r", n); err != nil {
			t.Fatalf("a read over the write limit: %v", err)
		}
	}
	code, h, raw := e.do("POST", "/repos/promoter-bot/r/issues/1/comments", "bot-token", map[string]string{"body": "third"})
	if code != http.StatusForbidden || h.Get("Retry-After") == "" || !strings.Contains(string(raw), "secondary rate limit") {
		t.Fatalf("third write in the window: %d Retry-After %q %s, want 403 with Retry-After", code, h.Get("Retry-After"), raw)
	}
	repoID := githubql.ID(nodeID("R", "promoter-bot/r"))
	if err := gqlCreateRef(e.gh, repoID, "limited", head); err == nil || !strings.Contains(err.Error(), "403") {
		t.Errorf("a mutation over the limit: %v, want the 403", err)
	}
	if e.gitOut("promoter-bot", "r", "for-each-ref", "refs/heads/limited") != "" {
		t.Error("a rate-limited createRef created the branch")
	}
	start := time.Now()
	if err := e.gh.CreateComment("promoter-bot", "r", n, "fourth"); err != nil {
		t.Fatalf("Prow's client did not wait out the limit: %v", err)
	}
	if waited := time.Since(start); waited < time.Second {
		t.Errorf("the comment went through after %v: Prow's client did not get a Retry-After to wait", waited)
	}
	comments, err := e.gh.ListIssueComments("promoter-bot", "r", n)
	if err != nil || len(comments) != 2 {
		t.Errorf("comments = %d, %v; want second and fourth", len(comments), err)
	}
}
