package server

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

func itoa(n int) string { return strconv.Itoa(n) }

// fullUserJSON is the user object of GET /users/{login} (GitHub's
// public-user); private adds what GET /user shows its own user
// (private-user).
func (c *reqCtx) fullUserJSON(login string, private bool) map[string]any {
	m := c.userJSON(login).(map[string]any)
	m["name"] = login
	m["email"] = nil
	m["company"] = nil
	m["blog"] = ""
	m["location"] = nil
	m["bio"] = nil
	m["hireable"] = nil
	m["twitter_username"] = nil
	m["public_repos"] = len(c.s.listRepos(login))
	m["public_gists"] = 0
	m["followers"] = 0
	m["following"] = 0
	m["created_at"] = "2020-01-01T00:00:00Z"
	m["updated_at"] = "2020-01-01T00:00:00Z"
	if private {
		m["user_view_type"] = "private"
		m["private_gists"] = 0
		m["total_private_repos"] = 0
		m["owned_private_repos"] = 0
		m["disk_usage"] = 0
		m["collaborators"] = 0
		m["two_factor_authentication"] = true
	}
	return m
}

// userExists: the bot, anyone the access file names, and repository owners.
func (c *reqCtx) userExists(login string) bool {
	if !validName(login) {
		return false
	}
	if strings.EqualFold(login, c.s.bot) || strings.EqualFold(login, c.user) || c.acc.knownUser(login) || c.acc.isOrg(login) {
		return true
	}
	st, err := os.Stat(filepath.Join(c.s.root, login))
	return err == nil && st.IsDir()
}

func (s *Server) getAuthenticatedUser(c *reqCtx) {
	if !c.requireUser() {
		return
	}
	c.writeJSON(http.StatusOK, c.fullUserJSON(c.user, true))
}

func (s *Server) getUser(c *reqCtx) {
	login := c.p["login"]
	if !c.userExists(login) {
		c.notFound()
		return
	}
	c.writeJSON(http.StatusOK, c.fullUserJSON(login, false))
}

func (s *Server) listOwnerRepos(c *reqCtx) {
	login := c.p["login"]
	if !c.userExists(login) {
		c.notFound()
		return
	}
	repos := s.listRepos(login)
	lo, hi := c.page(len(repos))
	out := []any{}
	for _, rr := range repos[lo:hi] {
		m := c.repoJSON(rr, false)
		// GitHub's lists omit parent; having it lets Prow's EnsureFork see
		// the fork exists instead of polling for it for 30 seconds.
		if p, ok := s.parent(rr); ok {
			m["parent"] = c.repoJSON(p, false)
		}
		out = append(out, m)
	}
	c.writeJSON(http.StatusOK, out)
}

// listOrgMembers: every member for a member asking, else the public ones
// (GitHub's rule).
func (s *Server) listOrgMembers(c *reqCtx) {
	org := c.p["org"]
	members, ok := c.acc.orgMembers(org)
	if !ok {
		c.notFound()
		return
	}
	if !c.acc.isMember(org, c.user) {
		var public []string
		for _, m := range members {
			if c.acc.isPublicMember(org, m) {
				public = append(public, m)
			}
		}
		members = public
	}
	c.writeUsers(members)
}

func (c *reqCtx) writeUsers(logins []string) {
	logins = append([]string(nil), logins...)
	sort.Slice(logins, func(i, j int) bool { return strings.ToLower(logins[i]) < strings.ToLower(logins[j]) })
	writePage(c, logins, func(l string) any { return c.userJSON(l) })
}

// checkOrgMember is GitHub's answer: to a member asking, 204 member or 404
// not; to anyone else, 302 to the public membership check (which answers
// 204 only for a public member).
func (s *Server) checkOrgMember(c *reqCtx) {
	org, user := c.p["org"], c.p["user"]
	if _, ok := c.acc.orgMembers(org); !ok {
		c.notFound()
		return
	}
	if !c.acc.isMember(org, c.user) {
		c.w.Header().Set("Location", c.base+"/orgs/"+url.PathEscape(org)+"/public_members/"+url.PathEscape(user))
		c.w.WriteHeader(http.StatusFound)
		return
	}
	if c.acc.isMember(org, user) {
		c.noContent()
		return
	}
	c.fail(http.StatusNotFound, "User does not exist or is not a member of the organization")
}

