//go:build e2e

package prow

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"sigs.k8s.io/promoter/test/fakegithub/server"
	"sigs.k8s.io/promoter/test/harness"
)

const kueueImages = "registry.k8s.io/images/k8s-staging-kueue/images.yaml"

var (
	apisnoop = harness.Apisnoop
	kueue    = harness.Project{Name: "kueue", Repo: "kubernetes-sigs/kueue", Images: kueueImages,
		Jobs: map[string]string{"kueue": "kueue-push-images"}}
)

// promoter's config: apisnoop reads its staging registry from its real
// promoter-manifest.yaml (rewritten to the proxy); kueue names it here.
const configTemplate = `manifestRepo: kubernetes/k8s.io
jobTimeout: 5m
jobWindow: 30s
resyncPeriod: 1m
projects:
- name: apisnoop
  repo: kubernetes-sigs/apisnoop
  gitTags: '^v\d+\.\d+\.\d+$'
  stagingTag: 'v\d{8}-{{.Tag}}'
  images:
  - name: snoopdb
    job: apisnoop-push-snoopdb-images
  - name: auditlogger
    job: apisnoop-push-auditlogger-images
  reviewers: [hh]
  requireMultiArch: true
- name: kueue
  repo: kubernetes-sigs/kueue
  stagingRegistry: %s/k8s-staging-kueue
  gitTags: '^v\d+\.\d+\.\d+$'
  stagingTag: 'v\d{8}-{{.Tag}}'
  images:
  - name: kueue
    job: kueue-push-images
  reviewers: [mimowo]
`

// world is everything the cases drive, set up once for TestProw.
type world struct {
	dir      string // working directory: repositories, registry storage; removed at the end
	logs     string // every process's log, written at the end
	keep     bool   // the logs directory was given: keep it whatever happens
	reg      *harness.DockerRegistry
	proxy    *harness.FaultProxy
	push     *harness.Registry // straight to docker-registry, past the proxy
	deck     *harness.Deck
	s        *harness.World
	hook     *harness.Process
	hookURL  string
	phonyBin string
	tags     map[string]string // "repo@tag" -> the tag object pushed
	runs     int

	// The signal handler writes the logs while a case may be starting a
	// process or sending an event.
	mu      sync.Mutex
	procs   []*harness.Process // every process started, for the logs
	phonies []string           // phony's output, for the logs
	closed  bool               // teardown began: start nothing more
	stop    sync.Once
}

func secret(prefix string) string {
	b := make([]byte, 20)
	rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// setup starts docker-registry behind the fault proxy, a Deck, the seeded
// stand-in, promoter and hook. Everything stops when t ends or a SIGINT or
// SIGTERM arrives; the logs are then written, and kept when t failed.
func setup(t *testing.T) *world {
	bins := binaries(t)
	w := &world{logs: *logsDir, keep: *logsDir != "", tags: map[string]string{}}
	var err error
	if w.dir, err = os.MkdirTemp("", "promoter-e2e-prow-"); err != nil {
		t.Fatal(err)
	}
	if w.logs == "" {
		w.logs, err = os.MkdirTemp("", "promoter-e2e-prow-logs-")
	}
	if err == nil {
		err = os.MkdirAll(w.logs, 0o755)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.finish(t) })
	w.onSignal(t)

	ctx, cancel := harness.Deadline(harness.Patience)
	defer cancel()
	if w.reg, err = harness.StartDockerRegistry(ctx, bins["docker-registry"], filepath.Join(w.dir, "registry")); err != nil {
		t.Fatalf("docker-registry: %v", err)
	}
	w.started(w.reg.P)
	w.push = harness.RegistryAt(w.reg.Host)
	if w.proxy, err = harness.StartFaultProxy(w.reg.Host); err != nil {
		t.Fatal(err)
	}
	w.deck = harness.StartDeck()
	w.s = harness.NewWorld(t, harness.StackOptions{
		Dir: w.dir, PromoterBin: bins["promoter"], FakeGitHubBin: bins["fakegithub"],
		Config: fmt.Sprintf(configTemplate, w.proxy.Host),
		Secret: secret("hmac-"), Token: secret("ghp_"),
		// A hung GitHub call gives up after 5 s here (Prow's default is 2m),
		// so the hang case stays short.
		ExtraArgs: []string{"--deck-url", w.deck.URL, "--deck-poll-interval", "100ms", "--github-client.request-timeout", "5s"},
	}, w.proxy.Host+"/k8s-staging-apisnoop")
	w.started(w.s.GH)
	w.seed(t)
	w.startPromoter(t)
	w.startHook(t, bins["hook"])
	w.phonyBin = bins["phony"]
	return w
}

