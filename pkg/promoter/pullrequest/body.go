package pullrequest

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// BranchName is the promotion branch in the bot's fork: kpromo's convention,
// so reviewers recognise it.
func BranchName(project, gitTag string) string { return project + "-" + gitTag + "-image-promotion" }

// Title is the promotion PR's title.
func Title(project, gitTag string) string { return "Image promotion for " + project + " " + gitTag }

// Evidence is what a reviewer needs to approve a promotion without checking
// the staging registry by hand.
type Evidence struct {
	Project      string
	GitTag       string
	Commit       string // the released commit (a tag dereferenced), when known
	Merged       bool   // a merged PR's builds: GitTag is Commit's short SHA
	SourceRepo   string // "org/repo"
	ManifestPath string
	Images       []ImageEvidence
	Reviewers    []string
	// Changes is the Markdown list of what the edit does (manifest Summary).
	Changes string
	// Note says what evidence is missing, e.g. no job run was found.
	Note string
	// Warnings are things a reviewer should know that did not stop the
	// promotion (quirks kept in images.yaml, undeclared platforms).
	Warnings []string
	// Overlaps are other open PRs adding some of the same digests.
	Overlaps []string
	// Attached are the signatures, attestations and SBOMs stored for the
	// staged digests, one line each; AttachedNote says what kubernetes/
	// k8s.io's promotion presubmit does with them.
	Attached     []string
	AttachedNote string
}

// ImageEvidence is one image's line in the table.
type ImageEvidence struct {
	Name        string
	Repository  string // staging repository, e.g. gcr.io/k8s-staging-apisnoop/snoopdb
	Digest      string
	StagingTag  string
	PromotedTag string
	Platforms   []string
	Index       bool
	Job         string // postsubmit job name, "" when the registry alone is evidence
	JobURL      string // link to the run, when known
	// ByCommit: built from the released commit where it landed (a branch
	// build), not from a run at the tag.
	ByCommit bool
	// Revision and Source are what the build says it was built from
	// (org.opencontainers.image.revision and .source), when it says.
	Revision, Source string
	PassedOver       []Build
}

// Build is an older staging build of the same release, not promoted.
type Build struct{ Tag, Digest string }

// Metadata is the hidden block in the PR body that promoter's state is
// rebuilt from after a restart.
type Metadata struct {
	Project string          `json:"project"`
	Tag     string          `json:"tag"`
	Images  []ImageMetadata `json:"images"`
}

// ImageMetadata records one promoted digest.
type ImageMetadata struct {
	Name   string `json:"name"`
	Digest string `json:"digest"`
	Tag    string `json:"tag"`
}

const metadataPrefix = "<!-- promoter-metadata "

// Body renders the PR description. It follows kubernetes/k8s.io's pull
// request template (what and why, notes for the reviewer, and the image
// promotion checklist), answering each point with its evidence.
func Body(e Evidence) string {
	var b strings.Builder
	b.WriteString("**What this PR does / why we need it**:\n\n")
	writeWhat(&b, e)
	b.WriteString("| Image | Staging reference | Staging tag | Promoted tag | Platforms | Built by |\n")
	b.WriteString("|---|---|---|---|---|---|\n")
	for _, img := range e.Images {
		fmt.Fprintf(&b, "| %s | `%s@%s` | `%s` | `%s` | %s | %s |\n",
			img.Name, img.Repository, img.Digest, img.StagingTag, img.PromotedTag, platforms(img), builtBy(img))
	}
	if e.Changes != "" {
		fmt.Fprintf(&b, "\nChanges to `%s`:\n%s", e.ManifestPath, e.Changes)
		if !strings.HasSuffix(e.Changes, "\n") {
			b.WriteString("\n")
		}
	}
	b.WriteString("\n**Special notes for your reviewer**:\n")
	writeBuiltFromCommit(&b, e)
	if e.Note != "" {
		fmt.Fprintf(&b, "\nNote: %s.\n", e.Note)
	}
	writeOverlaps(&b, e.Overlaps)
	writeProvenance(&b, e)
	writeAttached(&b, e)
	writeWarnings(&b, e.Warnings)
	writePassedOver(&b, e.Images)
	writeChecklist(&b, e)
	if len(e.Reviewers) > 0 {
		fmt.Fprintf(&b, "\n/cc %s\n", mentions(e.Reviewers))
	}
	b.WriteString("\n" + encodeMetadata(e))
	return b.String()
}

