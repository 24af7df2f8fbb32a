package server

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	githubql "github.com/shurcooL/githubv4"
	"sigs.k8s.io/prow/pkg/github"
)

func TestPaginationLinks(t *testing.T) {
	e := newEnv(t)
	e.initRepo("o", "r", map[string]string{"a": "1"})
	for i := 0; i < 35; i++ {
		if _, err := e.gh.CreateIssue("o", "r", fmt.Sprintf("issue %d", i+1), "", 0, nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	var page []map[string]any
	code, hdr, _ := e.do("GET", "/repos/o/r/issues?per_page=10", "t", nil)
	link := hdr.Get("Link")
	if code != 200 || !strings.Contains(link, `page=2&per_page=10>; rel="next"`) || !strings.Contains(link, `page=4&per_page=10>; rel="last"`) || strings.Contains(link, `rel="prev"`) {
		t.Errorf("page 1 Link = %q", link)
	}
	e.doJSON("GET", "/repos/o/r/issues?per_page=10", "t", nil, &page)
	if len(page) != 10 || page[0]["number"] != float64(35) {
		t.Errorf("page 1: %d issues, first #%v; want 10, newest (#35) first", len(page), page[0]["number"])
	}
	_, hdr, _ = e.do("GET", "/repos/o/r/issues?per_page=10&page=4", "t", nil)
	link = hdr.Get("Link")
	if !strings.Contains(link, `rel="prev"`) || !strings.Contains(link, `rel="first"`) || strings.Contains(link, `rel="next"`) {
		t.Errorf("last page Link = %q", link)
	}
	e.doJSON("GET", "/repos/o/r/issues?per_page=10&page=4", "t", nil, &page)
	if len(page) != 5 || page[4]["number"] != float64(1) {
		t.Errorf("last page: %d issues", len(page))
	}
	e.doJSON("GET", "/repos/o/r/issues", "t", nil, &page)
	if len(page) != 30 {
		t.Errorf("default page size gave %d, want 30", len(page))
	}
	e.doJSON("GET", "/repos/o/r/issues?per_page=500", "t", nil, &page)
	if len(page) != 35 {
		t.Errorf("per_page=500 gave %d, want all 35 (max 100)", len(page))
	}
	code, hdr, _ = e.do("GET", "/repos/o/r/issues?per_page=10", "t", nil)
	if code != 200 || hdr.Get("X-RateLimit-Limit") != "5000" || hdr.Get("X-RateLimit-Remaining") == "" || hdr.Get("X-RateLimit-Reset") == "" || hdr.Get("X-GitHub-Request-Id") == "" {
		t.Errorf("rate-limit headers missing: %v", hdr)
	}

	// Prow follows the Link header: 130 comments take two requests of 100.
	for i := 0; i < 130; i++ {
		if err := e.gh.CreateComment("o", "r", 1, fmt.Sprintf("comment %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	e.srv.ResetRequests()
	comments, err := e.gh.ListIssueComments("o", "r", 1)
	if err != nil || len(comments) != 130 || comments[0].Body != "comment 0" || comments[129].Body != "comment 129" {
		t.Fatalf("ListIssueComments = %d comments, %v", len(comments), err)
	}
	if n := e.srv.Requests()["GET /repos/{owner}/{repo}/issues/{number}/comments"]; n != 2 {
		t.Errorf("ListIssueComments took %d requests, want 2", n)
	}
}

// A restarted stand-in on the same root keeps its PRs, comments, statuses
// and numbering.
func TestRestartKeepsState(t *testing.T) {
	root := t.TempDir()
	e := newEnvAt(t, root)
	sha := e.initRepo("o", "r", map[string]string{"a": "1"})
	e.commit("o", "r", "feature", map[string]string{"a": "2"}, "change")
	n, err := e.gh.CreatePullRequest("o", "r", "Change", "body", "feature", "main", true)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.gh.CreateComment("o", "r", n, "hello"); err != nil {
		t.Fatal(err)
	}
	if err := e.gh.CreateStatus("o", "r", sha, github.Status{State: "success", Context: "c"}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "_state.json")); err != nil {
		t.Fatalf("no state file: %v", err)
	}

	e2 := newEnvAt(t, root)
	pr, err := e2.gh.GetPullRequest("o", "r", n)
	if err != nil || pr.Title != "Change" || pr.Body != "body" || pr.State != "open" {
		t.Fatalf("PR after restart = %+v, %v", pr, err)
	}
	if cs, err := e2.gh.ListIssueComments("o", "r", n); err != nil || len(cs) != 1 || cs[0].Body != "hello" {
		t.Errorf("comments after restart = %+v, %v", cs, err)
	}
	if st, err := e2.gh.ListStatuses("o", "r", sha); err != nil || len(st) != 1 {
		t.Errorf("statuses after restart = %+v, %v", st, err)
	}
	if n2, err := e2.gh.CreateIssue("o", "r", "next", "", 0, nil, nil); err != nil || n2 != n+1 {
		t.Errorf("numbering after restart: %d, %v; want %d", n2, err, n+1)
	}
}

func TestRequestCounts(t *testing.T) {
	e := newEnv(t)
	head := e.initRepo("o", "r", map[string]string{"a": "1"})
	e.writeAccess("tokens: {owner-token: o}\n")
	owner := e.client("owner-token")
	if _, err := e.gh.GetFile("o", "r", "a", "main"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.gh.GetFile("o", "r", "a", "main"); err != nil {
		t.Fatal(err)
	}
	queryBranch(t, e.gh, "o", "r", "main")
	if _, _, err := commitOnBranch(owner, "o/r", "main", head, map[string]string{"b": "2"}); err != nil {
		t.Fatal(err)
	}
	e.do("GET", "/_fakegithub/requests", "", nil) // not counted
	var counts map[string]int
	if code := e.doJSON("GET", "/_fakegithub/requests", "", nil, &counts); code != 200 {
		t.Fatal(code)
	}
	want := map[string]int{
		"GET /repos/{owner}/{repo}/contents/{path}": 2,
		"graphql query repository":                  1,
		"graphql createCommitOnBranch":              1,
	}
	for k, v := range want {
		if counts[k] != v {
			t.Errorf("counts[%q] = %d, want %d (all: %v)", k, counts[k], v, counts)
		}
	}
	total := 0
	for _, v := range counts {
		total += v
	}
	if total != 4 {
		t.Errorf("total = %d, want 4: %v", total, counts)
	}
	e.do("POST", "/_fakegithub/requests/reset", "", nil)
	counts = nil
	e.doJSON("GET", "/_fakegithub/requests", "", nil, &counts)
	if len(counts) != 0 {
		t.Errorf("after reset: %v", counts)
	}
	e.do("GET", "/nope", "t", nil)
	if n := e.srv.Requests()["GET (no route)"]; n != 1 {
		t.Errorf("unknown route counted %d times", n)
	}
}

func TestUnknownRouteAndAuth(t *testing.T) {
	e := newEnv(t)
	var body map[string]any
	if code := e.doJSON("GET", "/repos/o/r/frobnicate", "t", nil, &body); code != 404 || body["message"] != "Not Found" || body["documentation_url"] == nil {
		t.Errorf("unknown route: %d %v", code, body)
	}
	if code := e.doJSON("GET", "/user", "", nil, &body); code != 401 {
		t.Errorf("GET /user without a token: %d", code)
	}
	if code, _, _ := e.do("GET", "/user", "", nil, "Authorization", "token abc"); code != 200 {
		t.Errorf("token scheme: %d", code)
	}
	e.initRepo("o", "r", map[string]string{"a": "1"})
	if code := e.doJSON("POST", "/repos/o/r/issues", "t", map[string]any{"body": "no title"}, &body); code != 422 || body["message"] != "Validation Failed" || path(body, "errors", 0, "field") != "title" {
		t.Errorf("issue without title: %d %v", code, body)
	}
	if code := e.doJSON("POST", "/repos/o/r/issues", "t", "{", &body); code != 400 && code != 422 {
		t.Errorf("bad JSON: %d %v", code, body)
	}
}

// Concurrent writers: one commit wins per expected head, every comment is
// kept, and one PR per head branch.
func TestConcurrentRequests(t *testing.T) {
	e := newEnv(t)
	head := e.initRepo("o", "r", map[string]string{"a": "1"})
	e.writeAccess("tokens: {owner-token: o}\n")
	owner := e.client("owner-token")

	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, _, errs[i] = commitOnBranch(owner, "o/r", "main", head, map[string]string{fmt.Sprintf("f%d", i): "x"})
		}(i)
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		} else if !strings.Contains(err.Error(), "Expected branch to point to") {
			t.Errorf("unexpected error: %v", err)
		}
	}
	if ok != 1 {
		t.Errorf("%d concurrent commits on one expected head succeeded, want 1", ok)
	}
	if count := e.gitOut("o", "r", "rev-list", "--count", "main"); count != "2" {
		t.Errorf("main has %s commits, want 2", count)
	}

	num, err := e.gh.CreateIssue("o", "r", "busy", "", 0, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		e.commit("o", "r", fmt.Sprintf("br%d", i), map[string]string{"z": fmt.Sprint(i)}, "z")
	}
	prErrs := make([]error, 2*n)
	for i := 0; i < n; i++ {
		wg.Add(3)
		go func(i int) {
			defer wg.Done()
			if err := e.gh.CreateComment("o", "r", num, fmt.Sprintf("c%d", i)); err != nil {
				t.Error(err)
			}
		}(i)
		for j := 0; j < 2; j++ {
			go func(i, j int) {
				defer wg.Done()
				_, prErrs[2*i+j] = e.gh.CreatePullRequest("o", "r", "pr", "", fmt.Sprintf("br%d", i), "main", true)
			}(i, j)
		}
	}
	wg.Wait()
	failed := 0
	for _, err := range prErrs {
		if err != nil {
			failed++
		}
	}
	if failed != n {
		t.Errorf("%d of %d duplicate PR creations failed, want %d", failed, 2*n, n)
	}
	e2 := newEnvAt(t, e.root) // what was saved
	cs, err := e2.gh.ListIssueComments("o", "r", num)
	if err != nil || len(cs) != n {
		t.Fatalf("saved comments = %d, %v", len(cs), err)
	}
	ids := map[int]bool{}
	for _, c := range cs {
		ids[c.ID] = true
	}
	if len(ids) != n {
		t.Errorf("comment ids not unique: %v", ids)
	}
	if prs, _ := e2.gh.GetPullRequests("o", "r"); len(prs) != n {
		t.Errorf("saved PRs = %d, want %d", len(prs), n)
	}
}

func TestCloneURLServesGit(t *testing.T) {
	e := newEnv(t)
	e.initRepo("o", "r", map[string]string{"hello.txt": "hi\n"})
	repo, err := e.gh.GetRepo("o", "r")
	if err != nil {
		t.Fatal(err)
	}
	var full map[string]any
	e.doJSON("GET", "/repos/o/r", "t", nil, &full)
	dst := filepath.Join(t.TempDir(), "clone")
	cmd := exec.Command("git", "clone", "--quiet", full["clone_url"].(string), dst)
	cmd.Env = gitEnv()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git clone %s: %v: %s", full["clone_url"], err, out)
	}
	b, err := os.ReadFile(filepath.Join(dst, "hello.txt"))
	if err != nil || string(b) != "hi\n" {
		t.Errorf("cloned file = %q, %v (repo %s)", b, err, repo.FullName)
	}
}

func TestSeedHelpers(t *testing.T) {
	root := t.TempDir()
	first, err := InitRepo(root, "o", "r", map[string][]byte{"a/b.txt": []byte("b"), "c": []byte("c")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := InitRepo(root, "o", "r", nil); err == nil {
		t.Error("InitRepo over an existing repository succeeded")
	}
	second, err := Commit(root, "o", "r", "main", map[string][]byte{"c": nil, "d": []byte("d")}, "drop c, add d")
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := ReadFile(root, "o", "r", "main", "d"); string(got) != "d" {
		t.Errorf("d = %q", got)
	}
	if _, err := ReadFile(root, "o", "r", "main", "c"); err == nil {
		t.Error("c still there after deleting it")
	}
	if got, _ := ReadFile(root, "o", "r", first, "c"); string(got) != "c" {
		t.Errorf("c at the first commit = %q", got)
	}
	feature, err := Commit(root, "o", "r", "feature", map[string][]byte{"e": []byte("e")}, "")
	if err != nil {
		t.Fatal(err)
	}
	if sha, _ := ResolveRef(root, "o", "r", "feature~1"); sha != "" {
		t.Errorf("ResolveRef accepted rev syntax: %s", sha)
	}
	if sha, err := ResolveRef(root, "o", "r", "feature"); err != nil || sha != feature {
		t.Errorf("feature = %s, %v", sha, err)
	}
	tagSHA, err := Tag(root, "o", "r", "v1", second, true)
	if err != nil {
		t.Fatal(err)
	}
	if sha, _ := ResolveRef(root, "o", "r", "v1"); sha != second || tagSHA == second {
		t.Errorf("annotated tag v1 resolves to %s (tag object %s), want %s", sha, tagSHA, second)
	}
	full, err := Fork(root, "o", "r", "bot")
	if err != nil || full != "bot/r" {
		t.Fatalf("Fork = %s, %v", full, err)
	}
	if sha, _ := ResolveRef(root, "bot", "r", "v1"); sha != second {
		t.Error("fork lacks the tag")
	}
	if _, err := InitRepo(root, "../x", "r", nil); err == nil {
		t.Error("InitRepo accepted a path-like owner")
	}

	// The fork does not share objects with its parent.
	if _, err := os.Stat(filepath.Join(RepoPath(root, "bot", "r"), "objects", "info", "alternates")); err == nil {
		t.Error("fork uses alternates")
	}
	up, _ := Commit(root, "o", "r", "main", map[string][]byte{"new": []byte("n")}, "later")
	cmd := exec.Command("git", "--git-dir", RepoPath(root, "bot", "r"), "cat-file", "-e", up)
	cmd.Env = gitEnv()
	if cmd.Run() == nil {
		t.Error("the fork has upstream's later commit")
	}
}

// The GraphQL mutation signature promoter uses compiles against our schema
// through shurcooL's query builder, including a nullable argument filled
// from a non-null variable.
func TestShurcooLObjectQuery(t *testing.T) {
	e := newEnv(t)
	e.initRepo("o", "r", map[string]string{"dir/file.yaml": "x: 1\n"})
	var q struct {
		Repository struct {
			Object *struct {
				Blob struct{ Oid githubql.GitObjectID } `graphql:"... on Blob"`
			} `graphql:"object(expression: $expr)"`
			Missing *struct {
				Blob struct{ Oid githubql.GitObjectID } `graphql:"... on Blob"`
			} `graphql:"missing: object(expression: $none)"`
		} `graphql:"repository(owner: $owner, name: $name)"`
	}
	vars := map[string]interface{}{
		"owner": githubql.String("o"), "name": githubql.String("r"),
		"expr": githubql.String("refs/heads/main:dir/file.yaml"), "none": githubql.String("refs/heads/main:nope"),
	}
	if err := e.gh.QueryWithGitHubAppsSupport(context.Background(), &q, vars, "o"); err != nil {
		t.Fatal(err)
	}
	want := e.gitOut("o", "r", "rev-parse", "main:dir/file.yaml")
	if q.Repository.Object == nil || string(q.Repository.Object.Blob.Oid) != want || q.Repository.Missing != nil {
		t.Errorf("object = %+v, missing = %+v; want blob %s and nil", q.Repository.Object, q.Repository.Missing, want)
	}
}
