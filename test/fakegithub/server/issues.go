package server

import (
	"errors"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// issueJSON is GitHub's issue; a pull request shows up with a pull_request
// key.
func (c *reqCtx) issueJSON(rr repoRef, is *issue) map[string]any {
	api := c.base + "/repos/" + rr.Full()
	kind := "issues"
	if is.PR != nil {
		kind = "pull"
	}
	html := c.base + "/" + rr.Full() + "/" + kind + "/" + itoa(is.Number)
	nid := issueNodeID(rr, is.Number)
	if is.PR != nil {
		nid = pullNodeID(rr, is.Number)
	}
	var closedBy any
	if is.ClosedBy != "" {
		closedBy = c.userJSON(is.ClosedBy)
	}
	var stateReason any
	if is.State == "closed" {
		stateReason = "completed"
	}
	m := map[string]any{
		"id":                 is.ID,
		"node_id":            nid,
		"url":                api + "/issues/" + itoa(is.Number),
		"repository_url":     api,
		"labels_url":         api + "/issues/" + itoa(is.Number) + "/labels{/name}",
		"comments_url":       api + "/issues/" + itoa(is.Number) + "/comments",
		"events_url":         api + "/issues/" + itoa(is.Number) + "/events",
		"html_url":           html,
		"number":             is.Number,
		"state":              is.State,
		"state_reason":       stateReason,
		"title":              is.Title,
		"body":               nullIfEmpty(is.Body),
		"user":               c.userJSON(is.User),
		"labels":             c.labelsJSON(rr, is.Labels),
		"assignee":           firstUser(c, is.Assignees),
		"assignees":          c.usersJSON(is.Assignees),
		"milestone":          nil,
		"locked":             false,
		"active_lock_reason": nil,
		"comments":           c.s.commentCount(rr, is.Number),
		"created_at":         ts(is.CreatedAt),
		"updated_at":         ts(is.UpdatedAt),
		"closed_at":          optTime(is.ClosedAt),
		"closed_by":          closedBy,
		"author_association": c.acc.authorAssociation(rr.Owner, rr.Name, is.User),
		"reactions":          reactionSummary(api+"/issues/"+itoa(is.Number)+"/reactions", is.Reactions),
	}
	if is.PR != nil {
		var mergedAt any
		if is.PR.MergedAt != nil {
			mergedAt = ts(*is.PR.MergedAt)
		}
		m["draft"] = is.PR.Draft
		m["pull_request"] = map[string]any{
			"url":       api + "/pulls/" + itoa(is.Number),
			"html_url":  html,
			"diff_url":  html + ".diff",
			"patch_url": html + ".patch",
			"merged_at": mergedAt,
		}
	}
	return m
}

// anyIssue loads issue or PR {number} of the route's repository.
func (c *reqCtx) anyIssue() (repoRef, *issue, bool) {
	rr, ok := c.repo()
	if !ok {
		return rr, nil, false
	}
	n, ok := c.number()
	if !ok {
		return rr, nil, false
	}
	is, ok := c.s.issueCopy(rr, n)
	if !ok {
		c.notFound()
		return rr, nil, false
	}
	return rr, is, true
}

func (s *Server) createIssue(c *reqCtx) {
	rr, ok := c.repo()
	if !ok || !c.requireUser() {
		return
	}
	var body struct {
		Title     *string  `json:"title"`
		Body      string   `json:"body"`
		Labels    []string `json:"labels"`
		Assignees []string `json:"assignees"`
	}
	if !c.decode(&body) {
		return
	}
	if body.Title == nil || strings.TrimSpace(*body.Title) == "" {
		c.validation(missingField("Issue", "title"))
		return
	}
	var created *issue
	err := s.mutate(func(st *state) error {
		rs := st.repo(rr.Full())
		rs.NextNumber++
		now := nowSecond()
		is := &issue{Number: rs.NextNumber, ID: st.newID(), Title: *body.Title, Body: body.Body, User: c.user, State: "open",
			Labels: dedupe(body.Labels), Assignees: dedupe(body.Assignees), CreatedAt: now, UpdatedAt: now}
		rs.Issues[is.Number] = is
		created = is.clone()
		return nil
	})
	if err != nil {
		c.internal(err)
		return
	}
	c.w.Header().Set("Location", c.base+"/repos/"+rr.Full()+"/issues/"+itoa(created.Number))
	c.writeJSON(http.StatusCreated, c.issueJSON(rr, created))
}

func dedupe(list []string) []string {
	var out []string
	for _, x := range list {
		if x != "" && !containsFold(out, x) {
			out = append(out, x)
		}
	}
	return out
}

func (s *Server) getIssue(c *reqCtx) {
	rr, is, ok := c.anyIssue()
	if !ok {
		return
	}
	c.writeJSON(http.StatusOK, c.issueJSON(rr, is))
}

func (s *Server) listIssues(c *reqCtx) {
	rr, ok := c.repo()
	if !ok {
		return
	}
	stateFilter := c.query("state")
	if stateFilter == "" {
		stateFilter = "open"
	}
	var want []string
	if l := c.query("labels"); l != "" {
		want = strings.Split(l, ",")
	}
	var list []*issue
	s.read(func(st *state) {
		for _, is := range st.peekRepo(rr.Full()).Issues {
			if stateFilter != "all" && is.State != stateFilter {
				continue
			}
			ok := true
			for _, l := range want {
				if !containsFold(is.Labels, strings.TrimSpace(l)) {
					ok = false
				}
			}
			if ok {
				list = append(list, is.clone())
			}
		}
	})
	sortIssues(list, c.query("sort"), c.query("direction"))
	writePage(c, list, func(is *issue) any { return c.issueJSON(rr, is) })
}

func (s *Server) updateIssue(c *reqCtx) {
	rr, cur, ok := c.anyIssue()
	if !ok || !c.requireUser() {
		return
	}
	var body struct {
		Title     *string   `json:"title"`
		Body      *string   `json:"body"`
		State     *string   `json:"state"`
		Labels    *[]string `json:"labels"`
		Assignees *[]string `json:"assignees"`
	}
	if !c.decode(&body) {
		return
	}
	if body.State != nil && *body.State != "open" && *body.State != "closed" {
		c.validation(invalidField("Issue", "state"))
		return
	}
	if cur.PR != nil && body.State != nil {
		// State changes of a PR go through the pulls endpoint's rules.
		if *body.State == "open" && cur.PR.Merged {
			c.validation(customError("Issue", "Cannot reopen a merged pull request"))
			return
		}
	}
	var head, base string
	if cur.PR != nil {
		head, base = s.pullHeads(c.ctx, rr, cur.PR, cur.State == "open", liveRefs{})
	}
	var updated *issue
	err := s.mutate(func(st *state) error {
		is := st.repo(rr.Full()).Issues[cur.Number]
		now := nowSecond()
		if body.Title != nil {
			is.Title = *body.Title
		}
		if body.Body != nil {
			is.Body = *body.Body
		}
		if body.Labels != nil {
			is.Labels = dedupe(*body.Labels)
		}
		if body.Assignees != nil {
			is.Assignees = dedupe(*body.Assignees)
		}
		if body.State != nil && *body.State != is.State {
			is.State = *body.State
			if is.State == "closed" {
				is.ClosedAt, is.ClosedBy = &now, c.user
				if is.PR != nil {
					is.PR.HeadSHA, is.PR.BaseSHA = head, base
				}
			} else {
				is.ClosedAt, is.ClosedBy = nil, ""
			}
		}
		is.UpdatedAt = now
		updated = is.clone()
		return nil
	})
	if err != nil {
		c.internal(err)
		return
	}
	c.writeJSON(http.StatusOK, c.issueJSON(rr, updated))
}

// ---------------------------------------------------------------- comments

func (cm *comment) clone() *comment {
	cp := *cm
	cp.Reactions = append([]*reaction(nil), cm.Reactions...)
	return &cp
}

func (c *reqCtx) commentJSON(rr repoRef, cm *comment) map[string]any {
	api := c.base + "/repos/" + rr.Full()
	return map[string]any{
		"id":                 cm.ID,
		"node_id":            nodeID("IC", rr.Full()+":"+strconv.FormatInt(cm.ID, 10)),
		"url":                api + "/issues/comments/" + strconv.FormatInt(cm.ID, 10),
		"html_url":           c.base + "/" + rr.Full() + "/issues/" + itoa(cm.Issue) + "#issuecomment-" + strconv.FormatInt(cm.ID, 10),
		"issue_url":          api + "/issues/" + itoa(cm.Issue),
		"body":               cm.Body,
		"user":               c.userJSON(cm.User),
		"created_at":         ts(cm.CreatedAt),
		"updated_at":         ts(cm.UpdatedAt),
		"author_association": c.acc.authorAssociation(rr.Owner, rr.Name, cm.User),
		"reactions":          reactionSummary(api+"/issues/comments/"+strconv.FormatInt(cm.ID, 10)+"/reactions", cm.Reactions),
	}
}

func (c *reqCtx) writeComments(rr repoRef, list []*comment) {
	sort.Slice(list, func(i, j int) bool {
		if !list[i].CreatedAt.Equal(list[j].CreatedAt) {
			return list[i].CreatedAt.Before(list[j].CreatedAt)
		}
		return list[i].ID < list[j].ID
	})
	if dir := c.query("direction"); dir == "desc" {
		for i, j := 0, len(list)-1; i < j; i, j = i+1, j-1 {
			list[i], list[j] = list[j], list[i]
		}
	}
	writePage(c, list, func(cm *comment) any { return c.commentJSON(rr, cm) })
}

func (s *Server) listComments(c *reqCtx) {
	rr, is, ok := c.anyIssue()
	if !ok {
		return
	}
	var list []*comment
	s.read(func(st *state) {
		for _, cm := range st.peekRepo(rr.Full()).Comments {
			if cm.Issue == is.Number {
				list = append(list, cm.clone())
			}
		}
	})
	c.writeComments(rr, list)
}

func (s *Server) listRepoComments(c *reqCtx) {
	rr, ok := c.repo()
	if !ok {
		return
	}
	var list []*comment
	s.read(func(st *state) {
		for _, cm := range st.peekRepo(rr.Full()).Comments {
			list = append(list, cm.clone())
		}
	})
	c.writeComments(rr, list)
}

func (s *Server) createComment(c *reqCtx) {
	rr, is, ok := c.anyIssue()
	if !ok || !c.requireUser() {
		return
	}
	var body struct {
		Body *string `json:"body"`
	}
	if !c.decode(&body) {
		return
	}
	if body.Body == nil || *body.Body == "" {
		c.validation(missingField("IssueComment", "body"))
		return
	}
	var created *comment
	err := s.mutate(func(st *state) error {
		rs := st.repo(rr.Full())
		now := nowSecond()
		cm := &comment{ID: st.newID(), Issue: is.Number, User: c.user, Body: *body.Body, CreatedAt: now, UpdatedAt: now}
		rs.Comments[cm.ID] = cm
		if it := rs.Issues[is.Number]; it != nil {
			it.UpdatedAt = now
		}
		created = cm.clone()
		return nil
	})
	if err != nil {
		c.internal(err)
		return
	}
	c.w.Header().Set("Location", c.base+"/repos/"+rr.Full()+"/issues/comments/"+strconv.FormatInt(created.ID, 10))
	c.writeJSON(http.StatusCreated, c.commentJSON(rr, created))
}

// commentID parses {id} and loads that comment of the route's repository.
func (c *reqCtx) comment() (repoRef, *comment, bool) {
	rr, ok := c.repo()
	if !ok {
		return rr, nil, false
	}
	id, err := strconv.ParseInt(c.p["id"], 10, 64)
	if err != nil {
		c.notFound()
		return rr, nil, false
	}
	var cm *comment
	c.s.read(func(st *state) {
		if x := st.peekRepo(rr.Full()).Comments[id]; x != nil {
			cm = x.clone()
		}
	})
	if cm == nil {
		c.notFound()
		return rr, nil, false
	}
	return rr, cm, true
}

func (s *Server) getComment(c *reqCtx) {
	rr, cm, ok := c.comment()
	if !ok {
		return
	}
	c.writeJSON(http.StatusOK, c.commentJSON(rr, cm))
}

// mayModify: the author, or someone with write access.
func (c *reqCtx) mayModify(rr repoRef, author string) bool {
	if strings.EqualFold(author, c.user) || c.acc.canPush(rr.Owner, rr.Name, c.user) {
		return true
	}
	c.fail(http.StatusForbidden, "Must have admin rights to Repository.")
	return false
}

func (s *Server) editComment(c *reqCtx) {
	rr, cm, ok := c.comment()
	if !ok || !c.requireUser() || !c.mayModify(rr, cm.User) {
		return
	}
	var body struct {
		Body *string `json:"body"`
	}
	if !c.decode(&body) {
		return
	}
	if body.Body == nil || *body.Body == "" {
		c.validation(missingField("IssueComment", "body"))
		return
	}
	var updated *comment
	err := s.mutate(func(st *state) error {
		x := st.repo(rr.Full()).Comments[cm.ID]
		if x == nil {
			return errNoChange
		}
		x.Body = *body.Body
		x.UpdatedAt = nowSecond()
		updated = x.clone()
		return nil
	})
	if errors.Is(err, errNoChange) {
		c.notFound()
		return
	}
	if err != nil {
		c.internal(err)
		return
	}
	c.writeJSON(http.StatusOK, c.commentJSON(rr, updated))
}

func (s *Server) deleteComment(c *reqCtx) {
	rr, cm, ok := c.comment()
	if !ok || !c.requireUser() || !c.mayModify(rr, cm.User) {
		return
	}
	err := s.mutate(func(st *state) error {
		rs := st.repo(rr.Full())
		if rs.Comments[cm.ID] == nil {
			return errNoChange
		}
		delete(rs.Comments, cm.ID)
		return nil
	})
	if errors.Is(err, errNoChange) {
		c.notFound()
		return
	}
	if err != nil {
		c.internal(err)
		return
	}
	c.noContent()
}

// ---------------------------------------------------------------- reactions

func (c *reqCtx) reactionJSON(r *reaction) map[string]any {
	return map[string]any{
		"id":         r.ID,
		"node_id":    nodeID("REA", strconv.FormatInt(r.ID, 10)),
		"user":       c.userJSON(r.User),
		"content":    r.Content,
		"created_at": ts(r.CreatedAt),
	}
}

func (c *reqCtx) writeReactions(rs []*reaction) {
	if want := c.query("content"); want != "" {
		var f []*reaction
		for _, r := range rs {
			if r.Content == want {
				f = append(f, r)
			}
		}
		rs = f
	}
	writePage(c, rs, func(r *reaction) any { return c.reactionJSON(r) })
}

// react adds the user's reaction to the list get returns (within the
// state lock): 201 when new, 200 when that user already reacted the same.
func (c *reqCtx) react(get func(st *state) *[]*reaction) {
	if !c.requireUser() {
		return
	}
	var body struct {
		Content string `json:"content"`
	}
	if !c.decode(&body) {
		return
	}
	if !containsFold(reactionContents, body.Content) {
		c.validation(invalidField("Reaction", "content"))
		return
	}
	var got *reaction
	status := http.StatusCreated
	err := c.s.mutate(func(st *state) error {
		list := get(st)
		if list == nil {
			return errNoChange
		}
		for _, r := range *list {
			if strings.EqualFold(r.User, c.user) && r.Content == body.Content {
				got, status = r, http.StatusOK
				return errNoChange
			}
		}
		got = &reaction{ID: st.newID(), User: c.user, Content: body.Content, CreatedAt: nowSecond()}
		*list = append(*list, got)
		return nil
	})
	if got == nil {
		c.notFound()
		return
	}
	if err != nil && !errors.Is(err, errNoChange) {
		c.internal(err)
		return
	}
	c.writeJSON(status, c.reactionJSON(got))
}

func (s *Server) listCommentReactions(c *reqCtx) {
	_, cm, ok := c.comment()
	if !ok {
		return
	}
	c.writeReactions(cm.Reactions)
}

func (s *Server) createCommentReaction(c *reqCtx) {
	rr, cm, ok := c.comment()
	if !ok {
		return
	}
	c.react(func(st *state) *[]*reaction {
		x := st.repo(rr.Full()).Comments[cm.ID]
		if x == nil {
			return nil
		}
		return &x.Reactions
	})
}

func (s *Server) deleteCommentReaction(c *reqCtx) {
	rr, cm, ok := c.comment()
	if !ok || !c.requireUser() {
		return
	}
	rid, err := strconv.ParseInt(c.p["reaction"], 10, 64)
	if err != nil {
		c.notFound()
		return
	}
	err = s.mutate(func(st *state) error {
		x := st.repo(rr.Full()).Comments[cm.ID]
		if x == nil {
			return errNoChange
		}
		for i, r := range x.Reactions {
			if r.ID == rid && strings.EqualFold(r.User, c.user) {
				x.Reactions = append(x.Reactions[:i:i], x.Reactions[i+1:]...)
				return nil
			}
		}
		return errNoChange
	})
	if errors.Is(err, errNoChange) {
		c.notFound()
		return
	}
	if err != nil {
		c.internal(err)
		return
	}
	c.noContent()
}

func (s *Server) listIssueReactions(c *reqCtx) {
	_, is, ok := c.anyIssue()
	if !ok {
		return
	}
	c.writeReactions(is.Reactions)
}

func (s *Server) createIssueReaction(c *reqCtx) {
	rr, is, ok := c.anyIssue()
	if !ok {
		return
	}
	c.react(func(st *state) *[]*reaction {
		x := st.repo(rr.Full()).Issues[is.Number]
		if x == nil {
			return nil
		}
		return &x.Reactions
	})
}

// ---------------------------------------------------------------- labels

func (s *Server) listLabels(c *reqCtx) {
	rr, is, ok := c.anyIssue()
	if !ok {
		return
	}
	lo, hi := c.page(len(is.Labels))
	c.writeJSON(http.StatusOK, c.labelsJSON(rr, is.Labels[lo:hi]))
}

// labelBody reads ["a","b"] or {"labels": ["a","b"]}.
func (c *reqCtx) labelBody() ([]string, bool) {
	var raw any
	if !c.decode(&raw) {
		return nil, false
	}
	var list []any
	switch v := raw.(type) {
	case []any:
		list = v
	case map[string]any:
		l, _ := v["labels"].([]any)
		list = l
	case nil:
	default:
		c.validation(invalidField("Label", "labels"))
		return nil, false
	}
	var names []string
	for _, x := range list {
		switch v := x.(type) {
		case string:
			names = append(names, v)
		case map[string]any:
			if n, ok := v["name"].(string); ok {
				names = append(names, n)
			}
		}
	}
	return names, true
}

func (s *Server) changeLabels(c *reqCtx, f func(cur []string, body []string) []string, readBody bool) {
	rr, is, ok := c.anyIssue()
	if !ok || !c.requireUser() {
		return
	}
	var names []string
	if readBody {
		if names, ok = c.labelBody(); !ok {
			return
		}
	}
	var after []string
	err := s.mutate(func(st *state) error {
		x := st.repo(rr.Full()).Issues[is.Number]
		x.Labels = dedupe(f(x.Labels, names))
		x.UpdatedAt = nowSecond()
		after = append([]string(nil), x.Labels...)
		return nil
	})
	if err != nil {
		c.internal(err)
		return
	}
	c.writeJSON(http.StatusOK, c.labelsJSON(rr, after))
}

func (s *Server) addLabels(c *reqCtx) {
	s.changeLabels(c, func(cur, add []string) []string { return append(cur, add...) }, true)
}

func (s *Server) setLabels(c *reqCtx) {
	s.changeLabels(c, func(_, set []string) []string { return set }, true)
}

func (s *Server) clearLabels(c *reqCtx) {
	rr, is, ok := c.anyIssue()
	if !ok || !c.requireUser() {
		return
	}
	if err := s.mutate(func(st *state) error {
		st.repo(rr.Full()).Issues[is.Number].Labels = nil
		return nil
	}); err != nil {
		c.internal(err)
		return
	}
	c.noContent()
}

func (s *Server) removeLabel(c *reqCtx) {
	rr, is, ok := c.anyIssue()
	if !ok || !c.requireUser() {
		return
	}
	name := c.p["name"]
	if !containsFold(is.Labels, name) {
		c.fail(http.StatusNotFound, "Label does not exist")
		return
	}
	var after []string
	err := s.mutate(func(st *state) error {
		x := st.repo(rr.Full()).Issues[is.Number]
		var keep []string
		for _, l := range x.Labels {
			if !strings.EqualFold(l, name) {
				keep = append(keep, l)
			}
		}
		x.Labels = keep
		x.UpdatedAt = nowSecond()
		after = append([]string(nil), keep...)
		return nil
	})
	if err != nil {
		c.internal(err)
		return
	}
	c.writeJSON(http.StatusOK, c.labelsJSON(rr, after))
}
