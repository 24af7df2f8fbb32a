package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"text/template"
	"time"

	"sigs.k8s.io/yaml"
)

// Defaults for keys the file leaves out.
const (
	DefaultManifestBranch = "main"
	DefaultResyncPeriod   = 10 * time.Minute
	DefaultJobTimeout     = 2 * time.Hour
	// DefaultJobWindow: Prow starts a tag's postsubmits within seconds of the
	// push; a run not seen by then will not come (no job for that tag, or
	// the run was deleted after 7 days by sinker).
	DefaultJobWindow = 5 * time.Minute
	// DefaultStagingTag is test-infra image-builder's tag: v<build date>-<git describe>.
	DefaultStagingTag  = `v\d{8}-{{.Tag}}`
	DefaultPromotedTag = `{{.Tag}}`
	// DefaultLiveTimeout: kubernetes/k8s.io's promotion job runs on every
	// merge and takes minutes; hours without the images live means it
	// failed.
	DefaultLiveTimeout        = 6 * time.Hour
	DefaultProductionRegistry = "registry.k8s.io"
)

// What to do about cosign signatures and attestations attached to a staged
// digest (stagingSignatures): pull-k8sio-cip refuses some of them.
const (
	SignaturesWarn   = "warn"   // name them in the PR body (the default)
	SignaturesRefuse = "refuse" // refuse the promotion, naming them
	SignaturesIgnore = "ignore" // say nothing
)

// Config is the whole file. Load or Parse it; both validate.
type Config struct {
	// ManifestRepo is "org/repo" where promotion PRs go (kubernetes/k8s.io).
	ManifestRepo   string   `json:"manifestRepo"`
	ManifestBranch string   `json:"manifestBranch,omitempty"`
	ResyncPeriod   Duration `json:"resyncPeriod,omitempty"`
	JobTimeout     Duration `json:"jobTimeout,omitempty"`
	// JobWindow is how long to wait for an image job's run to appear before
	// the staging registry alone is taken as the evidence.
	JobWindow Duration `json:"jobWindow,omitempty"`
	// LiveTimeout is how long after a promotion PR merges promoter watches
	// the production registry for every promoted tag before it says the
	// promotion failed.
	LiveTimeout Duration  `json:"liveTimeout,omitempty"`
	Projects    []Project `json:"projects"`
}

// Project is one staging project (k8s-staging-<name>) and its source repo.
type Project struct {
	Name             string   `json:"name"`
	Repo             string   `json:"repo"`
	StagingRegistry  string   `json:"stagingRegistry,omitempty"`
	ManifestPath     string   `json:"manifestPath,omitempty"`
	GitTags          string   `json:"gitTags,omitempty"`
	StagingTag       string   `json:"stagingTag,omitempty"`
	PromotedTag      string   `json:"promotedTag,omitempty"`
	Images           []Image  `json:"images"`
	Reviewers        []string `json:"reviewers,omitempty"`
	RequireMultiArch bool     `json:"requireMultiArch,omitempty"`
	AllowedUsers     []string `json:"allowedUsers,omitempty"`
	AllowedTeams     []string `json:"allowedTeams,omitempty"`
	// StagingSignatures: warn, refuse or ignore cosign signatures and
	// attestations on a staged digest (default warn).
	StagingSignatures string `json:"stagingSignatures,omitempty"`
	// ProductionRegistry is where promoted images are served
	// (default registry.k8s.io), watched after the PR merges.
	ProductionRegistry string `json:"productionRegistry,omitempty"`
}

// Image is one image of a project. Empty fields take the project's value.
type Image struct {
	Name        string `json:"name"`
	Job         string `json:"job,omitempty"`
	GitTags     string `json:"gitTags,omitempty"`
	StagingTag  string `json:"stagingTag,omitempty"`
	PromotedTag string `json:"promotedTag,omitempty"`

	gitTags     *regexp.Regexp
	stagingTag  *template.Template
	promotedTag *template.Template
	byCommit    bool // stagingTag uses {{.Commit}}
}

// ByCommit reports whether the image's builds are found by the released
// commit ({{.Commit}} in stagingTag) rather than by the tag: its job runs on
// a branch, not on tags.
func (img *Image) ByCommit() bool { return img.byCommit }

// Duration reads "10m" or "2h" as YAML strings.
type Duration struct{ time.Duration }

func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := yaml.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("want a duration like \"10m\": %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	d.Duration = v
	return nil
}

func (d Duration) MarshalJSON() ([]byte, error) { return []byte(`"` + d.String() + `"`), nil }

// Load reads and validates the file at path.
func Load(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	c, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// Parse reads a config strictly (unknown keys are errors), fills defaults and
// validates every field; errors name the field, e.g. projects[0].gitTags.
func Parse(b []byte) (*Config, error) {
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, errors.New("config is empty")
	}
	var c Config
	if err := yaml.UnmarshalStrict(b, &c); err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	c.defaults()
	if err := c.validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

func (c *Config) defaults() {
	if c.ManifestBranch == "" {
		c.ManifestBranch = DefaultManifestBranch
	}
	if c.ResyncPeriod.Duration == 0 {
		c.ResyncPeriod.Duration = DefaultResyncPeriod
	}
	if c.JobTimeout.Duration == 0 {
		c.JobTimeout.Duration = DefaultJobTimeout
	}
	if c.JobWindow.Duration == 0 {
		c.JobWindow.Duration = min(DefaultJobWindow, c.JobTimeout.Duration)
	}
	if c.LiveTimeout.Duration == 0 {
		c.LiveTimeout.Duration = DefaultLiveTimeout
	}
	for i := range c.Projects {
		p := &c.Projects[i]
		if p.ManifestPath == "" {
			p.ManifestPath = "registry.k8s.io/images/k8s-staging-" + p.Name + "/images.yaml"
		}
		p.StagingTag = or(p.StagingTag, DefaultStagingTag)
		p.StagingSignatures = or(p.StagingSignatures, SignaturesWarn)
		p.ProductionRegistry = or(p.ProductionRegistry, DefaultProductionRegistry)
		p.PromotedTag = or(p.PromotedTag, DefaultPromotedTag)
		for j := range p.Images {
			img := &p.Images[j]
			img.GitTags = or(img.GitTags, p.GitTags)
			img.StagingTag = or(img.StagingTag, p.StagingTag)
			img.PromotedTag = or(img.PromotedTag, p.PromotedTag)
		}
	}
}

// Project returns the project with that name, or nil.
func (c *Config) Project(name string) *Project {
	for i := range c.Projects {
		if c.Projects[i].Name == name {
			return &c.Projects[i]
		}
	}
	return nil
}

// ProjectsFor returns the projects whose source repository is repo ("org/repo").
func (c *Config) ProjectsFor(repo string) []*Project {
	var ps []*Project
	for i := range c.Projects {
		if strings.EqualFold(c.Projects[i].Repo, repo) {
			ps = append(ps, &c.Projects[i])
		}
	}
	return ps
}

// ByCommit reports whether any image of the project is built from the
// released commit ({{.Commit}} in its stagingTag).
func (p *Project) ByCommit() bool {
	for i := range p.Images {
		if p.Images[i].byCommit {
			return true
		}
	}
	return false
}

// PromoterManifestPath is where kubernetes/k8s.io keeps the project's
// promoter-manifest.yaml, whose src registry is the default staging registry.
func (p *Project) PromoterManifestPath() string {
	return "registry.k8s.io/manifests/k8s-staging-" + p.Name + "/promoter-manifest.yaml"
}

func or(v, fallback string) string {
	if v == "" {
		return fallback
	}
	return v
}