// binaries resolves the binaries' flags (relative to the repository root)
// and checks each is there.
func binaries(t *testing.T) map[string]string {
	root, err := harness.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for name, path := range map[string]string{"promoter": *promoterBin, "fakegithub": *fakegithubBin,
		"hook": *hookBin, "phony": *phonyBin, "docker-registry": *registryBin} {
		if !filepath.IsAbs(path) {
			path = filepath.Join(root, path)
		}
		if _, err := os.Stat(path); err != nil {
			t.Fatalf("the %s binary: %v (hack/e2e.sh builds or installs every binary and passes their paths)", name, err)
		}
		out[name] = path
	}
	return out
}

// onSignal stops every process and writes the logs on SIGINT or SIGTERM
// (CI's timeout, ^C), at once rather than after the running case, and
// ends the test binary.
func (w *world) onSignal(t *testing.T) {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case s := <-sig:
			fmt.Printf("interrupted by %v: stopping every process; logs in %s\n", s, w.logs)
			w.teardown()
			os.Exit(1)
		case <-done:
		}
	}()
	t.Cleanup(func() {
		signal.Stop(sig)
		close(done)
	})
}

// seed adds kueue's real images.yaml to kubernetes/k8s.io, kueue's
// source repository, and who may /promote.
func (w *world) seed(t *testing.T) {
	root, err := harness.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "testdata", "k8sio-manifests", "k8s-staging-kueue", "images.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := server.Commit(w.s.Root, "kubernetes", "k8s.io", "main", map[string][]byte{kueueImages: b}, "Add kueue's images.yaml"); err != nil {
		t.Fatal(err)
	}
	if _, err := server.InitRepo(w.s.Root, "kubernetes-sigs", "kueue", map[string][]byte{"README.md": []byte("# kueue (stand-in)\n")}); err != nil {
		t.Fatal(err)
	}
	// The bot is a member with write access: GitHub tells only such a
	// requester who else is a (private) member or a collaborator.
	err = server.WriteAccess(w.s.Root, server.Access{
		Tokens:        map[string]string{"alice-token": "alice", "mallory-token": "mallory"},
		Orgs:          map[string][]string{"kubernetes-sigs": {"alice", harness.Bot}},
		Collaborators: map[string]map[string]string{apisnoop.Repo: {harness.Bot: "write"}, kueue.Repo: {harness.Bot: "write"}},
	})
	if err != nil {
		t.Fatal(err)
	}
}

