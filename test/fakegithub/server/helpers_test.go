package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/sirupsen/logrus"
	"sigs.k8s.io/promoter/test/ghapi"
	"sigs.k8s.io/prow/pkg/github"
)

func TestMain(m *testing.M) {
	// Prow's client logs every call at info level.
	logrus.SetOutput(io.Discard)
	os.Exit(m.Run())
}

// env is a stand-in served in-process over a fresh root.
type env struct {
	t    *testing.T
	root string
	srv  *Server
	ts   *httptest.Server
	gh   github.Client // authenticated as the bot
}

func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvAt(t, t.TempDir())
}

func newEnvAt(t *testing.T, root string) *env {
	t.Helper()
	return newEnvConfig(t, Config{Root: root})
}

func newEnvConfig(t *testing.T, cfg Config) *env {
	t.Helper()
	root := cfg.Root
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	e := &env{t: t, root: root, srv: srv, ts: ts}
	e.gh = e.client("bot-token")
	return e
}

// newCheckedEnv is a stand-in (cfg with a fresh root) whose every API
// exchange is held to GitHub's published API descriptions when the test
// ends; where those cannot be fetched, the test says so and checks the
// rest.
func newCheckedEnv(t *testing.T, cfg Config) *env {
	t.Helper()
	rec := &lockedBuffer{}
	cfg.Root, cfg.Record = t.TempDir(), rec
	e := newEnvConfig(t, cfg)
	t.Cleanup(func() {
		exs, err := ghapi.Read(bytes.NewReader(rec.Bytes()), t.Name())
		if err != nil {
			t.Fatal(err)
		}
		c := gitHubChecker(t)
		if c == nil {
			return
		}
		r := c.CheckAll(context.Background(), exs)
		for _, v := range r.Violations {
			t.Errorf("deviation from GitHub's API description: %s", v)
		}
		t.Log(r.Summary())
	})
	return e
}

var githubChecker struct {
	once    sync.Once
	checker *ghapi.Checker
	err     error
}

// gitHubChecker loads GitHub's API descriptions once per test binary; nil
// (after a log line) where they cannot be fetched.
func gitHubChecker(t *testing.T) *ghapi.Checker {
	t.Helper()
	githubChecker.once.Do(func() {
		githubChecker.checker, githubChecker.err = ghapi.Load(context.Background())
	})
	if errors.Is(githubChecker.err, ghapi.ErrUnavailable) {
		t.Logf("not checked against GitHub's API descriptions: %v", githubChecker.err)
		return nil
	}
	if githubChecker.err != nil {
		t.Fatal(githubChecker.err)
	}
	return githubChecker.checker
}

// lockedBuffer is a bytes.Buffer safe for the server's concurrent writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) Bytes() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]byte(nil), l.b.Bytes()...)
}

// client is Prow's GitHub client using token.
func (e *env) client(token string) github.Client {
	e.t.Helper()
	c, err := github.NewClient(func() []byte { return []byte(token) }, func(b []byte) []byte { return b }, e.ts.URL+"/graphql", e.ts.URL)
	if err != nil {
		e.t.Fatal(err)
	}
	c.SetMax404Retries(0)
	return c
}

// writeAccess writes the access file.
func (e *env) writeAccess(yaml string) {
	e.t.Helper()
	if err := os.WriteFile(filepath.Join(e.root, "_access.yaml"), []byte(yaml), 0o644); err != nil {
		e.t.Fatal(err)
	}
}

// do makes a raw request; token "" sends no Authorization.
func (e *env) do(method, path, token string, body any, header ...string) (int, http.Header, []byte) {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, e.ts.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

// doJSON makes a request and decodes the JSON answer.
func (e *env) doJSON(method, path, token string, body any, out any) int {
	e.t.Helper()
	code, _, b := e.do(method, path, token, body)
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			e.t.Fatalf("%s %s: %d %s: %v", method, path, code, b, err)
		}
	}
	return code
}

// graphql posts a raw GraphQL request and returns the decoded answer.
func (e *env) graphql(token, query string, vars map[string]any) map[string]any {
	e.t.Helper()
	var out map[string]any
	code := e.doJSON("POST", "/graphql", token, map[string]any{"query": query, "variables": vars}, &out)
	if code != http.StatusOK {
		e.t.Fatalf("graphql: status %d: %v", code, out)
	}
	return out
}

func (e *env) initRepo(owner, repo string, files map[string]string) string {
	e.t.Helper()
	sha, err := InitRepo(e.root, owner, repo, byteFiles(files))
	if err != nil {
		e.t.Fatal(err)
	}
	return sha
}

func (e *env) commit(owner, repo, branch string, files map[string]string, msg string) string {
	e.t.Helper()
	sha, err := Commit(e.root, owner, repo, branch, byteFiles(files), msg)
	if err != nil {
		e.t.Fatal(err)
	}
	return sha
}

func byteFiles(files map[string]string) map[string][]byte {
	out := map[string][]byte{}
	for k, v := range files {
		out[k] = []byte(v)
	}
	return out
}

// gitOut runs git on a repository of the root.
func (e *env) gitOut(owner, repo string, args ...string) string {
	e.t.Helper()
	cmd := exec.Command("git", append([]string{"--git-dir", RepoPath(e.root, owner, repo)}, args...)...)
	cmd.Env = gitEnv()
	out, err := cmd.CombinedOutput()
	if err != nil {
		e.t.Fatalf("git %v: %v: %s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// path walks a decoded JSON value: keys and indexes.
func path(v any, keys ...any) any {
	for _, k := range keys {
		switch kk := k.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[kk]
		case int:
			l, ok := v.([]any)
			if !ok || kk >= len(l) {
				return nil
			}
			v = l[kk]
		}
	}
	return v
}

func errorMessages(resp map[string]any) []string {
	var out []string
	errs, _ := resp["errors"].([]any)
	for _, e := range errs {
		if m, ok := path(e, "message").(string); ok {
			out = append(out, m)
		}
	}
	return out
}