// checkPublicMember: 204 for a public member, else 404, whoever asks.
func (s *Server) checkPublicMember(c *reqCtx) {
	if c.acc.isPublicMember(c.p["org"], c.p["user"]) {
		c.noContent()
		return
	}
	c.notFound()
}

func (s *Server) listTeamMembers(c *reqCtx) {
	members, ok := c.acc.teamMembers(c.p["org"], c.p["team"])
	if !ok {
		c.notFound()
		return
	}
	c.writeUsers(members)
}

func (s *Server) getTeamMembership(c *reqCtx) {
	members, ok := c.acc.teamMembers(c.p["org"], c.p["team"])
	if !ok || !containsFold(members, c.p["user"]) {
		c.notFound()
		return
	}
	c.writeJSON(http.StatusOK, map[string]any{
		"url":   c.base + "/organizations/" + c.p["org"] + "/team/" + c.p["team"] + "/memberships/" + c.p["user"],
		"role":  "member",
		"state": "active",
	})
}

func (s *Server) listCollaborators(c *reqCtx) {
	rr, ok := c.repo()
	if !ok {
		return
	}
	users, _ := lookupFold(c.acc.Collaborators, rr.Full())
	logins := []string{rr.Owner}
	for u := range users {
		if !strings.EqualFold(u, rr.Owner) {
			logins = append(logins, u)
		}
	}
	sort.Slice(logins, func(i, j int) bool { return strings.ToLower(logins[i]) < strings.ToLower(logins[j]) })
	lo, hi := c.page(len(logins))
	out := []any{}
	for _, l := range logins[lo:hi] {
		m := c.userJSON(l).(map[string]any)
		perm := c.acc.permission(rr.Owner, rr.Name, l)
		m["permissions"] = permissionsJSON(perm)
		m["role_name"] = perm
		out = append(out, m)
	}
	c.writeJSON(http.StatusOK, out)
}

// checkCollaborator: 204 when user has any role on the repository.
func (s *Server) checkCollaborator(c *reqCtx) {
	rr, ok := c.repo()
	if !ok {
		return
	}
	if c.acc.permission(rr.Owner, rr.Name, c.p["user"]) != "none" {
		c.noContent()
		return
	}
	c.notFound()
}

// getPermission answers, to a requester with push access, GitHub's permission (admin, write, read, none:
// maintain reads as write and triage as read) and the exact role_name.
func (s *Server) getPermission(c *reqCtx) {
	rr, ok := c.repo()
	if !ok {
		return
	}
	if !c.acc.canPush(rr.Owner, rr.Name, c.user) {
		c.writeJSON(http.StatusForbidden, map[string]any{"message": "Must have push access to view collaborator permission.",
			"documentation_url": "https://docs.github.com/rest/collaborators/collaborators#get-repository-permissions-for-a-user", "status": "403"})
		return
	}
	user := c.p["user"]
	if !c.userExists(user) {
		c.fail(http.StatusNotFound, "Not Found")
		return
	}
	role := c.acc.permission(rr.Owner, rr.Name, user)
	perm := role
	switch role {
	case "maintain":
		perm = "write"
	case "triage":
		perm = "read"
	}
	u := c.userJSON(user).(map[string]any)
	u["permissions"] = permissionsJSON(role)
	u["role_name"] = role
	c.writeJSON(http.StatusOK, map[string]any{"permission": perm, "role_name": role, "user": u})
}

func (s *Server) getRateLimit(c *reqCtx) {
	res := map[string]any{}
	for _, r := range []string{"core", "graphql"} {
		s.statsMu.Lock()
		w := s.rate[r]
		used, reset := 0, int64(0)
		if w != nil {
			used, reset = w.used, w.start.Unix()+3600
		}
		s.statsMu.Unlock()
		res[r] = map[string]any{"limit": rateLimit, "used": used, "remaining": max(rateLimit-used, 1), "reset": reset}
	}
	c.writeJSON(http.StatusOK, map[string]any{"resources": res, "rate": res["core"]})
}

// readDirNames lists a directory's entry names.
func readDirNames(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(ents))
	for _, e := range ents {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	return names, nil
}

func base64Std(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
