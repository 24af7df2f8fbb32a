package onboard

import (
	"bytes"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"sigs.k8s.io/promoter/pkg/promoter/config"
)

var corpus struct {
	once sync.Once
	in   *Inputs
	skip string
	err  error
}

// corpusInputs loads the shared corpus once: test-infra's
// config/jobs/image-pushing (2026-08) and kubernetes/k8s.io's
// registry.k8s.io (2024-06), read in place. Nothing changes Inputs.
func corpusInputs(t testing.TB) *Inputs {
	t.Helper()
	corpus.once.Do(func() { corpus.in, corpus.skip, corpus.err = loadCorpus(t) })
	if corpus.skip != "" {
		t.Skip(corpus.skip)
	}
	if corpus.err != nil {
		t.Fatal(corpus.err)
	}
	return corpus.in
}

func loadCorpus(t testing.TB) (*Inputs, string, error) {
	root := repoRoot(t)
	corpus := filepath.Join(root, "..", "shared", "corpus")
	testInfra := filepath.Join(corpus, "test-infra")
	k8sIO := filepath.Join(corpus, "k8sio")
	for _, p := range []string{filepath.Join(testInfra, "image-pushing"), filepath.Join(k8sIO, "registry.k8s.io", "images")} {
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Sprintf("shared corpus not here (%s): %v", p, err), nil
		}
	}
	in, err := Load(testInfra, k8sIO)
	return in, "", err
}

// repoRoot is the directory holding go.mod.
func repoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
}

func generateCorpus(t testing.TB, in *Inputs) ([]byte, *Plan) {
	t.Helper()
	cfg, p, _, err := in.Generate(nil, Source{Command: "promoter-config generate (test)", TestInfra: in.Jobs.Dir, K8sIO: in.K8sIO.Root})
	if err != nil {
		t.Fatal(err)
	}
	return cfg, p
}

func TestCorpusGenerateGivesAConfigPromoterAndDoctorAccept(t *testing.T) {
	in := corpusInputs(t)
	cfg, p := generateCorpus(t, in)
	parsed, err := config.Parse(cfg)
	if err != nil {
		t.Fatalf("promoter refuses the generated config: %v", err)
	}
	if len(parsed.Projects) != len(p.Entries) || len(p.Entries) < 40 {
		t.Errorf("%d projects parsed, %d planned", len(parsed.Projects), len(p.Entries))
	}
	fs := in.Doctor(cfg)
	if Errors(fs) != 0 {
		t.Errorf("doctor finds errors in the generated config:\n%s", lines(fs))
	}
}

// Regenerating from the same inputs gives the same bytes, so a config kept
// in git shows only real changes when regenerated.
func TestCorpusGenerateIsDeterministic(t *testing.T) {
	in := corpusInputs(t)
	first, _ := generateCorpus(t, in)
	for range 3 {
		if again, _ := generateCorpus(t, in); !bytes.Equal(again, first) {
			t.Fatal("two runs over the same inputs gave different configs")
		}
	}
}

func TestCorpusApisnoopIsCommitBuiltWithItsTwoJobs(t *testing.T) {
	in := corpusInputs(t)
	_, p := generateCorpus(t, in)
	e := entry(t, p, "apisnoop")
	if !e.Mode.ByCommit || e.Mode.StagingTag != CommitBuilt || e.Repo != "kubernetes-sigs/apisnoop" {
		t.Errorf("apisnoop: %s %+v", e.Repo, e.Mode)
	}
	got := imageJobs(e)
	if len(got) != 2 || got["snoopdb"] != "apisnoop-push-snoopdb-images" || got["auditlogger"] != "apisnoop-push-auditlogger-images" {
		t.Errorf("apisnoop images %v", got)
	}
	// verify-conformance's job pushes to the same project from another repository.
	if len(e.Idle) != 1 || e.Idle[0].Name != "post-verify-conformance-push-images" {
		t.Errorf("idle jobs %v", e.Idle)
	}
}

func TestCorpusTagJobsAreTagBuilt(t *testing.T) {
	in := corpusInputs(t)
	_, p := generateCorpus(t, in)
	cases := []struct {
		name, job, gitTags, promoted string
	}{
		// ^v<semver> among its branches.
		{"descheduler", "post-descheduler-push-images", `^v\d+\.\d+\.\d+$`, "{{.Tag}}"},
		// Shared k8s-staging-images project, found by its job file.
		{"kueue", "post-kueue-push-images", `^v\d+\.\d+\.\d+$`, "{{.Tag}}"},
		// Runs on v-tags, promotes without the v.
		{"kops", "kops-postsubmit-push-to-staging", `^v(?P<version>\d+\.\d+\.\d+(?:-(?:alpha|beta)\.\d+)?)$`, "{{.version}}"},
		// Runs on kustomize/v<semver> tags.
		{"kustomize", "post-kustomize-push-images", `^kustomize/(?P<version>v\d+\.\d+\.\d+)$`, "{{.version}}"},
		// Branches ^\d+\.\d+\.\d+$: tags without the v.
		{"dns", "dns-push-images", `^\d+\.\d+\.\d+$`, "{{.Tag}}"},
	}
	for _, c := range cases {
		e := entry(t, p, c.name)
		if e.Mode.ByCommit || e.Mode.StagingTag != TagBuilt || e.Mode.GitTags != c.gitTags || e.Mode.PromotedTag != c.promoted {
			t.Errorf("%s: %+v", c.name, e.Mode)
		}
		for img, job := range imageJobs(e) {
			if job != c.job {
				t.Errorf("%s: image %s built by %s, want %s", c.name, img, job, c.job)
			}
		}
	}
}

