package hook

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"time"
)

// Leadership says which replica reconciles (pkg/leader). A standby hands
// what it receives to the leader, so hook's deliveries are never refused
// and never acted on twice during a failover.
type Leadership interface {
	Leading() bool
	LeaderURL() string // "" when this replica leads or no leader is known
	Identity() string
}

// forwardedHeader marks a webhook a standby handed on: it is never handed
// on again, so two replicas that each think the other leads cannot loop.
const forwardedHeader = "X-Promoter-Forwarded-By"

// forwardTimeout bounds handing a webhook to the leader, inside GitHub's
// 10 s delivery timeout.
const forwardTimeout = 5 * time.Second

var forwardClient = &http.Client{Timeout: forwardTimeout}

// forward hands a validated webhook, as received (body and signatures), to
// the leader. It reports whether the leader took it; if not, the caller
// keeps it, to act on should this replica lead.
func (s *Server) forward(r *http.Request, body []byte) bool {
	if s.Leader == nil || s.Leader.Leading() || r.Header.Get(forwardedHeader) != "" {
		return false
	}
	target := s.Leader.LeaderURL()
	if target == "" {
		return false
	}
	ctx, cancel := context.WithTimeout(r.Context(), forwardTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target+"/", bytes.NewReader(body))
	if err != nil {
		return false
	}
	for _, h := range []string{"Content-Type", "X-GitHub-Event", "X-GitHub-Delivery", "X-Hub-Signature-256", "X-Hub-Signature"} {
		if v := r.Header.Get(h); v != "" {
			req.Header.Set(h, v)
		}
	}
	req.Header.Set(forwardedHeader, s.Leader.Identity())
	resp, err := forwardClient.Do(req)
	if err != nil {
		s.log.WithError(err).WithField("leader", target).Warn("Cannot hand the webhook to the leader; keeping it here.")
		return false
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// FromLeader serves h from the leader when this replica stands by (its own
// state is empty), and from here when it leads or the leader cannot be
// reached.
func FromLeader(h http.Handler, l Leadership) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		target := ""
		if l != nil && !l.Leading() {
			target = l.LeaderURL()
		}
		u, err := url.Parse(target)
		if target == "" || err != nil {
			h.ServeHTTP(w, r)
			return
		}
		proxy := httputil.NewSingleHostReverseProxy(u)
		proxy.ErrorHandler = func(w http.ResponseWriter, r *http.Request, _ error) { h.ServeHTTP(w, r) }
		proxy.ServeHTTP(w, r)
	})
}
