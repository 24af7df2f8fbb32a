package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/promoter/pkg/promoter"
	"sigs.k8s.io/promoter/test/fakegithub/server"
	"sigs.k8s.io/promoter/test/harness"
)

// What a kubernetes/k8s.io reviewer checks by hand, through the binary:
// people's PRs for the same digests, a PR the reviewer closed, what is
// attached to a staging build, what the build says it was built from, and
// whether a merged promotion went live.

// reviewConfig is apisnoop with two images released by the same tags, a
// fast resync (to see PRs close and merge), and a production registry
// given per test.
const reviewConfig = `
manifestRepo: kubernetes/k8s.io
jobTimeout: 2m
resyncPeriod: 1s
liveTimeout: %s
projects:
- name: apisnoop
  repo: kubernetes-sigs/apisnoop
  gitTags: '^v\d+\.\d+\.\d+$'
  productionRegistry: %s
  stagingSignatures: %s
  images:
  - name: snoopdb
  - name: auditlogger
  reviewers: [hh]
  requireMultiArch: true
`

type reviewEnv struct {
	*commandsEnv
	prod    *harness.Registry
	digests map[string]string // image -> staged digest of v0.3.0
	commit  string            // v0.3.0's commit
}

func newReviewEnv(t *testing.T, liveTimeout, signatures string) *reviewEnv {
	t.Helper()
	prod := harness.StartRegistry()
	t.Cleanup(prod.Close)
	e := newEnvConfig(t, fmt.Sprintf(reviewConfig, liveTimeout, prod.Host, signatures))
	err := server.WriteAccess(e.s.Root, server.Access{
		Tokens:        map[string]string{"alice-token": "alice", "ruth-token": "ruth"},
		Orgs:          map[string][]string{"kubernetes-sigs": {"alice", bot}, "kubernetes": {"ruth"}},
		Collaborators: map[string]map[string]string{source: {bot: "write"}, "kubernetes/k8s.io": {"ruth": "write"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	r := &reviewEnv{commandsEnv: &commandsEnv{env: e}, prod: prod, digests: map[string]string{}}
	if r.commit, err = server.Commit(e.s.Root, "kubernetes-sigs", "apisnoop", "main", map[string][]byte{"VERSION": []byte("0.3.0\n")}, "Release v0.3.0"); err != nil {
		t.Fatal(err)
	}
	for _, img := range []string{"snoopdb", "auditlogger"} {
		r.digests[img] = e.pushIndex(img, "v20261124-v0.3.0")
	}
	return r
}

// start starts promoter and opens the issue /promote comments go to.
func (r *reviewEnv) startWithIssue() {
	r.t.Helper()
	r.start()
	is, err := harness.CreateIssue(r.s.GitHub, source, "alice-token", "Release v0.3.0")
	if err != nil {
		r.t.Fatal(err)
	}
	r.issue = is.Number
}

// push sends v0.3.0's tag push and waits for its round to settle in one of
// stages.
func (r *reviewEnv) push(stages ...promoter.Stage) promoter.Status {
	r.t.Helper()
	after, err := server.Tag(r.s.Root, "kubernetes-sigs", "apisnoop", "v0.3.0", r.commit, false)
	if err != nil && !strings.Contains(err.Error(), "exists") {
		r.t.Fatal(err)
	}
	if err != nil {
		after = r.commit
	}
	if code := r.webhook("v0.3.0", after, secret); code != 200 {
		r.t.Fatalf("webhook answered %d", code)
	}
	return r.awaitStage("v0.3.0", stages...)
}

// humanPR opens a person's PR (ruth's, from her fork) adding the given
// images' staged digests as v0.3.0 to apisnoop's images.yaml.
func (r *reviewEnv) humanPR(images ...string) harness.PR {
	r.t.Helper()
	if _, err := server.Fork(r.s.Root, "kubernetes", "k8s.io", "ruth"); err != nil {
		r.t.Fatal(err)
	}
	old, err := server.ReadFile(r.s.Root, "kubernetes", "k8s.io", "main", harness.ImagesPath)
	if err != nil {
		r.t.Fatal(err)
	}
	text := string(old)
	for _, img := range images {
		block := "- name: " + img + "\n  dmap:\n"
		text = strings.Replace(text, block, block+`    "`+r.digests[img]+`": ["v0.3.0"]`+"\n", 1)
	}
	if _, err := server.Commit(r.s.Root, "ruth", "k8s.io", "promote-apisnoop", map[string][]byte{harness.ImagesPath: []byte(text)}, "Promote apisnoop v0.3.0"); err != nil {
		r.t.Fatal(err)
	}
	pr, err := harness.CreatePR(r.s.GitHub, "kubernetes/k8s.io", "ruth-token", "ruth:promote-apisnoop", "main", "Promote apisnoop v0.3.0")
	if err != nil {
		r.t.Fatal(err)
	}
	return pr
}

// botPRs are promoter's PRs in any state.
func (r *reviewEnv) botPRs() []harness.PR {
	r.t.Helper()
	prs, err := harness.PRs(r.s.GitHub, "kubernetes/k8s.io", "all")
	if err != nil {
		r.t.Fatal(err)
	}
	var out []harness.PR
	for _, pr := range prs {
		if pr.Head.Repo.Owner.Login == bot {
			out = append(out, pr)
		}
	}
	return out
}

func TestPersonsPRCoversThePromotion(t *testing.T) {
	r := newReviewEnv(t, "1h", "warn")
	human := r.humanPR("snoopdb", "auditlogger")
	r.startWithIssue() // its first resync reads the open PRs

	st := r.push(promoter.StagePROpen, promoter.StageFailed)
	if st.PR != "https://github.com/kubernetes/k8s.io/pull/1" || !strings.Contains(st.Note, "by @ruth already adds these digests") {
		t.Fatalf("status %+v: want the person's PR #%d", st, human.Number)
	}
	if s := r.awaitCommitStatus("v0.3.0", "success", "/pull/1"); s.State != "success" {
		t.Errorf("commit status %+v", s)
	}
	r.say("alice-token", "/promote v0.3.0")
	harness.MustContain(t, "the reply", r.awaitReply(1), "the promotion PR for `v0.3.0` is open: https://github.com/kubernetes/k8s.io/pull/1", "by @ruth already adds these digests")
	if prs := r.botPRs(); len(prs) != 0 {
		t.Errorf("promoter opened %d PRs beside the person's", len(prs))
	}
}

func TestPersonsPRCoversPartOfThePromotion(t *testing.T) {
	r := newReviewEnv(t, "1h", "warn")
	r.humanPR("snoopdb")
	r.startWithIssue()
	if st := r.push(promoter.StagePROpen, promoter.StageFailed); st.Stage != promoter.StagePROpen || st.PR != "https://github.com/kubernetes/k8s.io/pull/2" {
		t.Fatalf("status %+v: want promoter's own PR #2", st)
	}
	prs := r.botPRs()
	if len(prs) != 1 {
		t.Fatalf("%d PRs of promoter's", len(prs))
	}
	harness.MustContain(t, "the PR body", prs[0].Body, "https://github.com/kubernetes/k8s.io/pull/1 by @ruth also adds [snoopdb]")
}

func TestClosedPRStaysClosedUntilPromote(t *testing.T) {
	r := newReviewEnv(t, "1h", "warn")
	r.startWithIssue()
	if st := r.push(promoter.StagePROpen, promoter.StageFailed); st.Stage != promoter.StagePROpen {
		t.Fatalf("status %+v", st)
	}
	pr := r.botPRs()[0]
	if err := harness.ClosePR(r.s.GitHub, "kubernetes/k8s.io", "ruth-token", pr.Number); err != nil {
		t.Fatal(err)
	}
	// The resync (every second here) sees it closed; a redelivered push
	// leaves it so.
	if st := r.awaitStage("v0.3.0", promoter.StageClosed); st.ClosedBy != "ruth" {
		t.Errorf("closed by %q, want ruth", st.ClosedBy)
	}
	r.push(promoter.StageClosed)
	r.quiet()
	s := r.awaitCommitStatus("v0.3.0", "failure", "/pull/1")
	harness.MustContain(t, "the commit status", s.Description, "closed without merging", "/promote v0.3.0 reopens it")

	r.s.P.Stop()
	r.start() // a restart rebuilds it as closed
	if st := r.awaitStage("v0.3.0", promoter.StageClosed); st.ClosedBy != "ruth" {
		t.Errorf("after a restart: closed by %q, want ruth", st.ClosedBy)
	}
	r.push(promoter.StageClosed)
	r.quiet()
	if prs := r.botPRs(); len(prs) != 1 || prs[0].State != "closed" {
		t.Fatalf("the closed PR was reopened or another opened: %+v", prs)
	}

	is, err := harness.CreateIssue(r.s.GitHub, source, "alice-token", "Release v0.3.0 again")
	if err != nil {
		t.Fatal(err)
	}
	r.issue = is.Number
	r.say("alice-token", "/promote v0.3.0")
	harness.MustContain(t, "the reply", r.awaitReply(1), "the promotion PR for `v0.3.0` is open: https://github.com/kubernetes/k8s.io/pull/1", "reopened")
	if prs := r.botPRs(); len(prs) != 1 || prs[0].State != "open" {
		t.Fatalf("want the same PR open again: %+v", prs)
	}
}

func TestStagingSignaturesFlagged(t *testing.T) {
	r := newReviewEnv(t, "1h", "warn")
	sig, err := r.reg.Attach("k8s-staging-apisnoop/snoopdb", r.digests["snoopdb"], "sig")
	if err != nil {
		t.Fatal(err)
	}
	att, err := r.reg.Attach("k8s-staging-apisnoop/snoopdb", r.digests["snoopdb"], "att")
	if err != nil {
		t.Fatal(err)
	}
	r.startWithIssue()
	if st := r.push(promoter.StagePROpen, promoter.StageFailed); st.Stage != promoter.StagePROpen {
		t.Fatalf("status %+v", st)
	}
	harness.MustContain(t, "the PR body", r.botPRs()[0].Body, "snoopdb: signature tag `"+sig+"`", "snoopdb: attestation tag `"+att+"`",
		"pull-k8sio-cip accepts only signatures made by the release signing identities")
}

func TestStagingSignaturesRefused(t *testing.T) {
	r := newReviewEnv(t, "1h", "refuse")
	sig, err := r.reg.Attach("k8s-staging-apisnoop/auditlogger", r.digests["auditlogger"], "sig")
	if err != nil {
		t.Fatal(err)
	}
	r.startWithIssue()
	st := r.push(promoter.StagePROpen, promoter.StageFailed)
	if st.Stage != promoter.StageFailed || !strings.Contains(st.Error, "stagingSignatures: refuse") || !strings.Contains(st.Error, sig) {
		t.Fatalf("status %+v: want a refusal naming %s", st, sig)
	}
	if prs := r.botPRs(); len(prs) != 0 {
		t.Errorf("a refused promotion opened %d PRs", len(prs))
	}
}

func TestRevisionOfAnotherCommitRefused(t *testing.T) {
	r := newReviewEnv(t, "1h", "warn")
	other := strings.Repeat("d", 40)
	if _, err := r.reg.PushIndexAnnotated("k8s-staging-apisnoop/snoopdb", "v20261125-v0.3.0",
		map[string]string{"org.opencontainers.image.revision": other, "org.opencontainers.image.source": "https://github.com/kubernetes-sigs/apisnoop"},
		"linux/amd64", "linux/arm64"); err != nil {
		t.Fatal(err)
	}
	r.startWithIssue()
	st := r.push(promoter.StagePROpen, promoter.StageFailed)
	if st.Stage != promoter.StageFailed || !strings.Contains(st.Error, other) || !strings.Contains(st.Error, r.commit) {
		t.Fatalf("status %+v: want a refusal naming %s and %s", st, other, r.commit)
	}
}

// merge merges promoter's PR as Tide would.
func (r *reviewEnv) merge() harness.PR {
	r.t.Helper()
	pr := r.botPRs()[0]
	if err := harness.MergePR(r.s.GitHub, "kubernetes/k8s.io", pr.Number); err != nil {
		r.t.Fatal(err)
	}
	return pr
}

func TestMergedPromotionWatchedUntilLive(t *testing.T) {
	r := newReviewEnv(t, "1h", "warn")
	r.startWithIssue()
	if st := r.push(promoter.StagePROpen, promoter.StageFailed); st.Stage != promoter.StagePROpen {
		t.Fatalf("status %+v", st)
	}
	pr := r.merge()
	r.awaitStage("v0.3.0", promoter.StageMerged)
	r.awaitCommitStatus("v0.3.0", "pending", "/pull/")

	// The promotion job copies the images, a while later.
	for img, d := range r.digests {
		if err := harness.Copy(r.reg.Host+"/k8s-staging-apisnoop/"+img+"@"+d, r.prod.Host+"/apisnoop/"+img+":v0.3.0"); err != nil {
			t.Fatal(err)
		}
	}
	st := r.awaitStage("v0.3.0", promoter.StageLive)
	if len(st.Production) != 2 {
		t.Errorf("production refs %v", st.Production)
	}
	s := r.awaitCommitStatus("v0.3.0", "success", "/pull/")
	harness.MustContain(t, "the commit status", s.Description, "Live: "+r.prod.Host+"/apisnoop/")
	ctx, cancel := harness.Deadline(wait)
	defer cancel()
	if err := harness.WaitFor(ctx, r.s.P, "the comment on the merged PR", func() bool {
		cs, _ := harness.Comments(r.s.GitHub, "kubernetes/k8s.io", pr.Number)
		return len(cs) > 0
	}); err != nil {
		t.Fatal(err)
	}
	r.s.P.Stop()
	r.start() // a restart finds it merged, sees it live, and says so no more
	r.awaitStage("v0.3.0", promoter.StageLive)
	r.quiet()
	cs, _ := harness.Comments(r.s.GitHub, "kubernetes/k8s.io", pr.Number)
	if len(cs) != 1 || !strings.Contains(cs[0].Body, "The images this PR promotes are live") {
		t.Errorf("want one comment saying the images are live, got %+v", cs)
	}
}

func TestMergedPromotionNeverLive(t *testing.T) {
	r := newReviewEnv(t, "3s", "warn")
	r.startWithIssue()
	if st := r.push(promoter.StagePROpen, promoter.StageFailed); st.Stage != promoter.StagePROpen {
		t.Fatalf("status %+v", st)
	}
	r.merge()
	r.awaitStage("v0.3.0", promoter.StageMerged)
	start := time.Now()
	st := r.awaitStage("v0.3.0", promoter.StageFailed)
	harness.MustContain(t, "the failure", st.Error, "not live 3s after the PR merged", r.prod.Host+"/apisnoop/snoopdb:v0.3.0 is not there yet", "post-k8sio-image-promo")
	t.Logf("failed %v after the merge was seen", time.Since(start))
}
