package onboard

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"sigs.k8s.io/promoter/pkg/promoter/config"
	"sigs.k8s.io/promoter/pkg/promoter/manifest"
)

// Severity of a finding: an error means a release would not be promoted
// (or promoted wrong); a warning is worth a look.
type Severity string

const (
	Error   Severity = "error"
	Warning Severity = "warning"
)

// Finding is one thing the doctor found wrong with a config.
type Finding struct {
	Severity Severity
	Project  string
	// Field is the config field at fault, as config errors name it, e.g.
	// projects[0].images[1].job.
	Field   string
	Problem string
	Fix     string
}

func (f Finding) String() string {
	project := f.Project
	if project == "" {
		project = "-"
	}
	s := fmt.Sprintf("%s %s %s: %s", f.Severity, project, f.Field, f.Problem)
	if f.Fix != "" {
		s += ". Fix: " + f.Fix
	}
	return s
}

// Errors counts the findings of severity Error.
func Errors(fs []Finding) int {
	n := 0
	for _, f := range fs {
		if f.Severity == Error {
			n++
		}
	}
	return n
}

// Doctor checks a config (the file's bytes) against test-infra's jobs and
// kubernetes/k8s.io, and says what would go wrong. A config promoter would
// refuse gives its parse errors and nothing more.
func (in *Inputs) Doctor(raw []byte) []Finding {
	cfg, err := config.Parse(raw)
	if err != nil {
		var out []Finding
		for _, line := range strings.Split(err.Error(), "\n") {
			out = append(out, Finding{Severity: Error, Field: "config", Problem: line, Fix: "promoter refuses this config; correct the field named"})
		}
		return out
	}
	var out []Finding
	seen := map[Finding]bool{}
	for i := range cfg.Projects {
		d := projectDoctor{in: in, p: &cfg.Projects[i], at: fmt.Sprintf("projects[%d]", i)}
		for _, f := range d.check() {
			// Images sharing a job or a project field find the same thing.
			if !seen[f] {
				seen[f] = true
				out = append(out, f)
			}
		}
	}
	return out
}

// projectDoctor checks one project of a config.
type projectDoctor struct {
	in        *Inputs
	p         *config.Project
	at        string
	staging   *Staging
	registry  string // the staging registry promoter will use
	unmatched []unmatched
	findings  []Finding
}

func (d *projectDoctor) add(sev Severity, field, fix, format string, args ...any) {
	d.findings = append(d.findings, Finding{Severity: sev, Project: d.p.Name, Field: d.at + "." + field, Problem: fmt.Sprintf(format, args...), Fix: fix})
}

func (d *projectDoctor) check() []Finding {
	d.staging = d.in.K8sIO.ByImagesPath(d.p.ManifestPath)
	switch {
	case d.staging == nil && d.legacy():
		d.add(Error, "manifestPath", d.manifestPathFix(), "%s is the legacy k8s.gcr.io copy, which nothing promotes from any more", d.p.ManifestPath)
	case d.staging == nil:
		d.add(Error, "manifestPath", d.manifestPathFix(), "%s is not an images.yaml in kubernetes/k8s.io", d.p.ManifestPath)
	case d.staging.ImagesErr != nil:
		d.add(Error, "manifestPath", "fix the file in kubernetes/k8s.io first", "%s cannot be read: %v", d.p.ManifestPath, d.staging.ImagesErr)
		d.staging = nil
	}
	d.checkRegistry()
	for j := range d.p.Images {
		d.checkImage(j, &d.p.Images[j])
	}
	d.reportUnmatched()
	d.checkMissingImages()
	return d.findings
}

// checkMissingImages warns about images promoted under the newest tag of
// a project whose configured images are all released together (one newest
// tag), but not configured themselves: the next release would be promoted
// without them, which reviewers reject. Projects whose images are
// versioned apart are not judged: equal tags there are a coincidence.
func (d *projectDoctor) checkMissingImages() {
	if d.staging == nil {
		return
	}
	configured := map[string]bool{}
	newest := ""
	for _, img := range d.p.Images {
		configured[img.Name] = true
		t := newestTag(releaseTagsOf(d.staging, img.Name))
		if t == "" || newest != "" && t != newest {
			return
		}
		newest = t
	}
	seen := map[string]bool{}
	for _, img := range d.staging.Images.Images {
		if configured[img.Name] || seen[img.Name] {
			continue
		}
		seen[img.Name] = true
		if newestTag(releaseTagsOf(d.staging, img.Name)) == newest {
			d.add(Warning, "images", fmt.Sprintf("add image %s, or confirm it is no longer built", img.Name),
				"%s was last promoted as %s, the project's newest release, but is not configured: the next release would be promoted without it", img.Name, newest)
		}
	}
}

