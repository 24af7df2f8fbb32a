// Package server is a GitHub stand-in over real bare git repositories: the
// REST and GraphQL subset promoter (through Prow's GitHub client) uses,
// answering with GitHub's shapes, status codes and errors.
//
// Repositories live at <root>/<owner>/<repo>.git. Issues, pull requests,
// comments, reactions and statuses live in memory and in <root>/_state.json,
// rewritten after every change. Who is who comes from the access file
// (default <root>/_access.yaml), re-read on every request.
//
// Start one in-process with
//
//	srv, err := server.New(server.Config{Root: dir})
//	ts := httptest.NewServer(srv)
//
// and point a client at ts.URL (REST) and ts.URL+"/graphql".
package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultBotLogin is the authenticated user when a token is not in the
// access file.
const DefaultBotLogin = "promoter-bot"

// Config configures a Server.
type Config struct {
	// Root holds the repositories (<Root>/<owner>/<repo>.git) and the state
	// file. Required.
	Root string
	// BotLogin is who any token not in the access file authenticates as
	// (default DefaultBotLogin).
	BotLogin string
	// AccessFile is the access file (default <Root>/_access.yaml).
	AccessFile string
	// Logf, when set, gets one line per request served.
	Logf func(format string, args ...any)
	// Record, when set, gets every API exchange (not admin requests, not
	// git over HTTP) as one JSON line (see Exchange).
	Record io.Writer
	// ContentLimit, when above 0, is GitHub's secondary rate limit on
	// content-creating requests (REST writes, GraphQL mutations): at most
	// this many per user in any ContentWindow (default one minute); more
	// answer 403 with Retry-After. GitHub's is 80 a minute (and 500 an hour).
	ContentLimit  int
	ContentWindow time.Duration
}

// Server serves the stand-in. It is an http.Handler.
type Server struct {
	root       string
	bot        string
	accessFile string
	logf       func(string, ...any)

	mu sync.Mutex // guards st and the state file
	st *state

	statsMu sync.Mutex
	counts  map[string]int
	rate    map[string]*rateWindow

	faultsMu sync.Mutex
	faults   []*Fault // in ID order
	faultSeq int

	rec     *recorder
	content *contentLimiter // nil: no secondary limit

	reqSeq atomic.Uint64
	routes []*route
	schema *gqlSchema
}

// New loads the state under cfg.Root (creating the directory) and returns a
// Server.
func New(cfg Config) (*Server, error) {
	if cfg.Root == "" {
		return nil, errors.New("server: Config.Root is required")
	}
	root, err := filepath.Abs(cfg.Root)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, err
	}
	st, err := loadState(root)
	if err != nil {
		return nil, err
	}
	s := &Server{
		root:       root,
		bot:        cfg.BotLogin,
		accessFile: cfg.AccessFile,
		logf:       cfg.Logf,
		st:         st,
		counts:     map[string]int{},
		rate:       map[string]*rateWindow{},
	}
	if s.bot == "" {
		s.bot = DefaultBotLogin
	}
	if cfg.Record != nil {
		s.rec = &recorder{w: cfg.Record}
	}
	if cfg.ContentLimit > 0 {
		s.content = &contentLimiter{limit: cfg.ContentLimit, window: cfg.ContentWindow, seen: map[string][]time.Time{}}
		if s.content.window <= 0 {
			s.content.window = time.Minute
		}
	}
	if s.accessFile == "" {
		s.accessFile = filepath.Join(root, "_access.yaml")
	}
	s.registerRoutes()
	s.schema = newSchema()
	return s, nil
}

// Root is the directory the server keeps repositories and state in.
func (s *Server) Root() string { return s.root }

// Requests returns how many API requests were served per route since the
// start or the last reset, keyed "METHOD /route/pattern" or, for GraphQL,
// "graphql <mutation field>" / "graphql query <top-level fields>".
func (s *Server) Requests() map[string]int {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	out := make(map[string]int, len(s.counts))
	for k, v := range s.counts {
		out[k] = v
	}
	return out
}