func writeWhat(b *strings.Builder, e Evidence) {
	switch {
	case e.Merged:
		fmt.Fprintf(b, "Promotes the staging images that commit [`%s`](https://github.com/%s/commit/%s) of %s built, for staging project `k8s-staging-%s`.\n\n",
			e.GitTag, e.SourceRepo, e.Commit, e.SourceRepo, e.Project)
	case e.Commit != "":
		fmt.Fprintf(b, "Promotes the staging images of tag [`%s`](https://github.com/%s/releases/tag/%s) of %s (commit [`%.12s`](https://github.com/%s/commit/%s)), for staging project `k8s-staging-%s`.\n\n",
			e.GitTag, e.SourceRepo, e.GitTag, e.SourceRepo, e.Commit, e.SourceRepo, e.Commit, e.Project)
	default:
		fmt.Fprintf(b, "Promotes the staging images that tag [`%s`](https://github.com/%s/releases/tag/%s) of %s built, for staging project `k8s-staging-%s`.\n\n",
			e.GitTag, e.SourceRepo, e.GitTag, e.SourceRepo, e.Project)
	}
}

// KubernetesPlatforms are the platforms Kubernetes supports
// (kubernetes/sig-release: release-engineering/platforms), which the PR
// template asks a multi-arch image to match.
var KubernetesPlatforms = []string{"linux/amd64", "linux/arm64", "linux/ppc64le", "linux/s390x"}

// writeChecklist answers the image promotion checklist of k8s.io's PR
// template, ticking a box only where the evidence shows it.
func writeChecklist(b *strings.Builder, e Evidence) {
	b.WriteString("\n**If you are promoting an image, please make sure you have done the following:**\n\n")
	b.WriteString("- [x] I have verified the digest with [gcrane](https://github.com/google/go-containerregistry/blob/main/cmd/gcrane/README.md) and added it as a comment to the PR or in the body.\n")
	b.WriteString("  promoter resolved each staging tag to the digest above; each reproduces with:\n")
	for _, img := range e.Images {
		fmt.Fprintf(b, "  `crane digest %s:%s` → `%s`\n", img.Repository, img.StagingTag, img.Digest)
	}
	missing := missingPlatforms(e.Images)
	box := "x"
	if len(missing) > 0 {
		box = " "
	}
	fmt.Fprintf(b, "- [%s] I'm promoting a multi-arch image that matches all the [supported](https://github.com/kubernetes/sig-release/tree/master/release-engineering/platforms) platforms of Kubernetes.\n", box)
	if len(missing) > 0 {
		fmt.Fprintf(b, "  Not every supported platform is built: %s.\n", strings.Join(missing, "; "))
	} else {
		fmt.Fprintf(b, "  Each image is an index covering %s.\n", strings.Join(KubernetesPlatforms, ", "))
	}
	b.WriteString("- [x] I'm not promoting a tag that resolves to latest or moving tags as these are not supported.\n")
	b.WriteString("  promoter refuses `latest` and any tag that already points at another digest in images.yaml.\n")
	b.WriteString("- [x] registry.k8s.io is an immutable registry and I'll need to cut a new release if the digest is wrong.\n")
}

// missingPlatforms says, per image, which supported platforms it lacks.
func missingPlatforms(imgs []ImageEvidence) []string {
	var out []string
	for _, img := range imgs {
		var lacks []string
		for _, p := range KubernetesPlatforms {
			if !slices.ContainsFunc(img.Platforms, func(have string) bool { return have == p || strings.HasPrefix(have, p+"/") }) {
				lacks = append(lacks, p)
			}
		}
		if len(lacks) > 0 {
			out = append(out, fmt.Sprintf("%s lacks %s", img.Name, strings.Join(lacks, ", ")))
		}
	}
	return out
}

// writeProvenance shows what each build says it was built from; promoter
// has already refused a build that names another commit.
func writeProvenance(b *strings.Builder, e Evidence) {
	var lines []string
	for _, img := range e.Images {
		if img.Revision == "" && img.Source == "" {
			continue
		}
		line := fmt.Sprintf("- %s: revision `%s`", img.Name, orDefault(img.Revision, "not given"))
		if img.Source != "" {
			line += ", source " + img.Source
		}
		lines = append(lines, line)
	}
	if len(lines) == 0 {
		return
	}
	b.WriteString("\nProvenance the builds carry (org.opencontainers.image.revision and .source), checked against the released commit:\n")
	b.WriteString(strings.Join(lines, "\n") + "\n")
}

