// Package e2e runs the real promoter binary against the GitHub stand-in (a
// real process over real git repositories) and an in-process OCI registry.
package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/promoter/pkg/promoter"
	"sigs.k8s.io/promoter/test/fakegithub/server"
	"sigs.k8s.io/promoter/test/ghapi"
	"sigs.k8s.io/promoter/test/harness"
)

const (
	secret = "e2e-hmac-secret-value"
	token  = "e2e-github-token-value"
	source = "kubernetes-sigs/apisnoop"
	bot    = harness.Bot
	wait   = harness.Patience
)

const configYAML = `
manifestRepo: kubernetes/k8s.io
jobTimeout: 2m
projects:
- name: apisnoop
  repo: kubernetes-sigs/apisnoop
  gitTags: '^v\d+\.\d+\.\d+$'
  images:
  - name: snoopdb
    job: apisnoop-push-snoopdb-images
  - name: auditlogger
    job: apisnoop-push-auditlogger-images
    gitTags: '^auditlogger-(?P<version>\d+\.\d+\.\d+)$'
    promotedTag: 'v{{.version}}'
  reviewers: [hh, bobymcbobs]
  requireMultiArch: true
`

var promoterBin, fakegithubBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "promoter-e2e-bin")
	if err != nil {
		panic(err)
	}
	promoterBin, fakegithubBin, err = harness.Build(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if image := os.Getenv(harness.ImageEnv); image != "" {
		fmt.Fprintf(os.Stderr, "promoter: the linux/%s binary of the image in %s\n", runtime.GOARCH, image)
	}
	// Every stack of the run records its stand-in's exchanges here (or in
	// $E2E_RECORD_DIR, kept for a look); after the tests they are held to
	// GitHub's published API descriptions.
	harness.RecordDir = os.Getenv("E2E_RECORD_DIR")
	if harness.RecordDir == "" {
		harness.RecordDir = filepath.Join(dir, "exchanges")
	}
	if err := os.MkdirAll(harness.RecordDir, 0o755); err != nil {
		panic(err)
	}
	code := m.Run()
	if !checkGitHubAPI(harness.RecordDir) && code == 0 {
		code = 1
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// checkGitHubAPI checks every recorded exchange against GitHub's API
// descriptions and prints each violation with its request. It reports
// false on any violation; descriptions out of reach (no npm registry) skip
// the check, saying so.
func checkGitHubAPI(dir string) bool {
	exs, err := ghapi.ReadDir(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "github api check:", err)
		return false
	}
	if len(exs) == 0 {
		return true // no test ran a stack (e.g. -run matched none)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	c, err := ghapi.Load(ctx)
	if errors.Is(err, ghapi.ErrUnavailable) {
		fmt.Printf("github api check: skipped, %v\n", err)
		return true
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "github api check:", err)
		return false
	}
	r := c.CheckAll(ctx, exs)
	for _, v := range r.Violations {
		fmt.Println(v)
	}
	fmt.Println(r.Summary())
	return len(r.Violations) == 0
}

// env is one running stack with apisnoop seeded.
type env struct {
	t        *testing.T
	reg      *harness.Registry
	s        *harness.Stack
	manifest string // upstream main commit as seeded
}

func newEnv(t *testing.T, extraArgs ...string) *env {
	t.Helper()
	return newEnvConfig(t, configYAML, extraArgs...)
}

func newEnvConfig(t *testing.T, config string, extraArgs ...string) *env {
	t.Helper()
	reg := harness.StartRegistry()
	t.Cleanup(reg.Close)
	w := harness.NewWorld(t, harness.StackOptions{
		Dir: t.TempDir(), PromoterBin: promoterBin, FakeGitHubBin: fakegithubBin,
		Config: config, Secret: secret, Token: token, ExtraArgs: extraArgs,
	}, reg.Host+"/k8s-staging-apisnoop")
	t.Cleanup(func() {
		if t.Failed() && w.P != nil {
			t.Logf("promoter output:\n%s", w.P.Output())
		}
	})
	return &env{t: t, reg: reg, s: w.Stack, manifest: w.Manifest}
}

func (e *env) start() {
	e.t.Helper()
	ctx, cancel := harness.Deadline(wait)
	defer cancel()
	if err := e.s.StartPromoter(ctx); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) pushIndex(image, tag string) string {
	e.t.Helper()
	d, err := e.reg.PushIndex("k8s-staging-apisnoop/"+image, tag, "linux/amd64", "linux/arm64/v8")
	if err != nil {
		e.t.Fatal(err)
	}
	return d
}

// tag creates a git tag in the source repository and returns what a push
// event carries as "after" (the tag object for an annotated tag).
func (e *env) tag(name string, annotated bool) string {
	e.t.Helper()
	head, err := server.ResolveRef(e.s.Root, "kubernetes-sigs", "apisnoop", "refs/heads/main")
	if err != nil {
		e.t.Fatal(err)
	}
	after, err := server.Tag(e.s.Root, "kubernetes-sigs", "apisnoop", name, head, annotated)
	if err != nil {
		e.t.Fatal(err)
	}
	return after
}

func (e *env) webhook(tag, after, key string) int {
	e.t.Helper()
	commit, err := server.ResolveRef(e.s.Root, "kubernetes-sigs", "apisnoop", "refs/tags/"+tag)
	if err != nil {
		e.t.Fatal(err)
	}
	code, err := harness.Send(e.s.Promoter, "push", harness.TagPushEvent(source, tag, after, commit), key)
	if err != nil {
		e.t.Fatal(err)
	}
	return code
}

func (e *env) awaitStage(tag string, stages ...promoter.Stage) promoter.Status {
	e.t.Helper()
	return e.s.AwaitStage(e.t, "apisnoop", tag, stages...)
}

// awaitPROpen waits for the tag's PR; a failed promotion fails the test.
func (e *env) awaitPROpen(tag string) promoter.Status {
	e.t.Helper()
	return e.s.AwaitPROpen(e.t, "apisnoop", tag)
}

func (e *env) openPRs() []harness.PR {
	e.t.Helper()
	prs, err := harness.PRs(e.s.GitHub, "kubernetes/k8s.io", "open")
	if err != nil {
		e.t.Fatal(err)
	}
	return prs
}

// prFor is the tag's open PR, if any.
func (e *env) prFor(tag string) []harness.PR {
	e.t.Helper()
	return e.s.PromotionPRs(e.t, harness.Apisnoop, tag, "open")
}

// branchDiff is the diff of images.yaml between upstream main as seeded and
// the promotion branch, read with git from the bot's fork.
func (e *env) branchDiff(branch string) string {
	e.t.Helper()
	return e.s.BranchDiff(e.t, e.manifest, branch, harness.ImagesPath)
}

// quiet waits until promoter has made no GitHub request for 300 ms.
func (e *env) quiet() {
	e.t.Helper()
	e.s.Quiet(e.t)
}

// awaitCommitStatus waits for the tag's `promotion` status to be state,
// with a target URL containing linking when given.
func (e *env) awaitCommitStatus(tag, state string, linking ...string) harness.Status {
	e.t.Helper()
	return e.s.AwaitCommitStatus(e.t, source, tag, state, linking...)
}

// requests are the GitHub requests promoter made.
func (e *env) requests() map[string]int {
	e.t.Helper()
	return e.s.PromoterRequests(e.t)
}

func total(r map[string]int) int {
	n := 0
	for _, v := range r {
		n += v
	}
	return n
}

func describe(r map[string]int) string {
	var ks []string
	for k, v := range r {
		ks = append(ks, fmt.Sprintf("%s=%d", k, v))
	}
	sort.Strings(ks)
	return strings.Join(ks, ", ")
}

func TestTagPushOpensOnePR(t *testing.T) {
	e := newEnv(t)
	older := e.pushIndex("snoopdb", "v20261123-v0.3.0")
	digest := e.pushIndex("snoopdb", "v20261124-v0.3.0")
	after := e.tag("v0.3.0", false)

	// One-time costs at start: the bot user, its fork, and the first resync
	// (which reads the open PRs).
	e.start()
	e.s.Await(t, "the fork to be reported ready", func() bool {
		return len(e.s.P.Lines("fork of the manifest repository is ready")) > 0 && len(e.s.P.Lines("Resync done.")) > 0
	})
	// Read the counts before anything else asks the stand-in.
	oneTime := e.requests()
	if !harness.HTTPOK(e.s.GitHub + "/repos/" + bot + "/k8s.io") {
		t.Fatal("the bot's fork does not exist")
	}
	harness.ResetRequests(e.s.GitHub)

	if code := e.webhook("v0.3.0", after, secret); code != 200 {
		t.Fatalf("webhook answered %d", code)
	}
	e.awaitPROpen("v0.3.0")
	e.awaitCommitStatus("v0.3.0", "success")
	first := e.requests()

	prs := e.prFor("v0.3.0")
	if len(prs) != 1 {
		t.Fatalf("want one PR for v0.3.0, got %d", len(prs))
	}
	pr := prs[0]
	if pr.Title != "Image promotion for apisnoop v0.3.0" || pr.Head.Repo.Owner.Login != bot || pr.Base.Ref != "main" {
		t.Errorf("PR shape: title %q head %s:%s base %s", pr.Title, pr.Head.Repo.Owner.Login, pr.Head.Ref, pr.Base.Ref)
	}
	for _, want := range []string{
		"| snoopdb | `" + e.reg.Host + "/k8s-staging-apisnoop/snoopdb@" + digest + "` | `v20261124-v0.3.0` | `v0.3.0` | linux/amd64, linux/arm64/v8 |",
		"`apisnoop-push-snoopdb-images`",
		"snoopdb `v20261123-v0.3.0` (`" + older + "`)",
		"/cc @hh @bobymcbobs",
		`<!-- promoter-metadata {"project":"apisnoop","tag":"v0.3.0","images":[{"name":"snoopdb","digest":"` + digest + `","tag":"v0.3.0"}]} -->`,
	} {
		if !strings.Contains(pr.Body, want) {
			t.Errorf("PR body lacks %q:\n%s", want, pr.Body)
		}
	}
	wantDiff := `+    "` + digest + `": ["v0.3.0"]`
	if got := e.branchDiff(pr.Head.Ref); got != wantDiff {
		t.Errorf("branch diff:\n%s\nwant:\n%s", got, wantDiff)
	}
	// The new line lands under snoopdb, after its newest digest.
	b, err := server.ReadFile(e.s.Root, bot, "k8s.io", pr.Head.Ref, harness.ImagesPath)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `["v0.2.0"]`+"\n"+`    "`+digest+`": ["v0.3.0"]`+"\n- name: auditlogger") {
		t.Errorf("new digest not placed after snoopdb's v0.2.0:\n%s", b)
	}
	t.Logf("GitHub requests, one-time at start (%d): %s", total(oneTime), describe(oneTime))
	t.Logf("GitHub requests, first promotion (%d): %s", total(first), describe(first))

	t.Run("redelivery and a second push keep one PR", func(t *testing.T) {
		head := pr.Head.SHA
		rounds := func() float64 {
			n, _ := e.s.Metric("promoter_promotions_total", `outcome="pr-unchanged"`)
			return n
		}
		deliver := func(times int) {
			t.Helper()
			before := rounds()
			for i := 0; i < times; i++ {
				if code := e.webhook("v0.3.0", after, secret); code != 200 {
					t.Fatalf("webhook answered %d", code)
				}
			}
			e.s.Await(t, "another round", func() bool { return rounds() > before })
		}
		e.quiet()
		harness.ResetRequests(e.s.GitHub)
		deliver(1)
		e.quiet()
		r := e.requests()
		t.Logf("GitHub requests for a refresh with nothing to change (%d): %s", total(r), describe(r))
		// The queue merges deliveries that arrive while one is queued, so
		// several deliveries give one or more rounds, never a second PR.
		deliver(3)
		prs := e.prFor("v0.3.0")
		if len(prs) != 1 || prs[0].Number != pr.Number {
			t.Fatalf("want the same single PR #%d, got %+v", pr.Number, prs)
		}
		if prs[0].Head.SHA != head {
			t.Errorf("the branch was pushed again (%s -> %s): a refresh with no change must not force-push", head, prs[0].Head.SHA)
		}
	})

	t.Run("annotated tag", func(t *testing.T) {
		digest := e.pushIndex("snoopdb", "v20261124-v0.4.0")
		after := e.tag("v0.4.0", true)
		e.quiet()
		harness.ResetRequests(e.s.GitHub)
		if code := e.webhook("v0.4.0", after, secret); code != 200 {
			t.Fatalf("webhook answered %d", code)
		}
		e.awaitPROpen("v0.4.0")
		e.awaitCommitStatus("v0.4.0", "success")
		steady := e.requests()
		t.Logf("GitHub requests, a promotion once the fork exists (%d): %s", total(steady), describe(steady))
		if total(steady) > 10 {
			t.Errorf("%d GitHub requests for one promotion; the target is at most 10", total(steady))
		}
		prs := e.prFor("v0.4.0")
		if len(prs) != 1 {
			t.Fatalf("want one PR for v0.4.0, got %d", len(prs))
		}
		if got, want := e.branchDiff(prs[0].Head.Ref), `+    "`+digest+`": ["v0.4.0"]`; got != want {
			t.Errorf("branch diff:\n%s\nwant:\n%s", got, want)
		}
	})

	t.Run("bad signatures act on nothing", func(t *testing.T) {
		e.pushIndex("snoopdb", "v20261124-v0.9.0")
		after := e.tag("v0.9.0", false)
		if code := e.webhook("v0.9.0", after, "not-the-secret"); code != 403 {
			t.Errorf("wrong secret: status %d, want 403", code)
		}
		if code := e.webhook("v0.9.0", after, ""); code != 403 {
			t.Errorf("no signature: status %d, want 403", code)
		}
		if _, ok := harness.Promotion(e.s.Promoter, "apisnoop", "v0.9.0"); ok {
			t.Error("an unsigned event is tracked in /promotions")
		}
		if prs := e.prFor("v0.9.0"); len(prs) != 0 {
			t.Errorf("an unsigned event opened %d PRs", len(prs))
		}
	})

	t.Run("single-arch image refused", func(t *testing.T) {
		d, err := e.reg.PushImage("k8s-staging-apisnoop/auditlogger", "v20261124-auditlogger-0.3.0", "linux/amd64")
		if err != nil {
			t.Fatal(err)
		}
		after := e.tag("auditlogger-0.3.0", false)
		if code := e.webhook("auditlogger-0.3.0", after, secret); code != 200 {
			t.Fatalf("webhook answered %d", code)
		}
		st := e.awaitStage("auditlogger-0.3.0", promoter.StageFailed, promoter.StagePROpen)
		if st.Stage != promoter.StageFailed || !strings.Contains(st.Error, "requires multi-arch") || !strings.Contains(st.Error, "linux/amd64") || !strings.Contains(st.Error, d) {
			t.Errorf("want a failure naming the digest and its one platform, got %s: %s", st.Stage, st.Error)
		}
		if len(e.s.P.Lines("requires multi-arch")) == 0 {
			t.Error("the refusal is not in promoter's log")
		}
		if prs := e.prFor("auditlogger-0.3.0"); len(prs) != 0 {
			t.Errorf("a single-arch image got %d PRs", len(prs))
		}
	})

	t.Run("staging image that arrives later", func(t *testing.T) {
		after := e.tag("v0.5.0", false)
		if code := e.webhook("v0.5.0", after, secret); code != 200 {
			t.Fatalf("webhook answered %d", code)
		}
		e.s.AwaitPromotion(t, "apisnoop", "v0.5.0", "a waiting status", func(st promoter.Status) bool {
			return strings.Contains(st.Error, "not in staging yet")
		})
		e.pushIndex("snoopdb", "v20261124-v0.5.0")
		e.awaitPROpen("v0.5.0")
	})

	t.Run("secrets never reach the log", func(t *testing.T) {
		out := e.s.P.Output()
		for _, s := range []string{secret, token} {
			if strings.Contains(out, s) {
				t.Errorf("promoter's log contains a secret")
			}
		}
	})
}

