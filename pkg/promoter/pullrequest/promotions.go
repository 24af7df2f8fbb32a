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
	Number   int
	URL      string
	State    string // StateOpen, StateClosed or StateMerged
	ClosedBy string // who closed it, for StateClosed (when GitHub says)
	Updated  time.Time
	MergedAt time.Time
}

// maxPages bounds one listing: 100 PRs a page.
const maxPages = 20

// PRs are the PRs on the manifest repository that promoter's state is
// rebuilt from.
type PRs struct {
	// Ours are the bot's promotion PRs: every open one, and those closed or
	// merged since the time asked (newest first).
	Ours []Promotion
	// Others are the other open PRs: people's, perhaps promoting the same
	// digests.
	Others []OpenPR
}

// Promotions lists the PRs of r: the bot's (open, and closed or merged
// since the given time, so a restarted promoter sees a PR a reviewer closed
// as well as the open ones) and everyone else's open ones. It costs one
// call per 100 open PRs plus one per 100 recently closed, and one to ask who
// closed each of the bot's closed PRs.
func (p *Publisher) Promotions(ctx context.Context, r Repo, since time.Time) (PRs, error) {
	var out PRs
	for _, state := range []string{"open", "closed"} {
		for page := 1; page <= maxPages; page++ {
			prs, err := p.rest.listPulls(ctx, r, state, page)
			if err != nil {
				return PRs{}, named(fmt.Errorf("listing %s PRs of %s: %w", state, r, err))
			}
			older := false
			for _, pr := range prs {
				if state == "closed" && pr.UpdatedAt.Before(since) {
					older = true
					break
				}
				pm, ours := p.promotion(r, pr)
				switch {
				case ours && pm.State == StateClosed:
					pm.ClosedBy = p.closedBy(ctx, r, pm.Number)
					out.Ours = append(out.Ours, pm)
				case ours:
					out.Ours = append(out.Ours, pm)
				case state == "open" && !p.isBot(pr):
					out.Others = append(out.Others, OpenPR{Number: pr.Number, URL: p.prURL(r, pr.Number), Author: pr.User.Login, HeadSHA: pr.Head.SHA})
				}
			}
			if older || len(prs) < perPage {
				break
			}
		}
	}
	return out, nil
}

func (p *Publisher) isBot(pr PullRequest) bool {
	return strings.EqualFold(pr.User.Login, p.bot) || strings.EqualFold(pr.Head.Repo.Owner.Login, p.bot)
}

// promotion reads one PR of ours; ok is false for others' PRs and for ours
// whose metadata a human removed.
func (p *Publisher) promotion(r Repo, pr PullRequest) (Promotion, bool) {
	if !p.isBot(pr) {
		return Promotion{}, false
	}
	m, ok := ParseMetadata(pr.Body)
	if !ok || pr.Head.Ref != BranchName(m.Project, m.Tag) {
		return Promotion{}, false
	}
	pm := Promotion{Metadata: m, Number: pr.Number, URL: p.prURL(r, pr.Number), State: StateOpen, Updated: pr.UpdatedAt}
	switch {
	case pr.MergedAt != nil:
		pm.State, pm.MergedAt = StateMerged, *pr.MergedAt
	case pr.State == "closed":
		pm.State = StateClosed
	}
	return pm, true
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
