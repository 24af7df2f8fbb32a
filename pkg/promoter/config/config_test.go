package config

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
)

const apisnoop = `
manifestRepo: kubernetes/k8s.io
projects:
- name: apisnoop
  repo: kubernetes-sigs/apisnoop
  gitTags: '^v\d+\.\d+\.\d+$'
  images:
  - name: snoopdb
    job: apisnoop-push-snoopdb-images
  - name: auditlogger
    job: apisnoop-push-auditlogger-images
    gitTags: '^auditlogger-(?P<version>\d+\.\d+\.\d+)$'
    promotedTag: 'v{{.version}}'
  reviewers: [hh, bobymcbobs]
  requireMultiArch: true
`

func TestParseFillsDefaults(t *testing.T) {
	c, err := Parse([]byte(apisnoop))
	if err != nil {
		t.Fatal(err)
	}
	if c.ManifestBranch != "main" || c.ResyncPeriod.Duration != 10*time.Minute || c.JobTimeout.Duration != 2*time.Hour {
		t.Errorf("defaults: branch %q resync %s timeout %s", c.ManifestBranch, c.ResyncPeriod, c.JobTimeout)
	}
	p := c.Project("apisnoop")
	if p.ManifestPath != "registry.k8s.io/images/k8s-staging-apisnoop/images.yaml" {
		t.Errorf("manifestPath default: %q", p.ManifestPath)
	}
	if p.PromoterManifestPath() != "registry.k8s.io/manifests/k8s-staging-apisnoop/promoter-manifest.yaml" {
		t.Errorf("promoter manifest path: %q", p.PromoterManifestPath())
	}
	if got := c.ProjectsFor("Kubernetes-SIGs/apisnoop"); len(got) != 1 {
		t.Errorf("ProjectsFor is case-insensitive like GitHub: got %d projects", len(got))
	}
}

func TestRelease(t *testing.T) {
	c, err := Parse([]byte(apisnoop))
	if err != nil {
		t.Fatal(err)
	}
	p := c.Project("apisnoop")
	tests := []struct {
		tag         string
		images      []string
		promoted    string
		matches     []string
		doesntMatch []string
	}{
		{tag: "v1.2.3", images: []string{"snoopdb"}, promoted: "v1.2.3",
			matches:     []string{"v20260822-v1.2.3"},
			doesntMatch: []string{"v20260822-v1.2.3-rc.1", "v1.2.3", "v2026082-v1.2.3", "v20260822-v1x2x3", "xv20260822-v1.2.3"}},
		{tag: "auditlogger-0.4.1", images: []string{"auditlogger"}, promoted: "v0.4.1",
			matches:     []string{"v20260101-auditlogger-0.4.1"},
			doesntMatch: []string{"v20260101-auditlogger-0.4.10"}},
		{tag: "v1.2.3-rc.1"},
		{tag: "release-1.2"},
		{tag: "xv1.2.3"},
	}
	for _, tc := range tests {
		r, err := p.Release(tc.tag, "")
		if err != nil {
			t.Fatalf("%s: %v", tc.tag, err)
		}
		var names []string
		for _, img := range r.Images {
			names = append(names, img.Name)
		}
		if strings.Join(names, ",") != strings.Join(tc.images, ",") {
			t.Errorf("%s releases %v, want %v", tc.tag, names, tc.images)
		}
		if len(r.Images) == 0 {
			continue
		}
		img := r.Images[0]
		if img.PromotedTag != tc.promoted {
			t.Errorf("%s: promoted tag %q, want %q", tc.tag, img.PromotedTag, tc.promoted)
		}
		for _, s := range tc.matches {
			if !img.StagingTag.MatchString(s) {
				t.Errorf("%s: staging pattern %s should match %q", tc.tag, img.StagingTag, s)
			}
		}
		for _, s := range tc.doesntMatch {
			if img.StagingTag.MatchString(s) {
				t.Errorf("%s: staging pattern %s must not match %q", tc.tag, img.StagingTag, s)
			}
		}
	}
}

func TestWholeTagMatch(t *testing.T) {
	c, err := Parse([]byte(strings.Replace(apisnoop, `'^v\d+\.\d+\.\d+$'`, `'v1|v1\.2'`, 1)))
	if err != nil {
		t.Fatal(err)
	}
	p := c.Project("apisnoop")
	for tag, want := range map[string]bool{"v1": true, "v1.2": true, "v1.2.3": false, "xv1": false} {
		if p.Matches(tag) != want {
			t.Errorf("Matches(%q) = %v, want %v", tag, !want, want)
		}
		r, err := p.Release(tag, "")
		if err != nil || (len(r.Images) > 0) != want {
			t.Errorf("Release(%q) = %v, %v", tag, r.Images, err)
		}
	}
}

