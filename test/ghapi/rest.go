package ghapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

// restIndex finds the documented operation of a request.
type restIndex struct {
	desc  *description
	paths []*pathTemplate
	ops   map[string]*operation // by operationId
}

type pathTemplate struct {
	template string
	segs     []string // literal, or "{name}"
	literals int
	methods  map[string]string // method → operationId
}

// operation is one documented operation, before its description is loaded.
type operation struct {
	method, id string
	tmpl       *pathTemplate
}

func newRESTIndex(desc *description) (*restIndex, error) {
	all, err := desc.operations()
	if err != nil {
		return nil, err
	}
	ix := &restIndex{desc: desc, ops: map[string]*operation{}}
	for tmpl, methods := range all {
		pt := &pathTemplate{template: tmpl, segs: strings.Split(strings.Trim(tmpl, "/"), "/"), methods: methods}
		for _, s := range pt.segs {
			if !isParam(s) {
				pt.literals++
			}
		}
		ix.paths = append(ix.paths, pt)
		for method, id := range methods {
			ix.ops[id] = &operation{method: method, id: id, tmpl: pt}
		}
	}
	sort.Slice(ix.paths, func(i, j int) bool { return ix.paths[i].template < ix.paths[j].template })
	return ix, nil
}

func isParam(seg string) bool { return strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") }

// pathMatch is a template that matches a path, with the parameters bound.
type pathMatch struct {
	tmpl   *pathTemplate
	params map[string]string
	spans  int // parameters that took more than one segment
}

// spanning are the parameters whose values may hold slashes (a file path,
// a ref like heads/main, a branch like release/v1): they may take several
// path segments.
var spanning = map[string]bool{"path": true, "ref": true, "branch": true, "basehead": true}

// match lists the templates that match the path's segments, ranked: those
// where every parameter is one segment, else those where a spanning
// parameter takes several; then more literal segments first. It returns
// only the best-ranked ones.
func (ix *restIndex) match(segs []string) []pathMatch {
	var all []pathMatch
	for _, pt := range ix.paths {
		if params, spans, ok := bind(pt.segs, segs, map[string]string{}, 0); ok {
			all = append(all, pathMatch{tmpl: pt, params: params, spans: spans})
		}
	}
	sort.SliceStable(all, func(i, j int) bool {
		if all[i].spans != all[j].spans {
			return all[i].spans < all[j].spans
		}
		return all[i].tmpl.literals > all[j].tmpl.literals
	})
	for i := range all {
		if all[i].spans != all[0].spans || all[i].tmpl.literals != all[0].tmpl.literals {
			return all[:i]
		}
	}
	return all
}

// bind matches template segments to path segments; a spanning parameter
// may take one or more segments (the fewest that make the rest match).
func bind(tmpl, segs []string, params map[string]string, spans int) (map[string]string, int, bool) {
	if len(tmpl) == 0 {
		return params, spans, len(segs) == 0
	}
	if len(segs) == 0 {
		return nil, 0, false
	}
	if !isParam(tmpl[0]) {
		if tmpl[0] != segs[0] {
			return nil, 0, false
		}
		return bind(tmpl[1:], segs[1:], params, spans)
	}
	name := tmpl[0][1 : len(tmpl[0])-1]
	most := 1
	if spanning[name] {
		most = len(segs) - len(tmpl) + 1
	}
	for n := 1; n <= most; n++ {
		p := map[string]string{}
		for k, v := range params {
			p[k] = v
		}
		p[name] = strings.Join(segs[:n], "/")
		extra := 0
		if n > 1 {
			extra = 1
		}
		if out, sp, ok := bind(tmpl[1:], segs[n:], p, spans+extra); ok {
			return out, sp, true
		}
	}
	return nil, 0, false
}

// find picks the documented operation for method and path, or the client
// deviation it is allowed as. It returns the operations to judge the answer
// by (several for a deviation) or a problem.
func (ix *restIndex) find(method, path string) ([]*operation, map[string]string, string) {
	var segs []string
	for _, s := range strings.Split(strings.Trim(path, "/"), "/") {
		u, err := url.PathUnescape(s)
		if err != nil {
			return nil, nil, fmt.Sprintf("path segment %q is not valid escaping", s)
		}
		segs = append(segs, u)
	}
	matches := ix.match(segs)
	for _, m := range matches {
		if id, ok := m.tmpl.methods[method]; ok {
			return []*operation{{method: method, id: id, tmpl: m.tmpl}}, m.params, ""
		}
	}
	for _, m := range matches {
		if d, ok := clientDeviation(method, m.tmpl.template); ok {
			var ops []*operation
			for _, id := range d.As {
				if op := ix.ops[id]; op != nil {
					ops = append(ops, op)
				}
			}
			if len(ops) == 0 {
				return nil, nil, fmt.Sprintf("allowlisted as %v, which the description lacks", d.As)
			}
			return ops, m.params, ""
		}
	}
	if len(matches) > 0 {
		return nil, nil, fmt.Sprintf("%s is not documented for %s", method, matches[0].tmpl.template)
	}
	return nil, nil, "no documented operation has this path"
}

var validationOptions = &openapi3filter.Options{
	AuthenticationFunc:    openapi3filter.NoopAuthenticationFunc,
	IncludeResponseStatus: true,
	MultiError:            true,
}

// preload loads, in one go, the operations of every REST exchange.
func (ix *restIndex) preload(exs []Exchange) error {
	seen := map[string]bool{}
	var templates []string
	for _, ex := range exs {
		if ex.IsGraphQL() {
			continue
		}
		ops, _, _ := ix.find(ex.Method, ex.Path)
		for _, op := range ops {
			if !seen[op.tmpl.template] {
				seen[op.tmpl.template] = true
				templates = append(templates, op.tmpl.template)
			}
		}
	}
	_, err := ix.desc.load(templates)
	return err
}

// check judges a REST exchange: a documented operation, a request that fits
// it, a documented status and an answer that fits the schema of that status.
func (ix *restIndex) check(ctx context.Context, ex Exchange) []string {
	ops, params, problem := ix.find(ex.Method, ex.Path)
	if problem != "" {
		return []string{"request: " + problem}
	}
	var templates []string
	for _, op := range ops {
		templates = append(templates, op.tmpl.template)
	}
	doc, err := ix.desc.load(templates)
	if err != nil {
		return []string{err.Error()}
	}
	var failures []string
	for _, op := range ops {
		problems := checkAs(ctx, doc, ex, op, params)
		if len(problems) == 0 {
			return nil
		}
		failures = append(failures, problems...)
	}
	return failures
}

func checkAs(ctx context.Context, doc *openapi3.T, ex Exchange, op *operation, params map[string]string) []string {
	item := doc.Paths.Value(op.tmpl.template)
	kop := item.GetOperation(op.method)
	name := op.id
	var problems []string
	req, err := http.NewRequestWithContext(ctx, ex.Method, "https://api.github.com"+ex.Path+queryPart(ex.Query), strings.NewReader(ex.RequestBody))
	if err != nil {
		return []string{"request: " + err.Error()}
	}
	for k, v := range ex.RequestHeader {
		req.Header.Set(k, v)
	}
	if ex.RequestBody != "" && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json") // see BodyWithoutContentType
	}
	route := &routers.Route{Spec: doc, Path: op.tmpl.template, PathItem: item, Method: op.method, Operation: kop}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: validationOptions}
	if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
		for _, e := range flatten(err) {
			problems = append(problems, fmt.Sprintf("request does not fit %s: %s", name, e))
		}
	}
	problems = append(problems, unknownQuery(ex.Query, item, kop)...)

	status := ex.Status
	documented := kop.Responses.Status(status) != nil
	if !documented && (genericStatus(status, ex.ResponseHeader) || undocumentedAnswer(name, status)) {
		if p := basicError(doc, ex); p != "" {
			problems = append(problems, fmt.Sprintf("answer %d of %s: %s", status, name, p))
		}
		return problems
	}
	if !documented {
		return append(problems, fmt.Sprintf("answer: status %d is not documented for %s (documented: %s)", status, name, statuses(kop)))
	}
	header := http.Header{}
	for k, v := range ex.ResponseHeader {
		header.Set(k, v)
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: status, Header: header,
		Body: io.NopCloser(strings.NewReader(ex.ResponseBody)), Options: validationOptions}
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		for _, e := range flatten(err) {
			problems = append(problems, fmt.Sprintf("answer does not fit %s %d: %s", name, status, e))
		}
	}
	return problems
}

