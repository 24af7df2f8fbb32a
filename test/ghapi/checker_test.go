package ghapi

import (
	"context"
	"strings"
	"testing"
)

// A small description in GitHub's style, so the checker's own logic is
// tested without fetching GitHub's.
const testOpenAPI = `{
  "openapi": "3.0.3",
  "info": {"title": "t", "version": "1"},
  "paths": {
    "/repos/{owner}/{repo}": {"get": {"operationId": "repos/get",
      "parameters": [{"$ref": "#/components/parameters/owner"}, {"$ref": "#/components/parameters/repo"}],
      "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/repo"}}}},
                    "404": {"$ref": "#/components/responses/not_found"}}}},
    "/repos/{owner}/{repo}/contents/{path}": {"get": {"operationId": "repos/get-content",
      "parameters": [{"$ref": "#/components/parameters/owner"}, {"$ref": "#/components/parameters/repo"},
        {"name": "path", "in": "path", "required": true, "schema": {"type": "string"}},
        {"name": "ref", "in": "query", "schema": {"type": "string"}}],
      "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"type": "object"}}}}}}},
    "/repos/{owner}/{repo}/issues/comments": {"get": {"operationId": "issues/list-comments-for-repo",
      "parameters": [{"$ref": "#/components/parameters/owner"}, {"$ref": "#/components/parameters/repo"},
        {"name": "per_page", "in": "query", "schema": {"type": "integer", "maximum": 100}}],
      "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"type": "array"}}}}}}},
    "/repos/{owner}/{repo}/issues/{issue_number}": {"get": {"operationId": "issues/get",
      "parameters": [{"$ref": "#/components/parameters/owner"}, {"$ref": "#/components/parameters/repo"},
        {"name": "issue_number", "in": "path", "required": true, "schema": {"type": "integer"}}],
      "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"type": "object"}}}}}}},
    "/repos/{owner}/{repo}/issues/{issue_number}/comments": {"post": {"operationId": "issues/create-comment",
      "parameters": [{"$ref": "#/components/parameters/owner"}, {"$ref": "#/components/parameters/repo"},
        {"name": "issue_number", "in": "path", "required": true, "schema": {"type": "integer"}}],
      "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["body"], "properties": {"body": {"type": "string"}}}}}},
      "responses": {"201": {"description": "ok", "content": {"application/json": {"schema": {"type": "object"}}}}}}},
    "/repos/{owner}/{repo}/git/ref/{ref}": {"get": {"operationId": "git/get-ref",
      "parameters": [{"$ref": "#/components/parameters/owner"}, {"$ref": "#/components/parameters/repo"},
        {"name": "ref", "in": "path", "required": true, "schema": {"type": "string"}}],
      "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/git-ref"}}}},
                    "404": {"$ref": "#/components/responses/not_found"}}}},
    "/repos/{owner}/{repo}/git/matching-refs/{ref}": {"get": {"operationId": "git/list-matching-refs",
      "parameters": [{"$ref": "#/components/parameters/owner"}, {"$ref": "#/components/parameters/repo"},
        {"name": "ref", "in": "path", "required": true, "schema": {"type": "string"}}],
      "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/git-ref"}}}}}}}},
    "/repos/{owner}/{repo}/git/refs/{ref}": {"patch": {"operationId": "git/update-ref",
      "parameters": [{"$ref": "#/components/parameters/owner"}, {"$ref": "#/components/parameters/repo"},
        {"name": "ref", "in": "path", "required": true, "schema": {"type": "string"}}],
      "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/git-ref"}}}}}}}
  },
  "components": {
    "parameters": {
      "owner": {"name": "owner", "in": "path", "required": true, "schema": {"type": "string"}},
      "repo": {"name": "repo", "in": "path", "required": true, "schema": {"type": "string"}}
    },
    "schemas": {
      "repo": {"type": "object", "required": ["id", "name"], "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}},
      "git-ref": {"type": "object", "required": ["ref"], "properties": {"ref": {"type": "string"}}},
      "basic-error": {"type": "object", "properties": {"message": {"type": "string"}, "documentation_url": {"type": "string"}}}
    },
    "responses": {
      "not_found": {"description": "Resource not found", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/basic-error"}}}}
    }
  }
}`

const testSDL = `
type Query { repository(owner: String!, name: String!): Repository }
type Mutation { createRef(input: CreateRefInput!): CreateRefPayload }
type Repository { id: ID! name: String! isFork: Boolean! object(expression: String): GitObject }
interface GitObject { oid: String! }
type Blob implements GitObject { oid: String! byteSize: Int! }
type Commit implements GitObject { oid: String! message: String! }
input CreateRefInput { name: String! oid: String! repositoryId: ID! }
type CreateRefPayload { clientMutationId: String }
`

