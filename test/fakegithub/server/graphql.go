package server

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
)

// schemaSDL is the part of GitHub's GraphQL schema the stand-in serves:
// every type, field, argument, enum value and nullability in it is
// GitHub's (test/ghapi proves it against GitHub's published schema).
//
//go:embed schema.graphql
var schemaSDL string

// gqlSchema is the parsed schema and a resolver for every field of every
// object type whose values are not plain (see staticTypes).
type gqlSchema struct {
	*ast.Schema
	resolvers map[string]resolver // by "Type.field"
}

// resolver computes a field of parent. It returns nil for null, a scalar,
// []any for lists, or an object value (see typeOf).
type resolver func(ec *execCtx, parent any, args map[string]any) (any, error)

// staticTypes are object types whose values are *gStatic.
var staticTypes = map[string]bool{
	"RefConnection": true, "RefEdge": true, "PageInfo": true, "CommitConnection": true, "CommitEdge": true,
	"PullRequestConnection": true, "PullRequestEdge": true, "LabelConnection": true, "LabelEdge": true,
	"RateLimit": true, "CreateRefPayload": true, "UpdateRefPayload": true, "DeleteRefPayload": true,
	"CreateCommitOnBranchPayload": true,
}

// newSchema loads schemaSDL with gqlparser and attaches the resolvers. It
// panics when a resolver names no field or a field has none.
func newSchema() *gqlSchema { return newSchemaWith(nil) }

// newSchemaWith is newSchema with extra resolvers (for tests that plant a
// field).
func newSchemaWith(extra map[string]resolver) *gqlSchema {
	sc, err := gqlparser.LoadSchema(&ast.Source{Name: "schema.graphql", Input: schemaSDL})
	if err != nil {
		panic("fakegithub: schema: " + err.Error())
	}
	out := &gqlSchema{Schema: sc, resolvers: resolvers()}
	for k, r := range extra {
		out.resolvers[k] = r
	}
	for key := range out.resolvers {
		tn, fn, _ := strings.Cut(key, ".")
		if t := sc.Types[tn]; t == nil || t.Fields.ForName(fn) == nil {
			panic("fakegithub: resolver for unknown field " + key)
		}
	}
	for _, t := range sc.Types {
		if t.Kind != ast.Object || t.BuiltIn || staticTypes[t.Name] {
			continue
		}
		for _, f := range t.Fields {
			if !strings.HasPrefix(f.Name, "__") && out.resolvers[t.Name+"."+f.Name] == nil {
				panic("fakegithub: no resolver for " + t.Name + "." + f.Name)
			}
		}
	}
	return out
}

// ---------------------------------------------------------------- errors

// gqlError is one entry of a GraphQL answer's errors, in GitHub's shape.
type gqlError struct {
	Type       string         `json:"type,omitempty"`
	Path       []any          `json:"path,omitempty"`
	Extensions map[string]any `json:"extensions,omitempty"`
	Locations  []gqlLoc       `json:"locations,omitempty"`
	Message    string         `json:"message"`
}

type gqlLoc struct {
	Line   int `json:"line"`
	Column int `json:"column"`
}

func locs(pos *ast.Position) []gqlLoc {
	if pos == nil {
		return nil
	}
	return []gqlLoc{{Line: pos.Line, Column: pos.Column}}
}

func errLocs(e *gqlerror.Error) []gqlLoc {
	var out []gqlLoc
	for _, l := range e.Locations {
		out = append(out, gqlLoc{Line: l.Line, Column: l.Column})
	}
	return out
}

// typedError is a resolver error with GitHub's error type.
type typedError struct {
	kind string // NOT_FOUND, FORBIDDEN, UNPROCESSABLE, STALE_DATA, ...
	msg  string
}

func (e *typedError) Error() string { return e.msg }

func gqlErrorf(kind, format string, args ...any) error {
	return &typedError{kind: kind, msg: fmt.Sprintf(format, args...)}
}

