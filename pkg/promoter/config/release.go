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
	// Commit is the released commit's full SHA (a tag dereferenced), when
	// known; "" when the caller did not give it.
	Commit string
	// Merged is set for a merged PR's builds (ReleaseCommit): no git tag,
	// each image promoted under its staging tag.
	Merged bool
	Images []ImageRelease
}

// ImageRelease says how to find one image's staging build and what to call
// it in production.
type ImageRelease struct {
	Name string
	Job  string
	// StagingTag matches the whole staging tag of this release's builds. It
	// is nil for a commit-built image when the release's commit is unknown.
	StagingTag *regexp.Regexp
	// ByCommit: the image is built from the released commit wherever it
	// landed (its stagingTag uses {{.Commit}}): the job run to wait for is
	// the one whose base SHA is the commit, on any branch, not the run at
	// the tag.
	ByCommit bool
	// PromotedTag is the tag written into images.yaml; "" means the
	// staging tag itself (a merged PR's builds).
	PromotedTag string
}

// ReleaseCommit is what a merged PR's merge commit released: every image's
// staging build tagged by image-builder for that commit (v<date>-<sha> or
// v<date>-<describe>-g<sha>, the SHA abbreviated to 7 or more digits),
// promoted under its staging tag.
func (p *Project) ReleaseCommit(sha string) (Release, error) {
	if err := checkSHA(sha); err != nil {
		return Release{}, err
	}
	re := regexp.MustCompile(`^v\d{8}-(?:[\w.+-]+-g)?` + CommitPattern(sha) + `$`)
	r := Release{Project: p.Name, GitTag: sha[:MinAbbrev], Commit: sha, Merged: true}
	for _, img := range p.Images {
		r.Images = append(r.Images, ImageRelease{Name: img.Name, Job: img.Job, StagingTag: re, ByCommit: true})
	}
	return r, nil
}

// Release returns the images gitTag releases. commit is the tagged commit's
// full SHA (an annotated tag dereferenced); images whose stagingTag uses
// {{.Commit}} need it for their pattern, and with commit "" they come back
// with a nil StagingTag (enough to know which images and jobs a tag
// concerns). It returns no images, and no error, when the tag is not one of
// this project's release tags. A tag that matches but yields an invalid
// promoted tag is an error for the whole release: promoting half of it
// would mislead.
func (p *Project) Release(gitTag, commit string) (Release, error) {
	if commit != "" {
		if err := checkSHA(commit); err != nil {
			return Release{}, err
		}
	}
	r := Release{Project: p.Name, GitTag: gitTag, Commit: commit}
	for i := range p.Images {
		img := &p.Images[i]
		if img.gitTags == nil {
			continue // not compiled: a Config not made by Parse
		}
		m := img.gitTags.FindStringSubmatch(gitTag)
		if m == nil {
			continue
		}
		ir, err := img.release(gitTag, commit, m)
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

func (img *Image) release(gitTag, commit string, m []string) (ImageRelease, error) {
	data := map[string]string{"Tag": gitTag}
	for i, n := range img.gitTags.SubexpNames() {
		if n != "" {
			data[n] = m[i]
		}
	}
	ir := ImageRelease{Name: img.Name, Job: img.Job, ByCommit: img.byCommit}
	if !img.byCommit || commit != "" {
		re, err := img.stagingPattern(data, commit)
		if err != nil {
			return ImageRelease{}, err
		}
		ir.StagingTag = re
	}
	promoted, err := render(img.promotedTag, data, false)
	if err != nil {
		return ImageRelease{}, fmt.Errorf("image %s: promotedTag: %w", img.Name, err)
	}
	if err := manifest.ValidateTag(promoted); err != nil {
		return ImageRelease{}, fmt.Errorf("image %s: git tag %q gives promoted tag %q: %w", img.Name, gitTag, promoted, err)
	}
	ir.PromotedTag = promoted
	return ir, nil
}

// stagingPattern fills the stagingTag template: the tag's values quoted, the
// commit as CommitPattern, the whole anchored.
func (img *Image) stagingPattern(data map[string]string, commit string) (*regexp.Regexp, error) {
	staging, err := render(img.stagingTag, data, true)
	if err != nil {
		return nil, fmt.Errorf("image %s: stagingTag: %w", img.Name, err)
	}
	if img.byCommit {
		staging = strings.ReplaceAll(staging, commitMarker, CommitPattern(commit))
	}
	re, err := regexp.Compile(`^(?:` + staging + `)$`)
	if err != nil {
		return nil, fmt.Errorf("image %s: stagingTag %q: %w", img.Name, staging, err)
	}
	return re, nil
}

// commitMarker stands for {{.Commit}} while the template is rendered: the
// commit is not a value to quote but a pattern, put in afterwards. It cannot
// come out of a quoted value (QuoteMeta escapes none of its letters, but no
// git tag contains NUL).
const commitMarker = "\x00commit\x00"

// render fills a template; for a regexp template every value is quoted, so
// a git tag's dots and pluses match only themselves, and {{.Commit}} is left
// as commitMarker.
func render(t *template.Template, data map[string]string, quote bool) (string, error) {
	q := make(map[string]string, len(data)+1)
	for k, v := range data {
		if quote {
			v = regexp.QuoteMeta(v)
		}
		q[k] = v
	}
	if quote {
		q["Commit"] = commitMarker
	}
	data = q
	var b strings.Builder
	if err := t.Execute(&b, data); err != nil {
		return "", err
	}
	return b.String(), nil
}
