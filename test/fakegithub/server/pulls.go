package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

func (is *issue) clone() *issue {
	cp := *is
	cp.Labels = append([]string(nil), is.Labels...)
	cp.Assignees = append([]string(nil), is.Assignees...)
	cp.Reactions = append([]*reaction(nil), is.Reactions...)
	if is.PR != nil {
		pr := *is.PR
		cp.PR = &pr
	}
	return &cp
}

// number parses the {number} of the route (404 when not a number).
func (c *reqCtx) number() (int, bool) {
	n, err := strconv.Atoi(c.p["number"])
	if err != nil || n < 1 {
		c.notFound()
		return 0, false
	}
	return n, true
}

// issueCopy returns a copy of issue or PR n of rr.
func (s *Server) issueCopy(rr repoRef, n int) (*issue, bool) {
	var out *issue
	s.read(func(st *state) {
		if is := st.peekRepo(rr.Full()).Issues[n]; is != nil {
			out = is.clone()
		}
	})
	return out, out != nil
}

// liveRefs caches branch heads per repository for one request.
type liveRefs map[string]map[string]string

func (lr liveRefs) head(ctx context.Context, dir, branch string) string {
	m, ok := lr[dir]
	if !ok {
		m = map[string]string{}
		if refs, err := listRefs(ctx, dir, "refs/heads/"); err == nil {
			for _, r := range refs {
				m[strings.TrimPrefix(r.Name, "refs/heads/")] = r.SHA
			}
		}
		lr[dir] = m
	}
	return m[branch]
}

// pullHeads returns the PR's head and base shas: live while open (the head
// follows its branch), as recorded once closed.
func (s *Server) pullHeads(ctx context.Context, rr repoRef, pr *pull, open bool, lr liveRefs) (head, base string) {
	head, base = pr.HeadSHA, pr.BaseSHA
	if !open {
		return
	}
	if hr, ok := s.repoRef(pr.HeadOwner, pr.HeadRepo); ok {
		if sha := lr.head(ctx, hr.Dir, pr.HeadRef); sha != "" {
			head = sha
		}
	}
	if sha := lr.head(ctx, rr.Dir, pr.BaseRef); sha != "" {
		base = sha
	}
	return
}

func (c *reqCtx) labelJSON(rr repoRef, name string) map[string]any {
	return map[string]any{
		"id":          hash32("label:" + rr.Full() + ":" + name),
		"node_id":     nodeID("LA", rr.Full()+":"+name),
		"url":         c.base + "/repos/" + rr.Full() + "/labels/" + name,
		"name":        name,
		"color":       "ededed",
		"default":     false,
		"description": nil,
	}
}

func (c *reqCtx) labelsJSON(rr repoRef, names []string) []any {
	out := []any{}
	for _, n := range names {
		out = append(out, c.labelJSON(rr, n))
	}
	return out
}

func (c *reqCtx) usersJSON(logins []string) []any {
	out := []any{}
	for _, l := range logins {
		out = append(out, c.userJSON(l))
	}
	return out
}

func reactionSummary(url string, rs []*reaction) map[string]any {
	m := map[string]any{"url": url, "total_count": len(rs)}
	for _, k := range reactionContents {
		m[k] = 0
	}
	for _, r := range rs {
		m[r.Content] = m[r.Content].(int) + 1
	}
	return m
}

var reactionContents = []string{"+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes"}

