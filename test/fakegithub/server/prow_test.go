package server

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"testing"

	githubql "github.com/shurcooL/githubv4"
	"sigs.k8s.io/prow/pkg/github"
)

// CreateCommitOnBranchInput and its parts are GitHub's input types;
// shurcooL/graphql takes the GraphQL type name from the Go type name.
type CreateCommitOnBranchInput struct {
	Branch          CommittableBranch    `json:"branch"`
	Message         CommitMessage        `json:"message"`
	FileChanges     *FileChanges         `json:"fileChanges,omitempty"`
	ExpectedHeadOid githubql.GitObjectID `json:"expectedHeadOid"`
}

type CommittableBranch struct {
	RepositoryNameWithOwner string `json:"repositoryNameWithOwner"`
	BranchName              string `json:"branchName"`
}

type CommitMessage struct {
	Headline string `json:"headline"`
	Body     string `json:"body,omitempty"`
}

type FileChanges struct {
	Additions []FileAddition `json:"additions,omitempty"`
	Deletions []FileDeletion `json:"deletions,omitempty"`
}

type FileAddition struct {
	Path     string `json:"path"`
	Contents string `json:"contents"`
}

type FileDeletion struct {
	Path string `json:"path"`
}

// branchQuery is the query promoter sends to read a branch.
type branchQuery struct {
	Repository struct {
		ID  githubql.ID
		Ref *struct {
			ID     githubql.ID
			Target struct{ Oid githubql.GitObjectID }
		} `graphql:"ref(qualifiedName: $ref)"`
	} `graphql:"repository(owner: $owner, name: $name)"`
}

func queryBranch(t *testing.T, gh github.Client, owner, repo, branch string) branchQuery {
	t.Helper()
	var q branchQuery
	vars := map[string]interface{}{
		"owner": githubql.String(owner),
		"name":  githubql.String(repo),
		"ref":   githubql.String("refs/heads/" + branch),
	}
	if err := gh.QueryWithGitHubAppsSupport(context.Background(), &q, vars, owner); err != nil {
		t.Fatalf("query %s/%s %s: %v", owner, repo, branch, err)
	}
	return q
}

func gqlCreateRef(gh github.Client, repoID githubql.ID, branch, sha string) error {
	var m struct {
		CreateRef struct {
			Ref struct{ ID githubql.ID }
		} `graphql:"createRef(input: $input)"`
	}
	in := githubql.CreateRefInput{RepositoryID: repoID, Name: githubql.String("refs/heads/" + branch), Oid: githubql.GitObjectID(sha)}
	return gh.MutateWithGitHubAppsSupport(context.Background(), &m, in, nil, "")
}

func gqlUpdateRef(gh github.Client, refID githubql.ID, sha string, force bool) error {
	var m struct {
		UpdateRef struct {
			Ref struct{ ID githubql.ID }
		} `graphql:"updateRef(input: $input)"`
	}
	f := githubql.Boolean(force)
	in := githubql.UpdateRefInput{RefID: refID, Oid: githubql.GitObjectID(sha), Force: &f}
	return gh.MutateWithGitHubAppsSupport(context.Background(), &m, in, nil, "")
}

func commitOnBranch(gh github.Client, nameWithOwner, branch, expected string, files map[string]string, deletions ...string) (string, string, error) {
	var m struct {
		CreateCommitOnBranch struct {
			Commit struct {
				Oid githubql.GitObjectID
				URL githubql.URI
			}
		} `graphql:"createCommitOnBranch(input: $input)"`
	}
	fc := &FileChanges{}
	for p, c := range files {
		fc.Additions = append(fc.Additions, FileAddition{Path: p, Contents: base64.StdEncoding.EncodeToString([]byte(c))})
	}
	for _, d := range deletions {
		fc.Deletions = append(fc.Deletions, FileDeletion{Path: d})
	}
	in := CreateCommitOnBranchInput{
		Branch:          CommittableBranch{RepositoryNameWithOwner: nameWithOwner, BranchName: branch},
		Message:         CommitMessage{Headline: "Promote images", Body: "Adds the staging digests."},
		FileChanges:     fc,
		ExpectedHeadOid: githubql.GitObjectID(expected),
	}
	err := gh.MutateWithGitHubAppsSupport(context.Background(), &m, in, nil, "")
	url := ""
	if u := m.CreateCommitOnBranch.Commit.URL; u.URL != nil {
		url = u.String()
	}
	return string(m.CreateCommitOnBranch.Commit.Oid), url, err
}

