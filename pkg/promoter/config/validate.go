package config

import (
	"errors"
	"fmt"
	"path"
	"regexp"
	"strings"
	"text/template"
	"time"

	"sigs.k8s.io/promoter/pkg/promoter/manifest"
)

var (
	repoRE     = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+$`)
	projectRE  = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)
	branchRE   = regexp.MustCompile(`^[A-Za-z0-9._/-]+$`)
	jobRE      = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
	loginRE    = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$`)
	teamRE     = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+$`)
	registryRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]+)?(/[a-z0-9]+([._-][a-z0-9]+)*)*$`)
)

// fieldError names the field at fault, as a user would write its path.
type fieldError struct {
	field string
	err   error
}

func (e *fieldError) Error() string { return e.field + ": " + e.err.Error() }
func (e *fieldError) Unwrap() error { return e.err }

func field(name string, format string, args ...any) error {
	return &fieldError{field: name, err: fmt.Errorf(format, args...)}
}

func (c *Config) validate() error {
	var errs []error
	if !repoRE.MatchString(c.ManifestRepo) {
		errs = append(errs, field("manifestRepo", "want \"org/repo\", got %q", c.ManifestRepo))
	}
	if !branchRE.MatchString(c.ManifestBranch) || strings.Contains(c.ManifestBranch, "..") {
		errs = append(errs, field("manifestBranch", "not a branch name: %q", c.ManifestBranch))
	}
	if c.ResyncPeriod.Duration < time.Second {
		errs = append(errs, field("resyncPeriod", "must be at least 1s, got %s", c.ResyncPeriod.Duration))
	}
	if c.JobTimeout.Duration < time.Second {
		errs = append(errs, field("jobTimeout", "must be at least 1s, got %s", c.JobTimeout.Duration))
	}
	if c.LiveTimeout.Duration < time.Second {
		errs = append(errs, field("liveTimeout", "must be at least 1s, got %s", c.LiveTimeout.Duration))
	}
	if c.JobWindow.Duration < time.Second || c.JobWindow.Duration > c.JobTimeout.Duration {
		errs = append(errs, field("jobWindow", "must be between 1s and jobTimeout (%s), got %s", c.JobTimeout.Duration, c.JobWindow.Duration))
	}
	if len(c.Projects) == 0 {
		errs = append(errs, field("projects", "at least one project is needed"))
	}
	seen := map[string]bool{}
	for i := range c.Projects {
		p := &c.Projects[i]
		at := fmt.Sprintf("projects[%d]", i)
		if seen[p.Name] {
			errs = append(errs, field(at+".name", "duplicate project %q", p.Name))
		}
		seen[p.Name] = true
		errs = append(errs, p.validate(at)...)
	}
	return errors.Join(errs...)
}

func (p *Project) validate(at string) []error {
	var errs []error
	add := func(f, format string, args ...any) { errs = append(errs, field(at+"."+f, format, args...)) }
	if !projectRE.MatchString(p.Name) {
		add("name", "want a staging project name like \"apisnoop\" (lowercase letters, digits, dashes), got %q", p.Name)
	}
	if !repoRE.MatchString(p.Repo) {
		add("repo", "want \"org/repo\", got %q", p.Repo)
	}
	if p.StagingRegistry != "" && !registryRE.MatchString(p.StagingRegistry) {
		add("stagingRegistry", "not a registry path like gcr.io/k8s-staging-apisnoop: %q", p.StagingRegistry)
	}
	if err := checkRepoPath(p.ManifestPath); err != nil {
		add("manifestPath", "%v", err)
	}
	switch p.StagingSignatures {
	case SignaturesWarn, SignaturesRefuse, SignaturesIgnore:
	default:
		add("stagingSignatures", "want warn, refuse or ignore, got %q", p.StagingSignatures)
	}
	if !registryRE.MatchString(p.ProductionRegistry) {
		add("productionRegistry", "not a registry like registry.k8s.io: %q", p.ProductionRegistry)
	}
	if len(p.Images) == 0 {
		add("images", "at least one image is needed")
	}
	names := map[string]bool{}
	for j := range p.Images {
		img := &p.Images[j]
		iat := fmt.Sprintf("%s.images[%d]", at, j)
		if names[img.Name] {
			errs = append(errs, field(iat+".name", "duplicate image %q", img.Name))
		}
		names[img.Name] = true
		errs = append(errs, img.compile(iat)...)
	}
	errs = append(errs, checkLogins(at+".reviewers", p.Reviewers)...)
	errs = append(errs, checkLogins(at+".allowedUsers", p.AllowedUsers)...)
	for k, t := range p.AllowedTeams {
		if !teamRE.MatchString(t) {
			add(fmt.Sprintf("allowedTeams[%d]", k), "want \"org/team-slug\", got %q", t)
		}
	}
	return errs
}

