package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"sigs.k8s.io/promoter/pkg/promoter"
	"sigs.k8s.io/promoter/test/harness"
)

const (
	finalBranches = "nothing half-written: every branch in the bot's fork is one open PR's, with the change"
	finalSecrets  = "no log line of any process holds the GitHub token or the HMAC secret"
)

func cases() []testCase {
	m := time.Minute
	return []testCase{
		{"tag push through hook opens one PR", m, tagPush},
		{"repeat push and redelivery keep one PR, no new commit", m, redelivery},
		{"/promote by an org member opens the PR and replies", m, promoteTrusted},
		{"/promote by a stranger is refused, nothing written", m, promoteUntrusted},
		{"job failure: failure status, no PR; the rerun's success opens it", m, jobFailure},
		{"restart while waiting for the job: one PR", m, restartWhileWaiting},
		{"single-arch image with requireMultiArch: refused, no PR", m, singleArch},
		{"plugin help through hook's /plugin-help", m, pluginHelp},
		{"bad signature through hook: refused, never forwarded", m, badSignatureHook},
		{"bad signature straight at promoter: 403", m, badSignatureDirect},
		{"GitHub 500s on reading images.yaml", m, github500},
		{"GitHub 502s on GraphQL", m, github502},
		{"GitHub 403 secondary rate limit with Retry-After on opening the PR", m, githubSecondaryLimit},
		{"GitHub slow: every call takes 1.5 s", 2 * m, githubSlow},
		{"GitHub hangs for one project: the other is promoted meanwhile", 2 * m, githubHang},
		{"GraphQL commit fails after the branch was created: no orphan branch, then one PR", m, commitAfterRef},
		{"registry 503s", m, registry5xx},
		{"registry 429s with Retry-After", m, registry429},
		{"registry hangs for one project: the other is promoted meanwhile", 2 * m, registryHang},
		{"registry down for a while (server stopped, connections refused)", 2 * m, registryDown},
		{finalBranches, m, noHalfWritten},
		{finalSecrets, m, noSecrets},
	}
}

// ---------------------------------------------------------------- the flow

func tagPush(ctx context.Context, e *env) error {
	digests, commit, err := e.release(apisnoop, "v1.0.0")
	if err != nil {
		return err
	}
	return e.pushAndPromote(ctx, apisnoop, "v1.0.0", commit, digests)
}

// redelivery sends the same push three times (phony's delivery id is always
// GUID, as a redelivery's is the original's) and waits until promoter has
// acknowledged all three and settled.
func redelivery(ctx context.Context, e *env) error {
	p, tag := apisnoop, "v1.0.0"
	head := e.forkBranch(p, tag)
	if head == "" {
		return fmt.Errorf("the first case left no branch for %s", tag)
	}
	before, since := e.webhooks("push"), time.Now()
	for i := 0; i < 3; i++ {
		if err := e.pushTag(p, tag); err != nil {
			return err
		}
	}
	if err := e.await(ctx, "three push deliveries", func() bool { return e.webhooks("push") >= before+3 }); err != nil {
		return err
	}
	err := e.await(ctx, "the redelivered round to settle", func() bool {
		st, _ := harness.Promotion(e.s.Promoter, p.name, tag)
		return st.Updated.After(since) && st.Stage == promoter.StagePROpen
	})
	if err != nil {
		return err
	}
	prs, err := e.prs(p, tag)
	if err != nil {
		return err
	}
	if len(prs) != 1 {
		return fmt.Errorf("%d PRs for %s after redelivery, want 1", len(prs), tag)
	}
	if now := e.forkBranch(p, tag); now != head {
		return fmt.Errorf("redelivery pushed to the branch: %.12s -> %.12s", head, now)
	}
	return nil
}

// ---------------------------------------------------------------- /promote