// githubValidation rewrites gqlparser's validation messages GitHub words
// differently into GitHub's words and codes; others keep gqlparser's
// words, with the rule as the code.
var githubValidation = []struct {
	re     *regexp.Regexp
	code   string
	format func(m []string) string
}{
	{regexp.MustCompile(`^Cannot query field "(\w+)" on type "(\w+)"`), "undefinedField",
		func(m []string) string { return fmt.Sprintf("Field '%s' doesn't exist on type '%s'", m[1], m[2]) }},
	{regexp.MustCompile(`^Field "(\w+)" argument "(\w+)" of type "[^"]+" is required`), "missingRequiredArguments",
		func(m []string) string {
			return fmt.Sprintf("Field '%s' is missing required arguments: %s", m[1], m[2])
		}},
	{regexp.MustCompile(`^Unknown argument "(\w+)" on field "\w+\.(\w+)"`), "argumentNotAccepted",
		func(m []string) string { return fmt.Sprintf("Field '%s' doesn't accept argument '%s'", m[2], m[1]) }},
	{regexp.MustCompile(`^Field "(\w+)" of type "([^"]+)" must have a selection of subfields`), "selectionMismatch",
		func(m []string) string {
			return fmt.Sprintf("Field must have selections (field '%s' returns %s but has no selections. Did you mean '%s { ... }'?)", m[1], m[2], m[1])
		}},
	{regexp.MustCompile(`^Field "(\w+)" must not have a selection since type "([^"]+)" has no subfields`), "selectionMismatch",
		func(m []string) string {
			return fmt.Sprintf("Selections can't be made on scalars (field '%s' returns %s but has selections)", m[1], m[2])
		}},
	{regexp.MustCompile(`^Variable "\$(\w+)" of type "([^"]+)" used in position expecting type "([^"]+)"`), "variableMismatch",
		func(m []string) string {
			return fmt.Sprintf("Type mismatch on variable $%s (%s / %s)", m[1], m[2], m[3])
		}},
}

func validationError(e *gqlerror.Error) gqlError {
	ge := gqlError{Locations: errLocs(e), Message: e.Message, Extensions: map[string]any{"code": lowerFirst(e.Rule)}}
	for _, v := range githubValidation {
		if m := v.re.FindStringSubmatch(e.Message); m != nil {
			ge.Message, ge.Extensions["code"] = v.format(m), v.code
			break
		}
	}
	return ge
}

