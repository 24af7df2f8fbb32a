package onboard

import (
	"bytes"
	"fmt"
)

// Inputs are the two repositories onboarding reads.
type Inputs struct {
	Jobs  *Jobs
	K8sIO *K8sIO
}

// Load reads test-infra's image-push jobs and kubernetes/k8s.io's staging
// projects.
func Load(testInfra, k8sIO string) (*Inputs, error) {
	jobs, err := LoadJobs(testInfra)
	if err != nil {
		return nil, err
	}
	k, err := LoadK8sIO(k8sIO)
	if err != nil {
		return nil, err
	}
	return &Inputs{Jobs: jobs, K8sIO: k}, nil
}

// Generate plans every staging project (or those named in only: a
// directory like k8s-staging-kueue, its short name kueue, or a generated
// project name) and renders the config. The config is checked with
// promoter's own parser before it is returned. unknown lists names in
// only that match no project.
func (in *Inputs) Generate(only []string, src Source) (cfg []byte, p *Plan, unknown []string, err error) {
	p = NewPlan(in.Jobs, in.K8sIO)
	if len(only) > 0 {
		unknown = p.Select(only)
	}
	if len(p.Entries) == 0 {
		return nil, p, unknown, nil
	}
	var b bytes.Buffer
	if err := Render(&b, p, src); err != nil {
		return nil, p, unknown, err
	}
	if err := Check(b.Bytes()); err != nil {
		return nil, p, unknown, fmt.Errorf("the generated config is invalid (a bug in promoter-config): %w", err)
	}
	return b.Bytes(), p, unknown, nil
}

// Select keeps only the named projects' entries and skips; it returns the
// names that match nothing.
func (p *Plan) Select(names []string) (unknown []string) {
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	hit := map[string]bool{}
	match := func(keys ...string) bool {
		ok := false
		for _, k := range keys {
			if want[k] {
				hit[k], ok = true, true
			}
		}
		return ok
	}
	var entries []*Entry
	for _, e := range p.Entries {
		if match(e.Name, e.Staging.Dir, e.Staging.Short()) {
			entries = append(entries, e)
		}
	}
	var skipped []Skip
	for _, s := range p.Skipped {
		if match(s.Project, trimStaging(s.Project)) {
			skipped = append(skipped, s)
		}
	}
	p.Entries, p.Skipped, p.Unmapped = entries, skipped, nil
	for _, n := range names {
		if !hit[n] {
			unknown = append(unknown, n)
		}
	}
	return unknown
}

func trimStaging(dir string) string {
	if len(dir) > len(StagingPrefix) && dir[:len(StagingPrefix)] == StagingPrefix {
		return dir[len(StagingPrefix):]
	}
	return dir
}