// comment writes a comment as the token's user on a new issue and delivers
// its issue_comment event through hook. It returns the issue number.
func (e *env) comment(token, title, body string) (int, error) {
	is, err := harness.CreateIssue(e.s.GitHub, apisnoop.repo, "alice-token", title)
	if err != nil {
		return 0, err
	}
	c, err := harness.CreateComment(e.s.GitHub, apisnoop.repo, token, is.Number, body)
	if err != nil {
		return 0, err
	}
	out, err := e.phony("issue_comment", harness.CommentEvent(apisnoop.repo, is.Number, false, c, "created"), e.s.Secret)
	if err != nil {
		return 0, err
	}
	if !strings.Contains(out, "Hook sent.") {
		return 0, fmt.Errorf("hook refused the comment: %s", out)
	}
	return is.Number, nil
}

// reply waits for promoter's first comment on issue n.
func (e *env) reply(ctx context.Context, n int) (string, error) {
	var body string
	err := e.await(ctx, fmt.Sprintf("promoter's reply on #%d", n), func() bool {
		cs, _ := harness.Comments(e.s.GitHub, apisnoop.repo, n)
		for _, c := range cs {
			if c.User.Login == bot {
				body = c.Body
				return true
			}
		}
		return false
	})
	return body, err
}

// promoteTrusted: the tag's push never arrived (a lost webhook); an org
// member asks for it.
func promoteTrusted(ctx context.Context, e *env) error {
	digests, commit, err := e.release(apisnoop, "v1.1.0")
	if err != nil {
		return err
	}
	n, err := e.comment("alice-token", "Release v1.1.0", "Images are built.\n\n/promote v1.1.0\n")
	if err != nil {
		return err
	}
	body, err := e.reply(ctx, n)
	if err != nil {
		return err
	}
	pr, err := e.promoted(ctx, apisnoop, "v1.1.0", commit, digests)
	if err != nil {
		return err
	}
	return has(body, fmt.Sprintf("/pull/%d", pr.Number), digests["snoopdb"])
}

// The tag is staged but has no job runs: a finished run alone would start
// the promotion (a lost push is made up for by the job), and only the
// stranger's comment may be what writes nothing here.
func promoteUntrusted(ctx context.Context, e *env) error {
	if _, err := e.stage(apisnoop, "v1.1.1"); err != nil {
		return err
	}
	if _, err := e.tag(apisnoop, "v1.1.1"); err != nil {
		return err
	}
	n, err := e.comment("mallory-token", "please", "/promote v1.1.1\n")
	if err != nil {
		return err
	}
	body, err := e.reply(ctx, n)
	if err != nil {
		return err
	}
	if err := has(body, "only"); err != nil {
		return err
	}
	return e.nothingWritten(apisnoop, "v1.1.1")
}

// ---------------------------------------------------------------- jobs

func jobFailure(ctx context.Context, e *env) error {
	p, tag := apisnoop, "v1.2.0"
	digests, commit, err := e.prepare(p, tag, "failure")
	if err != nil {
		return err
	}
	if err := e.pushTag(p, tag); err != nil {
		return err
	}
	st, err := e.settled(ctx, p, tag, promoter.StageFailed, promoter.StagePROpen)
	if err != nil {
		return err
	}
	if st.Stage != promoter.StageFailed {
		return fmt.Errorf("a failed job's tag reached %s", st.Stage)
	}
	cs, err := e.awaitStatus(ctx, p, commit, "failure")
	if err != nil {
		return err
	}
	if !strings.Contains(cs.TargetURL, "prow.k8s.io/view") {
		return fmt.Errorf("the failure status links %q, not the run", cs.TargetURL)
	}
	if prs, _ := e.prs(p, tag); len(prs) != 0 {
		return fmt.Errorf("a PR was opened for a failed job")
	}
	e.jobs(p, tag, commit, "success") // /retest: a newer run
	return e.awaitPromoted(ctx, p, tag, commit, digests)
}

func restartWhileWaiting(ctx context.Context, e *env) error {
	p, tag := apisnoop, "v1.3.0"
	digests, commit, err := e.prepare(p, tag, "pending")
	if err != nil {
		return err
	}
	if err := e.pushTag(p, tag); err != nil {
		return err
	}
	if _, err := e.settled(ctx, p, tag, promoter.StageWaitingForJob); err != nil {
		return err
	}
	e.s.P.Stop()
	e.jobs(p, tag, commit, "success")
	if err := e.startPromoter(ctx); err != nil {
		return err
	}
	return e.awaitPromoted(ctx, p, tag, commit, digests)
}