func lowerFirst(s string) string {
	if s == "" {
		return "invalid"
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// variableError is GitHub's answer to a variable value that does not fit
// its declared type.
func variableError(op *ast.OperationDefinition, e *gqlerror.Error) gqlError {
	// gqlparser's path is ["variable", name, field...].
	var name string
	var fields []string
	for i, p := range e.Path {
		switch {
		case i == 1:
			name = fmt.Sprint(p)
		case i > 1:
			fields = append(fields, fmt.Sprint(p))
		}
	}
	expl := e.Message
	if expl == "must be defined" || expl == "cannot be null" {
		expl = "Expected value to not be null"
	}
	typ, pos := "", (*ast.Position)(nil)
	if vd := op.VariableDefinitions.ForName(name); vd != nil {
		typ, pos = vd.Type.String(), vd.Position
	}
	msg := fmt.Sprintf("Variable $%s of type %s was provided invalid value", name, typ)
	problem := []map[string]any{{"path": []any{}, "explanation": expl}}
	if len(fields) == 0 && e.Message == "must be defined" {
		// Not provided at all: GitHub's message stops there.
		return gqlError{Locations: locs(pos), Message: msg, Extensions: map[string]any{"value": nil, "problems": problem}}
	}
	if len(fields) > 0 {
		msg += " for " + strings.Join(fields, ".")
	}
	problemPath := []any{}
	for _, f := range fields {
		problemPath = append(problemPath, f)
	}
	return gqlError{Locations: locs(pos), Message: msg + " (" + expl + ")",
		Extensions: map[string]any{"problems": []map[string]any{{"path": problemPath, "explanation": expl}}}}
}

// ---------------------------------------------------------------- ordered map

// omap is a JSON object that keeps its keys in selection order.
type omap struct {
	keys []string
	vals map[string]any
}

func newOmap() *omap { return &omap{vals: map[string]any{}} }

func (m *omap) set(k string, v any) {
	if _, ok := m.vals[k]; !ok {
		m.keys = append(m.keys, k)
	}
	m.vals[k] = v
}

func (m *omap) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range m.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		b.Write(kb)
		b.WriteByte(':')
		vb, err := marshalJSON(m.vals[k])
		if err != nil {
			return nil, err
		}
		b.Write(vb)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// ---------------------------------------------------------------- request

type gqlRequest struct {
	Query         string         `json:"query"`
	OperationName string         `json:"operationName"`
	Variables     map[string]any `json:"variables"`
}

// serveGraphQL is POST /graphql.
func (s *Server) serveGraphQL(c *reqCtx) {
	if c.user == "" {
		c.writeJSON(http.StatusUnauthorized, map[string]any{"message": "This endpoint requires you to be authenticated.", "documentation_url": "https://docs.github.com/graphql/guides/forming-calls-with-graphql#authenticating-with-graphql"})
		return
	}
	c.key = "graphql (unparsed)"
	var req gqlRequest
	dec := json.NewDecoder(c.r.Body)
	dec.UseNumber()
	if err := dec.Decode(&req); err != nil {
		c.writeJSON(http.StatusBadRequest, map[string]any{"message": "Problems parsing JSON", "documentation_url": "https://docs.github.com/graphql"})
		return
	}
	status, body := s.executeGraphQL(c, &req)
	c.writeJSON(status, body)
}

func errorsOnly(errs ...gqlError) map[string]any { return map[string]any{"errors": errs} }

// executeGraphQL parses, validates (gqlparser, against schemaSDL) and runs
// one request.
func (s *Server) executeGraphQL(c *reqCtx, req *gqlRequest) (int, map[string]any) {
	if strings.TrimSpace(req.Query) == "" {
		return http.StatusOK, errorsOnly(gqlError{Message: "A query attribute must be specified and must be a string."})
	}
	doc, perr := parser.ParseQuery(&ast.Source{Name: "query", Input: req.Query})
	if perr != nil {
		c.key = "graphql (parse error)"
		var ge *gqlerror.Error
		if errors.As(perr, &ge) {
			return http.StatusOK, errorsOnly(gqlError{Message: "Parse error: " + ge.Message, Locations: errLocs(ge)})
		}
		return http.StatusOK, errorsOnly(gqlError{Message: "Parse error: " + perr.Error()})
	}
	op, problem := selectOperation(doc, req.OperationName)
	if problem != "" {
		return http.StatusOK, errorsOnly(gqlError{Message: problem})
	}
	c.key = opKey(op)
	if errs := validator.ValidateWithRules(s.schema.Schema, doc, nil); len(errs) > 0 {
		out := make([]gqlError, len(errs))
		for i, e := range errs {
			out[i] = validationError(e)
		}
		return http.StatusOK, errorsOnly(out...)
	}
	vars, err := validator.VariableValues(s.schema.Schema, op, req.Variables)
	if err != nil {
		var ge *gqlerror.Error
		if !errors.As(err, &ge) {
			ge = gqlerror.Wrap(err)
		}
		return http.StatusOK, errorsOnly(variableError(op, ge))
	}
	root := s.schema.Query
	switch op.Operation {
	case ast.Mutation:
		root = s.schema.Mutation
	case ast.Subscription:
		return http.StatusOK, errorsOnly(gqlError{Message: "Subscriptions are not supported"})
	}
	ec := &execCtx{c: c, s: s, sc: s.schema, doc: doc, vars: vars}
	data, ok := ec.execSelection(op.SelectionSet, root, rootValue{}, nil)
	out := map[string]any{"data": nil}
	if ok {
		out["data"] = data
	}
	if len(ec.errors) > 0 {
		out["errors"] = ec.errors
	}
	return http.StatusOK, out
}

func selectOperation(doc *ast.QueryDocument, name string) (*ast.OperationDefinition, string) {
	switch {
	case len(doc.Operations) == 0:
		return nil, "Document must contain at least one operation"
	case name != "":
		if op := doc.Operations.ForName(name); op != nil {
			return op, ""
		}
		return nil, fmt.Sprintf("No operation named %q", name)
	case len(doc.Operations) > 1:
		return nil, "An operation name is required"
	}
	return doc.Operations[0], ""
}

// opKey is what a GraphQL request counts as: "graphql <mutation fields>"
// or "graphql query <top-level fields>".
func opKey(op *ast.OperationDefinition) string {
	var names []string
	seen := map[string]bool{}
	for _, sel := range op.SelectionSet {
		if f, ok := sel.(*ast.Field); ok && !seen[f.Name] && f.Name != "__typename" {
			seen[f.Name] = true
			names = append(names, f.Name)
		}
	}
	if len(names) == 0 {
		names = []string{"(fragments)"}
	}
	if op.Operation == ast.Mutation {
		return "graphql " + strings.Join(names, ",")
	}
	return "graphql " + string(op.Operation) + " " + strings.Join(names, ",")
}

// graphqlKey is what a GraphQL request body counts as without running it
// (as serveGraphQL would count it).
func graphqlKey(body []byte) string {
	var req gqlRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return "graphql (unparsed)"
	}
	doc, err := parser.ParseQuery(&ast.Source{Input: req.Query})
	if err != nil {
		return "graphql (parse error)"
	}
	op, problem := selectOperation(doc, req.OperationName)
	if problem != "" {
		return "graphql (unparsed)"
	}
	return opKey(op)
}

// ---------------------------------------------------------------- execution

// rootValue is the parent of Query and Mutation fields.
type rootValue struct{}

// execCtx is one GraphQL execution.
type execCtx struct {
	c      *reqCtx
	s      *Server
	sc     *gqlSchema
	doc    *ast.QueryDocument
	vars   map[string]any // coerced variable values
	errors []gqlError
	lr     liveRefs
}

type fieldGroup struct {
	key    string
	fields []*ast.Field
}

func (ec *execCtx) skipped(dirs ast.DirectiveList) bool {
	for _, d := range dirs {
		if d.Name != "skip" && d.Name != "include" {
			continue
		}
		cond, _ := d.ArgumentMap(ec.vars)["if"].(bool)
		if (d.Name == "skip") == cond {
			return true
		}
	}
	return false
}

// applies reports whether a fragment on cond applies to an object of type
// def.
func (ec *execCtx) applies(def *ast.Definition, cond string) bool {
	if cond == "" || cond == def.Name {
		return true
	}
	c := ec.sc.Types[cond]
	if c == nil {
		return false
	}
	for _, p := range ec.sc.GetPossibleTypes(c) {
		if p.Name == def.Name {
			return true
		}
	}
	return false
}

// collect groups the fields selected on an object of type def by response
// key, in order (CollectFields of the specification).
func (ec *execCtx) collect(def *ast.Definition, sel ast.SelectionSet, groups []*fieldGroup, index map[string]*fieldGroup, visited map[string]bool) []*fieldGroup {
	for _, s := range sel {
		switch x := s.(type) {
		case *ast.Field:
			if ec.skipped(x.Directives) {
				continue
			}
			k := x.Alias
			if k == "" {
				k = x.Name
			}
			if g := index[k]; g != nil {
				g.fields = append(g.fields, x)
				continue
			}
			g := &fieldGroup{key: k, fields: []*ast.Field{x}}
			index[k] = g
			groups = append(groups, g)
		case *ast.InlineFragment:
			if ec.skipped(x.Directives) || !ec.applies(def, x.TypeCondition) {
				continue
			}
			groups = ec.collect(def, x.SelectionSet, groups, index, visited)
		case *ast.FragmentSpread:
			if ec.skipped(x.Directives) || visited[x.Name] {
				continue
			}
			visited[x.Name] = true
			f := ec.doc.Fragments.ForName(x.Name)
			if f == nil || !ec.applies(def, f.TypeCondition) {
				continue
			}
			groups = ec.collect(def, f.SelectionSet, groups, index, visited)
		}
	}
	return groups
}

// execSelection runs a selection set on obj of type def; ok false means a
// non-null field came back null and the null propagates to the parent.
func (ec *execCtx) execSelection(sel ast.SelectionSet, def *ast.Definition, obj any, path []any) (*omap, bool) {
	groups := ec.collect(def, sel, nil, map[string]*fieldGroup{}, map[string]bool{})
	out := newOmap()
	for _, g := range groups {
		v, ok := ec.execField(def, obj, g, append(append([]any(nil), path...), g.key))
		if !ok {
			return nil, false
		}
		out.set(g.key, v)
	}
	return out, true
}

func (ec *execCtx) addError(err error, path []any, pos *ast.Position) {
	ge := gqlError{Path: path, Locations: locs(pos), Message: err.Error()}
	var te *typedError
	if errors.As(err, &te) {
		ge.Type = te.kind
	}
	ec.errors = append(ec.errors, ge)
}

func (ec *execCtx) execField(def *ast.Definition, obj any, g *fieldGroup, path []any) (any, bool) {
	f := g.fields[0]
	if f.Name == "__typename" {
		return def.Name, true
	}
	fd := def.Fields.ForName(f.Name)
	if fd == nil {
		//lint:ignore ST1005 GitHub's words, which clients match
		ec.addError(fmt.Errorf("Field '%s' doesn't exist on type '%s'", f.Name, def.Name), path, f.Position)
		return nil, true
	}
	args, err := argumentMap(fd, f, ec.vars)
	var val any
	if err == nil {
		if r := ec.sc.resolvers[def.Name+"."+f.Name]; r != nil {
			val, err = r(ec, obj, args)
		} else {
			val, err = staticResolve(obj, f.Name)
		}
	}
	if err != nil {
		ec.addError(err, path, f.Position)
		return nil, !fd.Type.NonNull
	}
	return ec.complete(fd.Type, g.fields, val, path, def.Name+"."+f.Name)
}

// argumentMap is the field's arguments with defaults applied. gqlparser
// panics on a literal it cannot convert (validation lets few through).
func argumentMap(fd *ast.FieldDefinition, f *ast.Field, vars map[string]any) (args map[string]any, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = gqlErrorf("UNPROCESSABLE", "Argument on Field '%s' has an invalid value: %v", fd.Name, p)
		}
	}()
	return f.ArgumentMap(vars), nil
}

