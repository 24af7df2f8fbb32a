package leader

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	"k8s.io/client-go/kubernetes/fake"
)

// Two replicas over one Lease (client-go's fake clientset stores it): one
// leads, the other stands by and knows where the leader is; when the
// leader stops gracefully it releases the Lease and the standby leads.
// test/e2e does the same against a real API server, with SIGKILL too.
func TestOneLeadsTheOtherTakesOver(t *testing.T) {
	d, r, p := LeaseDuration, RenewDeadline, RetryPeriod
	t.Cleanup(func() { LeaseDuration, RenewDeadline, RetryPeriod = d, r, p })
	LeaseDuration, RenewDeadline, RetryPeriod = 2*time.Second, time.Second, 100*time.Millisecond
	cs := fake.NewSimpleClientset()
	log := logrus.New()
	log.SetOutput(io.Discard)
	a := New(cs, "prow", "10.0.0.1:8888", logrus.NewEntry(log))
	b := New(cs, "prow", "10.0.0.2:8888", logrus.NewEntry(log))

	actx, stopA := context.WithCancel(t.Context())
	aLeads := make(chan struct{})
	go a.Run(actx, func(ctx context.Context) { close(aLeads); <-ctx.Done() })
	select {
	case <-aLeads:
	case <-time.After(10 * time.Second):
		t.Fatal("nobody leads")
	}

	bLeads := make(chan struct{})
	bDone := make(chan struct{})
	go func() { b.Run(t.Context(), func(ctx context.Context) { close(bLeads); <-ctx.Done() }); close(bDone) }()
	eventually(t, "the standby to see the leader", func() bool { return b.Leader() != "" })
	if b.Leading() || b.LeaderURL() != "http://10.0.0.1:8888" {
		t.Fatalf("standby: leading %v, leader URL %q", b.Leading(), b.LeaderURL())
	}
	if !a.Leading() || a.LeaderURL() != "" {
		t.Fatalf("leader: leading %v, leader URL %q", a.Leading(), a.LeaderURL())
	}

	stopA() // a graceful stop releases the Lease
	select {
	case <-bLeads:
	case <-time.After(10 * time.Second):
		t.Fatal("the standby did not take over")
	}
	eventually(t, "the old leader to stop leading", func() bool { return !a.Leading() })
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
