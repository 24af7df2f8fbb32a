package promoter_test

import (
	"errors"
	"strings"
	"testing"

	"sigs.k8s.io/promoter/pkg/promoter"
	"sigs.k8s.io/promoter/pkg/promoter/source"
)

// Every branch of /promote, driven through Controller.Comment with the
// conversation in memory and the real stand-in, registry and publisher
// behind the controller. test/e2e runs the same through the binary.

const commandConfig = testConfig + `  - name: auditlogger
  allowedUsers: [carol]
`

// say posts one comment with cmds by user on issue or PR n and returns its
// reply (the first, when several commands are given).
func (f *fixture) say(user string, n int, isPR bool, cmds ...promoter.Command) {
	f.ctl.Comment(promoter.CommentRequest{Org: "kubernetes-sigs", Repo: "apisnoop", Number: n, IsPR: isPR,
		CommentID: 1000 + n, User: user, Commands: cmds})
}

func mustSay(t *testing.T, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("reply %q lacks %q", got, w)
		}
	}
}

func TestCommandRefusals(t *testing.T) {
	f := newFixture(t, commandConfig)
	tests := []struct {
		name  string
		setup func()
		user  string
		isPR  bool
		cmd   promoter.Command
		want  []string
	}{
		{name: "malformed", user: "alice", cmd: promoter.Command{Err: errors.New("unknown option \"--force\"")},
			want: []string{"@alice: ", `unknown option "--force"`}},
		{name: "stranger", user: "mallory", cmd: promoter.Command{Tag: "v0.3.0"},
			want: []string{"@mallory: only members of the kubernetes-sigs organization, collaborators of kubernetes-sigs/apisnoop, the approvers of the project's images in kubernetes/k8s.io (OWNERS) and @carol can use `/promote`"}},
		{name: "trust check fails", user: "alice", cmd: promoter.Command{Tag: "v0.3.0"},
			setup: func() { f.talk.trustErr = errors.New("GitHub is down") },
			want:  []string{"I could not confirm that you may use `/promote`", "GitHub is down", "try again later"}},
		{name: "bare in an issue", user: "alice", cmd: promoter.Command{},
			want: []string{"promotes the builds of a merged pull request; in an issue, use `/promote <git-tag> [image...]`"}},
		{name: "bare, PR unreadable", user: "alice", isPR: true, cmd: promoter.Command{},
			setup: func() { f.talk.pullErr = errors.New("502 Bad Gateway") },
			want:  []string{"could not read this pull request", "502 Bad Gateway"}},
		{name: "bare on an open PR", user: "alice", isPR: true, cmd: promoter.Command{},
			setup: func() { f.talk.pulls[7] = source.PullState{Open: true} },
			want:  []string{"not merged yet"}},
		{name: "bare on a closed PR", user: "alice", isPR: true, cmd: promoter.Command{},
			setup: func() { f.talk.pulls[7] = source.PullState{} },
			want:  []string{"closed without merging, so nothing was built"}},
		{name: "tag lookup fails", user: "alice", cmd: promoter.Command{Tag: "v0.3.0"},
			setup: func() { f.talk.tagErr = errors.New("timeout") },
			want:  []string{"could not look up tag `v0.3.0`", "timeout"}},
		{name: "no such tag", user: "alice", cmd: promoter.Command{Tag: "v9.9.9"},
			setup: func() { f.talk.missing["v9.9.9"] = true },
			want:  []string{"there is no tag `v9.9.9` in kubernetes-sigs/apisnoop; push the tag first"}},
		{name: "not a release tag", user: "carol", cmd: promoter.Command{Tag: "release-1.0"},
			want: []string{"tag `release-1.0` is not a release tag of any project of this repository (apisnoop: `^v\\d+\\.\\d+\\.\\d+$`)"}},
		{name: "image not released", user: "alice", cmd: promoter.Command{Tag: "v0.3.0", Images: []string{"nope"}},
			want: []string{"tag `v0.3.0` does not release an image `nope` of project apisnoop (it releases `snoopdb`, `auditlogger`)"}},
		{name: "image missing from staging", user: "alice", cmd: promoter.Command{Tag: "v0.8.0"},
			want: []string{"`v0.8.0` was not promoted: image snoopdb is not in staging yet"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f.talk.mu.Lock()
			f.talk.trustErr, f.talk.tagErr, f.talk.pullErr = nil, nil, nil
			f.talk.mu.Unlock()
			if tc.setup != nil {
				f.talk.mu.Lock()
				tc.setup()
				f.talk.mu.Unlock()
			}
			n := 5
			if tc.isPR {
				n = 7
			}
			f.say(tc.user, n, tc.isPR, tc.cmd)
			mustSay(t, f.talk.reply(t), tc.want...)
		})
	}
	if n := len(f.openPRs()); n != 0 {
		t.Errorf("refused commands opened %d PRs", n)
	}
	f.talk.noReply(t)
	f.talk.mu.Lock()
	defer f.talk.mu.Unlock()
	if len(f.talk.reactions) != len(tests) {
		t.Errorf("%d reactions for %d comments", len(f.talk.reactions), len(tests))
	}
}

