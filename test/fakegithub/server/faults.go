package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Fault is one fault-injection rule: API requests it matches are delayed
// and/or answered with an error instead of being served, so tests can make
// GitHub misbehave and then heal.
//
// A request matches when every non-empty matcher does: Method exactly, Path
// as a substring of the request URI (path and query), Body as a substring of
// the request body. The first matching rule (lowest ID) that still has Times
// left applies. It waits DelayMs (ending early when the client goes away),
// then answers Status with a GitHub-style error body, or, for Status 0,
// serves the request normally.
type Fault struct {
	// ID is assigned by the server (1, 2, ...).
	ID int `json:"id"`
	// Method is an exact HTTP method to match ("" any).
	Method string `json:"method"`
	// Path must occur in r.URL.RequestURI() ("" any).
	Path string `json:"path"`
	// Body must occur in the request body ("" any), e.g.
	// "createCommitOnBranch" for that GraphQL mutation.
	Body string `json:"body"`
	// Status answers the request with this status (400-599) instead of
	// serving it; 0 serves it normally after the delay.
	Status int `json:"status"`
	// Message is the error body's message; "" picks GitHub's for Status.
	Message string `json:"message"`
	// RetryAfter sets the Retry-After header (seconds) on the error answer.
	RetryAfter int `json:"retryAfter"`
	// DelayMs waits this long before answering or serving.
	DelayMs int `json:"delayMs"`
	// Times is how many matching requests the rule applies to; 0 is until
	// removed. A used-up rule stays listed but no longer matches.
	Times int `json:"times"`
	// Hits is how many requests the rule applied to so far (set by the
	// server).
	Hits int `json:"hits"`
}

// validate reports what is wrong with f's settable fields, "" when nothing.
func (f Fault) validate() (field, msg string) {
	switch {
	case f.Status != 0 && (f.Status < 400 || f.Status > 599):
		return "status", "status must be 0 (serve normally) or 400-599"
	case f.RetryAfter < 0:
		return "retryAfter", "retryAfter must not be negative"
	case f.DelayMs < 0:
		return "delayMs", "delayMs must not be negative"
	case f.Times < 0:
		return "times", "times must not be negative (0 is until removed)"
	}
	return "", ""
}

// AddFault adds a rule (its ID and Hits are ignored) and returns it with the
// ID assigned. It panics on a rule POST /_fakegithub/faults would refuse
// with 422 (a status outside 0 and 400-599, a negative number).
func (s *Server) AddFault(f Fault) Fault {
	if field, msg := f.validate(); field != "" {
		panic("server.AddFault: " + msg)
	}
	s.faultsMu.Lock()
	defer s.faultsMu.Unlock()
	s.faultSeq++
	f.ID, f.Hits = s.faultSeq, 0
	s.faults = append(s.faults, &f)
	return f
}

// Faults returns the rules in ID order, with their hits.
func (s *Server) Faults() []Fault {
	s.faultsMu.Lock()
	defer s.faultsMu.Unlock()
	out := make([]Fault, 0, len(s.faults))
	for _, f := range s.faults {
		out = append(out, *f)
	}
	return out
}

// ClearFaults removes every rule. IDs keep counting up.
func (s *Server) ClearFaults() {
	s.faultsMu.Lock()
	defer s.faultsMu.Unlock()
	s.faults = nil
}

// RemoveFault removes one rule and reports whether it existed.
func (s *Server) RemoveFault(id int) bool {
	s.faultsMu.Lock()
	defer s.faultsMu.Unlock()
	for i, f := range s.faults {
		if f.ID == id {
			s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
			return true
		}
	}
	return false
}

// faultsNeedBody reports whether any live rule matches on the body; ok is
// false when there are no live rules at all.
func (s *Server) faultsNeedBody() (ok, body bool) {
	s.faultsMu.Lock()
	defer s.faultsMu.Unlock()
	for _, f := range s.faults {
		if f.Times != 0 && f.Hits >= f.Times {
			continue
		}
		ok = true
		if f.Body != "" {
			return true, true
		}
	}
	return ok, false
}

// takeFault finds the first live rule matching r (body is nil when it was
// not read, so body rules do not match), counts the hit and returns a copy.
func (s *Server) takeFault(r *http.Request, body []byte) (Fault, bool) {
	uri := r.URL.RequestURI()
	s.faultsMu.Lock()
	defer s.faultsMu.Unlock()
	for _, f := range s.faults {
		if f.Times != 0 && f.Hits >= f.Times {
			continue
		}
		if f.Method != "" && f.Method != r.Method {
			continue
		}
		if f.Path != "" && !strings.Contains(uri, f.Path) {
			continue
		}
		if f.Body != "" && (body == nil || !bytes.Contains(body, []byte(f.Body))) {
			continue
		}
		f.Hits++
		return *f, true
	}
	return Fault{}, false
}

