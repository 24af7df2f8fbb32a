package harness

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"sigs.k8s.io/promoter/pkg/hook"
	"sigs.k8s.io/promoter/pkg/promoter"
	"sigs.k8s.io/promoter/test/fakegithub/server"
)

// PushEvent is a GitHub push event for a tag, shaped as GitHub sends it,
// without head_commit (GitHub documents it as nullable). after is the
// pushed object: the commit, or for an annotated tag the tag object.
func PushEvent(repo, tag, after string) []byte { return TagPushEvent(repo, tag, after, "") }

// TagPushEvent is PushEvent with head_commit naming commit, the commit the
// tag points at, as GitHub sends it for every tag push since 2021.
func TagPushEvent(repo, tag, after, commit string) []byte {
	org, name, _ := strings.Cut(repo, "/")
	ev := map[string]any{
		"ref": "refs/tags/" + tag, "before": strings.Repeat("0", 40), "after": after,
		"created": true, "deleted": false, "forced": false, "base_ref": nil,
		"compare": "https://github.com/" + repo + "/compare/" + tag, "commits": []any{}, "head_commit": headCommit(repo, commit),
		"repository": map[string]any{
			"id": 1, "name": name, "full_name": repo, "private": false, "fork": false, "default_branch": "main",
			"owner":    map[string]any{"login": org, "type": "Organization"},
			"html_url": "https://github.com/" + repo, "clone_url": "https://github.com/" + repo + ".git",
		},
		"organization": map[string]any{"login": org},
		"pusher":       map[string]any{"name": "hh", "email": "hh@example.com"},
		"sender":       map[string]any{"login": "hh", "type": "User"},
	}
	b, _ := json.Marshal(ev)
	return b
}

func orNone(association string) string {
	if association == "" {
		return "NONE"
	}
	return association
}

func headCommit(repo, commit string) any {
	if commit == "" {
		return nil
	}
	return map[string]any{"id": commit, "distinct": true, "message": "release",
		"url": "https://github.com/" + repo + "/commit/" + commit}
}

// Send POSTs a webhook signed with secret as GitHub signs it (both headers)
// and returns the status code. An empty secret sends no signature.
func Send(url, event string, body []byte, secret string) (int, error) {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", event)
	req.Header.Set("X-GitHub-Delivery", "GUID") // as phony sends: never unique
	if secret != "" {
		s256, s1 := hook.Sign(body, []byte(secret))
		req.Header.Set("X-Hub-Signature-256", s256)
		req.Header.Set("X-Hub-Signature", s1)
	}
	resp, err := webhookClient.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// webhookClient bounds a webhook delivery as GitHub does (10 s): promoter
// must answer before it does any work.
var webhookClient = &http.Client{Timeout: 10 * time.Second}

// PR is what the stand-in shows of a pull request.
type PR struct {
	Number  int    `json:"number"`
	Title   string `json:"title"`
	Body    string `json:"body"`
	State   string `json:"state"`
	HTMLURL string `json:"html_url"`
	Head    struct {
		Ref  string `json:"ref"`
		SHA  string `json:"sha"`
		Repo struct {
			Owner struct {
				Login string `json:"login"`
			} `json:"owner"`
		} `json:"repo"`
	} `json:"head"`
	Base struct {
		Ref string `json:"ref"`
	} `json:"base"`
}

// PRs lists a repository's pull requests in state (open, closed, all)
// through the stand-in's GitHub API.
func PRs(github, repo, state string) ([]PR, error) {
	var prs []PR
	err := getJSON(fmt.Sprintf("%s/repos/%s/pulls?state=%s&per_page=100", github, repo, state), "", &prs)
	return prs, err
}

// Promotions reads promoter's /promotions as JSON.
func Promotions(promoterURL string) ([]promoter.Status, error) {
	var out []promoter.Status
	err := getJSON(promoterURL+"/promotions", "application/json", &out)
	return out, err
}

// Promotion returns the status of one (project, tag), if tracked.
func Promotion(promoterURL, project, tag string) (promoter.Status, bool) {
	all, err := Promotions(promoterURL)
	if err != nil {
		return promoter.Status{}, false
	}
	for _, s := range all {
		if s.Project == project && s.Tag == tag {
			return s, true
		}
	}
	return promoter.Status{}, false
}

// Requests returns the stand-in's count of API requests by route.
func Requests(github string) (map[string]int, error) {
	out := map[string]int{}
	err := getJSON(github+"/_fakegithub/requests", "", &out)
	return out, err
}

// ResetRequests zeroes the stand-in's request counts.
func ResetRequests(github string) error {
	resp, err := http.Post(github+"/_fakegithub/requests/reset", "application/json", nil)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("reset: %s", resp.Status)
	}
	return nil
}

func getJSON(url, accept string, out any) error {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s: %s", url, resp.Status, b)
	}
	return json.Unmarshal(b, out)
}