func TestCommandPromotesAndPreviews(t *testing.T) {
	f := newFixture(t, commandConfig)
	snoop := f.pushIndex("v20261124-v0.3.0")
	audit, err := f.reg.PushIndex("k8s-staging-apisnoop/auditlogger", "v20261124-v0.3.0", "linux/amd64", "linux/arm64")
	if err != nil {
		t.Fatal(err)
	}

	f.say("alice", 5, false, promoter.Command{DryRun: true, Tag: "v0.3.0"})
	preview := f.talk.reply(t)
	mustSay(t, preview, "dry run: this is the PR I would open on kubernetes/k8s.io, from branch `apisnoop-v0.3.0-image-promotion`",
		"+    \""+snoop+"\": [\"v0.3.0\"]", "+    \""+audit+"\": [\"v0.3.0\"]")
	if strings.Contains(preview, "promoter-metadata") {
		t.Error("the preview carries the PR's hidden metadata")
	}
	if n := len(f.openPRs()); n != 0 {
		t.Fatalf("the dry run opened %d PRs", n)
	}

	f.say("alice", 5, false, promoter.Command{Tag: "v0.3.0", Images: []string{"auditlogger"}})
	mustSay(t, f.talk.reply(t), "the promotion PR for `v0.3.0` is open: https://github.com/kubernetes/k8s.io/pull/1", audit)
	got := f.branchFile(f.openPRs()[0].Head.Ref)
	if !strings.Contains(got, audit) || strings.Contains(got, snoop) {
		t.Errorf("want auditlogger's digest only:\n%s", got)
	}

	f.say("alice", 5, false, promoter.Command{Tag: "v0.3.0"})
	mustSay(t, f.talk.reply(t), "is open: https://github.com/kubernetes/k8s.io/pull/1")
	if got := f.branchFile(f.openPRs()[0].Head.Ref); !strings.Contains(got, snoop) || !strings.Contains(got, audit) {
		t.Errorf("the refreshed PR must hold both:\n%s", got)
	}
}

func TestCommandPromotesMergedPR(t *testing.T) {
	f := newFixture(t, commandConfig)
	merge := commitOf("merge")
	// A big repository's image-builder tags: 10 digits, not 7.
	snoop := f.pushIndex("v20261124-v0.3.0-4-g" + merge[:10])
	f.talk.pulls[9] = source.PullState{Merged: true, MergeSHA: merge}
	f.say("alice", 9, true, promoter.Command{Images: []string{"snoopdb"}})
	reply := f.talk.reply(t)
	mustSay(t, reply, "the promotion PR for `"+merge[:7]+"` is open", snoop, "as `v20261124-v0.3.0-4-g"+merge[:10]+"`")
	if prs := f.openPRs(); len(prs) != 1 || prs[0].Head.Ref != "apisnoop-"+merge[:7]+"-image-promotion" {
		t.Fatalf("PRs: %+v", prs)
	}
	f.talk.mu.Lock()
	defer f.talk.mu.Unlock()
	if len(f.talk.statuses) != 0 {
		t.Errorf("a merged PR's promotion set commit statuses %v; its reply is the report", f.talk.statuses)
	}
}