func TestBotUserAndGetRepo(t *testing.T) {
	e := newEnv(t)
	e.initRepo("kubernetes", "k8s.io", map[string]string{"README.md": "hi\n"})

	u, err := e.gh.BotUser()
	if err != nil || u.Login != "promoter-bot" {
		t.Fatalf("BotUser = %+v, %v; want promoter-bot", u, err)
	}
	repo, err := e.gh.GetRepo("kubernetes", "k8s.io")
	if err != nil {
		t.Fatal(err)
	}
	if repo.FullName != "kubernetes/k8s.io" || repo.Name != "k8s.io" || repo.Owner.Login != "kubernetes" || repo.DefaultBranch != "main" || repo.Fork {
		t.Errorf("GetRepo = %+v", repo.Repo)
	}
	if repo.Permissions.Push {
		t.Errorf("the bot can push to kubernetes/k8s.io: %+v", repo.Permissions)
	}
	if _, err := e.gh.GetRepo("kubernetes", "missing"); !github.IsNotFound(err) {
		t.Errorf("GetRepo(missing) = %v, want a 404", err)
	}
	// The default branch is whatever HEAD of the bare repository names.
	e.commit("kubernetes", "k8s.io", "release", map[string]string{"x": "y"}, "release branch")
	e.gitOut("kubernetes", "k8s.io", "symbolic-ref", "HEAD", "refs/heads/release")
	if repo, _ := e.gh.GetRepo("kubernetes", "k8s.io"); repo.DefaultBranch != "release" {
		t.Errorf("default branch = %q after moving HEAD, want release", repo.DefaultBranch)
	}
}

// The key behaviour: a fork is a real copy. A commit made upstream after
// forking is not in the fork, so a ref to it fails until the fork is synced;
// then a commit made on a fork branch lands in git with the right content,
// and a stale expected head is refused.
func TestForkSyncCreateRefAndCommit(t *testing.T) {
	e := newEnv(t)
	e.initRepo("kubernetes", "k8s.io", map[string]string{"registry.k8s.io/images/k8s-staging-foo/images.yaml": "- name: foo\n"})

	name, err := e.gh.CreateFork("kubernetes", "k8s.io")
	if err != nil || name != "k8s.io" {
		t.Fatalf("CreateFork = %q, %v", name, err)
	}
	fork, err := e.gh.GetRepo("promoter-bot", "k8s.io")
	if err != nil {
		t.Fatal(err)
	}
	if !fork.Fork || fork.Parent.FullName != "kubernetes/k8s.io" || !fork.Permissions.Admin {
		t.Fatalf("fork = %+v", fork.Repo)
	}
	// Forking again answers the same fork.
	if again, err := e.gh.CreateFork("kubernetes", "k8s.io"); err != nil || again != "k8s.io" {
		t.Fatalf("second CreateFork = %q, %v", again, err)
	}

	upstream := e.commit("kubernetes", "k8s.io", "main", map[string]string{"OWNERS": "approvers: [a]\n"}, "upstream moves on")
	st := queryBranch(t, e.gh, "promoter-bot", "k8s.io", "main")
	if st.Repository.Ref == nil || string(st.Repository.Ref.Target.Oid) == upstream {
		t.Fatalf("fork main = %+v; the fork must not see upstream's new commit", st.Repository.Ref)
	}
	err = gqlCreateRef(e.gh, st.Repository.ID, "promote-foo", upstream)
	if err == nil || !strings.Contains(err.Error(), "Could not resolve to a Git object") {
		t.Fatalf("createRef at an upstream commit the fork lacks: err = %v", err)
	}

	var sync map[string]any
	if code := e.doJSON("POST", "/repos/promoter-bot/k8s.io/merge-upstream", "bot-token", map[string]string{"branch": "main"}, &sync); code != 200 {
		t.Fatalf("merge-upstream: %d %v", code, sync)
	}
	if sync["merge_type"] != "fast-forward" || sync["base_branch"] != "kubernetes:main" {
		t.Errorf("merge-upstream = %v", sync)
	}
	if code := e.doJSON("POST", "/repos/promoter-bot/k8s.io/merge-upstream", "bot-token", map[string]string{"branch": "main"}, &sync); code != 200 || sync["merge_type"] != "none" {
		t.Errorf("second merge-upstream: %d %v, want merge_type none", code, sync)
	}
	if err := gqlCreateRef(e.gh, st.Repository.ID, "promote-foo", upstream); err != nil {
		t.Fatalf("createRef after sync: %v", err)
	}
	if err := gqlCreateRef(e.gh, st.Repository.ID, "promote-foo", upstream); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("createRef of an existing ref: %v", err)
	}

	sha, url, err := commitOnBranch(e.gh, "promoter-bot/k8s.io", "promote-foo", upstream,
		map[string]string{"registry.k8s.io/images/k8s-staging-foo/images.yaml": "- name: foo\n  dmap: {}\n", "new/dir/file.txt": "nested\n"})
	if err != nil {
		t.Fatalf("createCommitOnBranch: %v", err)
	}
	if !strings.HasSuffix(url, "/promoter-bot/k8s.io/commit/"+sha) {
		t.Errorf("commit url = %q", url)
	}
	log := e.gitOut("promoter-bot", "k8s.io", "log", "-1", "--format=%H|%P|%an <%ae>|%cn <%ce>|%s|%b", "promote-foo")
	want := sha + "|" + upstream + "|promoter-bot <promoter-bot@users.noreply.github.com>|GitHub <noreply@github.com>|Promote images|Adds the staging digests."
	if log != want {
		t.Errorf("git log:\n got %s\nwant %s", log, want)
	}
	if got := e.gitOut("promoter-bot", "k8s.io", "show", "promote-foo:registry.k8s.io/images/k8s-staging-foo/images.yaml"); got != "- name: foo\n  dmap: {}" {
		t.Errorf("committed content = %q", got)
	}
	if got := e.gitOut("promoter-bot", "k8s.io", "show", "promote-foo:new/dir/file.txt"); got != "nested" {
		t.Errorf("nested file = %q", got)
	}
	if got := e.gitOut("promoter-bot", "k8s.io", "show", "promote-foo:OWNERS"); got != "approvers: [a]" {
		t.Errorf("untouched file = %q", got)
	}

	// A stale expected head is refused and the branch does not move.
	_, _, err = commitOnBranch(e.gh, "promoter-bot/k8s.io", "promote-foo", upstream, map[string]string{"x": "y"})
	if err == nil || err.Error() != `Expected branch to point to "`+upstream+`" but it did not. Pull and try again.` {
		t.Errorf("stale createCommitOnBranch: %v", err)
	}
	if head := e.gitOut("promoter-bot", "k8s.io", "rev-parse", "promote-foo"); head != sha {
		t.Errorf("branch moved to %s after a refused commit", head)
	}

	// Deleting a file; deleting a missing file fails.
	sha2, _, err := commitOnBranch(e.gh, "promoter-bot/k8s.io", "promote-foo", sha, nil, "new/dir/file.txt")
	if err != nil {
		t.Fatal(err)
	}
	if out := e.gitOut("promoter-bot", "k8s.io", "ls-tree", "-r", "--name-only", sha2); strings.Contains(out, "new/dir") {
		t.Errorf("deleted file still in tree: %s", out)
	}
	if _, _, err := commitOnBranch(e.gh, "promoter-bot/k8s.io", "promote-foo", sha2, nil, "nope.txt"); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("deleting a missing path: %v", err)
	}

	// updateRef: a non-fast-forward move needs force.
	st = queryBranch(t, e.gh, "promoter-bot", "k8s.io", "promote-foo")
	if err := gqlUpdateRef(e.gh, st.Repository.Ref.ID, upstream, false); err == nil || !strings.Contains(err.Error(), "fast forward") {
		t.Errorf("updateRef backwards without force: %v", err)
	}
	if err := gqlUpdateRef(e.gh, st.Repository.Ref.ID, upstream, true); err != nil {
		t.Fatalf("updateRef with force: %v", err)
	}
	if head := e.gitOut("promoter-bot", "k8s.io", "rev-parse", "promote-foo"); head != upstream {
		t.Errorf("promote-foo = %s after forced updateRef, want %s", head, upstream)
	}

	// Upstream is not the bot's: it may not write there.
	up := queryBranch(t, e.gh, "kubernetes", "k8s.io", "main")
	if err := gqlCreateRef(e.gh, up.Repository.ID, "sneaky", upstream); err == nil || !strings.Contains(err.Error(), "does not have the correct permissions") {
		t.Errorf("createRef upstream by the bot: %v", err)
	}
	if _, _, err := commitOnBranch(e.gh, "kubernetes/k8s.io", "main", upstream, map[string]string{"x": "y"}); err == nil {
		t.Error("createCommitOnBranch upstream by the bot succeeded")
	}
}