// pullJSON is GitHub's pull request; full adds what only GET pulls/{n}
// (and create, update) carry: merged, mergeable, counts.
func (c *reqCtx) pullJSON(rr repoRef, is *issue, full bool, lr liveRefs) map[string]any {
	pr := is.PR
	api := c.base + "/repos/" + rr.Full()
	html := c.base + "/" + rr.Full() + "/pull/" + itoa(is.Number)
	open := is.State == "open"
	headSHA, baseSHA := c.s.pullHeads(c.ctx, rr, pr, open, lr)
	hr, headExists := c.s.repoRef(pr.HeadOwner, pr.HeadRepo)
	var headRepo any
	if headExists {
		headRepo = c.repoJSON(hr, false)
	}
	var mergedAt any
	if pr.MergedAt != nil {
		mergedAt = ts(*pr.MergedAt)
	}
	var mergeSHA any
	if pr.MergeCommitSHA != "" {
		mergeSHA = pr.MergeCommitSHA
	}
	m := map[string]any{
		"url":                 api + "/pulls/" + itoa(is.Number),
		"id":                  pr.ID,
		"node_id":             pullNodeID(rr, is.Number),
		"html_url":            html,
		"diff_url":            html + ".diff",
		"patch_url":           html + ".patch",
		"issue_url":           api + "/issues/" + itoa(is.Number),
		"commits_url":         api + "/pulls/" + itoa(is.Number) + "/commits",
		"comments_url":        api + "/issues/" + itoa(is.Number) + "/comments",
		"statuses_url":        api + "/statuses/" + headSHA,
		"review_comments_url": api + "/pulls/" + itoa(is.Number) + "/comments",
		"review_comment_url":  api + "/pulls/comments{/number}",
		"_links": map[string]any{
			"self":            link(api + "/pulls/" + itoa(is.Number)),
			"html":            link(html),
			"issue":           link(api + "/issues/" + itoa(is.Number)),
			"comments":        link(api + "/issues/" + itoa(is.Number) + "/comments"),
			"review_comments": link(api + "/pulls/" + itoa(is.Number) + "/comments"),
			"review_comment":  link(api + "/pulls/comments{/number}"),
			"commits":         link(api + "/pulls/" + itoa(is.Number) + "/commits"),
			"statuses":        link(api + "/statuses/" + headSHA),
		},
		"number":              is.Number,
		"state":               is.State,
		"locked":              false,
		"title":               is.Title,
		"user":                c.userJSON(is.User),
		"body":                nullIfEmpty(is.Body),
		"labels":              c.labelsJSON(rr, is.Labels),
		"milestone":           nil,
		"active_lock_reason":  nil,
		"created_at":          ts(is.CreatedAt),
		"updated_at":          ts(is.UpdatedAt),
		"closed_at":           optTime(is.ClosedAt),
		"merged_at":           mergedAt,
		"merge_commit_sha":    mergeSHA,
		"assignee":            firstUser(c, is.Assignees),
		"assignees":           c.usersJSON(is.Assignees),
		"requested_reviewers": []any{},
		"requested_teams":     []any{},
		"head": map[string]any{
			"label": pr.HeadOwner + ":" + pr.HeadRef, "ref": pr.HeadRef, "sha": headSHA,
			"user": c.userJSON(pr.HeadOwner), "repo": headRepo,
		},
		"base": map[string]any{
			"label": rr.Owner + ":" + pr.BaseRef, "ref": pr.BaseRef, "sha": baseSHA,
			"user": c.userJSON(rr.Owner), "repo": c.repoJSON(rr, false),
		},
		"author_association": c.acc.authorAssociation(rr.Owner, rr.Name, is.User),
		"auto_merge":         nil,
		"draft":              pr.Draft,
		// GitHub's list answers carry merged_at but not merged; promoter's
		// readers (Prow's PullRequest) want the bool, which is harmless.
		"merged": pr.Merged,
	}
	if !full {
		return m
	}
	var mergedBy any
	if pr.MergedBy != "" {
		mergedBy = c.userJSON(pr.MergedBy)
	}
	m["merged_by"] = mergedBy
	m["comments"] = c.s.commentCount(rr, is.Number)
	m["review_comments"] = 0
	m["maintainer_can_modify"] = pr.MaintainerCanModify
	m["rebaseable"] = nil
	m["mergeable"] = nil
	m["mergeable_state"] = "unknown"
	commits, add, del, files := 0, 0, 0, 0
	if headExists && headSHA != "" && baseSHA != "" {
		alts := []string{hr.Dir}
		if pr.Merged {
			// What the PR brought, measured against the base it merged into.
			baseSHA = firstParent(c.ctx, rr.Dir, pr.MergeCommitSHA, baseSHA)
		}
		if mb, err := mergeBase(c.ctx, rr.Dir, baseSHA, headSHA, alts...); err == nil && mb != "" {
			if list, err := revList(c.ctx, rr.Dir, headSHA, mb, 10000, alts...); err == nil {
				commits = len(list)
			}
			if fs, err := diffFiles(c.ctx, rr.Dir, mb, headSHA, alts...); err == nil {
				files = len(fs)
				for _, f := range fs {
					add += f.Additions
					del += f.Deletions
				}
			}
		}
		if open {
			if _, clean, err := mergeTrees(c.ctx, rr.Dir, baseSHA, headSHA, alts...); err == nil {
				m["mergeable"] = clean
				m["rebaseable"] = clean
				switch {
				case pr.Draft:
					m["mergeable_state"] = "draft"
				case clean:
					m["mergeable_state"] = "clean"
				default:
					m["mergeable_state"] = "dirty"
				}
			}
		}
	}
	m["commits"] = commits
	m["additions"] = add
	m["deletions"] = del
	m["changed_files"] = files
	return m
}