// basicError checks an error answer against GitHub's basic-error schema.
func basicError(doc *openapi3.T, ex Exchange) string {
	ref := doc.Components.Schemas["basic-error"]
	if ref == nil || ref.Value == nil {
		return "the description has no basic-error schema"
	}
	v, err := decodeJSON(ex.ResponseBody)
	if err != nil {
		return "body is not JSON: " + err.Error()
	}
	if err := ref.Value.VisitJSON(v); err != nil {
		return "body is not GitHub's basic error: " + err.Error()
	}
	return ""
}

// unknownQuery lists query parameters the operation does not document.
func unknownQuery(raw string, item *openapi3.PathItem, op *openapi3.Operation) []string {
	q, err := url.ParseQuery(raw)
	if err != nil {
		return []string{"request: query: " + err.Error()}
	}
	known := map[string]bool{}
	for _, list := range []openapi3.Parameters{item.Parameters, op.Parameters} {
		for _, p := range list {
			if p.Value != nil && p.Value.In == openapi3.ParameterInQuery {
				known[p.Value.Name] = true
			}
		}
	}
	var out []string
	for _, k := range sortedKeys(q) {
		if !known[k] {
			out = append(out, fmt.Sprintf("request: query parameter %q is not documented for %s", k, op.OperationID))
		}
	}
	return out
}

func statuses(op *openapi3.Operation) string {
	var out []string
	for k := range op.Responses.Map() {
		out = append(out, k)
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}

func queryPart(q string) string {
	if q == "" {
		return ""
	}
	return "?" + q
}

// flatten splits kin-openapi's errors into one line each, keeping what
// each is about (a parameter, the body) in front.
func flatten(err error) []string {
	prefixed := func(prefix string, inner error) []string {
		if inner == nil {
			return []string{prefix}
		}
		var out []string
		for _, line := range flatten(inner) {
			out = append(out, prefix+": "+line)
		}
		return out
	}
	switch e := err.(type) {
	case openapi3.MultiError:
		var out []string
		for _, x := range e {
			out = append(out, flatten(x)...)
		}
		return out
	case *openapi3filter.RequestError:
		prefix := e.Reason
		if e.Parameter != nil {
			prefix = "parameter " + e.Parameter.Name
		} else if e.RequestBody != nil {
			prefix = "body"
		}
		if prefix == "" {
			prefix = "request"
		}
		return prefixed(prefix, e.Err)
	case *openapi3filter.ResponseError:
		prefix := e.Reason
		if prefix == "" {
			prefix = "answer"
		}
		return prefixed(prefix, e.Err)
	case *openapi3.SchemaError:
		return []string{fmt.Sprintf("at /%s: %s", strings.Join(e.JSONPointer(), "/"), e.Reason)}
	}
	var se *openapi3.SchemaError
	if errors.As(err, &se) {
		return flatten(se)
	}
	return []string{oneLine(err.Error())}
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
