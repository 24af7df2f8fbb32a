package server

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Seeding helpers: set up repositories on disk, without HTTP, for tests and
// the demo. They take the same per-repository lock as a Server of this
// process, so they may run while one serves the same root.

// seedAuthor is the author and committer of commits the seeding helpers make.
var seedAuthor = signature{Name: "Seed Author", Email: "seed@example.com"}

// RepoPath is where the bare repository owner/repo lives under root.
func RepoPath(root, owner, repo string) string {
	return filepath.Join(root, owner, repo+".git")
}

func checkNames(owner, repo string) error {
	if !validName(owner) || !validRepoName(repo) {
		return fmt.Errorf("invalid repository name %q", owner+"/"+repo)
	}
	return nil
}

// InitRepo creates the bare repository root/owner/repo.git with one commit
// on main holding files (path → content), HEAD → main, and returns that
// commit. It fails if the repository exists.
func InitRepo(root, owner, repo string, files map[string][]byte) (string, error) {
	if err := checkNames(owner, repo); err != nil {
		return "", err
	}
	dir := RepoPath(root, owner, repo)
	defer lockRepo(dir)()
	if _, err := os.Stat(dir); err == nil {
		return "", fmt.Errorf("repository %s/%s already exists", owner, repo)
	}
	ctx := context.Background()
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return "", err
	}
	if _, err := runGit(ctx, "", nil, nil, "init", "--quiet", "--bare", "--initial-branch=main", dir); err != nil {
		return "", err
	}
	sha, err := seedCommit(ctx, dir, "", files, "Initial commit")
	if err != nil {
		return "", err
	}
	if err := updateRef(ctx, dir, "refs/heads/main", sha, zeroOID, "seed"); err != nil {
		return "", err
	}
	return sha, nil
}

// Commit adds a commit on branch of owner/repo that writes files (a nil
// content deletes that path) and returns it. A missing branch is created from
// the default branch's head.
func Commit(root, owner, repo, branch string, files map[string][]byte, message string) (string, error) {
	if err := checkNames(owner, repo); err != nil {
		return "", err
	}
	dir := RepoPath(root, owner, repo)
	if !repoExists(dir) {
		return "", fmt.Errorf("repository %s/%s does not exist", owner, repo)
	}
	defer lockRepo(dir)()
	ctx := context.Background()
	ref := "refs/heads/" + strings.TrimPrefix(branch, "refs/heads/")
	old, err := refSHA(ctx, dir, ref)
	if err != nil {
		return "", err
	}
	parent := old
	if parent == "" {
		if parent, err = refSHA(ctx, dir, "refs/heads/"+headBranch(dir)); err != nil {
			return "", err
		}
	}
	sha, err := seedCommit(ctx, dir, parent, files, message)
	if err != nil {
		return "", err
	}
	if old == "" {
		old = zeroOID
	}
	if err := updateRef(ctx, dir, ref, sha, old, "seed"); err != nil {
		return "", err
	}
	return sha, nil
}

func seedCommit(ctx context.Context, dir, parent string, files map[string][]byte, message string) (string, error) {
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	changes := make([]treeChange, 0, len(paths))
	for _, p := range paths {
		changes = append(changes, treeChange{Path: p, Content: files[p]})
	}
	tree, err := applyChanges(ctx, dir, parent, changes)
	if err != nil {
		return "", err
	}
	var parents []string
	if parent != "" {
		parents = []string{parent}
	}
	sig := seedAuthor
	sig.When = time.Now()
	if message == "" {
		message = "Update files"
	}
	return commitTree(ctx, dir, tree, parents, message+"\n", sig, sig)
}

// Tag creates tag (refs/tags/<tag>) at target (a commit sha or a branch or
// tag name) and returns the ref's value: the tag object for an annotated tag,
// else the commit.
func Tag(root, owner, repo, tag, target string, annotated bool) (string, error) {
	dir, commit, unlock, err := seedTarget(root, owner, repo, target)
	if err != nil {
		return "", err
	}
	defer unlock()
	ctx := context.Background()
	ref := "refs/tags/" + strings.TrimPrefix(tag, "refs/tags/")
	if !validRefName(ctx, ref) {
		return "", fmt.Errorf("invalid tag name %q", tag)
	}
	sha := commit
	if annotated {
		sig := seedAuthor
		body := fmt.Sprintf("object %s\ntype commit\ntag %s\ntagger %s <%s> %d +0000\n\n%s\n",
			commit, strings.TrimPrefix(ref, "refs/tags/"), sig.Name, sig.Email, time.Now().Unix(), "Release "+strings.TrimPrefix(ref, "refs/tags/"))
		out, err := runGit(ctx, dir, nil, []byte(body), "mktag")
		if err != nil {
			return "", err
		}
		sha = strings.TrimSpace(string(out))
	}
	if err := updateRef(ctx, dir, ref, sha, zeroOID, "seed"); err != nil {
		return "", err
	}
	return sha, nil
}

