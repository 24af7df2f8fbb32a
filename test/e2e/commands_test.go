package e2e

import (
	"strings"
	"testing"

	"sigs.k8s.io/promoter/test/fakegithub/server"
	"sigs.k8s.io/promoter/test/harness"
)

// commandsEnv has a source-repo issue where maintainers and others comment.
type commandsEnv struct {
	*env
	issue int
	isPR  bool
}

func newCommandsEnv(t *testing.T) *commandsEnv {
	t.Helper()
	e := newEnv(t)
	err := server.WriteAccess(e.s.Root, server.Access{
		Tokens: map[string]string{"alice-token": "alice", "bob-token": "bob", "carol-token": "carol", "mallory-token": "mallory", "trent-token": "trent"},
		// The bot is a member with write access: GitHub tells only such a
		// requester who else is a (private) member or a collaborator.
		Orgs:          map[string][]string{"kubernetes-sigs": {"alice", bot}},
		Collaborators: map[string]map[string]string{source: {"bob": "write", "carol": "read", bot: "write"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	e.start()
	is, err := harness.CreateIssue(e.s.GitHub, source, "alice-token", "Release v0.3.0")
	if err != nil {
		t.Fatal(err)
	}
	return &commandsEnv{env: e, issue: is.Number}
}

// say comments as the token's user and delivers the webhook GitHub would.
func (e *commandsEnv) say(token, body string) harness.Comment {
	e.t.Helper()
	c, err := harness.CreateComment(e.s.GitHub, source, token, e.issue, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if code, err := harness.Send(e.s.Promoter, "issue_comment", harness.CommentEvent(source, e.issue, e.isPR, c, "created"), secret); err != nil || code != 200 {
		e.t.Fatalf("webhook: %d %v", code, err)
	}
	return c
}

// awaitReply waits for promoter's reply number n (1-based) on the issue.
func (e *commandsEnv) awaitReply(n int) string {
	e.t.Helper()
	return e.s.AwaitReply(e.t, source, e.issue, n)
}

func (e *commandsEnv) awaitReaction(c harness.Comment) {
	e.t.Helper()
	e.s.Await(e.t, "the eyes reaction", func() bool {
		rs, _ := harness.Reactions(e.s.GitHub, source, c.ID)
		return len(rs) == 1 && rs[0] == "eyes"
	})
}

func TestPromoteByAMember(t *testing.T) {
	e := newCommandsEnv(t)
	digest := e.pushIndex("snoopdb", "v20261124-v0.3.0")
	e.tag("v0.3.0", false)
	c := e.say("alice-token", "Released!\n/promote v0.3.0")
	e.awaitReaction(c)
	harness.MustContain(t, "the reply", e.awaitReply(1), "@alice: the promotion PR for `v0.3.0` is open: https://github.com/kubernetes/k8s.io/pull/1", digest)
	if n := len(e.prFor("v0.3.0")); n != 1 {
		t.Fatalf("want one PR, got %d", n)
	}
	// Asking again refreshes the same PR and says so.
	e.say("alice-token", "/promote v0.3.0")
	harness.MustContain(t, "the second reply", e.awaitReply(2), "pull/1")
	if n := len(e.openPRs()); n != 1 {
		t.Errorf("want one PR, got %d", n)
	}
}

func TestPromoteRefusedForUntrustedUsers(t *testing.T) {
	e := newCommandsEnv(t)
	e.pushIndex("snoopdb", "v20261124-v0.3.0")
	e.tag("v0.3.0", false)
	for i, token := range []string{"mallory-token", "trent-token"} {
		c := e.say(token, "/promote v0.3.0")
		e.awaitReaction(c)
		user := strings.TrimSuffix(token, "-token")
		harness.MustContain(t, "the refusal", e.awaitReply(i+1), "@"+user+": only members of the kubernetes-sigs organization, collaborators of kubernetes-sigs/apisnoop and the approvers of the project's images in kubernetes/k8s.io (OWNERS) can use `/promote`.")
	}
	if n := len(e.openPRs()); n != 0 {
		t.Errorf("an untrusted /promote opened %d PRs", n)
	}
	e.s.NothingWritten(t, harness.Apisnoop, "v0.3.0")
	if s, ok := harness.CommitStatus(e.s.GitHub, source, "v0.3.0", "promotion"); ok {
		t.Errorf("an untrusted /promote set a status: %+v", s)
	}
}

func TestPromoteDryRunByACollaborator(t *testing.T) {
	e := newCommandsEnv(t)
	digest := e.pushIndex("snoopdb", "v20261124-v0.3.0")
	e.tag("v0.3.0", false)
	e.say("bob-token", "/promote dry-run v0.3.0")
	reply := e.awaitReply(1)
	t.Logf("dry-run reply:\n%s", reply)
	harness.MustContain(t, "the dry-run reply", reply, "@bob: dry run", "```diff", `+    "`+digest+`": ["v0.3.0"]`, "Image promotion for apisnoop v0.3.0", "`/cc @hh @bobymcbobs`")
	if strings.Contains(reply, "promoter-metadata") {
		t.Error("the dry-run reply carries the PR's hidden metadata")
	}
	if n := len(e.openPRs()); n != 0 {
		t.Errorf("a dry run opened %d PRs", n)
	}
	e.s.NothingWritten(t, harness.Apisnoop, "v0.3.0")
}

func TestPromoteRefusals(t *testing.T) {
	e := newCommandsEnv(t)
	e.pushIndex("snoopdb", "v20261124-v0.3.0")
	e.tag("v0.3.0", false)
	e.tag("release-1.0", false)
	if _, err := e.reg.PushImage("k8s-staging-apisnoop/auditlogger", "v20261124-auditlogger-0.3.0", "linux/amd64"); err != nil {
		t.Fatal(err)
	}
	e.tag("auditlogger-0.3.0", false)
	e.tag("v0.8.0", false) // never built
	cases := []struct{ say, want string }{
		{"/promote v0.8.0", "`v0.8.0` was not promoted: image snoopdb is not in staging yet"},
		{"/promote v9.9.9", "there is no tag `v9.9.9` in kubernetes-sigs/apisnoop"},
		{"/promote release-1.0", "tag `release-1.0` is not a release tag of any project of this repository"},
		{"/promote v0.3.0 auditlogger", "tag `v0.3.0` does not release an image `auditlogger`"},
		{"/promote auditlogger-0.3.0", "was not promoted: project apisnoop requires multi-arch images"},
		{"/promote v1;rm", "v1;rm"},
		{"/promote --force v0.3.0", "--force"},
		{"/promote", "`/promote` alone promotes the builds of a merged pull request; in an issue, use `/promote <git-tag> [image...]`."},
	}
	for i, tc := range cases {
		e.say("alice-token", tc.say)
		reply := e.awaitReply(i + 1)
		t.Logf("%s -> %s", tc.say, reply)
		harness.MustContain(t, "the reply to "+tc.say, reply, "@alice: ", tc.want)
	}
	// Quoted or fenced commands are not commands: no reaction, no reply.
	quiet := []harness.Comment{
		e.say("alice-token", "> /promote v0.3.0\nas someone said"),
		e.say("alice-token", "```\n/promote v0.3.0\n```"),
	}
	// A command that does run, after them, shows they were passed over.
	e.say("alice-token", "/promote v9.9.8")
	harness.MustContain(t, "the last reply", e.awaitReply(len(cases)+1), "v9.9.8")
	for _, c := range quiet {
		if rs, _ := harness.Reactions(e.s.GitHub, source, c.ID); len(rs) != 0 {
			t.Errorf("a quoted or fenced command got reactions %v", rs)
		}
	}
	if n := len(e.openPRs()); n != 0 {
		t.Errorf("refused commands opened %d PRs", n)
	}
	if refs := e.s.Git(t, bot, "k8s.io", "for-each-ref", "--format=%(refname)", "refs/heads/"); refs != "refs/heads/main" {
		t.Errorf("refused commands left branches in the fork (want only main):\n%s", refs)
	}
	for _, tag := range []string{"v0.3.0", "release-1.0", "v0.8.0"} {
		if s, ok := harness.CommitStatus(e.s.GitHub, source, tag, "promotion"); ok && s.State != "failure" {
			t.Errorf("a refused command on %s set a %s status", tag, s.State)
		}
	}
}

func TestPromoteMergedPR(t *testing.T) {
	e := newCommandsEnv(t)
	if _, err := server.Commit(e.s.Root, "kubernetes-sigs", "apisnoop", "fix", map[string][]byte{"fix.txt": []byte("fix\n")}, "A fix"); err != nil {
		t.Fatal(err)
	}
	pr, err := harness.CreatePR(e.s.GitHub, source, "alice-token", "fix", "main", "A fix")
	if err != nil {
		t.Fatal(err)
	}
	e.issue, e.isPR = pr.Number, true
	e.say("alice-token", "/promote")
	harness.MustContain(t, "the reply on an open PR", e.awaitReply(1), "@alice: this pull request is not merged yet")

	// A PR closed without merging built nothing to promote.
	if _, err := server.Commit(e.s.Root, "kubernetes-sigs", "apisnoop", "try", map[string][]byte{"try.txt": []byte("try\n")}, "A try"); err != nil {
		t.Fatal(err)
	}
	closed, err := harness.CreatePR(e.s.GitHub, source, "alice-token", "try", "main", "Another try")
	if err == nil {
		err = harness.ClosePR(e.s.GitHub, source, "alice-token", closed.Number)
	}
	if err != nil {
		t.Fatal(err)
	}
	e.issue = closed.Number
	e.say("alice-token", "/promote")
	harness.MustContain(t, "the reply on a closed PR", e.awaitReply(1), "@alice: this pull request was closed without merging")
	e.issue = pr.Number

	if err := harness.MergePR(e.s.GitHub, source, pr.Number); err != nil {
		t.Fatal(err)
	}
	sha, err := harness.MergeCommit(e.s.GitHub, source, pr.Number)
	if err != nil {
		t.Fatal(err)
	}
	// A big repository's describe abbreviates to 10 digits, not 7.
	stagingTag := "v20261124-v0.2.0-3-g" + sha[:10]
	digest := e.pushIndex("snoopdb", stagingTag)
	if _, err := e.reg.PushIndex("k8s-staging-apisnoop/auditlogger", stagingTag, "linux/amd64", "linux/arm64"); err != nil {
		t.Fatal(err)
	}
	e.say("alice-token", "/promote snoopdb")
	// "/promote snoopdb" names a tag, not the bare form: it is refused.
	harness.MustContain(t, "the reply", e.awaitReply(2), "there is no tag `snoopdb`")
	e.say("alice-token", "/promote")
	reply := e.awaitReply(3)
	harness.MustContain(t, "the reply on a merged PR", reply, "@alice: the promotion PR for `"+sha[:7]+"` is open", digest, "as `"+stagingTag+"`")
	prs := e.prFor(sha[:7])
	if len(prs) != 1 || prs[0].Title != "Image promotion for apisnoop "+sha[:7] {
		t.Fatalf("want one PR titled for the commit, got %+v", prs)
	}
	if got, want := e.branchDiff(prs[0].Head.Ref), `+    "`+digest+`": ["`+stagingTag+`"]`; !strings.Contains(got, want) {
		t.Errorf("branch diff:\n%s\nwant the line:\n%s", got, want)
	}
}

func TestPromoteAllowedUsersAndTeams(t *testing.T) {
	config := strings.Replace(configYAML, "  reviewers: [hh, bobymcbobs]\n",
		"  reviewers: [hh, bobymcbobs]\n  allowedUsers: [dave]\n  allowedTeams: [kubernetes-sigs/apisnoop-maintainers]\n", 1)
	e := &commandsEnv{env: newEnvConfig(t, config)}
	err := server.WriteAccess(e.s.Root, server.Access{
		Tokens:        map[string]string{"alice-token": "alice", "dave-token": "dave", "erin-token": "erin", "mallory-token": "mallory"},
		Orgs:          map[string][]string{"kubernetes-sigs": {"alice", bot}}, // see newCommandsEnv
		Teams:         map[string][]string{"kubernetes-sigs/apisnoop-maintainers": {"erin"}},
		Collaborators: map[string]map[string]string{source: {bot: "write"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	e.start()
	is, err := harness.CreateIssue(e.s.GitHub, source, "alice-token", "Release")
	if err != nil {
		t.Fatal(err)
	}
	e.issue = is.Number
	e.pushIndex("snoopdb", "v20261124-v0.3.0")
	e.tag("v0.3.0", false)
	e.say("dave-token", "/promote dry-run v0.3.0")
	harness.MustContain(t, "an allowed user's reply", e.awaitReply(1), "@dave: dry run")
	e.say("erin-token", "/promote dry-run v0.3.0")
	harness.MustContain(t, "an allowed team member's reply", e.awaitReply(2), "@erin: dry run")
	e.say("mallory-token", "/promote v0.3.0")
	harness.MustContain(t, "the refusal", e.awaitReply(3), "@mallory: only members of the kubernetes-sigs organization, collaborators of kubernetes-sigs/apisnoop, the approvers of the project's images in kubernetes/k8s.io (OWNERS), @dave and members of the team @kubernetes-sigs/apisnoop-maintainers can use `/promote`.")
}

// Trust as it works on real GitHub for a bot outside the source repo's org
// (coredns, kubernetes-sigs...): GitHub answers such a bot's membership
// checks with a redirect to the public members, and its permission checks
// with 403. An org member is trusted by the webhook's author_association,
// an approver of the project's images in kubernetes/k8s.io by OWNERS, with
// no membership at all; a stranger is refused, and the reply says the
// API checks could not all be made.
func TestTrustWithTheBotOutsideTheOrg(t *testing.T) {
	e := newEnv(t)
	err := server.WriteAccess(e.s.Root, server.Access{
		Tokens: map[string]string{"alice-token": "alice", "spiffxp-token": "spiffxp", "mallory-token": "mallory"},
		Orgs:   map[string][]string{"kubernetes-sigs": {"alice"}}, // private membership; the bot is not a member
	})
	if err != nil {
		t.Fatal(err)
	}
	e.start()
	is, err := harness.CreateIssue(e.s.GitHub, source, "alice-token", "Release v0.3.0")
	if err != nil {
		t.Fatal(err)
	}
	c := &commandsEnv{env: e, issue: is.Number}
	e.pushIndex("snoopdb", "v20261124-v0.3.0")
	e.tag("v0.3.0", false)

	c.say("alice-token", "/promote dry-run v0.3.0")
	harness.MustContain(t, "an org member's reply", c.awaitReply(1), "@alice: dry run: this is the PR I would open")
	c.say("spiffxp-token", "/promote dry-run v0.3.0") // an approver in registry.k8s.io/images/k8s-staging-apisnoop/OWNERS
	harness.MustContain(t, "an OWNERS approver's reply", c.awaitReply(2), "@spiffxp: dry run: this is the PR I would open")
	c.say("mallory-token", "/promote v0.3.0")
	harness.MustContain(t, "a stranger's reply", c.awaitReply(3), "@mallory: I could not confirm that you may use `/promote`: only members of the kubernetes-sigs organization",
		"approvers of the project's images in kubernetes/k8s.io (OWNERS)", "Must have push access")
	if n := len(e.openPRs()); n != 0 {
		t.Errorf("%d PRs opened; the commands were dry runs and a refusal", n)
	}
}
