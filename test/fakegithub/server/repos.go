package server

import (
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
)

func (s *Server) getRepo(c *reqCtx) {
	rr, ok := c.repo()
	if !ok {
		return
	}
	c.writeJSON(http.StatusOK, c.repoJSON(rr, true))
}

func (s *Server) listForks(c *reqCtx) {
	rr, ok := c.repo()
	if !ok {
		return
	}
	var forks []repoRef
	for _, owner := range s.owners() {
		for _, cand := range s.listRepos(owner) {
			if p, ok := s.parent(cand); ok && p.Full() == rr.Full() {
				forks = append(forks, cand)
			}
		}
	}
	writePage(c, forks, func(f repoRef) any { return c.repoJSON(f, false) })
}

// owners lists the owner directories under the root.
func (s *Server) owners() []string {
	var out []string
	ents, _ := readDirNames(s.root)
	for _, n := range ents {
		if validName(n) {
			out = append(out, n)
		}
	}
	return out
}

// createForkHandler forks into the authenticated user (or body
// "organization"): an independent copy, answered 202 like GitHub. An
// existing fork of the same repository is returned as is.
func (s *Server) createForkHandler(c *reqCtx) {
	rr, ok := c.repo()
	if !ok || !c.requireUser() {
		return
	}
	var body struct {
		Organization      string `json:"organization"`
		Name              string `json:"name"`
		DefaultBranchOnly bool   `json:"default_branch_only"`
	}
	if !c.decode(&body) {
		return
	}
	owner := c.user
	if body.Organization != "" {
		if !c.acc.isMember(body.Organization, c.user) {
			c.fail(http.StatusForbidden, "You must be a member of "+body.Organization+" to fork into it")
			return
		}
		owner = body.Organization
	}
	name := rr.Name
	if body.Name != "" {
		name = body.Name
	}
	if !validName(owner) || !validRepoName(name) {
		c.validation(invalidField("Repository", "name"))
		return
	}
	if strings.EqualFold(owner, rr.Owner) && strings.EqualFold(name, rr.Name) {
		c.validation(customError("Repository", "A repository cannot be forked into itself"))
		return
	}
	// An existing fork of this repository under the owner, whatever its name.
	for _, cand := range s.listRepos(owner) {
		if p, ok := s.parent(cand); ok && p.Full() == rr.Full() {
			c.writeJSON(http.StatusAccepted, c.repoJSON(cand, true))
			return
		}
	}
	got, _, err := createFork(c.ctx, s.root, rr.Owner, rr.Name, owner, name, body.DefaultBranchOnly)
	if err != nil {
		c.fail(http.StatusInternalServerError, "fakegithub: forking: "+err.Error())
		return
	}
	fork, ok := s.repoRef(owner, got)
	if !ok {
		c.fail(http.StatusInternalServerError, "fakegithub: fork vanished")
		return
	}
	c.writeJSON(http.StatusAccepted, c.repoJSON(fork, true))
}

