package server

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"time"
)

// Exchange is one API request and the answer it got, as recorded for
// checking against GitHub's published API descriptions (test/ghapi reads
// the same JSON). The Authorization header is never recorded.
type Exchange struct {
	Time           time.Time         `json:"time"`
	Method         string            `json:"method"`
	Path           string            `json:"path"`  // escaped, as sent
	Query          string            `json:"query"` // raw query string
	RequestHeader  map[string]string `json:"requestHeader,omitempty"`
	RequestBody    string            `json:"requestBody"`
	Status         int               `json:"status"`
	ResponseHeader map[string]string `json:"responseHeader,omitempty"`
	ResponseBody   string            `json:"responseBody"`
}

// recordedRequestHeaders and recordedResponseHeaders are the headers an
// exchange keeps: what decides how a request is read and an answer is
// judged, and nothing secret.
var (
	recordedRequestHeaders  = []string{"Accept", "Content-Type"}
	recordedResponseHeaders = []string{"Content-Type", "Location", "Retry-After", "Link"}
)

// recorder writes exchanges as JSON lines, one Write per line so that a
// killed process leaves whole lines behind.
type recorder struct {
	mu sync.Mutex
	w  io.Writer
}

func (rec *recorder) write(ex Exchange) {
	b, err := json.Marshal(ex)
	if err != nil {
		return
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	_, _ = rec.w.Write(append(b, '\n'))
}

// recording is one exchange being recorded: the request body read ahead
// (and put back for the handler) and the answer's bytes as written.
type recording struct {
	ex   Exchange
	body bytes.Buffer
}

// startRecording reads r's body ahead and returns the recording, or nil when
// the server does not record.
func (s *Server) startRecording(r *http.Request) *recording {
	if s.rec == nil {
		return nil
	}
	b, _ := bufferBody(r)
	rc := &recording{ex: Exchange{
		Time: time.Now().UTC(), Method: r.Method, Path: r.URL.EscapedPath(), Query: r.URL.RawQuery,
		RequestHeader: pickHeaders(r.Header, recordedRequestHeaders), RequestBody: string(b),
	}}
	return rc
}

// finish records the answer; an unanswered request (the client went away
// during a fault's delay) is not an exchange and is left out.
func (s *Server) finishRecording(rc *recording, sw *statusWriter) {
	if rc == nil || sw.status == 0 {
		return
	}
	rc.ex.Status = sw.status
	rc.ex.ResponseHeader = pickHeaders(sw.Header(), recordedResponseHeaders)
	rc.ex.ResponseBody = rc.body.String()
	s.rec.write(rc.ex)
}

func pickHeaders(h http.Header, names []string) map[string]string {
	out := map[string]string{}
	for _, n := range names {
		if v := h.Get(n); v != "" {
			out[n] = v
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
