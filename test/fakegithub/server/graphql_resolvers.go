package server

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Run-time values of GraphQL objects.
type (
	gRepo struct{ rr repoRef }
	gRef  struct {
		rr   repoRef
		full string
	}
	gUser struct {
		login string
		org   bool
	}
	gActor struct{ sig signature }
	gPull  struct {
		rr repoRef
		is *issue
	}
	gLabel struct {
		rr   repoRef
		name string
	}
	gTreeEntry struct {
		rr   repoRef
		e    treeEntry
		path string // from the repository root
	}
	// gObj is a git object: Commit, Tree, Blob or Tag. path is where a tree
	// sits (entries' paths start there).
	gObj struct {
		rr   repoRef
		sha  string
		typ  string
		size int64
		path string
	}
)

var objTypeNames = map[string]string{"commit": "Commit", "tree": "Tree", "blob": "Blob", "tag": "Tag"}
var objIDPrefix = map[string]string{"commit": "C", "tree": "T", "blob": "B", "tag": "TAG"}

// typeOf is the GraphQL object type of a run-time value.
func typeOf(v any) string {
	switch x := v.(type) {
	case *gRepo:
		return "Repository"
	case *gRef:
		return "Ref"
	case *gObj:
		return objTypeNames[x.typ]
	case *gTreeEntry:
		return "TreeEntry"
	case *gActor:
		return "GitActor"
	case *gUser:
		if x.org {
			return "Organization"
		}
		return "User"
	case *gPull:
		return "PullRequest"
	case *gLabel:
		return "Label"
	case *gStatic:
		return x.typ
	}
	return ""
}

func decodeBase64(s string) ([]byte, error) {
	return base64.StdEncoding.DecodeString(strings.TrimSpace(s))
}

func (ec *execCtx) user(login string) *gUser {
	return &gUser{login: login, org: ec.c.acc.isOrg(login)}
}

func str(args map[string]any, k string) string { s, _ := args[k].(string); return s }

func (ec *execCtx) liveRefs() liveRefs {
	if ec.lr == nil {
		ec.lr = liveRefs{}
	}
	return ec.lr
}

// object looks up a git object of rr by any name git understands.
func (ec *execCtx) object(rr repoRef, name, path string) (*gObj, error) {
	if name == "" || strings.HasPrefix(name, "-") {
		return nil, nil
	}
	oi, err := objectInfo(ec.c.ctx, rr.Dir, name)
	if err != nil || oi.Type == "" {
		return nil, err
	}
	return &gObj{rr: rr, sha: oi.SHA, typ: oi.Type, size: oi.Size, path: path}, nil
}

// resolveRef finds a ref by qualified name, or a short name (branch, then
// tag).
func (ec *execCtx) resolveRef(rr repoRef, name string) (*gRef, error) {
	cands := []string{name}
	if !strings.HasPrefix(name, "refs/") {
		cands = []string{"refs/heads/" + name, "refs/tags/" + name}
	}
	for _, c := range cands {
		if hiddenRef(c) {
			continue
		}
		sha, err := refSHA(ec.c.ctx, rr.Dir, c)
		if err != nil {
			return nil, err
		}
		if sha != "" {
			return &gRef{rr: rr, full: c}, nil
		}
	}
	return nil, nil
}

// refParts splits a ref into GitHub's prefix and name.
func refParts(full string) (prefix, name string) {
	for _, p := range []string{"refs/heads/", "refs/tags/"} {
		if strings.HasPrefix(full, p) {
			return p, strings.TrimPrefix(full, p)
		}
	}
	if i := strings.LastIndexByte(full, '/'); i >= 0 {
		return full[:i+1], full[i+1:]
	}
	return "", full
}

func repoTimes(rr repoRef) (created, pushed time.Time) {
	if st, err := os.Stat(rr.Dir); err == nil {
		created = st.ModTime()
	}
	pushed = created
	if st, err := os.Stat(filepath.Join(rr.Dir, "refs")); err == nil {
		pushed = st.ModTime()
	}
	return
}

// node resolves a global node id.
func (ec *execCtx) node(id string) (any, error) {
	notFound := gqlErrorf("NOT_FOUND", "Could not resolve to a node with the global id of '%s'", id)
	prefix, payload, ok := parseNodeID(id)
	if !ok {
		return nil, notFound
	}
	switch prefix {
	case "R":
		if rr, ok := ec.s.repoByFull(payload); ok {
			return &gRepo{rr: rr}, nil
		}
	case "REF":
		full, ref, _ := strings.Cut(payload, ":")
		if rr, ok := ec.s.repoByFull(full); ok {
			if sha, err := refSHA(ec.c.ctx, rr.Dir, ref); err == nil && sha != "" && !hiddenRef(ref) {
				return &gRef{rr: rr, full: ref}, nil
			}
		}
	case "C", "T", "B", "TAG":
		full, sha, _ := strings.Cut(payload, ":")
		if rr, ok := ec.s.repoByFull(full); ok && fullSHARe.MatchString(sha) {
			if o, err := ec.object(rr, sha, ""); err == nil && o != nil && objIDPrefix[o.typ] == prefix {
				return o, nil
			}
		}
	case "PR":
		full, num, _ := strings.Cut(payload, "#")
		n, _ := strconv.Atoi(num)
		if rr, ok := ec.s.repoByFull(full); ok {
			if is, ok := ec.s.issueCopy(rr, n); ok && is.PR != nil {
				return &gPull{rr: rr, is: is}, nil
			}
		}
	case "U", "O":
		if ec.c.userExists(payload) {
			return ec.user(payload), nil
		}
	}
	return nil, notFound
}

