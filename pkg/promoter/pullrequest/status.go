package pullrequest

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"sigs.k8s.io/prow/pkg/github"
)

// StatusContext is the commit status promoter sets on a tagged commit.
const StatusContext = "promotion"

// CommitStatus is what the `promotion` status says.
type CommitStatus struct {
	State       string // pending, success, failure, error
	Description string // cut to GitHub's 140 characters
	URL         string // the PR, or the failed job's run
}

// SetStatus reports on the commit a tag points at (an annotated tag is
// dereferenced to its commit: statuses live on commits).
func (p *Publisher) SetStatus(ctx context.Context, org, repo, tag string, s CommitStatus) error {
	sha, err := p.tagCommit(org, repo, tag)
	if err != nil {
		return err
	}
	p.count("CreateStatus")
	err = p.gh.CreateStatus(org, repo, sha, github.Status{
		State: s.State, TargetURL: s.URL, Description: cut(s.Description, 140), Context: StatusContext,
	})
	if err != nil {
		return fmt.Errorf("setting the %s status on %s/%s@%.12s: %w", StatusContext, org, repo, sha, err)
	}
	return nil
}

// tagCommit resolves tag to its commit once; a tag that moves is a new
// release's problem, not this one's.
func (p *Publisher) tagCommit(org, repo, tag string) (string, error) {
	key := org + "/" + repo + "@" + tag
	p.mu.Lock()
	sha, ok := p.tags[key]
	p.mu.Unlock()
	if ok {
		return sha, nil
	}
	p.count("GetSingleCommit")
	c, err := p.gh.GetSingleCommit(org, repo, tag)
	if err != nil {
		return "", fmt.Errorf("finding the commit of tag %s in %s/%s: %w", tag, org, repo, err)
	}
	p.mu.Lock()
	p.tags[key] = c.SHA
	p.mu.Unlock()
	return c.SHA, nil
}

// Open is one open promotion PR, read back from its hidden metadata.
type Open struct {
	Metadata
	Number int
	URL    string
}

// OpenPromotions lists the bot's open promotion PRs on r, so a restarted
// promoter knows them without redoing them.
func (p *Publisher) OpenPromotions(ctx context.Context, r Repo) ([]Open, error) {
	bot, err := p.botLogin()
	if err != nil {
		return nil, err
	}
	p.count("GetPullRequests")
	prs, err := p.gh.GetPullRequests(r.Org, r.Name)
	if err != nil {
		return nil, fmt.Errorf("listing open PRs of %s: %w", r, err)
	}
	var out []Open
	for _, pr := range prs {
		if !strings.EqualFold(pr.User.Login, bot) && !strings.EqualFold(pr.Head.Repo.Owner.Login, bot) {
			continue
		}
		if m, ok := ParseMetadata(pr.Body); ok && pr.Head.Ref == BranchName(m.Project, m.Tag) {
			out = append(out, Open{Metadata: m, Number: pr.Number, URL: p.prURL(r, pr.Number)})
		}
	}
	return out, nil
}

func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n-3]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s + "..."
}
