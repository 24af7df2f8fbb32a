package promoter_test

import (
	"context"
	"io"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	"sigs.k8s.io/prow/pkg/github"

	"sigs.k8s.io/promoter/pkg/promoter"
	"sigs.k8s.io/promoter/pkg/promoter/config"
	"sigs.k8s.io/promoter/pkg/promoter/jobs"
	"sigs.k8s.io/promoter/pkg/promoter/pullrequest"
	"sigs.k8s.io/promoter/pkg/promoter/registry"
	"sigs.k8s.io/promoter/test/fakegithub/server"
	"sigs.k8s.io/promoter/test/harness"
)

// These tests run the controller in-process against the real parts: the
// GitHub stand-in over git repositories, Prow's GitHub client, and an
// in-process OCI registry. test/e2e runs the same through the binary.

const testConfig = `
manifestRepo: kubernetes/k8s.io
jobTimeout: 3s
projects:
- name: apisnoop
  repo: kubernetes-sigs/apisnoop
  gitTags: '^v\d+\.\d+\.\d+$'
  images:
  - name: snoopdb
`

type fixture struct {
	t    *testing.T
	root string
	srv  *server.Server
	gh   *httptest.Server
	reg  *harness.Registry
	cfg  *config.Agent
	ctl  *promoter.Controller
	talk *conversation
	jobs jobs.Source
	base string
	stop func() // stops the running controller
}

func newFixture(t *testing.T, cfgYAML string) *fixture {
	t.Helper()
	return newFixtureWith(t, cfgYAML, nil)
}

func newFixtureWith(t *testing.T, cfgYAML string, src jobs.Source) *fixture {
	t.Helper()
	f := &fixture{t: t, root: t.TempDir(), reg: harness.StartRegistry()}
	t.Cleanup(f.reg.Close)
	var err error
	if f.srv, err = server.New(server.Config{Root: f.root}); err != nil {
		t.Fatal(err)
	}
	f.gh = httptest.NewServer(f.srv)
	t.Cleanup(f.gh.Close)
	if f.base, err = harness.SeedManifestRepo(f.root, f.reg.Host+"/k8s-staging-apisnoop"); err != nil {
		t.Fatal(err)
	}
	c, err := config.Parse([]byte(cfgYAML))
	if err != nil {
		t.Fatal(err)
	}
	f.cfg = config.Static(c)
	f.talk = newConversation()
	f.jobs = src
	f.start()
	return f
}

