package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
)

// ---------------------------------------------------------------- schema model

type gqlType struct {
	name       string
	kind       string // OBJECT, INTERFACE, SCALAR, ENUM, INPUT_OBJECT
	fields     map[string]*gqlFieldDef
	interfaces []string
	inputs     []*gqlInputDef
	enum       []string
}

type gqlFieldDef struct {
	name    string
	typ     *gqlTypeRef
	args    []*gqlInputDef
	resolve resolver
}

// resolver computes a field of parent. It returns nil for null, a scalar,
// []any for lists, or an object value (see typeOf).
type resolver func(ec *execCtx, parent any, args map[string]any) (any, error)

type gqlInputDef struct {
	name   string
	typ    *gqlTypeRef
	def    gqlValue // literal default
	hasDef bool
}

type gqlSchema struct {
	types map[string]*gqlType
}

func (sc *gqlSchema) field(typeName, name string) *gqlFieldDef {
	if t := sc.types[typeName]; t != nil && t.fields != nil {
		return t.fields[name]
	}
	return nil
}

func (sc *gqlSchema) isLeaf(name string) bool {
	t := sc.types[name]
	return t != nil && (t.kind == "SCALAR" || t.kind == "ENUM")
}

func (sc *gqlSchema) isInput(name string) bool {
	t := sc.types[name]
	return t != nil && (t.kind == "SCALAR" || t.kind == "ENUM" || t.kind == "INPUT_OBJECT")
}

