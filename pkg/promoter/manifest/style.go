package manifest

import (
	"slices"
	"strings"
)

// style is how a file writes tag lists, so new lines look like their
// neighbours: `["a","b"]` (kpromo), `["a", "b"]` (kueue), `[ "a" ]`
// (sig-storage's generator).
type style struct {
	quote byte
	pad   bool
	sep   string
	// sorted: the file's lists of two or more tags are mostly in string
	// order, as kpromo writes them (it sorts each digest's tags).
	sorted bool
}

// style takes the majority of the file's one-line tag lists.
func (m *Manifest) style() style {
	var quotes [256]int
	var padded, lists, sorted, unsorted int
	seps := map[string]int{}
	for _, img := range m.Images {
		for _, e := range img.Digests {
			if len(e.Tags) >= 2 {
				if slices.IsSorted(e.Tags) {
					sorted++
				} else {
					unsorted++
				}
			}
			if e.list.kind != listFlow || len(e.Tags) == 0 {
				continue
			}
			lists++
			quotes[e.list.quote]++
			if e.list.pad {
				padded++
			}
			if e.list.sep != "" {
				seps[e.list.sep]++
			}
		}
	}
	st := style{quote: '"', pad: lists > 0 && padded*2 > lists, sep: ", ", sorted: sorted > unsorted}
	if lists > 0 && quotes[0]*2 > lists {
		st.quote = 0
	} else if quotes['\'']*2 > lists {
		st.quote = '\''
	}
	best := 0
	for sep, n := range seps {
		if n > best || (n == best && sep < st.sep) {
			st.sep, best = sep, n
		}
	}
	return st
}

// list renders a flow list of tags.
func (st style) list(tags []string) string {
	pad := ""
	if st.pad {
		pad = " "
	}
	return "[" + pad + join(tags, st.quote, st.sep) + pad + "]"
}

// entry renders a digest line without indentation or line ending. The digest
// is always double-quoted: the promotion jobs find new digests in the diff
// with the regex "(sha256:[0-9a-f]{64})", quotes included.
func (st style) entry(p Promotion) string {
	tags := p.Tags
	if st.sorted {
		tags = slices.Sorted(slices.Values(tags))
	}
	return `"` + p.Digest + `": ` + st.list(tags)
}

// keepsSorted reports whether tags added to e go where string order puts
// them: e's own tags say so from two on; a list of one follows the file.
func (st style) keepsSorted(e Entry) bool {
	if len(e.Tags) >= 2 {
		return slices.IsSorted(e.Tags)
	}
	return st.sorted
}

func join(tags []string, q byte, sep string) string {
	quoted := make([]string, len(tags))
	for i, t := range tags {
		quoted[i] = quote(t, q)
	}
	return strings.Join(quoted, sep)
}

// quote writes a validated tag or image name in the given quote style. A
// plain word that YAML would read as something other than a string (a
// number, a boolean, null) is double-quoted instead.
func quote(s string, q byte) string {
	if q == 0 && (s == "" || !isWordStart(s[0]) || (s[0] >= '0' && s[0] <= '9') || isYAMLWord(s)) {
		q = '"'
	}
	if q == 0 {
		return s
	}
	return string(q) + s + string(q)
}

// isYAMLWord reports YAML 1.1 booleans and nulls, which the promoter's YAML
// library would not read as strings.
func isYAMLWord(s string) bool {
	switch strings.ToLower(s) {
	case "y", "n", "yes", "no", "on", "off", "true", "false", "null":
		return true
	}
	return false
}
