package harness

import (
	"os/exec"
	"strings"
	"testing"

	"sigs.k8s.io/promoter/pkg/promoter"
	"sigs.k8s.io/promoter/test/fakegithub/server"
)

// What promoter wrote, read through the stand-in's API and with git on its
// bare repositories.

const (
	// Bot is who promoter is on the stand-in: any token the access file
	// does not name.
	Bot = server.DefaultBotLogin
	// ManifestRepo is where promotion PRs go; the bot's fork of it holds
	// their branches.
	ManifestRepo = "kubernetes/k8s.io"
)

// Project is what the checks need to know of a configured project.
type Project struct {
	Name, Repo string
	Images     string            // its images.yaml in kubernetes/k8s.io
	Jobs       map[string]string // image -> its postsubmit job
}

// Apisnoop is the project both end-to-end suites configure, seeded by
// SeedManifestRepo and SeedSourceRepo.
var Apisnoop = Project{Name: "apisnoop", Repo: "kubernetes-sigs/apisnoop", Images: ImagesPath,
	Jobs: map[string]string{"snoopdb": "apisnoop-push-snoopdb-images", "auditlogger": "apisnoop-push-auditlogger-images"}}

// Branch is the branch in the bot's fork that promotes tag.
func (p Project) Branch(tag string) string { return p.Name + "-" + tag + "-image-promotion" }

// PromotionPRs are the PRs in state ("open", "closed", "all") from tag's
// promotion branch.
func (s *Stack) PromotionPRs(t testing.TB, p Project, tag, state string) []PR {
	t.Helper()
	all, err := PRs(s.GitHub, ManifestRepo, state)
	if err != nil {
		t.Fatal(err)
	}
	var out []PR
	for _, pr := range all {
		if pr.Head.Ref == p.Branch(tag) {
			out = append(out, pr)
		}
	}
	return out
}

// Git runs git on one of the stand-in's bare repositories and returns its
// trimmed output; git failing fails t.
func (s *Stack) Git(t testing.TB, owner, repo string, args ...string) string {
	t.Helper()
	out, err := s.git(owner, repo, args...)
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func (s *Stack) git(owner, repo string, args ...string) (string, error) {
	out, err := exec.Command("git", append([]string{"--git-dir", server.RepoPath(s.Root, owner, repo)}, args...)...).CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// ForkBranch is the commit branch points at in the bot's fork, "" when
// there is no such branch.
func (s *Stack) ForkBranch(branch string) string {
	sha, err := s.git(Bot, "k8s.io", "rev-parse", "--verify", "--quiet", "refs/heads/"+branch)
	if err != nil {
		return ""
	}
	return sha
}

// BranchDiff is what branch changes against base in the bot's fork, in
// paths when any are given: only the added and removed lines, in order.
func (s *Stack) BranchDiff(t testing.TB, base, branch string, paths ...string) string {
	t.Helper()
	out := s.Git(t, Bot, "k8s.io", append([]string{"diff", "--unified=0", base, "refs/heads/" + branch, "--"}, paths...)...)
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		if (strings.HasPrefix(l, "+") || strings.HasPrefix(l, "-")) && !strings.HasPrefix(l, "+++") && !strings.HasPrefix(l, "---") {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n")
}

// digestLine is the images.yaml line that promotes digest as tag.
func digestLine(digest, tag string) string { return `+    "` + digest + `": ["` + tag + `"]` }

// CheckPromoted checks the whole result of one promotion: one PR, open,
// from tag's branch; the branch changes only p's images.yaml against the
// fork's main, adding every digest under tag; and, when commit is given,
// the tagged commit's `promotion` status is (or becomes) success.
func (s *Stack) CheckPromoted(t testing.TB, p Project, tag, commit string, digests map[string]string) PR {
	t.Helper()
	prs := s.PromotionPRs(t, p, tag, "all")
	if len(prs) != 1 || prs[0].State != "open" {
		t.Fatalf("want one open PR for %s %s, found %d: %+v", p.Name, tag, len(prs), prs)
	}
	if files := s.Git(t, Bot, "k8s.io", "diff", "--name-only", "refs/heads/main", "refs/heads/"+p.Branch(tag)); files != p.Images {
		t.Fatalf("the branch changes %q, want only %s", files, p.Images)
	}
	diff := s.BranchDiff(t, "refs/heads/main", p.Branch(tag))
	for img, d := range digests {
		if !strings.Contains(diff, digestLine(d, tag)) {
			t.Fatalf("the diff lacks %s's %s for %s:\n%s", img, d, tag, diff)
		}
	}
	if commit != "" {
		s.AwaitCommitStatus(t, p.Repo, commit, "success")
	}
	return prs[0]
}

// AwaitPromoted waits for tag's promotion to show pr-open (through any
// failed attempts) and checks its result (see CheckPromoted).
func (s *Stack) AwaitPromoted(t testing.TB, p Project, tag, commit string, digests map[string]string) PR {
	t.Helper()
	s.AwaitStage(t, p.Name, tag, promoter.StagePROpen)
	return s.CheckPromoted(t, p, tag, commit, digests)
}

// NothingWritten checks that tag has no PR, in any state, and no branch in
// the fork.
func (s *Stack) NothingWritten(t testing.TB, p Project, tag string) {
	t.Helper()
	prs := s.PromotionPRs(t, p, tag, "all")
	if b := s.ForkBranch(p.Branch(tag)); len(prs) != 0 || b != "" {
		t.Fatalf("something was written for %s %s: %d PRs, branch %q", p.Name, tag, len(prs), b)
	}
}

// MustContain checks got holds every one of wants; what names got in the
// failure.
func MustContain(t testing.TB, what, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, got)
		}
	}
}
