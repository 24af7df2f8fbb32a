package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	prowapi "sigs.k8s.io/prow/pkg/apis/prowjobs/v1"

	"sigs.k8s.io/promoter/pkg/promoter"
	"sigs.k8s.io/promoter/test/harness"
)

// These run the binary's in-cluster path (--kubeconfig: a ProwJob
// informer) against a real kube-apiserver with Prow's ProwJob CRD. The
// ProwJobs are made by Prow's own code as trigger makes them for a push,
// and moved through their states as plank moves them.

// TestInformer runs its cases on one server, each in a namespace of its
// own with a promoter of its own: a server takes seconds to start.
func TestInformer(t *testing.T) {
	k := harness.StartKube(t)
	for _, c := range []struct {
		name string
		test func(*testing.T, *harness.Kube)
	}{
		{"PathLatency", testPathLatency},
		{"FailureAbortRerun", testFailureAbortRerun},
		{"RestartWhileWaiting", testRestartWhileWaiting},
		{"LostEventResyncPromotes", testLostEventResyncPromotes},
		{"UpdateBetweenListAndWatch", testUpdateBetweenListAndWatch},
		{"ForbiddenListExits", testForbiddenListExits},
	} {
		t.Run(c.name, func(t *testing.T) { c.test(t, k.InNamespace(t, strings.ToLower(c.name))) })
	}
}

type kubeEnv struct {
	*jobsEnv
	kube *harness.Kube
}

// newKubeEnv runs promoter against k (ProwJobs in k's namespace) through
// kubeconfig.
func newKubeEnv(t *testing.T, k *harness.Kube, kubeconfig string) *kubeEnv {
	t.Helper()
	e := newEnvConfig(t, jobsConfig, "--kubeconfig", kubeconfig, "--prowjob-namespace", k.Namespace())
	return &kubeEnv{jobsEnv: &jobsEnv{env: e}, kube: k}
}

// trigger creates a run of the image job for tag, started at start, as
// trigger does for a push, and returns its name.
func (e *kubeEnv) trigger(tag, sha string, start time.Time) string {
	e.t.Helper()
	pj := harness.TriggeredPostsubmit(job, "kubernetes-sigs", "apisnoop", tag, sha, "GUID")
	// Reruns in one test start seconds apart, as they do in Prow: the
	// newest run decides, and start times are kept to the second.
	pj.Status.StartTime = metav1.NewTime(start)
	created, err := e.kube.CreateProwJob(pj)
	if err != nil {
		e.t.Fatal(err)
	}
	return created.Name
}

// set moves a run to state and returns its URL.
func (e *kubeEnv) set(name string, state prowapi.ProwJobState) string {
	e.t.Helper()
	pj, err := e.kube.SetState(name, state)
	if err != nil {
		e.t.Fatal(err)
	}
	return pj.Status.URL
}

// waitingOnPendingJob starts promoter on the real server and pushes
// v0.3.0 while its image job runs: it returns once promoter waits on that
// run, with the run's name and URL.
func waitingOnPendingJob(t *testing.T, k *harness.Kube) (e *kubeEnv, run, url string) {
	t.Helper()
	e = newKubeEnv(t, k, k.Kubeconfig())
	e.pushIndex("snoopdb", "v20261124-v0.3.0")
	after := e.tag("v0.3.0", false)
	run = e.trigger("v0.3.0", after, time.Now())
	url = e.set(run, prowapi.PendingState)
	e.start()
	if code := e.webhook("v0.3.0", after, secret); code != 200 {
		t.Fatalf("webhook answered %d", code)
	}
	e.awaitWaitingOn("v0.3.0", url)
	return e, run, url
}