// seedTarget locks owner/repo and resolves target (a commit sha or a branch
// or tag name) to a commit, for Tag and Branch.
func seedTarget(root, owner, repo, target string) (dir, commit string, unlock func(), err error) {
	if err := checkNames(owner, repo); err != nil {
		return "", "", nil, err
	}
	dir = RepoPath(root, owner, repo)
	if !repoExists(dir) {
		return "", "", nil, fmt.Errorf("repository %s/%s does not exist", owner, repo)
	}
	unlock = lockRepo(dir)
	commit, err = resolveCommitName(context.Background(), dir, target)
	if err == nil && commit == "" {
		err = fmt.Errorf("%s/%s has no commit %q", owner, repo, target)
	}
	if err != nil {
		unlock()
		return "", "", nil, err
	}
	return dir, commit, unlock, nil
}

// Branch creates branch at from (a commit sha or a branch or tag name) and
// returns its commit.
func Branch(root, owner, repo, branch, from string) (string, error) {
	dir, commit, unlock, err := seedTarget(root, owner, repo, from)
	if err != nil {
		return "", err
	}
	defer unlock()
	ctx := context.Background()
	ref := "refs/heads/" + strings.TrimPrefix(branch, "refs/heads/")
	if !validRefName(ctx, ref) {
		return "", fmt.Errorf("invalid branch name %q", branch)
	}
	return commit, updateRef(ctx, dir, ref, commit, zeroOID, "seed")
}

// Fork makes forkOwner/<repo> a fork of owner/repo the way POST .../forks
// does (an independent copy of every branch and tag) and returns the fork's
// full name. An existing fork of owner/repo is returned as is.
func Fork(root, owner, repo, forkOwner string) (string, error) {
	if err := checkNames(owner, repo); err != nil {
		return "", err
	}
	if !validName(forkOwner) {
		return "", fmt.Errorf("invalid owner %q", forkOwner)
	}
	name, _, err := createFork(context.Background(), root, owner, repo, forkOwner, repo, false)
	if err != nil {
		return "", err
	}
	return forkOwner + "/" + name, nil
}

// ResolveRef returns the commit a ref name ("main", "refs/heads/main", a tag
// or a sha) of owner/repo points at, or an error when it names none.
func ResolveRef(root, owner, repo, ref string) (string, error) {
	if err := checkNames(owner, repo); err != nil {
		return "", err
	}
	dir := RepoPath(root, owner, repo)
	if !repoExists(dir) {
		return "", fmt.Errorf("repository %s/%s does not exist", owner, repo)
	}
	sha, err := resolveCommitName(context.Background(), dir, ref)
	if err != nil {
		return "", err
	}
	if sha == "" {
		return "", fmt.Errorf("%s/%s has no ref %q", owner, repo, ref)
	}
	return sha, nil
}

// ReadFile returns the content of path at ref of owner/repo.
func ReadFile(root, owner, repo, ref, path string) ([]byte, error) {
	sha, err := ResolveRef(root, owner, repo, ref)
	if err != nil {
		return nil, err
	}
	dir := RepoPath(root, owner, repo)
	ctx := context.Background()
	oi, err := objectInfo(ctx, dir, sha+":"+path)
	if err != nil {
		return nil, err
	}
	if oi.Type != "blob" {
		return nil, fmt.Errorf("%s/%s has no file %q at %s: %w", owner, repo, path, ref, os.ErrNotExist)
	}
	return readObject(ctx, dir, "blob", oi.SHA)
}

