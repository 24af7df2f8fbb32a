package promoter

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sirupsen/logrus"

	"sigs.k8s.io/promoter/pkg/promoter/config"
	"sigs.k8s.io/promoter/pkg/promoter/manifest"
	"sigs.k8s.io/promoter/pkg/promoter/pullrequest"
	"sigs.k8s.io/promoter/pkg/promoter/registry"
)

// A merged promotion PR is not the end: kubernetes/k8s.io's promotion job
// (post-k8sio-image-promo) copies the images to production, and nobody
// notices when it does not. promoter watches the production registry until
// every promoted tag resolves to its digest, then says so once on the PR;
// after liveTimeout it says what is missing.

// promoJobRuns is where kubernetes/k8s.io's promotion job's runs are listed.
const promoJobRuns = "https://prow.k8s.io/?job=post-k8sio-image-promo"

// liveMarker marks promoter's one comment on a merged PR.
const liveMarker = "<!-- promoter-live -->"

// watchLive checks the production registry for every promoted tag of a
// merged promotion.
func (c *Controller) watchLive(ctx context.Context, k Key, snap snapshot, prev Status, log *logrus.Entry) (Status, error) {
	st := prev
	st.Stage, st.Error, st.done = StageMerged, "", false
	merged := snap.merged
	st.Merged = &merged
	p := c.config().Project(k.Project)
	if p == nil {
		return st, permanent(fmt.Errorf("project %s is no longer in the config", k.Project))
	}
	if len(st.Images) == 0 {
		return st, permanent(errors.New("promoter does not know what the merged PR promoted (its metadata is gone)"))
	}
	pm, err := c.production(ctx, p)
	if err != nil {
		return st, err
	}
	if len(pm.ProductionPaths) == 0 {
		return st, permanent(fmt.Errorf("%s names no destination %s serves (%s); promoter cannot watch this promotion go live",
			p.PromoterManifestPath(), p.ProductionRegistry, strings.Join(pm.UnmappedDestinations, ", ")))
	}
	var live, missing []string
	for _, img := range st.Images {
		for _, repo := range pm.ProductionRepositories(p.ProductionRegistry, img.Name) {
			ref := repo + ":" + img.Tag
			digest, found, err := c.registry.Lookup(ctx, ref)
			switch {
			case err != nil && !registry.IsTransient(err):
				return st, permanent(err)
			case err != nil:
				return st, err
			case !found:
				missing = append(missing, ref+" is not there yet")
			case digest != img.Digest:
				// registry.k8s.io is immutable: this will not heal.
				return st, permanent(fmt.Errorf("%s resolves to %s, not the promoted %s", ref, digest, img.Digest))
			default:
				live = append(live, ref+"@"+digest)
			}
		}
	}
	st.Production = live
	if len(missing) > 0 {
		limit := c.config().LiveTimeout.Duration
		if c.now().Sub(merged) > limit {
			return st, permanent(fmt.Errorf("not live %s after the PR merged: %s; see the promotion job's runs: %s",
				limit, strings.Join(missing, "; "), promoJobRuns))
		}
		return st, waiting(false, "waiting for the promotion job: %s", strings.Join(missing, "; "))
	}
	st.Stage, st.Note = StageLive, "every promoted tag resolves to its digest on "+p.ProductionRegistry
	c.announce(ctx, st, log)
	promotions.WithLabelValues("live").Inc()
	return st, nil
}

// announce comments once on the merged PR that its images are live. A
// failure is logged: the status already says it.
func (c *Controller) announce(ctx context.Context, st Status, log *logrus.Entry) {
	n := prNumber(st.PR)
	if n == 0 || c.dryRun {
		return
	}
	var b strings.Builder
	b.WriteString("The images this PR promotes are live:\n\n")
	for _, ref := range st.Production {
		fmt.Fprintf(&b, "- `%s`\n", ref)
	}
	b.WriteString("\n" + liveMarker + "\n")
	if err := c.github.Comment(ctx, manifestRepo(c.config()), n, liveMarker, b.String()); err != nil {
		log.WithError(err).Warn("Cannot say on the merged PR that its images are live.")
	}
}

// production is the project's promoter-manifest.yaml, which says where
// production serves its images (e.g. registry.k8s.io/apisnoop). Read once
// per resync period.
func (c *Controller) production(ctx context.Context, p *config.Project) (*manifest.PromoterManifest, error) {
	c.mu.Lock()
	s, ok := c.prods[p.Name]
	c.mu.Unlock()
	if ok && c.now().Sub(s.fetched) < c.config().ResyncPeriod.Duration {
		return s.pm, nil
	}
	cfg := c.config()
	pm, err := c.promoterManifest(ctx, manifestRepo(cfg), cfg.ManifestBranch, p)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.prods[p.Name] = prodCache{pm: pm, fetched: c.now()}
	c.mu.Unlock()
	return pm, nil
}

type prodCache struct {
	pm      *manifest.PromoterManifest
	fetched time.Time
}

// promoterManifest reads and parses the project's promoter-manifest.yaml at
// ref.
func (c *Controller) promoterManifest(ctx context.Context, repo pullrequest.Repo, ref string, p *config.Project) (*manifest.PromoterManifest, error) {
	file := p.PromoterManifestPath()
	src, err := c.github.ReadFile(ctx, repo, file, ref)
	if errors.Is(err, pullrequest.ErrNotFound) {
		return nil, permanent(fmt.Errorf("%s has no %s", repo, file))
	}
	if err != nil {
		return nil, gitHubError(err)
	}
	pm, err := manifest.ParsePromoterManifest(file, src)
	if err != nil {
		return nil, permanent(fmt.Errorf("reading %s: %w", file, err))
	}
	return pm, nil
}

// watching reports whether a PR merged at merged is still watched.
func (c *Controller) watching(merged time.Time) bool {
	return c.now().Sub(merged) <= c.config().LiveTimeout.Duration
}