func TestMergeUpstreamDivergedAndErrors(t *testing.T) {
	e := newEnv(t)
	e.initRepo("o", "r", map[string]string{"a": "1\n", "b": "1\n"})
	if _, err := Fork(e.root, "o", "r", "promoter-bot"); err != nil {
		t.Fatal(err)
	}
	e.commit("promoter-bot", "r", "main", map[string]string{"a": "fork\n"}, "fork change")
	e.commit("o", "r", "main", map[string]string{"b": "upstream\n"}, "upstream change")
	var out map[string]any
	if code := e.doJSON("POST", "/repos/promoter-bot/r/merge-upstream", "t", map[string]string{"branch": "main"}, &out); code != 200 || out["merge_type"] != "merge" {
		t.Fatalf("diverged without conflicts: %d %v, want a merge", code, out)
	}
	if got := e.gitOut("promoter-bot", "r", "show", "main:a") + e.gitOut("promoter-bot", "r", "show", "main:b"); got != "forkupstream" {
		t.Errorf("merged content = %q", got)
	}
	e.commit("promoter-bot", "r", "main", map[string]string{"b": "fork again\n"}, "fork conflicts")
	e.commit("o", "r", "main", map[string]string{"b": "upstream again\n"}, "upstream conflicts")
	if code := e.doJSON("POST", "/repos/promoter-bot/r/merge-upstream", "t", map[string]string{"branch": "main"}, &out); code != http.StatusConflict {
		t.Errorf("conflicting sync: %d %v, want 409", code, out)
	}
	if code := e.doJSON("POST", "/repos/promoter-bot/r/merge-upstream", "t", map[string]string{"branch": "nope"}, &out); code != 404 {
		t.Errorf("missing branch: %d, want 404", code)
	}
	if code := e.doJSON("POST", "/repos/o/r/merge-upstream", "t", map[string]string{"branch": "main"}, &out); code != 422 {
		t.Errorf("not a fork: %d, want 422", code)
	}
}