// complete turns a resolved value into its answer for type t.
func (ec *execCtx) complete(t *ast.Type, fields []*ast.Field, val any, path []any, fieldName string) (any, bool) {
	if t.NonNull {
		inner := *t
		inner.NonNull = false
		if val == nil {
			//lint:ignore ST1005 GitHub's words, which clients match
			ec.addError(fmt.Errorf("Cannot return null for non-nullable field %s", fieldName), path, fields[0].Position)
			return nil, false
		}
		v, ok := ec.complete(&inner, fields, val, path, fieldName)
		if !ok || v == nil {
			return nil, false
		}
		return v, true
	}
	if val == nil {
		return nil, true
	}
	if t.Elem != nil {
		items, ok := val.([]any)
		if !ok {
			items = []any{val}
		}
		out := make([]any, len(items))
		for i, it := range items {
			v, ok := ec.complete(t.Elem, fields, it, append(append([]any(nil), path...), i), fieldName)
			if !ok {
				return nil, true
			}
			out[i] = v
		}
		return out, true
	}
	def := ec.sc.Types[t.NamedType]
	if def.Kind == ast.Scalar || def.Kind == ast.Enum {
		return val, true
	}
	concrete := ec.sc.Types[typeOf(val)]
	if concrete == nil {
		ec.addError(fmt.Errorf("fakegithub: no type for %T", val), path, fields[0].Position)
		return nil, true
	}
	var sub ast.SelectionSet
	for _, f := range fields {
		sub = append(sub, f.SelectionSet...)
	}
	m, ok := ec.execSelection(sub, concrete, val, path)
	if !ok {
		return nil, true
	}
	return m, true
}