func TestCorpusVarieties(t *testing.T) {
	in := corpusInputs(t)
	_, p := generateCorpus(t, in)
	// The src registry's project differs from the directory.
	if e := entry(t, p, "ingress-controller-conformance"); e.Staging.Source != "gcr.io/k8s-staging-ingressconformance" {
		t.Errorf("ingress-controller-conformance: src %s", e.Staging.Source)
	}
	// Manifests with imagesPath.
	for _, name := range []string{"jobset", "kueue", "lws", "scheduler-plugins"} {
		if e := entry(t, p, name); !strings.HasSuffix(e.Staging.ManifestPath, "/promoter-manifest.yaml") || e.Staging.ImagesPath != "registry.k8s.io/images/k8s-staging-"+name+"/images.yaml" {
			t.Errorf("%s: %s, %s", name, e.Staging.ManifestPath, e.Staging.ImagesPath)
		}
	}
	// A main-only job with run_if_changed builds by commit, and says why.
	if e := entry(t, p, "kubernetes"); !e.Mode.ByCommit || !strings.Contains(strings.Join(e.Mode.Notes, " "), "runs only when files matching") || imageJobs(e)["pause"] != "post-kubernetes-push-image-pause" {
		t.Errorf("kubernetes: %+v %v", e.Mode, imageJobs(e))
	}
	skipped := map[string]Reason{}
	for _, s := range p.Skipped {
		skipped[s.Project] = s.Reason
	}
	for project, r := range map[string]Reason{
		"k8s-staging-cluster-api-kubeadm": NoJob,        // its src is capi-kubeadm, which no job names
		"k8s-staging-kind":                NoImagesFile, // jobs push to it, nothing promoted yet
		"k8s-infra-prow":                  NotStaging,
		"k8s-staging-tg-exporter":         NoImages,
		"k8s-staging-slack-infra":         NoReleaseTags,
	} {
		if skipped[project] != r {
			t.Errorf("%s: %q, want %q", project, skipped[project], r)
		}
	}
}

// Every image-push postsubmit is accounted for: in a configured project's
// jobs, or named by a project that was not configured.
func TestCorpusEveryPostsubmitIsAccountedFor(t *testing.T) {
	in := corpusInputs(t)
	_, p := generateCorpus(t, in)
	configured := map[string]bool{}
	for _, e := range p.Entries {
		configured[e.Staging.Dir] = true
	}
	skipped := map[string]bool{}
	for _, s := range p.Skipped {
		skipped[s.Project] = true
	}
	posts := in.Jobs.Postsubmits()
	if len(posts) != 202 {
		t.Errorf("%d postsubmits read, the corpus has 202", len(posts))
	}
	shared := 0
	for _, j := range posts {
		dir := TargetDir(j, in.K8sIO)
		if !configured[dir] && !skipped[dir] {
			t.Errorf("%s (%s) maps to %q, which is neither configured nor reported", j.Name, j.Where(), dir)
		}
		if j.GCBProject == SharedImagesProject {
			shared++
			if want := strings.TrimSuffix(path.Base(j.File), ".yaml"); dir != want {
				t.Errorf("%s: shared-project job mapped to %s, want its file's project %s", j.Name, dir, want)
			}
		}
	}
	if shared != 39 {
		t.Errorf("%d jobs build in k8s-staging-images, the corpus has 39", shared)
	}
	if f := p.Figures(); f.Projects != len(configured)+len(p.Skipped) {
		t.Errorf("figures %+v", f)
	}
}

func TestCorpusDoctorFindsPlantedMistakes(t *testing.T) {
	in := corpusInputs(t)
	cfg, _ := generateCorpus(t, in)
	cases := []struct {
		name, old, new, field, problem string
		errors                         int
	}{
		{"renamed job", "job: apisnoop-push-auditlogger-images", "job: apisnoop-push-auditlogger-image",
			".images[1].job", `no job "apisnoop-push-auditlogger-image"`, 1},
		// One error per job: neither runs on tags.
		{"main-only job with a tag staging tag", "  stagingTag: 'v\\d{8}-(?:.+-g)?{{.Commit}}'\n  promotedTag: '{{.Tag}}'\n  images:\n  - name: snoopdb", "  stagingTag: 'v\\d{8}-{{.Tag}}'\n  promotedTag: '{{.Tag}}'\n  images:\n  - name: snoopdb",
			".stagingTag", "apisnoop-push-snoopdb-images (k8s-staging-apisnoop.yaml:25) never runs for release tags like v0.1.0", 2},
		{"misspelt image", "- name: snoopdb", "- name: snopdb",
			".images[0].name", `did you mean "snoopdb"?`, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			text := string(cfg)
			if strings.Count(text, c.old) != 1 {
				t.Fatalf("%q is not once in the generated config", c.old)
			}
			fs := in.Doctor([]byte(strings.Replace(text, c.old, c.new, 1)))
			found, others := false, 0
			for _, f := range fs {
				if f.Severity == Error && f.Project == "apisnoop" && strings.HasSuffix(f.Field, c.field) && strings.Contains(f.Problem, c.problem) {
					found = true
				}
				if f.Severity == Error && f.Project != "apisnoop" {
					others++
				}
			}
			if !found || Errors(fs) != c.errors || others > 0 {
				t.Errorf("want %d error(s) on apisnoop, among them %s %q; findings:\n%s", c.errors, c.field, c.problem, lines(fs))
			}
		})
	}
}