// writeAttached lists what is stored beside the staged digests and what
// the promotion presubmit will do about it.
func writeAttached(b *strings.Builder, e Evidence) {
	if len(e.Attached) == 0 {
		return
	}
	b.WriteString("\n:warning: Signatures, attestations or SBOMs are attached to these staging builds:\n")
	for _, a := range e.Attached {
		fmt.Fprintf(b, "- %s\n", a)
	}
	if e.AttachedNote != "" {
		fmt.Fprintf(b, "\nWhat `%s`: %s.\n", "pull-k8sio-cip does with them", e.AttachedNote)
	}
}

func writeOverlaps(b *strings.Builder, overlaps []string) {
	if len(overlaps) == 0 {
		return
	}
	b.WriteString("\nOther open PRs add some of the same digests (review them together, merge one):\n")
	for _, o := range overlaps {
		fmt.Fprintf(b, "- %s\n", o)
	}
}

func platforms(img ImageEvidence) string {
	if len(img.Platforms) == 0 {
		return "unknown"
	}
	s := strings.Join(img.Platforms, ", ")
	if !img.Index {
		s += " (single-arch)"
	}
	return s
}

func builtBy(img ImageEvidence) string {
	switch {
	case img.JobURL != "":
		return fmt.Sprintf("[%s](%s)", orDefault(img.Job, "job run"), img.JobURL)
	case img.Job != "":
		return "`" + img.Job + "`"
	}
	return "staging registry"
}

// writeBuiltFromCommit says which images were built on a branch from the
// released commit, not by a run at the tag: the staging tag carries the
// commit, which a reviewer can check against the tag.
func writeBuiltFromCommit(b *strings.Builder, e Evidence) {
	if e.Merged || e.Commit == "" {
		return
	}
	var names []string
	for _, img := range e.Images {
		if img.ByCommit {
			names = append(names, img.Name)
		}
	}
	if len(names) == 0 {
		return
	}
	fmt.Fprintf(b, "\n%s built from commit `%s` where it landed (the image job runs on a branch, not on tags); each staging tag names an abbreviation of that commit, and only builds of it were considered.\n",
		strings.Join(names, ", "), e.Commit)
}

// maxWarnings keeps a file full of old quirks from drowning the PR body.
const maxWarnings = 10

func writeWarnings(b *strings.Builder, warnings []string) {
	if len(warnings) == 0 {
		return
	}
	b.WriteString("\nFor the reviewer (none of these stopped the promotion):\n")
	for i, w := range warnings {
		if i == maxWarnings {
			fmt.Fprintf(b, "- and %d more\n", len(warnings)-maxWarnings)
			break
		}
		fmt.Fprintf(b, "- %s\n", w)
	}
}

func writePassedOver(b *strings.Builder, imgs []ImageEvidence) {
	var lines []string
	for _, img := range imgs {
		for _, p := range img.PassedOver {
			lines = append(lines, fmt.Sprintf("- %s `%s` (`%s`)", img.Name, p.Tag, p.Digest))
		}
	}
	if len(lines) == 0 {
		return
	}
	b.WriteString("\nOlder staging builds of the same tag, not promoted (the newest build wins):\n")
	b.WriteString(strings.Join(lines, "\n") + "\n")
}

func mentions(logins []string) string {
	out := make([]string, len(logins))
	for i, l := range logins {
		out[i] = "@" + strings.TrimPrefix(l, "@")
	}
	return strings.Join(out, " ")
}

func encodeMetadata(e Evidence) string {
	m := Metadata{Project: e.Project, Tag: e.GitTag}
	for _, img := range e.Images {
		m.Images = append(m.Images, ImageMetadata{Name: img.Name, Digest: img.Digest, Tag: img.PromotedTag})
	}
	// json.Marshal escapes < and > so the block cannot close the comment early.
	b, _ := json.Marshal(m)
	return metadataPrefix + string(b) + " -->\n"
}

var metadataRE = regexp.MustCompile(`(?m)^<!-- promoter-metadata (\{.*\}) -->$`)

// ParseMetadata reads the hidden block from a PR body; ok is false when
// there is none (not a promoter PR, or a body a human rewrote).
func ParseMetadata(body string) (m Metadata, ok bool) {
	sub := metadataRE.FindStringSubmatch(body)
	if sub == nil {
		return Metadata{}, false
	}
	if err := json.Unmarshal([]byte(sub[1]), &m); err != nil {
		return Metadata{}, false
	}
	return m, m.Project != "" && m.Tag != ""
}
