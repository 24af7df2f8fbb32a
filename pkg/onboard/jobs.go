package onboard

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	prowconfig "sigs.k8s.io/prow/pkg/config"
)

// Job is one job of test-infra's config/jobs/image-pushing, as far as
// onboarding needs it: where it is, which repository triggers it, on which
// refs Prow starts it, and what image-builder is told to build.
type Job struct {
	Name string
	// Repo is the postsubmit's "org/repo"; "" for a periodic.
	Repo string
	// File is the job file, relative to the image-pushing directory; Line
	// is the line of the job's name in it.
	File string
	Line int
	// Periodic jobs run on a timer, not for a ref: they never build a
	// release, and are only kept to tell a user who names one.
	Periodic bool
	// GCBProject is image-builder's --project: the Google Cloud project the
	// build runs in, which is also the one its images are pushed to.
	GCBProject string
	// ConfigDir is image-builder's positional argument (the directory of
	// cloudbuild.yaml); GCBConfig is --gcb-config, when given.
	ConfigDir string
	GCBConfig string
	// Branches and SkipBranches are the job's Prow branch filters as written.
	Branches     []string
	SkipBranches []string
	// RunIfChanged is the job's run_if_changed (or skip_if_only_changed)
	// regexp, for messages: such a job runs only when matching files change,
	// and a tag push changes none.
	RunIfChanged string

	post *prowconfig.Postsubmit
}

// RunsOn reports whether Prow could start the job for a push of ref (a
// branch or tag name), by Prow's own Brancher: the entries are joined with
// "|" and searched, not anchored (an entry anchors itself with ^ and $), and
// skip_branches wins. A job with run_if_changed also needs matching changed
// files: see RunsOnTag.
func (j *Job) RunsOn(ref string) bool {
	return j.post != nil && j.post.CouldRun(ref)
}

// RunsOnTag reports whether trigger starts the job for a push of tag. It is
// Prow's own decision for a push that changes no files, which is what a tag
// push is: run_if_changed jobs never run, nor do always_run: false ones.
func (j *Job) RunsOnTag(tag string) bool {
	if j.post == nil {
		return false
	}
	run, err := j.post.ShouldRun(tag, func() ([]string, error) { return nil, nil })
	return err == nil && run
}

// ChangeGated reports whether the job needs matching changed files to run
// (run_if_changed or skip_if_only_changed), so a branch push builds only
// the commits that touch them.
func (j *Job) ChangeGated() bool { return j.post != nil && j.post.RegexpChangeMatcher.CouldRun() }

// Where is the job's place in test-infra, for messages: file:line.
func (j *Job) Where() string {
	if j.Line == 0 {
		return j.File
	}
	return fmt.Sprintf("%s:%d", j.File, j.Line)
}

// Jobs is every job found under image-pushing.
type Jobs struct {
	// Dir is the image-pushing directory that was read.
	Dir  string
	List []*Job
	// byName has postsubmits and periodics; a name is unique in Prow.
	byName map[string]*Job
}

// Lookup returns the job with that name, or nil.
func (js *Jobs) Lookup(name string) *Job { return js.byName[name] }

// Postsubmits returns the postsubmits, in file order.
func (js *Jobs) Postsubmits() []*Job {
	var out []*Job
	for _, j := range js.List {
		if !j.Periodic {
			out = append(out, j)
		}
	}
	return out
}

// ImagePushingDir finds config/jobs/image-pushing given a test-infra
// checkout, or accepts the image-pushing directory itself (or a directory
// holding one, as the shared corpus does).
func ImagePushingDir(testInfra string) (string, error) {
	for _, d := range []string{
		filepath.Join(testInfra, "config", "jobs", "image-pushing"),
		filepath.Join(testInfra, "image-pushing"),
	} {
		if fi, err := os.Stat(d); err == nil && fi.IsDir() {
			return d, nil
		}
	}
	yamls, _ := filepath.Glob(filepath.Join(testInfra, "*.yaml"))
	if len(yamls) > 0 {
		return testInfra, nil
	}
	return "", fmt.Errorf("%s: no config/jobs/image-pushing here; want a test-infra checkout or its config/jobs/image-pushing directory", testInfra)
}