func TestReleaseRefusesHostileTags(t *testing.T) {
	// A lax gitTags lets odd tags through; the promoted tag must still be one
	// the promoter accepts, or the release is refused as a whole.
	c, err := Parse([]byte(strings.Replace(apisnoop, `'^v\d+\.\d+\.\d+$'`, `'^v.*$'`, 1)))
	if err != nil {
		t.Fatal(err)
	}
	p := c.Project("apisnoop")
	for _, tag := range []string{"v1;rm -rf /", "v1 foo: bar", "v1\"]", "v" + strings.Repeat("1", 200)} {
		if _, err := p.Release(tag, ""); err == nil {
			t.Errorf("Release(%q) should fail", tag)
		}
		if !p.Matches(tag) {
			t.Errorf("Matches(%q) should be true so the refusal is reported", tag)
		}
	}
}

func TestParseErrorsNameTheField(t *testing.T) {
	tests := []struct {
		name, edit, want string
	}{
		{"unknown key", "requireMultiArch: true\n", "requireMultiArch: true\n  surprise: 1\n"},
		{"bad regexp", `'^v\d+\.\d+\.\d+$'`, `'^v(\d+$'`},
		{"missing group", `'v{{.version}}'`, `'v{{.build}}'`},
		{"bad repo", "repo: kubernetes-sigs/apisnoop", "repo: apisnoop"},
		{"bad image", "name: snoopdb", "name: SnoopDB"},
		{"bad duration", "manifestRepo: kubernetes/k8s.io", "manifestRepo: kubernetes/k8s.io\nresyncPeriod: soon"},
		{"bad login", "reviewers: [hh, bobymcbobs]", "reviewers: [hh, 'bob by']"},
		{"bad staging template", "job: apisnoop-push-snoopdb-images", "job: apisnoop-push-snoopdb-images\n    stagingTag: 'v{{.Tag'"},
		{"no gitTags", `gitTags: '^v\d+\.\d+\.\d+$'`, ""},
	}
	wants := map[string]string{
		"unknown key":          `unknown field "surprise"`,
		"bad regexp":           "projects[0].images[0].gitTags: invalid regexp",
		"missing group":        "projects[0].images[1].promotedTag",
		"bad repo":             "projects[0].repo",
		"bad image":            "projects[0].images[0].name",
		"bad duration":         "duration",
		"bad login":            "projects[0].reviewers[1]",
		"bad staging template": "projects[0].images[0].stagingTag",
		"no gitTags":           "projects[0].images[0].gitTags: no pattern",
	}
	for _, tc := range tests {
		src := strings.Replace(apisnoop, tc.edit, tc.want, 1)
		if src == apisnoop {
			t.Fatalf("%s: edit did not apply", tc.name)
		}
		_, err := Parse([]byte(src))
		if err == nil {
			t.Errorf("%s: Parse accepted it", tc.name)
			continue
		}
		if !strings.Contains(err.Error(), wants[tc.name]) {
			t.Errorf("%s: error %q does not name %q", tc.name, err, wants[tc.name])
		}
	}
	if _, err := Parse(nil); err == nil {
		t.Error("an empty config was accepted")
	}
}

func TestAgentKeepsLastGoodConfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(apisnoop), 0o644); err != nil {
		t.Fatal(err)
	}
	a, err := NewAgent(path)
	if err != nil {
		t.Fatal(err)
	}
	log := logrus.NewEntry(logrus.New())
	first := a.Config()

	os.WriteFile(path, []byte("manifestRepo: nope\n"), 0o644)
	a.reload(log)
	if a.Config() != first {
		t.Error("a bad reload replaced the config")
	}

	os.WriteFile(path, []byte(strings.Replace(apisnoop, "main", "main", 1)+"manifestBranch: release\n"), 0o644)
	a.reload(log)
	if a.Config().ManifestBranch != "release" {
		t.Errorf("good reload not applied: branch %q", a.Config().ManifestBranch)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	a.Watch(ctx, time.Hour, log) // returns at once on a done context
}
