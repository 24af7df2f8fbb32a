package server

import (
	"encoding/json"
	"strings"
	"testing"
)

// The answer follows the selection: aliases, fragments, more or fewer
// fields, null for a missing ref, in GitHub's shape.
func TestGraphQLShapes(t *testing.T) {
	e := newEnv(t)
	head := e.initRepo("o", "r", map[string]string{"a.txt": "hello\n", "dir/b.go": "package b\n"})
	tree := e.gitOut("o", "r", "rev-parse", "main^{tree}")
	q := `query($owner: String!, $name: String!) {
  viewer { login }
  r: repository(owner: $owner, name: $name) {
    id nameWithOwner isFork
    defaultBranchRef { name prefix target { oid ... on Commit { message tree { oid } } } }
    missing: ref(qualifiedName: "refs/heads/missing") { id }
    short: ref(qualifiedName: "main") { name }
    blob: object(expression: "main:a.txt") { __typename ... on Blob { text byteSize isTruncated isBinary } ... on Commit { oid } }
    dir: object(expression: "main:dir") { ... on Tree { entries { name path type mode extension } } }
    ...More
  }
}
fragment More on Repository { owner { login ... on User { isViewer } } }`
	resp := e.graphql("t", q, map[string]any{"owner": "o", "name": "r"})
	if len(errorMessages(resp)) > 0 {
		t.Fatalf("errors: %v", resp["errors"])
	}
	want := `{"data":{"viewer":{"login":"promoter-bot"},"r":{"id":"` + nodeID("R", "o/r") + `","nameWithOwner":"o/r","isFork":false,` +
		`"defaultBranchRef":{"name":"main","prefix":"refs/heads/","target":{"oid":"` + head + `","message":"Initial commit","tree":{"oid":"` + tree + `"}}},` +
		`"missing":null,"short":{"name":"main"},` +
		`"blob":{"__typename":"Blob","text":"hello\n","byteSize":6,"isTruncated":false,"isBinary":false},` +
		`"dir":{"entries":[{"name":"b.go","path":"dir/b.go","type":"blob","mode":33188,"extension":".go"}]},` +
		`"owner":{"login":"o","isViewer":false}}}}`
	_, _, raw := e.do("POST", "/graphql", "t", map[string]any{"query": q, "variables": map[string]any{"owner": "o", "name": "r"}})
	if strings.TrimSpace(string(raw)) != want {
		t.Errorf("answer:\n got %s\nwant %s", raw, want)
	}

	// Directives, __typename, node ids that resolve.
	resp = e.graphql("t", `query($yes: Boolean!) { repository(owner: "o", name: "r") { id @include(if: $yes) name @skip(if: $yes) __typename } }`, map[string]any{"yes": true})
	if got := path(resp, "data", "repository"); got == nil || path(got, "id") == nil || path(got, "name") != nil || path(got, "__typename") != "Repository" {
		t.Errorf("directives: %v", resp)
	}
	refID := refNodeID(repoRef{Owner: "o", Name: "r"}, "refs/heads/main")
	resp = e.graphql("t", `query($a: ID!, $b: ID!) { a: node(id: $a) { id ... on Repository { name } } b: node(id: $b) { ... on Ref { name target { oid } } } }`,
		map[string]any{"a": nodeID("R", "o/r"), "b": refID})
	if path(resp, "data", "a", "name") != "r" || path(resp, "data", "b", "target", "oid") != head {
		t.Errorf("node lookups: %v", resp)
	}
}