func testChecker(t *testing.T) *Checker {
	t.Helper()
	c, err := New(testSDL, []byte(testOpenAPI))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func problems(c *Checker, ex Exchange) string {
	var out []string
	for _, v := range c.Check(context.Background(), ex) {
		out = append(out, v.Problem)
	}
	return strings.Join(out, "\n")
}

func TestRESTChecks(t *testing.T) {
	c := testChecker(t)
	json := map[string]string{"Content-Type": "application/json; charset=utf-8"}
	for _, tc := range []struct {
		name string
		ex   Exchange
		want string // "" for no violation
	}{
		{"documented", Exchange{Method: "GET", Path: "/repos/o/r", Status: 200, ResponseHeader: json, ResponseBody: `{"id": 1, "name": "r"}`}, ""},
		{"documented error", Exchange{Method: "GET", Path: "/repos/o/r", Status: 404, ResponseHeader: json, ResponseBody: `{"message": "Not Found"}`}, ""},
		{"missing required field", Exchange{Method: "GET", Path: "/repos/o/r", Status: 200, ResponseHeader: json, ResponseBody: `{"id": 1}`},
			`property "name" is missing`},
		{"wrong type", Exchange{Method: "GET", Path: "/repos/o/r", Status: 200, ResponseHeader: json, ResponseBody: `{"id": "1", "name": "r"}`},
			"at /id"},
		{"undocumented status", Exchange{Method: "GET", Path: "/repos/o/r", Status: 409, ResponseHeader: json, ResponseBody: `{"message": "x"}`},
			"status 409 is not documented for repos/get (documented: 200, 404)"},
		{"server error on any operation", Exchange{Method: "GET", Path: "/repos/o/r", Status: 502, ResponseHeader: json, ResponseBody: `{"message": "Bad Gateway"}`}, ""},
		{"secondary rate limit on any operation", Exchange{Method: "GET", Path: "/repos/o/r", Status: 403,
			ResponseHeader: map[string]string{"Content-Type": "application/json", "Retry-After": "60"}, ResponseBody: `{"message": "secondary"}`}, ""},
		{"a 403 that is no rate limit", Exchange{Method: "GET", Path: "/repos/o/r", Status: 403, ResponseHeader: json, ResponseBody: `{"message": "no"}`},
			"status 403 is not documented"},
		{"unknown path", Exchange{Method: "GET", Path: "/nope", Status: 200}, "no documented operation has this path"},
		{"undocumented method", Exchange{Method: "DELETE", Path: "/repos/o/r", Status: 204}, "DELETE is not documented for /repos/{owner}/{repo}"},
		{"file path spans segments", Exchange{Method: "GET", Path: "/repos/o/r/contents/a/b/c.yaml", Query: "ref=main", Status: 200, ResponseHeader: json, ResponseBody: `{}`}, ""},
		{"repo does not span segments", Exchange{Method: "GET", Path: "/repos/o/r/x/y", Status: 200}, "no documented operation"},
		{"literal segment beats a parameter", Exchange{Method: "GET", Path: "/repos/o/r/issues/comments", Query: "per_page=100", Status: 200, ResponseHeader: json, ResponseBody: `[]`}, ""},
		{"query parameter out of range", Exchange{Method: "GET", Path: "/repos/o/r/issues/comments", Query: "per_page=1000", Status: 200, ResponseHeader: json, ResponseBody: `[]`},
			"per_page"},
		{"undocumented query parameter", Exchange{Method: "GET", Path: "/repos/o/r", Query: "foo=1", Status: 200, ResponseHeader: json, ResponseBody: `{"id": 1, "name": "r"}`},
			`query parameter "foo" is not documented for repos/get`},
		{"body without Content-Type is read as JSON", Exchange{Method: "POST", Path: "/repos/o/r/issues/1/comments", RequestBody: `{"body": "hi", "extra": 1}`,
			Status: 201, ResponseHeader: json, ResponseBody: `{}`}, ""},
		{"body lacking a required field", Exchange{Method: "POST", Path: "/repos/o/r/issues/1/comments", RequestBody: `{}`,
			Status: 201, ResponseHeader: json, ResponseBody: `{}`}, `property "body" is missing`},
		{"allowlisted git/refs read, exact ref", Exchange{Method: "GET", Path: "/repos/o/r/git/refs/heads/main", Status: 200, ResponseHeader: json, ResponseBody: `{"ref": "refs/heads/main"}`}, ""},
		{"allowlisted git/refs read, prefix", Exchange{Method: "GET", Path: "/repos/o/r/git/refs/heads/ma", Status: 200, ResponseHeader: json, ResponseBody: `[{"ref": "refs/heads/main"}]`}, ""},
		{"allowlisted git/refs read, missing", Exchange{Method: "GET", Path: "/repos/o/r/git/refs/heads/x", Status: 404, ResponseHeader: json, ResponseBody: `{"message": "Not Found"}`}, ""},
		{"allowlisted git/refs read, bad answer", Exchange{Method: "GET", Path: "/repos/o/r/git/refs/heads/main", Status: 200, ResponseHeader: json, ResponseBody: `{"sha": "x"}`},
			`property "ref" is missing`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := problems(c, tc.ex)
			switch {
			case tc.want == "" && got != "":
				t.Errorf("violations: %s", got)
			case tc.want != "" && !strings.Contains(got, tc.want):
				t.Errorf("violations %q, want one containing %q", got, tc.want)
			}
		})
	}
}