// startPromoter starts promoter, or starts it again on the same ports (as
// Kubernetes restarts a pod behind its Service), so hook's endpoint stays
// right.
func (w *world) startPromoter(t testing.TB) {
	t.Helper()
	ctx, cancel := harness.Deadline(harness.Patience)
	defer cancel()
	prev := w.s.P
	err := w.s.StartPromoter(ctx)
	if w.s.P != prev {
		w.started(w.s.P)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// startHook runs Prow's hook the way FIELD-NOTES.md describes: no cluster
// (a kubeconfig pointing at a closed port; clients are made lazily), no
// GitHub token (with one it calls GET /user at start), and external_plugins
// sending both projects' push and issue_comment events to promoter.
func (w *world) startHook(t *testing.T, bin string) {
	dir := filepath.Join(w.dir, "hook")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	ports := make([]string, 5)
	for i := range ports {
		p, err := harness.FreePort()
		if err != nil {
			t.Fatal(err)
		}
		ports[i] = strconv.Itoa(p)
	}
	files := map[string]string{
		"config.yaml": "prowjob_namespace: default\npod_namespace: test-pods\n",
		"plugins.yaml": fmt.Sprintf(`external_plugins:
  kubernetes-sigs/apisnoop: &promoter
  - name: promoter
    endpoint: %s
    events: [push, issue_comment]
  kubernetes-sigs/kueue: *promoter
`, w.s.Promoter),
		"kubeconfig": fmt.Sprintf(`apiVersion: v1
kind: Config
clusters: [{name: none, cluster: {server: "https://127.0.0.1:%s"}}]
contexts: [{name: none, context: {cluster: none, user: none}}]
users: [{name: none, user: {token: none}}]
current-context: none
`, ports[4]),
	}
	for name, content := range files {
		if _, err := harness.WriteFile(dir, name, content); err != nil {
			t.Fatal(err)
		}
	}
	var err error
	w.hook, err = harness.Start("hook", bin,
		"--dry-run=false", "--kubeconfig", filepath.Join(dir, "kubeconfig"),
		"--config-path", filepath.Join(dir, "config.yaml"), "--plugin-config", filepath.Join(dir, "plugins.yaml"),
		"--hmac-secret-file", filepath.Join(w.dir, "hmac"),
		"--port", ports[0], "--metrics-port", ports[1], "--health-port", ports[2], "--pprof-port", ports[3])
	if err != nil {
		t.Fatal(err)
	}
	w.started(w.hook)
	w.hookURL = "http://127.0.0.1:" + ports[0]
	health := "http://127.0.0.1:" + ports[2] + "/healthz/ready"
	ctx, cancel := harness.Deadline(harness.Patience)
	defer cancel()
	if err := harness.WaitFor(ctx, w.hook, "hook to be ready", func() bool { return harness.HTTPOK(health) }); err != nil {
		t.Fatal(err)
	}
}

// started records p for the logs; after teardown began (a signal, while
// a case restarts something) it stops p at once.
func (w *world) started(p *harness.Process) {
	w.mu.Lock()
	closed := w.closed
	w.procs = append(w.procs, p)
	w.mu.Unlock()
	if closed {
		p.Stop()
	}
}

func (w *world) isClosed() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.closed
}

// teardown stops every process and writes the logs, once.
func (w *world) teardown() { w.stop.Do(w.stopAll) }

func (w *world) stopAll() {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
	if w.hook != nil {
		w.hook.Stop()
	}
	if w.s != nil {
		w.s.Stop()
	}
	if w.reg != nil {
		w.reg.Stop()
	}
	if w.proxy != nil {
		w.proxy.Close()
	}
	if w.deck != nil {
		w.deck.Close()
	}
	w.writeLogs()
	os.RemoveAll(w.dir)
}

// finish tears the world down when TestProw ends and keeps the logs when
// it failed or they were asked for.
func (w *world) finish(t *testing.T) {
	w.teardown()
	if w.keep || t.Failed() {
		t.Logf("logs in %s", w.logs)
		return
	}
	os.RemoveAll(w.logs)
}

func (w *world) writeLogs() {
	names := w.logFiles()
	w.mu.Lock()
	defer w.mu.Unlock()
	for i, p := range w.procs {
		os.WriteFile(filepath.Join(w.logs, names[i]), []byte(p.Output()), 0o644)
	}
	os.WriteFile(filepath.Join(w.logs, names[len(w.procs)]), []byte(strings.Join(w.phonies, "\n")), 0o644)
}

// logFiles names the log of every process started, in order, and then
// phony's.
func (w *world) logFiles() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var names []string
	for i, p := range w.procs {
		names = append(names, fmt.Sprintf("%02d-%s.log", i, strings.ReplaceAll(p.Name, "#", "-")))
	}
	return append(names, "phony.log")
}

// heal ends every injected fault; docker-registry and promoter, if
// stopped (a case that failed while they were down), start again.
func (w *world) heal(t testing.TB) {
	if w.isClosed() {
		return
	}
	if err := harness.ClearFaults(w.s.GitHub); err != nil {
		t.Errorf("clearing GitHub faults: %v", err)
	}
	w.proxy.Fail(0, 0, 0)
	w.proxy.Hang("", 0)
	if err := w.proxy.Up(); err != nil {
		t.Errorf("the registry proxy: %v", err)
	}
	if w.reg.P.Exited() {
		ctx, cancel := harness.Deadline(harness.Patience)
		defer cancel()
		err := w.reg.Start(ctx)
		w.started(w.reg.P)
		if err != nil {
			t.Errorf("restarting docker-registry: %v", err)
		}
	}
	if w.s.P.Exited() {
		t.Log("promoter is stopped: starting it again")
		w.startPromoter(t)
	}
}

// ---------------------------------------------------------------- staging

func stagingTag(tag string) string { return "v" + time.Now().UTC().Format("20060102") + "-" + tag }

// stage pushes every image of p as tag's build: a multi-arch index, or a
// single-arch image when one platform is given. It returns the digests.
func (w *world) stage(t testing.TB, p harness.Project, tag string, platforms ...string) map[string]string {
	t.Helper()
	if len(platforms) == 0 {
		platforms = []string{"linux/amd64", "linux/arm64/v8", "linux/ppc64le"}
	}
	out := map[string]string{}
	for img := range p.Jobs {
		repo := "k8s-staging-" + p.Name + "/" + img
		var d string
		var err error
		if len(platforms) == 1 {
			d, err = w.push.PushImage(repo, stagingTag(tag), platforms[0])
		} else {
			d, err = w.push.PushIndex(repo, stagingTag(tag), platforms...)
		}
		if err != nil {
			t.Fatal(err)
		}
		out[img] = d
	}
	return out
}