func TestGetRefTagsAndCommits(t *testing.T) {
	e := newEnv(t)
	first := e.initRepo("kubernetes-sigs", "foo", map[string]string{"go.mod": "module foo\n"})
	e.commit("kubernetes-sigs", "foo", "feature-a", map[string]string{"a": "a"}, "a")
	e.commit("kubernetes-sigs", "foo", "feature-b", map[string]string{"b": "b"}, "b")
	tagObj, err := Tag(e.root, "kubernetes-sigs", "foo", "v1.0.0", "main", true)
	if err != nil {
		t.Fatal(err)
	}
	light, err := Tag(e.root, "kubernetes-sigs", "foo", "v0.9.0", first, false)
	if err != nil || light != first {
		t.Fatalf("lightweight tag = %s, %v", light, err)
	}
	if tagObj == first {
		t.Fatal("annotated tag returned the commit, want the tag object")
	}

	if sha, err := e.gh.GetRef("kubernetes-sigs", "foo", "heads/main"); err != nil || sha != first {
		t.Errorf("GetRef heads/main = %s, %v; want %s", sha, err, first)
	}
	if sha, err := e.gh.GetRef("kubernetes-sigs", "foo", "tags/v1.0.0"); err != nil || sha != tagObj {
		t.Errorf("GetRef annotated tag = %s, %v; want the tag object %s", sha, err, tagObj)
	}
	if sha, err := e.gh.GetRef("kubernetes-sigs", "foo", "tags/v0.9.0"); err != nil || sha != first {
		t.Errorf("GetRef lightweight tag = %s, %v", sha, err)
	}
	var tooMany github.GetRefTooManyResultsError
	if _, err := e.gh.GetRef("kubernetes-sigs", "foo", "heads/feature"); !errors.As(err, &tooMany) {
		t.Errorf("GetRef of a prefix of two refs: %v, want GetRefTooManyResultsError", err)
	}
	if _, err := e.gh.GetRef("kubernetes-sigs", "foo", "heads/nope"); !github.IsNotFound(err) {
		t.Errorf("GetRef missing: %v, want 404", err)
	}
	var ref map[string]any
	e.doJSON("GET", "/repos/kubernetes-sigs/foo/git/refs/tags/v1.0.0", "t", nil, &ref)
	if path(ref, "object", "type") != "tag" || path(ref, "ref") != "refs/tags/v1.0.0" {
		t.Errorf("annotated tag ref = %v", ref)
	}
	var list []any
	e.doJSON("GET", "/repos/kubernetes-sigs/foo/git/matching-refs/heads/feature", "t", nil, &list)
	if len(list) != 2 {
		t.Errorf("matching-refs heads/feature = %d refs, want 2", len(list))
	}

	var tag map[string]any
	if code := e.doJSON("GET", "/repos/kubernetes-sigs/foo/git/tags/"+tagObj, "t", nil, &tag); code != 200 {
		t.Fatalf("git/tags: %d", code)
	}
	if tag["tag"] != "v1.0.0" || path(tag, "object", "sha") != first || path(tag, "object", "type") != "commit" {
		t.Errorf("git/tags = %v", tag)
	}

	c, err := e.gh.GetSingleCommit("kubernetes-sigs", "foo", "v1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	if c.SHA != first || c.Commit.Message != "Initial commit" || len(c.Files) != 1 || c.Files[0].Filename != "go.mod" || c.Files[0].Status != "added" {
		t.Errorf("GetSingleCommit(annotated tag) = %+v", c)
	}
	if c.Commit.Tree.SHA == "" || c.Commit.Author.Name != "Seed Author" {
		t.Errorf("commit details = %+v", c.Commit)
	}
	if _, err := e.gh.GetSingleCommit("kubernetes-sigs", "foo", "deadbeef"); err == nil {
		t.Error("GetSingleCommit of an unknown sha succeeded")
	}
}

