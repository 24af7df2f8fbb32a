package promoter

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sirupsen/logrus"

	"sigs.k8s.io/promoter/pkg/promoter/config"
	"sigs.k8s.io/promoter/pkg/promoter/manifest"
	"sigs.k8s.io/promoter/pkg/promoter/pullrequest"
	"sigs.k8s.io/promoter/pkg/promoter/registry"
)

// resolved is one image's staging build and the tag it is promoted as.
type resolved struct {
	release config.ImageRelease
	build   registry.Build
}

// promoted is the tag written into images.yaml: the configured one, or for
// a merged PR's builds the staging tag itself.
func (r resolved) promoted() string {
	if r.release.PromotedTag == "" {
		return r.build.Tag
	}
	return r.release.PromotedTag
}

// reconcile brings one promotion to its goal: read the release from config,
// wait for its image jobs, resolve the staging builds, check them, edit
// images.yaml, and publish the PR. Every step is safe to repeat.
func (c *Controller) reconcile(ctx context.Context, k Key, log *logrus.Entry) error {
	pl, err := c.plan(ctx, k, c.tracker, log)
	if err != nil {
		return err
	}
	if pl == nil {
		promotions.WithLabelValues("already-promoted").Inc()
		return nil
	}
	if c.dryRun {
		return c.dryRunReport(k, log, pl.prop, pl.old)
	}
	out, err := c.github.Publish(ctx, pl.prop)
	if err != nil {
		return err
	}
	c.published(k, log, out, pl.jobs)
	return nil
}

// planned is a promotion worked out up to the PR, not yet published.
type planned struct {
	prop pullrequest.Proposal
	old  []byte // images.yaml before the edit
	jobs jobCheck
}

// plan does everything short of writing: release, jobs, builds, checks and
// the edit. Progress is recorded in tr (a scratch tracker for a preview). It
// returns nil, nil when images.yaml already has everything.
func (c *Controller) plan(ctx context.Context, k Key, tr *Tracker, log *logrus.Entry) (*planned, error) {
	cfg := c.config()
	p := cfg.Project(k.Project)
	if p == nil {
		return nil, permanent(fmt.Errorf("project %s is no longer in the config", k.Project))
	}
	st, _ := tr.Get(k)
	rel, err := release(p, k.Tag, st.commit, st.only)
	if err != nil {
		return nil, err
	}
	repo := pullrequest.Repo{Org: owner(cfg.ManifestRepo), Name: name(cfg.ManifestRepo), Branch: cfg.ManifestBranch}
	jc, err := c.checkJobs(k, tr, p, rel)
	if err != nil {
		return nil, err
	}
	tr.update(k, func(s *Status) { s.Stage, s.Note = StageResolving, jc.note })

	base, err := c.github.Head(repo)
	if err != nil {
		return nil, err
	}
	builds, err := c.resolve(ctx, repo, base, p, rel)
	if err != nil {
		return nil, err
	}
	record(tr, k, builds)
	if err := checkPlatforms(p, builds); err != nil {
		return nil, permanent(err)
	}
	old, res, err := c.edit(ctx, repo, base, p, builds)
	if err != nil {
		return nil, err
	}
	if !res.Changed() {
		log.Info("Already promoted: images.yaml has every digest and tag.")
		tr.update(k, func(s *Status) { s.Stage, s.Error = StageAlreadyPromoted, "" })
		return nil, nil
	}
	return &planned{prop: proposal(cfg, repo, base, p, rel, builds, res, jc), old: old, jobs: jc}, nil
}

// release is what the tag releases, limited to the named images when a
// /promote names some.
func release(p *config.Project, tag, commit string, only []string) (config.Release, error) {
	rel, err := p.Release(tag, "")
	if commit != "" {
		rel, err = p.ReleaseCommit(commit)
	}
	if err != nil {
		return rel, permanent(err)
	}
	if len(rel.Images) == 0 {
		return rel, permanent(fmt.Errorf("git tag %s does not match any image's gitTags pattern of project %s", tag, p.Name))
	}
	if len(only) == 0 {
		return rel, nil
	}
	var kept []config.ImageRelease
	for _, img := range rel.Images {
		if slices.Contains(only, img.Name) {
			kept = append(kept, img)
		}
	}
	if len(kept) == 0 {
		return rel, permanent(fmt.Errorf("tag %s releases none of %s", tag, strings.Join(only, ", ")))
	}
	rel.Images = kept
	return rel, nil
}