// pullsConnection filters and pages pull requests.
func (ec *execCtx) pullsConnection(list []*gPull, args map[string]any, field string) (any, error) {
	var states []string
	if ss, ok := args["states"].([]any); ok {
		for _, s := range ss {
			states = append(states, s.(string))
		}
	}
	var labels []string
	if ls, ok := args["labels"].([]any); ok {
		for _, l := range ls {
			labels = append(labels, l.(string))
		}
	}
	head, base := str(args, "headRefName"), str(args, "baseRefName")
	var keep []*gPull
	for _, p := range list {
		st := pullState(p.is)
		if len(states) > 0 && !containsString(states, st) {
			continue
		}
		if head != "" && p.is.PR.HeadRef != head {
			continue
		}
		if base != "" && p.is.PR.BaseRef != base {
			continue
		}
		ok := true
		for _, l := range labels {
			ok = ok && containsFold(p.is.Labels, l)
		}
		if ok {
			keep = append(keep, p)
		}
	}
	desc, byUpdated := false, false
	if ob, ok := args["orderBy"].(map[string]any); ok {
		desc = ob["direction"] == "DESC"
		byUpdated = ob["field"] == "UPDATED_AT"
	}
	sort.SliceStable(keep, func(i, j int) bool {
		a, b := keep[i].is, keep[j].is
		ta, tb := a.CreatedAt, b.CreatedAt
		if byUpdated {
			ta, tb = a.UpdatedAt, b.UpdatedAt
		}
		if !ta.Equal(tb) {
			return ta.Before(tb) != desc
		}
		return (a.Number < b.Number) != desc
	})
	nodes := make([]any, len(keep))
	for i, p := range keep {
		nodes[i] = p
	}
	return connection("PullRequestConnection", field, nodes, args)
}

func pullState(is *issue) string {
	switch {
	case is.PR != nil && is.PR.Merged:
		return "MERGED"
	case is.State == "closed":
		return "CLOSED"
	}
	return "OPEN"
}

// repoPulls lists the pull requests of a repository.
func (ec *execCtx) repoPulls(rr repoRef) []*gPull {
	var out []*gPull
	ec.s.read(func(st *state) {
		for _, is := range st.peekRepo(rr.Full()).Issues {
			if is.PR != nil {
				out = append(out, &gPull{rr: rr, is: is.clone()})
			}
		}
	})
	return out
}

func (ec *execCtx) pullHeads(p *gPull) (head, base string) {
	return ec.s.pullHeads(ec.c.ctx, p.rr, p.is.PR, p.is.State == "open", ec.liveRefs())
}

// gitObjectFields are the GitObject interface's fields, shared by Commit,
// Tree, Blob and Tag.
func gitObjectFields(typ string, r map[string]resolver) {
	r[typ+".id"] = func(ec *execCtx, p any, _ map[string]any) (any, error) {
		o := p.(*gObj)
		return nodeID(objIDPrefix[o.typ], o.rr.Full()+":"+o.sha), nil
	}
	r[typ+".oid"] = func(ec *execCtx, p any, _ map[string]any) (any, error) { return p.(*gObj).sha, nil }
	r[typ+".abbreviatedOid"] = func(ec *execCtx, p any, _ map[string]any) (any, error) { return p.(*gObj).sha[:7], nil }
	r[typ+".commitUrl"] = func(ec *execCtx, p any, _ map[string]any) (any, error) {
		o := p.(*gObj)
		return ec.c.base + "/" + o.rr.Full() + "/commit/" + o.sha, nil
	}
	r[typ+".commitResourcePath"] = func(ec *execCtx, p any, _ map[string]any) (any, error) {
		o := p.(*gObj)
		return "/" + o.rr.Full() + "/commit/" + o.sha, nil
	}
	r[typ+".repository"] = func(ec *execCtx, p any, _ map[string]any) (any, error) { return &gRepo{rr: p.(*gObj).rr}, nil }
}

// userFields are shared by User and Organization.
func userFields(typ string, r map[string]resolver) {
	r[typ+".avatarUrl"] = func(ec *execCtx, p any, _ map[string]any) (any, error) {
		return ec.c.base + "/avatars/" + p.(*gUser).login, nil
	}
	r[typ+".databaseId"] = func(ec *execCtx, p any, _ map[string]any) (any, error) { return int(userID(p.(*gUser).login)), nil }
	r[typ+".id"] = func(ec *execCtx, p any, _ map[string]any) (any, error) {
		u := p.(*gUser)
		if u.org {
			return nodeID("O", u.login), nil
		}
		return nodeID("U", u.login), nil
	}
	r[typ+".login"] = func(ec *execCtx, p any, _ map[string]any) (any, error) { return p.(*gUser).login, nil }
	r[typ+".name"] = func(ec *execCtx, p any, _ map[string]any) (any, error) { return p.(*gUser).login, nil }
	r[typ+".repository"] = func(ec *execCtx, p any, a map[string]any) (any, error) {
		if rr, ok := ec.s.repoRef(p.(*gUser).login, str(a, "name")); ok {
			return &gRepo{rr: rr}, nil
		}
		return nil, nil
	}
	r[typ+".resourcePath"] = func(ec *execCtx, p any, _ map[string]any) (any, error) { return "/" + p.(*gUser).login, nil }
	r[typ+".url"] = func(ec *execCtx, p any, _ map[string]any) (any, error) {
		return ec.c.base + "/" + p.(*gUser).login, nil
	}
}

