package onboard

import (
	"bytes"
	"strings"
	"testing"

	"sigs.k8s.io/promoter/pkg/promoter/config"
)

func planFixture(t *testing.T) (*Inputs, *Plan) {
	t.Helper()
	in := loadFixture(t)
	return in, NewPlan(in.Jobs, in.K8sIO)
}

func entry(t *testing.T, p *Plan, name string) *Entry {
	t.Helper()
	for _, e := range p.Entries {
		if e.Name == name {
			return e
		}
	}
	t.Fatalf("no entry %s", name)
	return nil
}

// imageJobs maps each configured image to its job.
func imageJobs(e *Entry) map[string]string {
	out := map[string]string{}
	for _, img := range e.Images {
		out[img.Name] = img.Job.Name
	}
	return out
}

func leftNames(l []LeftOut) string { return strings.Join(imageNames(l), ",") }

func TestPlanMainOnlyJobsAreCommitBuilt(t *testing.T) {
	_, p := planFixture(t)
	e := entry(t, p, "snoop")
	if !e.Mode.ByCommit || e.Mode.StagingTag != CommitBuilt || e.Mode.GitTags != `^v\d+\.\d+\.\d+$` {
		t.Errorf("snoop mode %+v", e.Mode)
	}
	want := map[string]string{"db": "snoop-push-db-images", "logger": "snoop-push-logger-images"}
	if got := imageJobs(e); len(got) != 2 || got["db"] != want["db"] || got["logger"] != want["logger"] {
		t.Errorf("snoop images %v", got)
	}
	// The other repository's job pushes here too, but builds no known image.
	if len(e.Idle) != 1 || e.Idle[0].Name != "post-verify-push-images" {
		t.Errorf("idle jobs %v", e.Idle)
	}
}

func TestPlanTagJobsAreTagBuilt(t *testing.T) {
	_, p := planFixture(t)
	e := entry(t, p, "tagged")
	if e.Mode.ByCommit || e.Mode.StagingTag != TagBuilt || e.Mode.GitTags != `^v\d+\.\d+\.\d+(?:-(?:rc)\.\d+)?$` {
		t.Errorf("tagged mode %+v", e.Mode)
	}
	if got := imageJobs(e); len(got) != 2 || got["tagged"] == "" || got["tagged-amd64"] == "" {
		t.Errorf("tagged images %v", got)
	}
	if leftNames(e.Left) != "tagged-arm" || !strings.Contains(e.Left[0].Why, "v0.1.0") {
		t.Errorf("left out %v", e.Left)
	}
	if leftNames(e.Unassigned) != "helper" {
		t.Errorf("unassigned %v", e.Unassigned)
	}
	if e.RequireMultiArch {
		t.Error("a project promoting -amd64 images cannot require multi-arch")
	}
	// skip_branches only: runs on tags too.
	if shared := entry(t, p, "shared"); shared.Mode.ByCommit || shared.Staging.Source != "us-central1-docker.pkg.dev/k8s-staging-images/shared" {
		t.Errorf("shared: %+v from %s", shared.Mode, shared.Staging.Source)
	}
}

func TestPlanRunIfChangedIsCommitBuilt(t *testing.T) {
	_, p := planFixture(t)
	e := entry(t, p, "gated")
	if !e.Mode.ByCommit || len(e.Mode.Notes) == 0 || !strings.Contains(e.Mode.Notes[0], "tag push changes none") {
		t.Errorf("gated mode %+v", e.Mode)
	}
}

func TestPlanGitTagPrefixes(t *testing.T) {
	_, p := planFixture(t)
	// Promoted 1.29.0 from a job that runs on v-tags: git tag v1.29.0.
	novee := entry(t, p, "novee")
	if novee.Mode.GitTags != `^v(?P<version>\d+\.\d+\.\d+(?:-(?:beta)\.\d+)?)$` || novee.Mode.PromotedTag != "{{.version}}" || novee.Mode.ByCommit {
		t.Errorf("novee mode %+v", novee.Mode)
	}
	if got := imageJobs(novee); len(got) != 2 {
		t.Errorf("release-grouped images must come once each: %v", got)
	}
	// A monorepo releasing each image by its own tag prefix.
	mono := entry(t, p, "mono")
	modes := map[string]Mode{}
	for _, img := range mono.Images {
		modes[img.Name] = img.Mode
	}
	if modes["controller"].GitTags != `^controller-(?P<version>v\d+\.\d+\.\d+)$` || modes["agent"].GitTags != `^agent-(?P<version>v\d+\.\d+\.\d+)$` {
		t.Errorf("mono modes %+v", modes)
	}
}

