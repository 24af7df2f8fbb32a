package onboard

import (
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"
)

// Reason a staging project gets no config entry.
type Reason string

// The reasons, as generate reports them.
const (
	NoJob         Reason = "no image-push postsubmit in test-infra pushes to it"
	NotStaging    Reason = "its jobs push to a GCP project that is not a k8s-staging project"
	NoImagesFile  Reason = "no images.yaml in kubernetes/k8s.io (nothing promoted yet)"
	Unreadable    Reason = "its images.yaml or promoter-manifest.yaml cannot be read"
	NoManifest    Reason = "no promoter-manifest.yaml, so no staging registry"
	NoImages      Reason = "its images.yaml lists no images yet"
	NoAttribution Reason = "no job could be matched to any of its images"
	NoReleaseTags Reason = "its images were promoted only under build tags, never release tags"
)

// Skip is a staging project that could not be configured.
type Skip struct {
	Project string // directory (k8s-staging-X) or the job's GCP project
	Reason  Reason
	Detail  string
}

// Plan is what generate found: the config entries it can write, with their
// evidence, and the projects it cannot configure.
type Plan struct {
	Entries []*Entry
	Skipped []Skip
	// Unmapped are postsubmits without image-builder's --project.
	Unmapped []*Job
}

// Entry is one project of the config: one source repository releasing
// into one staging project.
type Entry struct {
	Name    string
	Staging *Staging
	Repo    string
	// Jobs are the repository's image-push postsubmits for the project.
	Jobs   []*Job
	Images []*ImagePlan
	// Left are the repository's images that are not configured, and why.
	Left []LeftOut
	// Project-wide values; images that differ override them.
	Mode             Mode
	RequireMultiArch bool
	// Unassigned are the project's images no job could be matched to, and
	// Idle the project's jobs of repositories without an entry; both are
	// listed on the project's first entry.
	Unassigned []LeftOut
	Idle       []*Job
}

// ImagePlan is one configured image.
type ImagePlan struct {
	Name        string
	Job         *Job
	Attribution Attribution
	Pattern     TagPattern
	Mode        Mode
}

// LeftOut is an image not configured.
type LeftOut struct {
	Image string
	Why   string
}

// NewPlan matches test-infra's image-push postsubmits to k8s.io's staging
// projects and works out each project's config.
func NewPlan(jobs *Jobs, k *K8sIO) *Plan {
	p := &Plan{}
	byDir := map[string][]*Job{}
	for _, j := range jobs.Postsubmits() {
		d := TargetDir(j, k)
		if d == "" {
			p.Unmapped = append(p.Unmapped, j)
			continue
		}
		byDir[d] = append(byDir[d], j)
	}
	dirs := make([]string, 0, len(byDir)+len(k.Stagings))
	for d := range k.Stagings {
		dirs = append(dirs, d)
	}
	for d := range byDir {
		if k.Stagings[d] == nil {
			dirs = append(dirs, d)
		}
	}
	sort.Strings(dirs)
	for _, d := range dirs {
		p.planDir(d, k.Stagings[d], byDir[d])
	}
	p.nameEntries(k)
	return p
}

// SharedImagesProject is the GCP project whose Artifact Registry holds many
// staging projects' images (us-central1-docker.pkg.dev/k8s-staging-images/<name>).
const SharedImagesProject = "k8s-staging-images"

// TargetDir is the staging project directory a job pushes to: the one
// whose src registry is in the job's --project, else the directory of
// that name. Jobs building in the shared k8s-staging-images project are
// told apart only by their job file, which test-infra names after the
// project (k8s-staging-kueue.yaml). "" when the job has no --project.
func TargetDir(j *Job, k *K8sIO) string {
	switch j.GCBProject {
	case "":
		return ""
	case SharedImagesProject:
		return strings.TrimSuffix(path.Base(j.File), path.Ext(j.File))
	}
	if s := k.ByGCBProject(j.GCBProject); s != nil {
		return s.Dir
	}
	return j.GCBProject
}