// LoadJobs reads every job under test-infra's image-pushing directory with
// Prow's own job config reader, so fields mean what they mean to Prow.
func LoadJobs(testInfra string) (*Jobs, error) {
	dir, err := ImagePushingDir(testInfra)
	if err != nil {
		return nil, err
	}
	jc, err := prowconfig.ReadJobConfig(dir)
	if err != nil {
		return nil, fmt.Errorf("reading test-infra jobs in %s: %w", dir, err)
	}
	js := &Jobs{Dir: dir, byName: map[string]*Job{}}
	lines := lineFinder{}
	for repo, posts := range jc.PostsubmitsStatic {
		if err := prowconfig.SetPostsubmitRegexes(posts); err != nil {
			return nil, fmt.Errorf("test-infra jobs of %s: %w", repo, err)
		}
		for i := range posts {
			p := &posts[i]
			j := newJob(dir, p.JobBase, lines)
			j.Repo = repo
			j.Branches, j.SkipBranches = p.Branches, p.SkipBranches
			j.RunIfChanged = p.RunIfChanged + p.SkipIfOnlyChanged
			j.post = p
			js.add(j)
		}
	}
	if len(js.List) == 0 {
		return nil, fmt.Errorf("%s: no postsubmits here; want test-infra's config/jobs/image-pushing", dir)
	}
	for i := range jc.Periodics {
		j := newJob(dir, jc.Periodics[i].JobBase, lines)
		j.Periodic = true
		js.add(j)
	}
	sort.Slice(js.List, func(a, b int) bool {
		x, y := js.List[a], js.List[b]
		if x.File != y.File {
			return x.File < y.File
		}
		return x.Line < y.Line
	})
	return js, nil
}

func (js *Jobs) add(j *Job) {
	js.List = append(js.List, j)
	js.byName[j.Name] = j
}

func newJob(dir string, base prowconfig.JobBase, lines lineFinder) *Job {
	rel, err := filepath.Rel(dir, base.SourcePath)
	if err != nil {
		rel = base.SourcePath
	}
	j := &Job{Name: base.Name, File: filepath.ToSlash(rel), Line: lines.find(base.SourcePath, base.Name)}
	if base.Spec != nil {
		for _, c := range base.Spec.Containers {
			j.readBuilderArgs(c.Args)
		}
	}
	return j
}

// readBuilderArgs picks image-builder's flags out of a container's args:
// --project=P (or "--project P"), --gcb-config=F, and the positional
// config directory (the last argument that is not a flag).
func (j *Job) readBuilderArgs(args []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") {
			j.ConfigDir = a
			continue
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !hasValue && (name == "project" || name == "gcb-config") && i+1 < len(args) {
			i++
			value = args[i]
		}
		switch name {
		case "project":
			j.GCBProject = value
		case "gcb-config":
			j.GCBConfig = value
		}
	}
}

// lineFinder finds the line of "name: <job>" in a job file, for messages
// that send the reader to the right place. Files are read once.
type lineFinder map[string][]string

func (lf lineFinder) find(path, job string) int {
	lines, ok := lf[path]
	if !ok {
		b, err := os.ReadFile(path)
		if err == nil {
			lines = strings.Split(string(b), "\n")
		}
		lf[path] = lines
	}
	re := regexp.MustCompile(`^\s*(?:-\s+)?name:\s*["']?` + regexp.QuoteMeta(job) + `["']?\s*(?:#.*)?$`)
	for i, l := range lines {
		if re.MatchString(strings.TrimRight(l, "\r")) {
			return i + 1
		}
	}
	return 0
}
