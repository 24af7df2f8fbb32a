package ghapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
)

// graphQLRequest is the body of POST /graphql.
type graphQLRequest struct {
	Query         string         `json:"query"`
	OperationName string         `json:"operationName"`
	Variables     map[string]any `json:"variables"`
}

// checkGraphQL judges a GraphQL exchange: the document and its variables
// must be valid for GitHub's schema, and the answer's data must have the
// shape and types the schema gives the selection (GitHub answers GraphQL
// with 200, errors included).
func (c *Checker) checkGraphQL(ex Exchange) []string {
	if ex.Status != 200 {
		if genericStatus(ex.Status, ex.ResponseHeader) {
			return nil
		}
		return []string{fmt.Sprintf("answer: GitHub answers GraphQL with 200, not %d", ex.Status)}
	}
	var req graphQLRequest
	if err := json.Unmarshal([]byte(ex.RequestBody), &req); err != nil {
		return []string{"request: body is not a GraphQL request: " + err.Error()}
	}
	doc, op, vars, problems := c.validateRequest(req)
	answer, err := decodeJSON(ex.ResponseBody)
	if err != nil {
		return append(problems, "answer: not JSON: "+err.Error())
	}
	m, ok := answer.(map[string]any)
	if !ok {
		return append(problems, "answer: not a JSON object")
	}
	problems = append(problems, checkErrors(m)...)
	if data, has := m["data"]; has && data != nil && op != nil {
		root := c.schema.Query
		if op.Operation == ast.Mutation {
			root = c.schema.Mutation
		}
		rc := &resultCheck{schema: c.schema, doc: doc, vars: vars}
		rc.object(root, op.SelectionSet, data, "data")
		problems = append(problems, rc.problems...)
	}
	if _, has := m["data"]; !has && len(problems) == 0 {
		if _, hasErr := m["errors"]; !hasErr {
			problems = append(problems, "answer: neither data nor errors")
		}
	}
	return problems
}

// validateRequest parses and validates the document and variables.
func (c *Checker) validateRequest(req graphQLRequest) (*ast.QueryDocument, *ast.OperationDefinition, map[string]any, []string) {
	doc, err := parser.ParseQuery(&ast.Source{Name: "request", Input: req.Query})
	if err != nil {
		return nil, nil, nil, []string{"request: document does not parse: " + err.Error()}
	}
	var problems []string
	for _, e := range validator.ValidateWithRules(c.schema, doc, nil) {
		problems = append(problems, "request: document is not valid for GitHub's schema: "+e.Message)
	}
	if len(problems) > 0 {
		return nil, nil, nil, problems
	}
	op := doc.Operations.ForName(req.OperationName)
	if op == nil {
		return nil, nil, nil, []string{fmt.Sprintf("request: no operation named %q", req.OperationName)}
	}
	vars, gerr := validator.VariableValues(c.schema, op, req.Variables)
	if gerr != nil {
		return nil, nil, nil, []string{"request: variables are not valid for GitHub's schema: " + gerr.Error()}
	}
	for _, name := range sortedKeys(req.Variables) {
		if op.VariableDefinitions.ForName(name) == nil {
			problems = append(problems, fmt.Sprintf("request: variable $%s is not declared by the operation", name))
		}
	}
	return doc, op, vars, problems
}

// checkErrors checks the errors list's shape.
func checkErrors(m map[string]any) []string {
	raw, has := m["errors"]
	if !has {
		return nil
	}
	list, ok := raw.([]any)
	if !ok || len(list) == 0 {
		return []string{"answer: errors is not a non-empty list"}
	}
	var out []string
	for i, e := range list {
		em, ok := e.(map[string]any)
		if !ok {
			out = append(out, fmt.Sprintf("answer: errors[%d] is not an object", i))
			continue
		}
		if _, ok := em["message"].(string); !ok {
			out = append(out, fmt.Sprintf("answer: errors[%d] has no message", i))
		}
		if p, has := em["path"]; has {
			if _, ok := p.([]any); !ok {
				out = append(out, fmt.Sprintf("answer: errors[%d].path is not a list", i))
			}
		}
		if l, has := em["locations"]; has {
			locs, ok := l.([]any)
			for _, loc := range locs {
				lm, isObj := loc.(map[string]any)
				_, line := lm["line"].(float64)
				_, col := lm["column"].(float64)
				ok = ok && isObj && line && col
			}
			if !ok {
				out = append(out, fmt.Sprintf("answer: errors[%d].locations are not {line, column}", i))
			}
		}
	}
	return out
}

// resultCheck walks an answer's data along the selection, with the types
// of GitHub's schema.
type resultCheck struct {
	schema   *ast.Schema
	doc      *ast.QueryDocument
	vars     map[string]any
	problems []string
}

func (rc *resultCheck) fail(path, format string, args ...any) {
	rc.problems = append(rc.problems, fmt.Sprintf("answer: %s: %s", path, fmt.Sprintf(format, args...)))
}

// value checks v against type t; fields are the selections merged for
// it (empty for leaves).
func (rc *resultCheck) value(t *ast.Type, sel ast.SelectionSet, v any, path string) {
	if v == nil {
		if t.NonNull {
			rc.fail(path, "null for non-null %s", t)
		}
		return
	}
	if t.Elem != nil {
		list, ok := v.([]any)
		if !ok {
			rc.fail(path, "%s is not a list", t)
			return
		}
		for i, it := range list {
			rc.value(t.Elem, sel, it, fmt.Sprintf("%s[%d]", path, i))
		}
		return
	}
	def := rc.schema.Types[t.NamedType]
	if def == nil {
		rc.fail(path, "unknown type %s", t.NamedType)
		return
	}
	switch def.Kind {
	case ast.Scalar:
		if p := scalarProblem(def.Name, v); p != "" {
			rc.fail(path, "%s", p)
		}
	case ast.Enum:
		s, _ := v.(string)
		if def.EnumValues.ForName(s) == nil {
			rc.fail(path, "%v is not a value of enum %s", v, def.Name)
		}
	case ast.Object:
		rc.object(def, sel, v, path)
	case ast.Interface, ast.Union:
		rc.abstract(def, sel, v, path)
	}
}