// mergeUpstream syncs a fork's branch with the same branch of its parent:
// nothing to do, a fast-forward, or (diverged, no conflicts) a merge commit;
// 409 on conflicts.
func (s *Server) mergeUpstream(c *reqCtx) {
	rr, ok := c.repo()
	if !ok || !c.requireUser() {
		return
	}
	up, isFork := s.parent(rr)
	if !isFork {
		// GitHub documents 200, 409 and 422 ("could not be synced for some
		// other reason") for this endpoint.
		c.fail(http.StatusUnprocessableEntity, "This repository is not a fork")
		return
	}
	var body struct {
		Branch string `json:"branch"`
	}
	if !c.decode(&body) {
		return
	}
	if body.Branch == "" {
		c.validation(missingField("Repository", "branch"))
		return
	}
	if !c.acc.canPush(rr.Owner, rr.Name, c.user) {
		c.fail(http.StatusForbidden, "Resource not accessible by personal access token")
		return
	}
	branch := strings.TrimPrefix(body.Branch, "refs/heads/")
	ref := "refs/heads/" + branch
	defer lockRepo(rr.Dir)()
	cur, err := refSHA(c.ctx, rr.Dir, ref)
	if err != nil {
		c.internal(err)
		return
	}
	upSHA, err := refSHA(c.ctx, up.Dir, ref)
	if err != nil {
		c.internal(err)
		return
	}
	if cur == "" || upSHA == "" {
		// 404, not the 422 the description suggests: what GitHub answered
		// PyGithub's recorded test of a missing branch.
		c.fail(http.StatusNotFound, "Branch not found")
		return
	}
	baseBranch := up.Owner + ":" + branch
	if cur == upSHA {
		c.writeJSON(http.StatusOK, map[string]any{"message": "This branch is not behind the upstream " + baseBranch + ".", "merge_type": "none", "base_branch": baseBranch})
		return
	}
	// Bring upstream's objects in; the fork had none of its new commits.
	if _, err := runGit(c.ctx, rr.Dir, nil, nil, "fetch", "--quiet", "--no-tags", "--no-write-fetch-head", up.Dir, "+"+ref+":refs/fakegithub/upstream"); err != nil {
		c.internal(err)
		return
	}
	defer func() { _ = updateRef(c.ctx, rr.Dir, "refs/fakegithub/upstream", zeroOID, "", "sync") }()
	fetched, err := refSHA(c.ctx, rr.Dir, "refs/fakegithub/upstream")
	if err != nil {
		c.internal(err)
		return
	}
	upSHA = fetched
	if behind, err := isAncestor(c.ctx, rr.Dir, upSHA, cur); err != nil {
		c.internal(err)
		return
	} else if behind {
		c.writeJSON(http.StatusOK, map[string]any{"message": "This branch is not behind the upstream " + baseBranch + ".", "merge_type": "none", "base_branch": baseBranch})
		return
	}
	ff, err := isAncestor(c.ctx, rr.Dir, cur, upSHA)
	if err != nil {
		c.internal(err)
		return
	}
	if ff {
		if err := updateRef(c.ctx, rr.Dir, ref, upSHA, cur, "merge-upstream"); err != nil {
			c.internal(err)
			return
		}
		c.writeJSON(http.StatusOK, map[string]any{"message": "Successfully fetched and fast-forwarded from upstream " + baseBranch + ".", "merge_type": "fast-forward", "base_branch": baseBranch})
		return
	}
	tree, clean, err := mergeTrees(c.ctx, rr.Dir, cur, upSHA)
	if err != nil {
		c.internal(err)
		return
	}
	if !clean {
		c.fail(http.StatusConflict, "There are merge conflicts")
		return
	}
	msg := fmt.Sprintf("Merge branch '%s' of %s/%s into %s\n", branch, c.base, up.Full(), branch)
	sha, err := commitTree(c.ctx, rr.Dir, tree, []string{cur, upSHA}, msg, userSignature(c.user), githubCommitter)
	if err == nil {
		err = updateRef(c.ctx, rr.Dir, ref, sha, cur, "merge-upstream")
	}
	if err != nil {
		c.internal(err)
		return
	}
	c.writeJSON(http.StatusOK, map[string]any{"message": "Successfully fetched and merged from upstream " + baseBranch + ".", "merge_type": "merge", "base_branch": baseBranch})
}

// userSignature is how GitHub signs commits a user makes through the API.
func userSignature(login string) signature {
	return signature{Name: login, Email: login + "@users.noreply.github.com"}
}

func (c *reqCtx) internal(err error) {
	c.fail(http.StatusInternalServerError, "fakegithub: "+err.Error())
}

func (c *reqCtx) branchJSON(rr repoRef, name, sha string) map[string]any {
	return map[string]any{
		"name": name,
		"commit": map[string]any{
			"sha": sha,
			"url": c.base + "/repos/" + rr.Full() + "/commits/" + sha,
		},
		"protected": false,
	}
}

func (s *Server) listBranches(c *reqCtx) {
	rr, ok := c.repo()
	if !ok {
		return
	}
	refs, err := listRefs(c.ctx, rr.Dir, "refs/heads/")
	if err != nil {
		c.internal(err)
		return
	}
	if c.query("protected") == "true" {
		refs = nil
	}
	writePage(c, refs, func(r refInfo) any { return c.branchJSON(rr, strings.TrimPrefix(r.Name, "refs/heads/"), r.SHA) })
}

// listTags answers GET /repos/{owner}/{repo}/tags: each tag's name and the
// commit it points at (annotated tags peeled), newest version first.
func (s *Server) listTags(c *reqCtx) {
	rr, ok := c.repo()
	if !ok {
		return
	}
	refs, err := listRefs(c.ctx, rr.Dir, "refs/tags/")
	if err != nil {
		c.internal(err)
		return
	}
	// GitHub does not document the order; newest release first is what a
	// client reading the first page hopes for.
	sort.SliceStable(refs, func(i, j int) bool { return naturalLess(refs[j].Name, refs[i].Name) })
	api := c.base + "/repos/" + rr.Full()
	writePage(c, refs, func(r refInfo) any {
		name, sha := strings.TrimPrefix(r.Name, "refs/tags/"), r.SHA
		if r.Peeled != "" {
			sha = r.Peeled
		}
		return map[string]any{
			"name":        name,
			"commit":      map[string]any{"sha": sha, "url": api + "/commits/" + sha},
			"zipball_url": api + "/zipball/refs/tags/" + name,
			"tarball_url": api + "/tarball/refs/tags/" + name,
			"node_id":     nodeID("Ref", rr.Full()+":"+r.Name),
		}
	})
}