func TestAlreadyPromoted(t *testing.T) {
	e := newEnv(t)
	// Open the PR for v0.6.0 and merge it: images.yaml on main then holds
	// the digest and tag, and a new push of the tag must say so.
	e.start()
	e.pushIndex("snoopdb", "v20261124-v0.6.0")
	after := e.tag("v0.6.0", false)
	if code := e.webhook("v0.6.0", after, secret); code != 200 {
		t.Fatalf("webhook answered %d", code)
	}
	e.awaitPROpen("v0.6.0")
	pr := e.prFor("v0.6.0")[0]
	if err := harness.MergePR(e.s.GitHub, "kubernetes/k8s.io", pr.Number); err != nil {
		t.Fatal(err)
	}
	if code := e.webhook("v0.6.0", after, secret); code != 200 {
		t.Fatalf("webhook answered %d", code)
	}
	e.awaitStage("v0.6.0", promoter.StageAlreadyPromoted)
	if prs := e.prFor("v0.6.0"); len(prs) != 0 {
		t.Errorf("an already-promoted tag has %d open PRs", len(prs))
	}
}

func TestDryRunWritesNothing(t *testing.T) {
	e := newEnv(t, "--dry-run")
	digest := e.pushIndex("snoopdb", "v20261124-v0.7.0")
	after := e.tag("v0.7.0", false)
	e.start()
	if code := e.webhook("v0.7.0", after, secret); code != 200 {
		t.Fatalf("webhook answered %d", code)
	}
	e.s.Await(t, "the dry-run report", func() bool {
		return len(e.s.P.Lines("Dry run: would open this promotion PR.")) > 0
	})
	line := e.s.P.Lines("Dry run")[0]
	if !strings.Contains(line, `+    \"`+digest+`\": [\"v0.7.0\"]`) {
		t.Errorf("the dry-run log lacks the diff line:\n%s", line)
	}
	r := e.requests()
	for route := range r {
		if !strings.HasPrefix(route, "GET ") {
			t.Errorf("dry run made a writing request: %s", route)
		}
	}
	if harness.HTTPOK(e.s.GitHub + "/repos/" + bot + "/k8s.io") {
		t.Error("dry run created the bot's fork")
	}
	if n := len(e.openPRs()); n != 0 {
		t.Errorf("dry run opened %d PRs", n)
	}
}

