package promoter

import (
	"context"
	"errors"
	"path"
	"time"

	"github.com/sirupsen/logrus"

	"sigs.k8s.io/promoter/pkg/promoter/config"
	"sigs.k8s.io/promoter/pkg/promoter/owners"
	"sigs.k8s.io/promoter/pkg/promoter/pullrequest"
)

// approverList is a project's approvers, read from kubernetes/k8s.io.
type approverList struct {
	logins  []string
	fetched time.Time
}

// approvers are the approvers of the projects' images in the manifest
// repository (registry.k8s.io/images/<dir>/OWNERS): the people who approve
// their promotion PRs anyway may ask for one. Each file is read at most once
// per resync period; a file that cannot be read adds no one.
func (c *Controller) approvers(ctx context.Context, projects []*config.Project, log *logrus.Entry) []string {
	cfg := c.config()
	repo := manifestRepo(cfg)
	var out []string
	for _, p := range projects {
		c.mu.Lock()
		cached, ok := c.owners[p.Name]
		c.mu.Unlock()
		if !ok || c.now().Sub(cached.fetched) >= cfg.ResyncPeriod.Duration {
			file := path.Join(path.Dir(p.ManifestPath), "OWNERS")
			b, err := c.github.ReadFile(ctx, repo, file, cfg.ManifestBranch)
			switch {
			case errors.Is(err, pullrequest.ErrNotFound):
			case err != nil:
				log.WithError(err).WithField("file", file).Warn("Cannot read the project's OWNERS; its approvers are not trusted by name this time.")
				continue
			default:
				if cached.logins, err = owners.Approvers(b); err != nil {
					log.WithError(err).WithField("file", file).Warn("Cannot read the project's OWNERS.")
				}
			}
			cached.fetched = c.now()
			c.mu.Lock()
			c.owners[p.Name] = cached
			c.mu.Unlock()
		}
		out = append(out, cached.logins...)
	}
	return out
}