func TestGraphQLErrors(t *testing.T) {
	e := newEnv(t)
	head := e.initRepo("o", "r", map[string]string{"a": "1"})

	resp := e.graphql("t", `{ repository(owner: "o", name: "r") { foo } }`, nil)
	if _, has := resp["data"]; has || len(errorMessages(resp)) != 1 || errorMessages(resp)[0] != "Field 'foo' doesn't exist on type 'Repository'" {
		t.Errorf("unknown field: %v", resp)
	}
	resp = e.graphql("t", `{ repository(owner: "o", name: "r") { ref(qualifiedName: "main") } }`, nil)
	if msgs := errorMessages(resp); len(msgs) != 1 || !strings.HasPrefix(msgs[0], "Field must have selections") {
		t.Errorf("object without selection: %v", resp)
	}
	resp = e.graphql("t", `{ repository(owner: "o") { id } }`, nil)
	if msgs := errorMessages(resp); len(msgs) != 1 || msgs[0] != "Field 'repository' is missing required arguments: name" {
		t.Errorf("missing argument: %v", resp)
	}
	resp = e.graphql("t", `{ viewer { login }`, nil)
	if msgs := errorMessages(resp); len(msgs) != 1 || !strings.HasPrefix(msgs[0], "Parse error") {
		t.Errorf("parse error: %v", resp)
	}
	resp = e.graphql("t", `query($o: String!) { repository(owner: $o, name: "r") { id } }`, nil)
	if msgs := errorMessages(resp); len(msgs) != 1 || msgs[0] != "Variable $o of type String! was provided invalid value" {
		t.Errorf("missing variable: %v", resp)
	}
	resp = e.graphql("t", `query($o: Int) { repository(owner: $o, name: "r") { id } }`, nil)
	if msgs := errorMessages(resp); len(msgs) != 1 || !strings.Contains(msgs[0], "Type mismatch on variable $o") {
		t.Errorf("variable type mismatch: %v", resp)
	}
	resp = e.graphql("t", `{ repository(owner: "o", name: "nope") { id } }`, nil)
	if path(resp, "data", "repository") != nil || path(resp, "errors", 0, "type") != "NOT_FOUND" ||
		errorMessages(resp)[0] != "Could not resolve to a Repository with the name 'o/nope'." {
		t.Errorf("missing repository: %v", resp)
	}
	data, has := resp["data"].(map[string]any)
	if !has || len(data) != 1 {
		t.Errorf("missing repository: data = %v, want {repository: null}", resp["data"])
	}

	// Mutation errors: null payload, typed error with a path.
	resp = e.graphql("t", `mutation { createRef(input: {repositoryId: "`+nodeID("R", "o/r")+`", name: "refs/heads/x", oid: "`+head+`"}) { ref { name } } }`, nil)
	if path(resp, "data", "createRef") != nil || path(resp, "errors", 0, "type") != "FORBIDDEN" {
		t.Errorf("createRef without push access: %v", resp)
	}
	e.writeAccess("tokens: {owner-token: o}\n")
	resp = e.graphql("owner-token", `mutation { createRef(input: {repositoryId: "`+nodeID("R", "o/r")+`", name: "refs/heads/x", oid: "`+head+`"}) { ref { name prefix target { oid } } } }`, nil)
	if path(resp, "data", "createRef", "ref", "name") != "x" || path(resp, "data", "createRef", "ref", "target", "oid") != head {
		t.Errorf("createRef by the owner: %v", resp)
	}
	missing := strings.Repeat("1", 40)
	_, _, raw := e.do("POST", "/graphql", "owner-token", map[string]any{"query": `mutation($in: CreateRefInput!) { createRef(input: $in) { ref { id } } }`,
		"variables": map[string]any{"in": map[string]any{"repositoryId": nodeID("R", "o/r"), "name": "refs/heads/y", "oid": missing}}})
	var got map[string]any
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(raw), `{"data":{"createRef":null},"errors":[{"type":"UNPROCESSABLE","path":["createRef"]`) ||
		!strings.Contains(errorMessages(got)[0], "Could not resolve to a Git object") {
		t.Errorf("createRef to a missing object: %s", raw)
	}
	resp = e.graphql("owner-token", `mutation($in: CreateRefInput!) { createRef(input: $in) { ref { id } } }`,
		map[string]any{"in": map[string]any{"repositoryId": nodeID("R", "o/r"), "name": "refs/heads/y"}})
	if msgs := errorMessages(resp); len(msgs) != 1 || msgs[0] != "Variable $in of type CreateRefInput! was provided invalid value for oid (Expected value to not be null)" {
		t.Errorf("input without oid: %v", resp)
	}
	resp = e.graphql("owner-token", `mutation($in: CreateCommitOnBranchInput!) { createCommitOnBranch(input: $in) { commit { oid } } }`,
		map[string]any{"in": map[string]any{"branch": map[string]any{"repositoryNameWithOwner": "o/r", "branchName": "main"}, "message": map[string]any{"headline": "h"},
			"fileChanges": map[string]any{"additions": []any{map[string]any{"path": "f", "contents": "not base64!"}}}, "expectedHeadOid": head}})
	if msgs := errorMessages(resp); len(msgs) != 1 || !strings.Contains(msgs[0], "base64") {
		t.Errorf("bad base64: %v", resp)
	}
	resp = e.graphql("owner-token", `mutation($in: CreateCommitOnBranchInput!) { createCommitOnBranch(input: $in) { commit { oid } } }`,
		map[string]any{"in": map[string]any{"branch": map[string]any{"repositoryNameWithOwner": "o/r", "branchName": "nope"}, "message": map[string]any{"headline": "h"}, "expectedHeadOid": head}})
	if msgs := errorMessages(resp); len(msgs) != 1 || path(resp, "data", "createCommitOnBranch") != nil {
		t.Errorf("commit on a missing branch: %v", resp)
	}
	if e.gitOut("o", "r", "rev-parse", "main") != head {
		t.Error("a failed mutation moved main")
	}

	// No token: 401 like GitHub.
	if code, _, _ := e.do("POST", "/graphql", "", map[string]any{"query": "{viewer{login}}"}); code != 401 {
		t.Errorf("anonymous GraphQL: %d, want 401", code)
	}
}

