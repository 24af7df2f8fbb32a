package promoter

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"sigs.k8s.io/promoter/pkg/promoter/config"
	"sigs.k8s.io/promoter/pkg/promoter/manifest"
	"sigs.k8s.io/promoter/pkg/promoter/pullrequest"
	"sigs.k8s.io/promoter/pkg/promoter/registry"
	"sigs.k8s.io/promoter/pkg/promoter/source"
)

// plan is a promotion worked out from what the job source, the registry
// and GitHub say now, up to the PR, not yet published. A plan that stopped
// early (an error) still carries what it saw, for the status.
type plan struct {
	release config.Release
	jobs    jobCheck
	base    string // the manifest branch's head the edit is made against
	builds  []resolved
	old     []byte // images.yaml before the edit
	result  *manifest.Result
	prop    pullrequest.Proposal
	// covered is someone else's open PR that adds every digest already;
	// overlaps are those that add some.
	covered  *pullrequest.OpenPR
	overlaps []overlap
}

// promoted reports that images.yaml already has every digest and tag.
func (pl *plan) promoted() bool { return pl.result != nil && !pl.result.Changed() }

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

// planMode: a real attempt stops at the first wait; a preview goes on past
// a wait for a job to show the PR the promotion would open once it is over.
type planMode int

const (
	forReal planMode = iota
	forPreview
)

// plan does everything short of writing, for one snapshot of the request:
// the release and its commit, the image jobs, the staging builds, the
// checks and the edit. It writes nothing anywhere.
func (c *Controller) plan(ctx context.Context, k Key, snap snapshot, mode planMode) (*plan, error) {
	pl := &plan{}
	cfg := c.config()
	p := cfg.Project(k.Project)
	if p == nil {
		return pl, permanent(fmt.Errorf("project %s is no longer in the config", k.Project))
	}
	var err error
	if pl.release, err = c.release(ctx, p, k.Tag, snap); err != nil {
		return pl, err
	}
	if pl.jobs, err = c.checkJobs(p, pl.release, snap.since); err != nil {
		return pl, err
	}
	if len(pl.jobs.waiting) > 0 && mode == forReal {
		return pl, waiting(true, "waiting: %s", strings.Join(pl.jobs.waiting, "; "))
	}
	repo := manifestRepo(cfg)
	if pl.base, err = c.github.Head(ctx, repo); err != nil {
		return pl, gitHubError(err)
	}
	if pl.builds, err = c.resolve(ctx, repo, pl.base, p, pl.release); err != nil {
		return pl, err
	}
	for _, check := range []func() error{
		func() error { return checkPlatforms(p, pl.builds) },
		func() error { return checkProvenance(pl.release, pl.builds) },
		func() error { return checkSignatures(p, pl.builds) },
	} {
		if err := check(); err != nil {
			return pl, permanent(err)
		}
	}
	if pl.old, pl.result, err = c.edit(ctx, repo, pl.base, p, pl.builds); err != nil {
		return pl, err
	}
	if !pl.promoted() {
		pl.covered, pl.overlaps = c.coverage(p, pl.builds)
		pl.prop = proposal(repo, pl, p)
	}
	return pl, nil
}

// release is what the key releases: a tag's images (the tagged commit
// resolved, for images built from it wherever it landed), or a merged PR's
// builds; limited to the images the request names.
func (c *Controller) release(ctx context.Context, p *config.Project, tag string, snap snapshot) (config.Release, error) {
	var rel config.Release
	var err error
	if snap.commit != "" {
		rel, err = p.ReleaseCommit(snap.commit)
	} else {
		commit := snap.tagCommit
		if commit == "" {
			if commit, err = c.tagCommit(ctx, p, tag); err != nil {
				return rel, err
			}
		}
		rel, err = p.Release(tag, commit)
	}
	if err != nil {
		return rel, permanent(err)
	}
	if len(rel.Images) == 0 {
		return rel, permanent(fmt.Errorf("git tag %s does not match any image's gitTags pattern of project %s", tag, p.Name))
	}
	for _, img := range rel.Images {
		if img.StagingTag == nil {
			return rel, permanent(fmt.Errorf("image %s is built from the tagged commit, and promoter cannot look up which commit %s is without GitHub access to %s", img.Name, tag, p.Repo))
		}
	}
	return only(rel, tag, snap.only)
}

// tagCommit is the commit the tag points at; "" without a source
// repository to ask (then only tag-built images can be promoted).
func (c *Controller) tagCommit(ctx context.Context, p *config.Project, tag string) (string, error) {
	if c.source == nil {
		return "", nil
	}
	sha, err := c.source.TagCommit(ctx, owner(p.Repo), name(p.Repo), tag)
	if errors.Is(err, source.ErrNoSuchTag) {
		return "", permanent(fmt.Errorf("there is no tag %s in %s: push the tag first", tag, p.Repo))
	}
	return sha, gitHubError(err)
}

