package onboard

import (
	"fmt"
	"io"
	"sort"
)

// Figures count what a plan configured and what it could not.
type Figures struct {
	// Projects are staging projects (k8s.io directories or the jobs'
	// GCP projects) considered; Configured those with at least one entry.
	Projects, Configured int
	// Entries are config projects (one per source repository).
	Entries int
	// TagBuilt and CommitBuilt count entries by their project-wide mode;
	// the image counts count configured images by their own mode.
	TagBuilt, CommitBuilt           int
	Images, TagImages, CommitImages int
	// LeftOut are images of configured entries left out (no release tags,
	// or not in the newest release); Unassigned are images of configured
	// projects no job could be matched to.
	LeftOut, Unassigned int
	// Skipped counts unconfigured projects by reason.
	Skipped map[Reason]int
	// UnmappedJobs are postsubmits without --project.
	UnmappedJobs int
}

// Figures counts the plan.
func (p *Plan) Figures() Figures {
	f := Figures{Skipped: map[Reason]int{}, Entries: len(p.Entries), UnmappedJobs: len(p.Unmapped)}
	dirs := map[string]bool{}
	for _, e := range p.Entries {
		dirs[e.Staging.Dir] = true
		if e.Mode.ByCommit {
			f.CommitBuilt++
		} else {
			f.TagBuilt++
		}
		for _, img := range e.Images {
			f.Images++
			if img.Mode.ByCommit {
				f.CommitImages++
			} else {
				f.TagImages++
			}
		}
		f.LeftOut += len(e.Left)
		f.Unassigned += len(e.Unassigned)
	}
	f.Configured = len(dirs)
	for _, s := range p.Skipped {
		f.Skipped[s.Reason]++
	}
	f.Projects = f.Configured + len(p.Skipped)
	return f
}

// Report writes, for the operator, every project that could not be
// configured with its reason, then the figures.
func (p *Plan) Report(w io.Writer) {
	for _, s := range p.Skipped {
		fmt.Fprintf(w, "not configured: %s: %s (%s)\n", s.Project, s.Reason, s.Detail)
	}
	for _, j := range p.Unmapped {
		fmt.Fprintf(w, "ignored job: %s (%s): no --project argument, so no staging project\n", j.Name, j.Where())
	}
	f := p.Figures()
	fmt.Fprintf(w, "\n%d staging projects: %d configured as %d config projects (%d tag-built, %d commit-built), %d not configured.\n",
		f.Projects, f.Configured, f.Entries, f.TagBuilt, f.CommitBuilt, f.Projects-f.Configured)
	fmt.Fprintf(w, "%d images configured (%d tag-built, %d commit-built); %d left out of configured projects, %d matched to no job.\n",
		f.Images, f.TagImages, f.CommitImages, f.LeftOut, f.Unassigned)
	reasons := make([]Reason, 0, len(f.Skipped))
	for r := range f.Skipped {
		reasons = append(reasons, r)
	}
	sort.Slice(reasons, func(i, j int) bool {
		if f.Skipped[reasons[i]] != f.Skipped[reasons[j]] {
			return f.Skipped[reasons[i]] > f.Skipped[reasons[j]]
		}
		return reasons[i] < reasons[j]
	})
	for _, r := range reasons {
		fmt.Fprintf(w, "  %3d not configured: %s\n", f.Skipped[r], r)
	}
}
