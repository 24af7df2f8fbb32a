package promoter

import (
	"context"
	"fmt"
	"slices"
	"sort"

	"sigs.k8s.io/promoter/pkg/promoter/config"
	"sigs.k8s.io/promoter/pkg/promoter/pullrequest"
)

// People open promotion PRs by hand too, sometimes two for one tag
// (cluster-api did four times). promoter keeps an index of what the other
// open PRs on the manifest repository add, refreshed by the resync: a PR
// is read again only when its head moved (one call), so a steady resync
// costs nothing beyond the PR list it makes anyway, and a promotion costs
// no call at all. A PR opened since the last resync is not seen yet.

// humanPR is what one open PR of someone else's adds.
type humanPR struct {
	pullrequest.OpenPR
	added []pullrequest.Added
}

// maxReadsPerResync bounds the PRs read in one resync (the newest first);
// the rest are read by the next ones.
const maxReadsPerResync = 30

// indexOthers refreshes the index from the other open PRs of a resync.
func (c *Controller) indexOthers(ctx context.Context, repo pullrequest.Repo, open []pullrequest.OpenPR) {
	c.mu.Lock()
	known := c.humans
	c.mu.Unlock()
	next := make(map[int]humanPR, len(open))
	reads := 0
	for _, pr := range open {
		if h, ok := known[pr.Number]; ok && h.HeadSHA == pr.HeadSHA {
			next[pr.Number] = h
			continue
		}
		if reads == maxReadsPerResync {
			continue
		}
		reads++
		added, err := c.github.AddedDigests(ctx, repo, pr.Number)
		if err != nil {
			c.log.WithError(err).WithField("pr", pr.URL).Warn("Cannot read what an open PR adds; the next resync tries again.")
			continue
		}
		next[pr.Number] = humanPR{OpenPR: pr, added: added}
	}
	c.mu.Lock()
	c.humans = next
	c.mu.Unlock()
}

// overlap is an open PR of someone else's that adds some of a promotion's
// digests.
type overlap struct {
	pr     pullrequest.OpenPR
	images []string
}

// coverage finds the other open PRs that add the same digests, with the
// promoted tag, for the same images of the same images.yaml. covered is one
// that adds all of them; overlaps are those adding some.
func (c *Controller) coverage(p *config.Project, builds []resolved) (covered *pullrequest.OpenPR, overlaps []overlap) {
	c.mu.Lock()
	prs := make([]humanPR, 0, len(c.humans))
	for _, h := range c.humans {
		prs = append(prs, h)
	}
	c.mu.Unlock()
	sort.Slice(prs, func(i, j int) bool { return prs[i].Number < prs[j].Number })
	for _, h := range prs {
		var images []string
		for _, b := range builds {
			if h.adds(p.ManifestPath, b) {
				images = append(images, b.release.Name)
			}
		}
		switch {
		case len(images) == 0:
		case len(images) == len(builds):
			pr := h.OpenPR
			return &pr, nil
		default:
			overlaps = append(overlaps, overlap{pr: h.OpenPR, images: images})
		}
	}
	return nil, overlaps
}

// adds reports whether the PR adds b's digest to path, under b's image (when
// the diff shows which) and with b's promoted tag (when the line shows tags).
func (h humanPR) adds(path string, b resolved) bool {
	return slices.ContainsFunc(h.added, func(a pullrequest.Added) bool {
		return a.Path == path && a.Digest == b.build.Digest &&
			(a.Image == "" || a.Image == b.release.Name) &&
			(len(a.Tags) == 0 || slices.Contains(a.Tags, b.promoted()))
	})
}

func (o overlap) String() string {
	return fmt.Sprintf("%s by @%s also adds %v", o.pr.URL, o.pr.Author, o.images)
}