// resolveCommitName resolves a branch, tag, full ref ("refs/heads/x" or
// "heads/x") or (abbreviated) sha to a commit, the way GitHub's
// commits/{ref} does: branches first, then tags, then object names; no rev
// syntax ("main~1"). "" when nothing matches.
func resolveCommitName(ctx context.Context, dir, name string) (string, error) {
	if !plainRefName(name) {
		return "", nil
	}
	var cands []string
	if strings.HasPrefix(name, "refs/") {
		cands = append(cands, name)
	} else {
		cands = append(cands, "refs/heads/"+name, "refs/tags/"+name)
		if strings.HasPrefix(name, "heads/") || strings.HasPrefix(name, "tags/") {
			cands = append(cands, "refs/"+name)
		}
	}
	if hexRe.MatchString(name) {
		cands = append(cands, strings.ToLower(name))
	}
	q := make([]string, len(cands))
	for i, c := range cands {
		q[i] = c + "^{commit}"
	}
	infos, err := batchCheck(ctx, dir, q...)
	if err != nil {
		return "", err
	}
	for _, oi := range infos {
		if oi.Type == "commit" {
			return oi.SHA, nil
		}
	}
	return "", nil
}

// errForkExists is returned when the fork's name is taken by a repository
// that is not a fork of the same parent.
var errForkExists = errors.New("name taken")

// createFork copies owner/repo to forkOwner/name (trying name-1, name-2, ...
// when name is taken by something else). It returns the fork's name and
// whether it was created now.
func createFork(ctx context.Context, root, owner, repo, forkOwner, name string, defaultBranchOnly bool) (string, bool, error) {
	src := RepoPath(root, owner, repo)
	if !repoExists(src) {
		return "", false, fmt.Errorf("repository %s/%s does not exist", owner, repo)
	}
	parent := owner + "/" + repo
	for i := 0; i < 100; i++ {
		cand := name
		if i > 0 {
			cand = fmt.Sprintf("%s-%d", name, i)
		}
		created, err := forkInto(ctx, root, src, parent, forkOwner, cand, defaultBranchOnly)
		if errors.Is(err, errForkExists) {
			continue
		}
		return cand, created, err
	}
	return "", false, fmt.Errorf("no free name for a fork of %s", parent)
}

func forkInto(ctx context.Context, root, src, parent, forkOwner, name string, defaultBranchOnly bool) (bool, error) {
	dst := RepoPath(root, forkOwner, name)
	defer lockRepo(dst)()
	if repoExists(dst) {
		if forkParent(dst) == parent {
			return false, nil
		}
		return false, errForkExists
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return false, err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dst), ".fork-"+name+"-")
	if err != nil {
		return false, err
	}
	defer os.RemoveAll(tmp)
	if _, err := runGit(ctx, "", nil, nil, "init", "--quiet", "--bare", tmp); err != nil {
		return false, err
	}
	if _, err := runGit(ctx, tmp, nil, nil, "config", "fakegithub.parent", parent); err != nil {
		return false, err
	}
	def := headBranch(src)
	refspecs := []string{"+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"}
	if defaultBranchOnly {
		refspecs = []string{"+refs/heads/" + def + ":refs/heads/" + def}
	}
	// A real copy: objects are transferred, not shared, so the fork does not
	// see commits made upstream later until it is synced.
	args := append([]string{"fetch", "--quiet", "--no-tags", "--no-write-fetch-head", src}, refspecs...)
	if _, err := runGit(ctx, tmp, nil, nil, args...); err != nil {
		return false, err
	}
	if _, err := runGit(ctx, tmp, nil, nil, "symbolic-ref", "HEAD", "refs/heads/"+def); err != nil {
		return false, err
	}
	if err := os.Rename(tmp, dst); err != nil {
		return false, err
	}
	return true, nil
}

// plainRefName reports whether name could be a ref name by git's rules
// (check-ref-format), so no rev syntax can hide in it.
func plainRefName(name string) bool {
	if name == "" || strings.HasPrefix(name, "-") || strings.HasPrefix(name, "/") || strings.HasSuffix(name, "/") ||
		strings.HasSuffix(name, ".") || strings.HasSuffix(name, ".lock") || name == "@" ||
		strings.Contains(name, "..") || strings.Contains(name, "@{") || strings.Contains(name, "//") || strings.Contains(name, "/.") ||
		strings.HasPrefix(name, ".") {
		return false
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f || strings.ContainsRune(" ~^:?*[\\", r) {
			return false
		}
	}
	return true
}