func TestPlanSrcOtherThanDirectory(t *testing.T) {
	_, p := planFixture(t)
	e := entry(t, p, "cluster-api-kubeadm")
	if e.Staging.Source != "gcr.io/k8s-staging-capi-kubeadm" || imageJobs(e)["kubeadm-controller"] != "post-kubeadm-push-images" {
		t.Errorf("kubeadm: src %s, images %v", e.Staging.Source, imageJobs(e))
	}
}

func TestPlanSaysWhyProjectsAreNotConfigured(t *testing.T) {
	_, p := planFixture(t)
	want := map[string]Reason{
		"k8s-infra-example":  NotStaging,
		"k8s-staging-fresh":  NoImagesFile,
		"k8s-staging-empty":  NoImages,
		"k8s-staging-builds": NoReleaseTags,
		"k8s-staging-lonely": NoJob,
	}
	got := map[string]Reason{}
	for _, s := range p.Skipped {
		got[s.Project] = s.Reason
	}
	for project, r := range want {
		if got[project] != r {
			t.Errorf("%s: reason %q, want %q", project, got[project], r)
		}
	}
	if len(got) != len(want) {
		t.Errorf("skipped %v", got)
	}
	f := p.Figures()
	if f.Configured != 7 || f.Entries != 7 || f.Projects != 12 || f.CommitBuilt != 2 || f.TagBuilt != 5 {
		t.Errorf("figures %+v", f)
	}
}

// The rendered config is what promoter reads: same projects, images, jobs
// and patterns as planned, with the evidence in comments.
func TestRenderRoundTrips(t *testing.T) {
	_, p := planFixture(t)
	var b bytes.Buffer
	if err := Render(&b, p, Source{Command: "promoter-config generate", TestInfra: "ti", K8sIO: "k8sio"}); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse(b.Bytes())
	if err != nil {
		t.Fatalf("rendered config does not parse: %v\n%s", err, b.String())
	}
	if len(cfg.Projects) != len(p.Entries) {
		t.Fatalf("%d projects rendered, %d planned", len(cfg.Projects), len(p.Entries))
	}
	for i, e := range p.Entries {
		cp := &cfg.Projects[i]
		if cp.Name != e.Name || cp.Repo != e.Repo || cp.StagingRegistry != e.Staging.Source || cp.ManifestPath != e.Staging.ImagesPath {
			t.Errorf("project %d: %s %s %s %s", i, cp.Name, cp.Repo, cp.StagingRegistry, cp.ManifestPath)
		}
		for j, img := range e.Images {
			ci := cp.Images[j]
			if ci.Name != img.Name || ci.Job != img.Job.Name || ci.GitTags != img.Mode.GitTags || ci.StagingTag != img.Mode.StagingTag || ci.PromotedTag != img.Mode.PromotedTag || ci.ByCommit() != img.Mode.ByCommit {
				t.Errorf("%s/%s: rendered %+v, planned %+v", e.Name, img.Name, ci, img.Mode)
			}
		}
	}
	snoop := cfg.Project("snoop")
	if strings.Join(snoop.Reviewers, ",") != "alice,bob,carol" {
		t.Errorf("reviewers %v", snoop.Reviewers)
	}
	for _, want := range []string{"job snoop-push-db-images (k8s-staging-snoop.yaml:3): branches ^main$", "tagged-arm: last released as v0.1.0", "helper: no job's name"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("the evidence %q is not in the config's comments", want)
		}
	}
}

func TestScalarQuotesWhatYAMLWouldChange(t *testing.T) {
	for in, want := range map[string]string{"alice": "alice", "yes": "'yes'", "1234": "'1234'", "Off": "'Off'", "it's": "'it''s'", "a-b_c": "a-b_c"} {
		if got := scalar(in); got != want {
			t.Errorf("scalar(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestSelect(t *testing.T) {
	_, p := planFixture(t)
	unknown := p.Select([]string{"k8s-staging-snoop", "mono", "fresh", "nosuch"})
	var names []string
	for _, e := range p.Entries {
		names = append(names, e.Name)
	}
	if strings.Join(names, ",") != "mono,snoop" || len(p.Skipped) != 1 || strings.Join(unknown, ",") != "nosuch" {
		t.Errorf("selected %v, skipped %v, unknown %v", names, p.Skipped, unknown)
	}
}