// testPathLatency measures the time from the job's success to the
// PR, through the informer's watch.
func testPathLatency(t *testing.T, k *harness.Kube) {
	e, run, url := waitingOnPendingJob(t, k)

	start := time.Now()
	e.set(run, prowapi.SuccessState)
	st := e.awaitStage("v0.3.0", promoter.StagePROpen, promoter.StageFailed)
	latency := time.Since(start)
	if st.Stage != promoter.StagePROpen {
		t.Fatalf("promotion failed: %s", st.Error)
	}
	t.Logf("informer path, job success to PR open (binary, seen through /promotions): %v", latency)
	prs := e.prFor("v0.3.0")
	if len(prs) != 1 {
		t.Fatalf("want one PR, got %d", len(prs))
	}
	if !strings.Contains(prs[0].Body, "[apisnoop-push-snoopdb-images]("+url+")") {
		t.Errorf("the PR body should link the run %s:\n%s", url, prs[0].Body)
	}
}

// testFailureAbortRerun: a failed run stops the promotion, an
// aborted rerun too, and the next rerun's success alone (no new push)
// promotes.
func testFailureAbortRerun(t *testing.T, k *harness.Kube) {
	e := newKubeEnv(t, k, k.Kubeconfig())
	e.pushIndex("snoopdb", "v20261124-v0.3.0")
	after := e.tag("v0.3.0", false)
	start := time.Now()
	e.start()
	if code := e.webhook("v0.3.0", after, secret); code != 200 {
		t.Fatalf("webhook answered %d", code)
	}

	for i, final := range []prowapi.ProwJobState{prowapi.FailureState, prowapi.AbortedState} {
		run := e.trigger("v0.3.0", after, start.Add(time.Duration(i)*time.Minute))
		url := e.set(run, prowapi.PendingState)
		e.awaitWaitingOn("v0.3.0", url)
		e.set(run, final)
		st := e.awaitStage("v0.3.0", promoter.StageFailed, promoter.StagePROpen)
		if st.Stage != promoter.StageFailed || !strings.Contains(st.Error, "ended in "+string(final)) || !strings.Contains(st.Error, url) {
			t.Fatalf("%s: want a failure naming the run %s, got %s: %s", final, url, st.Stage, st.Error)
		}
		if s := e.awaitCommitStatus("v0.3.0", "failure", url); !strings.Contains(s.Description, "ended in "+string(final)) {
			t.Errorf("%s: failure status: %+v", final, s)
		}
		if n := len(e.openPRs()); n != 0 {
			t.Fatalf("%s: a run that did not succeed opened %d PRs", final, n)
		}
	}

	run := e.trigger("v0.3.0", after, start.Add(2*time.Minute))
	e.set(run, prowapi.PendingState)
	url := e.set(run, prowapi.SuccessState)
	if st := e.awaitStage("v0.3.0", promoter.StagePROpen); len(st.Jobs) != 1 || st.Jobs[0] != url {
		t.Errorf("the newest run decides: jobs %v, want [%s]", st.Jobs, url)
	}
	if n := len(e.prFor("v0.3.0")); n != 1 {
		t.Fatalf("want one PR after the rerun, got %d", n)
	}
}

// testRestartWhileWaiting: the job finishes while promoter is down;
// the restarted informer's first list finds it.
func testRestartWhileWaiting(t *testing.T, k *harness.Kube) {
	e, run, _ := waitingOnPendingJob(t, k)
	e.s.P.Stop()

	// No webhook comes again.
	e.set(run, prowapi.SuccessState)
	e.start()
	if st := e.awaitStage("v0.3.0", promoter.StagePROpen, promoter.StageFailed); st.Stage != promoter.StagePROpen {
		t.Fatalf("promotion failed: %s", st.Error)
	}
	// A second restart finds the PR open and makes no other.
	e.s.P.Stop()
	e.start()
	ctx, cancel := harness.Deadline(wait)
	defer cancel()
	if err := harness.WaitFor(ctx, e.s.P, "the resync to see the open PR", func() bool {
		st, ok := harness.Promotion(e.s.Promoter, "apisnoop", "v0.3.0")
		return ok && st.Stage == promoter.StagePROpen
	}); err != nil {
		t.Fatal(err)
	}
	if prs, _ := harness.PRs(e.s.GitHub, "kubernetes/k8s.io", "all"); len(prs) != 1 {
		t.Errorf("want exactly one PR ever, got %d", len(prs))
	}
}

