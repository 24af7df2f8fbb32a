package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	githubql "github.com/shurcooL/githubv4"
	"github.com/sirupsen/logrus"
	"sigs.k8s.io/prow/pkg/github"
)

// retryClient is Prow's client with a short first retry backoff (5xx and
// connection errors), so retried faults do not take seconds.
func (e *env) retryClient(token string, opts github.ClientOptions) github.Client {
	e.t.Helper()
	opts.GetToken = func() []byte { return []byte(token) }
	opts.Censor = func(b []byte) []byte { return b }
	opts.GraphqlEndpoint = e.ts.URL + "/graphql"
	opts.Bases = []string{e.ts.URL}
	if opts.InitialDelay == 0 {
		opts.InitialDelay = 10 * time.Millisecond
	}
	_, _, c, err := github.NewClientFromOptions(logrus.Fields{}, opts)
	if err != nil {
		e.t.Fatal(err)
	}
	c.SetMax404Retries(0)
	return c
}

// raw sends body as is (do marshals its body).
func (e *env) raw(method, path, body string) (int, map[string]any) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.ts.URL+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if len(b) > 0 {
		_ = json.Unmarshal(b, &out)
	}
	return resp.StatusCode, out
}

// addFault posts a rule and returns its id.
func (e *env) addFault(rule map[string]any) int {
	e.t.Helper()
	var out Fault
	if code := e.doJSON("POST", "/_fakegithub/faults", "", rule, &out); code != http.StatusCreated || out.ID == 0 {
		e.t.Fatalf("POST /_fakegithub/faults %v: %d %+v", rule, code, out)
	}
	return out.ID
}

// fault returns the rule id as GET /_fakegithub/faults lists it.
func (e *env) fault(id int) Fault {
	e.t.Helper()
	var list []Fault
	if code := e.doJSON("GET", "/_fakegithub/faults", "", nil, &list); code != http.StatusOK {
		e.t.Fatalf("GET /_fakegithub/faults: %d", code)
	}
	for _, f := range list {
		if f.ID == id {
			return f
		}
	}
	e.t.Fatalf("fault %d not listed: %+v", id, list)
	return Fault{}
}

// Two 500s are retried through by Prow's client; the third try is served.
func TestFault500RetriedThrough(t *testing.T) {
	e := newEnv(t)
	e.initRepo("o", "r", map[string]string{"a": "1"})
	gh := e.retryClient("bot-token", github.ClientOptions{})
	id := e.addFault(map[string]any{"method": "GET", "path": "/repos/o/r", "status": 500, "times": 2})

	repo, err := gh.GetRepo("o", "r")
	if err != nil || repo.FullName != "o/r" {
		t.Fatalf("GetRepo through two 500s = %+v, %v", repo.Repo, err)
	}
	if f := e.fault(id); f.Hits != 2 || f.Status != 500 || f.Times != 2 || f.Path != "/repos/o/r" {
		t.Errorf("rule after the call = %+v, want 2 hits", f)
	}
	if n := e.srv.Requests()["GET /repos/{owner}/{repo}"]; n != 3 {
		t.Errorf("GET /repos/{owner}/{repo} counted %d times, want 3 (two faulted)", n)
	}
	// Used up: no longer matches, still listed.
	if code, _, _ := e.do("GET", "/repos/o/r", "t", nil); code != 200 {
		t.Errorf("after the rule is used up: %d", code)
	}
	if f := e.fault(id); f.Hits != 2 {
		t.Errorf("a used-up rule was hit again: %+v", f)
	}
}

