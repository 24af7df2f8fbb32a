package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	prowapi "sigs.k8s.io/prow/pkg/apis/prowjobs/v1"

	"sigs.k8s.io/promoter/pkg/promoter"
	"sigs.k8s.io/promoter/test/fakegithub/server"
	"sigs.k8s.io/promoter/test/harness"
)

// Two replicas with --leader-elect against a real API server, as
// deploy/ runs them: one Lease, one writer; webhooks go to either.

// leaderConfig resyncs hourly: a new leader must rebuild its work at once,
// not at the next periodic resync.
const leaderConfig = `
manifestRepo: kubernetes/k8s.io
jobTimeout: 5m
jobWindow: 1m
resyncPeriod: 1h
projects:
- name: apisnoop
  repo: kubernetes-sigs/apisnoop
  gitTags: '^v\d+\.\d+\.\d+$'
  images:
  - name: snoopdb
    job: apisnoop-push-snoopdb-images
  requireMultiArch: true
`

type leaderEnv struct {
	*env
	kube     *harness.Kube
	replicas []*harness.Replica
}

func newLeaderEnv(t *testing.T, k *harness.Kube) *leaderEnv {
	t.Helper()
	return &leaderEnv{env: newEnvConfig(t, leaderConfig), kube: k}
}

// replica starts one more promoter taking part in the election.
func (e *leaderEnv) replica(name string) *harness.Replica {
	e.t.Helper()
	ctx, cancel := harness.Deadline(wait)
	defer cancel()
	r, err := e.s.StartReplica(ctx, name, "--kubeconfig", e.kube.Kubeconfig(), "--prowjob-namespace", e.kube.Namespace(),
		"--leader-elect", "--leader-elect-namespace", e.kube.Namespace())
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() {
		r.P.Stop()
		if e.t.Failed() {
			e.t.Logf("%s output:\n%s", name, r.P.Output())
		}
	})
	e.replicas = append(e.replicas, r)
	return r
}

// leader waits until exactly one of rs leads and returns it and the others.
func (e *leaderEnv) leader(rs ...*harness.Replica) (*harness.Replica, []*harness.Replica) {
	e.t.Helper()
	var lead *harness.Replica
	var others []*harness.Replica
	ctx, cancel := harness.Deadline(wait)
	defer cancel()
	if err := harness.WaitFor(ctx, nil, "one leader", func() bool {
		lead, others = nil, nil
		n := 0
		for _, r := range rs {
			if r.Leading() {
				lead, n = r, n+1
			} else {
				others = append(others, r)
			}
		}
		return n == 1
	}); err != nil {
		e.t.Fatal(err)
	}
	return lead, others
}

// promotion reads a tag's promotion from a replica's /promotions (a
// standby serves the leader's).
func promotionAt(r *harness.Replica, tag string) (promoter.Status, bool) {
	return harness.Promotion(r.Promoter, "apisnoop", tag)
}

func TestLeaderElection(t *testing.T) {
	k := harness.StartKube(t).InNamespace(t, "leader")
	e := newLeaderEnv(t, k)
	a, b := e.replica("promoter-a"), e.replica("promoter-b")
	lead, others := e.leader(a, b)
	standby := others[0]
	if _, words := standby.Ready(); !strings.Contains(words, "standing by") {
		t.Errorf("the standby's readiness says %q", words)
	}

	// The push reaches the standby, which hands it to the leader; the
	// image job is still running.
	e.pushIndex("snoopdb", "v20261124-v0.3.0")
	commit, err := server.Commit(e.s.Root, "kubernetes-sigs", "apisnoop", "main", map[string][]byte{"VERSION": []byte("0.3.0\n")}, "Release v0.3.0")
	if err != nil {
		t.Fatal(err)
	}
	after, err := server.Tag(e.s.Root, "kubernetes-sigs", "apisnoop", "v0.3.0", commit, false)
	if err != nil {
		t.Fatal(err)
	}
	run, err := k.CreateProwJob(harness.TriggeredPostsubmit(job, "kubernetes-sigs", "apisnoop", "v0.3.0", after, "GUID"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.SetState(run.Name, prowapi.PendingState); err != nil {
		t.Fatal(err)
	}
	if code, err := harness.Send(standby.Promoter, "push", harness.TagPushEvent(source, "v0.3.0", after, commit), secret); err != nil || code != 200 {
		t.Fatalf("push to the standby: %d %v", code, err)
	}
	ctx, cancel := harness.Deadline(wait)
	defer cancel()
	if err := harness.WaitFor(ctx, lead.P, "the leader to wait for the job", func() bool {
		st, _ := promotionAt(standby, "v0.3.0") // served from the leader
		return st.Stage == promoter.StageWaitingForJob
	}); err != nil {
		t.Fatal(err)
	}

	// The leader's node dies: no graceful stop, the Lease is not released.
	// The job succeeds meanwhile; the standby takes over once the Lease
	// expires and rebuilds its work from ProwJobs and PRs at once.
	lead.P.Kill()
	killed := time.Now()
	if _, err := k.SetState(run.Name, prowapi.SuccessState); err != nil {
		t.Fatal(err)
	}
	var st promoter.Status
	if err := harness.WaitFor(ctx, standby.P, "the new leader's PR", func() bool {
		st, _ = promotionAt(standby, "v0.3.0")
		return st.Stage == promoter.StagePROpen || st.Stage == promoter.StageFailed
	}); err != nil {
		t.Fatal(err)
	}
	t.Logf("SIGKILL of the leader to the PR opened by the new leader: %v (the Lease lasts 15s)", time.Since(killed))
	if st.Stage != promoter.StagePROpen || !standby.Leading() {
		t.Fatalf("status %+v, the standby leads: %v", st, standby.Leading())
	}
	if n := len(e.prFor("v0.3.0")); n != 1 {
		t.Fatalf("%d PRs; want exactly one", n)
	}

	// A graceful stop releases the Lease: a standby leads within seconds.
	c := e.replica("promoter-c")
	lead, others = e.leader(standby, c)
	stopped := time.Now()
	lead.P.Stop()
	next := others[0]
	tctx, tcancel := context.WithTimeout(context.Background(), wait)
	defer tcancel()
	if err := harness.WaitFor(tctx, next.P, "the standby to lead", next.Leading); err != nil {
		t.Fatal(err)
	}
	took := time.Since(stopped)
	t.Logf("graceful stop of the leader to the standby leading: %v", took)
	if n := len(e.prFor("v0.3.0")); n != 1 {
		t.Fatalf("%d PRs after the second failover; want one", n)
	}
}
