package server

import (
	"encoding/base64"
	"strings"
)

// registerRoutes lists every endpoint. The first route whose method and
// pattern match serves the request, so more specific patterns come first.
// {name...} matches one or more segments (zero when it ends the pattern).
func (s *Server) registerRoutes() {
	// Users, orgs, teams.
	s.handle("GET", "/user", s.getAuthenticatedUser)
	s.handle("GET", "/users/{login}", s.getUser)
	s.handle("GET", "/users/{login}/repos", s.listOwnerRepos)
	s.handle("GET", "/orgs/{login}/repos", s.listOwnerRepos)
	s.handle("GET", "/orgs/{org}/members", s.listOrgMembers)
	s.handle("GET", "/orgs/{org}/members/{user}", s.checkOrgMember)
	s.handle("GET", "/orgs/{org}/public_members/{user}", s.checkPublicMember)
	s.handle("GET", "/orgs/{org}/teams/{team}/members", s.listTeamMembers)
	s.handle("GET", "/orgs/{org}/teams/{team}/memberships/{user}", s.getTeamMembership)
	s.handle("GET", "/rate_limit", s.getRateLimit)

	// Repositories.
	s.handle("GET", "/repos/{owner}/{repo}", s.getRepo)
	s.handle("GET", "/repos/{owner}/{repo}/forks", s.listForks)
	s.handle("POST", "/repos/{owner}/{repo}/forks", s.createForkHandler)
	s.handle("POST", "/repos/{owner}/{repo}/merge-upstream", s.mergeUpstream)
	s.handle("GET", "/repos/{owner}/{repo}/branches", s.listBranches)
	s.handle("GET", "/repos/{owner}/{repo}/tags", s.listTags)
	s.handle("GET", "/repos/{owner}/{repo}/branches/{branch...}", s.getBranch)
	s.handle("GET", "/repos/{owner}/{repo}/collaborators", s.listCollaborators)
	s.handle("GET", "/repos/{owner}/{repo}/collaborators/{user}", s.checkCollaborator)
	s.handle("GET", "/repos/{owner}/{repo}/collaborators/{user}/permission", s.getPermission)

	// Git data.
	s.handle("GET", "/repos/{owner}/{repo}/git/ref/{ref...}", s.getExactRef)
	s.handle("GET", "/repos/{owner}/{repo}/git/refs/{ref...}", s.getRefs)
	s.handle("GET", "/repos/{owner}/{repo}/git/matching-refs/{ref...}", s.matchingRefs)
	s.handle("POST", "/repos/{owner}/{repo}/git/refs", s.createRefREST)
	s.handle("PATCH", "/repos/{owner}/{repo}/git/refs/{ref...}", s.updateRefREST)
	s.handle("DELETE", "/repos/{owner}/{repo}/git/refs/{ref...}", s.deleteRefREST)
	s.handle("GET", "/repos/{owner}/{repo}/git/tags/{sha}", s.getGitTag)
	s.handle("GET", "/repos/{owner}/{repo}/git/commits/{sha}", s.getGitCommit)
	s.handle("GET", "/repos/{owner}/{repo}/git/trees/{sha...}", s.getGitTree)
	s.handle("GET", "/repos/{owner}/{repo}/git/blobs/{sha}", s.getGitBlob)

	// Commits, contents, statuses.
	s.handle("GET", "/repos/{owner}/{repo}/commits", s.listCommits)
	s.handle("GET", "/repos/{owner}/{repo}/commits/{ref...}/status", s.getCombinedStatus)
	s.handle("GET", "/repos/{owner}/{repo}/commits/{ref...}/statuses", s.listStatuses)
	s.handle("GET", "/repos/{owner}/{repo}/commits/{ref...}", s.getCommit)
	s.handle("GET", "/repos/{owner}/{repo}/contents/{path...}", s.getContents)
	s.handle("POST", "/repos/{owner}/{repo}/statuses/{sha}", s.createStatus)
	s.handle("GET", "/repos/{owner}/{repo}/statuses/{ref...}", s.listStatuses)

	// Pull requests.
	s.handle("GET", "/repos/{owner}/{repo}/pulls", s.listPulls)
	s.handle("POST", "/repos/{owner}/{repo}/pulls", s.createPull)
	s.handle("GET", "/repos/{owner}/{repo}/pulls/{number}", s.getPull)
	s.handle("PATCH", "/repos/{owner}/{repo}/pulls/{number}", s.updatePull)
	s.handle("GET", "/repos/{owner}/{repo}/pulls/{number}/files", s.listPullFiles)
	s.handle("GET", "/repos/{owner}/{repo}/pulls/{number}/commits", s.listPullCommits)
	s.handle("GET", "/repos/{owner}/{repo}/pulls/{number}/merge", s.checkPullMerged)
	s.handle("PUT", "/repos/{owner}/{repo}/pulls/{number}/merge", s.mergePullREST)

	// Issues, comments, reactions, labels.
	s.handle("GET", "/repos/{owner}/{repo}/issues", s.listIssues)
	s.handle("POST", "/repos/{owner}/{repo}/issues", s.createIssue)
	s.handle("GET", "/repos/{owner}/{repo}/issues/comments", s.listRepoComments)
	s.handle("GET", "/repos/{owner}/{repo}/issues/comments/{id}", s.getComment)
	s.handle("PATCH", "/repos/{owner}/{repo}/issues/comments/{id}", s.editComment)
	s.handle("DELETE", "/repos/{owner}/{repo}/issues/comments/{id}", s.deleteComment)
	s.handle("GET", "/repos/{owner}/{repo}/issues/comments/{id}/reactions", s.listCommentReactions)
	s.handle("POST", "/repos/{owner}/{repo}/issues/comments/{id}/reactions", s.createCommentReaction)
	s.handle("DELETE", "/repos/{owner}/{repo}/issues/comments/{id}/reactions/{reaction}", s.deleteCommentReaction)
	s.handle("GET", "/repos/{owner}/{repo}/issues/{number}", s.getIssue)
	s.handle("PATCH", "/repos/{owner}/{repo}/issues/{number}", s.updateIssue)
	s.handle("GET", "/repos/{owner}/{repo}/issues/{number}/comments", s.listComments)
	s.handle("POST", "/repos/{owner}/{repo}/issues/{number}/comments", s.createComment)
	s.handle("GET", "/repos/{owner}/{repo}/issues/{number}/reactions", s.listIssueReactions)
	s.handle("POST", "/repos/{owner}/{repo}/issues/{number}/reactions", s.createIssueReaction)
	s.handle("GET", "/repos/{owner}/{repo}/issues/{number}/labels", s.listLabels)
	s.handle("POST", "/repos/{owner}/{repo}/issues/{number}/labels", s.addLabels)
	s.handle("PUT", "/repos/{owner}/{repo}/issues/{number}/labels", s.setLabels)
	s.handle("DELETE", "/repos/{owner}/{repo}/issues/{number}/labels", s.clearLabels)
	s.handle("DELETE", "/repos/{owner}/{repo}/issues/{number}/labels/{name}", s.removeLabel)

	// GraphQL.
	s.handle("POST", "/graphql", s.serveGraphQL)

	// Admin, for tests (not GitHub; not counted).
	s.handle("POST", "/_fakegithub/repos/{owner}/{repo}/pulls/{number}/merge", s.adminMerge)
	s.handle("GET", "/_fakegithub/requests", s.adminRequests)
	s.handle("POST", "/_fakegithub/requests/reset", s.adminResetRequests)
	s.handle("GET", "/_fakegithub/faults", s.adminListFaults)
	s.handle("POST", "/_fakegithub/faults", s.adminAddFault)
	s.handle("DELETE", "/_fakegithub/faults", s.adminClearFaults)
	s.handle("DELETE", "/_fakegithub/faults/{id}", s.adminRemoveFault)
}

// nodeID makes a stable, resolvable global node id.
func nodeID(prefix, payload string) string {
	return prefix + "_" + base64.RawURLEncoding.EncodeToString([]byte(payload))
}

// parseNodeID splits a node id made by nodeID.
func parseNodeID(id string) (prefix, payload string, ok bool) {
	prefix, enc, ok := strings.Cut(id, "_")
	if !ok {
		return "", "", false
	}
	b, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil {
		return "", "", false
	}
	return prefix, string(b), true
}

func refNodeID(rr repoRef, ref string) string    { return nodeID("REF", rr.Full()+":"+ref) }
func commitNodeID(rr repoRef, sha string) string { return nodeID("C", rr.Full()+":"+sha) }
func pullNodeID(rr repoRef, n int) string        { return nodeID("PR", rr.Full()+"#"+itoa(n)) }
func issueNodeID(rr repoRef, n int) string       { return nodeID("I", rr.Full()+"#"+itoa(n)) }