func releaseTagsOf(s *Staging, image string) []string {
	var out []string
	for _, e := range s.Images.Lookup(image) {
		for _, t := range e.Tags {
			if !IsBuildTag(t) {
				out = append(out, t)
			}
		}
	}
	return out
}

func (d *projectDoctor) manifestPathFix() string {
	if s := d.closestStaging(); s != nil {
		return fmt.Sprintf("did you mean %s? Set manifestPath to it, or name the project %q", s.ImagesPath, s.Short())
	}
	return "set manifestPath to the project's registry.k8s.io/images/<dir>/images.yaml"
}

// legacy reports whether manifestPath is a file of the old k8s.gcr.io tree.
func (d *projectDoctor) legacy() bool {
	if !strings.HasPrefix(d.p.ManifestPath, "k8s.gcr.io/") {
		return false
	}
	_, err := os.Stat(filepath.Join(d.in.K8sIO.Root, filepath.FromSlash(d.p.ManifestPath)))
	return err == nil
}

// closestStaging is the project the manifestPath was probably meant to
// name: the directory nearest to the one it names, else the project's own.
func (d *projectDoctor) closestStaging() *Staging {
	var dirs []string
	for _, s := range d.in.K8sIO.Sorted() {
		dirs = append(dirs, s.Dir)
	}
	dir := path.Base(path.Dir(d.p.ManifestPath))
	if s := d.in.K8sIO.Stagings[dir]; s != nil {
		return s // the same project under registry.k8s.io (a legacy path)
	}
	if c := closest(dir, dirs); c != "" {
		return d.in.K8sIO.Stagings[c]
	}
	return d.in.K8sIO.Stagings[StagingPrefix+d.p.Name]
}

// checkRegistry compares the staging registry promoter will use with the
// src of the project's promoter-manifest.yaml, which is where kubernetes/k8s.io
// promotes from.
func (d *projectDoctor) checkRegistry() {
	d.registry = d.p.StagingRegistry
	if d.registry == "" {
		src, err := readSource(d.in.K8sIO.Root, d.p.PromoterManifestPath())
		if err != nil {
			fix := "set stagingRegistry"
			if d.staging != nil && d.staging.Source != "" {
				fix = fmt.Sprintf("set stagingRegistry: %s (the src of %s)", d.staging.Source, d.staging.ManifestPath)
			}
			d.add(Error, "stagingRegistry", fix, "not set, and its default, the src of %s, cannot be read: %v", d.p.PromoterManifestPath(), err)
			return
		}
		d.registry = src
	}
	if d.staging == nil {
		return
	}
	switch {
	case d.staging.ManifestErr != nil:
		d.add(Warning, "stagingRegistry", "fix the file in kubernetes/k8s.io", "%s cannot be read: %v", d.staging.ManifestPath, d.staging.ManifestErr)
	case d.staging.Source == "":
		d.add(Warning, "manifestPath", "add a promoter-manifest.yaml for it in kubernetes/k8s.io", "no promoter-manifest.yaml promotes %s: its promotion PRs would promote nothing", d.p.ManifestPath)
	case d.staging.Source != d.registry:
		d.add(Error, "stagingRegistry", fmt.Sprintf("set stagingRegistry: %s, or leave it out to use the src", d.staging.Source),
			"%s differs from %s, the src registry of %s: promoter would look up digests where kubernetes/k8s.io does not promote from", d.registry, d.staging.Source, d.staging.ManifestPath)
	}
}

// readSource reads the src registry of a promoter-manifest.yaml.
func readSource(root, repoPath string) (string, error) {
	b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(repoPath)))
	if err != nil {
		return "", err
	}
	pm, err := manifest.ParsePromoterManifest(repoPath, b)
	if err != nil {
		return "", err
	}
	return pm.Source, nil
}

func (d *projectDoctor) checkImage(j int, img *config.Image) {
	at := fmt.Sprintf("images[%d]", j)
	var promoted []string
	if d.staging != nil {
		if entries := d.staging.Images.Lookup(img.Name); len(entries) > 0 {
			for _, e := range entries {
				promoted = append(promoted, e.Tags...)
			}
		} else {
			d.missingImage(at, img.Name)
		}
	}
	rt, err := newReleaseTags(img.GitTags, img.PromotedTag)
	if err != nil {
		return // config.Parse accepted it; nothing more to try
	}
	samples := d.checkHistory(at, img, rt, promoted)
	if img.Job == "" {
		d.suggestJob(at, img.Name)
		return
	}
	job := d.checkJob(at, img.Job)
	if job == nil {
		return
	}
	if d.registry != "" && job.GCBProject != RegistryProject(d.registry) && job.GCBProject != "" {
		d.add(Warning, at+".job", "check where the job's cloudbuild.yaml pushes, and the project's src registry",
			"%s builds with --project=%s, but the staging registry %s is in GCP project %s", job.Name, job.GCBProject, d.registry, RegistryProject(d.registry))
	}
	d.checkRuns(at, img, job, samples)
}