func TestCheckConfig(t *testing.T) {
	dir := t.TempDir()
	good, _ := harness.WriteFile(dir, "good.yaml", configYAML)
	out, err := exec.Command(promoterBin, "--check-config", good).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "valid: 1 projects") {
		t.Errorf("a good config: %v\n%s", err, out)
	}
	bad, _ := harness.WriteFile(dir, "bad.yaml", strings.Replace(configYAML, "promotedTag: 'v{{.version}}'", "promotedTag: 'v{{.release}}'", 1))
	out, err = exec.Command(promoterBin, "--check-config", bad).CombinedOutput()
	if err == nil {
		t.Fatalf("a bad config was accepted:\n%s", out)
	}
	if !strings.Contains(string(out), "projects[0].images[1].promotedTag") {
		t.Errorf("the error does not name the field:\n%s", out)
	}
}

func TestPluginHelp(t *testing.T) {
	e := newEnv(t)
	e.start()
	resp, err := http.Post(e.s.Promoter+"/help", "application/json", strings.NewReader(`[{"Org":"kubernetes-sigs","Repo":"apisnoop"}]`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var help struct {
		Description string
		Config      map[string]string
		Commands    []struct{ Usage, WhoCanUse string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&help); err != nil || resp.StatusCode != 200 {
		t.Fatalf("help: %s, %v", resp.Status, err)
	}
	if !strings.Contains(help.Description, "kubernetes/k8s.io") || !strings.Contains(help.Config["kubernetes-sigs/apisnoop"], "snoopdb, auditlogger") {
		t.Errorf("help does not describe the configured project: %+v", help)
	}
	var usages []string
	for _, c := range help.Commands {
		usages = append(usages, c.Usage)
		// The same people pkg/promoter/trust accepts: org members and
		// collaborators, the images' OWNERS approvers, allowedUsers/Teams.
		for _, who := range []string{"organization", "collaborators", "OWNERS", "allowedUsers", "allowedTeams"} {
			if !strings.Contains(c.WhoCanUse, who) {
				t.Errorf("%s: help does not say who can use it (no %q): %s", c.Usage, who, c.WhoCanUse)
			}
		}
	}
	if got := strings.Join(usages, " | "); got != "/promote <git-tag> [image...] | /promote | /promote dry-run <git-tag> [image...]" {
		t.Errorf("help commands: %s", got)
	}
}