// A fault answer looks like GitHub's: error body, usual headers, counted
// under its route key (GraphQL under its operation).
func TestFaultAnswerShape(t *testing.T) {
	e := newEnv(t)
	e.initRepo("o", "r", map[string]string{"a": "1"})

	e.addFault(map[string]any{"path": "/repos/o/r/contents", "status": 500, "times": 1})
	code, h, b := e.do("GET", "/repos/o/r/contents/a", "t", nil)
	var body map[string]any
	_ = json.Unmarshal(b, &body)
	if code != 500 || body["message"] != "Server Error" || body["documentation_url"] == nil || h.Get("X-GitHub-Request-Id") == "" || h.Get("X-RateLimit-Limit") == "" {
		t.Errorf("500 fault: %d %v %v", code, body, h)
	}

	e.addFault(map[string]any{"path": "/repos/o/r/branches", "status": 403, "retryAfter": 7, "times": 1})
	code, h, b = e.do("GET", "/repos/o/r/branches", "t", nil)
	body = nil
	_ = json.Unmarshal(b, &body)
	msg, _ := body["message"].(string)
	rem, _ := strconv.Atoi(h.Get("X-RateLimit-Remaining"))
	if code != 403 || h.Get("Retry-After") != "7" || rem < 1 ||
		!strings.HasPrefix(msg, "You have exceeded a secondary rate limit.") || h.Get("X-GitHub-Request-Id") == "" || !strings.HasSuffix(msg, "include the request ID "+h.Get("X-GitHub-Request-Id")+".") ||
		body["documentation_url"] != "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits" {
		t.Errorf("secondary rate limit fault: %d %v Retry-After=%q Remaining=%q", code, body, h.Get("Retry-After"), h.Get("X-RateLimit-Remaining"))
	}

	e.addFault(map[string]any{"method": "POST", "path": "/graphql", "status": 502, "times": 1})
	code, _, b = e.do("POST", "/graphql", "t", map[string]any{"query": `mutation { createCommitOnBranch(input: {}) { clientMutationId } }`})
	body = nil
	_ = json.Unmarshal(b, &body)
	if code != 502 || body["message"] != "Bad Gateway" {
		t.Errorf("502 fault: %d %s", code, b)
	}

	e.addFault(map[string]any{"path": "/user", "status": 503, "message": "Down for maintenance", "times": 1})
	code, _, b = e.do("GET", "/user", "t", nil)
	body = nil
	_ = json.Unmarshal(b, &body)
	if code != 503 || body["message"] != "Down for maintenance" {
		t.Errorf("custom message: %d %s", code, b)
	}

	counts := e.srv.Requests()
	for k, v := range map[string]int{
		"GET /repos/{owner}/{repo}/contents/{path}": 1,
		"GET /repos/{owner}/{repo}/branches":        1,
		"graphql createCommitOnBranch":              1,
		"GET /user":                                 1,
	} {
		if counts[k] != v {
			t.Errorf("counts[%q] = %d, want %d (all: %v)", k, counts[k], v, counts)
		}
	}
}

// A secondary rate limit (403 with Retry-After, Remaining > 0) makes Prow's
// client wait and try again, which is served.
func TestFaultSecondaryRateLimitWaited(t *testing.T) {
	e := newEnv(t)
	e.initRepo("o", "r", map[string]string{"a": "1"})
	id := e.addFault(map[string]any{"method": "GET", "path": "/repos/o/r", "status": 403, "retryAfter": 1, "times": 1})

	repo, err := e.gh.GetRepo("o", "r")
	if err != nil || repo.FullName != "o/r" {
		t.Fatalf("GetRepo after a secondary rate limit = %+v, %v", repo.Repo, err)
	}
	if f := e.fault(id); f.Hits != 1 {
		t.Errorf("rule = %+v, want 1 hit", f)
	}
	if n := e.srv.Requests()["GET /repos/{owner}/{repo}"]; n != 2 {
		t.Errorf("GET /repos/{owner}/{repo} counted %d times, want 2", n)
	}
}

// A body rule fails only the mutation it names: createRef in the same window
// goes through, createCommitOnBranch fails and commits nothing until the
// rule is removed.
func TestFaultBodyRuleHitsOnlyThatMutation(t *testing.T) {
	e := newEnv(t)
	head := e.initRepo("o", "r", map[string]string{"a": "1"})
	e.writeAccess("tokens: {owner-token: o}\n")
	owner := e.client("owner-token")
	repoID := queryBranch(t, owner, "o", "r", "main").Repository.ID
	id := e.addFault(map[string]any{"method": "POST", "body": "createCommitOnBranch", "status": 502})

	if err := gqlCreateRef(owner, repoID, "feature", head); err != nil {
		t.Fatalf("createRef while createCommitOnBranch is faulted: %v", err)
	}
	if sha, err := ResolveRef(e.root, "o", "r", "feature"); err != nil || sha != head {
		t.Errorf("feature = %s, %v; want %s", sha, err, head)
	}
	if _, _, err := commitOnBranch(owner, "o/r", "feature", head, map[string]string{"b": "2"}); err == nil || !strings.Contains(err.Error(), "502") {
		t.Errorf("createCommitOnBranch under a 502 rule = %v, want a 502 error", err)
	}
	if sha, _ := ResolveRef(e.root, "o", "r", "feature"); sha != head {
		t.Errorf("the faulted commit moved feature to %s", sha)
	}
	if f := e.fault(id); f.Hits != 1 {
		t.Errorf("rule = %+v, want 1 hit", f)
	}
	counts := e.srv.Requests()
	if counts["graphql createRef"] != 1 || counts["graphql createCommitOnBranch"] != 1 {
		t.Errorf("counts = %v", counts)
	}

	// Heal: the same mutation now commits (the body was restored for the
	// handler after matching, so reading it twice must work too).
	if code, _, _ := e.do("DELETE", fmt.Sprintf("/_fakegithub/faults/%d", id), "", nil); code != http.StatusNoContent {
		t.Fatalf("DELETE fault: %d", code)
	}
	e.addFault(map[string]any{"body": "no such text", "status": 500})
	oid, _, err := commitOnBranch(owner, "o/r", "feature", head, map[string]string{"b": "2"})
	if err != nil || oid == "" {
		t.Fatalf("createCommitOnBranch after healing: %q, %v", oid, err)
	}
	if b, err := ReadFile(e.root, "o", "r", "feature", "b"); err != nil || string(b) != "2" {
		t.Errorf("committed file = %q, %v", b, err)
	}
}

