package config

import (
	"fmt"
	"regexp"
	"strings"
	"text/template"

	"sigs.k8s.io/promoter/pkg/promoter/manifest"
)

// Release is what one git tag of the source repository releases for one
// project: the images whose gitTags pattern matches it.
type Release struct {
	Project string
	GitTag  string // for a merged PR's commit: its short SHA
	Commit  string // the full SHA when this is a commit's builds, not a tag's
	Images  []ImageRelease
}

// ImageRelease says how to find one image's staging build and what to call
// it in production.
type ImageRelease struct {
	Name string
	Job  string
	// StagingTag matches the whole staging tag of this release's builds.
	StagingTag *regexp.Regexp
	// PromotedTag is the tag written into images.yaml; "" means the
	// staging tag itself (a merged PR's builds).
	PromotedTag string
}

var shaRE = regexp.MustCompile(`^[0-9a-f]{40}$`)

// ReleaseCommit is what a merged PR's merge commit released: every image's
// staging build tagged by image-builder for that commit
// (v<date>-<sha7> or v<date>-<describe>-g<sha7>), promoted under its
// staging tag.
func (p *Project) ReleaseCommit(sha string) (Release, error) {
	if !shaRE.MatchString(sha) {
		return Release{}, fmt.Errorf("not a commit SHA: %q", sha)
	}
	short := sha[:7]
	re := regexp.MustCompile(`^v\d{8}-(?:[\w.+-]+-g)?` + short + `$`)
	r := Release{Project: p.Name, GitTag: short, Commit: sha}
	for _, img := range p.Images {
		r.Images = append(r.Images, ImageRelease{Name: img.Name, Job: img.Job, StagingTag: re})
	}
	return r, nil
}

// Release returns the images gitTag releases. It returns no images, and no
// error, when the tag is not one of this project's release tags. A tag that
// matches but yields an invalid promoted tag is an error for the whole
// release: promoting half of it would mislead.
func (p *Project) Release(gitTag string) (Release, error) {
	r := Release{Project: p.Name, GitTag: gitTag}
	for i := range p.Images {
		img := &p.Images[i]
		if img.gitTags == nil {
			continue // not compiled: a Config not made by Parse
		}
		m := img.gitTags.FindStringSubmatch(gitTag)
		if m == nil {
			continue
		}
		ir, err := img.release(gitTag, m)
		if err != nil {
			return Release{}, err
		}
		r.Images = append(r.Images, ir)
	}
	return r, nil
}

// Matches reports whether gitTag is one of the project's release tags. It
// only matches patterns (the webhook path calls it for every push); Release
// reports a tag that matches but cannot be promoted.
func (p *Project) Matches(gitTag string) bool {
	for i := range p.Images {
		if re := p.Images[i].gitTags; re != nil && re.MatchString(gitTag) {
			return true
		}
	}
	return false
}

func (img *Image) release(gitTag string, m []string) (ImageRelease, error) {
	data := map[string]string{"Tag": gitTag}
	for i, n := range img.gitTags.SubexpNames() {
		if n != "" {
			data[n] = m[i]
		}
	}
	staging, err := render(img.stagingTag, data, true)
	if err != nil {
		return ImageRelease{}, fmt.Errorf("image %s: stagingTag: %w", img.Name, err)
	}
	re, err := regexp.Compile(`^(?:` + staging + `)$`)
	if err != nil {
		return ImageRelease{}, fmt.Errorf("image %s: stagingTag %q: %w", img.Name, staging, err)
	}
	promoted, err := render(img.promotedTag, data, false)
	if err != nil {
		return ImageRelease{}, fmt.Errorf("image %s: promotedTag: %w", img.Name, err)
	}
	if err := manifest.ValidateTag(promoted); err != nil {
		return ImageRelease{}, fmt.Errorf("image %s: git tag %q gives promoted tag %q: %w", img.Name, gitTag, promoted, err)
	}
	return ImageRelease{Name: img.Name, Job: img.Job, StagingTag: re, PromotedTag: promoted}, nil
}

// render fills a template; for a regexp template every value is quoted, so
// a git tag's dots and pluses match only themselves.
func render(t *template.Template, data map[string]string, quote bool) (string, error) {
	if quote {
		q := make(map[string]string, len(data))
		for k, v := range data {
			q[k] = regexp.QuoteMeta(v)
		}
		data = q
	}
	var b strings.Builder
	if err := t.Execute(&b, data); err != nil {
		return "", err
	}
	return b.String(), nil
}