func only(rel config.Release, tag string, images []string) (config.Release, error) {
	if len(images) == 0 {
		return rel, nil
	}
	var kept []config.ImageRelease
	for _, img := range rel.Images {
		if slices.Contains(images, img.Name) {
			kept = append(kept, img)
		}
	}
	if len(kept) == 0 {
		return rel, permanent(fmt.Errorf("tag %s releases none of %s", tag, strings.Join(images, ", ")))
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
			return nil, waiting(false, "image %s is not in staging yet: %w", img.Name, err)
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
	if ok && c.now().Sub(s.fetched) < c.config().ResyncPeriod.Duration {
		return s.root, nil
	}
	pm, err := c.promoterManifest(ctx, repo, base, p)
	if err != nil {
		return "", fmt.Errorf("no stagingRegistry in the config, so %w", err)
	}
	c.mu.Lock()
	c.stagings[p.Name] = staging{root: pm.Source, fetched: c.now()}
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
		return nil, nil, gitHubError(err)
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

// warnings are what a reviewer should know that did not stop the
// promotion: quirks kept in images.yaml and platforms a build leaves out.
func (pl *plan) warnings() []string {
	var out []string
	for _, b := range pl.builds {
		if b.build.PlatformNote != "" {
			out = append(out, fmt.Sprintf("%s %s: %s", b.release.Name, b.build.Tag, b.build.PlatformNote))
		}
	}
	if pl.result != nil {
		for _, w := range pl.result.Manifest.Warnings {
			out = append(out, "images.yaml "+w.String())
		}
	}
	return out
}

func proposal(repo pullrequest.Repo, pl *plan, p *config.Project) pullrequest.Proposal {
	rel := pl.release
	ev := pullrequest.Evidence{
		Project: p.Name, GitTag: rel.GitTag, Commit: rel.Commit, Merged: rel.Merged, SourceRepo: p.Repo,
		ManifestPath: p.ManifestPath, Reviewers: p.Reviewers, Changes: pl.result.Summary(), Note: pl.jobs.note,
		Warnings: pl.warnings(),
	}
	for _, o := range pl.overlaps {
		ev.Overlaps = append(ev.Overlaps, o.String())
	}
	if p.StagingSignatures == config.SignaturesWarn {
		if ev.Attached = attached(pl.builds); len(ev.Attached) > 0 {
			ev.AttachedNote = cipNote
		}
	}
	var lines []string
	for _, b := range pl.builds {
		ie := pullrequest.ImageEvidence{
			Name: b.release.Name, Repository: b.build.Repository, Digest: b.build.Digest,
			StagingTag: b.build.Tag, PromotedTag: b.promoted(), Platforms: b.build.Platforms,
			Index: b.build.Index, Job: b.release.Job, JobURL: pl.jobs.byImage[b.release.Name],
			ByCommit: b.release.ByCommit, Revision: b.build.Revision, Source: b.build.Source,
		}
		for _, po := range b.build.PassedOver {
			ie.PassedOver = append(ie.PassedOver, pullrequest.Build{Tag: po.Tag, Digest: po.Digest})
		}
		ev.Images = append(ev.Images, ie)
		lines = append(lines, fmt.Sprintf("- %s %s: %s (staging tag %s)", b.release.Name, b.promoted(), b.build.Digest, b.build.Tag))
	}
	title := pullrequest.Title(p.Name, rel.GitTag)
	return pullrequest.Proposal{
		Base: repo, BaseSHA: pl.base, Branch: pullrequest.BranchName(p.Name, rel.GitTag),
		Path: p.ManifestPath, Content: pl.result.Content, Title: title, Body: pullrequest.Body(ev),
		Message: title + "\n\n" + strings.Join(lines, "\n") + "\n",
	}
}

// record copies what the plan saw into the status.
func (pl *plan) record(st *Status) {
	st.Commit = pl.release.Commit
	st.Jobs = append([]string{}, pl.jobs.urls...)
	if pl.jobs.note != "" {
		st.Note = pl.jobs.note
	}
	if len(pl.builds) > 0 {
		st.Images = make([]Image, len(pl.builds))
		for i, b := range pl.builds {
			img := Image{Name: b.release.Name, Digest: b.build.Digest, StagingTag: b.build.Tag, Tag: b.promoted(), Platforms: b.build.Platforms}
			for _, po := range b.build.PassedOver {
				img.PassedOver = append(img.PassedOver, po.Tag+"@"+po.Digest)
			}
			st.Images[i] = img
		}
	}
	st.Warnings = pl.warnings()
}

func manifestRepo(cfg *config.Config) pullrequest.Repo {
	return pullrequest.Repo{Org: owner(cfg.ManifestRepo), Name: name(cfg.ManifestRepo), Branch: cfg.ManifestBranch}
}

func owner(repo string) string { o, _, _ := strings.Cut(repo, "/"); return o }
func name(repo string) string  { _, n, _ := strings.Cut(repo, "/"); return n }

func orUnknown(ps []string) []string {
	if len(ps) == 0 {
		return []string{"an unknown platform"}
	}
	return ps
}