// compile checks an image's fields and prepares its patterns. Errors name the
// image's own field even when the value came from the project.
func (img *Image) compile(at string) []error {
	var errs []error
	add := func(f, format string, args ...any) { errs = append(errs, field(at+"."+f, format, args...)) }
	if err := manifest.ValidateImageName(img.Name); err != nil {
		add("name", "%v", err)
	}
	if img.Job != "" && !jobRE.MatchString(img.Job) {
		add("job", "not a Prow job name: %q", img.Job)
	}
	if img.GitTags == "" {
		add("gitTags", "no pattern: set gitTags on the project or the image")
		return errs
	}
	if _, err := regexp.Compile(img.GitTags); err != nil {
		add("gitTags", "invalid regexp: %v", err)
		return errs
	}
	// The whole tag must match: anchoring also makes an alternation like
	// v1|v1.2 match v1.2, which a leftmost-first search would not.
	re := regexp.MustCompile(`^(?:` + img.GitTags + `)$`)
	img.gitTags = re
	// Try both templates on the names the pattern offers, so a reference to
	// a group that does not exist fails now, not at the first release.
	sample := sampleData(re)
	var err error
	if img.stagingTag, err = parseTemplate(img.StagingTag, sample, true); err != nil {
		add("stagingTag", "%v", err)
	} else {
		out, _ := render(img.stagingTag, sample, true)
		img.byCommit = strings.Contains(out, commitMarker)
	}
	if img.promotedTag, err = parseTemplate(img.PromotedTag, sample, false); err != nil {
		add("promotedTag", "%v", err)
	}
	return errs
}

func parseTemplate(text string, sample map[string]string, isRegexp bool) (*template.Template, error) {
	t, err := template.New("").Option("missingkey=error").Parse(text)
	if err != nil {
		return nil, err
	}
	out, err := render(t, sample, isRegexp)
	if err != nil {
		return nil, fmt.Errorf("%w (names available: %s)", err, strings.Join(keys(sample), ", "))
	}
	if isRegexp {
		out = strings.ReplaceAll(out, commitMarker, CommitPattern(sampleSHA))
		if _, err := regexp.Compile(out); err != nil {
			return nil, fmt.Errorf("not a regexp once filled in (%q): %v", out, err)
		}
	}
	return t, nil
}

// sampleSHA fills {{.Commit}} when a template is tried at load.
const sampleSHA = "0123456789abcdef0123456789abcdef01234567"

func sampleData(re *regexp.Regexp) map[string]string {
	data := map[string]string{"Tag": "v1.2.3"}
	for _, n := range re.SubexpNames() {
		if n != "" {
			data[n] = "1.2.3"
		}
	}
	return data
}

func keys(m map[string]string) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

func checkLogins(at string, logins []string) []error {
	var errs []error
	for i, l := range logins {
		if !loginRE.MatchString(strings.TrimPrefix(l, "@")) {
			errs = append(errs, field(fmt.Sprintf("%s[%d]", at, i), "not a GitHub login: %q", l))
		}
	}
	return errs
}

func checkRepoPath(p string) error {
	switch {
	case p == "" || strings.HasPrefix(p, "/") || path.Clean(p) != p || strings.HasPrefix(p, "../"):
		return fmt.Errorf("want a clean path inside the manifest repository, got %q", p)
	case !strings.HasSuffix(p, ".yaml"):
		return fmt.Errorf("want a .yaml file, got %q", p)
	}
	return nil
}