func httpGet(url string) (string, error) {
	resp, err := http.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

// MergePR merges a pull request through the stand-in's admin endpoint, as a
// reviewer's approval and tide would.
func MergePR(github, repo string, number int) error {
	resp, err := http.Post(fmt.Sprintf("%s/_fakegithub/repos/%s/pulls/%d/merge", github, repo, number), "application/json", nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("merging #%d: %s: %s", number, resp.Status, b)
	}
	return nil
}

// Status is one commit status as the stand-in shows it.
type Status struct {
	State       string `json:"state"`
	Description string `json:"description"`
	TargetURL   string `json:"target_url"`
	Context     string `json:"context"`
}

// CommitStatus returns the latest status with that context on ref (a sha,
// branch or tag), or false.
func CommitStatus(github, repo, ref, context string) (Status, bool) {
	var combined struct {
		Statuses []Status `json:"statuses"`
	}
	if err := getJSON(fmt.Sprintf("%s/repos/%s/commits/%s/status", github, repo, ref), "", &combined); err != nil {
		return Status{}, false
	}
	for _, s := range combined.Statuses {
		if s.Context == context {
			return s, true
		}
	}
	return Status{}, false
}

// Issue is an issue or PR as the stand-in shows it.
type Issue struct {
	Number int `json:"number"`
}

// Comment is an issue comment as the stand-in shows it.
type Comment struct {
	ID   int    `json:"id"`
	Body string `json:"body"`
	User struct {
		Login string `json:"login"`
	} `json:"user"`
	AuthorAssociation string `json:"author_association"`
}

// CreateIssue opens an issue as the user the token belongs to.
func CreateIssue(github, repo, token, title string) (Issue, error) {
	var is Issue
	err := postJSON(fmt.Sprintf("%s/repos/%s/issues", github, repo), token, map[string]string{"title": title}, &is)
	return is, err
}

// CreateComment comments on an issue as the user the token belongs to.
func CreateComment(github, repo, token string, number int, body string) (Comment, error) {
	var c Comment
	err := postJSON(fmt.Sprintf("%s/repos/%s/issues/%d/comments", github, repo, number), token, map[string]string{"body": body}, &c)
	return c, err
}

// Comments lists an issue's comments.
func Comments(github, repo string, number int) ([]Comment, error) {
	var cs []Comment
	err := getJSON(fmt.Sprintf("%s/repos/%s/issues/%d/comments?per_page=100", github, repo, number), "", &cs)
	return cs, err
}

// Reactions lists the reactions (their content) on a comment.
func Reactions(github, repo string, commentID int) ([]string, error) {
	var rs []struct {
		Content string `json:"content"`
	}
	err := getJSON(fmt.Sprintf("%s/repos/%s/issues/comments/%d/reactions", github, repo, commentID), "", &rs)
	var out []string
	for _, r := range rs {
		out = append(out, r.Content)
	}
	return out, err
}

// CommentEvent is the issue_comment webhook GitHub sends for c; on a pull
// request the issue carries a pull_request key.
func CommentEvent(repo string, number int, isPR bool, c Comment, action string) []byte {
	org, name, _ := strings.Cut(repo, "/")
	issue := map[string]any{"number": number, "title": "release", "state": "open",
		"user": map[string]any{"login": c.User.Login}}
	if isPR {
		issue["pull_request"] = map[string]any{"url": fmt.Sprintf("https://api.github.com/repos/%s/pulls/%d", repo, number)}
	}
	ev := map[string]any{
		"action": action,
		"issue":  issue,
		"comment": map[string]any{"id": c.ID, "body": c.Body, "user": map[string]any{"login": c.User.Login, "type": "User"},
			"author_association": orNone(c.AuthorAssociation),
			"html_url":           fmt.Sprintf("https://github.com/%s/issues/%d#issuecomment-%d", repo, number, c.ID)},
		"repository": map[string]any{"name": name, "full_name": repo, "owner": map[string]any{"login": org, "type": "Organization"}},
		"sender":     map[string]any{"login": c.User.Login, "type": "User"},
	}
	b, _ := json.Marshal(ev)
	return b
}

func postJSON(url, token string, in, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "token "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("POST %s: %s: %s", url, resp.Status, raw)
	}
	return json.Unmarshal(raw, out)
}

// CreatePR opens a pull request from head into base as the token's user.
func CreatePR(github, repo, token, head, base, title string) (PR, error) {
	var pr PR
	err := postJSON(fmt.Sprintf("%s/repos/%s/pulls", github, repo), token, map[string]string{"head": head, "base": base, "title": title}, &pr)
	return pr, err
}

// MergeCommit is the merge commit of a merged pull request.
func MergeCommit(github, repo string, number int) (string, error) {
	var pr struct {
		MergeSHA string `json:"merge_commit_sha"`
		Merged   bool   `json:"merged"`
	}
	if err := getJSON(fmt.Sprintf("%s/repos/%s/pulls/%d", github, repo, number), "", &pr); err != nil {
		return "", err
	}
	if !pr.Merged {
		return "", fmt.Errorf("#%d is not merged", number)
	}
	return pr.MergeSHA, nil
}

// ClosePR closes a pull request without merging it.
func ClosePR(github, repo, token string, number int) error {
	b, _ := json.Marshal(map[string]string{"state": "closed"})
	req, err := http.NewRequest(http.MethodPatch, fmt.Sprintf("%s/repos/%s/pulls/%d", github, repo, number), bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "token "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		raw, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("closing #%d: %s: %s", number, resp.Status, raw)
	}
	return nil
}

// AddFault turns a fault on in the stand-in (see test/fakegithub/README.md)
// and returns it with its id.
func AddFault(github string, f server.Fault) (server.Fault, error) {
	var out server.Fault
	err := postJSON(github+"/_fakegithub/faults", "", f, &out)
	return out, err
}

// Faults lists the stand-in's faults with their hits.
func Faults(github string) ([]server.Fault, error) {
	var out []server.Fault
	err := getJSON(github+"/_fakegithub/faults", "", &out)
	return out, err
}

// ClearFaults heals the stand-in.
func ClearFaults(github string) error {
	req, err := http.NewRequest(http.MethodDelete, github+"/_fakegithub/faults", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("clearing faults: %s", resp.Status)
	}
	return nil
}