func resolvers() map[string]resolver {
	r := map[string]resolver{}

	// Query.
	r["Query.viewer"] = func(ec *execCtx, _ any, _ map[string]any) (any, error) { return ec.user(ec.c.user), nil }
	r["Query.repository"] = func(ec *execCtx, _ any, a map[string]any) (any, error) {
		if rr, ok := ec.s.repoRef(str(a, "owner"), str(a, "name")); ok {
			return &gRepo{rr: rr}, nil
		}
		return nil, gqlErrorf("NOT_FOUND", "Could not resolve to a Repository with the name '%s/%s'.", str(a, "owner"), str(a, "name"))
	}
	r["Query.repositoryOwner"] = func(ec *execCtx, _ any, a map[string]any) (any, error) {
		if ec.c.userExists(str(a, "login")) {
			return ec.user(str(a, "login")), nil
		}
		return nil, nil
	}
	r["Query.user"] = func(ec *execCtx, _ any, a map[string]any) (any, error) {
		l := str(a, "login")
		if ec.c.userExists(l) && !ec.c.acc.isOrg(l) {
			return ec.user(l), nil
		}
		return nil, gqlErrorf("NOT_FOUND", "Could not resolve to a User with the login of '%s'.", l)
	}
	r["Query.organization"] = func(ec *execCtx, _ any, a map[string]any) (any, error) {
		l := str(a, "login")
		if ec.c.acc.isOrg(l) {
			return ec.user(l), nil
		}
		return nil, gqlErrorf("NOT_FOUND", "Could not resolve to an Organization with the login of '%s'.", l)
	}
	r["Query.node"] = func(ec *execCtx, _ any, a map[string]any) (any, error) { return ec.node(str(a, "id")) }
	r["Query.nodes"] = func(ec *execCtx, _ any, a map[string]any) (any, error) {
		ids, _ := a["ids"].([]any)
		out := make([]any, len(ids))
		for i, id := range ids {
			n, err := ec.node(id.(string))
			if err != nil {
				return nil, err
			}
			out[i] = n
		}
		return out, nil
	}
	r["Query.rateLimit"] = func(ec *execCtx, _ any, _ map[string]any) (any, error) {
		limit, remaining, reset, used := ec.s.spend("graphql", 0)
		return &gStatic{typ: "RateLimit", vals: map[string]any{"cost": 1, "limit": limit, "nodeCount": 1,
			"remaining": remaining, "resetAt": ts(time.Unix(reset, 0)), "used": used}}, nil
	}

	// Mutations.
	r["Mutation.createRef"] = mutCreateRef
	r["Mutation.updateRef"] = mutUpdateRef
	r["Mutation.deleteRef"] = mutDeleteRef
	r["Mutation.createCommitOnBranch"] = mutCreateCommitOnBranch

	// Users.
	userFields("User", r)
	userFields("Organization", r)
	r["User.email"] = func(ec *execCtx, _ any, _ map[string]any) (any, error) { return "", nil }
	r["User.isViewer"] = func(ec *execCtx, p any, _ map[string]any) (any, error) {
		return strings.EqualFold(p.(*gUser).login, ec.c.user), nil
	}
	r["Organization.viewerIsAMember"] = func(ec *execCtx, p any, _ map[string]any) (any, error) {
		return ec.c.acc.isMember(p.(*gUser).login, ec.c.user), nil
	}

	// Repository.
	repo := func(p any) repoRef { return p.(*gRepo).rr }
	constant := func(v any) resolver { return func(*execCtx, any, map[string]any) (any, error) { return v, nil } }
	r["Repository.id"] = func(ec *execCtx, p any, _ map[string]any) (any, error) { return nodeID("R", repo(p).Full()), nil }
	r["Repository.databaseId"] = func(ec *execCtx, p any, _ map[string]any) (any, error) { return int(repoID(repo(p))), nil }
	r["Repository.name"] = func(ec *execCtx, p any, _ map[string]any) (any, error) { return repo(p).Name, nil }
	r["Repository.nameWithOwner"] = func(ec *execCtx, p any, _ map[string]any) (any, error) { return repo(p).Full(), nil }
	r["Repository.owner"] = func(ec *execCtx, p any, _ map[string]any) (any, error) { return ec.user(repo(p).Owner), nil }
	r["Repository.description"] = constant(nil)
	r["Repository.url"] = func(ec *execCtx, p any, _ map[string]any) (any, error) { return ec.c.base + "/" + repo(p).Full(), nil }
	r["Repository.resourcePath"] = func(ec *execCtx, p any, _ map[string]any) (any, error) { return "/" + repo(p).Full(), nil }
	r["Repository.isFork"] = func(ec *execCtx, p any, _ map[string]any) (any, error) {
		_, ok := ec.s.parent(repo(p))
		return ok, nil
	}
	r["Repository.parent"] = func(ec *execCtx, p any, _ map[string]any) (any, error) {
		if pr, ok := ec.s.parent(repo(p)); ok {
			return &gRepo{rr: pr}, nil
		}
		return nil, nil
	}
	for _, f := range []string{"isArchived", "isDisabled", "isLocked", "isPrivate", "isTemplate"} {
		r["Repository."+f] = constant(false)
	}
	for _, f := range []string{"mergeCommitAllowed", "squashMergeAllowed", "rebaseMergeAllowed"} {
		r["Repository."+f] = constant(true)
	}
	r["Repository.visibility"] = constant("PUBLIC")
	r["Repository.isEmpty"] = func(ec *execCtx, p any, _ map[string]any) (any, error) {
		refs, err := listRefs(ec.c.ctx, repo(p).Dir, "refs/heads/")
		return len(refs) == 0, err
	}
	r["Repository.createdAt"] = func(ec *execCtx, p any, _ map[string]any) (any, error) {
		c, _ := repoTimes(repo(p))
		return ts(c), nil
	}
	r["Repository.updatedAt"] = func(ec *execCtx, p any, _ map[string]any) (any, error) {
		_, u := repoTimes(repo(p))
		return ts(u), nil
	}
	r["Repository.pushedAt"] = r["Repository.updatedAt"]
	r["Repository.forkCount"] = func(ec *execCtx, p any, _ map[string]any) (any, error) {
		n := 0
		for _, o := range ec.s.owners() {
			for _, cand := range ec.s.listRepos(o) {
				if par, ok := ec.s.parent(cand); ok && par.Full() == repo(p).Full() {
					n++
				}
			}
		}
		return n, nil
	}
	r["Repository.viewerPermission"] = func(ec *execCtx, p any, _ map[string]any) (any, error) {
		perm := ec.c.acc.permission(repo(p).Owner, repo(p).Name, ec.c.user)
		if perm == "none" {
			perm = "read" // public repositories
		}
		return strings.ToUpper(perm), nil
	}
	r["Repository.viewerCanAdminister"] = func(ec *execCtx, p any, _ map[string]any) (any, error) {
		return ec.c.acc.permission(repo(p).Owner, repo(p).Name, ec.c.user) == "admin", nil
	}
	r["Repository.defaultBranchRef"] = func(ec *execCtx, p any, _ map[string]any) (any, error) {
		full := "refs/heads/" + headBranch(repo(p).Dir)
		sha, err := refSHA(ec.c.ctx, repo(p).Dir, full)
		if err != nil || sha == "" {
			return nil, err
		}
		return &gRef{rr: repo(p), full: full}, nil
	}
	r["Repository.ref"] = func(ec *execCtx, p any, a map[string]any) (any, error) {
		ref, err := ec.resolveRef(repo(p), str(a, "qualifiedName"))
		if ref == nil || err != nil {
			return nil, err
		}
		return ref, nil
	}
	r["Repository.refs"] = func(ec *execCtx, p any, a map[string]any) (any, error) {
		prefix := str(a, "refPrefix")
		refs, err := listRefs(ec.c.ctx, repo(p).Dir, "")
		if err != nil {
			return nil, err
		}
		q := str(a, "query")
		var nodes []any
		for _, rf := range refs {
			if !strings.HasPrefix(rf.Name, prefix) || (q != "" && !strings.Contains(strings.TrimPrefix(rf.Name, prefix), q)) {
				continue
			}
			nodes = append(nodes, &gRef{rr: repo(p), full: rf.Name})
		}
		desc := str(a, "direction") == "DESC"
		if ob, ok := a["orderBy"].(map[string]any); ok {
			desc = ob["direction"] == "DESC"
		}
		if desc {
			for i, j := 0, len(nodes)-1; i < j; i, j = i+1, j-1 {
				nodes[i], nodes[j] = nodes[j], nodes[i]
			}
		}
		return connection("RefConnection", "refs", nodes, a)
	}
	r["Repository.object"] = func(ec *execCtx, p any, a map[string]any) (any, error) {
		expr := str(a, "expression")
		if oid := str(a, "oid"); oid != "" {
			if !hexRe.MatchString(oid) {
				return nil, nil
			}
			expr = strings.ToLower(oid)
		}
		path := ""
		if _, after, ok := strings.Cut(expr, ":"); ok {
			path = strings.Trim(after, "/")
		}
		o, err := ec.object(repo(p), expr, path)
		if o == nil || err != nil {
			return nil, err
		}
		return o, nil
	}
	r["Repository.pullRequest"] = func(ec *execCtx, p any, a map[string]any) (any, error) {
		n, _ := intArg(a, "number")
		if is, ok := ec.s.issueCopy(repo(p), n); ok && is.PR != nil {
			return &gPull{rr: repo(p), is: is}, nil
		}
		return nil, gqlErrorf("NOT_FOUND", "Could not resolve to a PullRequest with the number of %d.", n)
	}
	r["Repository.pullRequests"] = func(ec *execCtx, p any, a map[string]any) (any, error) {
		return ec.pullsConnection(ec.repoPulls(repo(p)), a, "pullRequests")
	}

	// Ref.
	ref := func(p any) *gRef { return p.(*gRef) }
	r["Ref.id"] = func(ec *execCtx, p any, _ map[string]any) (any, error) { return refNodeID(ref(p).rr, ref(p).full), nil }
	r["Ref.name"] = func(ec *execCtx, p any, _ map[string]any) (any, error) {
		_, n := refParts(ref(p).full)
		return n, nil
	}
	r["Ref.prefix"] = func(ec *execCtx, p any, _ map[string]any) (any, error) {
		pre, _ := refParts(ref(p).full)
		return pre, nil
	}
	r["Ref.repository"] = func(ec *execCtx, p any, _ map[string]any) (any, error) { return &gRepo{rr: ref(p).rr}, nil }
	r["Ref.target"] = func(ec *execCtx, p any, _ map[string]any) (any, error) {
		sha, err := refSHA(ec.c.ctx, ref(p).rr.Dir, ref(p).full)
		if err != nil || sha == "" {
			return nil, err
		}
		o, err := ec.object(ref(p).rr, sha, "")
		if o == nil || err != nil {
			return nil, err
		}
		return o, nil
	}
	r["Ref.associatedPullRequests"] = func(ec *execCtx, p any, a map[string]any) (any, error) {
		rf := ref(p)
		prefix, branch := refParts(rf.full)
		var list []*gPull
		if prefix == "refs/heads/" {
			network := ec.s.source(rf.rr).Full()
			var repos []string
			ec.s.read(func(st *state) {
				for full := range st.Repos {
					repos = append(repos, full)
				}
			})
			sort.Strings(repos)
			for _, full := range repos {
				base, ok := ec.s.repoByFull(full)
				if !ok || ec.s.source(base).Full() != network {
					continue
				}
				for _, pl := range ec.repoPulls(base) {
					if strings.EqualFold(pl.is.PR.HeadOwner, rf.rr.Owner) && strings.EqualFold(pl.is.PR.HeadRepo, rf.rr.Name) && pl.is.PR.HeadRef == branch {
						list = append(list, pl)
					}
				}
			}
		}
		return ec.pullsConnection(list, a, "associatedPullRequests")
	}

	// Git objects.
	for _, t := range []string{"Commit", "Tree", "Blob", "Tag"} {
		gitObjectFields(t, r)
	}
	obj := func(p any) *gObj { return p.(*gObj) }
	commit := func(ec *execCtx, p any) (*commitInfo, error) { return readCommit(ec.c.ctx, obj(p).rr.Dir, obj(p).sha) }
	r["Commit.message"] = func(ec *execCtx, p any, _ map[string]any) (any, error) {
		ci, err := commit(ec, p)
		if err != nil {
			return nil, err
		}
		return strings.TrimSuffix(ci.Message, "\n"), nil
	}
	r["Commit.messageHeadline"] = func(ec *execCtx, p any, _ map[string]any) (any, error) {
		ci, err := commit(ec, p)
		if err != nil {
			return nil, err
		}
		h, _, _ := strings.Cut(ci.Message, "\n")
		return h, nil
	}
	r["Commit.messageBody"] = func(ec *execCtx, p any, _ map[string]any) (any, error) {
		ci, err := commit(ec, p)
		if err != nil {
			return nil, err
		}
		_, b, _ := strings.Cut(ci.Message, "\n")
		return strings.TrimSpace(b), nil
	}
	r["Commit.tree"] = func(ec *execCtx, p any, _ map[string]any) (any, error) {
		ci, err := commit(ec, p)
		if err != nil {
			return nil, err
		}
		return &gObj{rr: obj(p).rr, sha: ci.Tree, typ: "tree"}, nil
	}
	r["Commit.treeUrl"] = func(ec *execCtx, p any, _ map[string]any) (any, error) {
		return ec.c.base + "/" + obj(p).rr.Full() + "/tree/" + obj(p).sha, nil
	}
	r["Commit.url"] = func(ec *execCtx, p any, _ map[string]any) (any, error) {
		return ec.c.base + "/" + obj(p).rr.Full() + "/commit/" + obj(p).sha, nil
	}
	r["Commit.resourcePath"] = func(ec *execCtx, p any, _ map[string]any) (any, error) {
		return "/" + obj(p).rr.Full() + "/commit/" + obj(p).sha, nil
	}
	r["Commit.committedDate"] = func(ec *execCtx, p any, _ map[string]any) (any, error) {
		ci, err := commit(ec, p)
		if err != nil {
			return nil, err
		}
		return ts(ci.Committer.When), nil
	}
	r["Commit.authoredDate"] = func(ec *execCtx, p any, _ map[string]any) (any, error) {
		ci, err := commit(ec, p)
		if err != nil {
			return nil, err
		}
		return ts(ci.Author.When), nil
	}
	r["Commit.author"] = func(ec *execCtx, p any, _ map[string]any) (any, error) {
		ci, err := commit(ec, p)
		if err != nil {
			return nil, err
		}
		return &gActor{sig: ci.Author}, nil
	}
	r["Commit.committer"] = func(ec *execCtx, p any, _ map[string]any) (any, error) {
		ci, err := commit(ec, p)
		if err != nil {
			return nil, err
		}
		return &gActor{sig: ci.Committer}, nil
	}
	r["Commit.parents"] = func(ec *execCtx, p any, a map[string]any) (any, error) {
		ci, err := commit(ec, p)
		if err != nil {
			return nil, err
		}
		var nodes []any
		for _, sha := range ci.Parents {
			nodes = append(nodes, &gObj{rr: obj(p).rr, sha: sha, typ: "commit"})
		}
		return connection("CommitConnection", "parents", nodes, a)
	}
	r["Commit.file"] = func(ec *execCtx, p any, a map[string]any) (any, error) {
		path := strings.Trim(str(a, "path"), "/")
		if _, ok := cleanPath(path); !ok {
			return nil, nil
		}
		es, err := lsTree(ec.c.ctx, obj(p).rr.Dir, obj(p).sha, path)
		if err != nil {
			return nil, err
		}
		for _, e := range es {
			if e.Path == path {
				return &gTreeEntry{rr: obj(p).rr, e: e, path: path}, nil
			}
		}
		return nil, nil
	}
	r["Tree.entries"] = func(ec *execCtx, p any, _ map[string]any) (any, error) {
		es, err := lsTree(ec.c.ctx, obj(p).rr.Dir, obj(p).sha)
		if err != nil {
			return nil, err
		}
		out := make([]any, len(es))
		for i, e := range es {
			full := e.Path
			if obj(p).path != "" {
				full = obj(p).path + "/" + e.Path
			}
			out[i] = &gTreeEntry{rr: obj(p).rr, e: e, path: full}
		}
		return out, nil
	}
	entry := func(p any) *gTreeEntry { return p.(*gTreeEntry) }
	r["TreeEntry.name"] = func(ec *execCtx, p any, _ map[string]any) (any, error) { return filepath.Base(entry(p).path), nil }
	r["TreeEntry.path"] = func(ec *execCtx, p any, _ map[string]any) (any, error) { return entry(p).path, nil }
	r["TreeEntry.type"] = func(ec *execCtx, p any, _ map[string]any) (any, error) { return entry(p).e.Type, nil }
	r["TreeEntry.oid"] = func(ec *execCtx, p any, _ map[string]any) (any, error) { return entry(p).e.SHA, nil }
	r["TreeEntry.mode"] = func(ec *execCtx, p any, _ map[string]any) (any, error) {
		m, _ := strconv.ParseInt(entry(p).e.Mode, 8, 64)
		return int(m), nil
	}
	r["TreeEntry.size"] = func(ec *execCtx, p any, _ map[string]any) (any, error) { return int(max(entry(p).e.Size, 0)), nil }
	r["TreeEntry.isGenerated"] = constant(false)
	r["TreeEntry.lineCount"] = func(ec *execCtx, p any, _ map[string]any) (any, error) {
		e := entry(p)
		if e.e.Type != "blob" {
			return nil, nil
		}
		b, err := readObject(ec.c.ctx, e.rr.Dir, "blob", e.e.SHA)
		if err != nil || isBinary(b) {
			return nil, err
		}
		n := bytes.Count(b, []byte("\n"))
		if len(b) > 0 && b[len(b)-1] != '\n' {
			n++
		}
		return n, nil
	}
	r["TreeEntry.extension"] = func(ec *execCtx, p any, _ map[string]any) (any, error) {
		if ext := filepath.Ext(entry(p).path); ext != "" && entry(p).e.Type == "blob" {
			return ext, nil
		}
		return nil, nil
	}
	r["TreeEntry.repository"] = func(ec *execCtx, p any, _ map[string]any) (any, error) { return &gRepo{rr: entry(p).rr}, nil }
	r["TreeEntry.object"] = func(ec *execCtx, p any, _ map[string]any) (any, error) {
		e := entry(p)
		if e.e.Type == "commit" {
			return nil, nil // a submodule's commit is not in this repository
		}
		return &gObj{rr: e.rr, sha: e.e.SHA, typ: e.e.Type, size: max(e.e.Size, 0), path: e.path}, nil
	}
	r["Blob.byteSize"] = func(ec *execCtx, p any, _ map[string]any) (any, error) { return int(obj(p).size), nil }
	r["Blob.text"] = func(ec *execCtx, p any, _ map[string]any) (any, error) {
		b, err := readObject(ec.c.ctx, obj(p).rr.Dir, "blob", obj(p).sha)
		if err != nil || isBinary(b) {
			return nil, err
		}
		if len(b) > blobTextLimit {
			b = b[:blobTextLimit]
		}
		return string(b), nil
	}
	r["Blob.isBinary"] = func(ec *execCtx, p any, _ map[string]any) (any, error) {
		b, err := readObject(ec.c.ctx, obj(p).rr.Dir, "blob", obj(p).sha)
		if err != nil {
			return nil, err
		}
		return isBinary(b), nil
	}
	r["Blob.isTruncated"] = func(ec *execCtx, p any, _ map[string]any) (any, error) { return obj(p).size > blobTextLimit, nil }
	tag := func(ec *execCtx, p any) (*tagInfo, error) { return readTag(ec.c.ctx, obj(p).rr.Dir, obj(p).sha) }
	r["Tag.name"] = func(ec *execCtx, p any, _ map[string]any) (any, error) {
		t, err := tag(ec, p)
		if err != nil {
			return nil, err
		}
		return t.Tag, nil
	}
	r["Tag.message"] = func(ec *execCtx, p any, _ map[string]any) (any, error) {
		t, err := tag(ec, p)
		if err != nil {
			return nil, err
		}
		return strings.TrimSuffix(t.Message, "\n"), nil
	}
	r["Tag.target"] = func(ec *execCtx, p any, _ map[string]any) (any, error) {
		t, err := tag(ec, p)
		if err != nil {
			return nil, err
		}
		o, err := ec.object(obj(p).rr, t.Object, "")
		if o == nil || err != nil {
			return nil, err
		}
		return o, nil
	}
	r["Tag.tagger"] = func(ec *execCtx, p any, _ map[string]any) (any, error) {
		t, err := tag(ec, p)
		if err != nil {
			return nil, err
		}
		return &gActor{sig: t.Tagger}, nil
	}

	// GitActor.
	actor := func(p any) signature { return p.(*gActor).sig }
	r["GitActor.name"] = func(ec *execCtx, p any, _ map[string]any) (any, error) { return actor(p).Name, nil }
	r["GitActor.email"] = func(ec *execCtx, p any, _ map[string]any) (any, error) { return actor(p).Email, nil }
	r["GitActor.date"] = func(ec *execCtx, p any, _ map[string]any) (any, error) { return ts(actor(p).When), nil }
	r["GitActor.avatarUrl"] = func(ec *execCtx, p any, _ map[string]any) (any, error) {
		return ec.c.base + "/avatars/" + actor(p).Email, nil
	}
	r["GitActor.user"] = func(ec *execCtx, p any, _ map[string]any) (any, error) {
		if l := loginFromEmail(actor(p).Email); l != "" {
			return ec.user(l), nil
		}
		return nil, nil
	}

	// PullRequest.
	pl := func(p any) *gPull { return p.(*gPull) }
	pullURL := func(ec *execCtx, p any) string {
		return ec.c.base + "/" + pl(p).rr.Full() + "/pull/" + itoa(pl(p).is.Number)
	}
	r["PullRequest.id"] = func(ec *execCtx, p any, _ map[string]any) (any, error) {
		return pullNodeID(pl(p).rr, pl(p).is.Number), nil
	}
	r["PullRequest.databaseId"] = func(ec *execCtx, p any, _ map[string]any) (any, error) { return int(pl(p).is.PR.ID), nil }
	r["PullRequest.number"] = func(ec *execCtx, p any, _ map[string]any) (any, error) { return pl(p).is.Number, nil }
	r["PullRequest.title"] = func(ec *execCtx, p any, _ map[string]any) (any, error) { return pl(p).is.Title, nil }
	r["PullRequest.body"] = func(ec *execCtx, p any, _ map[string]any) (any, error) { return pl(p).is.Body, nil }
	r["PullRequest.url"] = func(ec *execCtx, p any, _ map[string]any) (any, error) { return pullURL(ec, p), nil }
	r["PullRequest.permalink"] = r["PullRequest.url"]
	r["PullRequest.resourcePath"] = func(ec *execCtx, p any, _ map[string]any) (any, error) {
		return "/" + pl(p).rr.Full() + "/pull/" + itoa(pl(p).is.Number), nil
	}
	r["PullRequest.state"] = func(ec *execCtx, p any, _ map[string]any) (any, error) { return pullState(pl(p).is), nil }
	r["PullRequest.isDraft"] = func(ec *execCtx, p any, _ map[string]any) (any, error) { return pl(p).is.PR.Draft, nil }
	r["PullRequest.closed"] = func(ec *execCtx, p any, _ map[string]any) (any, error) { return pl(p).is.State == "closed", nil }
	r["PullRequest.merged"] = func(ec *execCtx, p any, _ map[string]any) (any, error) { return pl(p).is.PR.Merged, nil }
	r["PullRequest.mergedAt"] = func(ec *execCtx, p any, _ map[string]any) (any, error) { return optTime(pl(p).is.PR.MergedAt), nil }
	r["PullRequest.closedAt"] = func(ec *execCtx, p any, _ map[string]any) (any, error) { return optTime(pl(p).is.ClosedAt), nil }
	r["PullRequest.createdAt"] = func(ec *execCtx, p any, _ map[string]any) (any, error) { return ts(pl(p).is.CreatedAt), nil }
	r["PullRequest.updatedAt"] = func(ec *execCtx, p any, _ map[string]any) (any, error) { return ts(pl(p).is.UpdatedAt), nil }
	r["PullRequest.headRefName"] = func(ec *execCtx, p any, _ map[string]any) (any, error) { return pl(p).is.PR.HeadRef, nil }
	r["PullRequest.baseRefName"] = func(ec *execCtx, p any, _ map[string]any) (any, error) { return pl(p).is.PR.BaseRef, nil }
	r["PullRequest.headRefOid"] = func(ec *execCtx, p any, _ map[string]any) (any, error) {
		h, _ := ec.pullHeads(pl(p))
		return h, nil
	}
	r["PullRequest.baseRefOid"] = func(ec *execCtx, p any, _ map[string]any) (any, error) {
		_, b := ec.pullHeads(pl(p))
		return b, nil
	}
	r["PullRequest.headRepository"] = func(ec *execCtx, p any, _ map[string]any) (any, error) {
		if hr, ok := ec.s.repoRef(pl(p).is.PR.HeadOwner, pl(p).is.PR.HeadRepo); ok {
			return &gRepo{rr: hr}, nil
		}
		return nil, nil
	}
	r["PullRequest.headRepositoryOwner"] = func(ec *execCtx, p any, _ map[string]any) (any, error) { return ec.user(pl(p).is.PR.HeadOwner), nil }
	r["PullRequest.baseRepository"] = func(ec *execCtx, p any, _ map[string]any) (any, error) { return &gRepo{rr: pl(p).rr}, nil }
	r["PullRequest.repository"] = r["PullRequest.baseRepository"]
	r["PullRequest.author"] = func(ec *execCtx, p any, _ map[string]any) (any, error) { return ec.user(pl(p).is.User), nil }
	r["PullRequest.maintainerCanModify"] = func(ec *execCtx, p any, _ map[string]any) (any, error) { return pl(p).is.PR.MaintainerCanModify, nil }
	r["PullRequest.isCrossRepository"] = func(ec *execCtx, p any, _ map[string]any) (any, error) {
		pr := pl(p).is.PR
		return !strings.EqualFold(pr.HeadOwner+"/"+pr.HeadRepo, pl(p).rr.Full()), nil
	}
	r["PullRequest.mergeCommit"] = func(ec *execCtx, p any, _ map[string]any) (any, error) {
		if sha := pl(p).is.PR.MergeCommitSHA; sha != "" {
			return &gObj{rr: pl(p).rr, sha: sha, typ: "commit"}, nil
		}
		return nil, nil
	}
	r["PullRequest.mergeable"] = func(ec *execCtx, p any, _ map[string]any) (any, error) {
		if pl(p).is.State != "open" {
			return "UNKNOWN", nil
		}
		head, base := ec.pullHeads(pl(p))
		hr, ok := ec.s.repoRef(pl(p).is.PR.HeadOwner, pl(p).is.PR.HeadRepo)
		if !ok || head == "" || base == "" {
			return "UNKNOWN", nil
		}
		_, clean, err := mergeTrees(ec.c.ctx, pl(p).rr.Dir, base, head, hr.Dir)
		switch {
		case err != nil:
			return "UNKNOWN", nil
		case clean:
			return "MERGEABLE", nil
		}
		return "CONFLICTING", nil
	}
	r["PullRequest.labels"] = func(ec *execCtx, p any, a map[string]any) (any, error) {
		var nodes []any
		for _, l := range pl(p).is.Labels {
			nodes = append(nodes, &gLabel{rr: pl(p).rr, name: l})
		}
		return connection("LabelConnection", "labels", nodes, a)
	}
	lab := func(p any) *gLabel { return p.(*gLabel) }
	r["Label.id"] = func(ec *execCtx, p any, _ map[string]any) (any, error) {
		return nodeID("LA", lab(p).rr.Full()+":"+lab(p).name), nil
	}
	r["Label.name"] = func(ec *execCtx, p any, _ map[string]any) (any, error) { return lab(p).name, nil }
	r["Label.color"] = constant("ededed")
	r["Label.description"] = constant(nil)
	r["Label.url"] = func(ec *execCtx, p any, _ map[string]any) (any, error) {
		return ec.c.base + "/" + lab(p).rr.Full() + "/labels/" + lab(p).name, nil
	}
	return r
}

