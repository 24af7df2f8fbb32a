package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"sigs.k8s.io/promoter/pkg/promoter"
	"sigs.k8s.io/promoter/test/fakegithub/server"
	"sigs.k8s.io/promoter/test/harness"
)

const (
	bot        = "promoter-bot"
	manifests  = "kubernetes/k8s.io"
	kueueImage = "registry.k8s.io/images/k8s-staging-kueue/images.yaml"
)

// project is what the cases need to know of a configured project.
type project struct {
	name, repo, images string
	jobs               map[string]string // image -> its postsubmit job
}

var (
	apisnoop = project{name: "apisnoop", repo: "kubernetes-sigs/apisnoop", images: harness.ImagesPath,
		jobs: map[string]string{"snoopdb": "apisnoop-push-snoopdb-images", "auditlogger": "apisnoop-push-auditlogger-images"}}
	kueue = project{name: "kueue", repo: "kubernetes-sigs/kueue", images: kueueImage,
		jobs: map[string]string{"kueue": "kueue-push-images"}}
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

// env is everything the cases drive.
type env struct {
	o       options
	dir     string
	logs    string
	reg     *harness.DockerRegistry
	proxy   *harness.FaultProxy
	push    *harness.Registry // straight to docker-registry, past the proxy
	deck    *harness.Deck
	s       *harness.Stack
	hook    *harness.Process
	hookURL string
	procs   []*harness.Process // every process started, for the logs
	phonies []string           // phony's output, for the logs
	base    string             // k8s.io main at seed time
	tags    map[string]string  // "repo@tag" -> the tag object pushed
	runs    int
	stop    sync.Once
}

func secret(prefix string) string {
	b := make([]byte, 20)
	rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

func setup(o options) (*env, error) {
	dir, err := os.MkdirTemp("", "promoter-e2e-")
	if err != nil {
		return nil, err
	}
	e := &env{o: o, dir: dir, logs: o.logs, tags: map[string]string{}}
	if e.logs == "" {
		e.logs = filepath.Join(dir, "logs")
	}
	if err := os.MkdirAll(e.logs, 0o755); err != nil {
		return e, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, step := range []func(context.Context) error{e.startRegistry, e.startGitHub, e.startPromoter, e.startHook} {
		if err := step(ctx); err != nil {
			return e, err
		}
	}
	return e, nil
}

func (e *env) startRegistry(ctx context.Context) error {
	var err error
	if e.reg, err = harness.StartDockerRegistry(ctx, e.o.registry, filepath.Join(e.dir, "registry")); err != nil {
		return fmt.Errorf("docker-registry: %w", err)
	}
	e.procs = append(e.procs, e.reg.P)
	e.push = harness.RegistryAt(e.reg.Host)
	e.proxy, err = harness.StartFaultProxy(e.reg.Host)
	return err
}

func (e *env) startGitHub(ctx context.Context) error {
	var err error
	e.deck = harness.StartDeck()
	e.s, err = harness.NewStack(ctx, harness.StackOptions{
		Dir: e.dir, PromoterBin: e.o.promoter, FakeGitHubBin: e.o.fakegithub,
		Config: fmt.Sprintf(configTemplate, e.proxy.Host),
		Secret: secret("hmac-"), Token: secret("ghp_"),
		// A hung GitHub call gives up after 5 s here (Prow's default is 2m),
		// so the hang case stays short.
		ExtraArgs: []string{"--deck-url", e.deck.URL, "--deck-poll-interval", "100ms", "--github-client.request-timeout", "5s"},
	})
	if err != nil {
		return err
	}
	e.procs = append(e.procs, e.s.GH)
	return e.seed()
}

// seed makes kubernetes/k8s.io (apisnoop's and kueue's real images.yaml),
// the two source repositories, and who may /promote.
func (e *env) seed() error {
	if _, err := harness.SeedManifestRepo(e.s.Root, e.proxy.Host+"/k8s-staging-apisnoop"); err != nil {
		return err
	}
	root, err := harness.RepoRoot()
	if err != nil {
		return err
	}
	b, err := os.ReadFile(filepath.Join(root, "testdata", "k8sio-manifests", "k8s-staging-kueue", "images.yaml"))
	if err != nil {
		return err
	}
	if e.base, err = server.Commit(e.s.Root, "kubernetes", "k8s.io", "main", map[string][]byte{kueueImage: b}, "Add kueue's images.yaml"); err != nil {
		return err
	}
	if _, err := harness.SeedSourceRepo(e.s.Root); err != nil {
		return err
	}
	if _, err := server.InitRepo(e.s.Root, "kubernetes-sigs", "kueue", map[string][]byte{"README.md": []byte("# kueue (stand-in)\n")}); err != nil {
		return err
	}
	// The bot is a member with write access: GitHub tells only such a
	// requester who else is a (private) member or a collaborator.
	return server.WriteAccess(e.s.Root, server.Access{
		Tokens:        map[string]string{"alice-token": "alice", "mallory-token": "mallory"},
		Orgs:          map[string][]string{"kubernetes-sigs": {"alice", bot}},
		Collaborators: map[string]map[string]string{"kubernetes-sigs/apisnoop": {bot: "write"}, "kubernetes-sigs/kueue": {bot: "write"}},
	})
}

func (e *env) startPromoter(ctx context.Context) error {
	if err := e.s.StartPromoter(ctx); err != nil {
		return err
	}
	e.procs = append(e.procs, e.s.P)
	return nil
}

// restartPromoter stops promoter as Kubernetes does (SIGTERM) and starts it
// again on the same port, so hook's endpoint stays right.
func (e *env) restartPromoter(ctx context.Context) error {
	e.s.P.Stop()
	return e.startPromoter(ctx)
}

// startHook runs Prow's hook the way FIELD-NOTES.md describes: no cluster
// (a kubeconfig pointing at a closed port; clients are made lazily), no
// GitHub token (with one it calls GET /user at start), and external_plugins
// sending both projects' push and issue_comment events to promoter.
func (e *env) startHook(ctx context.Context) error {
	dir := filepath.Join(e.dir, "hook")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	closed, err := harness.FreePort()
	if err != nil {
		return err
	}
	files := map[string]string{
		"config.yaml": "prowjob_namespace: default\npod_namespace: test-pods\n",
		"plugins.yaml": fmt.Sprintf(`external_plugins:
  kubernetes-sigs/apisnoop: &promoter
  - name: promoter
    endpoint: %s
    events: [push, issue_comment]
  kubernetes-sigs/kueue: *promoter
`, e.s.Promoter),
		"kubeconfig": fmt.Sprintf(`apiVersion: v1
kind: Config
clusters: [{name: none, cluster: {server: "https://127.0.0.1:%d"}}]
contexts: [{name: none, context: {cluster: none, user: none}}]
users: [{name: none, user: {token: none}}]
current-context: none
`, closed),
	}
	for name, content := range files {
		if _, err := harness.WriteFile(dir, name, content); err != nil {
			return err
		}
	}
	ports := make([]string, 4)
	for i := range ports {
		p, err := harness.FreePort()
		if err != nil {
			return err
		}
		ports[i] = strconv.Itoa(p)
	}
	e.hook, err = harness.Start("hook", e.o.hook,
		"--dry-run=false", "--kubeconfig", filepath.Join(dir, "kubeconfig"),
		"--config-path", filepath.Join(dir, "config.yaml"), "--plugin-config", filepath.Join(dir, "plugins.yaml"),
		"--hmac-secret-file", filepath.Join(e.dir, "hmac"),
		"--port", ports[0], "--metrics-port", ports[1], "--health-port", ports[2], "--pprof-port", ports[3])
	if err != nil {
		return err
	}
	e.procs = append(e.procs, e.hook)
	e.hookURL = "http://127.0.0.1:" + ports[0]
	health := "http://127.0.0.1:" + ports[2] + "/healthz/ready"
	return harness.WaitFor(ctx, e.hook, "hook to be ready", func() bool { return harness.HTTPOK(health) })
}

// teardown stops every process and writes the logs, once.
func (e *env) teardown() { e.stop.Do(e.stopAll) }

func (e *env) stopAll() {
	if e.hook != nil {
		e.hook.Stop()
	}
	if e.s != nil {
		e.s.Stop()
	}
	if e.reg != nil {
		e.reg.Stop()
	}
	if e.proxy != nil {
		e.proxy.Close()
	}
	if e.deck != nil {
		e.deck.Close()
	}
	e.writeLogs()
	if e.o.logs != "" {
		os.RemoveAll(e.dir) // the logs live elsewhere
	}
}

func (e *env) writeLogs() {
	for i, p := range e.procs {
		os.WriteFile(filepath.Join(e.logs, fmt.Sprintf("%02d-%s.log", i, strings.ReplaceAll(p.Name, "#", "-"))), []byte(p.Output()), 0o644)
	}
	os.WriteFile(filepath.Join(e.logs, "phony.log"), []byte(strings.Join(e.phonies, "\n")), 0o644)
}

// heal ends every injected fault.
func (e *env) heal() {
	if err := harness.ClearFaults(e.s.GitHub); err != nil {
		fmt.Println("    (clearing GitHub faults:", err, ")")
	}
	e.proxy.Fail(0, 0, 0)
	e.proxy.Hang("", 0)
	e.proxy.Up()
	if e.reg.P.Exited() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := e.reg.Start(ctx); err != nil {
			fmt.Println("    (restarting docker-registry:", err, ")")
		}
		e.procs = append(e.procs, e.reg.P)
	}
}

// ---------------------------------------------------------------- staging

func stagingTag(tag string) string { return "v" + time.Now().UTC().Format("20060102") + "-" + tag }

// stage pushes every image of p as tag's build: a multi-arch index, or a
// single-arch image when one platform is given. It returns the digests.
func (e *env) stage(p project, tag string, platforms ...string) (map[string]string, error) {
	if len(platforms) == 0 {
		platforms = []string{"linux/amd64", "linux/arm64/v8", "linux/ppc64le"}
	}
	out := map[string]string{}
	for img := range p.jobs {
		repo := "k8s-staging-" + p.name + "/" + img
		var d string
		var err error
		if len(platforms) == 1 {
			d, err = e.push.PushImage(repo, stagingTag(tag), platforms[0])
		} else {
			d, err = e.push.PushIndex(repo, stagingTag(tag), platforms...)
		}
		if err != nil {
			return nil, err
		}
		out[img] = d
	}
	return out, nil
}

// tag commits a release note on the source repository's main and tags it
// (annotated), so each release has its own commit and commit status.
func (e *env) tag(p project, tag string) (commit string, err error) {
	org, name, _ := strings.Cut(p.repo, "/")
	note := map[string][]byte{"RELEASE.md": []byte("# " + tag + "\n")}
	if commit, err = server.Commit(e.s.Root, org, name, "main", note, "Release "+tag); err != nil {
		return "", err
	}
	obj, err := server.Tag(e.s.Root, org, name, tag, commit, true)
	e.tags[p.repo+"@"+tag] = obj
	return commit, err
}

// jobs sets every image job's run for tag in Deck, as Prow's trigger would.
func (e *env) jobs(p project, tag, commit, state string) {
	e.runs++
	org, name, _ := strings.Cut(p.repo, "/")
	for _, job := range p.jobs {
		run := fmt.Sprintf("%s-%d", job, e.runs)
		e.deck.Set(harness.Postsubmit(run, job, org, name, tag, commit, state, time.Now()))
	}
}

// prepare releases tag: staged images (multi-arch unless one platform is
// given), the tag on a new commit, and the image jobs' runs in state.
func (e *env) prepare(p project, tag, state string, platforms ...string) (map[string]string, string, error) {
	digests, err := e.stage(p, tag, platforms...)
	if err != nil {
		return nil, "", err
	}
	commit, err := e.tag(p, tag)
	if err != nil {
		return nil, "", err
	}
	e.jobs(p, tag, commit, state)
	return digests, commit, nil
}

// release is the usual preparation: multi-arch images, jobs succeeded.
func (e *env) release(p project, tag string) (map[string]string, string, error) {
	return e.prepare(p, tag, "success")
}

// ---------------------------------------------------------------- events

// phony sends one event through hook with phony, signed with hmac. It
// returns phony's output; phony exits 0 even when hook refuses.
func (e *env) phony(event string, payload []byte, hmac string) (string, error) {
	f, err := os.CreateTemp(e.dir, "payload-*.json")
	if err != nil {
		return "", err
	}
	f.Write(payload)
	f.Close()
	out, err := exec.Command(e.o.phony, "--address="+e.hookURL+"/hook", "--hmac="+hmac,
		"--event="+event, "--payload="+f.Name()).CombinedOutput()
	e.phonies = append(e.phonies, fmt.Sprintf("$ phony --event=%s --payload=%s\n%s", event, filepath.Base(f.Name()), out))
	if err != nil {
		return string(out), fmt.Errorf("phony: %v\n%s", err, out)
	}
	return string(out), nil
}

// pushTag delivers the tag's push event through hook.
func (e *env) pushTag(p project, tag string) error {
	out, err := e.phony("push", harness.PushEvent(p.repo, tag, e.tags[p.repo+"@"+tag]), e.s.Secret)
	if err != nil {
		return err
	}
	if !strings.Contains(out, "Hook sent.") {
		return fmt.Errorf("hook refused the push of %s: %s", tag, out)
	}
	return nil
}

// ---------------------------------------------------------------- results

func branch(p project, tag string) string { return p.name + "-" + tag + "-image-promotion" }

// await polls cond until it holds or ctx ends; promoter dying fails it.
func (e *env) await(ctx context.Context, what string, cond func() bool) error {
	return harness.WaitFor(ctx, e.s.P, what, cond)
}

// settled waits for (p, tag) to reach one of stages.
func (e *env) settled(ctx context.Context, p project, tag string, stages ...promoter.Stage) (promoter.Status, error) {
	var st promoter.Status
	err := e.await(ctx, fmt.Sprintf("%s %s to reach %v", p.name, tag, stages), func() bool {
		st, _ = harness.Promotion(e.s.Promoter, p.name, tag)
		for _, s := range stages {
			if st.Stage == s {
				return true
			}
		}
		return false
	})
	if err != nil {
		return st, fmt.Errorf("%w (last: %+v)", err, st)
	}
	return st, nil
}

// prs are the PRs, in any state, from tag's promotion branch.
func (e *env) prs(p project, tag string) ([]harness.PR, error) {
	all, err := harness.PRs(e.s.GitHub, manifests, "all")
	if err != nil {
		return nil, err
	}
	var out []harness.PR
	for _, pr := range all {
		if pr.Head.Ref == branch(p, tag) {
			out = append(out, pr)
		}
	}
	return out, nil
}

// git runs git on one of the stand-in's bare repositories.
func (e *env) git(owner, repo string, args ...string) (string, error) {
	out, err := exec.Command("git", append([]string{"--git-dir", server.RepoPath(e.s.Root, owner, repo)}, args...)...).CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// forkBranch is the commit the promotion branch points at in the bot's
// fork, "" when it does not exist.
func (e *env) forkBranch(p project, tag string) string {
	sha, err := e.git(bot, "k8s.io", "rev-parse", "--verify", "--quiet", "refs/heads/"+branch(p, tag))
	if err != nil {
		return ""
	}
	return sha
}

// promoted checks the whole result of one promotion: one PR, open, from
// the right branch; the branch's commit changes only p's images.yaml and
// adds every digest under tag; the tagged commit's status is success.
func (e *env) promoted(ctx context.Context, p project, tag, commit string, digests map[string]string) (harness.PR, error) {
	prs, err := e.prs(p, tag)
	if err != nil {
		return harness.PR{}, err
	}
	if len(prs) != 1 || prs[0].State != "open" {
		return harness.PR{}, fmt.Errorf("want one open PR for %s %s, found %d: %+v", p.name, tag, len(prs), prs)
	}
	ref := "refs/heads/" + branch(p, tag)
	files, err := e.git(bot, "k8s.io", "diff", "--name-only", "refs/heads/main", ref)
	if err != nil {
		return prs[0], fmt.Errorf("git diff: %v: %s", err, files)
	}
	if files != p.images {
		return prs[0], fmt.Errorf("the branch changes %q, want only %s", files, p.images)
	}
	diff, err := e.git(bot, "k8s.io", "diff", "refs/heads/main", ref)
	if err != nil {
		return prs[0], err
	}
	for img, d := range digests {
		if !strings.Contains(diff, "+    \""+d+"\": [\""+tag+"\"]") {
			return prs[0], fmt.Errorf("the diff lacks %s's %s for %s:\n%s", img, d, tag, diff)
		}
	}
	if commit != "" {
		if _, err := e.awaitStatus(ctx, p, commit, "success"); err != nil {
			return prs[0], err
		}
	}
	return prs[0], nil
}

// awaitStatus waits for the commit's `promotion` status to be state: the
// stage shows its end just before the status is written.
func (e *env) awaitStatus(ctx context.Context, p project, commit, state string) (harness.Status, error) {
	var st harness.Status
	err := e.await(ctx, "the "+state+" status", func() bool {
		st, _ = harness.CommitStatus(e.s.GitHub, p.repo, commit, "promotion")
		return st.State == state
	})
	if err != nil {
		return st, fmt.Errorf("the promotion status on %.12s is %q, want %s", commit, st.State, state)
	}
	return st, nil
}

// awaitPromoted waits for tag's PR and checks it (see promoted).
func (e *env) awaitPromoted(ctx context.Context, p project, tag, commit string, digests map[string]string) error {
	if _, err := e.settled(ctx, p, tag, promoter.StagePROpen); err != nil {
		return err
	}
	_, err := e.promoted(ctx, p, tag, commit, digests)
	return err
}

// nothingWritten checks tag has no PR and no branch in the fork.
func (e *env) nothingWritten(p project, tag string) error {
	prs, err := e.prs(p, tag)
	if err != nil {
		return err
	}
	if b := e.forkBranch(p, tag); len(prs) != 0 || b != "" {
		return fmt.Errorf("something was written for %s %s: %d PRs, branch %q", p.name, tag, len(prs), b)
	}
	return nil
}

// pushAndPromote is the usual flow for one tag: push through hook, await
// the PR, check it.
func (e *env) pushAndPromote(ctx context.Context, p project, tag, commit string, digests map[string]string) error {
	if err := e.pushTag(p, tag); err != nil {
		return err
	}
	st, err := e.settled(ctx, p, tag, promoter.StagePROpen, promoter.StageFailed)
	if err != nil {
		return err
	}
	if st.Stage != promoter.StagePROpen {
		return fmt.Errorf("promotion failed: %s", st.Error)
	}
	_, err = e.promoted(ctx, p, tag, commit, digests)
	return err
}

// webhooks is how many events of kind promoter has acknowledged.
func (e *env) webhooks(event string) float64 {
	n, _ := e.s.Metric("promoter_webhook_duration_seconds_count", `event="`+event+`"`)
	return n
}

// has reports whether out contains every one of want.
func has(out string, want ...string) error {
	for _, w := range want {
		if !strings.Contains(out, w) {
			return fmt.Errorf("%q not found in:\n%s", w, out)
		}
	}
	return nil
}