// possible lists the object types a type can be at run time.
func (sc *gqlSchema) possible(name string) map[string]bool {
	t := sc.types[name]
	out := map[string]bool{}
	if t == nil {
		return out
	}
	if t.kind == "OBJECT" {
		out[name] = true
		return out
	}
	for n, ot := range sc.types {
		if ot.kind == "OBJECT" && containsString(ot.interfaces, name) {
			out[n] = true
		}
	}
	return out
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// applies reports whether a fragment on cond applies to an object of type
// objType.
func (sc *gqlSchema) applies(objType, cond string) bool {
	if cond == "" || cond == objType {
		return true
	}
	t := sc.types[objType]
	return t != nil && containsString(t.interfaces, cond)
}

// ---------------------------------------------------------------- errors

// gqlError is one entry of a GraphQL answer's errors.
type gqlError struct {
	Type       string         `json:"type,omitempty"`
	Path       []any          `json:"path,omitempty"`
	Extensions map[string]any `json:"extensions,omitempty"`
	Locations  []gqlLoc       `json:"locations,omitempty"`
	Message    string         `json:"message"`
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

// executeGraphQL parses, validates and runs one request.
func (s *Server) executeGraphQL(c *reqCtx, req *gqlRequest) (int, map[string]any) {
	if strings.TrimSpace(req.Query) == "" {
		return http.StatusOK, map[string]any{"errors": []gqlError{{Message: "A query attribute must be specified and must be a string."}}}
	}
	doc, err := parseGraphQL(req.Query)
	if err != nil {
		c.key = "graphql (parse error)"
		var pe *gqlParseError
		loc := gqlLoc{}
		if errors.As(err, &pe) {
			loc = pe.loc
		}
		return http.StatusOK, map[string]any{"errors": []gqlError{{Message: err.Error(), Locations: []gqlLoc{loc}}}}
	}
	op, errs := selectOperation(doc, req.OperationName)
	if errs != nil {
		return http.StatusOK, map[string]any{"errors": errs}
	}
	c.key = opKey(op)
	ec := &execCtx{c: c, s: s, sc: s.schema, doc: doc, op: op}
	if errs := ec.validate(); len(errs) > 0 {
		return http.StatusOK, map[string]any{"errors": errs}
	}
	if errs := ec.coerceVariables(req.Variables); len(errs) > 0 {
		return http.StatusOK, map[string]any{"errors": errs}
	}
	root := "Query"
	if op.kind == "mutation" {
		root = "Mutation"
	} else if op.kind == "subscription" {
		return http.StatusOK, map[string]any{"errors": []gqlError{{Message: "Subscriptions are not supported"}}}
	}
	data, ok := ec.execSelection(op.sel, root, rootValue{}, nil)
	out := map[string]any{}
	if ok {
		out["data"] = data
	} else {
		out["data"] = nil
	}
	if len(ec.errors) > 0 {
		out["errors"] = ec.errors
	}
	return http.StatusOK, out
}

// opKey is what a GraphQL request counts as: "graphql <mutation fields>"
// or "graphql query <top-level fields>".
func opKey(op *gqlOp) string {
	var names []string
	seen := map[string]bool{}
	for _, sel := range op.sel {
		if f, ok := sel.(*gqlField); ok && !seen[f.name] && f.name != "__typename" {
			seen[f.name] = true
			names = append(names, f.name)
		}
	}
	if len(names) == 0 {
		names = []string{"(fragments)"}
	}
	if op.kind == "mutation" {
		return "graphql " + strings.Join(names, ",")
	}
	return "graphql " + op.kind + " " + strings.Join(names, ",")
}

func selectOperation(doc *gqlDoc, name string) (*gqlOp, []gqlError) {
	if len(doc.ops) == 0 {
		return nil, []gqlError{{Message: "Document must contain at least one operation"}}
	}
	if name != "" {
		for _, op := range doc.ops {
			if op.name == name {
				return op, nil
			}
		}
		return nil, []gqlError{{Message: fmt.Sprintf("No operation named %q", name)}}
	}
	if len(doc.ops) > 1 {
		return nil, []gqlError{{Message: "An operation name is required"}}
	}
	return doc.ops[0], nil
}

// rootValue is the parent of Query and Mutation fields.
type rootValue struct{}

// execCtx is one GraphQL execution.
type execCtx struct {
	c      *reqCtx
	s      *Server
	sc     *gqlSchema
	doc    *gqlDoc
	op     *gqlOp
	vars   map[string]any // coerced values of the variables provided
	errors []gqlError
	lr     liveRefs
}

func (ec *execCtx) opPath() string {
	if ec.op.name != "" {
		return ec.op.kind + " " + ec.op.name
	}
	return ec.op.kind
}

// ---------------------------------------------------------------- validation

func (ec *execCtx) validate() []gqlError {
	var errs []gqlError
	add := func(loc gqlLoc, path []string, code, msg string, ext map[string]any) {
		p := make([]any, len(path))
		for i, s := range path {
			p[i] = s
		}
		if ext == nil {
			ext = map[string]any{}
		}
		ext["code"] = code
		errs = append(errs, gqlError{Path: p, Extensions: ext, Locations: []gqlLoc{loc}, Message: msg})
	}
	declared := map[string]*gqlVarDef{}
	for _, vd := range ec.op.vars {
		if _, dup := declared[vd.name]; dup {
			add(vd.loc, []string{ec.opPath()}, "variableNotUnique", fmt.Sprintf("There can only be one variable named %q", vd.name), nil)
		}
		declared[vd.name] = vd
		if !ec.sc.isInput(vd.typ.named()) {
			add(vd.loc, []string{ec.opPath()}, "variableRequiresValidType", fmt.Sprintf("%s isn't a valid input type (on $%s)", vd.typ.named(), vd.name), nil)
		}
	}
	used := map[string]bool{}
	var checkValue func(v gqlValue, want *gqlTypeRef, loc gqlLoc, path []string, argName, fieldName string)
	checkValue = func(v gqlValue, want *gqlTypeRef, loc gqlLoc, path []string, argName, fieldName string) {
		switch x := v.(type) {
		case gqlVarRef:
			used[x.name] = true
			vd := declared[x.name]
			if vd == nil {
				add(loc, path, "variableNotDefined", fmt.Sprintf("Variable $%s is used by %s but not declared", x.name, ec.opPath()), nil)
				return
			}
			if want != nil && !varCompatible(vd.typ, want, vd.hasDef) {
				add(loc, path, "variableMismatch", fmt.Sprintf("Type mismatch on variable $%s and argument %s (%s / %s)", x.name, argName, vd.typ, want), nil)
			}
		case gqlList:
			var elem *gqlTypeRef
			if want != nil {
				elem = want.elem
			}
			for _, it := range x {
				checkValue(it, elem, loc, path, argName, fieldName)
			}
		case gqlObject:
			var it *gqlType
			if want != nil {
				it = ec.sc.types[want.named()]
			}
			for _, f := range x {
				var ft *gqlTypeRef
				if it != nil {
					for _, in := range it.inputs {
						if in.name == f.name {
							ft = in.typ
						}
					}
				}
				checkValue(f.val, ft, loc, path, f.name, fieldName)
			}
		}
	}
	checkArgs := func(defs []*gqlInputDef, args []*gqlArg, loc gqlLoc, path []string, fieldName string) {
		for _, a := range args {
			var def *gqlInputDef
			for _, d := range defs {
				if d.name == a.name {
					def = d
				}
			}
			if def == nil {
				add(a.loc, path, "argumentNotAccepted", fmt.Sprintf("Field '%s' doesn't accept argument '%s'", fieldName, a.name),
					map[string]any{"name": fieldName, "typeName": "Field", "argumentName": a.name})
				continue
			}
			checkValue(a.val, def.typ, a.loc, path, a.name, fieldName)
		}
		var missing []string
		for _, d := range defs {
			if !d.typ.nonNull || d.hasDef {
				continue
			}
			found := false
			for _, a := range args {
				if a.name == d.name {
					found = true
				}
			}
			if !found {
				missing = append(missing, d.name)
			}
		}
		if len(missing) > 0 {
			add(loc, path, "missingRequiredArguments", fmt.Sprintf("Field '%s' is missing required arguments: %s", fieldName, strings.Join(missing, ", ")),
				map[string]any{"className": "Field", "name": fieldName, "arguments": strings.Join(missing, ", ")})
		}
	}
	checkDirs := func(dirs []*gqlDirective, path []string) {
		for _, d := range dirs {
			if d.name != "include" && d.name != "skip" {
				add(d.loc, path, "undefinedDirective", fmt.Sprintf("Directive @%s is not defined", d.name), nil)
				continue
			}
			checkArgs([]*gqlInputDef{{name: "if", typ: &gqlTypeRef{name: "Boolean", nonNull: true}}}, d.args, d.loc, path, "@"+d.name)
		}
	}
	var walk func(typeName string, sels []gqlSel, path []string, inFrags map[string]bool)
	walk = func(typeName string, sels []gqlSel, path []string, inFrags map[string]bool) {
		for _, sel := range sels {
			switch x := sel.(type) {
			case *gqlField:
				fp := append(append([]string(nil), path...), x.responseKey())
				checkDirs(x.dirs, fp)
				if x.name == "__typename" {
					if x.sel != nil {
						add(x.loc, fp, "selectionMismatch", "Selections can't be made on scalars (field '__typename' returns String but has selections)", nil)
					}
					continue
				}
				def := ec.sc.field(typeName, x.name)
				if def == nil {
					add(x.loc, fp, "undefinedField", fmt.Sprintf("Field '%s' doesn't exist on type '%s'", x.name, typeName),
						map[string]any{"typeName": typeName, "fieldName": x.name})
					continue
				}
				checkArgs(def.args, x.args, x.loc, fp, x.name)
				named := def.typ.named()
				if ec.sc.isLeaf(named) {
					if x.sel != nil {
						add(x.loc, fp, "selectionMismatch", fmt.Sprintf("Selections can't be made on scalars (field '%s' returns %s but has selections [%s])", x.name, named, selNames(x.sel)), nil)
					}
					continue
				}
				if x.sel == nil {
					add(x.loc, fp, "selectionMismatch", fmt.Sprintf("Field must have selections (field '%s' returns %s but has no selections. Did you mean '%s { ... }'?)", x.name, named, x.name), nil)
					continue
				}
				walk(named, x.sel, fp, inFrags)
			case *gqlInline:
				fp := append(append([]string(nil), path...), "... on "+x.typeCond)
				checkDirs(x.dirs, fp)
				cond := x.typeCond
				if cond == "" {
					cond = typeName
					fp[len(fp)-1] = "..."
				}
				if !ec.checkSpread(cond, typeName, x.loc, fp, add) {
					continue
				}
				walk(cond, x.sel, fp, inFrags)
			case *gqlSpread:
				fp := append(append([]string(nil), path...), "... "+x.name)
				checkDirs(x.dirs, fp)
				f := ec.doc.frags[x.name]
				if f == nil {
					add(x.loc, fp, "useAndDefineFragment", fmt.Sprintf("Fragment %s was used, but not defined", x.name), nil)
					continue
				}
				if inFrags[x.name] {
					add(x.loc, fp, "infiniteLoop", fmt.Sprintf("Fragment %s contains an infinite loop", x.name), nil)
					continue
				}
				if !ec.checkSpread(f.typeCond, typeName, x.loc, fp, add) {
					continue
				}
				next := map[string]bool{x.name: true}
				for k := range inFrags {
					next[k] = true
				}
				walk(f.typeCond, f.sel, fp, next)
			}
		}
	}
	root := "Query"
	if ec.op.kind == "mutation" {
		root = "Mutation"
	}
	checkDirs(ec.op.dirs, []string{ec.opPath()})
	walk(root, ec.op.sel, []string{ec.opPath()}, map[string]bool{})
	for _, vd := range ec.op.vars {
		if !used[vd.name] {
			add(vd.loc, []string{ec.opPath()}, "variableNotUsed", fmt.Sprintf("Variable $%s is declared by %s but not used", vd.name, ec.opPath()), nil)
		}
		if vd.hasDef {
			checkValue(vd.def, vd.typ, vd.loc, []string{ec.opPath()}, vd.name, "")
		}
	}
	return errs
}

func (ec *execCtx) checkSpread(cond, parent string, loc gqlLoc, path []string, add func(gqlLoc, []string, string, string, map[string]any)) bool {
	t := ec.sc.types[cond]
	if t == nil {
		add(loc, path, "undefinedType", fmt.Sprintf("No such type %s, so it can't be a fragment condition", cond), nil)
		return false
	}
	if t.kind != "OBJECT" && t.kind != "INTERFACE" {
		add(loc, path, "fragmentOnNonCompositeType", fmt.Sprintf("Invalid fragment on type %s (must be Union, Interface or Object)", cond), nil)
		return false
	}
	a, b := ec.sc.possible(cond), ec.sc.possible(parent)
	for k := range a {
		if b[k] {
			return true
		}
	}
	add(loc, path, "fragmentSpreadTypeMismatch", fmt.Sprintf("Fragment on %s can't be spread inside %s", cond, parent), nil)
	return false
}

func selNames(sels []gqlSel) string {
	var names []string
	for _, s := range sels {
		if f, ok := s.(*gqlField); ok {
			names = append(names, f.name)
		}
	}
	return strings.Join(names, ", ")
}

// varCompatible: a variable of type have may be used where want is
// expected (a nullable variable with a default may fill a non-null slot).
func varCompatible(have, want *gqlTypeRef, hasDef bool) bool {
	if want.nonNull && !have.nonNull && !hasDef {
		return false
	}
	h, w := *have, *want
	h.nonNull, w.nonNull = false, false
	if (h.elem == nil) != (w.elem == nil) {
		// A single value may be passed where a list is expected.
		if w.elem != nil && h.elem == nil {
			return varCompatible(&h, w.elem, true)
		}
		return false
	}
	if h.elem != nil {
		return varCompatible(h.elem, w.elem, false)
	}
	return h.name == w.name || (h.name == "ID" && w.name == "String") || (h.name == "String" && w.name == "ID")
}

// ---------------------------------------------------------------- coercion

// coerceVariables turns the request's variables into typed values.
func (ec *execCtx) coerceVariables(raw map[string]any) []gqlError {
	ec.vars = map[string]any{}
	var errs []gqlError
	for _, vd := range ec.op.vars {
		v, given := raw[vd.name]
		if !given {
			if vd.hasDef {
				d, _, err := ec.coerceLiteral(vd.def, vd.typ)
				if err == nil {
					ec.vars[vd.name] = d
				}
				continue
			}
			if vd.typ.nonNull {
				errs = append(errs, gqlError{Extensions: map[string]any{"value": nil, "problems": []map[string]any{{"path": []any{}, "explanation": "Expected value to not be null"}}},
					Locations: []gqlLoc{vd.loc}, Message: fmt.Sprintf("Variable $%s of type %s was provided invalid value", vd.name, vd.typ)})
			}
			continue
		}
		cv, err := ec.coerceInput(v, vd.typ, nil)
		if err != nil {
			var ie *inputError
			path, expl := []any{}, err.Error()
			if errors.As(err, &ie) {
				path, expl = ie.path, ie.msg
			}
			msg := fmt.Sprintf("Variable $%s of type %s was provided invalid value", vd.name, vd.typ)
			if len(path) > 0 {
				parts := make([]string, len(path))
				for i, p := range path {
					parts[i] = fmt.Sprint(p)
				}
				msg += " for " + strings.Join(parts, ".")
			}
			msg += " (" + expl + ")"
			errs = append(errs, gqlError{Extensions: map[string]any{"value": v, "problems": []map[string]any{{"path": path, "explanation": expl}}},
				Locations: []gqlLoc{vd.loc}, Message: msg})
			continue
		}
		ec.vars[vd.name] = cv
	}
	return errs
}

// inputError is a value that does not fit its input type.
type inputError struct {
	path []any
	msg  string
}

func (e *inputError) Error() string { return e.msg }

func inputErr(path []any, format string, args ...any) error {
	return &inputError{path: append([]any(nil), path...), msg: fmt.Sprintf(format, args...)}
}

var stringScalars = map[string]bool{
	"String": true, "ID": true, "GitObjectID": true, "URI": true, "DateTime": true, "GitTimestamp": true,
	"Base64String": true, "GitRefname": true, "HTML": true, "GitSSHRemote": true,
}

// coerceInput coerces a JSON variable value.
func (ec *execCtx) coerceInput(v any, t *gqlTypeRef, path []any) (any, error) {
	if v == nil {
		if t.nonNull {
			return nil, inputErr(path, "Expected value to not be null")
		}
		return nil, nil
	}
	if t.elem != nil {
		list, ok := v.([]any)
		if !ok {
			one, err := ec.coerceInput(v, t.elem, path)
			if err != nil {
				return nil, err
			}
			return []any{one}, nil
		}
		out := make([]any, len(list))
		for i, it := range list {
			cv, err := ec.coerceInput(it, t.elem, append(path, i))
			if err != nil {
				return nil, err
			}
			out[i] = cv
		}
		return out, nil
	}
	typ := ec.sc.types[t.name]
	if typ == nil {
		return nil, inputErr(path, "Unknown type %s", t.name)
	}
	switch typ.kind {
	case "SCALAR":
		return coerceScalar(v, t.name, path)
	case "ENUM":
		s, ok := v.(string)
		if !ok || !containsString(typ.enum, s) {
			return nil, inputErr(path, "Expected %s to be one of: %s", jsonText(v), strings.Join(typ.enum, ", "))
		}
		return s, nil
	case "INPUT_OBJECT":
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, inputErr(path, "Expected %s to be a key-value object.", jsonText(v))
		}
		for k := range obj {
			known := false
			for _, in := range typ.inputs {
				known = known || in.name == k
			}
			if !known {
				return nil, inputErr(append(path, k), "Field is not defined on %s", t.name)
			}
		}
		out := map[string]any{}
		for _, in := range typ.inputs {
			fv, given := obj[in.name]
			if !given {
				if in.hasDef {
					d, _, err := ec.coerceLiteral(in.def, in.typ)
					if err != nil {
						return nil, err
					}
					out[in.name] = d
				} else if in.typ.nonNull {
					return nil, inputErr(append(path, in.name), "Expected value to not be null")
				}
				continue
			}
			cv, err := ec.coerceInput(fv, in.typ, append(path, in.name))
			if err != nil {
				return nil, err
			}
			out[in.name] = cv
		}
		return out, nil
	}
	return nil, inputErr(path, "%s is not an input type", t.name)
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func coerceScalar(v any, name string, path []any) (any, error) {
	switch {
	case stringScalars[name]:
		switch x := v.(type) {
		case string:
			return x, nil
		case json.Number:
			if name == "ID" {
				return x.String(), nil
			}
		}
		return nil, inputErr(path, "Could not coerce value %s to %s", jsonText(v), name)
	case name == "Int":
		if n, ok := v.(json.Number); ok {
			if i, err := strconv.ParseInt(n.String(), 10, 32); err == nil {
				return int(i), nil
			}
		}
		return nil, inputErr(path, "Could not coerce value %s to Int", jsonText(v))
	case name == "Float":
		if n, ok := v.(json.Number); ok {
			if f, err := n.Float64(); err == nil && !math.IsInf(f, 0) {
				return f, nil
			}
		}
		return nil, inputErr(path, "Could not coerce value %s to Float", jsonText(v))
	case name == "Boolean":
		if b, ok := v.(bool); ok {
			return b, nil
		}
		return nil, inputErr(path, "Could not coerce value %s to Boolean", jsonText(v))
	}
	return nil, inputErr(path, "Unknown scalar %s", name)
}

// coerceLiteral coerces a literal argument value (which may use
// variables). present is false for a variable that was not provided.
func (ec *execCtx) coerceLiteral(v gqlValue, t *gqlTypeRef) (any, bool, error) {
	if ref, ok := v.(gqlVarRef); ok {
		val, present := ec.vars[ref.name]
		if !present {
			return nil, false, nil
		}
		if val == nil && t.nonNull {
			return nil, true, inputErr(nil, "Expected value to not be null")
		}
		if t.elem != nil {
			if _, isList := val.([]any); !isList && val != nil {
				val = []any{val}
			}
		}
		return val, true, nil
	}
	if _, ok := v.(gqlNull); ok {
		if t.nonNull {
			return nil, true, inputErr(nil, "Expected value to not be null")
		}
		return nil, true, nil
	}
	if t.elem != nil {
		list, ok := v.(gqlList)
		if !ok {
			one, present, err := ec.coerceLiteral(v, t.elem)
			if err != nil || !present {
				return nil, present, err
			}
			return []any{one}, true, nil
		}
		out := make([]any, 0, len(list))
		for _, it := range list {
			cv, present, err := ec.coerceLiteral(it, t.elem)
			if err != nil {
				return nil, true, err
			}
			if !present {
				cv = nil
			}
			out = append(out, cv)
		}
		return out, true, nil
	}
	typ := ec.sc.types[t.name]
	if typ == nil {
		return nil, true, inputErr(nil, "Unknown type %s", t.name)
	}
	switch typ.kind {
	case "SCALAR":
		switch x := v.(type) {
		case string:
			if stringScalars[t.name] {
				return x, true, nil
			}
		case gqlIntLit:
			switch t.name {
			case "Int":
				if i, err := strconv.ParseInt(x.raw, 10, 32); err == nil {
					return int(i), true, nil
				}
			case "Float":
				f, _ := strconv.ParseFloat(x.raw, 64)
				return f, true, nil
			case "ID":
				return x.raw, true, nil
			}
		case gqlFltLit:
			if t.name == "Float" {
				f, _ := strconv.ParseFloat(x.raw, 64)
				return f, true, nil
			}
		case bool:
			if t.name == "Boolean" {
				return x, true, nil
			}
		}
		return nil, true, inputErr(nil, "Could not coerce value %s to %s", literalText(v), t.name)
	case "ENUM":
		if e, ok := v.(gqlEnum); ok && containsString(typ.enum, e.name) {
			return e.name, true, nil
		}
		return nil, true, inputErr(nil, "Expected %s to be one of: %s", literalText(v), strings.Join(typ.enum, ", "))
	case "INPUT_OBJECT":
		obj, ok := v.(gqlObject)
		if !ok {
			return nil, true, inputErr(nil, "Expected %s to be an input object", literalText(v))
		}
		given := map[string]gqlValue{}
		for _, f := range obj {
			given[f.name] = f.val
			known := false
			for _, in := range typ.inputs {
				known = known || in.name == f.name
			}
			if !known {
				return nil, true, inputErr([]any{f.name}, "Field is not defined on %s", t.name)
			}
		}
		out := map[string]any{}
		for _, in := range typ.inputs {
			fv, ok := given[in.name]
			present := false
			var cv any
			if ok {
				var err error
				cv, present, err = ec.coerceLiteral(fv, in.typ)
				if err != nil {
					return nil, true, err
				}
			}
			if !present {
				if in.hasDef {
					d, _, err := ec.coerceLiteral(in.def, in.typ)
					if err != nil {
						return nil, true, err
					}
					out[in.name] = d
				} else if in.typ.nonNull {
					return nil, true, inputErr([]any{in.name}, "Expected value to not be null")
				}
				continue
			}
			out[in.name] = cv
		}
		return out, true, nil
	}
	return nil, true, inputErr(nil, "%s is not an input type", t.name)
}

func literalText(v gqlValue) string {
	switch x := v.(type) {
	case string:
		return strconv.Quote(x)
	case gqlIntLit:
		return x.raw
	case gqlFltLit:
		return x.raw
	case gqlEnum:
		return x.name
	case bool:
		return strconv.FormatBool(x)
	case gqlNull:
		return "null"
	case gqlList:
		return "[...]"
	case gqlObject:
		return "{...}"
	}
	return fmt.Sprint(v)
}

func (ec *execCtx) coerceArgs(defs []*gqlInputDef, given []*gqlArg, fieldName string) (map[string]any, error) {
	out := map[string]any{}
	for _, d := range defs {
		var arg *gqlArg
		for _, a := range given {
			if a.name == d.name {
				arg = a
			}
		}
		present := false
		if arg != nil {
			v, p, err := ec.coerceLiteral(arg.val, d.typ)
			if err != nil {
				return nil, fmt.Errorf("Argument '%s' on Field '%s' has an invalid value (%s). Expected type '%s'.", d.name, fieldName, literalText(arg.val), d.typ)
			}
			if p {
				out[d.name], present = v, true
			}
		}
		if !present {
			if d.hasDef {
				v, _, err := ec.coerceLiteral(d.def, d.typ)
				if err != nil {
					return nil, err
				}
				out[d.name] = v
			} else if d.typ.nonNull {
				return nil, fmt.Errorf("Field '%s' is missing required arguments: %s", fieldName, d.name)
			}
		}
	}
	return out, nil
}

// ---------------------------------------------------------------- execution

type fieldGroup struct {
	key    string
	fields []*gqlField
}

func (ec *execCtx) skipped(dirs []*gqlDirective) bool {
	for _, d := range dirs {
		if d.name != "skip" && d.name != "include" {
			continue
		}
		args, err := ec.coerceArgs([]*gqlInputDef{{name: "if", typ: &gqlTypeRef{name: "Boolean", nonNull: true}}}, d.args, "@"+d.name)
		if err != nil {
			continue
		}
		cond, _ := args["if"].(bool)
		if (d.name == "skip" && cond) || (d.name == "include" && !cond) {
			return true
		}
	}
	return false
}

// collect groups the fields selected on an object of type typeName by
// response key, in order (CollectFields of the specification).
func (ec *execCtx) collect(typeName string, sels []gqlSel, groups []*fieldGroup, index map[string]*fieldGroup, visited map[string]bool) []*fieldGroup {
	for _, sel := range sels {
		switch x := sel.(type) {
		case *gqlField:
			if ec.skipped(x.dirs) {
				continue
			}
			k := x.responseKey()
			if g := index[k]; g != nil {
				g.fields = append(g.fields, x)
				continue
			}
			g := &fieldGroup{key: k, fields: []*gqlField{x}}
			index[k] = g
			groups = append(groups, g)
		case *gqlInline:
			if ec.skipped(x.dirs) || !ec.sc.applies(typeName, x.typeCond) {
				continue
			}
			groups = ec.collect(typeName, x.sel, groups, index, visited)
		case *gqlSpread:
			if ec.skipped(x.dirs) || visited[x.name] {
				continue
			}
			visited[x.name] = true
			f := ec.doc.frags[x.name]
			if f == nil || !ec.sc.applies(typeName, f.typeCond) {
				continue
			}
			groups = ec.collect(typeName, f.sel, groups, index, visited)
		}
	}
	return groups
}

// execSelection runs a selection set on obj; ok false means a non-null
// field came back null and the null propagates to the parent.
func (ec *execCtx) execSelection(sels []gqlSel, typeName string, obj any, path []any) (*omap, bool) {
	groups := ec.collect(typeName, sels, nil, map[string]*fieldGroup{}, map[string]bool{})
	out := newOmap()
	for _, g := range groups {
		v, ok := ec.execField(typeName, obj, g, append(append([]any(nil), path...), g.key))
		if !ok {
			return nil, false
		}
		out.set(g.key, v)
	}
	return out, true
}

func (ec *execCtx) addError(err error, path []any, loc gqlLoc) {
	ge := gqlError{Path: path, Locations: []gqlLoc{loc}, Message: err.Error()}
	var te *typedError
	if errors.As(err, &te) {
		ge.Type = te.kind
	}
	ec.errors = append(ec.errors, ge)
}

func (ec *execCtx) execField(typeName string, obj any, g *fieldGroup, path []any) (any, bool) {
	f := g.fields[0]
	if f.name == "__typename" {
		return typeName, true
	}
	def := ec.sc.field(typeName, f.name)
	if def == nil {
		ec.addError(fmt.Errorf("Field '%s' doesn't exist on type '%s'", f.name, typeName), path, f.loc)
		return nil, true
	}
	args, err := ec.coerceArgs(def.args, f.args, f.name)
	var val any
	if err == nil {
		if def.resolve == nil {
			val, err = staticResolve(obj, f.name)
		} else {
			val, err = def.resolve(ec, obj, args)
		}
	}
	if err != nil {
		ec.addError(err, path, f.loc)
		return nil, !def.typ.nonNull
	}
	return ec.complete(def.typ, g.fields, val, path, typeName+"."+f.name)
}

// complete turns a resolved value into its answer for type t.
func (ec *execCtx) complete(t *gqlTypeRef, fields []*gqlField, val any, path []any, fieldName string) (any, bool) {
	if t.nonNull {
		inner := *t
		inner.nonNull = false
		if val == nil {
			ec.addError(fmt.Errorf("Cannot return null for non-nullable field %s", fieldName), path, fields[0].loc)
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
	if t.elem != nil {
		items, ok := val.([]any)
		if !ok {
			items = []any{val}
		}
		out := make([]any, len(items))
		for i, it := range items {
			v, ok := ec.complete(t.elem, fields, it, append(append([]any(nil), path...), i), fieldName)
			if !ok {
				return nil, true
			}
			out[i] = v
		}
		return out, true
	}
	if ec.sc.isLeaf(t.name) {
		return val, true
	}
	concrete := typeOf(val)
	if concrete == "" || ec.sc.types[concrete] == nil {
		ec.addError(fmt.Errorf("fakegithub: no type for %T", val), path, fields[0].loc)
		return nil, true
	}
	var sub []gqlSel
	for _, f := range fields {
		sub = append(sub, f.sel...)
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

// connection pages nodes like GitHub's connections (first/after,
// last/before; one of first or last is required, at most 100).
func connection(typ, field string, nodes []any, args map[string]any) (*gStatic, error) {
	first, hasFirst := args["first"].(int)
	last, hasLast := args["last"].(int)
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
