package server

import (
	"net/http"
	"sort"
	"strconv"
	"strings"
)

var statusStates = []string{"error", "failure", "pending", "success"}

func (c *reqCtx) statusJSON(rr repoRef, st *commitStatus) map[string]any {
	return map[string]any{
		"url":         c.base + "/repos/" + rr.Full() + "/statuses/" + st.SHA,
		"avatar_url":  "",
		"id":          st.ID,
		"node_id":     nodeID("SC", strconv.FormatInt(st.ID, 10)),
		"state":       st.State,
		"description": nullIfEmpty(st.Description),
		"target_url":  nullIfEmpty(st.TargetURL),
		"context":     st.Context,
		"created_at":  ts(st.CreatedAt),
		"updated_at":  ts(st.UpdatedAt),
		"creator":     c.userJSON(st.Creator),
	}
}

// createStatus records a commit status; the sha must be a commit of the
// repository.
func (s *Server) createStatus(c *reqCtx) {
	rr, ok := c.repo()
	if !ok || !c.requireUser() {
		return
	}
	var body struct {
		State       string `json:"state"`
		TargetURL   string `json:"target_url"`
		Description string `json:"description"`
		Context     string `json:"context"`
	}
	if !c.decode(&body) {
		return
	}
	if body.State == "" {
		c.validation(missingField("Status", "state"))
		return
	}
	if !containsFold(statusStates, body.State) {
		c.validation(invalidField("Status", "state"))
		return
	}
	sha := strings.ToLower(c.p["sha"])
	var oi objInfo
	if fullSHARe.MatchString(sha) {
		var err error
		if oi, err = objectInfo(c.ctx, rr.Dir, sha); err != nil {
			c.internal(err)
			return
		}
	}
	if oi.Type != "commit" {
		c.validation(customError("Status", "No commit found for SHA: "+c.p["sha"]))
		return
	}
	if body.Context == "" {
		body.Context = "default"
	}
	var created *commitStatus
	err := s.mutate(func(st *state) error {
		now := nowSecond()
		cs := &commitStatus{ID: st.newID(), SHA: oi.SHA, State: strings.ToLower(body.State), TargetURL: body.TargetURL,
			Description: body.Description, Context: body.Context, Creator: c.user, CreatedAt: now, UpdatedAt: now}
		rs := st.repo(rr.Full())
		rs.Statuses = append(rs.Statuses, cs)
		cp := *cs
		created = &cp
		return nil
	})
	if err != nil {
		c.internal(err)
		return
	}
	c.writeJSON(http.StatusCreated, c.statusJSON(rr, created))
}

// statusesFor returns the statuses of a commit, newest first.
func (s *Server) statusesFor(rr repoRef, sha string) []*commitStatus {
	var out []*commitStatus
	s.read(func(st *state) {
		for _, cs := range st.peekRepo(rr.Full()).Statuses {
			if cs.SHA == sha {
				cp := *cs
				out = append(out, &cp)
			}
		}
	})
	sort.SliceStable(out, func(i, j int) bool { return out[i].ID > out[j].ID })
	return out
}

// statusRef resolves the {ref} of a statuses route to a commit (404 when
// none).
func (c *reqCtx) statusRef() (repoRef, string, bool) {
	rr, ok := c.repo()
	if !ok {
		return rr, "", false
	}
	sha, err := resolveCommitName(c.ctx, rr.Dir, c.p["ref"])
	if err != nil {
		c.internal(err)
		return rr, "", false
	}
	if sha == "" {
		c.notFound()
		return rr, "", false
	}
	return rr, sha, true
}

func (s *Server) listStatuses(c *reqCtx) {
	rr, sha, ok := c.statusRef()
	if !ok {
		return
	}
	list := s.statusesFor(rr, sha)
	writePage(c, list, func(cs *commitStatus) any { return c.statusJSON(rr, cs) })
}

// getCombinedStatus: the latest status per context and the overall state
// (failure if any error or failure, pending if any pending or none, else
// success).
func (s *Server) getCombinedStatus(c *reqCtx) {
	rr, sha, ok := c.statusRef()
	if !ok {
		return
	}
	seen := map[string]bool{}
	var latest []*commitStatus
	for _, cs := range s.statusesFor(rr, sha) {
		if !seen[cs.Context] {
			seen[cs.Context] = true
			latest = append(latest, cs)
		}
	}
	state := "success"
	if len(latest) == 0 {
		state = "pending"
	}
	for _, cs := range latest {
		switch cs.State {
		case "error", "failure":
			state = "failure"
		case "pending":
			if state != "failure" {
				state = "pending"
			}
		}
	}
	lo, hi := c.page(len(latest))
	out := []any{}
	for _, cs := range latest[lo:hi] {
		out = append(out, c.statusJSON(rr, cs))
	}
	api := c.base + "/repos/" + rr.Full()
	c.writeJSON(http.StatusOK, map[string]any{
		"state":       state,
		"statuses":    out,
		"sha":         sha,
		"total_count": len(latest),
		"repository":  c.repoJSON(rr, false),
		"commit_url":  api + "/commits/" + sha,
		"url":         api + "/commits/" + sha + "/status",
	})
}
