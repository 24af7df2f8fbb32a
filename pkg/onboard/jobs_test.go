package onboard

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	fixtureTestInfra = "testdata/test-infra"
	fixtureK8sIO     = "testdata/k8s.io"
)

func loadFixture(t *testing.T) *Inputs {
	t.Helper()
	in, err := Load(fixtureTestInfra, fixtureK8sIO)
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func mustJob(t *testing.T, js *Jobs, name string) *Job {
	t.Helper()
	j := js.Lookup(name)
	if j == nil {
		t.Fatalf("job %s not read", name)
	}
	return j
}

func TestLoadJobsReadsImageBuilderArgs(t *testing.T) {
	js, err := LoadJobs(fixtureTestInfra)
	if err != nil {
		t.Fatal(err)
	}
	db := mustJob(t, js, "snoop-push-db-images")
	if db.Repo != "example/snoop" || db.GCBProject != "k8s-staging-snoop" || db.ConfigDir != "apps/db" {
		t.Errorf("snoop-push-db-images: repo %q, --project %q, build dir %q", db.Repo, db.GCBProject, db.ConfigDir)
	}
	if db.File != "k8s-staging-snoop.yaml" || db.Line != 3 {
		t.Errorf("snoop-push-db-images is at %s, want k8s-staging-snoop.yaml:3", db.Where())
	}
	gated := mustJob(t, js, "post-gated-push-images")
	if gated.File != "releng/k8s-staging-gated.yaml" {
		t.Errorf("a job in a subdirectory: file %q", gated.File)
	}
	ctl := mustJob(t, js, "mono-push-controller-images")
	if ctl.GCBConfig != "images/controller/cloudbuild.yaml" || ctl.ConfigDir != "." {
		t.Errorf("mono-push-controller-images: --gcb-config %q, build dir %q", ctl.GCBConfig, ctl.ConfigDir)
	}
	per := mustJob(t, js, "periodic-tagged-push-images")
	if !per.Periodic || per.RunsOn("main") || per.RunsOnTag("v1.0.0") {
		t.Error("a periodic must be marked and never run for a ref")
	}
	for _, j := range js.Postsubmits() {
		if j.Periodic {
			t.Errorf("Postsubmits returned periodic %s", j.Name)
		}
	}
}

// Branch filters behave as Prow's own Brancher at our version: entries are
// joined with | and searched, not anchored; skip_branches wins; a
// run_if_changed job never runs for a tag push.
func TestJobRunsAsProwDecides(t *testing.T) {
	js, err := LoadJobs(fixtureTestInfra)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		job, ref   string
		runs, tags bool
	}{
		{"snoop-push-db-images", "main", true, true},
		{"snoop-push-db-images", "v0.2.0", false, false},
		{"snoop-push-db-images", "main-old", false, false}, // ^main$ anchors itself
		{"post-tagged-push-images", "v1.1.0", true, true},
		{"post-tagged-push-images", "v1.1.0-rc.1", true, true},
		{"post-tagged-push-images", "1.1.0", false, false},
		{"post-tagged-push-images", "release-1.1", true, true},
		// ^release- is not anchored at the end: Prow matches any suffix.
		{"post-tagged-push-images", "release-anything", true, true},
		{"post-shared-push-images", "v0.2.0", true, true}, // only skip_branches
		{"post-shared-push-images", "dependabot/go_modules/x", false, false},
		{"post-gated-push-images", "v1.1.0", true, false}, // run_if_changed
		{"post-gated-push-images", "main", true, false},
		{"mono-push-agent-images", "agent-v0.4.0", true, true},
		{"mono-push-agent-images", "controller-v1.3.0", false, false},
	}
	for _, c := range cases {
		j := mustJob(t, js, c.job)
		if got := j.RunsOn(c.ref); got != c.runs {
			t.Errorf("%s.RunsOn(%q) = %v, want %v", c.job, c.ref, got, c.runs)
		}
		if got := j.RunsOnTag(c.ref); got != c.tags {
			t.Errorf("%s.RunsOnTag(%q) = %v, want %v", c.job, c.ref, got, c.tags)
		}
	}
	if !mustJob(t, js, "post-gated-push-images").ChangeGated() || mustJob(t, js, "post-tagged-push-images").ChangeGated() {
		t.Error("ChangeGated is wrong")
	}
}

func TestImagePushingDirAcceptsEachLayout(t *testing.T) {
	want, _ := filepath.Abs(filepath.Join(fixtureTestInfra, "config", "jobs", "image-pushing"))
	for _, dir := range []string{
		fixtureTestInfra, // a test-infra checkout
		filepath.Join(fixtureTestInfra, "config", "jobs"),                  // holds image-pushing/
		filepath.Join(fixtureTestInfra, "config", "jobs", "image-pushing"), // the directory itself
	} {
		got, err := ImagePushingDir(dir)
		if err != nil {
			t.Errorf("%s: %v", dir, err)
			continue
		}
		if abs, _ := filepath.Abs(got); abs != want {
			t.Errorf("%s: found %s, want %s", dir, got, want)
		}
	}
	if _, err := ImagePushingDir(t.TempDir()); err == nil {
		t.Error("an empty directory was taken for test-infra")
	}
}

func TestLoadJobsRefusesBadJobConfig(t *testing.T) {
	dir := t.TempDir()
	bad := "postsubmits:\n  example/x:\n    - name: x\n      branches: ['(']\n"
	if err := os.WriteFile(filepath.Join(dir, "x.yaml"), []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadJobs(dir); err == nil {
		t.Error("a branch regexp that does not compile was accepted")
	}
	// YAML that is not job config (a promoter config, say): no jobs is an
	// error, not an empty plan.
	other := t.TempDir()
	if err := os.WriteFile(filepath.Join(other, "config.yaml"), []byte("manifestRepo: kubernetes/k8s.io\nprojects: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadJobs(other); err == nil || !strings.Contains(err.Error(), "no postsubmits") {
		t.Errorf("a directory of other YAML: %v", err)
	}
}
