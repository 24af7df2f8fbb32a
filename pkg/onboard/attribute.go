package onboard

import (
	"fmt"
	"path"
	"regexp"
	"strings"
)

// Strength of the evidence that a job builds an image, weakest first.
type strength int

const (
	noEvidence strength = iota
	// onlyJob: the job is the only image-push postsubmit of the project,
	// or the only one building in its staging registry's GCP project.
	onlyJob
	// repoName: the image is named like the job's repository.
	repoName
	// jobWords: the job's own words (its name without the repository's and
	// the usual post-/push/images words) start the image's name, as
	// post-autoscaler-push-vpa-images starts vpa-recommender.
	jobWords
	// named: the image's name is in the job's name or build directory, as
	// snoopdb is in apisnoop-push-snoopdb-images and apps/snoopdb.
	named
)

func (s strength) String() string {
	switch s {
	case onlyJob:
		return "the only image-push postsubmit building in this project's staging registry"
	case repoName:
		return "named like the job's repository"
	case jobWords:
		return "the job's name starts the image's name"
	case named:
		return "the job's name or build directory names the image"
	}
	return "no evidence"
}

// Attribution says which job builds an image, and on what evidence.
type Attribution struct {
	Job      *Job
	Evidence strength
	// Candidates are the jobs with equally strong evidence when there is
	// more than one (Job is nil then), or every job of the project when
	// none names the image.
	Candidates []*Job
	// Rivals counts the other jobs that named the image as strongly, when
	// Job won as the closest name (see closestJobs).
	Rivals int
}

// Why says, for a config comment, why the job was chosen.
func (a Attribution) Why() string {
	if a.Rivals > 0 {
		return fmt.Sprintf("%s; of %d such jobs, the closest name", a.Evidence, a.Rivals+1)
	}
	return a.Evidence.String()
}

// archSuffixes are the per-architecture image names older projects promote
// beside the multi-arch one (descheduler-amd64): they come from the same job.
var archSuffixes = []string{"amd64", "arm", "arm64", "ppc64le", "s390x", "arm32v7", "arm64v8", "386", "riscv64", "mips64le"}

// ArchOf returns the architecture an image name ends with, or "".
func ArchOf(image string) string {
	for _, a := range archSuffixes {
		if strings.HasSuffix(image, "-"+a) && len(image) > len(a)+1 {
			return a
		}
	}
	return ""
}

func withoutArch(image string) string {
	if a := ArchOf(image); a != "" {
		return strings.TrimSuffix(image, "-"+a)
	}
	return image
}

var tokenSep = regexp.MustCompile(`[-_./]+`)

func tokens(s string) []string {
	var out []string
	for _, t := range tokenSep.Split(strings.ToLower(s), -1) {
		if t != "" {
			out = append(out, t)
		}
	}
	return out
}

// stopWords say nothing about which image a job builds.
var stopWords = map[string]bool{"post": true, "postsubmit": true, "push": true, "image": true, "images": true, "to": true, "staging": true}

// Attribute finds the job that builds each image, from the names the job
// config gives (job name, build directory, repository), or by elimination:
// sole, when not nil, is the one job that may build the images no job
// names. It never picks between jobs with equal evidence.
func Attribute(images []string, jobs []*Job, sole *Job) map[string]Attribution {
	out := make(map[string]Attribution, len(images))
	for _, img := range images {
		var best strength
		var at []*Job
		for _, j := range jobs {
			s := evidence(img, j, j == sole)
			switch {
			case s > best:
				best, at = s, []*Job{j}
			case s == best && s > noEvidence:
				at = append(at, j)
			}
		}
		a := Attribution{Evidence: best}
		if len(at) > 1 {
			tied := len(at)
			at = closestJobs(img, at)
			if len(at) == 1 {
				a.Rivals = tied - 1
			}
		}
		switch {
		case len(at) == 1:
			a.Job = at[0]
		case len(at) > 1:
			a.Candidates = at
		default:
			a.Candidates = jobs
		}
		out[img] = a
	}
	return out
}

// closestJobs breaks a tie between jobs that all name an image: the job of
// the image's own repository, else the job whose name says least besides
// the image's name (nginx: post-...-e2e-nginx-test-images, not
// post-...-e2e-nginx-new-test-images). Still tied, all are returned.
func closestJobs(image string, jobs []*Job) []*Job {
	img := tokens(withoutArch(image))
	score := func(j *Job) int {
		extra := len(tokens(j.Name)) - len(img)
		if equal(img, tokens(path.Base(j.Repo))) {
			extra -= 1000
		}
		return extra
	}
	var best []*Job
	for _, j := range jobs {
		switch {
		case len(best) == 0 || score(j) < score(best[0]):
			best = []*Job{j}
		case score(j) == score(best[0]):
			best = append(best, j)
		}
	}
	return best
}

func evidence(image string, j *Job, sole bool) strength {
	img := tokens(withoutArch(image))
	if len(img) == 0 {
		return noEvidence
	}
	if contains(tokens(j.Name), img) || contains(buildPathTokens(j), img) {
		return named
	}
	repo := path.Base(j.Repo)
	if own := ownWords(j.Name, repo); len(own) > 0 && hasPrefix(img, own) {
		return jobWords
	}
	if equal(img, tokens(repo)) {
		return repoName
	}
	if sole {
		return onlyJob
	}
	return noEvidence
}

// buildPathTokens are the words of the job's build directory and of its
// cloudbuild file's directory ("." says nothing).
func buildPathTokens(j *Job) []string {
	var out []string
	if j.ConfigDir != "" && path.Clean(j.ConfigDir) != "." {
		out = append(out, tokens(j.ConfigDir)...)
	}
	if j.GCBConfig != "" {
		if d := path.Dir(j.GCBConfig); d != "." {
			out = append(out, tokens(d)...)
		}
	}
	return out
}

// ownWords are the words of a job's name that are neither stop words nor
// words of its repository's name.
func ownWords(job, repo string) []string {
	skip := map[string]bool{}
	for _, t := range tokens(repo) {
		skip[t] = true
	}
	var out []string
	for _, t := range tokens(job) {
		if !stopWords[t] && !skip[t] {
			out = append(out, t)
		}
	}
	return out
}

// contains reports whether seq occurs contiguously in list.
func contains(list, seq []string) bool {
	for i := 0; i+len(seq) <= len(list); i++ {
		if equal(list[i:i+len(seq)], seq) {
			return true
		}
	}
	return false
}

func hasPrefix(list, prefix []string) bool {
	return len(prefix) <= len(list) && equal(list[:len(prefix)], prefix)
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
