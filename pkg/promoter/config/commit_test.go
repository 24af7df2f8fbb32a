package config

import (
	"regexp"
	"strings"
	"testing"
)

const commitBuilt = `
manifestRepo: kubernetes/k8s.io
projects:
- name: apisnoop
  repo: kubernetes-sigs/apisnoop
  gitTags: '^v\d+\.\d+\.\d+$'
  stagingTag: 'v\d{8}-(?:.+-g)?{{.Commit}}'
  images:
  - name: snoopdb
    job: apisnoop-push-snoopdb-images
  - name: auditlogger
    job: apisnoop-push-auditlogger-images
    stagingTag: 'v\d{8}-{{.Tag}}'
`

const (
	tagged = "1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d"
	// other shares tagged's first 9 digits: a build of it must never pass
	// for one of tagged, whatever the abbreviation.
	other = "1a2b3c4d5ffffffffffffffffffffffffffffff0"
)

func TestCommitPatternMatchesEveryAbbreviation(t *testing.T) {
	re := regexp.MustCompile(`^` + CommitPattern(tagged) + `$`)
	for n := 1; n <= 40; n++ {
		if got, want := re.MatchString(tagged[:n]), n >= MinAbbrev; got != want {
			t.Errorf("%d-digit abbreviation %q: match %v, want %v", n, tagged[:n], got, want)
		}
		if n >= 10 && re.MatchString(other[:n]) {
			t.Errorf("another commit's %d-digit abbreviation %q matched", n, other[:n])
		}
	}
	for _, s := range []string{tagged + "0", strings.ToUpper(tagged[:7]), tagged[:6] + "x"} {
		if re.MatchString(s) {
			t.Errorf("%q must not match", s)
		}
	}
}

func TestCommitBuiltRelease(t *testing.T) {
	c, err := Parse([]byte(commitBuilt))
	if err != nil {
		t.Fatal(err)
	}
	p := c.Project("apisnoop")
	if !p.Images[0].ByCommit() || p.Images[1].ByCommit() {
		t.Fatalf("ByCommit: snoopdb %v, auditlogger %v", p.Images[0].ByCommit(), p.Images[1].ByCommit())
	}
	r, err := p.Release("v0.3.0", tagged)
	if err != nil {
		t.Fatal(err)
	}
	snoopdb, auditlogger := r.Images[0], r.Images[1]
	if !snoopdb.ByCommit || auditlogger.ByCommit || snoopdb.PromotedTag != "v0.3.0" {
		t.Fatalf("release: %+v", r.Images)
	}
	for _, s := range []string{
		"v20261201-" + tagged[:7],
		"v20240501-" + tagged[:9],
		"v20261201-v0.2.0-4-g" + tagged[:9],
		"v20230101-controller-v1.5.1-49-g" + tagged[:12],
		"v20261201-v0.3.0-0-g" + tagged,
	} {
		if !snoopdb.StagingTag.MatchString(s) {
			t.Errorf("%s should match the tagged commit's build %q", snoopdb.StagingTag, s)
		}
	}
	for _, s := range []string{
		"v20261201-" + other[:10],
		"v20261201-v0.2.0-5-g" + other[:12],
		"v20261201-" + tagged[:6],
		"v20261201-v0.3.0",
		"v20261201-" + tagged[:9] + "-dirty",
	} {
		if snoopdb.StagingTag.MatchString(s) {
			t.Errorf("%s must not match %q", snoopdb.StagingTag, s)
		}
	}
	if !auditlogger.StagingTag.MatchString("v20261201-v0.3.0") {
		t.Errorf("a tag-built image of the same project keeps its tag pattern: %s", auditlogger.StagingTag)
	}
}

func TestCommitUnknownLeavesPatternOut(t *testing.T) {
	c, err := Parse([]byte(commitBuilt))
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.Project("apisnoop").Release("v0.3.0", "")
	if err != nil {
		t.Fatal(err)
	}
	if r.Images[0].StagingTag != nil || r.Images[0].Job != "apisnoop-push-snoopdb-images" {
		t.Errorf("without the commit: %+v", r.Images[0])
	}
	if _, err := c.Project("apisnoop").Release("v0.3.0", "HEAD"); err == nil {
		t.Error("a commit that is not a full SHA was accepted")
	}
}

func TestCommitTemplateQuotesTheTag(t *testing.T) {
	// A tag's regexp metacharacters match only themselves next to {{.Commit}}.
	src := strings.Replace(commitBuilt, `'^v\d+\.\d+\.\d+$'`, `'^v\d+\.\d+\.\d+(\+[a-z]+)?$'`, 1)
	src = strings.Replace(src, `'v\d{8}-(?:.+-g)?{{.Commit}}'`, `'v\d{8}-{{.Tag}}-g{{.Commit}}'`, 1)
	src = strings.Replace(src, "  images:\n", "  promotedTag: 'v1'\n  images:\n", 1)
	c, err := Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.Project("apisnoop").Release("v1.2.3+meta", tagged)
	if err != nil {
		t.Fatal(err)
	}
	re := r.Images[0].StagingTag
	if !re.MatchString("v20261201-v1.2.3+meta-g" + tagged[:8]) {
		t.Errorf("%s should match", re)
	}
	for _, s := range []string{"v20261201-v1x2x3+meta-g" + tagged[:8], "v20261201-v1.2.3meta-g" + tagged[:8], "v20261201-v1.2.33+meta-g" + tagged[:8]} {
		if re.MatchString(s) {
			t.Errorf("%s must not match %q", re, s)
		}
	}
}

func TestCommitOnlyInStagingTag(t *testing.T) {
	src := strings.Replace(commitBuilt, "    stagingTag: 'v\\d{8}-{{.Tag}}'", "    promotedTag: '{{.Commit}}'", 1)
	if src == commitBuilt {
		t.Fatal("edit did not apply")
	}
	_, err := Parse([]byte(src))
	if err == nil || !strings.Contains(err.Error(), "projects[0].images[1].promotedTag") {
		t.Errorf("promotedTag with {{.Commit}}: %v", err)
	}
}

func TestReleaseCommitAnyAbbreviation(t *testing.T) {
	c, err := Parse([]byte(commitBuilt))
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.Project("apisnoop").ReleaseCommit(tagged)
	if err != nil {
		t.Fatal(err)
	}
	re := r.Images[0].StagingTag
	for _, s := range []string{"v20261201-" + tagged[:7], "v20261201-" + tagged[:10], "v20261201-v0.2.0-4-g" + tagged[:12]} {
		if !re.MatchString(s) {
			t.Errorf("%s should match %q", re, s)
		}
	}
	if re.MatchString("v20261201-" + other[:10]) {
		t.Errorf("%s matched another commit", re)
	}
	if !r.Merged || r.GitTag != tagged[:7] || !r.Images[0].ByCommit {
		t.Errorf("release: %+v", r)
	}
}
