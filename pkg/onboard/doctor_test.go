package onboard

import (
	"bytes"
	"strings"
	"testing"
)

// A config that is right for the fixture: snoop built by commit, tagged by tag.
const goodConfig = `manifestRepo: kubernetes/k8s.io
projects:
- name: snoop
  repo: example/snoop
  gitTags: '^v\d+\.\d+\.\d+$'
  stagingTag: 'v\d{8}-(?:.+-g)?{{.Commit}}'
  images:
  - name: db
    job: snoop-push-db-images
  - name: logger
    job: snoop-push-logger-images
- name: tagged
  repo: example/tagged
  gitTags: '^v\d+\.\d+\.\d+$'
  images:
  - name: tagged
    job: post-tagged-push-images
  - name: tagged-amd64
    job: post-tagged-push-images
`

func findingsFor(t *testing.T, in *Inputs, cfg string) []Finding {
	t.Helper()
	return in.Doctor([]byte(cfg))
}

func plant(t *testing.T, old, new string) string {
	t.Helper()
	if !strings.Contains(goodConfig, old) {
		t.Fatalf("%q is not in the good config", old)
	}
	return strings.Replace(goodConfig, old, new, 1)
}

func TestDoctorGoodConfigHasNoFindings(t *testing.T) {
	in := loadFixture(t)
	if fs := findingsFor(t, in, goodConfig); len(fs) != 0 {
		t.Errorf("findings on a good config: %v", fs)
	}
}

func TestDoctorFindsPlantedMistakes(t *testing.T) {
	in := loadFixture(t)
	cases := []struct {
		name       string
		cfg        string
		sev        Severity
		field      string
		problem    string
		fix        string
		onlyErrors int // errors expected in all (the planted one alone)
	}{
		{"renamed job", plant(t, "job: snoop-push-logger-images", "job: snoop-push-logger-image"),
			Error, "projects[0].images[1].job", `no job "snoop-push-logger-image"`, "did you mean snoop-push-logger-images?", 1},
		{"main-only job with a tag staging tag", plant(t, `stagingTag: 'v\d{8}-(?:.+-g)?{{.Commit}}'`, `stagingTag: 'v\d{8}-{{.Tag}}'`),
			Error, "projects[0].stagingTag", "snoop-push-db-images (k8s-staging-snoop.yaml:3) never runs for release tags like v0.1.0, v0.2.0", "{{.Commit}}", 2},
		{"misspelt image", plant(t, "- name: logger", "- name: loger"),
			Error, "projects[0].images[1].name", `image "loger" is not in registry.k8s.io/images/k8s-staging-snoop/images.yaml; did you mean "logger"?`, "rename it to logger", 1},
		{"staging registry other than src", plant(t, "  repo: example/snoop\n", "  repo: example/snoop\n  stagingRegistry: gcr.io/k8s-staging-other\n"),
			Error, "projects[0].stagingRegistry", "gcr.io/k8s-staging-other differs from gcr.io/k8s-staging-snoop", "set stagingRegistry: gcr.io/k8s-staging-snoop", 1},
		{"gitTags that matches no promoted tag", plant(t, "  repo: example/tagged\n  gitTags: '^v\\d+\\.\\d+\\.\\d+$'", "  repo: example/tagged\n  gitTags: '^release-\\d+$'"),
			Error, "projects[1].gitTags", "gives none of the release tags of tagged, tagged-amd64 (v1.0.0, v1.1.0-rc.1, v1.1.0 and 2 more)", "", 1},
		{"job of another repository", plant(t, "job: post-tagged-push-images", "job: snoop-push-db-images"),
			Error, "projects[1].images[0].job", "runs for pushes to example/snoop, not to example/tagged", "name a postsubmit of example/tagged", 1},
		{"periodic", plant(t, "job: post-tagged-push-images", "job: periodic-tagged-push-images"),
			Error, "projects[1].images[0].job", "is a periodic", "post-tagged-push-images", 1},
		{"manifestPath that does not exist", plant(t, "  repo: example/snoop\n", "  repo: example/snoop\n  manifestPath: registry.k8s.io/images/k8s-staging-snop/images.yaml\n"),
			Error, "projects[0].manifestPath", "is not an images.yaml in kubernetes/k8s.io", "did you mean registry.k8s.io/images/k8s-staging-snoop/images.yaml?", -1},
		{"legacy k8s.gcr.io images.yaml", plant(t, "  repo: example/snoop\n", "  repo: example/snoop\n  manifestPath: k8s.gcr.io/images/k8s-staging-snoop/images.yaml\n"),
			Error, "projects[0].manifestPath", "is the legacy k8s.gcr.io copy", "did you mean registry.k8s.io/images/k8s-staging-snoop/images.yaml?", -1},
		{"no promoter-manifest for the default registry", plant(t, "- name: snoop\n  repo: example/snoop\n", "- name: snoopy\n  repo: example/snoop\n  manifestPath: registry.k8s.io/images/k8s-staging-snoop/images.yaml\n"),
			Error, "projects[0].stagingRegistry", "its default, the src of registry.k8s.io/manifests/k8s-staging-snoopy/promoter-manifest.yaml, cannot be read", "set stagingRegistry: gcr.io/k8s-staging-snoop", 1},
		{"commit-built while the job runs on tags", plant(t, "  repo: example/tagged\n", "  repo: example/tagged\n  stagingTag: 'v\\d{8}-(?:.+-g)?{{.Commit}}'\n"),
			Warning, "projects[1].stagingTag", "post-tagged-push-images also runs for release tag pushes (e.g. v1.0.0)", `consider stagingTag: 'v\d{8}-{{.Tag}}'`, 0},
		{"a job the job config names is missing", plant(t, "  - name: tagged\n    job: post-tagged-push-images\n", "  - name: tagged\n"),
			Warning, "projects[1].images[0].job", "while post-tagged-push-images builds it", "set job: post-tagged-push-images", 0},
		{"an image released with the others left out", plant(t, "  - name: logger\n    job: snoop-push-logger-images\n", ""),
			Warning, "projects[0].images", "logger was last promoted as v0.2.0, the project's newest release, but is not configured", "add image logger", 0},
		{"invalid config", plant(t, "manifestRepo: kubernetes/k8s.io", "manifestRepo: k8s.io"),
			Error, "config", `manifestRepo: want "org/repo"`, "promoter refuses this config", 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fs := findingsFor(t, in, c.cfg)
			var hit *Finding
			for i, f := range fs {
				if f.Severity == c.sev && f.Field == c.field && strings.Contains(f.Problem, c.problem) && strings.Contains(f.Fix, c.fix) {
					hit = &fs[i]
				}
			}
			if hit == nil {
				t.Fatalf("no %s on %s with %q (fix %q); findings:\n%s", c.sev, c.field, c.problem, c.fix, lines(fs))
			}
			if c.onlyErrors >= 0 && Errors(fs) != c.onlyErrors {
				t.Errorf("%d errors, want %d:\n%s", Errors(fs), c.onlyErrors, lines(fs))
			}
		})
	}
}