func TestGraphQLChecks(t *testing.T) {
	c := testChecker(t)
	q := func(query, vars, answer string) Exchange {
		return Exchange{Method: "POST", Path: "/graphql", Status: 200,
			RequestBody: `{"query": ` + quote(query) + `, "variables": ` + vars + `}`, ResponseBody: answer}
	}
	repoQuery := `query($o: String!, $n: String!) { repository(owner: $o, name: $n) { id isFork object(expression: "main:a") { ... on Blob { oid } } } }`
	for _, tc := range []struct {
		name string
		ex   Exchange
		want string
	}{
		{"valid", q(repoQuery, `{"o": "o", "n": "r"}`, `{"data": {"repository": {"id": "R_1", "isFork": false, "object": {"oid": "abc"}}}}`), ""},
		{"a commit where a blob was asked", q(repoQuery, `{"o": "o", "n": "r"}`, `{"data": {"repository": {"id": "R_1", "isFork": false, "object": {}}}}`), ""},
		{"null repository with an error", q(repoQuery, `{"o": "o", "n": "r"}`,
			`{"data": {"repository": null}, "errors": [{"type": "NOT_FOUND", "path": ["repository"], "locations": [{"line": 1, "column": 30}], "message": "no"}]}`), ""},
		{"field GitHub lacks", q(`{ repository(owner: "o", name: "r") { planted } }`, `{}`, `{"data": {"repository": {"planted": 1}}}`),
			`Cannot query field "planted" on type "Repository"`},
		{"missing variable", q(repoQuery, `{"o": "o"}`, `{"data": null}`), "variables are not valid"},
		{"wrongly typed variable", q(repoQuery, `{"o": "o", "n": 5}`, `{"data": null}`), "variables are not valid"},
		{"input lacking a required field", q(`mutation($in: CreateRefInput!) { createRef(input: $in) { clientMutationId } }`,
			`{"in": {"name": "refs/heads/x", "repositoryId": "R_1"}}`, `{"data": {"createRef": null}}`), "oid"},
		{"undeclared variable sent", q(repoQuery, `{"o": "o", "n": "r", "x": 1}`, `{"data": {"repository": {"id": "R_1", "isFork": false, "object": null}}}`),
			"variable $x is not declared"},
		{"null for non-null", q(repoQuery, `{"o": "o", "n": "r"}`, `{"data": {"repository": {"id": null, "isFork": false, "object": null}}}`),
			"data.repository.id: null for non-null ID!"},
		{"wrong scalar", q(repoQuery, `{"o": "o", "n": "r"}`, `{"data": {"repository": {"id": "R_1", "isFork": "no", "object": null}}}`),
			"data.repository.isFork: no is not a Boolean"},
		{"missing selected field", q(repoQuery, `{"o": "o", "n": "r"}`, `{"data": {"repository": {"id": "R_1", "object": null}}}`),
			"data.repository.isFork: missing"},
		{"unselected field", q(repoQuery, `{"o": "o", "n": "r"}`, `{"data": {"repository": {"id": "R_1", "isFork": false, "object": null, "name": "r"}}}`),
			"data.repository.name: not selected"},
		{"fits no possible type", q(repoQuery, `{"o": "o", "n": "r"}`, `{"data": {"repository": {"id": "R_1", "isFork": false, "object": {"oid": 5}}}}`),
			"fits no possible type of GitObject"},
		{"errors without message", q(repoQuery, `{"o": "o", "n": "r"}`, `{"data": null, "errors": [{"type": "X"}]}`), "errors[0] has no message"},
		{"not 200", Exchange{Method: "POST", Path: "/graphql", Status: 404, RequestBody: `{}`, ResponseBody: `{}`}, "GitHub answers GraphQL with 200, not 404"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := problems(c, tc.ex)
			switch {
			case tc.want == "" && got != "":
				t.Errorf("violations: %s", got)
			case tc.want != "" && !strings.Contains(got, tc.want):
				t.Errorf("violations %q, want one containing %q", got, tc.want)
			}
		})
	}
}

func quote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}

func TestReportSummary(t *testing.T) {
	c := testChecker(t)
	r := c.CheckAll(context.Background(), []Exchange{
		{Method: "GET", Path: "/repos/o/r", Status: 200, ResponseHeader: map[string]string{"Content-Type": "application/json"}, ResponseBody: `{"id": 1, "name": "r"}`},
		{Method: "GET", Path: "/nope", Status: 200, Source: "x.jsonl:2"},
		{Method: "POST", Path: "/graphql", Status: 200, RequestBody: `{"query": "{ repository(owner: \"o\", name: \"r\") { id } }"}`, ResponseBody: `{"data": {"repository": null}}`},
	})
	if got, want := r.Summary(), "github api check: 3 exchanges checked (2 REST, 1 GraphQL), 1 violations"; got != want {
		t.Errorf("summary %q, want %q", got, want)
	}
	if s := r.Violations[0].String(); !strings.Contains(s, "GET /nope -> 200: request: no documented operation") || !strings.Contains(s, "recorded at x.jsonl:2") {
		t.Errorf("violation reads %q", s)
	}
}
