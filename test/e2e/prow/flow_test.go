//go:build e2e

package prow

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/promoter/pkg/promoter"
	"sigs.k8s.io/promoter/test/harness"
)

// ---------------------------------------------------------------- the flow

func tagPush(t *testing.T, w *world) {
	digests, commit := w.release(t, apisnoop, "v1.0.0")
	w.pushAndPromote(t, apisnoop, "v1.0.0", commit, digests)
}

// redelivery sends the same push three times (phony's delivery id is always
// GUID, as a redelivery's is the original's) and waits until promoter has
// acknowledged all three and settled. It redelivers tag_push's tag, which
// it promotes first when tag_push did not run.
func redelivery(t *testing.T, w *world) {
	p, tag := apisnoop, "v1.0.0"
	if _, released := w.tags[p.Repo+"@"+tag]; !released {
		t.Logf("%s is not released yet (tag_push did not run): promoting it first", tag)
		tagPush(t, w)
	}
	head := w.s.ForkBranch(p.Branch(tag))
	if head == "" {
		t.Fatalf("the first case left no branch for %s", tag)
	}
	before, since := w.webhooks("push"), time.Now()
	for i := 0; i < 3; i++ {
		w.pushTag(t, p, tag)
	}
	w.s.Await(t, "three push deliveries", func() bool { return w.webhooks("push") >= before+3 })
	w.s.Await(t, "the redelivered round to settle", func() bool {
		st, _ := harness.Promotion(w.s.Promoter, p.Name, tag)
		return st.Updated.After(since) && st.Stage == promoter.StagePROpen
	})
	if prs := w.s.PromotionPRs(t, p, tag, "all"); len(prs) != 1 {
		t.Fatalf("%d PRs for %s after redelivery, want 1", len(prs), tag)
	}
	if now := w.s.ForkBranch(p.Branch(tag)); now != head {
		t.Fatalf("redelivery pushed to the branch: %.12s -> %.12s", head, now)
	}
}

// ---------------------------------------------------------------- /promote

// comment writes a comment as the token's user on a new issue and delivers
// its issue_comment event through hook. It returns the issue number.
func (w *world) comment(t testing.TB, token, title, body string) int {
	t.Helper()
	is, err := harness.CreateIssue(w.s.GitHub, apisnoop.Repo, "alice-token", title)
	if err != nil {
		t.Fatal(err)
	}
	c, err := harness.CreateComment(w.s.GitHub, apisnoop.Repo, token, is.Number, body)
	if err != nil {
		t.Fatal(err)
	}
	w.send(t, "the comment", "issue_comment", harness.CommentEvent(apisnoop.Repo, is.Number, false, c, "created"))
	return is.Number
}

// promoteTrusted: the tag's push never arrived (a lost webhook); an org
// member asks for it.
func promoteTrusted(t *testing.T, w *world) {
	digests, commit := w.release(t, apisnoop, "v1.1.0")
	n := w.comment(t, "alice-token", "Release v1.1.0", "Images are built.\n\n/promote v1.1.0\n")
	body := w.s.AwaitReply(t, apisnoop.Repo, n, 1)
	pr := w.s.CheckPromoted(t, apisnoop, "v1.1.0", commit, digests)
	harness.MustContain(t, "the reply", body, fmt.Sprintf("/pull/%d", pr.Number), digests["snoopdb"])
}

// The tag is staged but has no job runs: a finished run alone would start
// the promotion (a lost push is made up for by the job), and only the
// stranger's comment may be what writes nothing here.
func promoteUntrusted(t *testing.T, w *world) {
	w.stage(t, apisnoop, "v1.1.1")
	w.tag(t, apisnoop, "v1.1.1")
	n := w.comment(t, "mallory-token", "please", "/promote v1.1.1\n")
	harness.MustContain(t, "the refusal", w.s.AwaitReply(t, apisnoop.Repo, n, 1), "only")
	w.s.NothingWritten(t, apisnoop, "v1.1.1")
}

// ---------------------------------------------------------------- jobs

func jobFailure(t *testing.T, w *world) {
	p, tag := apisnoop, "v1.2.0"
	digests, commit := w.prepare(t, p, tag, "failure")
	w.pushTag(t, p, tag)
	if st := w.s.AwaitStage(t, p.Name, tag, promoter.StageFailed, promoter.StagePROpen); st.Stage != promoter.StageFailed {
		t.Fatalf("a failed job's tag reached %s", st.Stage)
	}
	if cs := w.s.AwaitCommitStatus(t, p.Repo, commit, "failure"); !strings.Contains(cs.TargetURL, "prow.k8s.io/view") {
		t.Fatalf("the failure status links %q, not the run", cs.TargetURL)
	}
	if prs := w.s.PromotionPRs(t, p, tag, "all"); len(prs) != 0 {
		t.Fatalf("a PR was opened for a failed job")
	}
	w.jobs(p, tag, commit, "success") // /retest: a newer run
	w.s.AwaitPromoted(t, p, tag, commit, digests)
}