// ResetRequests zeroes the request counts.
func (s *Server) ResetRequests() {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	s.counts = map[string]int{}
}

func (s *Server) count(key string) {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	s.counts[key]++
}

// rateWindow is one hour of one rate-limit resource.
type rateWindow struct {
	start time.Time
	used  int
}

const rateLimit = 5000

// spend records one request against resource and returns limit, remaining,
// reset (unix seconds) and used.
func (s *Server) spend(resource string, n int) (int, int, int64, int) {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	now := time.Now()
	w := s.rate[resource]
	if w == nil || now.Sub(w.start) >= time.Hour {
		w = &rateWindow{start: now}
		s.rate[resource] = w
	}
	w.used += n
	// Never 0: nothing is enforced, and Prow's client sleeps until the reset
	// when a 403 comes with Remaining 0.
	return rateLimit, max(rateLimit-w.used, 1), w.start.Add(time.Hour).Unix(), w.used
}

// mutate runs f with the state locked and saves the state afterwards.
func (s *Server) mutate(f func(st *state) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := f(s.st); err != nil {
		return err
	}
	return s.st.save(s.root)
}

// read runs f with the state locked, without saving.
func (s *Server) read(f func(st *state)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s.st)
}

// ---------------------------------------------------------------- routing

type route struct {
	method string
	key    string   // "GET /repos/{owner}/{repo}/contents/{path}"
	prefix []string // segments before the rest parameter
	rest   string   // name of the {name...} parameter, "" for none
	suffix []string // segments after it
	h      func(*reqCtx)
	admin  bool
}

func (s *Server) handle(method, pattern string, h func(*reqCtx)) *route {
	rt := &route{method: method, h: h}
	var key []string
	for _, seg := range strings.Split(strings.Trim(pattern, "/"), "/") {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "...}") {
			rt.rest = strings.TrimSuffix(strings.TrimPrefix(seg, "{"), "...}")
			key = append(key, "{"+rt.rest+"}")
			continue
		}
		key = append(key, seg)
		if rt.rest == "" {
			rt.prefix = append(rt.prefix, seg)
		} else {
			rt.suffix = append(rt.suffix, seg)
		}
	}
	rt.key = method + " /" + strings.Join(key, "/")
	rt.admin = strings.HasPrefix(pattern, "/_fakegithub/")
	s.routes = append(s.routes, rt)
	return rt
}

// match matches path segments; params get the named segments.
func (rt *route) match(segs []string) (map[string]string, bool) {
	if rt.rest == "" && len(segs) != len(rt.prefix) {
		return nil, false
	}
	min := len(rt.prefix) + len(rt.suffix)
	if len(rt.suffix) > 0 {
		min++ // a rest parameter followed by more needs one segment
	}
	if len(segs) < min {
		return nil, false
	}
	p := map[string]string{}
	bind := func(pat, seg string) bool {
		if strings.HasPrefix(pat, "{") && strings.HasSuffix(pat, "}") {
			if seg == "" {
				return false
			}
			p[pat[1:len(pat)-1]] = seg
			return true
		}
		return pat == seg
	}
	for i, pat := range rt.prefix {
		if !bind(pat, segs[i]) {
			return nil, false
		}
	}
	if rt.rest == "" {
		return p, true
	}
	tail := segs[len(segs)-len(rt.suffix):]
	for i, pat := range rt.suffix {
		if !bind(pat, tail[i]) {
			return nil, false
		}
	}
	p[rt.rest] = strings.Join(segs[len(rt.prefix):len(segs)-len(rt.suffix)], "/")
	return p, true
}

// splitPath splits the escaped URL path into unescaped segments.
func splitPath(r *http.Request) ([]string, bool) {
	raw := strings.Trim(r.URL.EscapedPath(), "/")
	if raw == "" {
		return nil, true
	}
	parts := strings.Split(raw, "/")
	for i, p := range parts {
		u, err := url.PathUnescape(p)
		if err != nil {
			return nil, false
		}
		parts[i] = u
	}
	return parts, true
}

// ---------------------------------------------------------------- requests