// resolve finds every image's staging build. An image not in staging yet is
// a wait: the image job may still be running.
func (c *Controller) resolve(ctx context.Context, repo pullrequest.Repo, base string, p *config.Project, rel config.Release) ([]resolved, error) {
	root, err := c.stagingRegistry(ctx, repo, base, p)
	if err != nil {
		return nil, err
	}
	var out []resolved
	for _, img := range rel.Images {
		repository, err := registry.Join(root, img.Name)
		if err != nil {
			return nil, permanent(err)
		}
		b, err := c.registry.Resolve(ctx, repository, img.StagingTag)
		switch {
		case errors.Is(err, registry.ErrNoMatchingTag):
			return nil, &waitError{msg: fmt.Sprintf("image %s is not in staging yet: %v", img.Name, err)}
		case err != nil && !registry.IsTransient(err):
			return nil, permanent(err)
		case err != nil:
			return nil, err
		}
		out = append(out, resolved{release: img, build: b})
	}
	return out, nil
}

// staging is a cached staging registry root read from promoter-manifest.yaml.
type staging struct {
	root    string
	fetched time.Time
}

// stagingRegistry is the project's configured registry, or the src registry
// of its promoter-manifest.yaml (re-read once per resync period).
func (c *Controller) stagingRegistry(ctx context.Context, repo pullrequest.Repo, base string, p *config.Project) (string, error) {
	if p.StagingRegistry != "" {
		return p.StagingRegistry, nil
	}
	c.mu.Lock()
	s, ok := c.stagings[p.Name]
	c.mu.Unlock()
	if ok && time.Since(s.fetched) < c.config().ResyncPeriod.Duration {
		return s.root, nil
	}
	path := p.PromoterManifestPath()
	src, err := c.github.ReadFile(ctx, repo, path, base)
	if errors.Is(err, pullrequest.ErrNotFound) {
		return "", permanent(fmt.Errorf("no stagingRegistry in the config and %s has no %s to read it from", repo, path))
	}
	if err != nil {
		return "", err
	}
	pm, err := manifest.ParsePromoterManifest(path, src)
	if err != nil {
		return "", permanent(fmt.Errorf("reading the staging registry from %s: %w", path, err))
	}
	c.mu.Lock()
	c.stagings[p.Name] = staging{root: pm.Source, fetched: time.Now()}
	c.mu.Unlock()
	return pm.Source, nil
}

