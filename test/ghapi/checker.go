package ghapi

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
)

// Checker holds GitHub's API descriptions and judges exchanges by them.
type Checker struct {
	schema *ast.Schema
	rest   *restIndex
}

// Load fetches (or finds in the cache) the pinned descriptions and loads
// them. An error wrapping ErrUnavailable means they could not be had here.
func Load(ctx context.Context) (*Checker, error) {
	gp, err := GraphQLSchema.Path(ctx)
	if err != nil {
		return nil, err
	}
	rp, err := RESTDescription.Path(ctx)
	if err != nil {
		return nil, err
	}
	sdl, err := os.ReadFile(gp)
	if err != nil {
		return nil, err
	}
	rest, err := os.ReadFile(rp)
	if err != nil {
		return nil, err
	}
	return New(string(sdl), rest)
}

// New makes a Checker from a GraphQL SDL and an OpenAPI 3.0 JSON document.
func New(sdl string, openapi []byte) (*Checker, error) {
	schema, err := LoadGraphQLSchema("github.graphql", sdl)
	if err != nil {
		return nil, fmt.Errorf("GitHub's GraphQL schema: %w", err)
	}
	desc, err := parseDescription(openapi)
	if err != nil {
		return nil, fmt.Errorf("GitHub's OpenAPI description: %w", err)
	}
	rest, err := newRESTIndex(desc)
	if err != nil {
		return nil, fmt.Errorf("GitHub's OpenAPI description: %w", err)
	}
	return &Checker{schema: schema, rest: rest}, nil
}

// Schema is GitHub's GraphQL schema.
func (c *Checker) Schema() *ast.Schema { return c.schema }

// Violation is one way an exchange departs from GitHub's description.
type Violation struct {
	Exchange Exchange
	Problem  string
}

func (v Violation) String() string {
	ex := v.Exchange
	var b strings.Builder
	fmt.Fprintf(&b, "%s -> %d: %s\n", ex.Request(), ex.Status, v.Problem)
	if ex.RequestBody != "" {
		fmt.Fprintf(&b, "    request body: %s\n", clip(ex.RequestBody, 400))
	}
	fmt.Fprintf(&b, "    answer: %s\n", clip(ex.ResponseBody, 400))
	fmt.Fprintf(&b, "    recorded at %s", ex.Source)
	return b.String()
}

func clip(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// Check judges one exchange.
func (c *Checker) Check(ctx context.Context, ex Exchange) []Violation {
	var problems []string
	if ex.IsGraphQL() {
		problems = c.checkGraphQL(ex)
	} else {
		problems = c.rest.check(ctx, ex)
	}
	out := make([]Violation, len(problems))
	for i, p := range problems {
		out[i] = Violation{Exchange: ex, Problem: p}
	}
	return out
}

// Report is the outcome of checking many exchanges.
type Report struct {
	REST, GraphQL int
	Violations    []Violation
}

// Summary is the report's count line.
func (r Report) Summary() string {
	return fmt.Sprintf("github api check: %d exchanges checked (%d REST, %d GraphQL), %d violations",
		r.REST+r.GraphQL, r.REST, r.GraphQL, len(r.Violations))
}

// CheckAll judges every exchange.
func (c *Checker) CheckAll(ctx context.Context, exs []Exchange) Report {
	var r Report
	if err := c.rest.preload(exs); err != nil {
		r.Violations = append(r.Violations, Violation{Problem: "loading GitHub's OpenAPI description: " + err.Error()})
	}
	for _, ex := range exs {
		if ex.IsGraphQL() {
			r.GraphQL++
		} else {
			r.REST++
		}
		r.Violations = append(r.Violations, c.Check(ctx, ex)...)
	}
	return r
}
