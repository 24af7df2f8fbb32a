package pullrequest

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// PR states as Promotions reports them.
const (
	StateOpen   = "open"
	StateClosed = "closed" // closed without merging
	StateMerged = "merged"
)

// Promotion is one PR of the bot's, read back from its hidden metadata.
type Promotion struct {
	Metadata
	Number  int
	URL     string
	State   string // StateOpen, StateClosed or StateMerged
	Updated time.Time
}

// maxPages bounds one listing: 100 PRs a page.
const maxPages = 20

// Promotions lists the bot's promotion PRs on r: every open one, and those
// closed or merged since the given time (newest first), so a restarted
// promoter sees a PR a reviewer closed as well as the open ones. It costs
// one call per 100 open PRs plus one per 100 recently closed.
func (p *Publisher) Promotions(ctx context.Context, r Repo, since time.Time) ([]Promotion, error) {
	var out []Promotion
	for _, state := range []string{"open", "closed"} {
		for page := 1; page <= maxPages; page++ {
			prs, err := p.rest.listPulls(ctx, r, state, page)
			if err != nil {
				return nil, named(fmt.Errorf("listing %s PRs of %s: %w", state, r, err))
			}
			older := false
			for _, pr := range prs {
				if state == "closed" && pr.UpdatedAt.Before(since) {
					older = true
					break
				}
				if pm, ok := p.promotion(r, pr); ok {
					out = append(out, pm)
				}
			}
			if older || len(prs) < perPage {
				break
			}
		}
	}
	return out, nil
}

// promotion reads one PR of ours; ok is false for others' PRs and for ours
// whose metadata a human removed.
func (p *Publisher) promotion(r Repo, pr PullRequest) (Promotion, bool) {
	if !strings.EqualFold(pr.User.Login, p.bot) && !strings.EqualFold(pr.Head.Repo.Owner.Login, p.bot) {
		return Promotion{}, false
	}
	m, ok := ParseMetadata(pr.Body)
	if !ok || pr.Head.Ref != BranchName(m.Project, m.Tag) {
		return Promotion{}, false
	}
	state := StateOpen
	switch {
	case pr.MergedAt != nil:
		state = StateMerged
	case pr.State == "closed":
		state = StateClosed
	}
	return Promotion{Metadata: m, Number: pr.Number, URL: p.prURL(r, pr.Number), State: state, Updated: pr.UpdatedAt}, true
}

const perPage = 100

// listPulls reads one page of r's PRs in state (open or closed), the most
// recently updated first.
func (r *REST) listPulls(ctx context.Context, repo Repo, state string, page int) ([]PullRequest, error) {
	q := url.Values{"state": {state}, "sort": {"updated"}, "direction": {"desc"},
		"per_page": {fmt.Sprint(perPage)}, "page": {fmt.Sprint(page)}}
	path := fmt.Sprintf("/repos/%s/%s/pulls?%s", repo.Org, repo.Name, q.Encode())
	var prs []PullRequest
	_, err := r.do(ctx, "ListPullRequests", http.MethodGet, path, nil, "", &prs)
	return prs, err
}