// checkPlatforms refuses a single-arch build where the project requires
// multi-arch images, naming what was found.
func checkPlatforms(p *config.Project, builds []resolved) error {
	if !p.RequireMultiArch {
		return nil
	}
	var bad []string
	for _, b := range builds {
		if !b.build.MultiArch() {
			bad = append(bad, fmt.Sprintf("%s:%s (%s) has only %s",
				b.build.Repository, b.build.Tag, b.build.Digest, strings.Join(orUnknown(b.build.Platforms), ", ")))
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("project %s requires multi-arch images, but %s; rebuild them for several platforms (an index), or set requireMultiArch: false", p.Name, strings.Join(bad, "; "))
	}
	return nil
}

// edit adds the builds to images.yaml as it is at base.
func (c *Controller) edit(ctx context.Context, repo pullrequest.Repo, base string, p *config.Project, builds []resolved) ([]byte, *manifest.Result, error) {
	old, err := c.github.ReadFile(ctx, repo, p.ManifestPath, base)
	if errors.Is(err, pullrequest.ErrNotFound) {
		old = nil // a project's first promotion creates the file
	} else if err != nil {
		return nil, nil, err
	}
	m, err := manifest.Parse(old)
	if err != nil {
		return nil, nil, permanent(fmt.Errorf("%s in %s at %.12s cannot be edited: %w", p.ManifestPath, repo, base, err))
	}
	ps := make([]manifest.Promotion, len(builds))
	for i, b := range builds {
		ps[i] = manifest.Promotion{Image: b.release.Name, Digest: b.build.Digest, Tags: []string{b.promoted()}}
	}
	res, err := m.Add(ps...)
	if err != nil {
		return nil, nil, permanent(fmt.Errorf("cannot promote into %s: %w", p.ManifestPath, err))
	}
	return old, res, nil
}

func proposal(cfg *config.Config, repo pullrequest.Repo, base string, p *config.Project, rel config.Release, builds []resolved, res *manifest.Result, jc jobCheck) pullrequest.Proposal {
	ev := pullrequest.Evidence{
		Project: p.Name, GitTag: rel.GitTag, Commit: rel.Commit, SourceRepo: p.Repo, ManifestPath: p.ManifestPath,
		Reviewers: p.Reviewers, Changes: res.Summary(), Note: jc.note,
	}
	var lines []string
	for _, b := range builds {
		ie := pullrequest.ImageEvidence{
			Name: b.release.Name, Repository: b.build.Repository, Digest: b.build.Digest,
			StagingTag: b.build.Tag, PromotedTag: b.promoted(), Platforms: b.build.Platforms,
			Index: b.build.Index, Job: b.release.Job, JobURL: jc.byImage[b.release.Name],
		}
		for _, po := range b.build.PassedOver {
			ie.PassedOver = append(ie.PassedOver, pullrequest.Build{Tag: po.Tag, Digest: po.Digest})
		}
		ev.Images = append(ev.Images, ie)
		lines = append(lines, fmt.Sprintf("- %s %s: %s (staging tag %s)", b.release.Name, b.promoted(), b.build.Digest, b.build.Tag))
	}
	title := pullrequest.Title(p.Name, rel.GitTag)
	return pullrequest.Proposal{
		Base: repo, BaseSHA: base, Branch: pullrequest.BranchName(p.Name, rel.GitTag),
		Path: p.ManifestPath, Content: res.Content, Title: title, Body: pullrequest.Body(ev),
		Message: title + "\n\n" + strings.Join(lines, "\n") + "\n",
	}
}

func record(tr *Tracker, k Key, builds []resolved) {
	imgs := make([]Image, len(builds))
	for i, b := range builds {
		imgs[i] = Image{Name: b.release.Name, Digest: b.build.Digest, StagingTag: b.build.Tag, Tag: b.promoted(), Platforms: b.build.Platforms}
	}
	tr.update(k, func(s *Status) { s.Images = imgs })
}

func (c *Controller) published(k Key, log *logrus.Entry, out pullrequest.Outcome, jc jobCheck) {
	outcome := "pr-unchanged"
	switch {
	case out.Created:
		outcome = "pr-opened"
	case out.Pushed || out.Edited:
		outcome = "pr-refreshed"
	}
	promotions.WithLabelValues(outcome).Inc()
	if out.Created && !jc.doneAt.IsZero() {
		jobToPR.Observe(time.Since(jc.doneAt).Seconds())
	}
	log.WithFields(logrus.Fields{"pr": out.URL, "outcome": outcome}).Info("Promotion PR is open.")
	c.tracker.update(k, func(s *Status) { s.Stage, s.PR, s.Error, s.Note = StagePROpen, out.URL, "", "" })
}

// dryRunReport logs what would be proposed and writes nothing.
func (c *Controller) dryRunReport(k Key, log *logrus.Entry, prop pullrequest.Proposal, old []byte) error {
	promotions.WithLabelValues("dry-run").Inc()
	log.WithFields(logrus.Fields{
		"branch": prop.Branch, "title": prop.Title, "diff": manifest.Diff(prop.Path, old, prop.Content),
	}).Info("Dry run: would open this promotion PR.")
	c.tracker.update(k, func(s *Status) {
		s.Error, s.Note, s.dryRun = "", "dry run: the PR was not opened; its diff is in the log", true
	})
	return nil
}

func owner(repo string) string { o, _, _ := strings.Cut(repo, "/"); return o }
func name(repo string) string  { _, n, _ := strings.Cut(repo, "/"); return n }

func orUnknown(ps []string) []string {
	if len(ps) == 0 {
		return []string{"an unknown platform"}
	}
	return ps
}
