package onboard

import (
	"fmt"
	"regexp"
	"strings"
)

// Staging tag templates (config syntax) for the two ways a release is built.
const (
	// TagBuilt: the job ran for the tag push; image-builder tagged the
	// build v<date>-<git tag>.
	TagBuilt = `v\d{8}-{{.Tag}}`
	// CommitBuilt: the job ran when the tagged commit landed on a branch;
	// image-builder tagged it v<date>-<describe>, ending in the commit.
	CommitBuilt = `v\d{8}-(?:.+-g)?{{.Commit}}`
	// PromoteAsTag promotes under the git tag itself.
	PromoteAsTag = `{{.Tag}}`
)

// Mode is how one image's releases are found: which git tags release it,
// which staging tag its build has, and what it is promoted as.
type Mode struct {
	GitTags     string
	StagingTag  string
	PromotedTag string
	// ByCommit is set when the job does not run on the release tags.
	ByCommit bool
	Notes    []string
}

func (m Mode) key() string { return m.GitTags + "\x00" + m.StagingTag + "\x00" + m.PromotedTag }

// decideMode picks tag-built when Prow starts the job for the project's
// release tags, and commit-built otherwise. The release tags tried are the
// promoted ones, as they are or behind a literal prefix the job's branch
// filters start with (kops promotes 1.29.0 from the git tag v1.29.0).
func decideMode(j *Job, pat TagPattern) Mode {
	rel := pat.Matched
	best, runs := "", 0
	for _, prefix := range tagPrefixes(j) {
		if n := countRuns(j, prefix, rel); n > runs {
			best, runs = prefix, n
		}
	}
	if runs == 0 {
		return commitMode(j, pat)
	}
	m := Mode{GitTags: pat.Regexp, StagingTag: TagBuilt, PromotedTag: PromoteAsTag}
	if best != "" {
		m.GitTags = "^" + regexp.QuoteMeta(best) + "(?P<version>" + pat.Body + ")$"
		m.PromotedTag = "{{.version}}"
		m.Notes = append(m.Notes, fmt.Sprintf("git tags taken as %q + the promoted tag: the job runs on tags that start so, and the promoted tags do not", best))
	}
	if runs < len(rel) {
		var missed []string
		for _, t := range rel {
			if !j.RunsOnTag(best + t) {
				missed = append(missed, best+t)
			}
		}
		m.Notes = append(m.Notes, fmt.Sprintf("%s does not run for %d of %d release tags (%s): those releases have no tag build", j.Name, len(missed), len(rel), describeTags(missed, 3)))
	}
	return m
}

func commitMode(j *Job, pat TagPattern) Mode {
	m := Mode{GitTags: pat.Regexp, StagingTag: CommitBuilt, PromotedTag: PromoteAsTag, ByCommit: true}
	switch {
	case j.ChangeGated() && anyRuns(j, pat.Matched):
		m.Notes = append(m.Notes, fmt.Sprintf("%s's branches match the release tags, but it runs only when files matching %q change, and a tag push changes none: built by commit", j.Name, j.RunIfChanged))
	case j.ChangeGated():
		m.Notes = append(m.Notes, fmt.Sprintf("%s runs only when files matching %q change: a release whose commit changed none of them has no build to promote", j.Name, j.RunIfChanged))
	default:
		m.Notes = append(m.Notes, fmt.Sprintf("%s does not run on the release tags: a release is the build of the tagged commit on a branch", j.Name))
	}
	return m
}

func countRuns(j *Job, prefix string, tags []string) int {
	n := 0
	for _, t := range tags {
		if j.RunsOnTag(prefix + t) {
			n++
		}
	}
	return n
}

func anyRuns(j *Job, tags []string) bool {
	for _, t := range tags {
		if j.RunsOn(t) {
			return true
		}
	}
	return false
}

// tagPrefixes are "" and the leading parts, ending in v, / or -, of the
// literal text a branch filter starts with (^kustomize/v... gives
// kustomize/v and kustomize/): the candidates for a git tag's fixed prefix.
// Branch names (main, master, release-...) are not tag prefixes.
func tagPrefixes(j *Job) []string {
	out := []string{""}
	seen := map[string]bool{"": true}
	for _, b := range j.Branches {
		re, err := regexp.Compile(strings.TrimPrefix(b, "^"))
		if err != nil {
			continue
		}
		lit, _ := re.LiteralPrefix()
		if branchWord.MatchString(lit) {
			continue
		}
		for i := len(lit); i > 0; i-- {
			if p := lit[:i]; strings.ContainsAny(p[i-1:], "v/-") && !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	return out
}

var branchWord = regexp.MustCompile(`^(main|master|release|dev)`)