// blobTextLimit is where GitHub truncates Blob.text.
const blobTextLimit = 512000

// isBinary uses git's rule: a NUL byte in the first 8000 bytes.
func isBinary(b []byte) bool {
	if len(b) > 8000 {
		b = b[:8000]
	}
	return bytes.IndexByte(b, 0) >= 0
}

// ---------------------------------------------------------------- mutations

func input(a map[string]any) map[string]any {
	m, _ := a["input"].(map[string]any)
	return m
}

func payload(typ string, in map[string]any, vals map[string]any) *gStatic {
	vals["clientMutationId"] = in["clientMutationId"]
	return &gStatic{typ: typ, vals: vals}
}

// forbidden is GitHub's answer to a mutation without the needed access.
func (ec *execCtx) forbidden(mutation string) error {
	return gqlErrorf("FORBIDDEN", "%s does not have the correct permissions to execute `%s`", ec.c.user, mutation)
}

// refWriteGQL maps a ref write error to a GraphQL error.
func (ec *execCtx) refWriteGQL(err error, mutation string) error {
	var re *refWriteError
	if errors.As(err, &re) {
		if re.kind == "FORBIDDEN" {
			return ec.forbidden(mutation)
		}
		return gqlErrorf(re.kind, "%s", re.msg)
	}
	return err
}