func (d *projectDoctor) missingImage(at, name string) {
	var names []string
	for _, i := range d.staging.Images.Images {
		names = append(names, i.Name)
	}
	if c := closest(name, names); c != "" {
		d.add(Error, at+".name", fmt.Sprintf("rename it to %s", c), "image %q is not in %s; did you mean %q?", name, d.p.ManifestPath, c)
		return
	}
	d.add(Warning, at+".name", "check the name; a new image gets its block on first promotion", "image %q is not in %s yet", name, d.p.ManifestPath)
}

// checkHistory checks gitTags against the tags the image was promoted
// under, and returns git tags to try the job's branch filters on: those
// of past releases, or an example of gitTags when there are none. A
// gitTags that fits no past release is noted for report.
func (d *projectDoctor) checkHistory(at string, img *config.Image, rt *releaseTags, promoted []string) []string {
	past := rt.gitTagsFrom(promoted)
	if len(past) == 0 && len(promoted) > 0 {
		d.unmatched = append(d.unmatched, unmatched{field: d.gitTagsField(at, img), img: img, promoted: promoted})
	}
	if len(past) > 0 {
		return past
	}
	if ex, ok := rt.example(); ok {
		return []string{ex}
	}
	return nil
}

// unmatched is an image whose gitTags (with promotedTag) gives none of the
// tags it was promoted under.
type unmatched struct {
	field    string
	img      *config.Image
	promoted []string
}

// reportUnmatched gives one finding per gitTags field, naming the images:
// an error when they had release tags, a warning when only build tags.
func (d *projectDoctor) reportUnmatched() {
	var order []string
	byField := map[string][]unmatched{}
	for _, u := range d.unmatched {
		if _, ok := byField[u.field]; !ok {
			order = append(order, u.field)
		}
		byField[u.field] = append(byField[u.field], u)
	}
	for _, field := range order {
		us := byField[field]
		var names, tags []string
		sev := Warning
		for _, u := range us {
			names = append(names, u.img.Name)
			tags = append(tags, u.promoted...)
			for _, t := range u.promoted {
				if !IsBuildTag(t) {
					sev = Error
				}
			}
		}
		what := "release tags"
		if sev == Warning {
			what = "build tags (no release tag yet)"
		}
		img := us[0].img
		d.add(sev, field, "derive it from the promoted tags (promoter-config generate prints one), or fix promotedTag",
			"%s with promotedTag %s gives none of the %s of %s (%s)", quote(img.GitTags), quote(img.PromotedTag), what, strings.Join(names, ", "), describeTags(tags, 3))
	}
}

func (d *projectDoctor) gitTagsField(at string, img *config.Image) string {
	if img.GitTags != d.p.GitTags {
		return at + ".gitTags"
	}
	return "gitTags"
}

// checkJob finds the job and checks it is a postsubmit of the project's repo.
func (d *projectDoctor) checkJob(at, name string) *Job {
	job := d.in.Jobs.Lookup(name)
	switch {
	case job == nil:
		d.add(Error, at+".job", d.jobFix(name), "no job %q in test-infra's %s", name, "config/jobs/image-pushing")
		return nil
	case job.Periodic:
		d.add(Error, at+".job", d.jobFix(""), "%s (%s) is a periodic: its runs are for no git ref, so none is a release's build", name, job.Where())
		return nil
	case !strings.EqualFold(job.Repo, d.p.Repo):
		d.add(Error, at+".job", fmt.Sprintf("name a postsubmit of %s, or set repo: %s", d.p.Repo, job.Repo),
			"%s (%s) runs for pushes to %s, not to %s: a release of %s never starts it", name, job.Where(), job.Repo, d.p.Repo, d.p.Repo)
		return nil
	}
	return job
}

func (d *projectDoctor) jobFix(name string) string {
	var names []string
	for _, j := range d.in.Jobs.Postsubmits() {
		if strings.EqualFold(j.Repo, d.p.Repo) {
			names = append(names, j.Name)
		}
	}
	if c := closest(name, names); c != "" {
		return fmt.Sprintf("did you mean %s? Use the postsubmit's exact name, or leave job out", c)
	}
	if len(names) > 0 {
		return fmt.Sprintf("use one of %s's image-push postsubmits (%s), or leave job out", d.p.Repo, describeTags(names, 4))
	}
	return fmt.Sprintf("%s has no image-push postsubmit; leave job out (the staging registry alone is then the evidence)", d.p.Repo)
}