// A run_if_changed job never runs for a tag push, whatever its branches.
func TestDoctorRunIfChangedWithTagStagingTag(t *testing.T) {
	in := loadFixture(t)
	cfg := `manifestRepo: kubernetes/k8s.io
projects:
- name: gated
  repo: example/gated
  gitTags: '^v\d+\.\d+\.\d+$'
  images:
  - name: gated
    job: post-gated-push-images
`
	fs := findingsFor(t, in, cfg)
	if Errors(fs) != 1 || fs[0].Field != "projects[0].stagingTag" || !strings.Contains(fs[0].Problem, `has run_if_changed "^images/gated/"`) {
		t.Errorf("findings:\n%s", lines(fs))
	}
}

// The generated config is one the doctor finds no error in.
func TestDoctorAcceptsGeneratedConfig(t *testing.T) {
	in := loadFixture(t)
	cfg, p, _, err := in.Generate(nil, Source{Command: "test"})
	if err != nil {
		t.Fatal(err)
	}
	fs := in.Doctor(cfg)
	if Errors(fs) != 0 {
		t.Errorf("errors in the generated config:\n%s", lines(fs))
	}
	if len(p.Entries) != 7 {
		t.Errorf("%d entries", len(p.Entries))
	}
}

func TestClosest(t *testing.T) {
	names := []string{"apisnoop-push-auditlogger-images", "apisnoop-push-snoopdb-images"}
	if c := closest("apisnoop-push-auditloger-images", names); c != names[0] {
		t.Errorf("closest: %q", c)
	}
	if c := closest("something-else-entirely", names); c != "" {
		t.Errorf("a far name was suggested: %q", c)
	}
}

func lines(fs []Finding) string {
	var b bytes.Buffer
	for _, f := range fs {
		b.WriteString(f.String() + "\n")
	}
	return b.String()
}
