package harness

import (
	"errors"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// FaultProxy stands in front of a registry and misbehaves on demand: it
// answers an error status for the next n requests, or stops listening so
// connections are refused, as a registry that is down. Otherwise it passes
// requests through unchanged.
type FaultProxy struct {
	// Host is "127.0.0.1:PORT"; it stays the same across Down and Up.
	Host string

	mu         sync.Mutex
	proxy      *httputil.ReverseProxy
	srv        *http.Server
	status     int
	retryAfter int
	left       int    // requests still to fail
	hang       string // requests whose path contains it wait hangFor
	hangFor    time.Duration
	requests   int
	failed     int
}

// StartFaultProxy proxies to the registry at target ("127.0.0.1:PORT").
func StartFaultProxy(target string) (*FaultProxy, error) {
	u, err := url.Parse("http://" + target)
	if err != nil {
		return nil, err
	}
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	p := &FaultProxy{Host: "127.0.0.1:" + strconv.Itoa(port), proxy: httputil.NewSingleHostReverseProxy(u)}
	return p, p.Up()
}

// Fail answers status to the next n requests, with Retry-After when
// retryAfter > 0 (a registry's 429 carries one).
func (p *FaultProxy) Fail(status, n, retryAfter int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.status, p.left, p.retryAfter = status, n, retryAfter
}

// Hang makes requests whose path contains substr wait d (or until the
// client gives up) before they are passed on; "" ends it.
func (p *FaultProxy) Hang(substr string, d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.hang, p.hangFor = substr, d
}

// Counts returns how many requests arrived and how many were failed.
func (p *FaultProxy) Counts() (requests, failed int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.requests, p.failed
}

// Down stops listening: new connections are refused until Up.
func (p *FaultProxy) Down() error {
	p.mu.Lock()
	srv := p.srv
	p.srv = nil
	p.mu.Unlock()
	if srv == nil {
		return nil
	}
	return srv.Close()
}

// Up listens on Host again.
func (p *FaultProxy) Up() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.srv != nil {
		return nil
	}
	ln, err := net.Listen("tcp", p.Host)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: http.HandlerFunc(p.serve)}
	p.srv = srv
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			panic(err)
		}
	}()
	return nil
}

// Close stops the proxy.
func (p *FaultProxy) Close() { p.Down() }

func (p *FaultProxy) serve(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.requests++
	status, retryAfter := 0, 0
	if p.left > 0 {
		p.left--
		p.failed++
		status, retryAfter = p.status, p.retryAfter
	}
	var hang time.Duration
	if p.hang != "" && strings.Contains(r.URL.Path, p.hang) {
		hang = p.hangFor
	}
	p.mu.Unlock()
	if hang > 0 {
		select {
		case <-time.After(hang):
		case <-r.Context().Done():
			return
		}
	}
	if status == 0 {
		p.proxy.ServeHTTP(w, r)
		return
	}
	// The OCI distribution spec's error shape.
	w.Header().Set("Content-Type", "application/json")
	if retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
	}
	w.WriteHeader(status)
	code := "UNAVAILABLE"
	if status == http.StatusTooManyRequests {
		code = "TOOMANYREQUESTS"
	}
	w.Write([]byte(`{"errors":[{"code":"` + code + `","message":"injected by the e2e fault proxy"}]}`))
}