// suggestJob warns when an image has no job but the job config names one.
func (d *projectDoctor) suggestJob(at, image string) {
	var jobs []*Job
	for _, j := range d.in.Jobs.Postsubmits() {
		if strings.EqualFold(j.Repo, d.p.Repo) {
			jobs = append(jobs, j)
		}
	}
	a := Attribute([]string{image}, jobs, nil)[image]
	if a.Job != nil && a.Evidence >= jobWords {
		d.add(Warning, at+".job", "set job: "+a.Job.Name,
			"no job: promoter cannot wait for the build and takes any staging image that matches, while %s builds it (%s)", a.Job.Name, a.Evidence)
	}
}

// checkRuns checks that the job runs where the stagingTag expects the
// build: on the release tags for a tag build, on a branch for a commit build.
func (d *projectDoctor) checkRuns(at string, img *config.Image, job *Job, samples []string) {
	switch {
	case len(samples) == 0:
		return
	case img.ByCommit():
		d.checkCommitBuilt(at, img, job, samples)
	case usesTag(img.StagingTag):
		d.checkTagBuilt(at, img, job, samples)
	}
}

func (d *projectDoctor) checkTagBuilt(at string, img *config.Image, job *Job, samples []string) {
	field := d.stagingTagField(at, img)
	if job.ChangeGated() {
		d.add(Error, field, fmt.Sprintf("build by commit: stagingTag: %s, or drop run_if_changed from the job", quote(CommitBuilt)),
			"%s (%s) has run_if_changed %q, so Prow never starts it for a tag push (a tag push changes no files): no build of a release tag will come", job.Name, job.Where(), job.RunIfChanged)
		return
	}
	var runs, not []string
	for _, t := range samples {
		if job.RunsOnTag(t) {
			runs = append(runs, t)
		} else {
			not = append(not, t)
		}
	}
	switch {
	case len(runs) == 0:
		d.add(Error, field, fmt.Sprintf("add a branches entry matching the release tags (e.g. %s) to the job in test-infra, or build by commit: stagingTag: %s", suggestBranch(samples[0]), quote(CommitBuilt)),
			"%s (%s) never runs for release tags like %s: %s, so no tag build will come", job.Name, job.Where(), describeTags(samples, 2), filterText(job))
	case len(not) > 0:
		d.add(Warning, field, "widen the job's branches, or narrow gitTags",
			"%s does not run for %d of %d release tags gitTags accepts (%s): those releases get no tag build", job.Name, len(not), len(samples), describeTags(not, 2))
	}
}

func (d *projectDoctor) checkCommitBuilt(at string, img *config.Image, job *Job, samples []string) {
	field := d.stagingTagField(at, img)
	var runs []string
	for _, t := range samples {
		if job.RunsOnTag(t) {
			runs = append(runs, t)
		}
	}
	if len(runs) > 0 {
		d.add(Warning, field, fmt.Sprintf("consider stagingTag: %s", quote(TagBuilt)),
			"%s also runs for release tag pushes (e.g. %s), but stagingTag waits for the tagged commit's branch build, which exists only if that commit was pushed to a branch the job runs on", job.Name, runs[0])
	}
	if job.ChangeGated() {
		d.add(Warning, field, "make sure release commits change those files, or build on tags",
			"%s runs only when files matching %q change: a release whose commit changed none has no build", job.Name, job.RunIfChanged)
	}
}

func (d *projectDoctor) stagingTagField(at string, img *config.Image) string {
	if img.StagingTag != d.p.StagingTag {
		return at + ".stagingTag"
	}
	return "stagingTag"
}

// usesTag reports whether a stagingTag template depends on the git tag
// (.Tag or a named group of gitTags) rather than only on the commit.
func usesTag(stagingTag string) bool {
	for _, m := range actionRE.FindAllStringSubmatch(stagingTag, -1) {
		if m[1] != "Commit" {
			return true
		}
	}
	return false
}

func filterText(j *Job) string {
	switch {
	case len(j.Branches) > 0 && len(j.SkipBranches) > 0:
		return fmt.Sprintf("its branches are %s and skip_branches %s", strings.Join(abbreviate(j.Branches), " "), strings.Join(j.SkipBranches, " "))
	case len(j.Branches) > 0:
		return fmt.Sprintf("its branches are %s", strings.Join(abbreviate(j.Branches), " "))
	default:
		return fmt.Sprintf("its skip_branches are %s", strings.Join(j.SkipBranches, " "))
	}
}

// suggestBranch is a branches entry for release tags shaped like tag.
func suggestBranch(tag string) string {
	base, _ := shape(tag)
	return "^" + base + "$"
}

// closest is the candidate nearest to s by edit distance, if near enough
// to be a slip (a typo, a plural, a renamed suffix); "" otherwise.
func closest(s string, candidates []string) string {
	best, bestD := "", -1
	for _, c := range candidates {
		if c == s {
			continue
		}
		if d := editDistance(s, c); bestD < 0 || d < bestD {
			best, bestD = c, d
		}
	}
	if bestD < 0 || bestD > max(2, len(s)/5) {
		return ""
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