// A delayed request whose client gives up ends on the server side at once,
// instead of holding a goroutine for the whole delay.
func TestFaultDelayEndsWhenClientGoesAway(t *testing.T) {
	var logMu sync.Mutex
	var logs []string
	srv, err := New(Config{Root: t.TempDir(), Logf: func(format string, args ...any) {
		logMu.Lock()
		defer logMu.Unlock()
		logs = append(logs, fmt.Sprintf(format, args...))
	}})
	if err != nil {
		t.Fatal(err)
	}
	returned := make(chan string, 100)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		srv.ServeHTTP(w, r)
		returned <- r.Method + " " + r.URL.Path
	}))
	t.Cleanup(ts.Close)
	e := &env{t: t, root: srv.Root(), srv: srv, ts: ts}
	e.initRepo("o", "r", map[string]string{"a": "1"})

	const delay = 60 * time.Second
	id := srv.AddFault(Fault{Method: "GET", Path: "/repos/o/r", DelayMs: int(delay / time.Millisecond), Times: 1}).ID
	impatient := e.retryClient("bot-token", github.ClientOptions{MaxRequestTime: 300 * time.Millisecond, MaxRetries: 1})
	start := time.Now()
	if _, err := impatient.GetRepo("o", "r"); err == nil {
		t.Fatal("GetRepo under a 60s delay with a 300ms timeout succeeded")
	}
	// Await the handler of that request returning (well before the delay).
	awaitReturn := func(want string) {
		t.Helper()
		deadline := time.After(10 * time.Second)
		for {
			select {
			case got := <-returned:
				if got == want {
					return
				}
			case <-deadline:
				t.Fatalf("the delayed handler of %s still runs %v after its client gave up", want, time.Since(start))
			}
		}
	}
	awaitReturn("GET /repos/o/r")
	if f := srv.Faults()[0]; f.ID != id || f.Hits != 1 {
		t.Errorf("rule = %+v, want 1 hit", f)
	}
	logMu.Lock()
	logged := strings.Join(logs, "\n")
	logMu.Unlock()
	if !strings.Contains(logged, fmt.Sprintf("fault %d: GET /repos/o/r -> client gone", id)) {
		t.Errorf("log does not tell of the fault:\n%s", logged)
	}

	// The same for a request with a body (net/http only notices a client
	// going away once the body has been read).
	srv.ClearFaults()
	srv.AddFault(Fault{Method: "POST", Path: "/graphql", DelayMs: int(delay / time.Millisecond), Times: 1})
	start = time.Now()
	var q branchQuery
	vars := map[string]interface{}{"owner": githubql.String("o"), "name": githubql.String("r"), "ref": githubql.String("refs/heads/main")}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if err := e.client("bot-token").QueryWithGitHubAppsSupport(ctx, &q, vars, "o"); err == nil {
		t.Fatal("a GraphQL query under a 60s delay with a 300ms timeout succeeded")
	}
	awaitReturn("POST /graphql")
	if n := srv.Requests()["graphql query repository"]; n != 1 {
		t.Errorf("the dropped GraphQL query counted %d times under its operation: %v", n, srv.Requests())
	}

	// A delay without a status serves normally.
	srv.ClearFaults()
	id = srv.AddFault(Fault{Path: "/repos/o/r", DelayMs: 20, Times: 1}).ID
	if repo, err := impatient.GetRepo("o", "r"); err != nil || repo.FullName != "o/r" {
		t.Errorf("GetRepo under a 20ms delay = %+v, %v", repo.Repo, err)
	}
	if f := srv.Faults(); len(f) != 1 || f[0].ID != id || f[0].Hits != 1 {
		t.Errorf("faults = %+v", f)
	}
}