func singleArch(ctx context.Context, e *env) error {
	p, tag := apisnoop, "v1.4.0"
	digests, _, err := e.prepare(p, tag, "success", "linux/amd64")
	if err != nil {
		return err
	}
	if err := e.pushTag(p, tag); err != nil {
		return err
	}
	st, err := e.settled(ctx, p, tag, promoter.StageFailed, promoter.StagePROpen)
	if err != nil {
		return err
	}
	if st.Stage != promoter.StageFailed {
		return fmt.Errorf("single-arch images reached %s", st.Stage)
	}
	if err := has(st.Error, "linux/amd64"); err != nil {
		return err
	}
	if !strings.Contains(st.Error, digests["snoopdb"]) && !strings.Contains(st.Error, digests["auditlogger"]) {
		return fmt.Errorf("the error names no digest: %s", st.Error)
	}
	return e.nothingWritten(p, tag)
}

// ---------------------------------------------------------------- hook

func pluginHelp(ctx context.Context, e *env) error {
	resp, err := http.Get(e.hookURL + "/plugin-help")
	if err != nil {
		return err
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
		return fmt.Errorf("hook's /plugin-help: %v: %.300s", err, raw)
	}
	h, ok := help.ExternalPluginHelp["promoter"]
	if !ok || h.Description == "" {
		return fmt.Errorf("no help for promoter in hook's /plugin-help: %.500s", raw)
	}
	var examples []string
	for _, c := range h.Commands {
		examples = append(examples, c.Examples...)
	}
	if err := has(strings.Join(examples, "\n"), "/promote v", "/promote dry-run"); err != nil {
		return err
	}
	return has(strings.Join(help.RepoExternalPlugins["kubernetes-sigs/apisnoop"], " "), "promoter")
}

// badSignatureHook: hook refuses, so promoter never sees it. A good event
// sent after it is the marker: when it has arrived, the bad one would have.
// The tag has no job runs, so only the event itself could start tracking it.
func badSignatureHook(ctx context.Context, e *env) error {
	before := e.webhooks("push")
	out, err := e.phony("push", harness.PushEvent(apisnoop.repo, "v1.5.0", strings.Repeat("b", 40)), "not-the-secret")
	if err != nil {
		return err
	}
	if strings.Contains(out, "Hook sent.") {
		return fmt.Errorf("hook accepted a bad signature: %s", out)
	}
	marker := harness.PushEvent(apisnoop.repo, "main-not-a-tag", strings.Repeat("a", 40))
	marker = []byte(strings.Replace(string(marker), "refs/tags/main-not-a-tag", "refs/heads/main", 1))
	if out, err := e.phony("push", marker, e.s.Secret); err != nil || !strings.Contains(out, "Hook sent.") {
		return fmt.Errorf("the marker push: %v %s", err, out)
	}
	if err := e.await(ctx, "the marker push", func() bool { return e.webhooks("push") >= before+1 }); err != nil {
		return err
	}
	if n := e.webhooks("push"); n != before+1 {
		return fmt.Errorf("promoter saw %v pushes, want only the marker", n-before)
	}
	if _, ok := harness.Promotion(e.s.Promoter, apisnoop.name, "v1.5.0"); ok {
		return fmt.Errorf("the badly signed push was tracked")
	}
	return nil
}

func badSignatureDirect(ctx context.Context, e *env) error {
	body := harness.PushEvent(apisnoop.repo, "v1.5.0", strings.Repeat("b", 40))
	for _, s := range []string{"not-the-secret", ""} {
		code, err := harness.Send(e.s.Promoter, "push", body, s)
		if err != nil {
			return err
		}
		if code != http.StatusForbidden {
			return fmt.Errorf("signature %q: HTTP %d, want 403", s, code)
		}
	}
	if _, ok := harness.Promotion(e.s.Promoter, apisnoop.name, "v1.5.0"); ok {
		return fmt.Errorf("a badly signed push was tracked")
	}
	return nil
}