// reqCtx is one request being served.
type reqCtx struct {
	s    *Server
	w    http.ResponseWriter
	r    *http.Request
	ctx  context.Context
	p    map[string]string
	user string // authenticated login; "" when anonymous
	acc  *Access
	base string // scheme://host of this server
	key  string // what the request counts as; "" for not counted
}

type statusWriter struct {
	http.ResponseWriter
	status int
	copy   *bytes.Buffer // when recording, what was written
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if w.copy != nil {
		w.copy.Write(b)
	}
	return w.ResponseWriter.Write(b)
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	sw := &statusWriter{ResponseWriter: w}
	seq := s.reqSeq.Add(1)
	h := sw.Header()
	h["X-GitHub-Request-Id"] = []string{fmt.Sprintf("FA4E:%04X:%06X:%08X:%08X", os.Getpid()&0xffff, seq&0xffffff, uint32(start.Unix()), uint32(seq*2654435761))}
	h["X-GitHub-Media-Type"] = []string{"github.v3; format=json"}
	h.Set("Server", "fakegithub")

	c := &reqCtx{s: s, w: sw, r: r, ctx: context.WithoutCancel(r.Context()), base: baseURL(r)}
	var rc *recording
	defer func() {
		if p := recover(); p != nil {
			if s.logf != nil {
				s.logf("panic serving %s %s: %v\n%s", r.Method, r.URL.RequestURI(), p, debug.Stack())
			}
			if sw.status == 0 {
				c.fail(http.StatusInternalServerError, fmt.Sprintf("fakegithub: internal error: %v", p))
			}
		}
		if s.logf != nil {
			s.logf("%s %s %d %s", r.Method, r.URL.RequestURI(), sw.status, time.Since(start).Round(time.Microsecond))
		}
		s.finishRecording(rc, sw)
	}()

	if s.serveGit(sw, r) {
		return
	}
	if !strings.HasPrefix(r.URL.Path, "/_fakegithub/") {
		if rc = s.startRecording(r); rc != nil {
			sw.copy = &rc.body
		}
	}
	segs, ok := splitPath(r)
	var rt *route
	if ok {
		for _, cand := range s.routes {
			if cand.method != r.Method {
				continue
			}
			if p, ok := cand.match(segs); ok {
				rt, c.p = cand, p
				break
			}
		}
	}
	if rt != nil && rt.admin {
		acc, err := loadAccess(s.accessFile)
		if err != nil {
			c.accessError(err)
			return
		}
		c.acc = acc
		if c.r.Header.Get("Authorization") != "" && !c.authenticate() {
			return
		}
		rt.h(c)
		return
	}
	if rt != nil {
		c.key = rt.key
	} else {
		c.key = r.Method + " (no route)"
	}
	defer func() {
		if c.key != "" {
			s.count(c.key)
		}
	}()
	resource := "core"
	if rt != nil && rt.key == "POST /graphql" {
		resource = "graphql"
	}
	if rt == nil || rt.key != "GET /rate_limit" {
		limit, remaining, reset, used := s.spend(resource, 1)
		h["X-RateLimit-Limit"] = []string{strconv.Itoa(limit)}
		h["X-RateLimit-Remaining"] = []string{strconv.Itoa(remaining)}
		h["X-RateLimit-Reset"] = []string{strconv.FormatInt(reset, 10)}
		h["X-RateLimit-Used"] = []string{strconv.Itoa(used)}
		h["X-RateLimit-Resource"] = []string{resource}
	}
	if !strings.HasPrefix(r.URL.Path, "/_fakegithub") && c.applyFault() {
		return
	}
	acc, err := loadAccess(s.accessFile)
	if err != nil {
		c.accessError(err)
		return
	}
	c.acc = acc
	if !c.authenticate() {
		return
	}
	if rt == nil {
		c.fail(http.StatusNotFound, "Not Found")
		return
	}
	if c.overContentLimit(rt) {
		return
	}
	rt.h(c)
}