func TestFaultAdmin(t *testing.T) {
	e := newEnv(t)
	e.initRepo("o", "r", map[string]string{"a": "1"})

	for _, tc := range []struct {
		body string
		code int
	}{
		{`{`, 400},
		{`{"status": 500`, 400},
		{`{"statuz": 500}`, 400},
		{`{"status": "500"}`, 400},
		{`{"status": 500} {"status": 502}`, 400},
		{``, 400},
		{`{"status": 200}`, 422},
		{`{"status": 399}`, 422},
		{`{"status": 600}`, 422},
		{`{"status": -1}`, 422},
		{`{"times": -1}`, 422},
		{`{"delayMs": -5}`, 422},
		{`{"retryAfter": -1}`, 422},
	} {
		code, body := e.raw("POST", "/_fakegithub/faults", tc.body)
		if msg, _ := body["message"].(string); code != tc.code || msg == "" {
			t.Errorf("POST %q: %d %v, want %d with a message", tc.body, code, body, tc.code)
		}
	}
	if f := e.srv.Faults(); len(f) != 0 {
		t.Fatalf("refused rules were added: %+v", f)
	}

	// The first matching rule (lowest id) wins; a catch-all never touches
	// admin requests or git over HTTP.
	var r1, r2 Fault
	if code := e.doJSON("POST", "/_fakegithub/faults", "", map[string]any{"path": "/user", "status": 502}, &r1); code != 201 || r1.ID != 1 || r1.Status != 502 || r1.Path != "/user" {
		t.Fatalf("first rule: %d %+v", code, r1)
	}
	if code := e.doJSON("POST", "/_fakegithub/faults", "", map[string]any{"status": 500, "id": 99, "hits": 5}, &r2); code != 201 || r2.ID != 2 || r2.Hits != 0 {
		t.Fatalf("second rule: %d %+v", code, r2)
	}
	if code, _, _ := e.do("GET", "/user", "t", nil); code != 502 {
		t.Errorf("GET /user: %d, want 502 from rule 1", code)
	}
	if code, _, _ := e.do("GET", "/repos/o/r", "t", nil); code != 500 {
		t.Errorf("GET /repos/o/r: %d, want 500 from rule 2", code)
	}
	if code, _, _ := e.do("GET", "/_fakegithub/requests", "", nil); code != 200 {
		t.Errorf("admin GET /_fakegithub/requests faulted: %d", code)
	}
	if code, _, _ := e.do("POST", "/_fakegithub/requests/reset", "", nil); code != 200 {
		t.Errorf("admin reset faulted: %d", code)
	}
	if code, _, _ := e.do("GET", "/_fakegithub/no-such-thing", "", nil); code != 404 {
		t.Errorf("unknown admin path: %d, want 404", code)
	}
	if code, _, _ := e.do("GET", "/o/r.git/info/refs?service=git-upload-pack", "", nil); code != 200 {
		t.Errorf("git smart HTTP faulted: %d", code)
	}
	var list []Fault
	if code := e.doJSON("GET", "/_fakegithub/faults", "", nil, &list); code != 200 || len(list) != 2 || list[0].ID != 1 || list[0].Hits != 1 || list[1].ID != 2 || list[1].Hits != 1 {
		t.Errorf("GET /_fakegithub/faults: %d %+v", code, list)
	}

	// Removing one, then all.
	if code, _, _ := e.do("DELETE", "/_fakegithub/faults/99", "", nil); code != 404 {
		t.Errorf("DELETE unknown fault: %d", code)
	}
	if code, _, _ := e.do("DELETE", "/_fakegithub/faults/x", "", nil); code != 404 {
		t.Errorf("DELETE fault x: %d", code)
	}
	if code, _, _ := e.do("DELETE", "/_fakegithub/faults/1", "", nil); code != 204 {
		t.Errorf("DELETE fault 1: %d", code)
	}
	if code, _, _ := e.do("GET", "/user", "t", nil); code != 500 {
		t.Errorf("GET /user after removing rule 1: %d, want 500 from rule 2", code)
	}
	e.srv.AddFault(Fault{Status: 404})
	if code, _, _ := e.do("DELETE", "/_fakegithub/faults", "", nil); code != 204 {
		t.Errorf("DELETE all: %d", code)
	}
	list = nil
	if code := e.doJSON("GET", "/_fakegithub/faults", "", nil, &list); code != 200 || len(list) != 0 {
		t.Errorf("after DELETE all: %d %+v", code, list)
	}
	if code, _, _ := e.do("GET", "/user", "t", nil); code != 200 {
		t.Errorf("GET /user after clearing: %d", code)
	}
	if f := e.srv.AddFault(Fault{Status: 500}); f.ID != 4 {
		t.Errorf("ids restarted after clearing: %+v", f)
	}
}
