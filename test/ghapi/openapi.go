package ghapi

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
)

// description is GitHub's OpenAPI document kept undecoded. Loading all of
// it with kin-openapi (13 MB, 811 paths) takes seconds and over a gigabyte
// of allocations, so only the path items exchanges use are loaded, with
// the components they reference.
type description struct {
	top        map[string]json.RawMessage
	paths      map[string]json.RawMessage
	components map[string]map[string]json.RawMessage

	mu     sync.Mutex
	loaded map[string]bool // path templates in doc
	doc    *openapi3.T
}

func parseDescription(b []byte) (*description, error) {
	d := &description{loaded: map[string]bool{}}
	if err := json.Unmarshal(b, &d.top); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(d.top["paths"], &d.paths); err != nil {
		return nil, fmt.Errorf("paths: %w", err)
	}
	if c, ok := d.top["components"]; ok {
		if err := json.Unmarshal(c, &d.components); err != nil {
			return nil, fmt.Errorf("components: %w", err)
		}
	}
	if len(d.paths) == 0 {
		return nil, fmt.Errorf("the description documents no paths")
	}
	return d, nil
}

var httpMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// operations lists each path template's operations: method (upper case)
// → operationId.
func (d *description) operations() (map[string]map[string]string, error) {
	out := map[string]map[string]string{}
	for tmpl, raw := range d.paths {
		var item map[string]json.RawMessage
		if err := json.Unmarshal(raw, &item); err != nil {
			return nil, fmt.Errorf("paths[%s]: %w", tmpl, err)
		}
		ops := map[string]string{}
		for _, m := range httpMethods {
			if opRaw, ok := item[m]; ok {
				var op struct {
					OperationID string `json:"operationId"`
				}
				if err := json.Unmarshal(opRaw, &op); err != nil {
					return nil, fmt.Errorf("paths[%s].%s: %w", tmpl, m, err)
				}
				ops[strings.ToUpper(m)] = op.OperationID
			}
		}
		out[tmpl] = ops
	}
	return out, nil
}

var componentRef = regexp.MustCompile(`"\$ref"\s*:\s*"#/components/([^/"]+)/([^"]+)"`)

// load returns a document holding at least the given path templates (and
// every template loaded before), with the components they reference and
// GitHub's basic-error schema.
func (d *description) load(templates []string) (*openapi3.T, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	missing := false
	for _, t := range templates {
		if !d.loaded[t] {
			missing = true
			d.loaded[t] = true
		}
	}
	if d.doc != nil && !missing {
		return d.doc, nil
	}
	paths := map[string]json.RawMessage{}
	var queue []json.RawMessage
	for t := range d.loaded {
		raw, ok := d.paths[t]
		if !ok {
			return nil, fmt.Errorf("the description has no path %s", t)
		}
		paths[t] = raw
		queue = append(queue, raw)
	}
	comps := map[string]map[string]json.RawMessage{}
	want := func(kind, name string) {
		if comps[kind] == nil {
			comps[kind] = map[string]json.RawMessage{}
		}
		if _, seen := comps[kind][name]; seen {
			return
		}
		raw, ok := d.components[kind][name]
		if !ok {
			return // kin-openapi names the dangling reference
		}
		comps[kind][name] = raw
		queue = append(queue, raw)
	}
	want("schemas", "basic-error")
	for len(queue) > 0 {
		raw := queue[0]
		queue = queue[1:]
		for _, m := range componentRef.FindAllSubmatch(raw, -1) {
			name := strings.NewReplacer("~1", "/", "~0", "~").Replace(string(m[2]))
			want(string(m[1]), name)
		}
	}
	doc := map[string]any{"openapi": d.top["openapi"], "info": d.top["info"], "paths": paths, "components": comps}
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	t, err := openapi3.NewLoader().LoadFromData(b)
	if err != nil {
		return nil, fmt.Errorf("GitHub's OpenAPI description (%s): %w", strings.Join(sortedKeys(d.loaded), ", "), err)
	}
	d.doc = t
	return t, nil
}