func TestGetFileSizesAndRaw(t *testing.T) {
	e := newEnv(t)
	big := bytes.Repeat([]byte("0123456789abcdef\n"), 70000) // 1.19 MB
	if _, err := InitRepo(e.root, "o", "r", map[string][]byte{"small.yaml": []byte("a: 1\n"), "big.yaml": big, "dir/x": []byte("x")}); err != nil {
		t.Fatal(err)
	}
	got, err := e.gh.GetFile("o", "r", "small.yaml", "main")
	if err != nil || string(got) != "a: 1\n" {
		t.Errorf("GetFile small = %q, %v", got, err)
	}
	got, err = e.gh.GetFile("o", "r", "big.yaml", "")
	if err != nil || len(got) != 0 {
		t.Errorf("GetFile of a file over 1 MB = %d bytes, %v; GitHub answers no content", len(got), err)
	}
	var meta map[string]any
	e.doJSON("GET", "/repos/o/r/contents/big.yaml", "t", nil, &meta)
	if meta["encoding"] != "none" || meta["content"] != "" || meta["size"] != float64(len(big)) {
		t.Errorf("big file metadata = encoding %v size %v", meta["encoding"], meta["size"])
	}
	for _, accept := range []string{"application/vnd.github.raw", "application/vnd.github.v3.raw", "application/vnd.github.raw+json"} {
		code, _, body := e.do("GET", "/repos/o/r/contents/big.yaml?ref=main", "t", nil, "Accept", accept)
		if code != 200 || !bytes.Equal(body, big) {
			t.Errorf("raw (%s) = %d, %d bytes; want the whole file", accept, code, len(body))
		}
	}
	e.doJSON("GET", "/repos/o/r/contents/small.yaml", "t", nil, &meta)
	if meta["content"] != "YTogMQo=\n" || meta["encoding"] != "base64" || meta["type"] != "file" {
		t.Errorf("small file = %v", meta)
	}
	if _, err := e.gh.GetFile("o", "r", "missing.yaml", "main"); err == nil {
		t.Error("GetFile of a missing file succeeded")
	} else {
		var nf *github.FileNotFound
		if !errors.As(err, &nf) {
			t.Errorf("GetFile missing: %v, want FileNotFound", err)
		}
	}
	if _, err := e.gh.GetFile("o", "r", "small.yaml", "no-such-ref"); err == nil {
		t.Error("GetFile at a missing ref succeeded")
	}
	dir, err := e.gh.GetDirectory("o", "r", "", "main")
	if err != nil || len(dir) != 3 || dir[0].Name != "big.yaml" || dir[1].Type != "dir" || dir[1].Path != "dir" {
		t.Errorf("GetDirectory = %+v, %v", dir, err)
	}
}