func TestGraphQLConnectionsAndBlobs(t *testing.T) {
	e := newEnv(t)
	big := strings.Repeat("x", blobTextLimit+10)
	e.initRepo("o", "r", map[string]string{"big": big})
	for _, b := range []string{"a", "b", "c"} {
		if _, err := Branch(e.root, "o", "r", "b-"+b, "main"); err != nil {
			t.Fatal(err)
		}
	}
	resp := e.graphql("t", `{ repository(owner: "o", name: "r") { refs(refPrefix: "refs/heads/", first: 2) { totalCount nodes { name } pageInfo { hasNextPage endCursor } } } }`, nil)
	refs := path(resp, "data", "repository", "refs")
	if path(refs, "totalCount") != float64(4) || path(refs, "nodes", 0, "name") != "b-a" || path(refs, "pageInfo", "hasNextPage") != true {
		t.Fatalf("refs page 1: %v", resp)
	}
	resp = e.graphql("t", `query($after: String) { repository(owner: "o", name: "r") { refs(refPrefix: "refs/heads/", first: 5, after: $after) { nodes { name } pageInfo { hasNextPage } } } }`,
		map[string]any{"after": path(refs, "pageInfo", "endCursor")})
	if names := path(resp, "data", "repository", "refs", "nodes"); len(names.([]any)) != 2 || path(names, 1, "name") != "main" {
		t.Errorf("refs page 2: %v", resp)
	}
	resp = e.graphql("t", `{ repository(owner: "o", name: "r") { refs(refPrefix: "refs/heads/") { totalCount } } }`, nil)
	if msgs := errorMessages(resp); len(msgs) != 1 || !strings.Contains(msgs[0], "You must provide a `first` or `last` value") {
		t.Errorf("connection without first: %v", resp)
	}
	resp = e.graphql("t", `{ repository(owner: "o", name: "r") { object(expression: "main:big") { ... on Blob { byteSize isTruncated text } } } }`, nil)
	blob := path(resp, "data", "repository", "object")
	if path(blob, "isTruncated") != true || len(path(blob, "text").(string)) != blobTextLimit || path(blob, "byteSize") != float64(len(big)) {
		t.Errorf("big blob: truncated %v, %d chars", path(blob, "isTruncated"), len(path(blob, "text").(string)))
	}
}

// The four documents Prow's client sends for promoter, verbatim.
func TestPromoterDocumentsVerbatim(t *testing.T) {
	e := newEnv(t)
	head := e.initRepo("o", "r", map[string]string{"a": "1"})
	e.writeAccess("tokens: {owner-token: o}\n")

	resp := e.graphql("owner-token", `query($name:String!$owner:String!$ref:String!){repository(owner: $owner, name: $name){id,ref(qualifiedName: $ref){id,target{oid}}}}`,
		map[string]any{"name": "r", "owner": "o", "ref": "refs/heads/b"})
	if path(resp, "data", "repository", "id") != nodeID("R", "o/r") || path(resp, "data", "repository", "ref") != nil {
		t.Fatalf("query for a missing branch: %v", resp)
	}
	resp = e.graphql("owner-token", `mutation($input:CreateRefInput!){createRef(input: $input){ref{id}}}`,
		map[string]any{"input": map[string]any{"repositoryId": nodeID("R", "o/r"), "name": "refs/heads/b", "oid": head}})
	refID, _ := path(resp, "data", "createRef", "ref", "id").(string)
	if refID != refNodeID(repoRef{Owner: "o", Name: "r"}, "refs/heads/b") {
		t.Fatalf("createRef: %v", resp)
	}
	resp = e.graphql("owner-token", `mutation($input:CreateCommitOnBranchInput!){createCommitOnBranch(input: $input){commit{oid,url}}}`,
		map[string]any{"input": map[string]any{"branch": map[string]any{"repositoryNameWithOwner": "o/r", "branchName": "b"},
			"message":         map[string]any{"headline": "h", "body": "..."},
			"fileChanges":     map[string]any{"additions": []any{map[string]any{"path": "p", "contents": "aGk="}}, "deletions": []any{map[string]any{"path": "a"}}},
			"expectedHeadOid": head}})
	oid, _ := path(resp, "data", "createCommitOnBranch", "commit", "oid").(string)
	if len(oid) != 40 || path(resp, "data", "createCommitOnBranch", "commit", "url") != e.ts.URL+"/o/r/commit/"+oid {
		t.Fatalf("createCommitOnBranch: %v", resp)
	}
	if got := e.gitOut("o", "r", "ls-tree", "-r", "--name-only", "b"); got != "p" {
		t.Errorf("tree after the commit = %q, want just p", got)
	}
	resp = e.graphql("owner-token", `mutation($input:UpdateRefInput!){updateRef(input: $input){ref{id}}}`,
		map[string]any{"input": map[string]any{"refId": refID, "oid": head, "force": true}})
	if path(resp, "data", "updateRef", "ref", "id") != refID || e.gitOut("o", "r", "rev-parse", "b") != head {
		t.Errorf("updateRef: %v", resp)
	}
}
