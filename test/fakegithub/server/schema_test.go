package server

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
	"sigs.k8s.io/promoter/test/ghapi"
)

var githubSchema struct {
	once   sync.Once
	schema *ast.Schema
	err    error
}

// gitHubSchema is GitHub's published GraphQL schema (fetched once per test
// binary); the test skips where the npm registry is out of reach.
func gitHubSchema(t *testing.T) *ast.Schema {
	t.Helper()
	githubSchema.once.Do(func() {
		p, err := ghapi.GraphQLSchema.Path(context.Background())
		if err != nil {
			githubSchema.err = err
			return
		}
		b, err := os.ReadFile(p)
		if err != nil {
			githubSchema.err = err
			return
		}
		githubSchema.schema, githubSchema.err = ghapi.LoadGraphQLSchema("github.graphql", string(b))
	})
	if errors.Is(githubSchema.err, ghapi.ErrUnavailable) {
		t.Skipf("GitHub's GraphQL schema cannot be fetched here: %v", githubSchema.err)
	}
	if githubSchema.err != nil {
		t.Fatal(githubSchema.err)
	}
	return githubSchema.schema
}

// The stand-in's schema.graphql declares nothing GitHub does not: every
// type, field, argument, enum value and nullability is GitHub's.
func TestSchemaIsASubsetOfGitHubs(t *testing.T) {
	full := gitHubSchema(t)
	for _, p := range ghapi.Subset(newSchema().Schema, full) {
		t.Error(p)
	}
}

// A declaration GitHub lacks, or has otherwise, is caught.
func TestSchemaSubsetCatchesPlantedDeviations(t *testing.T) {
	full := gitHubSchema(t)
	planted := strings.NewReplacer(
		"  isFork: Boolean!\n", "  isFork: Boolean\n  plantedField: String\n",
		"enum PullRequestState { OPEN CLOSED MERGED }", "enum PullRequestState { OPEN CLOSED MERGED DRAFT }",
		"  expectedHeadOid: GitObjectID!\n", "",
	).Replace(schemaSDL)
	sub, err := ghapi.LoadGraphQLSchema("planted.graphql", planted)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(ghapi.Subset(sub, full), "\n")
	for _, want := range []string{
		"Repository.plantedField: GitHub has no such field",
		"Repository.isFork: type Boolean, GitHub's is Boolean!",
		"enum PullRequestState: value DRAFT is not GitHub's",
		"input CreateCommitOnBranchInput: leaves out GitHub's required field expectedHeadOid",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("subset check missed %q; it said:\n%s", want, got)
		}
	}
}
