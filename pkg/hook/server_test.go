package hook

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/sirupsen/logrus"

	"sigs.k8s.io/promoter/pkg/promoter"
	"sigs.k8s.io/promoter/pkg/promoter/config"
)

const testConfig = `
manifestRepo: kubernetes/k8s.io
projects:
- name: apisnoop
  repo: kubernetes-sigs/apisnoop
  gitTags: '^v\d+\.\d+\.\d+$'
  images:
  - name: snoopdb
`

type recorder struct {
	mu       sync.Mutex
	keys     []promoter.Key
	asks     []promoter.Ask
	comments []promoter.CommentRequest
}

func (r *recorder) Comment(c promoter.CommentRequest) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.comments = append(r.comments, c)
}

func (r *recorder) Request(k promoter.Key, a promoter.Ask) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.keys = append(r.keys, k)
	r.asks = append(r.asks, a)
}

func newServer(t testing.TB, secret string) (*Server, *recorder) {
	c, err := config.Parse([]byte(testConfig))
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	log := logrus.New()
	log.SetOutput(io.Discard)
	return NewServer(func() []byte { return []byte(secret) }, func() *config.Config { return c }, rec, logrus.NewEntry(log)), rec
}

func pushBody(t testing.TB, edit func(map[string]any)) []byte {
	b, err := os.ReadFile("testdata/push-tag.json")
	if err != nil {
		t.Fatal(err)
	}
	if edit == nil {
		return b
	}
	var ev map[string]any
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatal(err)
	}
	edit(ev)
	b, _ = json.Marshal(ev)
	return b
}

func request(body []byte, event string, headers map[string]string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("X-GitHub-Event", event)
	r.Header.Set("X-GitHub-Delivery", "GUID")
	for k, v := range headers {
		r.Header.Set(k, v)
	}
	return r
}

func signed(body []byte, key string) map[string]string {
	s256, s1 := Sign(body, []byte(key))
	return map[string]string{"X-Hub-Signature-256": s256, "X-Hub-Signature": s1}
}

func serve(s *Server, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	return w
}

func TestSignatures(t *testing.T) {
	body := pushBody(t, nil)
	s256, s1 := Sign(body, []byte("secret"))
	_, wrong1 := Sign(body, []byte("other"))
	wrong256, _ := Sign(body, []byte("other"))
	tests := []struct {
		name    string
		headers map[string]string
		want    int
	}{
		{"both, as GitHub sends", map[string]string{"X-Hub-Signature-256": s256, "X-Hub-Signature": s1}, 200},
		{"SHA-256 only, as newer phony sends", map[string]string{"X-Hub-Signature-256": s256}, 200},
		{"SHA-1 only, as Prow's hook and phony send", map[string]string{"X-Hub-Signature": s1}, 200},
		{"none", nil, 403},
		{"wrong SHA-1", map[string]string{"X-Hub-Signature": wrong1}, 403},
		{"wrong SHA-256 with a right SHA-1: the stronger one decides", map[string]string{"X-Hub-Signature-256": wrong256, "X-Hub-Signature": s1}, 403},
		{"SHA-1 value in the SHA-256 header", map[string]string{"X-Hub-Signature-256": "sha256=" + strings.TrimPrefix(s1, "sha1=")}, 403},
		{"no algorithm prefix", map[string]string{"X-Hub-Signature": strings.TrimPrefix(s1, "sha1=")}, 403},
		{"not hex", map[string]string{"X-Hub-Signature-256": "sha256=zz"}, 403},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, rec := newServer(t, "secret\n")
			w := serve(s, request(body, "push", tc.headers))
			if w.Code != tc.want {
				t.Fatalf("status %d (%s), want %d", w.Code, w.Body, tc.want)
			}
			if want := map[bool]int{true: 1, false: 0}[tc.want == 200]; len(rec.keys) != want {
				t.Errorf("%d keys queued, want %d", len(rec.keys), want)
			}
		})
	}
}

func TestRotationMapSecrets(t *testing.T) {
	secretFile := `
'*':
- value: global
  created_at: 2026-01-01T00:00:00Z
kubernetes-sigs:
- value: old-org
  created_at: 2026-01-01T00:00:00Z
- value: new-org
  created_at: 2026-06-01T00:00:00Z
kubernetes/k8s.io:
- value: repo-only
  created_at: 2026-01-01T00:00:00Z
`
	body := pushBody(t, nil) // kubernetes-sigs/apisnoop: the org scope applies
	for key, want := range map[string]int{"old-org": 200, "new-org": 200, "global": 403, "repo-only": 403, secretFile: 403} {
		s, _ := newServer(t, secretFile)
		if w := serve(s, request(body, "push", signed(body, key))); w.Code != want {
			t.Errorf("signed with %q: status %d, want %d", key, w.Code, want)
		}
	}
	// An empty secret file validates nothing (an HMAC with an empty key is forgeable).
	s, _ := newServer(t, "")
	if w := serve(s, request(body, "push", signed(body, ""))); w.Code != 403 {
		t.Errorf("empty secret: status %d, want 403", w.Code)
	}
}

func TestPushFiltering(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(map[string]any)
		queued bool
	}{
		{"release tag", nil, true},
		{"branch push", func(e map[string]any) { e["ref"] = "refs/heads/v1.2.3" }, false},
		{"tag deletion", func(e map[string]any) { e["deleted"] = true; e["after"] = strings.Repeat("0", 40) }, false},
		{"tag no project releases", func(e map[string]any) { e["ref"] = "refs/tags/v1.2.3-rc.1" }, false},
		{"unconfigured repo", func(e map[string]any) {
			e["repository"].(map[string]any)["full_name"] = "kubernetes-sigs/kueue"
		}, false},
		{"bare refs/tags/", func(e map[string]any) { e["ref"] = "refs/tags/" }, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, rec := newServer(t, "secret")
			body := pushBody(t, tc.edit)
			if w := serve(s, request(body, "push", signed(body, "secret"))); w.Code != 200 {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			if got := len(rec.keys) == 1; got != tc.queued {
				t.Fatalf("queued %v, want %v", rec.keys, tc.queued)
			}
			if tc.queued && rec.keys[0] != (promoter.Key{Project: "apisnoop", Tag: "v1.2.3"}) {
				t.Errorf("queued %v", rec.keys[0])
			}
		})
	}
}

