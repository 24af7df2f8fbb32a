package hook

import (
	"net/http/httptest"
	"testing"
)

// staticLeadership is a replica's view of the election, fixed for a test.
type staticLeadership struct {
	leading bool
	url, id string
}

func (l staticLeadership) Leading() bool     { return l.leading }
func (l staticLeadership) LeaderURL() string { return l.url }
func (l staticLeadership) Identity() string  { return l.id }

// A standby hands a valid push to the leader, which acts on it; the standby
// keeps nothing. A bad signature is refused by the standby and never
// reaches the leader.
func TestStandbyHandsWebhooksToTheLeader(t *testing.T) {
	leader, atLeader := newServer(t, "secret")
	leader.Leader = staticLeadership{leading: true, id: "a"}
	ts := httptest.NewServer(leader)
	defer ts.Close()
	standby, atStandby := newServer(t, "secret")
	standby.Leader = staticLeadership{url: ts.URL, id: "b"}

	body := pushBody(t, nil)
	if w := serve(standby, request(body, "push", signed(body, "secret"))); w.Code != 200 || w.Body.String() != "forwarded to the leader" {
		t.Fatalf("standby answered %d %q", w.Code, w.Body)
	}
	if len(atLeader.keys) != 1 || len(atStandby.keys) != 0 {
		t.Fatalf("leader queued %v, standby %v: want the leader alone", atLeader.keys, atStandby.keys)
	}
	if w := serve(standby, request(body, "push", signed(body, "wrong"))); w.Code != 403 {
		t.Fatalf("a bad signature got %d", w.Code)
	}
	if len(atLeader.keys) != 1 {
		t.Errorf("a refused webhook reached the leader: %v", atLeader.keys)
	}
}

// With no leader reachable the standby keeps the webhook, to act on should
// it lead; a webhook another replica handed on is never handed on again, so
// two replicas that each think the other leads cannot loop.
func TestStandbyKeepsWhatItCannotHandOn(t *testing.T) {
	dead := httptest.NewServer(nil)
	dead.Close()
	standby, rec := newServer(t, "secret")
	standby.Leader = staticLeadership{url: dead.URL, id: "b"}
	body := pushBody(t, nil)
	if w := serve(standby, request(body, "push", signed(body, "secret"))); w.Code != 200 || len(rec.keys) != 1 {
		t.Fatalf("answered %d, kept %v", w.Code, rec.keys)
	}

	other, otherRec := newServer(t, "secret")
	other.Leader = staticLeadership{id: "a"} // thinks nobody it can reach leads
	ts := httptest.NewServer(other)
	defer ts.Close()
	standby.Leader = staticLeadership{url: ts.URL, id: "b"}
	h := signed(body, "secret")
	h[forwardedHeader] = "c"
	if w := serve(standby, request(body, "push", h)); w.Code != 200 || len(rec.keys) != 2 || len(otherRec.keys) != 0 {
		t.Errorf("a handed-on webhook was handed on again: answered %d, here %v, there %v", w.Code, rec.keys, otherRec.keys)
	}
}