// gStatic is an object whose fields are plain values (payloads,
// connections, edges, page info).
type gStatic struct {
	typ  string
	vals map[string]any
}

func staticResolve(obj any, name string) (any, error) {
	st, ok := obj.(*gStatic)
	if !ok {
		return nil, fmt.Errorf("fakegithub: field %s is not implemented", name)
	}
	return st.vals[name], nil
}

// intArg reads an Int argument: gqlparser gives int64 for literals and
// variables sent as JSON numbers.
func intArg(args map[string]any, k string) (int, bool) {
	switch v := args[k].(type) {
	case int:
		return v, true
	case int64:
		return int(v), true
	case float64:
		return int(v), true
	case json.Number:
		n, err := strconv.Atoi(v.String())
		return n, err == nil
	}
	return 0, false
}

// connection pages nodes like GitHub's connections (first/after,
// last/before; one of first or last is required, at most 100).
func connection(typ, field string, nodes []any, args map[string]any) (*gStatic, error) {
	first, hasFirst := intArg(args, "first")
	last, hasLast := intArg(args, "last")
	if !hasFirst && !hasLast {
		return nil, gqlErrorf("MISSING_PAGINATION_BOUNDARIES", "You must provide a `first` or `last` value to properly paginate the `%s` connection.", field)
	}
	if (hasFirst && first > 100) || (hasLast && last > 100) {
		n := first
		if hasLast {
			n = last
		}
		return nil, gqlErrorf("EXCESSIVE_PAGINATION", "Requesting %d records on the `%s` connection exceeds the `first` limit of 100 records.", n, field)
	}
	if (hasFirst && first < 0) || (hasLast && last < 0) {
		return nil, gqlErrorf("UNPROCESSABLE", "`first` and `last` must not be negative on the `%s` connection.", field)
	}
	lo, hi := 0, len(nodes)
	if a, ok := args["after"].(string); ok {
		if i, ok := parseCursor(a); ok {
			lo = min(i+1, hi)
		}
	}
	if b, ok := args["before"].(string); ok {
		if i, ok := parseCursor(b); ok {
			hi = max(min(i, hi), lo)
		}
	}
	if hasFirst && hi-lo > first {
		hi = lo + first
	}
	if hasLast && hi-lo > last {
		lo = hi - last
	}
	var page, edges []any
	for i := lo; i < hi; i++ {
		page = append(page, nodes[i])
		edges = append(edges, &gStatic{typ: strings.TrimSuffix(typ, "Connection") + "Edge", vals: map[string]any{"cursor": cursor(i), "node": nodes[i]}})
	}
	pi := map[string]any{"hasNextPage": hi < len(nodes), "hasPreviousPage": lo > 0, "startCursor": nil, "endCursor": nil}
	if hi > lo {
		pi["startCursor"], pi["endCursor"] = cursor(lo), cursor(hi-1)
	}
	if page == nil {
		page, edges = []any{}, []any{}
	}
	return &gStatic{typ: typ, vals: map[string]any{
		"nodes": page, "edges": edges, "totalCount": len(nodes), "pageInfo": &gStatic{typ: "PageInfo", vals: pi},
	}}, nil
}

func cursor(i int) string { return base64Std([]byte("cursor:v2:" + strconv.Itoa(i))) }

func parseCursor(c string) (int, bool) {
	b, err := decodeBase64(c)
	if err != nil {
		return 0, false
	}
	n, ok := strings.CutPrefix(string(b), "cursor:v2:")
	if !ok {
		return 0, false
	}
	i, err := strconv.Atoi(n)
	return i, err == nil
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