func TestBadRequests(t *testing.T) {
	s, rec := newServer(t, "secret")
	body := pushBody(t, nil)
	check := func(name string, r *http.Request, want int) {
		t.Helper()
		if w := serve(s, r); w.Code != want {
			t.Errorf("%s: status %d (%s), want %d", name, w.Code, strings.TrimSpace(w.Body.String()), want)
		}
	}
	get := request(body, "push", signed(body, "secret"))
	get.Method = http.MethodGet
	check("GET", get, 405)

	bad := []byte(`{"ref": "refs/tags/v1.2.3", "repository": {"full_name": "kubernetes-sigs/apisnoop"}, "deleted": "no"}`)
	check("malformed push", request(bad, "push", signed(bad, "secret")), 400)

	check("no event header", request(body, "", signed(body, "secret")), 400)

	form := request(body, "push", signed(body, "secret"))
	form.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	check("form-encoded", form, 400)

	check("ping", request(body, "ping", signed(body, "secret")), 200)
	check("unknown event", request(body, "deployment", signed(body, "secret")), 200)

	big := bytes.Repeat([]byte(" "), MaxBody+1)
	check("body over 25 MB", request(big, "push", signed(big, "secret")), 413)

	if len(rec.keys) != 0 {
		t.Errorf("bad requests queued work: %v", rec.keys)
	}
}

// BenchmarkWebhookPush measures one signed tag push through the handler:
// body read, HMAC-SHA256 check, decoding, config match and enqueue.
func BenchmarkWebhookPush(b *testing.B) {
	s, _ := newServer(b, "secret")
	s.queue = discard{}
	body := pushBody(b, nil)
	headers := signed(body, "secret")
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for i := 0; i < b.N; i++ {
		w := serve(s, request(body, "push", headers))
		if w.Code != 200 {
			b.Fatalf("status %d", w.Code)
		}
	}
}

type discard struct{}

func (discard) Request(promoter.Key, promoter.Ask) {}
func (discard) Comment(promoter.CommentRequest)    {}

func commentBody(t testing.TB, action, repo, user, body string) []byte {
	b, err := json.Marshal(map[string]any{
		"action":     action,
		"issue":      map[string]any{"number": 7},
		"comment":    map[string]any{"id": 42, "body": body, "user": map[string]any{"login": user}},
		"repository": map[string]any{"full_name": repo, "name": strings.Split(repo, "/")[1], "owner": map[string]any{"login": strings.Split(repo, "/")[0]}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestIssueComments(t *testing.T) {
	tests := []struct {
		name, action, repo, user, body string
		commands                       int
	}{
		{"a command", "created", "kubernetes-sigs/apisnoop", "alice", "thanks\n/promote v1.2.3 snoopdb", 1},
		{"two commands", "created", "kubernetes-sigs/apisnoop", "alice", "/promote v1.2.3\n/promote dry-run v1.2.4", 2},
		{"edited", "edited", "kubernetes-sigs/apisnoop", "alice", "/promote v1.2.3", 0},
		{"deleted", "deleted", "kubernetes-sigs/apisnoop", "alice", "/promote v1.2.3", 0},
		{"other repo", "created", "kubernetes-sigs/kueue", "alice", "/promote v1.2.3", 0},
		{"the bot itself", "created", "kubernetes-sigs/apisnoop", "promoter-bot", "usage: /promote v1.2.3", 0},
		{"no command", "created", "kubernetes-sigs/apisnoop", "alice", "lgtm", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, rec := newServer(t, "secret")
			s.IsBot = func(l string) bool { return l == "promoter-bot" }
			body := commentBody(t, tc.action, tc.repo, tc.user, tc.body)
			if w := serve(s, request(body, "issue_comment", signed(body, "secret"))); w.Code != 200 {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			got := 0
			if len(rec.comments) == 1 {
				got = len(rec.comments[0].Commands)
				c := rec.comments[0]
				if c.Org != "kubernetes-sigs" || c.Repo != "apisnoop" || c.Number != 7 || c.CommentID != 42 || c.User != tc.user {
					t.Errorf("request %+v", c)
				}
			}
			if got != tc.commands || len(rec.comments) > 1 {
				t.Errorf("%d requests with %d commands, want %d commands", len(rec.comments), got, tc.commands)
			}
		})
	}
}

// The push names the tagged commit (head_commit): it is handed on, so
// promoter need not look the tag up.
func TestPushCarriesTheTaggedCommit(t *testing.T) {
	s, rec := newServer(t, "secret")
	body := pushBody(t, nil)
	if w := serve(s, request(body, "push", signed(body, "secret"))); w.Code != 200 {
		t.Fatalf("answered %d", w.Code)
	}
	if len(rec.asks) != 1 || rec.asks[0].TagCommit != "5d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c" {
		t.Errorf("asks %+v", rec.asks)
	}
	body = pushBody(t, func(ev map[string]any) { ev["head_commit"] = map[string]any{"id": "not a sha"} })
	serve(s, request(body, "push", signed(body, "secret")))
	if len(rec.asks) != 2 || rec.asks[1].TagCommit != "" {
		t.Errorf("a malformed head_commit was trusted: %+v", rec.asks)
	}
}
