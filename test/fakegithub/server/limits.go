package server

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// contentLimiter is GitHub's secondary rate limit on content-creating
// requests (GitHub: at most 80 a minute and 500 an hour per user): at most
// limit such requests per user in any window; more answer 403 with
// Retry-After until the oldest leaves the window.
type contentLimiter struct {
	limit  int
	window time.Duration

	mu   sync.Mutex
	seen map[string][]time.Time // per user, oldest first, within the window
}

// take records one request by user at now, or returns how long until one
// is allowed.
func (l *contentLimiter) take(user string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	times := l.seen[user]
	for len(times) > 0 && now.Sub(times[0]) >= l.window {
		times = times[1:]
	}
	if len(times) >= l.limit {
		l.seen[user] = times
		return times[0].Add(l.window).Sub(now)
	}
	l.seen[user] = append(times, now)
	return 0
}

// contentCreating reports whether a request creates content as GitHub's
// secondary limits count it: a REST write, or a GraphQL mutation.
func (c *reqCtx) contentCreating(rt *route) bool {
	if rt.key == "POST /graphql" {
		body, _ := bufferBody(c.r)
		k := graphqlKey(body)
		return !strings.HasPrefix(k, "graphql query") && !strings.HasPrefix(k, "graphql (")
	}
	switch c.r.Method {
	case http.MethodPost, http.MethodPatch, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}

// overContentLimit answers a content-creating request over the limit with
// GitHub's secondary rate limit error and reports true.
func (c *reqCtx) overContentLimit(rt *route) bool {
	l := c.s.content
	if l == nil || c.user == "" || !c.contentCreating(rt) {
		return false
	}
	wait := l.take(strings.ToLower(c.user), time.Now())
	if wait <= 0 {
		return false
	}
	secs := int((wait + time.Second - 1) / time.Second)
	c.w.Header().Set("Retry-After", strconv.Itoa(secs))
	if c.s.logf != nil {
		c.s.logf("secondary rate limit: %s %s by %s -> 403, Retry-After %d", c.r.Method, c.r.URL.RequestURI(), c.user, secs)
	}
	c.writeJSON(http.StatusForbidden, map[string]any{"message": c.secondaryRateLimitMessage(),
		"documentation_url": secondaryRateLimitDocs, "status": "403"})
	return true
}

// secondaryRateLimitMessage is GitHub's words, with this request's id.
func (c *reqCtx) secondaryRateLimitMessage() string {
	var id string
	//lint:ignore SA1008 set non-canonical, as GitHub spells it
	if v := c.w.Header()["X-GitHub-Request-Id"]; len(v) > 0 {
		id = v[0]
	}
	return secondaryRateLimitMessage + id + "."
}