// accessError answers a broken access file with 400, not 5xx: Prow's client
// retries server errors for minutes.
func (c *reqCtx) accessError(err error) {
	c.fail(http.StatusBadRequest, "fakegithub: "+err.Error())
}

func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	host := r.Host
	if host == "" {
		host = "localhost"
	}
	return scheme + "://" + host
}

// authenticate finds who the request is from. Any token is accepted: the
// access file may name its user, else it is the bot. No token is anonymous,
// which may only read.
func (c *reqCtx) authenticate() bool {
	h := c.r.Header.Get("Authorization")
	if h == "" {
		if c.r.Method != http.MethodGet && c.r.Method != http.MethodHead {
			c.fail(http.StatusUnauthorized, "Requires authentication")
			return false
		}
		return true
	}
	scheme, token, ok := strings.Cut(strings.TrimSpace(h), " ")
	token = strings.TrimSpace(token)
	if !ok || token == "" || !(strings.EqualFold(scheme, "bearer") || strings.EqualFold(scheme, "token")) {
		c.fail(http.StatusUnauthorized, "Bad credentials")
		return false
	}
	if login, ok := c.acc.Tokens[token]; ok && login != "" {
		c.user = login
	} else {
		c.user = c.s.bot
	}
	return true
}

func (c *reqCtx) requireUser() bool {
	if c.user == "" {
		c.fail(http.StatusUnauthorized, "Requires authentication")
		return false
	}
	return true
}

const docsURL = "https://docs.github.com/rest"