// abstract checks an interface or union value: as the type its __typename
// names, else as whichever possible type it fits.
func (rc *resultCheck) abstract(def *ast.Definition, sel ast.SelectionSet, v any, path string) {
	possible := rc.schema.GetPossibleTypes(def)
	if m, ok := v.(map[string]any); ok {
		if tn, ok := m["__typename"].(string); ok {
			for _, p := range possible {
				if p.Name == tn {
					rc.object(p, sel, v, path)
					return
				}
			}
			rc.fail(path, "__typename %s is not a possible type of %s", tn, def.Name)
			return
		}
	}
	var best []string
	for i, p := range possible {
		try := &resultCheck{schema: rc.schema, doc: rc.doc, vars: rc.vars}
		try.object(p, sel, v, path)
		if len(try.problems) == 0 {
			return
		}
		if i == 0 || len(try.problems) < len(best) {
			best = try.problems
		}
	}
	rc.fail(path, "fits no possible type of %s (closest: %s)", def.Name, strings.Join(best, "; "))
}

func (rc *resultCheck) object(def *ast.Definition, sel ast.SelectionSet, v any, path string) {
	m, ok := v.(map[string]any)
	if !ok {
		rc.fail(path, "%s is not an object", def.Name)
		return
	}
	fields := rc.collect(def, sel, nil, map[string]bool{})
	want := map[string]bool{}
	for _, g := range fields {
		want[g.key] = true
		got, has := m[g.key]
		p := path + "." + g.key
		if !has {
			rc.fail(p, "missing (selected on %s)", def.Name)
			continue
		}
		f := g.fields[0]
		if f.Name == "__typename" {
			if got != def.Name {
				rc.fail(p, "%v, want %s", got, def.Name)
			}
			continue
		}
		fd := def.Fields.ForName(f.Name)
		if fd == nil {
			rc.fail(p, "%s has no field %s", def.Name, f.Name)
			continue
		}
		var sub ast.SelectionSet
		for _, x := range g.fields {
			sub = append(sub, x.SelectionSet...)
		}
		rc.value(fd.Type, sub, got, p)
	}
	for _, k := range sortedKeys(m) {
		if !want[k] {
			rc.fail(path+"."+k, "not selected")
		}
	}
}

type fieldGroup struct {
	key    string
	fields []*ast.Field
}

// collect groups the fields selected on an object of type def by response
// key (the specification's CollectFields).
func (rc *resultCheck) collect(def *ast.Definition, sel ast.SelectionSet, groups []*fieldGroup, visited map[string]bool) []*fieldGroup {
	for _, s := range sel {
		switch x := s.(type) {
		case *ast.Field:
			if rc.skipped(x.Directives) {
				continue
			}
			key := x.Alias
			if key == "" {
				key = x.Name
			}
			found := false
			for _, g := range groups {
				if g.key == key {
					g.fields = append(g.fields, x)
					found = true
				}
			}
			if !found {
				groups = append(groups, &fieldGroup{key: key, fields: []*ast.Field{x}})
			}
		case *ast.InlineFragment:
			if rc.skipped(x.Directives) || !rc.applies(def, x.TypeCondition) {
				continue
			}
			groups = rc.collect(def, x.SelectionSet, groups, visited)
		case *ast.FragmentSpread:
			if rc.skipped(x.Directives) || visited[x.Name] {
				continue
			}
			visited[x.Name] = true
			f := rc.doc.Fragments.ForName(x.Name)
			if f == nil || !rc.applies(def, f.TypeCondition) {
				continue
			}
			groups = rc.collect(def, f.SelectionSet, groups, visited)
		}
	}
	return groups
}

func (rc *resultCheck) applies(def *ast.Definition, cond string) bool {
	if cond == "" || cond == def.Name {
		return true
	}
	c := rc.schema.Types[cond]
	if c == nil {
		return false
	}
	for _, p := range rc.schema.GetPossibleTypes(c) {
		if p.Name == def.Name {
			return true
		}
	}
	return false
}

func (rc *resultCheck) skipped(dirs ast.DirectiveList) bool {
	for _, d := range dirs {
		if d.Name != "skip" && d.Name != "include" {
			continue
		}
		cond, _ := d.ArgumentMap(rc.vars)["if"].(bool)
		if (d.Name == "skip") == cond {
			return true
		}
	}
	return false
}

// scalarProblem checks a scalar's JSON value. GitHub's custom scalars
// (GitObjectID, URI, DateTime, ...) are strings.
func scalarProblem(name string, v any) string {
	switch name {
	case "Int":
		f, ok := v.(float64)
		if !ok || f != math.Trunc(f) || f < math.MinInt32 || f > math.MaxInt32 {
			return fmt.Sprintf("%v is not an Int", v)
		}
	case "Float":
		if _, ok := v.(float64); !ok {
			return fmt.Sprintf("%v is not a Float", v)
		}
	case "Boolean":
		if _, ok := v.(bool); !ok {
			return fmt.Sprintf("%v is not a Boolean", v)
		}
	default:
		if _, ok := v.(string); !ok {
			return fmt.Sprintf("%v is not a %s (a string)", v, name)
		}
	}
	return ""
}

func decodeJSON(s string) (any, error) {
	var v any
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("trailing data after the JSON value")
	}
	return v, nil
}