// refByID resolves a Ref node id.
func (ec *execCtx) refByID(id string) (*gRef, error) {
	n, err := ec.node(id)
	if err != nil {
		return nil, err
	}
	r, ok := n.(*gRef)
	if !ok {
		return nil, gqlErrorf("NOT_FOUND", "Could not resolve to a node with the global id of '%s'", id)
	}
	return r, nil
}

func mutCreateRef(ec *execCtx, _ any, a map[string]any) (any, error) {
	in := input(a)
	n, err := ec.node(str(in, "repositoryId"))
	if err != nil {
		return nil, err
	}
	repo, ok := n.(*gRepo)
	if !ok {
		return nil, gqlErrorf("NOT_FOUND", "Could not resolve to a node with the global id of '%s'", str(in, "repositoryId"))
	}
	name := str(in, "name")
	if !strings.HasPrefix(name, "refs/") {
		return nil, gqlErrorf("UNPROCESSABLE", "Reference name must be fully qualified (e.g. refs/heads/%s)", name)
	}
	ri, err := ec.s.writeRef(ec.c, repo.rr, name, str(in, "oid"), "create", false)
	if err != nil {
		return nil, ec.refWriteGQL(err, "CreateRef")
	}
	return payload("CreateRefPayload", in, map[string]any{"ref": &gRef{rr: repo.rr, full: ri.Name}}), nil
}

