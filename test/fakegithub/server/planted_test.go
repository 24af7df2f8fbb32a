package server

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	githubql "github.com/shurcooL/githubv4"
	"sigs.k8s.io/promoter/test/ghapi"
)

// recordedExchanges runs calls against a recording stand-in and returns
// what it recorded.
func recordedExchanges(t *testing.T, calls func(e *env)) []ghapi.Exchange {
	t.Helper()
	rec := &lockedBuffer{}
	e := newEnvConfig(t, Config{Root: t.TempDir(), Record: rec})
	calls(e)
	exs, err := ghapi.Read(strings.NewReader(string(rec.Bytes())), t.Name())
	if err != nil {
		t.Fatal(err)
	}
	return exs
}

func findExchange(t *testing.T, exs []ghapi.Exchange, method, path string) ghapi.Exchange {
	t.Helper()
	for _, ex := range exs {
		if ex.Method == method && ex.Path == path {
			return ex
		}
	}
	t.Fatalf("no %s %s recorded", method, path)
	return ghapi.Exchange{}
}

// mustFlag checks that the checker finds want in ex.
func mustFlag(t *testing.T, c *ghapi.Checker, what string, ex ghapi.Exchange, want string) {
	t.Helper()
	var got []string
	for _, v := range c.Check(context.Background(), ex) {
		got = append(got, v.Problem)
	}
	if !strings.Contains(strings.Join(got, "\n"), want) {
		t.Errorf("planted %s: the check said %q, want a violation containing %q", what, got, want)
	}
}

// A deviation planted into what the stand-in answered is caught: a status
// GitHub does not document, a required field left out, a value of the
// wrong type.
func TestCheckCatchesPlantedRESTDeviations(t *testing.T) {
	c := gitHubChecker(t)
	if c == nil {
		t.Skip("GitHub's API descriptions cannot be fetched here")
	}
	exs := recordedExchanges(t, func(e *env) {
		e.initRepo("o", "r", map[string]string{"a": "1"})
		if _, err := e.gh.GetRepo("o", "r"); err != nil {
			t.Fatal(err)
		}
	})
	repo := findExchange(t, exs, "GET", "/repos/o/r")
	if vs := c.Check(context.Background(), repo); len(vs) != 0 {
		t.Fatalf("the stand-in's own answer is flagged: %v", vs)
	}

	wrongStatus := repo
	wrongStatus.Status = 400
	mustFlag(t, c, "wrong status", wrongStatus, "status 400 is not documented for repos/get")

	var body map[string]any
	if err := json.Unmarshal([]byte(repo.ResponseBody), &body); err != nil {
		t.Fatal(err)
	}
	delete(body, "node_id")
	missing := repo
	missing.ResponseBody = mustJSON(t, body)
	mustFlag(t, c, "missing required field", missing, `property "node_id" is missing`)

	body["node_id"] = 42
	wrongType := repo
	wrongType.ResponseBody = mustJSON(t, body)
	mustFlag(t, c, "wrongly typed field", wrongType, "/node_id")
}

// A GraphQL field GitHub lacks, planted into the stand-in's schema with a
// resolver, is served by the stand-in to a client that asks for it, and
// the check flags that exchange: GitHub would have refused the document.
func TestCheckCatchesPlantedGraphQLField(t *testing.T) {
	c := gitHubChecker(t)
	if c == nil {
		t.Skip("GitHub's API descriptions cannot be fetched here")
	}
	exs := recordedExchanges(t, func(e *env) {
		e.initRepo("o", "r", map[string]string{"a": "1"})
		e.srv.schema = plantedSchema(t, "  isFork: Boolean!\n", "  isFork: Boolean!\n  plantedField: String\n",
			"Repository.plantedField", func(*execCtx, any, map[string]any) (any, error) { return "planted", nil })
		var q struct {
			Repository struct {
				PlantedField githubql.String
			} `graphql:"repository(owner: \"o\", name: \"r\")"`
		}
		if err := e.gh.QueryWithGitHubAppsSupport(context.Background(), &q, nil, "o"); err != nil || q.Repository.PlantedField != "planted" {
			t.Fatalf("the planted field was not served: %v, %q", err, q.Repository.PlantedField)
		}
	})
	mustFlag(t, c, "GraphQL field", findExchange(t, exs, "POST", "/graphql"),
		`document is not valid for GitHub's schema: Cannot query field "plantedField" on type "Repository"`)
}

// A GraphQL answer that breaks GitHub's types is caught: null for a
// non-null field, a field nobody selected.
func TestCheckCatchesPlantedGraphQLAnswers(t *testing.T) {
	c := gitHubChecker(t)
	if c == nil {
		t.Skip("GitHub's API descriptions cannot be fetched here")
	}
	exs := recordedExchanges(t, func(e *env) {
		e.initRepo("o", "r", map[string]string{"a": "1"})
		queryBranch(t, e.gh, "o", "r", "main")
	})
	ex := findExchange(t, exs, "POST", "/graphql")
	if vs := c.Check(context.Background(), ex); len(vs) != 0 {
		t.Fatalf("the stand-in's own answer is flagged: %v", vs)
	}
	nullID := ex
	nullID.ResponseBody = strings.Replace(ex.ResponseBody, `"id":"`+nodeID("R", "o/r")+`"`, `"id":null`, 1)
	mustFlag(t, c, "null for a non-null field", nullID, "data.repository.id: null for non-null ID!")
	extra := ex
	extra.ResponseBody = strings.Replace(ex.ResponseBody, `{"repository":{`, `{"repository":{"isFork":false,`, 1)
	mustFlag(t, c, "unselected field", extra, "data.repository.isFork: not selected")
}

// plantedSchema is the stand-in's schema with old replaced by new in the
// SDL and a resolver for the planted field.
func plantedSchema(t *testing.T, old, new, field string, r resolver) *gqlSchema {
	t.Helper()
	if !strings.Contains(schemaSDL, old) {
		t.Fatalf("schema.graphql has no %q", old)
	}
	saved := schemaSDL
	schemaSDL = strings.Replace(schemaSDL, old, new, 1)
	defer func() { schemaSDL = saved }()
	sc := newSchemaWith(map[string]resolver{field: r})
	return sc
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