func (p *Plan) skip(dir string, r Reason, format string, args ...any) {
	p.Skipped = append(p.Skipped, Skip{Project: dir, Reason: r, Detail: fmt.Sprintf(format, args...)})
}

// planDir configures one staging project, or says why it cannot.
func (p *Plan) planDir(dir string, s *Staging, jobs []*Job) {
	switch {
	case len(jobs) == 0:
		p.skip(dir, NoJob, "no job in image-pushing passes --project=%s or lives in %s.yaml", dir, dir)
	case s == nil && !strings.HasPrefix(dir, StagingPrefix):
		p.skip(dir, NotStaging, "jobs %s", jobNames(jobs))
	case s == nil:
		p.skip(dir, NoImagesFile, "jobs %s push to it; promote once by hand to create registry.k8s.io/images/%s/images.yaml", jobNames(jobs), dir)
	case s.ImagesErr != nil:
		p.skip(dir, Unreadable, "%s: %v", s.ImagesPath, s.ImagesErr)
	case s.ManifestErr != nil:
		p.skip(dir, Unreadable, "%s: %v", s.ManifestPath, s.ManifestErr)
	case s.Source == "":
		p.skip(dir, NoManifest, "no promoter-manifest.yaml names %s as its images", s.ImagesPath)
	case len(s.Images.Images) == 0:
		p.skip(dir, NoImages, "jobs %s", jobNames(jobs))
	default:
		p.configureDir(s, jobs)
	}
}

// configureDir makes one entry per source repository that builds at least
// one image of the project.
func (p *Plan) configureDir(s *Staging, jobs []*Job) {
	order, unassigned, noRelease := placeImages(s, jobs)
	var entries []*Entry
	for _, e := range order {
		e.keepLatest()
		if len(e.Images) > 0 {
			e.settle()
			entries = append(entries, e)
		}
	}
	switch {
	case len(entries) > 0:
		entries[0].Unassigned = unassigned
		entries[0].Idle = idleJobs(jobs, entries)
		p.Entries = append(p.Entries, entries...)
	case noRelease > 0:
		p.skip(s.Dir, NoReleaseTags, "%s", leftList(order, unassigned))
	default:
		p.skip(s.Dir, NoAttribution, "images %s; jobs %s", describeTags(imageNames(unassigned), 4), jobNames(jobs))
	}
}

// placeImages puts each image of the project on the entry of the
// repository whose job builds it, in its job's tag form, or says why not.
func placeImages(s *Staging, jobs []*Job) (order []*Entry, unassigned []LeftOut, noRelease int) {
	names, tags := imageTags(s)
	attr := Attribute(names, jobs, soleJob(s, names, jobs))
	forms := jobForms(names, tags, attr)
	byRepo := map[string]*Entry{}
	for _, name := range names {
		a := attr[name]
		if a.Job == nil {
			unassigned = append(unassigned, LeftOut{name, unassignedWhy(a)})
			continue
		}
		e := byRepo[a.Job.Repo]
		if e == nil {
			e = &Entry{Staging: s, Repo: a.Job.Repo, Jobs: repoJobs(jobs, a.Job.Repo)}
			byRepo[a.Job.Repo] = e
			order = append(order, e)
		}
		img, why := forms[a.Job].image(name, tags[name])
		if img == nil {
			noRelease++
			e.Left = append(e.Left, LeftOut{name, why})
			continue
		}
		img.Job, img.Attribution = a.Job, a
		e.Images = append(e.Images, img)
	}
	return order, unassigned, noRelease
}

// soleJob is the job that gets the images no job names, when it is the
// only image-push postsubmit of the project, or the only one building in
// the GCP project of its staging registry, and builds the whole
// repository: a job that names one image (pause) builds just that one.
func soleJob(s *Staging, names []string, jobs []*Job) *Job {
	var sole *Job
	if len(jobs) == 1 {
		sole = jobs[0]
	} else {
		var own []*Job
		for _, j := range jobs {
			if j.GCBProject == RegistryProject(s.Source) {
				own = append(own, j)
			}
		}
		if len(own) != 1 {
			return nil
		}
		sole = own[0]
	}
	for _, n := range names {
		if evidence(n, sole, false) >= jobWords {
			return nil
		}
	}
	return sole
}