// tag commits a release note on the source repository's main and tags it
// (annotated), so each release has its own commit and commit status.
func (w *world) tag(t testing.TB, p harness.Project, tag string) (commit string) {
	t.Helper()
	org, name, _ := strings.Cut(p.Repo, "/")
	note := map[string][]byte{"RELEASE.md": []byte("# " + tag + "\n")}
	commit, err := server.Commit(w.s.Root, org, name, "main", note, "Release "+tag)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := server.Tag(w.s.Root, org, name, tag, commit, true)
	if err != nil {
		t.Fatal(err)
	}
	w.tags[p.Repo+"@"+tag] = obj
	return commit
}

// jobs sets every image job's run for tag in Deck, as Prow's trigger would.
func (w *world) jobs(p harness.Project, tag, commit, state string) {
	w.runs++
	org, name, _ := strings.Cut(p.Repo, "/")
	for _, job := range p.Jobs {
		run := fmt.Sprintf("%s-%d", job, w.runs)
		w.deck.Set(harness.Postsubmit(run, job, org, name, tag, commit, state, time.Now()))
	}
}

// prepare releases tag: staged images (multi-arch unless one platform is
// given), the tag on a new commit, and the image jobs' runs in state. It
// returns the digests and the commit.
func (w *world) prepare(t testing.TB, p harness.Project, tag, state string, platforms ...string) (map[string]string, string) {
	t.Helper()
	digests := w.stage(t, p, tag, platforms...)
	commit := w.tag(t, p, tag)
	w.jobs(p, tag, commit, state)
	return digests, commit
}

// release is the usual preparation: multi-arch images, jobs succeeded.
func (w *world) release(t testing.TB, p harness.Project, tag string) (map[string]string, string) {
	t.Helper()
	return w.releaseUnder(t, p, tag, func() {})
}

// releaseUnder is release with fault turned on before the jobs' runs show
// in Deck: a finished run alone starts the promotion (promoter polls Deck
// every 100 ms), which must not get ahead of the fault.
func (w *world) releaseUnder(t testing.TB, p harness.Project, tag string, fault func()) (map[string]string, string) {
	t.Helper()
	digests := w.stage(t, p, tag)
	commit := w.tag(t, p, tag)
	fault()
	w.jobs(p, tag, commit, "success")
	return digests, commit
}

// ---------------------------------------------------------------- events

// phony sends one event through hook with phony, signed with hmac, and
// returns phony's output; phony exits 0 even when hook refuses.
func (w *world) phony(t testing.TB, event string, payload []byte, hmac string) string {
	t.Helper()
	f, err := os.CreateTemp(w.dir, "payload-*.json")
	if err != nil {
		t.Fatal(err)
	}
	f.Write(payload)
	f.Close()
	out, err := exec.Command(w.phonyBin, "--address="+w.hookURL+"/hook", "--hmac="+hmac,
		"--event="+event, "--payload="+f.Name()).CombinedOutput()
	w.mu.Lock()
	w.phonies = append(w.phonies, fmt.Sprintf("$ phony --event=%s --payload=%s\n%s", event, filepath.Base(f.Name()), out))
	w.mu.Unlock()
	if err != nil {
		t.Fatalf("phony: %v\n%s", err, out)
	}
	return string(out)
}

// send delivers an event through hook and fails t unless hook took it.
func (w *world) send(t testing.TB, what, event string, payload []byte) {
	t.Helper()
	if out := w.phony(t, event, payload, w.s.Secret); !strings.Contains(out, "Hook sent.") {
		t.Fatalf("hook refused %s: %s", what, out)
	}
}

// pushTag delivers the tag's push event through hook.
func (w *world) pushTag(t testing.TB, p harness.Project, tag string) {
	t.Helper()
	w.send(t, "the push of "+tag, "push", harness.PushEvent(p.Repo, tag, w.tags[p.Repo+"@"+tag]))
}

// pushAndPromote is the usual flow for one tag: push through hook, await
// the PR, check it. It returns the time from the push to the PR.
func (w *world) pushAndPromote(t testing.TB, p harness.Project, tag, commit string, digests map[string]string) time.Duration {
	t.Helper()
	pushed := time.Now()
	w.pushTag(t, p, tag)
	w.s.AwaitPROpen(t, p.Name, tag)
	took := time.Since(pushed)
	w.s.CheckPromoted(t, p, tag, commit, digests)
	return took
}

// webhooks is how many events of kind promoter has acknowledged.
func (w *world) webhooks(event string) float64 {
	n, _ := w.s.Metric("promoter_webhook_duration_seconds_count", `event="`+event+`"`)
	return n
}