// naturalLess orders names with their digit runs compared as numbers, so
// v0.10.0 comes after v0.9.0.
func naturalLess(a, b string) bool {
	for a != "" && b != "" {
		da, db := digitRun(a), digitRun(b)
		if da > 0 && db > 0 {
			na, nb := strings.TrimLeft(a[:da], "0"), strings.TrimLeft(b[:db], "0")
			if len(na) != len(nb) {
				return len(na) < len(nb)
			}
			if na != nb {
				return na < nb
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			return a[0] < b[0]
		}
		a, b = a[1:], b[1:]
	}
	return len(a) < len(b)
}

func digitRun(s string) int {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}

func (s *Server) getBranch(c *reqCtx) {
	rr, ok := c.repo()
	if !ok {
		return
	}
	name := c.p["branch"]
	sha, err := refSHA(c.ctx, rr.Dir, "refs/heads/"+name)
	if err != nil {
		c.internal(err)
		return
	}
	if sha == "" || name == "" {
		c.fail(http.StatusNotFound, "Branch not found")
		return
	}
	b := c.branchJSON(rr, name, sha)
	if ci, err := c.commitJSON(rr, sha, false); err == nil {
		b["commit"] = ci
	}
	c.writeJSON(http.StatusOK, b)
}

// ---------------------------------------------------------------- refs

func (c *reqCtx) refJSON(rr repoRef, r refInfo) map[string]any {
	api := c.base + "/repos/" + rr.Full()
	objURL := api + "/git/commits/" + r.SHA
	switch r.Type {
	case "tag":
		objURL = api + "/git/tags/" + r.SHA
	case "tree":
		objURL = api + "/git/trees/" + r.SHA
	case "blob":
		objURL = api + "/git/blobs/" + r.SHA
	}
	return map[string]any{
		"ref":     r.Name,
		"node_id": refNodeID(rr, r.Name),
		"url":     api + "/git/" + r.Name,
		"object":  map[string]any{"sha": r.SHA, "type": r.Type, "url": objURL},
	}
}

// getRefs is the legacy GET git/refs/{ref}: the ref itself when it exists,
// else every ref it is a prefix of (404 when none); no ref lists all.
func (s *Server) getRefs(c *reqCtx) {
	rr, ok := c.repo()
	if !ok {
		return
	}
	want := strings.Trim(c.p["ref"], "/")
	refs, err := listRefs(c.ctx, rr.Dir, "")
	if err != nil {
		c.internal(err)
		return
	}
	if want != "" {
		full := "refs/" + want
		var matched []refInfo
		for _, r := range refs {
			if r.Name == full {
				c.writeJSON(http.StatusOK, c.refJSON(rr, r))
				return
			}
			if strings.HasPrefix(r.Name, full) {
				matched = append(matched, r)
			}
		}
		refs = matched
		if len(refs) == 0 {
			c.notFound()
			return
		}
	}
	writePage(c, refs, func(r refInfo) any { return c.refJSON(rr, r) })
}

// getExactRef is GET git/ref/{ref}: exact match only.
func (s *Server) getExactRef(c *reqCtx) {
	rr, ok := c.repo()
	if !ok {
		return
	}
	full := "refs/" + strings.Trim(c.p["ref"], "/")
	refs, err := listRefs(c.ctx, rr.Dir, full)
	if err != nil {
		c.internal(err)
		return
	}
	for _, r := range refs {
		if r.Name == full {
			c.writeJSON(http.StatusOK, c.refJSON(rr, r))
			return
		}
	}
	c.notFound()
}

func (s *Server) matchingRefs(c *reqCtx) {
	rr, ok := c.repo()
	if !ok {
		return
	}
	prefix := "refs/" + c.p["ref"]
	refs, err := listRefs(c.ctx, rr.Dir, "")
	if err != nil {
		c.internal(err)
		return
	}
	out := []any{}
	for _, r := range refs {
		if strings.HasPrefix(r.Name, prefix) {
			out = append(out, c.refJSON(rr, r))
		}
	}
	c.writeJSON(http.StatusOK, out)
}

// refWriteError is a failed ref change, with GitHub's status and message.
type refWriteError struct {
	status int
	msg    string
	kind   string // GraphQL error type
}

func (e *refWriteError) Error() string { return e.msg }

// writeRef creates, moves or deletes a ref with GitHub's checks: the new
// object must exist in this repository (a fork has only what it fetched),
// create refuses an existing ref, a move without force must fast-forward.
// mode is "create", "update" or "delete". It returns the ref's new value.
func (s *Server) writeRef(c *reqCtx, rr repoRef, ref, sha, mode string, force bool) (refInfo, error) {
	if !c.acc.canPush(rr.Owner, rr.Name, c.user) {
		return refInfo{}, &refWriteError{http.StatusForbidden, "Resource not accessible by personal access token", "FORBIDDEN"}
	}
	if !validRefName(c.ctx, ref) || strings.Count(ref, "/") < 2 || hiddenRef(ref) {
		return refInfo{}, &refWriteError{http.StatusUnprocessableEntity, fmt.Sprintf("%q is not a valid ref name.", ref), "UNPROCESSABLE"}
	}
	defer lockRepo(rr.Dir)()
	cur, err := refSHA(c.ctx, rr.Dir, ref)
	if err != nil {
		return refInfo{}, err
	}
	switch mode {
	case "create":
		if cur != "" {
			return refInfo{}, &refWriteError{http.StatusUnprocessableEntity, fmt.Sprintf("A ref named %q already exists in the repository.", ref), "UNPROCESSABLE"}
		}
	case "update", "delete":
		if cur == "" {
			return refInfo{}, &refWriteError{http.StatusUnprocessableEntity, "Reference does not exist", "NOT_FOUND"}
		}
	}
	if mode == "delete" {
		if err := updateRef(c.ctx, rr.Dir, ref, zeroOID, cur, "delete"); err != nil {
			return refInfo{}, err
		}
		return refInfo{Name: ref}, nil
	}
	var oi objInfo
	if fullSHARe.MatchString(strings.ToLower(sha)) {
		oi, err = objectInfo(c.ctx, rr.Dir, strings.ToLower(sha))
		if err != nil {
			return refInfo{}, err
		}
	}
	if oi.Type == "" {
		return refInfo{}, &refWriteError{http.StatusUnprocessableEntity, fmt.Sprintf("Could not resolve to a Git object with OID %q in the repository.", sha), "UNPROCESSABLE"}
	}
	if strings.HasPrefix(ref, "refs/heads/") && oi.Type != "commit" {
		return refInfo{}, &refWriteError{http.StatusUnprocessableEntity, "Object is not a commit", "UNPROCESSABLE"}
	}
	if mode == "update" && !force && cur != oi.SHA {
		ff, err := isAncestor(c.ctx, rr.Dir, cur, oi.SHA)
		if err != nil || !ff {
			return refInfo{}, &refWriteError{http.StatusUnprocessableEntity, "Update is not a fast forward", "UNPROCESSABLE"}
		}
	}
	old := cur
	if old == "" {
		old = zeroOID
	}
	if err := updateRef(c.ctx, rr.Dir, ref, oi.SHA, old, mode); err != nil {
		if errors.Is(err, errRefMoved) {
			return refInfo{}, &refWriteError{http.StatusConflict, "Reference changed while it was being updated. Try again.", "STALE_DATA"}
		}
		return refInfo{}, err
	}
	return refInfo{Name: ref, SHA: oi.SHA, Type: oi.Type}, nil
}

func (c *reqCtx) refError(err error) {
	var re *refWriteError
	if errors.As(err, &re) {
		c.fail(re.status, re.msg)
		return
	}
	c.internal(err)
}

func (s *Server) createRefREST(c *reqCtx) {
	rr, ok := c.repo()
	if !ok || !c.requireUser() {
		return
	}
	var body struct {
		Ref string `json:"ref"`
		SHA string `json:"sha"`
	}
	if !c.decode(&body) {
		return
	}
	if body.Ref == "" {
		c.validation(missingField("Reference", "ref"))
		return
	}
	if body.SHA == "" {
		c.validation(missingField("Reference", "sha"))
		return
	}
	ri, err := s.writeRef(c, rr, body.Ref, body.SHA, "create", false)
	if err != nil {
		var re *refWriteError
		if errors.As(err, &re) && strings.HasPrefix(re.msg, "A ref named") {
			c.fail(http.StatusUnprocessableEntity, "Reference already exists")
			return
		}
		if errors.As(err, &re) && strings.HasPrefix(re.msg, "Could not resolve") {
			c.fail(http.StatusUnprocessableEntity, "Object does not exist")
			return
		}
		c.refError(err)
		return
	}
	c.writeJSON(http.StatusCreated, c.refJSON(rr, ri))
}

func (s *Server) updateRefREST(c *reqCtx) {
	rr, ok := c.repo()
	if !ok || !c.requireUser() {
		return
	}
	var body struct {
		SHA   string `json:"sha"`
		Force bool   `json:"force"`
	}
	if !c.decode(&body) {
		return
	}
	if body.SHA == "" {
		c.validation(missingField("Reference", "sha"))
		return
	}
	ri, err := s.writeRef(c, rr, "refs/"+strings.Trim(c.p["ref"], "/"), body.SHA, "update", body.Force)
	if err != nil {
		var re *refWriteError
		if errors.As(err, &re) && strings.HasPrefix(re.msg, "Could not resolve") {
			c.fail(http.StatusUnprocessableEntity, "Object does not exist")
			return
		}
		c.refError(err)
		return
	}
	c.writeJSON(http.StatusOK, c.refJSON(rr, ri))
}

func (s *Server) deleteRefREST(c *reqCtx) {
	rr, ok := c.repo()
	if !ok || !c.requireUser() {
		return
	}
	if _, err := s.writeRef(c, rr, "refs/"+strings.Trim(c.p["ref"], "/"), "", "delete", false); err != nil {
		c.refError(err)
		return
	}
	c.noContent()
}

// ---------------------------------------------------------------- git data

func (c *reqCtx) sigJSON(s signature) map[string]any {
	return map[string]any{"name": s.Name, "email": s.Email, "date": ts(s.When)}
}

// objectOfType resolves the {sha} path parameter to an object of kind in
// rr, answering 404 (or 500) itself when it is not one, as GitHub's git data
// API does.
func (c *reqCtx) objectOfType(rr repoRef, kind string) (objInfo, bool) {
	sha := strings.ToLower(c.p["sha"])
	if !fullSHARe.MatchString(sha) {
		c.notFound()
		return objInfo{}, false
	}
	oi, err := objectInfo(c.ctx, rr.Dir, sha)
	if err != nil {
		c.internal(err)
		return objInfo{}, false
	}
	if oi.Type != kind {
		c.notFound()
		return objInfo{}, false
	}
	return oi, true
}

func (s *Server) getGitTag(c *reqCtx) {
	rr, ok := c.repo()
	if !ok {
		return
	}
	oi, ok := c.objectOfType(rr, "tag")
	if !ok {
		return
	}
	t, err := readTag(c.ctx, rr.Dir, oi.SHA)
	if err != nil {
		c.internal(err)
		return
	}
	api := c.base + "/repos/" + rr.Full()
	c.writeJSON(http.StatusOK, map[string]any{
		"node_id": nodeID("TAG", rr.Full()+":"+t.SHA),
		"sha":     t.SHA,
		"url":     api + "/git/tags/" + t.SHA,
		"tag":     t.Tag,
		"message": t.Message,
		"tagger":  c.sigJSON(t.Tagger),
		"object": map[string]any{
			"sha":  t.Object,
			"type": t.ObjectType,
			"url":  api + "/git/" + t.ObjectType + "s/" + t.Object,
		},
		"verification": map[string]any{"verified": false, "reason": "unsigned", "signature": nil, "payload": nil, "verified_at": nil},
	})
}

// gitCommitJSON is the commit object of the git data API (and the "commit"
// inside GET commits/{ref}).
func (c *reqCtx) gitCommitJSON(rr repoRef, ci *commitInfo) map[string]any {
	api := c.base + "/repos/" + rr.Full()
	parents := []any{}
	for _, p := range ci.Parents {
		parents = append(parents, map[string]any{"sha": p, "url": api + "/git/commits/" + p, "html_url": c.base + "/" + rr.Full() + "/commit/" + p})
	}
	return map[string]any{
		"sha":           ci.SHA,
		"node_id":       commitNodeID(rr, ci.SHA),
		"url":           api + "/git/commits/" + ci.SHA,
		"html_url":      c.base + "/" + rr.Full() + "/commit/" + ci.SHA,
		"author":        c.sigJSON(ci.Author),
		"committer":     c.sigJSON(ci.Committer),
		"message":       strings.TrimSuffix(ci.Message, "\n"),
		"tree":          map[string]any{"sha": ci.Tree, "url": api + "/git/trees/" + ci.Tree},
		"parents":       parents,
		"comment_count": 0,
		"verification":  map[string]any{"verified": false, "reason": "unsigned", "signature": nil, "payload": nil, "verified_at": nil},
	}
}

func (s *Server) getGitCommit(c *reqCtx) {
	rr, ok := c.repo()
	if !ok {
		return
	}
	oi, ok := c.objectOfType(rr, "commit")
	if !ok {
		return
	}
	ci, err := readCommit(c.ctx, rr.Dir, oi.SHA)
	if err != nil {
		c.internal(err)
		return
	}
	c.writeJSON(http.StatusOK, c.gitCommitJSON(rr, ci))
}

func (s *Server) getGitTree(c *reqCtx) {
	rr, ok := c.repo()
	if !ok {
		return
	}
	// A tree or commit sha, or (as GitHub also accepts) a branch or tag.
	name := c.p["sha"]
	var treeSHA string
	if lower := strings.ToLower(name); fullSHARe.MatchString(lower) {
		if oi, err := objectInfo(c.ctx, rr.Dir, lower); err == nil && (oi.Type == "tree" || oi.Type == "commit") {
			treeSHA = oi.SHA
		}
	} else if sha, err := resolveCommitName(c.ctx, rr.Dir, name); err == nil {
		treeSHA = sha
	}
	if treeSHA == "" {
		c.notFound()
		return
	}
	oi, err := objectInfo(c.ctx, rr.Dir, treeSHA+"^{tree}")
	if err != nil || oi.Type != "tree" {
		c.notFound()
		return
	}
	var entries []treeEntry
	rec := c.query("recursive")
	if rec != "" && rec != "0" && rec != "false" {
		entries, err = lsTreeRecursive(c.ctx, rr.Dir, oi.SHA, true)
	} else {
		entries, err = lsTree(c.ctx, rr.Dir, oi.SHA)
	}
	if err != nil {
		c.internal(err)
		return
	}
	api := c.base + "/repos/" + rr.Full()
	tree := []any{}
	for _, e := range entries {
		m := map[string]any{"path": e.Path, "mode": e.Mode, "type": e.Type, "sha": e.SHA}
		switch e.Type {
		case "blob":
			m["size"] = e.Size
			m["url"] = api + "/git/blobs/" + e.SHA
		case "tree":
			m["url"] = api + "/git/trees/" + e.SHA
		}
		tree = append(tree, m)
	}
	c.writeJSON(http.StatusOK, map[string]any{"sha": oi.SHA, "url": api + "/git/trees/" + oi.SHA, "tree": tree, "truncated": false})
}

func (s *Server) getGitBlob(c *reqCtx) {
	rr, ok := c.repo()
	if !ok {
		return
	}
	oi, ok := c.objectOfType(rr, "blob")
	if !ok {
		return
	}
	b, err := readObject(c.ctx, rr.Dir, "blob", oi.SHA)
	if err != nil {
		c.internal(err)
		return
	}
	if rawAccept(c.r.Header.Get("Accept")) {
		c.writeRaw(b)
		return
	}
	c.writeJSON(http.StatusOK, map[string]any{
		"sha": oi.SHA, "node_id": nodeID("B", rr.Full()+":"+oi.SHA), "size": oi.Size,
		"url": c.base + "/repos/" + rr.Full() + "/git/blobs/" + oi.SHA, "content": wrapBase64(b), "encoding": "base64",
	})
}

// ---------------------------------------------------------------- commits

// commitJSON is the commit object of GET commits/{ref}; withFiles adds
// files and stats.
func (c *reqCtx) commitJSON(rr repoRef, sha string, withFiles bool) (map[string]any, error) {
	ci, err := readCommit(c.ctx, rr.Dir, sha)
	if err != nil {
		return nil, err
	}
	api := c.base + "/repos/" + rr.Full()
	gc := c.gitCommitJSON(rr, ci)
	delete(gc, "sha")
	delete(gc, "node_id")
	delete(gc, "html_url")
	delete(gc, "parents")
	parents := []any{}
	for _, p := range ci.Parents {
		parents = append(parents, map[string]any{"sha": p, "url": api + "/commits/" + p, "html_url": c.base + "/" + rr.Full() + "/commit/" + p})
	}
	m := map[string]any{
		"sha":          ci.SHA,
		"node_id":      commitNodeID(rr, ci.SHA),
		"url":          api + "/commits/" + ci.SHA,
		"html_url":     c.base + "/" + rr.Full() + "/commit/" + ci.SHA,
		"comments_url": api + "/commits/" + ci.SHA + "/comments",
		"commit":       gc,
		"author":       c.userJSON(loginFromEmail(ci.Author.Email)),
		"committer":    c.userJSON(loginFromEmail(ci.Committer.Email)),
		"parents":      parents,
	}
	if withFiles {
		base := ""
		if len(ci.Parents) > 0 {
			base = ci.Parents[0]
		}
		files, err := diffFiles(c.ctx, rr.Dir, base, ci.SHA)
		if err != nil {
			return nil, err
		}
		add, del := 0, 0
		out := []any{}
		for _, f := range files {
			add += f.Additions
			del += f.Deletions
			out = append(out, c.fileJSON(rr, ci.SHA, f))
		}
		m["files"] = out
		m["stats"] = map[string]int{"additions": add, "deletions": del, "total": add + del}
	}
	return m, nil
}

// loginFromEmail maps GitHub's noreply addresses back to their user.
func loginFromEmail(email string) string {
	local, ok := strings.CutSuffix(email, "@users.noreply.github.com")
	if !ok {
		return ""
	}
	if _, l, ok := strings.Cut(local, "+"); ok {
		local = l
	}
	if !validName(local) {
		return ""
	}
	return local
}

func (c *reqCtx) fileJSON(rr repoRef, commit string, f fileChange) map[string]any {
	m := map[string]any{
		"sha":          f.SHA,
		"filename":     f.Filename,
		"status":       f.Status,
		"additions":    f.Additions,
		"deletions":    f.Deletions,
		"changes":      f.Additions + f.Deletions,
		"blob_url":     c.base + "/" + rr.Full() + "/blob/" + commit + "/" + f.Filename,
		"raw_url":      c.base + "/" + rr.Full() + "/raw/" + commit + "/" + f.Filename,
		"contents_url": c.base + "/repos/" + rr.Full() + "/contents/" + f.Filename + "?ref=" + commit,
	}
	if f.Patch != "" {
		m["patch"] = f.Patch
	}
	return m
}

func (s *Server) getCommit(c *reqCtx) {
	rr, ok := c.repo()
	if !ok {
		return
	}
	sha, err := resolveCommitName(c.ctx, rr.Dir, c.p["ref"])
	if err != nil {
		c.internal(err)
		return
	}
	if sha == "" {
		c.fail(http.StatusUnprocessableEntity, "No commit found for SHA: "+c.p["ref"])
		return
	}
	m, err := c.commitJSON(rr, sha, true)
	if err != nil {
		c.internal(err)
		return
	}
	c.writeJSON(http.StatusOK, m)
}

func (s *Server) listCommits(c *reqCtx) {
	rr, ok := c.repo()
	if !ok {
		return
	}
	start := c.query("sha")
	if start == "" {
		start = headBranch(rr.Dir)
	}
	sha, err := resolveCommitName(c.ctx, rr.Dir, start)
	if err != nil {
		c.internal(err)
		return
	}
	if sha == "" {
		c.fail(http.StatusNotFound, "Not Found")
		return
	}
	args := []string{"rev-list", "--max-count=10000", sha}
	if p := c.query("path"); p != "" {
		args = append(args, "--", p)
	}
	out, err := runGit(c.ctx, rr.Dir, nil, nil, args...)
	if err != nil {
		c.internal(err)
		return
	}
	shas := strings.Fields(string(out))
	lo, hi := c.page(len(shas))
	list := []any{}
	for _, sh := range shas[lo:hi] {
		m, err := c.commitJSON(rr, sh, false)
		if err != nil {
			c.internal(err)
			return
		}
		list = append(list, m)
	}
	c.writeJSON(http.StatusOK, list)
}

// ---------------------------------------------------------------- contents

// contentsLimit is the largest file the contents API returns inline; larger
// ones come back with encoding "none" and no content unless asked for raw.
const contentsLimit = 1 << 20

// rawLimit is the largest file the contents API returns at all.
const rawLimit = 100 << 20

// rawAccept reports whether the Accept header asks for raw content.
func rawAccept(accept string) bool {
	for _, part := range strings.Split(accept, ",") {
		mt, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		switch strings.ToLower(strings.TrimSpace(mt)) {
		case "application/vnd.github.raw", "application/vnd.github.v3.raw", "application/vnd.github.raw+json", "application/vnd.github.v3.raw+json":
			return true
		}
	}
	return false
}

func objectAccept(accept string) bool {
	return strings.Contains(strings.ToLower(accept), "application/vnd.github.object")
}

func (c *reqCtx) writeRaw(b []byte) {
	c.w.Header().Set("Content-Type", "application/octet-stream")
	c.w.Header().Set("Content-Length", itoa(len(b)))
	c.w.WriteHeader(http.StatusOK)
	if c.r.Method != http.MethodHead {
		_, _ = c.w.Write(b)
	}
}

// wrapBase64 encodes like GitHub's contents API: base64 with a newline
// every 60 characters (and after the last line).
func wrapBase64(b []byte) string {
	enc := base64Std(b)
	var sb strings.Builder
	for len(enc) > 60 {
		sb.WriteString(enc[:60])
		sb.WriteByte('\n')
		enc = enc[60:]
	}
	if enc != "" {
		sb.WriteString(enc)
		sb.WriteByte('\n')
	}
	return sb.String()
}

func (c *reqCtx) contentLinks(rr repoRef, ref, p, typ, sha string) (self, html, git string, download any) {
	self = c.base + "/repos/" + rr.Full() + "/contents/" + p + "?ref=" + ref
	kind := "blob"
	if typ == "dir" {
		kind = "tree"
	}
	html = c.base + "/" + rr.Full() + "/" + kind + "/" + ref + "/" + p
	git = c.base + "/repos/" + rr.Full() + "/git/" + kind + "s/" + sha
	if typ == "file" {
		download = c.base + "/" + rr.Full() + "/raw/" + ref + "/" + p
	}
	return
}

func (c *reqCtx) entryJSON(rr repoRef, ref string, e treeEntry) map[string]any {
	typ := "file"
	switch {
	case e.Type == "tree":
		typ = "dir"
	case e.Mode == "120000":
		typ = "symlink"
	case e.Type == "commit":
		typ = "file" // GitHub lists submodules as files in directory listings
	}
	self, html, git, download := c.contentLinks(rr, ref, e.Path, typ, e.SHA)
	size := e.Size
	if size < 0 {
		size = 0
	}
	name := e.Path
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	return map[string]any{
		"type": typ, "size": size, "name": name, "path": e.Path, "sha": e.SHA,
		"url": self, "git_url": git, "html_url": html, "download_url": download,
		"_links": map[string]any{"self": self, "git": git, "html": html},
	}
}

func (s *Server) getContents(c *reqCtx) {
	rr, ok := c.repo()
	if !ok {
		return
	}
	ref := c.query("ref")
	if ref == "" {
		ref = headBranch(rr.Dir)
	}
	commit, err := resolveCommitName(c.ctx, rr.Dir, ref)
	if err != nil {
		c.internal(err)
		return
	}
	if commit == "" {
		c.fail(http.StatusNotFound, "No commit found for the ref "+ref)
		return
	}
	p := strings.Trim(c.p["path"], "/")
	accept := c.r.Header.Get("Accept")
	if p == "" {
		c.writeDir(rr, ref, commit, "", accept)
		return
	}
	if _, ok := cleanPath(p); !ok {
		c.notFound()
		return
	}
	es, err := lsTree(c.ctx, rr.Dir, commit, p)
	if err != nil {
		c.internal(err)
		return
	}
	var e *treeEntry
	for i := range es {
		if es[i].Path == p {
			e = &es[i]
		}
	}
	if e == nil {
		c.notFound()
		return
	}
	if e.Type == "tree" {
		c.writeDir(rr, ref, commit, p, accept)
		return
	}
	if e.Type == "commit" {
		m := c.entryJSON(rr, ref, *e)
		m["type"] = "submodule"
		m["submodule_git_url"] = nil
		c.writeJSON(http.StatusOK, m)
		return
	}
	if e.Size > rawLimit {
		c.writeJSON(http.StatusForbidden, map[string]any{
			"message": "This API returns blobs up to 100 MB in size. The requested blob is too large to fetch via the API.",
			"errors":  []fieldError{{"resource": "Blob", "field": "data", "code": "too_large"}}, "documentation_url": docsURL, "status": "403",
		})
		return
	}
	if rawAccept(accept) {
		b, err := readObject(c.ctx, rr.Dir, "blob", e.SHA)
		if err != nil {
			c.internal(err)
			return
		}
		c.writeRaw(b)
		return
	}
	m := c.entryJSON(rr, ref, *e)
	if e.Mode == "120000" {
		b, err := readObject(c.ctx, rr.Dir, "blob", e.SHA)
		if err != nil {
			c.internal(err)
			return
		}
		m["target"] = string(b)
	}
	if e.Size > contentsLimit {
		m["content"] = ""
		m["encoding"] = "none"
	} else {
		b, err := readObject(c.ctx, rr.Dir, "blob", e.SHA)
		if err != nil {
			c.internal(err)
			return
		}
		m["content"] = wrapBase64(b)
		m["encoding"] = "base64"
	}
	c.writeJSON(http.StatusOK, m)
}

func (c *reqCtx) writeDir(rr repoRef, ref, commit, p, accept string) {
	treeish := commit + "^{tree}"
	if p != "" {
		treeish = commit + ":" + p
	}
	oi, err := objectInfo(c.ctx, rr.Dir, treeish)
	if err != nil || oi.Type != "tree" {
		c.notFound()
		return
	}
	es, err := lsTree(c.ctx, rr.Dir, oi.SHA)
	if err != nil {
		c.internal(err)
		return
	}
	sort.SliceStable(es, func(i, j int) bool { return es[i].Path < es[j].Path })
	entries := []any{}
	for _, e := range es {
		if p != "" {
			e.Path = p + "/" + e.Path
		}
		entries = append(entries, c.entryJSON(rr, ref, e))
	}
	if objectAccept(accept) {
		self, html, git, _ := c.contentLinks(rr, ref, p, "dir", oi.SHA)
		name := p
		if i := strings.LastIndexByte(name, '/'); i >= 0 {
			name = name[i+1:]
		}
		c.writeJSON(http.StatusOK, map[string]any{
			"type": "dir", "size": 0, "name": name, "path": p, "sha": oi.SHA, "url": self, "git_url": git, "html_url": html,
			"download_url": nil, "entries": entries, "_links": map[string]any{"self": self, "git": git, "html": html},
		})
		return
	}
	c.writeJSON(http.StatusOK, entries)
}