// bufferBody reads the request body and puts it back so the handler can
// read it again. Reading it to the end also lets net/http notice a client
// that goes away (it only watches the connection once the body is read).
func bufferBody(r *http.Request) ([]byte, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return []byte{}, nil
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, 200<<20))
	r.Body.Close()
	r.Body = io.NopCloser(bytes.NewReader(b))
	if b == nil {
		b = []byte{}
	}
	return b, err
}

// applyFault runs the fault rules for an API request whose usual headers
// are set. It reports whether the request was handled (answered with a
// fault, or given up because the client went away during the delay);
// false means serve it normally.
func (c *reqCtx) applyFault() bool {
	s, r := c.s, c.r
	live, needBody := s.faultsNeedBody()
	if !live {
		return false
	}
	var body []byte
	if needBody {
		b, err := bufferBody(r)
		if err != nil {
			c.fail(http.StatusBadRequest, "Problems reading the request body")
			return true
		}
		body = b
	}
	f, ok := s.takeFault(r, body)
	if !ok {
		return false
	}
	if body == nil && (f.DelayMs > 0 || (f.Status != 0 && c.key == "POST /graphql")) {
		// For the delay: see bufferBody. For GraphQL: the count key.
		body, _ = bufferBody(r)
	}
	if f.DelayMs > 0 {
		t := time.NewTimer(time.Duration(f.DelayMs) * time.Millisecond)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			if c.key == "POST /graphql" {
				c.key = graphqlKey(body)
			}
			if s.logf != nil {
				s.logf("fault %d: %s %s -> client gone during the %dms delay", f.ID, r.Method, r.URL.RequestURI(), f.DelayMs)
			}
			return true
		}
	}
	if f.Status == 0 {
		if s.logf != nil {
			s.logf("fault %d: %s %s -> delayed %dms, served normally", f.ID, r.Method, r.URL.RequestURI(), f.DelayMs)
		}
		return false
	}
	if c.key == "POST /graphql" {
		c.key = graphqlKey(body)
	}
	if s.logf != nil {
		s.logf("fault %d: %s %s -> %d", f.ID, r.Method, r.URL.RequestURI(), f.Status)
	}
	if f.RetryAfter > 0 {
		c.w.Header().Set("Retry-After", strconv.Itoa(f.RetryAfter))
	}
	msg, doc := f.Message, docsURL
	if f.Status == http.StatusForbidden && f.RetryAfter > 0 {
		doc = secondaryRateLimitDocs
		if msg == "" {
			msg = c.secondaryRateLimitMessage()
		}
	}
	if msg == "" {
		msg = faultMessage(f.Status)
	}
	c.writeJSON(f.Status, map[string]any{"message": msg, "documentation_url": doc, "status": strconv.Itoa(f.Status)})
	return true
}

const (
	secondaryRateLimitMessage = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID "
	secondaryRateLimitDocs    = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"
)

// faultMessage is GitHub's message for an error status.
func faultMessage(status int) string {
	switch status {
	case http.StatusInternalServerError:
		return "Server Error"
	case http.StatusUnprocessableEntity:
		return "Validation Failed"
	case http.StatusUnauthorized:
		return "Bad credentials"
	}
	if t := http.StatusText(status); t != "" {
		return t
	}
	return "Error " + strconv.Itoa(status)
}

// ---------------------------------------------------------------- admin

// adminListFaults is GET /_fakegithub/faults.
func (s *Server) adminListFaults(c *reqCtx) {
	c.writeJSON(http.StatusOK, s.Faults())
}

// adminAddFault is POST /_fakegithub/faults: one rule, strictly decoded.
func (s *Server) adminAddFault(c *reqCtx) {
	var f Fault
	dec := json.NewDecoder(io.LimitReader(c.r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		c.fail(http.StatusBadRequest, "Problems parsing JSON: "+err.Error())
		return
	}
	if dec.More() {
		c.fail(http.StatusBadRequest, "Problems parsing JSON: more than one value")
		return
	}
	if field, msg := f.validate(); field != "" {
		c.validation(fieldError{"resource": "Fault", "code": "invalid", "field": field, "message": msg})
		return
	}
	c.writeJSON(http.StatusCreated, s.AddFault(f))
}

// adminClearFaults is DELETE /_fakegithub/faults.
func (s *Server) adminClearFaults(c *reqCtx) {
	s.ClearFaults()
	c.noContent()
}

// adminRemoveFault is DELETE /_fakegithub/faults/{id}.
func (s *Server) adminRemoveFault(c *reqCtx) {
	id, err := strconv.Atoi(c.p["id"])
	if err != nil || !s.RemoveFault(id) {
		c.fail(http.StatusNotFound, fmt.Sprintf("fakegithub: no fault %q", c.p["id"]))
		return
	}
	c.noContent()
}
