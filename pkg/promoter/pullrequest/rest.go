package pullrequest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// REST makes the few GitHub REST calls Prow's client lacks at our version:
// syncing a fork, finding one PR by its head, and reading a file over 1 MB.
// It uses the same endpoint and token as Prow's client.
type REST struct {
	Endpoint string        // e.g. https://api.github.com or ghproxy's URL
	Token    func() []byte // Prow's secret agent token generator
	HTTP     *http.Client  // nil: a client with a 60 s timeout
	// Count, when set, is told of every call (for metrics).
	Count func(call string)
}

// APIError is a non-2xx answer, with GitHub's message.
type APIError struct {
	Method, Path string
	Status       int
	Message      string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("GitHub %s %s: %d %s", e.Method, e.Path, e.Status, e.Message)
}

var defaultHTTP = &http.Client{Timeout: 60 * time.Second}

// do sends one request and decodes a JSON answer into out (if not nil).
// accept overrides the Accept header. It returns the raw body as well.
func (r *REST) do(ctx context.Context, call, method, path string, in any, accept string, out any) ([]byte, error) {
	if r.Count != nil {
		r.Count(call)
	}
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(r.Endpoint, "/")+path, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", orDefault(accept, "application/vnd.github+json"))
	req.Header.Set("X-GitHub-Api-Version", "2022-11-28")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if tok := r.token(); tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	client := r.HTTP
	if client == nil {
		client = defaultHTTP
	}
	resp, err := client.Do(req)
	if err != nil {
		// url.Error carries only the URL, never the Authorization header.
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 110<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return raw, &APIError{Method: method, Path: path, Status: resp.StatusCode, Message: message(raw)}
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return raw, fmt.Errorf("GitHub %s %s: decoding answer: %w", method, path, err)
		}
	}
	return raw, nil
}

func (r *REST) token() string {
	if r.Token == nil {
		return ""
	}
	return strings.TrimSpace(string(r.Token()))
}

func message(raw []byte) string {
	var m struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(raw, &m) == nil && m.Message != "" {
		return m.Message
	}
	if len(raw) > 200 {
		raw = raw[:200]
	}
	return strings.TrimSpace(string(raw))
}

// MergeUpstream fast-forwards the fork's branch to its upstream
// (POST /repos/{owner}/{repo}/merge-upstream). A fork that lacks upstream's
// newest commits refuses refs to them; FIELD-NOTES.md has the reports.
func (r *REST) MergeUpstream(ctx context.Context, owner, repo, branch string) error {
	path := fmt.Sprintf("/repos/%s/%s/merge-upstream", owner, repo)
	_, err := r.do(ctx, "MergeUpstream", http.MethodPost, path, map[string]string{"branch": branch}, "", nil)
	var apiErr *APIError
	if errors.As(err, &apiErr) && apiErr.Status == http.StatusConflict {
		return fmt.Errorf("%w: %s/%s has commits on %s that upstream lacks, so it cannot be synced; reset that branch of the fork to upstream (%w)", ErrForkConflict, owner, repo, branch, err)
	}
	return err
}

// PullRequest is the part of GitHub's pull request this package reads.
type PullRequest struct {
	Number    int        `json:"number"`
	Title     string     `json:"title"`
	Body      string     `json:"body"`
	State     string     `json:"state"`
	MergedAt  *time.Time `json:"merged_at"`
	UpdatedAt time.Time  `json:"updated_at"`
	User      struct {
		Login string `json:"login"`
	} `json:"user"`
	Head struct {
		Ref  string `json:"ref"`
		SHA  string `json:"sha"`
		Repo struct {
			Owner struct {
				Login string `json:"login"`
			} `json:"owner"`
		} `json:"repo"`
	} `json:"head"`
}

// closedUnmerged reports a PR a reviewer closed without merging.
func (pr *PullRequest) closedUnmerged() bool { return pr.State == "closed" && pr.MergedAt == nil }

// FindPullRequest returns the newest PR on org/repo, in any state, whose
// head is headOwner:branch, or nil. Prow's GetPullRequests would list every
// open PR of kubernetes/k8s.io (several pages); the head filter makes it
// one call.
func (r *REST) FindPullRequest(ctx context.Context, org, repo, headOwner, branch string) (*PullRequest, error) {
	q := url.Values{"head": {headOwner + ":" + branch}, "state": {"all"}, "per_page": {"10"}}
	path := fmt.Sprintf("/repos/%s/%s/pulls?%s", org, repo, q.Encode())
	var prs []PullRequest
	if _, err := r.do(ctx, "FindPullRequest", http.MethodGet, path, nil, "", &prs); err != nil {
		return nil, err
	}
	// GitHub ignores a head filter it cannot parse and lists every PR:
	// check each answer rather than trusting the filter.
	for i := range prs {
		pr := &prs[i]
		if pr.Head.Ref == branch && strings.EqualFold(pr.Head.Repo.Owner.Login, headOwner) {
			return pr, nil
		}
	}
	return nil, nil
}

// GetPullRequest reads one PR.
func (r *REST) GetPullRequest(ctx context.Context, org, repo string, number int) (*PullRequest, error) {
	var pr PullRequest
	path := fmt.Sprintf("/repos/%s/%s/pulls/%d", org, repo, number)
	if _, err := r.do(ctx, "GetPullRequest", http.MethodGet, path, nil, "", &pr); err != nil {
		return nil, err
	}
	return &pr, nil
}

// ClosedBy is who closed issue or PR number (GitHub's issues API says; the
// pulls API does not), "" when nobody did or GitHub does not say.
func (r *REST) ClosedBy(ctx context.Context, org, repo string, number int) (string, error) {
	var is struct {
		ClosedBy *struct {
			Login string `json:"login"`
		} `json:"closed_by"`
	}
	path := fmt.Sprintf("/repos/%s/%s/issues/%d", org, repo, number)
	if _, err := r.do(ctx, "GetIssue", http.MethodGet, path, nil, "", &is); err != nil {
		return "", err
	}
	if is.ClosedBy == nil {
		return "", nil
	}
	return is.ClosedBy.Login, nil
}

// RawFile reads a file at ref whole, for files the contents API answers
// without content (over 1 MB).
func (r *REST) RawFile(ctx context.Context, org, repo, path, ref string) ([]byte, error) {
	p := fmt.Sprintf("/repos/%s/%s/contents/%s?ref=%s", org, repo, escapePath(path), url.QueryEscape(ref))
	return r.do(ctx, "RawFile", http.MethodGet, p, nil, "application/vnd.github.raw", nil)
}

func escapePath(p string) string {
	parts := strings.Split(p, "/")
	for i := range parts {
		parts[i] = url.PathEscape(parts[i])
	}
	return strings.Join(parts, "/")
}

func orDefault(v, d string) string {
	if v == "" {
		return d
	}
	return v
}

// Tag is a git tag and the commit it points at (annotated tags peeled).
type Tag struct {
	Name   string `json:"name"`
	Commit struct {
		SHA string `json:"sha"`
	} `json:"commit"`
}

// Tags reads the first page (100) of a repository's tags: enough to find
// the recent releases a resync looks for.
func (r *REST) Tags(ctx context.Context, org, repo string) ([]Tag, error) {
	path := fmt.Sprintf("/repos/%s/%s/tags?per_page=100", org, repo)
	var tags []Tag
	_, err := r.do(ctx, "ListTags", http.MethodGet, path, nil, "", &tags)
	return tags, err
}