func mutUpdateRef(ec *execCtx, _ any, a map[string]any) (any, error) {
	in := input(a)
	rf, err := ec.refByID(str(in, "refId"))
	if err != nil {
		return nil, err
	}
	force, _ := in["force"].(bool)
	if _, err := ec.s.writeRef(ec.c, rf.rr, rf.full, str(in, "oid"), "update", force); err != nil {
		return nil, ec.refWriteGQL(err, "UpdateRef")
	}
	return payload("UpdateRefPayload", in, map[string]any{"ref": rf}), nil
}

func mutDeleteRef(ec *execCtx, _ any, a map[string]any) (any, error) {
	in := input(a)
	rf, err := ec.refByID(str(in, "refId"))
	if err != nil {
		return nil, err
	}
	if _, err := ec.s.writeRef(ec.c, rf.rr, rf.full, "", "delete", false); err != nil {
		return nil, ec.refWriteGQL(err, "DeleteRef")
	}
	return payload("DeleteRefPayload", in, map[string]any{}), nil
}

// mutCreateCommitOnBranch makes a real commit on a branch: the head's tree
// with the deletions and additions applied, the head as parent, authored by
// the viewer and committed by GitHub; the branch moves only if it still
// points at expectedHeadOid.
func mutCreateCommitOnBranch(ec *execCtx, _ any, a map[string]any) (any, error) {
	in := input(a)
	br, _ := in["branch"].(map[string]any)
	var rr repoRef
	var branch string
	switch {
	case str(br, "id") != "":
		rf, err := ec.refByID(str(br, "id"))
		if err != nil {
			return nil, err
		}
		prefix, name := refParts(rf.full)
		if prefix != "refs/heads/" {
			return nil, gqlErrorf("UNPROCESSABLE", "%s is not a branch", rf.full)
		}
		rr, branch = rf.rr, name
	case str(br, "repositoryNameWithOwner") != "" && str(br, "branchName") != "":
		var ok bool
		if rr, ok = ec.s.repoByFull(str(br, "repositoryNameWithOwner")); !ok {
			return nil, gqlErrorf("NOT_FOUND", "Could not resolve to a Repository with the name '%s'.", str(br, "repositoryNameWithOwner"))
		}
		branch = strings.TrimPrefix(str(br, "branchName"), "refs/heads/")
	default:
		return nil, gqlErrorf("UNPROCESSABLE", "A branch must be given by id or by repositoryNameWithOwner and branchName")
	}
	if !ec.c.acc.canPush(rr.Owner, rr.Name, ec.c.user) {
		return nil, ec.forbidden("CreateCommitOnBranch")
	}
	msg, _ := in["message"].(map[string]any)
	headline := str(msg, "headline")
	if strings.TrimSpace(headline) == "" {
		return nil, gqlErrorf("UNPROCESSABLE", "Commit message headline cannot be blank")
	}
	if strings.ContainsAny(headline, "\r\n") {
		return nil, gqlErrorf("UNPROCESSABLE", "Commit message headline cannot contain line breaks")
	}
	message := headline
	if body := str(msg, "body"); body != "" {
		message += "\n\n" + body
	}
	var changes []treeChange
	if fc, ok := in["fileChanges"].(map[string]any); ok {
		dels, _ := fc["deletions"].([]any)
		for _, d := range dels {
			changes = append(changes, treeChange{Path: str(d.(map[string]any), "path")})
		}
		adds, _ := fc["additions"].([]any)
		for _, x := range adds {
			add := x.(map[string]any)
			content, err := decodeBase64(str(add, "contents"))
			if err != nil {
				return nil, gqlErrorf("UNPROCESSABLE", "The contents of %q are not valid base64: %v", str(add, "path"), err)
			}
			if content == nil {
				content = []byte{}
			}
			changes = append(changes, treeChange{Path: str(add, "path"), Content: content})
		}
	}
	expected := strings.ToLower(str(in, "expectedHeadOid"))
	ref := "refs/heads/" + branch
	defer lockRepo(rr.Dir)()
	head, err := refSHA(ec.c.ctx, rr.Dir, ref)
	if err != nil {
		return nil, err
	}
	if head == "" {
		return nil, gqlErrorf("NOT_FOUND", "A branch named '%s' does not exist in %s.", branch, rr.Full())
	}
	stale := gqlErrorf("STALE_DATA", "Expected branch to point to \"%s\" but it did not. Pull and try again.", str(in, "expectedHeadOid"))
	if expected != head {
		return nil, stale
	}
	tree, err := applyChanges(ec.c.ctx, rr.Dir, head, changes)
	if err != nil {
		var pe *errPath
		if errors.As(err, &pe) {
			return nil, gqlErrorf("UNPROCESSABLE", "%s", pe.msg)
		}
		return nil, err
	}
	sha, err := commitTree(ec.c.ctx, rr.Dir, tree, []string{head}, message, userSignature(ec.c.user), githubCommitter)
	if err != nil {
		return nil, err
	}
	if err := updateRef(ec.c.ctx, rr.Dir, ref, sha, head, "createCommitOnBranch"); err != nil {
		if errors.Is(err, errRefMoved) {
			return nil, stale
		}
		return nil, err
	}
	return payload("CreateCommitOnBranchPayload", in, map[string]any{
		"commit": &gObj{rr: rr, sha: sha, typ: "commit"},
		"ref":    &gRef{rr: rr, full: ref},
	}), nil
}