func restartWhileWaiting(t *testing.T, w *world) {
	p, tag := apisnoop, "v1.3.0"
	digests, commit := w.prepare(t, p, tag, "pending")
	w.pushTag(t, p, tag)
	w.s.AwaitStage(t, p.Name, tag, promoter.StageWaitingForJob)
	w.s.P.Stop()
	w.jobs(p, tag, commit, "success")
	w.startPromoter(t)
	w.s.AwaitPromoted(t, p, tag, commit, digests)
}

func singleArch(t *testing.T, w *world) {
	p, tag := apisnoop, "v1.4.0"
	digests, _ := w.prepare(t, p, tag, "success", "linux/amd64")
	w.pushTag(t, p, tag)
	st := w.s.AwaitStage(t, p.Name, tag, promoter.StageFailed, promoter.StagePROpen)
	if st.Stage != promoter.StageFailed {
		t.Fatalf("single-arch images reached %s", st.Stage)
	}
	harness.MustContain(t, "the error", st.Error, "linux/amd64")
	if !strings.Contains(st.Error, digests["snoopdb"]) && !strings.Contains(st.Error, digests["auditlogger"]) {
		t.Errorf("the error names no digest: %s", st.Error)
	}
	w.s.NothingWritten(t, p, tag)
}

// ---------------------------------------------------------------- hook

func pluginHelp(t *testing.T, w *world) {
	resp, err := http.Get(w.hookURL + "/plugin-help")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var help struct {
		ExternalPluginHelp map[string]struct {
			Description string
			Commands    []struct{ Examples []string }
		}
		RepoExternalPlugins map[string][]string
	}
	if err := json.Unmarshal(raw, &help); err != nil {
		t.Fatalf("hook's /plugin-help: %v: %.300s", err, raw)
	}
	h, ok := help.ExternalPluginHelp["promoter"]
	if !ok || h.Description == "" {
		t.Fatalf("no help for promoter in hook's /plugin-help: %.500s", raw)
	}
	var examples []string
	for _, c := range h.Commands {
		examples = append(examples, c.Examples...)
	}
	harness.MustContain(t, "the examples", strings.Join(examples, "\n"), "/promote v", "/promote dry-run")
	harness.MustContain(t, "apisnoop's external plugins", strings.Join(help.RepoExternalPlugins[apisnoop.Repo], " "), "promoter")
}

// badSignatureHook: hook refuses, so promoter never sees it. A good event
// sent after it is the marker: when it has arrived, the bad one would have.
// The tag has no job runs, so only the event itself could start tracking it.
func badSignatureHook(t *testing.T, w *world) {
	before := w.webhooks("push")
	out := w.phony(t, "push", harness.PushEvent(apisnoop.Repo, "v1.5.0", strings.Repeat("b", 40)), "not-the-secret")
	if strings.Contains(out, "Hook sent.") {
		t.Fatalf("hook accepted a bad signature: %s", out)
	}
	marker := harness.PushEvent(apisnoop.Repo, "main-not-a-tag", strings.Repeat("a", 40))
	marker = []byte(strings.Replace(string(marker), "refs/tags/main-not-a-tag", "refs/heads/main", 1))
	w.send(t, "the marker push", "push", marker)
	w.s.Await(t, "the marker push", func() bool { return w.webhooks("push") >= before+1 })
	if n := w.webhooks("push"); n != before+1 {
		t.Fatalf("promoter saw %v pushes, want only the marker", n-before)
	}
	if _, ok := harness.Promotion(w.s.Promoter, apisnoop.Name, "v1.5.0"); ok {
		t.Fatalf("the badly signed push was tracked")
	}
}

func badSignatureDirect(t *testing.T, w *world) {
	body := harness.PushEvent(apisnoop.Repo, "v1.5.0", strings.Repeat("b", 40))
	for _, s := range []string{"not-the-secret", ""} {
		code, err := harness.Send(w.s.Promoter, "push", body, s)
		if err != nil {
			t.Fatal(err)
		}
		if code != http.StatusForbidden {
			t.Fatalf("signature %q: HTTP %d, want 403", s, code)
		}
	}
	if _, ok := harness.Promotion(w.s.Promoter, apisnoop.Name, "v1.5.0"); ok {
		t.Fatalf("a badly signed push was tracked")
	}
}