// start runs a new controller over the fixture's GitHub, registry, jobs and
// conversation, as a restarted promoter would; the one running is stopped.
func (f *fixture) start() {
	f.t.Helper()
	if f.stop != nil {
		f.stop()
	}
	gc, err := github.NewClient(func() []byte { return []byte("token") }, func(b []byte) []byte { return b }, f.gh.URL+"/graphql", f.gh.URL)
	if err != nil {
		f.t.Fatal(err)
	}
	gc.SetMax404Retries(0)
	log := logrus.New()
	log.SetOutput(io.Discard)
	pub := pullrequest.New(gc, &pullrequest.REST{Endpoint: f.gh.URL, Token: func() []byte { return []byte("token") }}, server.DefaultBotLogin)
	var js promoter.Jobs
	if f.jobs != nil {
		js = f.jobs
	}
	f.ctl = promoter.New(f.cfg.Config, registry.New(), pub, promoter.Options{
		Log: logrus.NewEntry(log), Jobs: js, Source: f.talk, Trust: f.talk,
		RetryBase: 50 * time.Millisecond, RetryMax: 200 * time.Millisecond,
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { f.ctl.Run(ctx, 2); close(done) }()
	var once sync.Once
	f.stop = func() { once.Do(func() { cancel(); <-done }) }
	f.t.Cleanup(f.stop)
}

func (f *fixture) pushIndex(tag string) string {
	f.t.Helper()
	d, err := f.reg.PushIndex("k8s-staging-apisnoop/snoopdb", tag, "linux/amd64", "linux/arm64")
	if err != nil {
		f.t.Fatal(err)
	}
	return d
}

// await waits for key to reach one of stages.
func (f *fixture) await(k promoter.Key, stages ...promoter.Stage) promoter.Status {
	f.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var st promoter.Status
	for time.Now().Before(deadline) {
		st, _ = f.ctl.Tracker().Get(k)
		for _, s := range stages {
			if st.Stage == s {
				return st
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	f.t.Fatalf("%v did not reach %v: %+v", k, stages, st)
	return st
}

// promote enqueues the tag and waits for the round it starts to settle.
func (f *fixture) promote(tag string) promoter.Status {
	f.t.Helper()
	k := promoter.Key{Project: "apisnoop", Tag: tag}
	asked := time.Now()
	f.ctl.Enqueue(k)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if st, ok := f.ctl.Tracker().Get(k); ok && st.Settled() && st.Updated.After(asked) {
			return st
		}
		time.Sleep(10 * time.Millisecond)
	}
	st, _ := f.ctl.Tracker().Get(k)
	f.t.Fatalf("%s did not finish: %+v", tag, st)
	return st
}

func (f *fixture) openPRs() []harness.PR {
	prs, err := harness.PRs(f.gh.URL, "kubernetes/k8s.io", "open")
	if err != nil {
		f.t.Fatal(err)
	}
	return prs
}

func (f *fixture) branchFile(ref string) string {
	b, err := server.ReadFile(f.root, "promoter-bot", "k8s.io", ref, harness.ImagesPath)
	if err != nil {
		f.t.Fatal(err)
	}
	return string(b)
}

func TestRefreshFollowsUpstream(t *testing.T) {
	f := newFixture(t, testConfig)
	digest := f.pushIndex("v20261124-v0.3.0")
	if st := f.promote("v0.3.0"); st.Stage != promoter.StagePROpen {
		t.Fatalf("stage %s: %s", st.Stage, st.Error)
	}
	first := f.openPRs()
	// Someone else's promotion lands on main: images.yaml changes under ours.
	old, err := server.ReadFile(f.root, "kubernetes", "k8s.io", "main", harness.ImagesPath)
	if err != nil {
		t.Fatal(err)
	}
	other := strings.Replace(string(old), "- name: auditlogger\n", "- name: auditlogger\n  # reviewed 2026-11\n", 1)
	if _, err := server.Commit(f.root, "kubernetes", "k8s.io", "main", map[string][]byte{harness.ImagesPath: []byte(other)}, "another PR"); err != nil {
		t.Fatal(err)
	}
	if st := f.promote("v0.3.0"); st.Stage != promoter.StagePROpen {
		t.Fatalf("refresh: stage %s: %s", st.Stage, st.Error)
	}
	prs := f.openPRs()
	if len(prs) != 1 || prs[0].Number != first[0].Number {
		t.Fatalf("want the same single PR, got %+v", prs)
	}
	if prs[0].Head.SHA == first[0].Head.SHA {
		t.Fatal("the branch was not rebuilt on the new main")
	}
	got := f.branchFile(prs[0].Head.Ref)
	if !strings.Contains(got, "# reviewed 2026-11") || !strings.Contains(got, `"`+digest+`": ["v0.3.0"]`) {
		t.Errorf("the refreshed branch must hold upstream's change and ours:\n%s", got)
	}
}

func TestTagMoveRefused(t *testing.T) {
	f := newFixture(t, testConfig)
	// images.yaml already has snoopdb v0.2.0 on another digest.
	f.pushIndex("v20261124-v0.2.0")
	st := f.promote("v0.2.0")
	if st.Stage != promoter.StageFailed || !strings.Contains(st.Error, "tag move") {
		t.Errorf("want a tag-move failure, got %s: %s", st.Stage, st.Error)
	}
	if n := len(f.openPRs()); n != 0 {
		t.Errorf("%d PRs opened for a tag move", n)
	}
}

func TestGivesUpAfterJobTimeout(t *testing.T) {
	f := newFixture(t, testConfig) // jobTimeout: 3s
	st := f.promote("v0.8.0")      // never pushed to staging
	if st.Stage != promoter.StageFailed || !strings.Contains(st.Error, "gave up after 3s") || !strings.Contains(st.Error, "not in staging yet") {
		t.Errorf("want a give-up naming the wait, got %s: %s", st.Stage, st.Error)
	}
}

func TestBrokenImagesYAMLRefused(t *testing.T) {
	f := newFixture(t, testConfig)
	f.pushIndex("v20261124-v0.3.0")
	if _, err := server.Commit(f.root, "kubernetes", "k8s.io", "main",
		map[string][]byte{harness.ImagesPath: []byte("- name: snoopdb\n  dmap:\n\t\"sha256:x\": [v1]\n")}, "break it"); err != nil {
		t.Fatal(err)
	}
	st := f.promote("v0.3.0")
	if st.Stage != promoter.StageFailed || !strings.Contains(st.Error, "cannot be edited") || !strings.Contains(st.Error, "line 3") {
		t.Errorf("want a failure naming the line, got %s: %s", st.Stage, st.Error)
	}
}

func TestFileOverOneMegabyte(t *testing.T) {
	// The contents API answers files over 1 MB without content
	// (k8s-staging-kubernetes' images.yaml is 1.5 MB); the raw read must
	// take over, or the edit would start from an empty file.
	f := newFixture(t, testConfig)
	old, err := server.ReadFile(f.root, "kubernetes", "k8s.io", "main", harness.ImagesPath)
	if err != nil {
		t.Fatal(err)
	}
	big := strings.Repeat("# padding to make the file larger than GitHub's 1 MB contents limit\n", 17000) + string(old)
	if _, err := server.Commit(f.root, "kubernetes", "k8s.io", "main", map[string][]byte{harness.ImagesPath: []byte(big)}, "grow"); err != nil {
		t.Fatal(err)
	}
	digest := f.pushIndex("v20261124-v0.3.0")
	if st := f.promote("v0.3.0"); st.Stage != promoter.StagePROpen {
		t.Fatalf("stage %s: %s", st.Stage, st.Error)
	}
	got := f.branchFile(f.openPRs()[0].Head.Ref)
	if len(got) <= len(big) || !strings.HasPrefix(got, big[:1<<20]) || !strings.Contains(got, digest) {
		t.Errorf("the edit of a %d-byte file gave %d bytes", len(big), len(got))
	}
}

func TestProjectRemovedFromConfig(t *testing.T) {
	f := newFixture(t, testConfig)
	f.ctl.Enqueue(promoter.Key{Project: "gone", Tag: "v1.0.0"})
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if st, _ := f.ctl.Tracker().Get(promoter.Key{Project: "gone", Tag: "v1.0.0"}); st.Stage == promoter.StageFailed {
			if !strings.Contains(st.Error, "no longer in the config") {
				t.Errorf("error %q", st.Error)
			}
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("an unknown project was not refused")
}

// TestTagsOfOneProjectInParallel: two tags of one project arrive together
// and are worked on at once (each has its own branch, reset to upstream
// main); each PR holds its own digest only.
func TestTagsOfOneProjectInParallel(t *testing.T) {
	f := newFixture(t, testConfig)
	d3 := f.pushIndex("v20261124-v0.3.0")
	d4 := f.pushIndex("v20261124-v0.4.0")
	k3, k4 := promoter.Key{Project: "apisnoop", Tag: "v0.3.0"}, promoter.Key{Project: "apisnoop", Tag: "v0.4.0"}
	f.ctl.Enqueue(k3)
	f.ctl.Enqueue(k4)
	for _, k := range []promoter.Key{k3, k4} {
		if st := f.await(k, promoter.StagePROpen, promoter.StageFailed); st.Stage != promoter.StagePROpen {
			t.Fatalf("%v: %s", k, st.Error)
		}
	}
	prs := f.openPRs()
	if len(prs) != 2 {
		t.Fatalf("want two PRs, got %d", len(prs))
	}
	for _, pr := range prs {
		got := f.branchFile(pr.Head.Ref)
		has3, has4 := strings.Contains(got, d3), strings.Contains(got, d4)
		if has3 == has4 {
			t.Errorf("%s holds v0.3.0's digest %v and v0.4.0's %v; want exactly its own", pr.Head.Ref, has3, has4)
		}
	}
}

// TestPromoteOnlyNamedImages: /promote v0.3.0 snoopdb promotes snoopdb only,
// though the tag releases auditlogger too.
func TestPromoteOnlyNamedImages(t *testing.T) {
	f := newFixture(t, testConfig+"  - name: auditlogger\n")
	snoop := f.pushIndex("v20261124-v0.3.0")
	audit, err := f.reg.PushIndex("k8s-staging-apisnoop/auditlogger", "v20261124-v0.3.0", "linux/amd64", "linux/arm64")
	if err != nil {
		t.Fatal(err)
	}
	k := promoter.Key{Project: "apisnoop", Tag: "v0.3.0"}
	f.ctl.Request(k, promoter.Ask{Images: []string{"snoopdb"}, Prompt: true})
	if st := f.await(k, promoter.StagePROpen, promoter.StageFailed); st.Stage != promoter.StagePROpen {
		t.Fatalf("%s", st.Error)
	}
	got := f.branchFile(f.openPRs()[0].Head.Ref)
	if !strings.Contains(got, snoop) || strings.Contains(got, audit) {
		t.Errorf("want snoopdb's digest only:\n%s", got)
	}
}

// Quirks already in images.yaml are kept, and shown to the reviewer in the
// PR body and in /promotions: they do not stop the promotion.
func TestWarningsReachTheReviewer(t *testing.T) {
	f := newFixture(t, testConfig)
	old, err := server.ReadFile(f.root, "kubernetes", "k8s.io", "main", harness.ImagesPath)
	if err != nil {
		t.Fatal(err)
	}
	quirky := strings.Replace(string(old), `["v0.1.0"]`, `["v0.1.0", "latest"]`, 1)
	if _, err := server.Commit(f.root, "kubernetes", "k8s.io", "main", map[string][]byte{harness.ImagesPath: []byte(quirky)}, "an old quirk"); err != nil {
		t.Fatal(err)
	}
	f.pushIndex("v20261124-v0.3.0")
	st := f.promote("v0.3.0")
	if st.Stage != promoter.StagePROpen {
		t.Fatalf("%s: %s", st.Stage, st.Error)
	}
	if len(st.Warnings) == 0 || !strings.Contains(strings.Join(st.Warnings, "\n"), "latest") {
		t.Errorf("/promotions warnings %q lack the quirk", st.Warnings)
	}
	body := f.openPRs()[0].Body
	if !strings.Contains(body, "For the reviewer (none of these stopped the promotion):") || !strings.Contains(body, "latest") {
		t.Errorf("the PR body does not show the quirk:\n%s", body)
	}
}
