package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// zeroOID is git's "no object": as the old value of update-ref it means
// "the ref must not exist yet".
const zeroOID = "0000000000000000000000000000000000000000"

// emptyTreeOID is the SHA-1 of the empty tree, the diff base of a root commit.
const emptyTreeOID = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"

var (
	fullSHARe = regexp.MustCompile(`^[0-9a-f]{40}$`)
	hexRe     = regexp.MustCompile(`^[0-9a-fA-F]{4,40}$`)
	// nameRe is what an owner or repository name may be; it keeps paths
	// inside the root.
	nameRe = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,100}$`)
)

// validName checks an owner (user or organisation) name.
func validName(s string) bool {
	return nameRe.MatchString(s) && !strings.HasPrefix(s, ".")
}

// validRepoName checks a repository name (".github" is one).
func validRepoName(s string) bool {
	return nameRe.MatchString(s) && s != "." && s != ".." && !strings.HasSuffix(s, ".lock")
}

// gitError is a failed git command with what it wrote to stderr.
type gitError struct {
	args   []string
	code   int
	stderr string
}

func (e *gitError) Error() string {
	return fmt.Sprintf("git %s: exit %d: %s", strings.Join(e.args, " "), e.code, strings.TrimSpace(e.stderr))
}

// exitCode is the exit status of a failed git command, or -1.
func exitCode(err error) int {
	var ge *gitError
	if errors.As(err, &ge) {
		return ge.code
	}
	return -1
}

// gitEnv is the environment every git command runs with: the caller's
// environment without any GIT_ variable, no user or system configuration,
// no prompts, C locale.
func gitEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "GIT_") || strings.HasPrefix(kv, "LC_") || strings.HasPrefix(kv, "LANG=") {
			continue
		}
		env = append(env, kv)
	}
	env = append(env,
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_GLOBAL="+os.DevNull,
		"GIT_TERMINAL_PROMPT=0",
		"LC_ALL=C",
	)
	return append(env, extra...)
}

// runGit runs git against the bare repository gitDir ("" for none).
func runGit(ctx context.Context, gitDir string, env []string, stdin []byte, args ...string) ([]byte, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	full := args
	if gitDir != "" {
		full = append([]string{"--git-dir", gitDir}, args...)
	}
	cmd := exec.CommandContext(ctx, "git", full...)
	cmd.Env = gitEnv(env...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		code := -1
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		}
		return stdout.Bytes(), &gitError{args: args, code: code, stderr: stderr.String() + errString(err, code)}
	}
	return stdout.Bytes(), nil
}

func errString(err error, code int) string {
	if code >= 0 {
		return ""
	}
	return " (" + err.Error() + ")"
}

// repoLocks serialises writes to one repository's refs across every Server
// and seeding helper of this process, keyed by the repository's clean path.
var repoLocks sync.Map

func lockRepo(gitDir string) func() {
	v, _ := repoLocks.LoadOrStore(filepath.Clean(gitDir), &sync.Mutex{})
	mu := v.(*sync.Mutex)
	mu.Lock()
	return mu.Unlock
}

// repoExists reports whether gitDir is a bare repository.
func repoExists(gitDir string) bool {
	st, err := os.Stat(filepath.Join(gitDir, "HEAD"))
	return err == nil && !st.IsDir()
}

// headBranch is the branch HEAD names ("main" when HEAD is unreadable).
func headBranch(gitDir string) string {
	b, err := os.ReadFile(filepath.Join(gitDir, "HEAD"))
	if err == nil {
		s := strings.TrimSpace(string(b))
		if ref, ok := strings.CutPrefix(s, "ref: refs/heads/"); ok && ref != "" {
			return ref
		}
	}
	return "main"
}

// objInfo is what cat-file --batch-check says of one object name.
type objInfo struct {
	SHA  string
	Type string // commit, tree, blob, tag; "" when missing
	Size int64
}

// batchCheck resolves object names (any rev syntax, e.g. "main:dir/file")
// without option parsing: names travel on stdin. Missing names give an
// objInfo with an empty Type.
func batchCheck(ctx context.Context, gitDir string, names ...string) ([]objInfo, error) {
	var in bytes.Buffer
	for _, n := range names {
		if strings.ContainsAny(n, "\n\x00") {
			n = "\x01invalid"
		}
		in.WriteString(n)
		in.WriteByte('\n')
	}
	out, err := runGit(ctx, gitDir, nil, in.Bytes(), "cat-file", "--batch-check")
	if err != nil {
		return nil, err
	}
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != len(names) {
		return nil, fmt.Errorf("cat-file --batch-check: %d answers for %d names", len(lines), len(names))
	}
	res := make([]objInfo, len(names))
	for i, l := range lines {
		f := strings.Fields(l)
		if len(f) == 3 && fullSHARe.MatchString(f[0]) {
			size, _ := strconv.ParseInt(f[2], 10, 64)
			res[i] = objInfo{SHA: f[0], Type: f[1], Size: size}
		}
	}
	return res, nil
}

// objectInfo resolves one object name.
func objectInfo(ctx context.Context, gitDir, name string) (objInfo, error) {
	r, err := batchCheck(ctx, gitDir, name)
	if err != nil {
		return objInfo{}, err
	}
	return r[0], nil
}

// readObject returns the raw content of an object of the given type.
func readObject(ctx context.Context, gitDir, typ, sha string) ([]byte, error) {
	return runGit(ctx, gitDir, nil, nil, "cat-file", typ, sha)
}

// refInfo is one ref of a repository.
type refInfo struct {
	Name   string // refs/heads/main
	SHA    string // what the ref points at (a tag object for annotated tags)
	Type   string // type of that object
	Peeled string // the commit an annotated tag points at, else ""
}

// hiddenRef reports refs the stand-in keeps for itself.
func hiddenRef(name string) bool { return strings.HasPrefix(name, "refs/fakegithub/") }

// listRefs lists the refs of a repository under prefix ("" or "refs/").
func listRefs(ctx context.Context, gitDir, prefix string) ([]refInfo, error) {
	args := []string{"for-each-ref", "--format=%(refname)%00%(objectname)%00%(objecttype)%00%(*objectname)"}
	if prefix != "" {
		args = append(args, prefix)
	}
	out, err := runGit(ctx, gitDir, nil, nil, args...)
	if err != nil {
		return nil, err
	}
	var refs []refInfo
	for _, l := range strings.Split(string(out), "\n") {
		f := strings.Split(l, "\x00")
		if len(f) != 4 || hiddenRef(f[0]) {
			continue
		}
		refs = append(refs, refInfo{Name: f[0], SHA: f[1], Type: f[2], Peeled: f[3]})
	}
	return refs, nil
}

// refSHA is what ref (fully qualified) points at, "" when it does not exist
// (or is not a plain ref name: no rev syntax).
func refSHA(ctx context.Context, gitDir, ref string) (string, error) {
	if !strings.HasPrefix(ref, "refs/") || !plainRefName(ref) {
		return "", nil
	}
	out, err := runGit(ctx, gitDir, nil, nil, "rev-parse", "--verify", "--quiet", ref)
	if err != nil {
		if exitCode(err) == 1 {
			return "", nil
		}
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}

// validRefName checks a fully qualified ref name the way git does.
func validRefName(ctx context.Context, ref string) bool {
	if !strings.HasPrefix(ref, "refs/") || strings.HasPrefix(ref, "-") {
		return false
	}
	_, err := runGit(ctx, "", nil, nil, "check-ref-format", ref)
	return err == nil
}

// errRefMoved is returned by updateRef when the ref is not at the expected
// old value.
var errRefMoved = errors.New("ref moved")

// updateRef moves ref from old to new atomically. old zeroOID: the ref must
// not exist; old "": whatever it is; new zeroOID: delete the ref.
func updateRef(ctx context.Context, gitDir, ref, newSHA, oldSHA, reason string) error {
	args := []string{"update-ref", "-m", reason}
	if newSHA == zeroOID {
		args = append(args, "-d", ref)
	} else {
		args = append(args, ref, newSHA)
	}
	if oldSHA != "" {
		args = append(args, oldSHA)
	}
	_, err := runGit(ctx, gitDir, nil, nil, args...)
	if err != nil {
		var ge *gitError
		if errors.As(err, &ge) && (strings.Contains(ge.stderr, "but expected") || strings.Contains(ge.stderr, "already exists") ||
			strings.Contains(ge.stderr, "unable to resolve reference") || strings.Contains(ge.stderr, "cannot lock ref")) {
			return fmt.Errorf("%w: %v", errRefMoved, err)
		}
		return err
	}
	return nil
}

// isAncestor reports whether commit a is an ancestor of (or equal to) b.
// alternates names other object directories to read from.
func isAncestor(ctx context.Context, gitDir, a, b string, alternates ...string) (bool, error) {
	_, err := runGit(ctx, gitDir, altEnv(alternates), nil, "merge-base", "--is-ancestor", a, b)
	if err == nil {
		return true, nil
	}
	if exitCode(err) == 1 {
		return false, nil
	}
	return false, err
}

// altEnv lets a git command read objects of other repositories without
// changing anything on disk.
func altEnv(gitDirs []string) []string {
	if len(gitDirs) == 0 {
		return nil
	}
	var dirs []string
	for _, d := range gitDirs {
		dirs = append(dirs, filepath.Join(d, "objects"))
	}
	return []string{"GIT_ALTERNATE_OBJECT_DIRECTORIES=" + strings.Join(dirs, string(os.PathListSeparator))}
}

// mergeTrees merges commits ours and theirs; ok false means conflicts.
func mergeTrees(ctx context.Context, gitDir, ours, theirs string, alternates ...string) (tree string, ok bool, err error) {
	out, err := runGit(ctx, gitDir, altEnv(alternates), nil, "merge-tree", "--write-tree", "--no-messages", ours, theirs)
	if err != nil {
		if exitCode(err) == 1 {
			return "", false, nil
		}
		return "", false, err
	}
	line, _, _ := strings.Cut(string(out), "\n")
	return strings.TrimSpace(line), true, nil
}

// signature is a commit's author or committer.
type signature struct {
	Name, Email string
	When        time.Time
}

func (s signature) env(prefix string) []string {
	when := s.When
	if when.IsZero() {
		when = time.Now()
	}
	return []string{
		"GIT_" + prefix + "_NAME=" + s.Name,
		"GIT_" + prefix + "_EMAIL=" + s.Email,
		"GIT_" + prefix + "_DATE=" + strconv.FormatInt(when.Unix(), 10) + " +0000",
	}
}

// githubCommitter is who GitHub records as committer of web and API commits.
var githubCommitter = signature{Name: "GitHub", Email: "noreply@github.com"}

// commitTree writes a commit object.
func commitTree(ctx context.Context, gitDir, tree string, parents []string, message string, author, committer signature) (string, error) {
	args := []string{"commit-tree", tree}
	for _, p := range parents {
		args = append(args, "-p", p)
	}
	args = append(args, "-F", "-")
	env := append(author.env("AUTHOR"), committer.env("COMMITTER")...)
	out, err := runGit(ctx, gitDir, env, []byte(message), args...)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}

// writeBlob stores content as a blob.
func writeBlob(ctx context.Context, gitDir string, content []byte) (string, error) {
	out, err := runGit(ctx, gitDir, nil, content, "hash-object", "-w", "--stdin")
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}

// treeChange is one file written (Content non-nil) or deleted (nil).
type treeChange struct {
	Path    string
	Content []byte
}

// errPath is a change to a path that cannot be made.
type errPath struct{ msg string }

func (e *errPath) Error() string { return e.msg }

// cleanPath validates a repository-relative file path.
func cleanPath(p string) (string, bool) {
	if p == "" || strings.HasPrefix(p, "/") || strings.HasSuffix(p, "/") || strings.ContainsRune(p, 0) {
		return "", false
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "" || seg == "." || seg == ".." || seg == ".git" {
			return "", false
		}
	}
	return p, true
}

// applyChanges writes the tree of base (a commit, or "" for none) with the
// deletions and then the additions applied, and returns the new tree. A
// deletion of a path that is not a file of base, or an addition that would
// put a file where a directory is (or under a file), is an *errPath.
func applyChanges(ctx context.Context, gitDir, base string, changes []treeChange) (string, error) {
	var dels, adds []treeChange
	for _, c := range changes {
		p, ok := cleanPath(c.Path)
		if !ok {
			return "", &errPath{msg: fmt.Sprintf("invalid path %q", c.Path)}
		}
		c.Path = p
		if c.Content == nil {
			dels = append(dels, c)
		} else {
			adds = append(adds, c)
		}
	}
	// What base has at every path involved, and at every parent directory of
	// an addition.
	kinds := map[string]objInfo{}
	if base != "" {
		var names []string
		seen := map[string]bool{}
		add := func(p string) {
			if !seen[p] {
				seen[p] = true
				names = append(names, p)
			}
		}
		for _, c := range dels {
			add(c.Path)
		}
		for _, c := range adds {
			add(c.Path)
			for d := parentDir(c.Path); d != ""; d = parentDir(d) {
				add(d)
			}
		}
		q := make([]string, len(names))
		for i, n := range names {
			q[i] = base + ":" + n
		}
		infos, err := batchCheck(ctx, gitDir, q...)
		if err != nil {
			return "", err
		}
		for i, n := range names {
			kinds[n] = infos[i]
		}
	}
	deleted := map[string]bool{}
	for _, c := range dels {
		if k := kinds[c.Path]; k.Type != "blob" {
			return "", &errPath{msg: fmt.Sprintf("A path was requested for deletion which does not exist as of commit oid `%s`", base)}
		}
		deleted[c.Path] = true
	}
	// Later additions win over earlier ones of the same path.
	added := map[string]int{}
	for i, c := range adds {
		added[c.Path] = i
	}
	for _, c := range adds {
		if k := kinds[c.Path]; k.Type == "tree" {
			return "", &errPath{msg: fmt.Sprintf("cannot add file %q: a directory exists at that path", c.Path)}
		}
		for d := parentDir(c.Path); d != ""; d = parentDir(d) {
			if _, isAdded := added[d]; isAdded || (kinds[d].Type == "blob" && !deleted[d]) {
				return "", &errPath{msg: fmt.Sprintf("cannot add file %q: %q is a file", c.Path, d)}
			}
		}
	}
	tmp, err := os.MkdirTemp("", "fakegithub-index-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	env := []string{"GIT_INDEX_FILE=" + filepath.Join(tmp, "index")}
	if base != "" {
		if _, err := runGit(ctx, gitDir, env, nil, "read-tree", base+"^{tree}"); err != nil {
			return "", err
		}
	} else if _, err := runGit(ctx, gitDir, env, nil, "read-tree", "--empty"); err != nil {
		return "", err
	}
	var info bytes.Buffer
	for _, c := range dels {
		fmt.Fprintf(&info, "0 %s\t%s\n", zeroOID, c.Path)
	}
	for i, c := range adds {
		if added[c.Path] != i {
			continue
		}
		sha, err := writeBlob(ctx, gitDir, c.Content)
		if err != nil {
			return "", err
		}
		mode := "100644"
		if k := kinds[c.Path]; k.Type == "blob" && !deleted[c.Path] {
			if m, err := fileMode(ctx, gitDir, base, c.Path); err == nil && m == "100755" {
				mode = m
			}
		}
		fmt.Fprintf(&info, "%s %s\t%s\n", mode, sha, c.Path)
	}
	if info.Len() > 0 {
		if _, err := runGit(ctx, gitDir, env, info.Bytes(), "update-index", "--index-info"); err != nil {
			return "", err
		}
	}
	out, err := runGit(ctx, gitDir, env, nil, "write-tree")
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}

func parentDir(p string) string {
	i := strings.LastIndexByte(p, '/')
	if i < 0 {
		return ""
	}
	return p[:i]
}

// fileMode is the mode of path in commit.
func fileMode(ctx context.Context, gitDir, commit, p string) (string, error) {
	es, err := lsTree(ctx, gitDir, commit, p)
	if err != nil || len(es) == 0 {
		return "", err
	}
	return es[0].Mode, nil
}

// treeEntry is one line of ls-tree --long.
type treeEntry struct {
	Mode string
	Type string
	SHA  string
	Size int64 // -1 when not a blob
	Path string
}

// lsTree lists a tree (treeish) or, with paths, just those entries.
func lsTree(ctx context.Context, gitDir, treeish string, paths ...string) ([]treeEntry, error) {
	args := []string{"ls-tree", "-z", "--long", "--full-tree", treeish}
	if len(paths) > 0 {
		args = append(args, "--")
		args = append(args, paths...)
	}
	return parseLsTree(runGit(ctx, gitDir, nil, nil, args...))
}

// lsTreeRecursive lists every blob (and submodule) under treeish.
func lsTreeRecursive(ctx context.Context, gitDir, treeish string, withTrees bool) ([]treeEntry, error) {
	args := []string{"ls-tree", "-z", "--long", "-r", "--full-tree"}
	if withTrees {
		args = append(args, "-t")
	}
	return parseLsTree(runGit(ctx, gitDir, nil, nil, append(args, treeish)...))
}

func parseLsTree(out []byte, err error) ([]treeEntry, error) {
	if err != nil {
		return nil, err
	}
	var es []treeEntry
	for _, rec := range strings.Split(string(out), "\x00") {
		meta, p, ok := strings.Cut(rec, "\t")
		if !ok {
			continue
		}
		f := strings.Fields(meta)
		if len(f) != 4 {
			continue
		}
		size := int64(-1)
		if f[3] != "-" {
			size, _ = strconv.ParseInt(f[3], 10, 64)
		}
		es = append(es, treeEntry{Mode: f[0], Type: f[1], SHA: f[2], Size: size, Path: p})
	}
	return es, nil
}

// commitInfo is a parsed commit object.
type commitInfo struct {
	SHA       string
	Tree      string
	Parents   []string
	Author    signature
	Committer signature
	Message   string
}

// readCommit parses a commit.
func readCommit(ctx context.Context, gitDir, sha string) (*commitInfo, error) {
	raw, err := readObject(ctx, gitDir, "commit", sha)
	if err != nil {
		return nil, err
	}
	c := &commitInfo{SHA: sha}
	head, msg, _ := strings.Cut(string(raw), "\n\n")
	c.Message = msg
	for _, l := range strings.Split(head, "\n") {
		k, v, _ := strings.Cut(l, " ")
		switch k {
		case "tree":
			c.Tree = v
		case "parent":
			c.Parents = append(c.Parents, v)
		case "author":
			c.Author = parseSignature(v)
		case "committer":
			c.Committer = parseSignature(v)
		}
	}
	return c, nil
}

// parseSignature parses "Name <email> 1700000000 +0100".
func parseSignature(s string) signature {
	var sig signature
	lt, gt := strings.Index(s, "<"), strings.LastIndex(s, ">")
	if lt < 0 || gt < lt {
		sig.Name = s
		return sig
	}
	sig.Name = strings.TrimSpace(s[:lt])
	sig.Email = s[lt+1 : gt]
	f := strings.Fields(s[gt+1:])
	if len(f) >= 1 {
		if sec, err := strconv.ParseInt(f[0], 10, 64); err == nil {
			sig.When = time.Unix(sec, 0).UTC()
		}
	}
	return sig
}

// tagInfo is a parsed annotated tag object.
type tagInfo struct {
	SHA        string
	Object     string
	ObjectType string
	Tag        string
	Tagger     signature
	Message    string
}

func readTag(ctx context.Context, gitDir, sha string) (*tagInfo, error) {
	raw, err := readObject(ctx, gitDir, "tag", sha)
	if err != nil {
		return nil, err
	}
	t := &tagInfo{SHA: sha}
	head, msg, _ := strings.Cut(string(raw), "\n\n")
	t.Message = msg
	for _, l := range strings.Split(head, "\n") {
		k, v, _ := strings.Cut(l, " ")
		switch k {
		case "object":
			t.Object = v
		case "type":
			t.ObjectType = v
		case "tag":
			t.Tag = v
		case "tagger":
			t.Tagger = parseSignature(v)
		}
	}
	return t, nil
}

// fetchRef copies ref src of repository from into ref dst of gitDir (objects
// included), returning what dst now points at.
func fetchRef(ctx context.Context, gitDir, from, src, dst string) (string, error) {
	if _, err := runGit(ctx, gitDir, nil, nil, "fetch", "--quiet", "--no-tags", "--no-write-fetch-head", from, "+"+src+":"+dst); err != nil {
		return "", err
	}
	return refSHA(ctx, gitDir, dst)
}

// fileChange is one file of a diff.
type fileChange struct {
	Filename  string
	Status    string // added, removed, modified
	Additions int
	Deletions int
	SHA       string // blob after (before for removed files)
	Patch     string
	Binary    bool
}

// diffFiles lists the files changed from commit a (or the empty tree when
// "") to commit b.
func diffFiles(ctx context.Context, gitDir, a, b string, alternates ...string) ([]fileChange, error) {
	if a == "" {
		a = emptyTreeOID
	}
	env := altEnv(alternates)
	raw, err := runGit(ctx, gitDir, env, nil, "diff-tree", "-r", "-z", "--no-renames", "--no-commit-id", "--raw", "--numstat", a, b)
	if err != nil {
		return nil, err
	}
	// --raw records come first (":old new shaA shaB status\0path\0"), then
	// numstat records ("add\tdel\tpath\0").
	recs := strings.Split(string(raw), "\x00")
	var files []fileChange
	byName := map[string]int{}
	i := 0
	for i < len(recs) && strings.HasPrefix(recs[i], ":") {
		f := strings.Fields(recs[i])
		if len(f) < 5 || i+1 >= len(recs) {
			break
		}
		fc := fileChange{Filename: recs[i+1]}
		switch f[4] {
		case "A":
			fc.Status, fc.SHA = "added", f[3]
		case "D":
			fc.Status, fc.SHA = "removed", f[2]
		default:
			fc.Status, fc.SHA = "modified", f[3]
		}
		byName[fc.Filename] = len(files)
		files = append(files, fc)
		i += 2
	}
	for ; i < len(recs); i++ {
		f := strings.SplitN(recs[i], "\t", 3)
		if len(f) != 3 {
			continue
		}
		j, ok := byName[f[2]]
		if !ok {
			continue
		}
		if f[0] == "-" {
			files[j].Binary = true
			continue
		}
		files[j].Additions, _ = strconv.Atoi(f[0])
		files[j].Deletions, _ = strconv.Atoi(f[1])
	}
	// Patches for the first files, like GitHub (which stops at 3000 files
	// and omits very large patches).
	for k := range files {
		if k >= 300 || files[k].Binary || files[k].Additions+files[k].Deletions > 20000 {
			continue
		}
		out, err := runGit(ctx, gitDir, env, nil, "diff", "--no-color", "--no-renames", "--no-ext-diff", a, b, "--", files[k].Filename)
		if err != nil {
			return nil, err
		}
		if at := strings.Index(string(out), "\n@@"); at >= 0 {
			files[k].Patch = strings.TrimSuffix(string(out[at+1:]), "\n")
		}
	}
	return files, nil
}

// revList lists the commits reachable from head but not from base, newest
// first ("" base: all), at most max.
func revList(ctx context.Context, gitDir, head, base string, max int, alternates ...string) ([]string, error) {
	args := []string{"rev-list", "--max-count=" + strconv.Itoa(max), head}
	if base != "" {
		args = append(args, "^"+base)
	}
	out, err := runGit(ctx, gitDir, altEnv(alternates), nil, args...)
	if err != nil {
		return nil, err
	}
	return strings.Fields(string(out)), nil
}

// forkParent is the "owner/name" a fork was made from ("" for none): the
// fakegithub.parent key of the repository's own config, read without
// starting git.
func forkParent(gitDir string) string {
	b, err := os.ReadFile(filepath.Join(gitDir, "config"))
	if err != nil {
		return ""
	}
	section := ""
	for _, line := range strings.Split(string(b), "\n") {
		l := strings.TrimSpace(line)
		if strings.HasPrefix(l, "[") {
			section = strings.ToLower(strings.Trim(l, "[] \t"))
			continue
		}
		if k, v, ok := strings.Cut(l, "="); ok && section == "fakegithub" && strings.EqualFold(strings.TrimSpace(k), "parent") {
			return strings.Trim(strings.TrimSpace(v), `"`)
		}
	}
	return ""
}