func (c *reqCtx) writeJSON(status int, v any) {
	b, err := marshalJSON(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"message":"fakegithub: encoding the answer failed"}`)
	}
	c.w.Header().Set("Content-Type", "application/json; charset=utf-8")
	c.w.WriteHeader(status)
	if c.r.Method != http.MethodHead {
		_, _ = c.w.Write(b)
		_, _ = c.w.Write([]byte("\n"))
	}
}

// marshalJSON encodes like GitHub: no HTML escaping.
func marshalJSON(v any) ([]byte, error) {
	var sb strings.Builder
	enc := json.NewEncoder(&sb)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return []byte(strings.TrimSuffix(sb.String(), "\n")), nil
}

func (c *reqCtx) noContent() { c.w.WriteHeader(http.StatusNoContent) }

// fail answers GitHub's error body.
func (c *reqCtx) fail(status int, msg string) {
	c.writeJSON(status, map[string]any{"message": msg, "documentation_url": docsURL, "status": strconv.Itoa(status)})
}

func (c *reqCtx) notFound() { c.fail(http.StatusNotFound, "Not Found") }

// fieldError is one entry of a 422's errors.
type fieldError map[string]any

func missingField(resource, field string) fieldError {
	return fieldError{"resource": resource, "code": "missing_field", "field": field}
}

func invalidField(resource, field string) fieldError {
	return fieldError{"resource": resource, "code": "invalid", "field": field}
}

func customError(resource, msg string) fieldError {
	return fieldError{"resource": resource, "code": "custom", "message": msg}
}

// validation answers 422 Validation Failed.
func (c *reqCtx) validation(errs ...fieldError) {
	c.writeJSON(http.StatusUnprocessableEntity, map[string]any{
		"message": "Validation Failed", "errors": errs, "documentation_url": docsURL, "status": "422",
	})
}

// decode reads the JSON body into v; an empty body leaves v alone.
func (c *reqCtx) decode(v any) bool {
	b, err := io.ReadAll(io.LimitReader(c.r.Body, 200<<20))
	if err != nil {
		c.fail(http.StatusBadRequest, "Problems parsing JSON")
		return false
	}
	if strings.TrimSpace(string(b)) == "" {
		return true
	}
	if err := json.Unmarshal(b, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			c.validation(fieldError{"resource": "", "code": "invalid", "field": te.Field, "message": fmt.Sprintf("Invalid request. %s is not a valid value for %s.", te.Value, te.Field)})
			return false
		}
		c.fail(http.StatusBadRequest, "Problems parsing JSON")
		return false
	}
	return true
}

func (c *reqCtx) query(k string) string { return c.r.URL.Query().Get(k) }

// page picks the page of total items the request asked for (per_page
// default 30, max 100) and sets the Link header. It returns [lo, hi).
func (c *reqCtx) page(total int) (int, int) {
	q := c.r.URL.Query()
	per, err := strconv.Atoi(q.Get("per_page"))
	if err != nil || per < 1 {
		per = 30
	}
	per = min(per, 100)
	pg, err := strconv.Atoi(q.Get("page"))
	if err != nil || pg < 1 {
		pg = 1
	}
	last := max((total+per-1)/per, 1)
	link := func(n int, rel string) string {
		q.Set("page", strconv.Itoa(n))
		q.Set("per_page", strconv.Itoa(per))
		return fmt.Sprintf("<%s%s?%s>; rel=%q", c.base, c.r.URL.EscapedPath(), q.Encode(), rel)
	}
	var links []string
	if pg > 1 {
		links = append(links, link(min(pg-1, last), "prev"))
	}
	if pg < last {
		links = append(links, link(pg+1, "next"), link(last, "last"))
	}
	if pg > 1 {
		links = append(links, link(1, "first"))
	}
	if len(links) > 0 {
		c.w.Header().Set("Link", strings.Join(links, ", "))
	}
	lo := min((pg-1)*per, total)
	return lo, min(lo+per, total)
}

// ---------------------------------------------------------------- repos

// repoRef is a repository that exists on disk.
type repoRef struct {
	Owner, Name, Dir string
}

func (r repoRef) Full() string { return r.Owner + "/" + r.Name }

func (s *Server) repoRef(owner, name string) (repoRef, bool) {
	name = strings.TrimSuffix(name, ".git")
	if !validName(owner) || !validRepoName(name) {
		return repoRef{}, false
	}
	dir := RepoPath(s.root, owner, name)
	if repoExists(dir) {
		return repoRef{Owner: owner, Name: name, Dir: dir}, true
	}
	// GitHub names are case-insensitive.
	ents, err := os.ReadDir(s.root)
	if err != nil {
		return repoRef{}, false
	}
	for _, oe := range ents {
		if !oe.IsDir() || !strings.EqualFold(oe.Name(), owner) {
			continue
		}
		res, err := os.ReadDir(filepath.Join(s.root, oe.Name()))
		if err != nil {
			continue
		}
		for _, re := range res {
			if strings.EqualFold(re.Name(), name+".git") {
				d := filepath.Join(s.root, oe.Name(), re.Name())
				if repoExists(d) {
					return repoRef{Owner: oe.Name(), Name: strings.TrimSuffix(re.Name(), ".git"), Dir: d}, true
				}
			}
		}
	}
	return repoRef{}, false
}

// repoByFull resolves "owner/name".
func (s *Server) repoByFull(full string) (repoRef, bool) {
	o, n, ok := strings.Cut(full, "/")
	if !ok {
		return repoRef{}, false
	}
	return s.repoRef(o, n)
}

// repo resolves the {owner}/{repo} of the route, answering 404 when missing.
func (c *reqCtx) repo() (repoRef, bool) {
	rr, ok := c.s.repoRef(c.p["owner"], c.p["repo"])
	if !ok {
		c.notFound()
	}
	return rr, ok
}

// parent is the repository rr was forked from, if any.
func (s *Server) parent(rr repoRef) (repoRef, bool) {
	p := forkParent(rr.Dir)
	if p == "" {
		return repoRef{}, false
	}
	return s.repoByFull(p)
}

// source is the root of rr's fork network.
func (s *Server) source(rr repoRef) repoRef {
	seen := map[string]bool{}
	for !seen[rr.Full()] {
		seen[rr.Full()] = true
		p, ok := s.parent(rr)
		if !ok {
			break
		}
		rr = p
	}
	return rr
}

// listRepos lists the repositories owned by owner.
func (s *Server) listRepos(owner string) []repoRef {
	var out []repoRef
	if !validName(owner) {
		return nil
	}
	ents, err := os.ReadDir(filepath.Join(s.root, owner))
	if err != nil {
		return nil
	}
	for _, e := range ents {
		n := e.Name()
		if !strings.HasSuffix(n, ".git") { // fork temp dirs do not end in .git
			continue
		}
		if rr, ok := s.repoRef(owner, strings.TrimSuffix(n, ".git")); ok {
			out = append(out, rr)
		}
	}
	sort.Slice(out, func(i, j int) bool { return strings.ToLower(out[i].Name) < strings.ToLower(out[j].Name) })
	return out
}

// ---------------------------------------------------------------- ids

func hash32(s string) int64 {
	h := fnv.New32a()
	_, _ = h.Write([]byte(strings.ToLower(s)))
	return int64(h.Sum32()&0x7fffffff) + 1
}

func userID(login string) int64 { return hash32("user:" + login) }
func repoID(rr repoRef) int64   { return hash32("repo:" + rr.Full()) }

// ts formats a time the way GitHub does.
func ts(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// optTime is ts, or JSON null for no time.
func optTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return ts(*t)
}

// nowSecond is now at GitHub's (second) resolution.
func nowSecond() time.Time { return time.Now().UTC().Truncate(time.Second) }

// ---------------------------------------------------------------- JSON shapes

// userJSON is GitHub's simple user object (nil for "").
func (c *reqCtx) userJSON(login string) any {
	if login == "" {
		return nil
	}
	typ, prefix := "User", "U"
	if c.acc != nil && c.acc.isOrg(login) {
		typ, prefix = "Organization", "O"
	}
	api := c.base + "/users/" + login
	return map[string]any{
		"login":               login,
		"id":                  userID(login),
		"node_id":             nodeID(prefix, login),
		"avatar_url":          c.base + "/avatars/" + login,
		"gravatar_id":         "",
		"url":                 api,
		"html_url":            c.base + "/" + login,
		"followers_url":       api + "/followers",
		"following_url":       api + "/following{/other_user}",
		"gists_url":           api + "/gists{/gist_id}",
		"starred_url":         api + "/starred{/owner}{/repo}",
		"subscriptions_url":   api + "/subscriptions",
		"organizations_url":   api + "/orgs",
		"repos_url":           api + "/repos",
		"events_url":          api + "/events{/privacy}",
		"received_events_url": api + "/received_events",
		"type":                typ,
		"user_view_type":      "public",
		"site_admin":          false,
	}
}

func permissionsJSON(perm string) map[string]bool {
	r := permissionRank[perm]
	return map[string]bool{
		"admin":    r >= permissionRank["admin"],
		"maintain": r >= permissionRank["maintain"],
		"push":     r >= permissionRank["write"],
		"triage":   r >= permissionRank["triage"],
		"pull":     true,
	}
}

// repoJSON is GitHub's repository object; full adds parent and source for
// forks and the counts GET /repos/{owner}/{repo} has.
func (c *reqCtx) repoJSON(rr repoRef, full bool) map[string]any {
	api := c.base + "/repos/" + rr.Full()
	html := c.base + "/" + rr.Full()
	parent, isFork := c.s.parent(rr)
	created, pushed := repoTimes(rr)
	forks, open := c.s.forkCount(rr), c.s.openIssueCount(rr)
	m := map[string]any{
		"id":                     repoID(rr),
		"node_id":                nodeID("R", rr.Full()),
		"name":                   rr.Name,
		"full_name":              rr.Full(),
		"owner":                  c.userJSON(rr.Owner),
		"private":                false,
		"visibility":             "public",
		"html_url":               html,
		"description":            nil,
		"fork":                   isFork,
		"url":                    api,
		"archive_url":            api + "/{archive_format}{/ref}",
		"assignees_url":          api + "/assignees{/user}",
		"blobs_url":              api + "/git/blobs{/sha}",
		"branches_url":           api + "/branches{/branch}",
		"collaborators_url":      api + "/collaborators{/collaborator}",
		"comments_url":           api + "/comments{/number}",
		"commits_url":            api + "/commits{/sha}",
		"compare_url":            api + "/compare/{base}...{head}",
		"contents_url":           api + "/contents/{+path}",
		"contributors_url":       api + "/contributors",
		"deployments_url":        api + "/deployments",
		"downloads_url":          api + "/downloads",
		"events_url":             api + "/events",
		"forks_url":              api + "/forks",
		"git_commits_url":        api + "/git/commits{/sha}",
		"git_refs_url":           api + "/git/refs{/sha}",
		"git_tags_url":           api + "/git/tags{/sha}",
		"hooks_url":              api + "/hooks",
		"issue_comment_url":      api + "/issues/comments{/number}",
		"issue_events_url":       api + "/issues/events{/number}",
		"issues_url":             api + "/issues{/number}",
		"keys_url":               api + "/keys{/key_id}",
		"labels_url":             api + "/labels{/name}",
		"languages_url":          api + "/languages",
		"merges_url":             api + "/merges",
		"milestones_url":         api + "/milestones{/number}",
		"notifications_url":      api + "/notifications{?since,all,participating}",
		"pulls_url":              api + "/pulls{/number}",
		"releases_url":           api + "/releases{/id}",
		"stargazers_url":         api + "/stargazers",
		"statuses_url":           api + "/statuses/{sha}",
		"subscribers_url":        api + "/subscribers",
		"subscription_url":       api + "/subscription",
		"tags_url":               api + "/tags",
		"teams_url":              api + "/teams",
		"trees_url":              api + "/git/trees{/sha}",
		"clone_url":              html + ".git",
		"git_url":                html + ".git",
		"ssh_url":                "git@" + c.r.Host + ":" + rr.Full() + ".git",
		"svn_url":                html,
		"mirror_url":             nil,
		"homepage":               nil,
		"language":               nil,
		"license":                nil,
		"size":                   0,
		"forks":                  forks,
		"forks_count":            forks,
		"stargazers_count":       0,
		"watchers":               0,
		"watchers_count":         0,
		"open_issues":            open,
		"open_issues_count":      open,
		"default_branch":         headBranch(rr.Dir),
		"archived":               false,
		"disabled":               false,
		"is_template":            false,
		"has_issues":             true,
		"has_projects":           false,
		"has_wiki":               false,
		"has_pages":              false,
		"has_downloads":          true,
		"has_discussions":        false,
		"created_at":             ts(created),
		"updated_at":             ts(pushed),
		"pushed_at":              ts(pushed),
		"allow_merge_commit":     true,
		"allow_squash_merge":     true,
		"allow_rebase_merge":     true,
		"allow_forking":          true,
		"delete_branch_on_merge": false,
		"permissions":            permissionsJSON(c.acc.permission(rr.Owner, rr.Name, c.user)),
	}
	if full {
		m["network_count"] = c.s.forkCount(c.s.source(rr))
		m["subscribers_count"] = 0
		if isFork {
			m["parent"] = c.repoJSON(parent, false)
			m["source"] = c.repoJSON(c.s.source(rr), false)
		}
	}
	return m
}

// forkCount counts rr's direct forks.
func (s *Server) forkCount(rr repoRef) int {
	n := 0
	for _, o := range s.owners() {
		for _, cand := range s.listRepos(o) {
			if par, ok := s.parent(cand); ok && par.Full() == rr.Full() {
				n++
			}
		}
	}
	return n
}

// openIssueCount counts rr's open issues and pull requests, as GitHub's
// open_issues_count does.
func (s *Server) openIssueCount(rr repoRef) int {
	n := 0
	s.read(func(st *state) {
		for _, is := range st.peekRepo(rr.Full()).Issues {
			if is.State == "open" {
				n++
			}
		}
	})
	return n
}

// writePage answers a list endpoint: the page of items the query asks for
// (with GitHub's Link header), each rendered as JSON.
func writePage[T any](c *reqCtx, items []T, render func(T) any) {
	lo, hi := c.page(len(items))
	out := []any{}
	for _, it := range items[lo:hi] {
		out = append(out, render(it))
	}
	c.writeJSON(http.StatusOK, out)
}