// testLostEventResyncPromotes: GitHub sent no push event (more than
// three tags pushed at once); only the job's run tells promoter about the
// tag, through the informer's watch.
func testLostEventResyncPromotes(t *testing.T, k *harness.Kube) {
	e := newKubeEnv(t, k, k.Kubeconfig())
	e.pushIndex("snoopdb", "v20261124-v0.3.0")
	after := e.tag("v0.3.0", false)
	e.start()
	run := e.trigger("v0.3.0", after, time.Now())
	e.set(run, prowapi.PendingState)
	url := e.set(run, prowapi.SuccessState)
	if st := e.awaitStage("v0.3.0", promoter.StagePROpen, promoter.StageFailed); st.Stage != promoter.StagePROpen {
		t.Fatalf("promotion failed: %s", st.Error)
	} else if len(st.Jobs) != 1 || st.Jobs[0] != url {
		t.Errorf("jobs %v, want [%s]", st.Jobs, url)
	}
	if n := len(e.prFor("v0.3.0")); n != 1 {
		t.Fatalf("want one PR, got %d", n)
	}
}

// testUpdateBetweenListAndWatch: the run succeeds after the
// informer's first list and before its watch starts. A watch that starts
// from the list's resourceVersion delivers the update; one that starts from
// "now" loses it, and promoter waits on a pending run forever (no webhook
// comes, and a resync reads the same stale cache).
func testUpdateBetweenListAndWatch(t *testing.T, k *harness.Kube) {
	gate := k.StartListGate(t, func() {
		// The namespace's one run, created below before promoter starts.
		pjs, err := k.Prow().ProwV1().ProwJobs(k.Namespace()).List(context.Background(), metav1.ListOptions{})
		if err != nil || len(pjs.Items) != 1 || pjs.Items[0].Status.State != prowapi.PendingState {
			t.Errorf("between list and watch: want one pending run: %v", err)
			return
		}
		if _, err := k.SetState(pjs.Items[0].Name, prowapi.SuccessState); err != nil {
			t.Errorf("between list and watch: %v", err)
		}
	})
	e := newKubeEnv(t, k, gate.Kubeconfig)
	e.pushIndex("snoopdb", "v20261124-v0.3.0")
	after := e.tag("v0.3.0", false)
	e.set(e.trigger("v0.3.0", after, time.Now()), prowapi.PendingState)

	e.start()
	ctx, cancel := harness.Deadline(wait)
	defer cancel()
	if err := harness.WaitFor(ctx, e.s.P, "the informer's first list", gate.Fired); err != nil {
		t.Fatal(err)
	}
	if st := e.awaitStage("v0.3.0", promoter.StagePROpen, promoter.StageFailed); st.Stage != promoter.StagePROpen {
		t.Fatalf("promotion failed: %s", st.Error)
	}
	if n := len(e.prFor("v0.3.0")); n != 1 {
		t.Fatalf("want one PR, got %d", n)
	}
}

// testForbiddenListExits: an account RBAC does not let list ProwJobs makes
// promoter exit at once with the API server's reason, instead of running
// blind (and ready) while the informer retries forever.
func testForbiddenListExits(t *testing.T, k *harness.Kube) {
	ctx, cancel := harness.Deadline(wait)
	defer cancel()
	if out, err := k.Kubectl(ctx, "create", "serviceaccount", "nobody", "-n", k.Namespace()); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	token, err := k.Kubectl(ctx, "create", "token", "nobody", "-n", k.Namespace())
	if err != nil {
		t.Fatalf("%v: %s", err, token)
	}
	kubeconfig, err := k.WriteKubeconfig("nobody", strings.TrimSpace(token))
	if err != nil {
		t.Fatal(err)
	}
	e := newKubeEnv(t, k, kubeconfig)
	if err := e.s.LaunchPromoter(); err != nil {
		t.Fatal(err)
	}
	code, exited := e.s.P.ExitCode(wait)
	if !exited || code == 0 {
		t.Fatalf("promoter exited %v with %d; want a non-zero exit", exited, code)
	}
	harness.MustContain(t, "the exit", e.s.P.Output(), "the ProwJob source did not start", "listing ProwJobs was refused",
		`system:serviceaccount:`+k.Namespace()+`:nobody`, "forbidden")
}