// jobForm is the release-tag form of one job's images: a job releases its
// images together, so they share a pattern (and a mode), whatever
// pre-releases each happened to get.
type jobForm struct {
	job     *Job
	pattern TagPattern
	ok      bool
	mode    Mode
}

// jobForms finds each job's release-tag form: the form most of its
// images have (each image votes once, so an image promoted under many
// variant tags per release does not outvote the others), and the
// pre-releases seen on any of them.
func jobForms(names []string, tags map[string][]string, attr map[string]Attribution) map[*Job]*jobForm {
	all := map[*Job][]string{}
	votes := map[*Job]map[string]int{}
	for _, n := range names {
		j := attr[n].Job
		if j == nil {
			continue
		}
		all[j] = append(all[j], tags[n]...)
		if votes[j] == nil {
			votes[j] = map[string]int{}
		}
		if base, ok := dominantForm(tags[n]); ok {
			votes[j][base]++
		}
	}
	forms := map[*Job]*jobForm{}
	for j, ts := range all {
		f := &jobForm{job: j}
		best := ""
		for base, n := range votes[j] {
			if f.ok = true; best == "" || n > votes[j][best] || n == votes[j][best] && lessForm(base, best) {
				best = base
			}
		}
		if f.ok {
			f.pattern = patternOf(ts, best)
			f.mode = decideMode(j, f.pattern)
		}
		forms[j] = f
	}
	return forms
}

// image plans one image in its job's form. An image whose tags never
// have that form is versioned apart from the job's other images (a tool
// image, an old naming), so it is left out, with why.
func (f *jobForm) image(name string, tags []string) (*ImagePlan, string) {
	if !f.ok {
		return nil, noReleaseWhy(tags)
	}
	re := regexp.MustCompile(f.pattern.Regexp)
	pat := TagPattern{Regexp: f.pattern.Regexp, Body: f.pattern.Body}
	for _, t := range tags {
		switch {
		case IsBuildTag(t):
			pat.Builds = append(pat.Builds, t)
		case re.MatchString(t):
			pat.Matched = append(pat.Matched, t)
		default:
			pat.Other = append(pat.Other, t)
		}
	}
	if len(pat.Matched) == 0 {
		if len(pat.Other) == 0 {
			return nil, noReleaseWhy(tags)
		}
		return nil, fmt.Sprintf("its tags (%s) do not have the form of the other tags of %s's images (%s): versioned apart; configure it by hand if a release of the repository releases it", describeTags(pat.Other, 2), f.job.Name, f.pattern.Regexp)
	}
	return &ImagePlan{Name: name, Pattern: pat, Mode: f.mode}, ""
}

// imageTags lists the images of a manifest in file order, each once, with
// all their tags (a name may have several blocks, as kops's release groups).
func imageTags(s *Staging) ([]string, map[string][]string) {
	var names []string
	tags := map[string][]string{}
	for _, img := range s.Images.Images {
		if _, seen := tags[img.Name]; !seen {
			names = append(names, img.Name)
			tags[img.Name] = []string{}
		}
		for _, d := range img.Digests {
			tags[img.Name] = append(tags[img.Name], d.Tags...)
		}
	}
	return names, tags
}

func unassignedWhy(a Attribution) string {
	if a.Evidence > noEvidence {
		return fmt.Sprintf("built by one of %s (%s for each): set job by hand", jobNames(a.Candidates), a.Evidence)
	}
	return fmt.Sprintf("no job's name, build directory or repository names it (jobs: %s): set job by hand if one of them builds it", jobNames(a.Candidates))
}

func noReleaseWhy(tags []string) string {
	if len(tags) == 0 {
		return "never promoted: no tags to derive gitTags from"
	}
	return fmt.Sprintf("promoted only under build tags (%s), never a release tag", describeTags(tags, 2))
}

