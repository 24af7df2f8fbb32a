package e2e

import (
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/promoter/pkg/promoter"
	"sigs.k8s.io/promoter/test/fakegithub/server"
	"sigs.k8s.io/promoter/test/harness"
)

// Commit-built releases, as apisnoop's real jobs run: the image jobs have
// branches: [^main$], so a tag push starts no job; the release is the
// main-branch build of the tagged commit, which image-builder tags
// v<date>-<git describe> with the SHA abbreviated to 9 digits in a big repo.

const commitConfig = `
manifestRepo: kubernetes/k8s.io
jobTimeout: 2m
jobWindow: 30s
resyncPeriod: 1s
projects:
- name: apisnoop
  repo: kubernetes-sigs/apisnoop
  gitTags: '^v\d+\.\d+\.\d+$'
  stagingTag: 'v\d{8}-(?:.+-g)?{{.Commit}}'
  images:
  - name: snoopdb
    job: apisnoop-push-snoopdb-images
  reviewers: [hh]
  requireMultiArch: true
`

// commitEnv has a release commit landed on main, and a decoy: a newer
// commit whose build is newer too.
type commitEnv struct {
	*jobsEnv
	release, decoy string // commits on main
}

func newCommitEnv(t *testing.T) *commitEnv {
	t.Helper()
	deck := harness.StartDeck()
	t.Cleanup(deck.Close)
	e := &commitEnv{jobsEnv: &jobsEnv{env: newEnvConfig(t, commitConfig, "--deck-url", deck.URL, "--deck-poll-interval", "100ms"), deck: deck}}
	var err error
	if e.release, err = server.Commit(e.s.Root, "kubernetes-sigs", "apisnoop", "main", map[string][]byte{"VERSION": []byte("0.3.0\n")}, "Release v0.3.0"); err != nil {
		t.Fatal(err)
	}
	if e.decoy, err = server.Commit(e.s.Root, "kubernetes-sigs", "apisnoop", "main", map[string][]byte{"NEXT": []byte("x\n")}, "Start v0.4.0"); err != nil {
		t.Fatal(err)
	}
	return e
}

// mainRun sets a run of the image job on main that built commit sha.
func (e *commitEnv) mainRun(name, sha, state string) {
	e.deck.Set(harness.Postsubmit(name, job, "kubernetes-sigs", "apisnoop", "main", sha, state, time.Now()))
}

// tagRelease tags the release commit v0.3.0 (annotated) and returns the
// tag object, which the push event carries.
func (e *commitEnv) tagRelease() string {
	e.t.Helper()
	after, err := server.Tag(e.s.Root, "kubernetes-sigs", "apisnoop", "v0.3.0", e.release, true)
	if err != nil {
		e.t.Fatal(err)
	}
	return after
}

func (e *commitEnv) checkPR(digest, decoyDigest string) {
	e.t.Helper()
	prs := e.prFor("v0.3.0")
	if len(prs) != 1 {
		e.t.Fatalf("want one PR, got %d", len(prs))
	}
	diff := e.branchDiff(prs[0].Head.Ref)
	if !strings.Contains(diff, `+    "`+digest+`": ["v0.3.0"]`) || strings.Contains(diff, decoyDigest) {
		e.t.Errorf("the PR must promote the tagged commit's build, not the newer decoy:\n%s", diff)
	}
	harness.MustContain(e.t, "the PR body", prs[0].Body, e.release[:12], "v20261201-v0.2.0-4-g"+e.release[:9],
		"built from commit `"+e.release+"` where it landed", "apisnoop-push-snoopdb-images")
	if s := e.awaitCommitStatus("v0.3.0", "success", "/pull/"); s.State != "success" {
		e.t.Errorf("status %+v", s)
	}
}

func TestCommitBuiltRelease(t *testing.T) {
	e := newCommitEnv(t)
	digest := e.pushIndex("snoopdb", "v20261201-v0.2.0-4-g"+e.release[:9])
	decoy := e.pushIndex("snoopdb", "v20261202-v0.2.0-5-g"+e.decoy[:9])
	e.mainRun("run-release", e.release, "success")
	e.mainRun("run-decoy", e.decoy, "success")
	e.start()
	if code := e.webhook("v0.3.0", e.tagRelease(), secret); code != 200 {
		t.Fatalf("webhook answered %d", code)
	}
	if st := e.awaitStage("v0.3.0", promoter.StagePROpen, promoter.StageFailed); st.Stage != promoter.StagePROpen {
		t.Fatalf("promotion failed: %s", st.Error)
	}
	e.checkPR(digest, decoy)
}

// The tag is pushed while the main-branch build of its commit still runs:
// the promotion waits for that run (found by its base SHA on main), and
// the build arrives in staging when it succeeds.
func TestCommitBuiltReleaseWaitsForTheRun(t *testing.T) {
	e := newCommitEnv(t)
	decoy := e.pushIndex("snoopdb", "v20261202-v0.2.0-5-g"+e.decoy[:9])
	e.mainRun("run-decoy", e.decoy, "success")
	e.mainRun("run-release", e.release, "pending")
	e.start()
	if code := e.webhook("v0.3.0", e.tagRelease(), secret); code != 200 {
		t.Fatalf("webhook answered %d", code)
	}
	e.awaitWaitingOn("v0.3.0", "run-release")
	if s := e.awaitCommitStatus("v0.3.0", "pending", "run-release"); s.State != "pending" {
		t.Errorf("status %+v", s)
	}
	digest := e.pushIndex("snoopdb", "v20261201-v0.2.0-4-g"+e.release[:9])
	e.mainRun("run-release", e.release, "success")
	if st := e.awaitStage("v0.3.0", promoter.StagePROpen, promoter.StageFailed); st.Stage != promoter.StagePROpen {
		t.Fatalf("promotion failed: %s", st.Error)
	}
	e.checkPR(digest, decoy)
}

// A commit-built release whose tag push never reached promoter (GitHub
// sends none for more than three tags at once; a restart loses a waiting
// round): the resync reads the repository's tags and finds it from the
// main-branch run of the tagged commit.
func TestCommitBuiltReleaseFoundByResync(t *testing.T) {
	e := newCommitEnv(t)
	digest := e.pushIndex("snoopdb", "v20261201-v0.2.0-4-g"+e.release[:9])
	decoy := e.pushIndex("snoopdb", "v20261202-v0.2.0-5-g"+e.decoy[:9])
	e.mainRun("run-release", e.release, "success")
	e.mainRun("run-decoy", e.decoy, "success")
	e.tagRelease()
	e.start() // no webhook at all
	if st := e.awaitStage("v0.3.0", promoter.StagePROpen, promoter.StageFailed); st.Stage != promoter.StagePROpen {
		t.Fatalf("promotion failed: %s", st.Error)
	}
	e.checkPR(digest, decoy)
}