// link is one entry of a pull request's _links.
func link(href string) map[string]any { return map[string]any{"href": href} }

func firstUser(c *reqCtx, logins []string) any {
	if len(logins) == 0 {
		return nil
	}
	return c.userJSON(logins[0])
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// firstParent is the first parent of merge (fallback when unknown).
func firstParent(ctx context.Context, dir, merge, fallback string) string {
	if merge == "" {
		return fallback
	}
	ci, err := readCommit(ctx, dir, merge)
	if err != nil || len(ci.Parents) == 0 {
		return fallback
	}
	return ci.Parents[0]
}

// mergeBase is the best common ancestor of a and b.
func mergeBase(ctx context.Context, dir, a, b string, alternates ...string) (string, error) {
	out, err := runGit(ctx, dir, altEnv(alternates), nil, "merge-base", a, b)
	if err != nil {
		if exitCode(err) == 1 {
			return "", nil
		}
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}

func (s *Server) commentCount(rr repoRef, n int) int {
	count := 0
	s.read(func(st *state) {
		for _, cm := range st.peekRepo(rr.Full()).Comments {
			if cm.Issue == n {
				count++
			}
		}
	})
	return count
}

// ---------------------------------------------------------------- create

// findHeadRepo finds the repository owner's branch lives in: the base
// repository itself, or owner's fork in the same network.
func (s *Server) findHeadRepo(base repoRef, owner, repoName string) (repoRef, bool) {
	if strings.EqualFold(owner, base.Owner) && (repoName == "" || strings.EqualFold(repoName, base.Name)) {
		return base, true
	}
	network := s.source(base).Full()
	if repoName != "" {
		if rr, ok := s.repoRef(owner, repoName); ok && s.source(rr).Full() == network {
			return rr, true
		}
		return repoRef{}, false
	}
	if rr, ok := s.repoRef(owner, base.Name); ok && s.source(rr).Full() == network {
		return rr, true
	}
	for _, rr := range s.listRepos(owner) {
		if s.source(rr).Full() == network {
			return rr, true
		}
	}
	return repoRef{}, false
}

func (s *Server) createPull(c *reqCtx) {
	rr, ok := c.repo()
	if !ok || !c.requireUser() {
		return
	}
	var body struct {
		Title               *string `json:"title"`
		Body                string  `json:"body"`
		Head                string  `json:"head"`
		HeadRepo            string  `json:"head_repo"`
		Base                string  `json:"base"`
		Draft               bool    `json:"draft"`
		MaintainerCanModify *bool   `json:"maintainer_can_modify"`
	}
	if !c.decode(&body) {
		return
	}
	switch {
	case body.Title == nil || strings.TrimSpace(*body.Title) == "":
		c.validation(missingField("PullRequest", "title"))
		return
	case body.Base == "":
		c.validation(missingField("PullRequest", "base"))
		return
	case body.Head == "":
		c.validation(missingField("PullRequest", "head"))
		return
	}
	baseRef := strings.TrimPrefix(body.Base, "refs/heads/")
	baseSHA, err := refSHA(c.ctx, rr.Dir, "refs/heads/"+baseRef)
	if err != nil {
		c.internal(err)
		return
	}
	if baseSHA == "" {
		c.validation(invalidField("PullRequest", "base"))
		return
	}
	headOwner, headRef, hasOwner := strings.Cut(body.Head, ":")
	if !hasOwner {
		headOwner, headRef = rr.Owner, body.Head
	}
	headRef = strings.TrimPrefix(headRef, "refs/heads/")
	headRepoName := ""
	if body.HeadRepo != "" {
		o, n, ok := strings.Cut(body.HeadRepo, "/")
		if !ok {
			c.validation(invalidField("PullRequest", "head_repo"))
			return
		}
		headOwner, headRepoName = o, n
	}
	hr, ok := s.findHeadRepo(rr, headOwner, headRepoName)
	if !ok || headRef == "" {
		c.validation(invalidField("PullRequest", "head"))
		return
	}
	headSHA, err := refSHA(c.ctx, hr.Dir, "refs/heads/"+headRef)
	if err != nil {
		c.internal(err)
		return
	}
	if headSHA == "" {
		c.validation(invalidField("PullRequest", "head"))
		return
	}
	label := hr.Owner + ":" + headRef
	// Nothing to merge when the head is already in the base branch.
	contained, err := isAncestor(c.ctx, rr.Dir, headSHA, baseSHA, hr.Dir)
	if err != nil {
		c.internal(err)
		return
	}
	mcm := true
	if body.MaintainerCanModify != nil {
		mcm = *body.MaintainerCanModify
	}
	var created *issue
	var dup bool
	now := nowSecond()
	err = s.mutate(func(st *state) error {
		rs := st.repo(rr.Full())
		for _, is := range rs.Issues {
			if is.PR != nil && is.State == "open" && is.PR.BaseRef == baseRef &&
				strings.EqualFold(is.PR.HeadOwner, hr.Owner) && strings.EqualFold(is.PR.HeadRepo, hr.Name) && is.PR.HeadRef == headRef {
				dup = true
				return errNoChange
			}
		}
		if contained {
			return errNoChange
		}
		rs.NextNumber++
		is := &issue{
			Number: rs.NextNumber, ID: st.newID(), Title: *body.Title, Body: body.Body, User: c.user, State: "open",
			CreatedAt: now, UpdatedAt: now,
			PR: &pull{
				ID: st.newID(), HeadOwner: hr.Owner, HeadRepo: hr.Name, HeadRef: headRef, HeadSHA: headSHA,
				BaseRef: baseRef, BaseSHA: baseSHA, Draft: body.Draft, MaintainerCanModify: mcm,
			},
		}
		rs.Issues[is.Number] = is
		created = is.clone()
		return nil
	})
	switch {
	case dup:
		c.validation(customError("PullRequest", "A pull request already exists for "+label+"."))
		return
	case errors.Is(err, errNoChange):
		c.validation(customError("PullRequest", "No commits between "+baseRef+" and "+body.Head))
		return
	case err != nil:
		c.internal(err)
		return
	}
	c.w.Header().Set("Location", c.base+"/repos/"+rr.Full()+"/pulls/"+itoa(created.Number))
	c.writeJSON(http.StatusCreated, c.pullJSON(rr, created, true, liveRefs{}))
}

// errNoChange aborts a mutate without saving.
var errNoChange = errors.New("no change")

// ---------------------------------------------------------------- read

func (s *Server) listPulls(c *reqCtx) {
	rr, ok := c.repo()
	if !ok {
		return
	}
	stateFilter := c.query("state")
	if stateFilter == "" {
		stateFilter = "open"
	}
	if stateFilter != "open" && stateFilter != "closed" && stateFilter != "all" {
		c.validation(invalidField("PullRequest", "state"))
		return
	}
	headOwner, headRef, headFilter := strings.Cut(c.query("head"), ":")
	base := c.query("base")
	var list []*issue
	s.read(func(st *state) {
		for _, is := range st.peekRepo(rr.Full()).Issues {
			if is.PR == nil || (stateFilter != "all" && is.State != stateFilter) {
				continue
			}
			if headFilter && (!strings.EqualFold(is.PR.HeadOwner, headOwner) || is.PR.HeadRef != headRef) {
				continue
			}
			if base != "" && is.PR.BaseRef != base {
				continue
			}
			list = append(list, is.clone())
		}
	})
	sortIssues(list, c.query("sort"), c.query("direction"))
	lr := liveRefs{}
	writePage(c, list, func(is *issue) any { return c.pullJSON(rr, is, false, lr) })
}

// sortIssues sorts like GitHub: by created (default, newest first) or
// updated; direction asc or desc.
func sortIssues(list []*issue, by, dir string) {
	desc := dir != "asc"
	if dir == "" && by != "" && by != "created" && by != "updated" {
		desc = false
	}
	key := func(is *issue) time.Time {
		if by == "updated" {
			return is.UpdatedAt
		}
		return is.CreatedAt
	}
	sort.SliceStable(list, func(i, j int) bool {
		a, b := list[i], list[j]
		if !key(a).Equal(key(b)) {
			return key(a).After(key(b)) == desc
		}
		return (a.Number > b.Number) == desc
	})
}

// pull loads PR n of the route's repository (404 when not a PR).
func (c *reqCtx) pull() (repoRef, *issue, bool) {
	rr, is, ok := c.anyIssue()
	if !ok {
		return rr, nil, false
	}
	if is.PR == nil {
		c.notFound()
		return rr, nil, false
	}
	return rr, is, true
}

func (s *Server) getPull(c *reqCtx) {
	rr, is, ok := c.pull()
	if !ok {
		return
	}
	c.writeJSON(http.StatusOK, c.pullJSON(rr, is, true, liveRefs{}))
}

func (s *Server) checkPullMerged(c *reqCtx) {
	_, is, ok := c.pull()
	if !ok {
		return
	}
	if is.PR.Merged {
		c.noContent()
		return
	}
	c.notFound()
}

// pullRange is what a PR compares: the head repository and the merge base
// and head commits.
func (s *Server) pullRange(c *reqCtx, rr repoRef, is *issue) (hr repoRef, mb, head string, err error) {
	head, base := s.pullHeads(c.ctx, rr, is.PR, is.State == "open", liveRefs{})
	hr, ok := s.repoRef(is.PR.HeadOwner, is.PR.HeadRepo)
	if !ok {
		hr = rr
	}
	if is.PR.Merged {
		base = firstParent(c.ctx, rr.Dir, is.PR.MergeCommitSHA, base)
	}
	mb, err = mergeBase(c.ctx, rr.Dir, base, head, hr.Dir)
	return hr, mb, head, err
}

func (s *Server) listPullFiles(c *reqCtx) {
	rr, is, ok := c.pull()
	if !ok {
		return
	}
	hr, mb, head, err := s.pullRange(c, rr, is)
	if err != nil {
		c.internal(err)
		return
	}
	var files []fileChange
	if mb != "" {
		if files, err = diffFiles(c.ctx, rr.Dir, mb, head, hr.Dir); err != nil {
			c.internal(err)
			return
		}
	}
	writePage(c, files, func(f fileChange) any { return c.fileJSON(rr, head, f) })
}

func (s *Server) listPullCommits(c *reqCtx) {
	rr, is, ok := c.pull()
	if !ok {
		return
	}
	hr, mb, head, err := s.pullRange(c, rr, is)
	if err != nil {
		c.internal(err)
		return
	}
	var shas []string
	if mb != "" {
		if shas, err = revList(c.ctx, rr.Dir, head, mb, 250, hr.Dir); err != nil {
			c.internal(err)
			return
		}
	}
	// Oldest first, as GitHub lists a PR's commits.
	for i, j := 0, len(shas)-1; i < j; i, j = i+1, j-1 {
		shas[i], shas[j] = shas[j], shas[i]
	}
	lo, hi := c.page(len(shas))
	out := []any{}
	for _, sha := range shas[lo:hi] {
		m, err := c.commitJSON(hr, sha, false)
		if err != nil {
			c.internal(err)
			return
		}
		out = append(out, m)
	}
	c.writeJSON(http.StatusOK, out)
}

// ---------------------------------------------------------------- update

func (s *Server) updatePull(c *reqCtx) {
	rr, cur, ok := c.pull()
	if !ok || !c.requireUser() {
		return
	}
	var body struct {
		Title               *string `json:"title"`
		Body                *string `json:"body"`
		State               *string `json:"state"`
		Base                *string `json:"base"`
		MaintainerCanModify *bool   `json:"maintainer_can_modify"`
	}
	if !c.decode(&body) {
		return
	}
	if body.State != nil && *body.State != "open" && *body.State != "closed" {
		c.validation(invalidField("PullRequest", "state"))
		return
	}
	if body.Title != nil && strings.TrimSpace(*body.Title) == "" {
		c.validation(missingField("PullRequest", "title"))
		return
	}
	newBase := ""
	if body.Base != nil {
		newBase = strings.TrimPrefix(*body.Base, "refs/heads/")
		sha, err := refSHA(c.ctx, rr.Dir, "refs/heads/"+newBase)
		if err != nil {
			c.internal(err)
			return
		}
		if sha == "" {
			c.validation(invalidField("PullRequest", "base"))
			return
		}
	}
	// The heads as they are now, recorded when the PR closes.
	head, base := s.pullHeads(c.ctx, rr, cur.PR, cur.State == "open", liveRefs{})
	var updated *issue
	var verr fieldError
	err := s.mutate(func(st *state) error {
		rs := st.repo(rr.Full())
		is := rs.Issues[cur.Number]
		if is == nil || is.PR == nil {
			return errNoChange
		}
		now := nowSecond()
		if body.Title != nil {
			is.Title = *body.Title
		}
		if body.Body != nil {
			is.Body = *body.Body
		}
		if body.MaintainerCanModify != nil {
			is.PR.MaintainerCanModify = *body.MaintainerCanModify
		}
		if newBase != "" {
			is.PR.BaseRef = newBase
		}
		if body.State != nil && *body.State != is.State {
			switch *body.State {
			case "closed":
				is.State = "closed"
				is.ClosedAt = &now
				is.ClosedBy = c.user
				is.PR.HeadSHA, is.PR.BaseSHA = head, base
			case "open":
				if is.PR.Merged {
					verr = customError("PullRequest", "Cannot reopen a merged pull request")
					return errNoChange
				}
				for _, o := range rs.Issues {
					if o != is && o.PR != nil && o.State == "open" && o.PR.BaseRef == is.PR.BaseRef &&
						strings.EqualFold(o.PR.HeadOwner, is.PR.HeadOwner) && strings.EqualFold(o.PR.HeadRepo, is.PR.HeadRepo) && o.PR.HeadRef == is.PR.HeadRef {
						verr = customError("PullRequest", "A pull request already exists for "+is.PR.HeadOwner+":"+is.PR.HeadRef+".")
						return errNoChange
					}
				}
				is.State = "open"
				is.ClosedAt = nil
				is.ClosedBy = ""
			}
		}
		is.UpdatedAt = now
		updated = is.clone()
		return nil
	})
	if verr != nil {
		c.validation(verr)
		return
	}
	if errors.Is(err, errNoChange) {
		c.notFound()
		return
	}
	if err != nil {
		c.internal(err)
		return
	}
	c.writeJSON(http.StatusOK, c.pullJSON(rr, updated, true, liveRefs{}))
}

// ---------------------------------------------------------------- merge

// mergeOptions are the merge endpoint's parameters.
type mergeOptions struct {
	Method  string `json:"merge_method"` // merge (default), squash, fast-forward
	Title   string `json:"commit_title"`
	Message string `json:"commit_message"`
	SHA     string `json:"sha"`
	By      string `json:"merged_by"`
}

// apiError is an answer other than success.
type apiError struct {
	status int
	msg    string
}

func (e *apiError) Error() string { return e.msg }

// mergePull merges PR n into its base branch with a real commit (or a
// fast-forward) and records it merged. It returns the new base head.
func (s *Server) mergePull(c *reqCtx, rr repoRef, n int, o mergeOptions) (string, error) {
	is, ok := s.issueCopy(rr, n)
	if !ok || is.PR == nil {
		return "", &apiError{http.StatusNotFound, "Not Found"}
	}
	pr := is.PR
	switch {
	case pr.Merged || is.State != "open":
		return "", &apiError{http.StatusMethodNotAllowed, "Pull Request is not mergeable"}
	case pr.Draft:
		return "", &apiError{http.StatusMethodNotAllowed, "Pull Request is still a draft"}
	}
	method := o.Method
	if method == "" {
		method = "merge"
	}
	if method != "merge" && method != "squash" && method != "fast-forward" {
		return "", &apiError{http.StatusUnprocessableEntity, fmt.Sprintf("Merge method %q is not supported (merge, squash, fast-forward)", method)}
	}
	hr, ok := s.repoRef(pr.HeadOwner, pr.HeadRepo)
	if !ok {
		return "", &apiError{http.StatusMethodNotAllowed, "Pull Request is not mergeable: its head repository is gone"}
	}
	defer lockRepo(rr.Dir)()
	baseRef := "refs/heads/" + pr.BaseRef
	baseSHA, err := refSHA(c.ctx, rr.Dir, baseRef)
	if err != nil {
		return "", err
	}
	if baseSHA == "" {
		return "", &apiError{http.StatusMethodNotAllowed, "Base branch was deleted"}
	}
	pullRef := fmt.Sprintf("refs/pull/%d/head", n)
	var headSHA string
	if hr.Dir == rr.Dir {
		if headSHA, err = refSHA(c.ctx, rr.Dir, "refs/heads/"+pr.HeadRef); err == nil && headSHA != "" {
			err = updateRef(c.ctx, rr.Dir, pullRef, headSHA, "", "pull")
		}
	} else {
		headSHA, err = fetchRef(c.ctx, rr.Dir, hr.Dir, "refs/heads/"+pr.HeadRef, pullRef)
	}
	if err != nil || headSHA == "" {
		return "", &apiError{http.StatusMethodNotAllowed, "Pull Request is not mergeable: its head branch is gone"}
	}
	if o.SHA != "" && !strings.EqualFold(o.SHA, headSHA) {
		return "", &apiError{http.StatusConflict, "Head branch was modified. Review and try the merge again."}
	}
	by := o.By
	if by == "" {
		by = c.user
	}
	if by == "" {
		by = rr.Owner
	}
	var newSHA string
	switch method {
	case "fast-forward":
		ff, err := isAncestor(c.ctx, rr.Dir, baseSHA, headSHA)
		if err != nil {
			return "", err
		}
		if !ff {
			return "", &apiError{http.StatusMethodNotAllowed, "Pull Request cannot be fast-forwarded"}
		}
		newSHA = headSHA
	default:
		tree, clean, err := mergeTrees(c.ctx, rr.Dir, baseSHA, headSHA)
		if err != nil {
			return "", err
		}
		if !clean {
			return "", &apiError{http.StatusMethodNotAllowed, "Pull Request is not mergeable"}
		}
		title, msg, parents := o.Title, o.Message, []string{baseSHA, headSHA}
		if method == "squash" {
			parents = parents[:1]
			if title == "" {
				title = fmt.Sprintf("%s (#%d)", is.Title, n)
			}
			if msg == "" {
				msg = squashMessage(c.ctx, rr.Dir, baseSHA, headSHA)
			}
		} else {
			if title == "" {
				title = fmt.Sprintf("Merge pull request #%d from %s/%s", n, pr.HeadOwner, pr.HeadRef)
			}
			if msg == "" {
				msg = is.Title
			}
		}
		full := title + "\n"
		if msg != "" {
			full += "\n" + msg + "\n"
		}
		if newSHA, err = commitTree(c.ctx, rr.Dir, tree, parents, full, userSignature(by), githubCommitter); err != nil {
			return "", err
		}
	}
	if err := updateRef(c.ctx, rr.Dir, baseRef, newSHA, baseSHA, "merge pull request"); err != nil {
		if errors.Is(err, errRefMoved) {
			return "", &apiError{http.StatusMethodNotAllowed, "Base branch was modified. Review and try the merge again."}
		}
		return "", err
	}
	now := nowSecond()
	err = s.mutate(func(st *state) error {
		is := st.repo(rr.Full()).Issues[n]
		is.State = "closed"
		is.ClosedAt = &now
		is.ClosedBy = by
		is.UpdatedAt = now
		is.PR.Merged = true
		is.PR.MergedAt = &now
		is.PR.MergedBy = by
		is.PR.MergeCommitSHA = newSHA
		is.PR.HeadSHA = headSHA
		is.PR.BaseSHA = newSHA
		return nil
	})
	return newSHA, err
}

func squashMessage(ctx context.Context, dir, base, head string) string {
	shas, err := revList(ctx, dir, head, base, 250)
	if err != nil {
		return ""
	}
	var lines []string
	for i := len(shas) - 1; i >= 0; i-- {
		ci, err := readCommit(ctx, dir, shas[i])
		if err != nil {
			continue
		}
		lines = append(lines, "* "+strings.TrimSpace(ci.Message))
	}
	return strings.Join(lines, "\n\n")
}

func (c *reqCtx) mergeError(err error) {
	var ae *apiError
	if errors.As(err, &ae) {
		c.fail(ae.status, ae.msg)
		return
	}
	c.internal(err)
}

// mergePullREST is PUT pulls/{n}/merge; the merger needs write access.
func (s *Server) mergePullREST(c *reqCtx) {
	rr, ok := c.repo()
	if !ok || !c.requireUser() {
		return
	}
	n, ok := c.number()
	if !ok {
		return
	}
	var o mergeOptions
	if !c.decode(&o) {
		return
	}
	o.By = ""
	if !c.acc.canPush(rr.Owner, rr.Name, c.user) {
		c.fail(http.StatusForbidden, "Resource not accessible by personal access token")
		return
	}
	sha, err := s.mergePull(c, rr, n, o)
	if err != nil {
		c.mergeError(err)
		return
	}
	c.writeJSON(http.StatusOK, map[string]any{"sha": sha, "merged": true, "message": "Pull Request successfully merged"})
}

// adminMerge is POST /_fakegithub/repos/{o}/{r}/pulls/{n}/merge: merge as a
// maintainer would, without permission checks. Body (optional):
// merge_method (merge, squash, fast-forward), commit_title, commit_message,
// sha, merged_by. Answers the merged PR.
func (s *Server) adminMerge(c *reqCtx) {
	rr, ok := c.repo()
	if !ok {
		return
	}
	n, ok := c.number()
	if !ok {
		return
	}
	var o mergeOptions
	if !c.decode(&o) {
		return
	}
	if _, err := s.mergePull(c, rr, n, o); err != nil {
		c.mergeError(err)
		return
	}
	is, _ := s.issueCopy(rr, n)
	c.writeJSON(http.StatusOK, c.pullJSON(rr, is, true, liveRefs{}))
}