func TestPullRequestsLifecycle(t *testing.T) {
	e := newEnv(t)
	e.initRepo("kubernetes", "k8s.io", map[string]string{"images.yaml": "a\n"})
	if _, err := e.gh.CreateFork("kubernetes", "k8s.io"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.gh.CreatePullRequest("kubernetes", "k8s.io", "t", "b", "promoter-bot:nope", "main", true); err == nil {
		t.Error("PR from a missing branch was created")
	}
	if _, err := Branch(e.root, "promoter-bot", "k8s.io", "empty", "main"); err != nil {
		t.Fatal(err)
	}
	_, err := e.gh.CreatePullRequest("kubernetes", "k8s.io", "t", "b", "promoter-bot:empty", "main", true)
	if err == nil || !strings.Contains(err.Error(), "No commits between main and promoter-bot:empty") {
		t.Errorf("PR without commits: %v", err)
	}
	head := e.commit("promoter-bot", "k8s.io", "promote-foo-v1", map[string]string{"images.yaml": "a\nb\n"}, "promote")
	n, err := e.gh.CreatePullRequest("kubernetes", "k8s.io", "Promote foo v1", "body", "promoter-bot:promote-foo-v1", "main", true)
	if err != nil || n != 1 {
		t.Fatalf("CreatePullRequest = %d, %v", n, err)
	}
	_, err = e.gh.CreatePullRequest("kubernetes", "k8s.io", "again", "", "promoter-bot:promote-foo-v1", "main", true)
	if err == nil || !strings.Contains(err.Error(), "A pull request already exists for promoter-bot:promote-foo-v1.") {
		t.Errorf("duplicate PR: %v", err)
	}

	prs, err := e.gh.GetPullRequests("kubernetes", "k8s.io")
	if err != nil || len(prs) != 1 {
		t.Fatalf("GetPullRequests = %v, %v", prs, err)
	}
	pr := prs[0]
	if pr.Number != 1 || pr.Title != "Promote foo v1" || pr.User.Login != "promoter-bot" || pr.Head.SHA != head || pr.Head.Ref != "promote-foo-v1" ||
		pr.Head.Repo.FullName != "promoter-bot/k8s.io" || pr.Base.Ref != "main" || pr.State != "open" || pr.Merged {
		t.Errorf("PR = %+v", pr)
	}

	// The head follows the branch.
	head2 := e.commit("promoter-bot", "k8s.io", "promote-foo-v1", map[string]string{"images.yaml": "a\nb\nc\n"}, "more")
	full, err := e.gh.GetPullRequest("kubernetes", "k8s.io", 1)
	if err != nil || full.Head.SHA != head2 || full.Commits != 2 || full.Mergable == nil || !*full.Mergable {
		t.Errorf("after a push: head %s commits %d mergeable %v, %v; want %s, 2, true", full.Head.SHA, full.Commits, full.Mergable, err, head2)
	}
	files, err := e.gh.GetPullRequestChanges("kubernetes", "k8s.io", 1)
	if err != nil || len(files) != 1 || files[0].Filename != "images.yaml" || files[0].Additions != 2 || !strings.Contains(files[0].Patch, "+c") {
		t.Errorf("PR files = %+v, %v", files, err)
	}

	title, body := "Promote foo v1.0.0", "new body"
	if err := e.gh.UpdatePullRequest("kubernetes", "k8s.io", 1, &title, &body, nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	if pr, _ := e.gh.GetPullRequest("kubernetes", "k8s.io", 1); pr.Title != title || pr.Body != body {
		t.Errorf("after UpdatePullRequest: %q %q", pr.Title, pr.Body)
	}

	// Issues share the numbers; a PR reads as an issue with pull_request.
	num, err := e.gh.CreateIssue("kubernetes", "k8s.io", "an issue", "", 0, nil, nil)
	if err != nil || num != 2 {
		t.Errorf("CreateIssue = %d, %v; want 2", num, err)
	}
	var iss map[string]any
	e.doJSON("GET", "/repos/kubernetes/k8s.io/issues/1", "t", nil, &iss)
	if path(iss, "pull_request", "url") == nil {
		t.Errorf("PR as issue lacks pull_request: %v", iss)
	}
	iss = nil
	e.doJSON("GET", "/repos/kubernetes/k8s.io/issues/2", "t", nil, &iss)
	if _, ok := iss["pull_request"]; ok {
		t.Errorf("issue has pull_request: %v", iss)
	}

	// Head filter, and closing.
	var found []map[string]any
	e.doJSON("GET", "/repos/kubernetes/k8s.io/pulls?head=promoter-bot:promote-foo-v1&state=open", "t", nil, &found)
	if len(found) != 1 {
		t.Errorf("head filter found %d PRs", len(found))
	}
	e.doJSON("GET", "/repos/kubernetes/k8s.io/pulls?head=someone:promote-foo-v1", "t", nil, &found)
	if len(found) != 0 {
		t.Errorf("head filter for another owner found %d PRs", len(found))
	}
	closed, err := e.gh.EditPullRequest("kubernetes", "k8s.io", 1, &github.PullRequest{State: "closed"})
	if err != nil || closed.State != "closed" {
		t.Fatalf("EditPullRequest close = %+v, %v", closed, err)
	}
	if prs, _ := e.gh.GetPullRequests("kubernetes", "k8s.io"); len(prs) != 0 {
		t.Errorf("open PRs after closing: %d", len(prs))
	}
	// A closed PR keeps the head it had.
	e.commit("promoter-bot", "k8s.io", "promote-foo-v1", map[string]string{"later": "x"}, "after close")
	if pr, _ := e.gh.GetPullRequest("kubernetes", "k8s.io", 1); pr.Head.SHA != head2 {
		t.Errorf("closed PR head = %s, want %s", pr.Head.SHA, head2)
	}
	// A new PR for the same branch is allowed once the old one is closed.
	if n, err := e.gh.CreatePullRequest("kubernetes", "k8s.io", "again", "", "promoter-bot:promote-foo-v1", "main", true); err != nil || n != 3 {
		t.Errorf("PR after closing the first = %d, %v; want 3", n, err)
	}
}

func TestAdminMerge(t *testing.T) {
	e := newEnv(t)
	e.initRepo("o", "r", map[string]string{"a": "1\n"})
	if _, err := Fork(e.root, "o", "r", "promoter-bot"); err != nil {
		t.Fatal(err)
	}
	e.commit("o", "r", "main", map[string]string{"other": "x\n"}, "upstream work")
	head := e.commit("promoter-bot", "r", "feature", map[string]string{"a": "2\n"}, "change a")
	n, err := e.gh.CreatePullRequest("o", "r", "Change a", "", "promoter-bot:feature", "main", true)
	if err != nil {
		t.Fatal(err)
	}
	var pr map[string]any
	if code := e.doJSON("POST", "/_fakegithub/repos/o/r/pulls/"+itoa(n)+"/merge", "", nil, &pr); code != 200 {
		t.Fatalf("admin merge: %d %v", code, pr)
	}
	sha, _ := pr["merge_commit_sha"].(string)
	if pr["merged"] != true || pr["state"] != "closed" || pr["merged_at"] == nil || sha == "" {
		t.Fatalf("merged PR = %v", pr)
	}
	if got := e.gitOut("o", "r", "rev-parse", "main"); got != sha {
		t.Errorf("main = %s, want the merge commit %s", got, sha)
	}
	if parents := e.gitOut("o", "r", "log", "-1", "--format=%P", sha); !strings.HasSuffix(parents, " "+head) {
		t.Errorf("merge parents = %s, want ... %s", parents, head)
	}
	if got := e.gitOut("o", "r", "show", "main:a") + e.gitOut("o", "r", "show", "main:other"); got != "2x" {
		t.Errorf("merged content = %q", got)
	}
	got, err := e.gh.GetPullRequest("o", "r", n)
	if err != nil || !got.Merged || got.MergeSHA == nil || *got.MergeSHA != sha {
		t.Errorf("GetPullRequest after merge = %+v, %v", got, err)
	}
	if code := e.doJSON("POST", "/_fakegithub/repos/o/r/pulls/"+itoa(n)+"/merge", "", nil, &pr); code != 405 {
		t.Errorf("merging twice: %d, want 405", code)
	}

	// Fast-forward on request.
	e.commit("o", "r", "ff", map[string]string{"b": "b\n"}, "ff")
	n2, err := e.gh.CreatePullRequest("o", "r", "FF", "", "ff", "main", false)
	if err != nil {
		t.Fatal(err)
	}
	if code := e.doJSON("POST", "/_fakegithub/repos/o/r/pulls/"+itoa(n2)+"/merge", "", map[string]string{"merge_method": "fast-forward"}, &pr); code != 200 {
		t.Fatalf("ff merge: %d %v", code, pr)
	}
	if e.gitOut("o", "r", "rev-parse", "main") != e.gitOut("o", "r", "rev-parse", "ff") {
		t.Error("fast-forward merge did not move main to the head")
	}
}

func TestCommentsAndReactions(t *testing.T) {
	e := newEnv(t)
	e.initRepo("o", "r", map[string]string{"a": "1"})
	n, err := e.gh.CreateIssue("o", "r", "issue", "", 0, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.gh.CreateComment("o", "r", n, "/promote v1.0.0"); err != nil {
		t.Fatal(err)
	}
	comments, err := e.gh.ListIssueComments("o", "r", n)
	if err != nil || len(comments) != 1 || comments[0].Body != "/promote v1.0.0" || comments[0].User.Login != "promoter-bot" {
		t.Fatalf("ListIssueComments = %+v, %v", comments, err)
	}
	id := comments[0].ID
	if err := e.gh.CreateCommentReaction("o", "r", id, "+1"); err != nil {
		t.Fatal(err)
	}
	code, _, _ := e.do("POST", "/repos/o/r/issues/comments/"+itoa(id)+"/reactions", "bot-token", map[string]string{"content": "+1"})
	if code != 200 {
		t.Errorf("same reaction again: %d, want 200", code)
	}
	if code, _, _ := e.do("POST", "/repos/o/r/issues/comments/"+itoa(id)+"/reactions", "bot-token", map[string]string{"content": "party"}); code != 422 {
		t.Errorf("invalid reaction: %d, want 422", code)
	}
	var reactions []map[string]any
	e.doJSON("GET", "/repos/o/r/issues/comments/"+itoa(id)+"/reactions", "t", nil, &reactions)
	if len(reactions) != 1 || reactions[0]["content"] != "+1" || path(reactions[0], "user", "login") != "promoter-bot" {
		t.Errorf("reactions = %v", reactions)
	}
	if err := e.gh.EditComment("o", "r", id, "edited"); err != nil {
		t.Fatal(err)
	}
	var cm map[string]any
	e.doJSON("GET", "/repos/o/r/issues/comments/"+itoa(id), "t", nil, &cm)
	if cm["body"] != "edited" || path(cm, "reactions", "+1") != float64(1) {
		t.Errorf("comment = %v", cm)
	}
	if code := e.doJSON("GET", "/repos/other/r/issues/comments/"+itoa(id), "t", nil, nil); code != 404 {
		t.Errorf("comment through another repo: %d", code)
	}
	if err := e.gh.DeleteComment("o", "r", id); err != nil {
		t.Fatal(err)
	}
	if comments, _ := e.gh.ListIssueComments("o", "r", n); len(comments) != 0 {
		t.Errorf("comments after delete: %d", len(comments))
	}
	if err := e.gh.AddLabel("o", "r", n, "lgtm"); err != nil {
		t.Fatal(err)
	}
	if labels, err := e.gh.GetIssueLabels("o", "r", n); err != nil || len(labels) != 1 || labels[0].Name != "lgtm" {
		t.Errorf("labels = %+v, %v", labels, err)
	}
}

func TestStatuses(t *testing.T) {
	e := newEnv(t)
	sha := e.initRepo("o", "r", map[string]string{"a": "1"})
	for _, s := range []github.Status{
		{State: "pending", Context: "promoter", Description: "waiting"},
		{State: "success", Context: "promoter", Description: "done", TargetURL: "http://x"},
		{State: "failure", Context: "other"},
	} {
		if err := e.gh.CreateStatus("o", "r", sha, s); err != nil {
			t.Fatal(err)
		}
	}
	list, err := e.gh.ListStatuses("o", "r", sha)
	if err != nil || len(list) != 3 || list[0].Context != "other" || list[1].State != "success" || list[2].State != "pending" {
		t.Errorf("ListStatuses (newest first) = %+v, %v", list, err)
	}
	if byRef, _ := e.gh.ListStatuses("o", "r", "main"); len(byRef) != 3 {
		t.Errorf("ListStatuses by branch name = %d", len(byRef))
	}
	combined, err := e.gh.GetCombinedStatus("o", "r", "main")
	if err != nil || combined.State != "failure" || len(combined.Statuses) != 2 || combined.SHA != sha {
		t.Errorf("combined = %+v, %v", combined, err)
	}
	if err := e.gh.CreateStatus("o", "r", strings.Repeat("a", 40), github.Status{State: "success"}); err == nil {
		t.Error("status on an unknown commit accepted")
	}
	if err := e.gh.CreateStatus("o", "r", sha, github.Status{State: "great"}); err == nil {
		t.Error("status with a bad state accepted")
	}
}

func TestAccessFileMembership(t *testing.T) {
	e := newEnv(t)
	e.initRepo("kubernetes-sigs", "apisnoop", map[string]string{"a": "1"})
	// The bot asking is a member with push access: GitHub answers org
	// membership and collaborator permission only to such a requester.
	e.writeAccess(`
tokens: {alice-token: alice, bob-token: bob}
orgs: {kubernetes-sigs: [alice, promoter-bot]}
collaborators: {kubernetes-sigs/apisnoop: {bob: write, carol: read, erin: maintain, promoter-bot: write}}
teams: {kubernetes-sigs/apisnoop-maintainers: [dave]}
`)
	check := func(name string, got bool, err error, want bool) {
		t.Helper()
		if err != nil || got != want {
			t.Errorf("%s = %v, %v; want %v", name, got, err, want)
		}
	}
	got, err := e.gh.IsMember("kubernetes-sigs", "alice")
	check("IsMember alice", got, err, true)
	got, err = e.gh.IsMember("kubernetes-sigs", "bob")
	check("IsMember bob", got, err, false)
	got, err = e.gh.IsCollaborator("kubernetes-sigs", "apisnoop", "bob")
	check("IsCollaborator bob", got, err, true)
	got, err = e.gh.IsCollaborator("kubernetes-sigs", "apisnoop", "alice")
	check("IsCollaborator alice", got, err, false)
	got, err = e.gh.HasPermission("kubernetes-sigs", "apisnoop", "bob", "admin", "write")
	check("HasPermission bob write", got, err, true)
	got, err = e.gh.HasPermission("kubernetes-sigs", "apisnoop", "carol", "admin", "write")
	check("HasPermission carol write", got, err, false)
	if p, err := e.gh.GetUserPermission("kubernetes-sigs", "apisnoop", "erin"); err != nil || p != "write" {
		t.Errorf("maintain reads as %q, %v; want write", p, err)
	}
	if p, err := e.gh.GetUserPermission("kubernetes-sigs", "apisnoop", "alice"); err != nil || p != "none" {
		t.Errorf("non-collaborator permission = %q, %v", p, err)
	}
	got, err = e.gh.TeamBySlugHasMember("kubernetes-sigs", "apisnoop-maintainers", "dave")
	check("team member dave", got, err, true)
	got, err = e.gh.TeamBySlugHasMember("kubernetes-sigs", "apisnoop-maintainers", "alice")
	check("team member alice", got, err, false)

	// Tokens name users; the bot is everyone else.
	if u, err := e.client("alice-token").BotUser(); err != nil || u.Login != "alice" {
		t.Errorf("alice-token user = %+v, %v", u, err)
	}
	if err := e.client("bob-token").CreateComment("kubernetes-sigs", "apisnoop", mustIssue(t, e), "/promote"); err != nil {
		t.Fatal(err)
	}
	cs, _ := e.gh.ListIssueComments("kubernetes-sigs", "apisnoop", 1)
	if len(cs) != 1 || cs[0].User.Login != "bob" {
		t.Errorf("bob's comment = %+v", cs)
	}

	// The file is re-read on every request.
	if err := WriteAccess(e.root, Access{Orgs: map[string][]string{"kubernetes-sigs": {"alice", "bob", "promoter-bot"}}}); err != nil {
		t.Fatal(err)
	}
	got, err = e.gh.IsMember("kubernetes-sigs", "bob")
	check("IsMember bob after edit", got, err, true)
	e.writeAccess("orgs: {kubernetes-sigs: [alice]\n")
	if _, err := e.gh.IsMember("kubernetes-sigs", "bob"); err == nil {
		t.Error("a broken access file went unnoticed")
	}
}

func mustIssue(t *testing.T, e *env) int {
	t.Helper()
	n, err := e.gh.CreateIssue("kubernetes-sigs", "apisnoop", "x", "", 0, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