// keepLatest leaves out images that a job no longer releases: those whose
// newest release is not in the release line of the job's newest release
// (descheduler-amd64 still follows descheduler; cluster-api-controller-amd64
// stopped at v0.2.0 while cluster-api-controller went on).
func (e *Entry) keepLatest() {
	newest := map[*Job]string{}
	for _, img := range e.Images {
		if n := newestTag(img.Pattern.Matched); newest[img.Job] == "" || CompareVersions(n, newest[img.Job]) > 0 {
			newest[img.Job] = n
		}
	}
	var keep []*ImagePlan
	for _, img := range e.Images {
		latest, mine := newest[img.Job], newestTag(img.Pattern.Matched)
		if series(mine) != series(latest) {
			e.Left = append(e.Left, LeftOut{img.Name, fmt.Sprintf("last released as %s, while %s's newest release is %s: no longer built?", mine, img.Job.Name, latest)})
			continue
		}
		keep = append(keep, img)
	}
	e.Images = keep
}

func newestTag(tags []string) string {
	var n string
	for _, t := range tags {
		if n == "" || CompareVersions(t, n) > 0 {
			n = t
		}
	}
	return n
}

// settle picks the project-wide mode (the one most images share) and
// whether every image must be multi-arch.
func (e *Entry) settle() {
	count := map[string]int{}
	for _, img := range e.Images {
		count[img.Mode.key()]++
	}
	e.Mode = e.Images[0].Mode
	for _, img := range e.Images {
		if count[img.Mode.key()] > count[e.Mode.key()] {
			e.Mode = img.Mode
		}
	}
	e.RequireMultiArch = true
	for _, img := range e.Images {
		if ArchOf(img.Name) != "" {
			e.RequireMultiArch = false
		}
	}
}

// nameEntries names each entry after its staging project. A project with
// several source repositories gets one entry per repository (config project
// names are unique), named after the repository, or <project>-<repo> when
// the repository's name is another staging project's.
func (p *Plan) nameEntries(k *K8sIO) {
	perDir := map[string]int{}
	for _, e := range p.Entries {
		perDir[e.Staging.Dir]++
	}
	used := map[string]bool{}
	for _, e := range p.Entries {
		e.Name = e.Staging.Short()
		if repo := sanitize(path.Base(e.Repo)); perDir[e.Staging.Dir] > 1 && repo != e.Name {
			e.Name = repo
			if k.Stagings[StagingPrefix+repo] != nil {
				e.Name = e.Staging.Short() + "-" + repo
			}
		}
		for base, n := e.Name, 2; used[e.Name]; n++ {
			e.Name = fmt.Sprintf("%s-%d", base, n)
		}
		used[e.Name] = true
	}
}

// sanitize makes a repository name fit a config project name.
func sanitize(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else if b.Len() > 0 && !strings.HasSuffix(b.String(), "-") {
			b.WriteByte('-')
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

// idleJobs are the jobs of repositories that got no entry.
func idleJobs(jobs []*Job, entries []*Entry) []*Job {
	has := map[string]bool{}
	for _, e := range entries {
		has[e.Repo] = true
	}
	var out []*Job
	for _, j := range jobs {
		if !has[j.Repo] {
			out = append(out, j)
		}
	}
	return out
}

func repoJobs(jobs []*Job, repo string) []*Job {
	var out []*Job
	for _, j := range jobs {
		if j.Repo == repo {
			out = append(out, j)
		}
	}
	return out
}

func jobNames(jobs []*Job) string {
	names := make([]string, len(jobs))
	for i, j := range jobs {
		names[i] = j.Name
	}
	return describeTags(names, 4)
}

func imageNames(l []LeftOut) []string {
	out := make([]string, len(l))
	for i, x := range l {
		out[i] = x.Image
	}
	return out
}

func leftList(entries []*Entry, unassigned []LeftOut) string {
	var parts []string
	for _, e := range entries {
		for _, l := range e.Left {
			parts = append(parts, l.Image+": "+l.Why)
		}
	}
	for _, l := range unassigned {
		parts = append(parts, l.Image+": "+l.Why)
	}
	return describeTags(parts, 3)
}
