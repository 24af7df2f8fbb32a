package onboard

import (
	"fmt"
	"regexp"
	"regexp/syntax"
	"strings"
	"text/template"
)

// releaseTags maps an image's config to concrete git tags, so that a job's
// branch filters can be tried on them: the release tags a project actually
// made (found back from images.yaml's promoted tags through promotedTag),
// and one example tag of gitTags itself.
type releaseTags struct {
	gitTags  *regexp.Regexp // anchored
	tree     *syntax.Regexp
	promoted *template.Template
	inverse  *regexp.Regexp // promotedTag as a regexp over promoted tags
	groups   []string       // template names, one per inverse group
}

var actionRE = regexp.MustCompile(`\{\{-?\s*\.([A-Za-z_][A-Za-z0-9_]*)\s*-?\}\}`)

// newReleaseTags prepares gitTags and promotedTag (config syntax: gitTags
// unanchored or anchored, promotedTag a template of .Tag and gitTags' named
// groups).
func newReleaseTags(gitTags, promotedTag string) (*releaseTags, error) {
	whole := `^(?:` + gitTags + `)$`
	re, err := regexp.Compile(whole)
	if err != nil {
		return nil, err
	}
	tree, err := syntax.Parse(whole, syntax.Perl)
	if err != nil {
		return nil, err
	}
	t, err := template.New("").Option("missingkey=error").Parse(promotedTag)
	if err != nil {
		return nil, err
	}
	rt := &releaseTags{gitTags: re, tree: tree.Simplify(), promoted: t}
	rt.inverse, rt.groups = invertTemplate(promotedTag)
	return rt, nil
}

// invertTemplate turns a promotedTag made only of text and {{.Name}}
// actions into a regexp that recovers the names' values from a promoted
// tag. Anything fancier is not inverted (nil).
func invertTemplate(text string) (*regexp.Regexp, []string) {
	rest := actionRE.ReplaceAllString(text, "")
	if strings.Contains(rest, "{{") {
		return nil, nil
	}
	var b strings.Builder
	var groups []string
	last := 0
	for _, m := range actionRE.FindAllStringSubmatchIndex(text, -1) {
		b.WriteString(regexp.QuoteMeta(text[last:m[0]]))
		b.WriteString(`(.+?)`)
		groups = append(groups, text[m[2]:m[3]])
		last = m[1]
	}
	b.WriteString(regexp.QuoteMeta(text[last:]))
	re, err := regexp.Compile("^" + b.String() + "$")
	if err != nil {
		return nil, nil
	}
	return re, groups
}

// fromPromoted returns the git tag that, released, gives the promoted tag:
// promotedTag inverted, then gitTags filled in with the values. ok is false
// when no git tag that gitTags accepts gives exactly this promoted tag.
func (rt *releaseTags) fromPromoted(promoted string) (string, bool) {
	if rt.inverse == nil {
		return "", false
	}
	m := rt.inverse.FindStringSubmatch(promoted)
	if m == nil {
		return "", false
	}
	values := map[string]string{}
	for i, name := range rt.groups {
		if v, dup := values[name]; dup && v != m[i+1] {
			return "", false
		}
		values[name] = m[i+1]
	}
	tag, ok := values["Tag"]
	if !ok {
		if tag, ok = example(rt.tree, values); !ok {
			return "", false
		}
	}
	if rendered, ok := rt.render(tag); !ok || rendered != promoted {
		return "", false
	}
	return tag, true
}

// render is promotedTag for a git tag; ok is false when gitTags rejects it.
func (rt *releaseTags) render(tag string) (string, bool) {
	m := rt.gitTags.FindStringSubmatch(tag)
	if m == nil {
		return "", false
	}
	data := map[string]string{"Tag": tag}
	for i, n := range rt.gitTags.SubexpNames() {
		if n != "" {
			data[n] = m[i]
		}
	}
	var b strings.Builder
	if err := rt.promoted.Execute(&b, data); err != nil {
		return "", false
	}
	return b.String(), true
}

// gitTagsFrom maps promoted tags back to the git tags that made them;
// promoted tags no accepted git tag gives are left out.
func (rt *releaseTags) gitTagsFrom(promoted []string) []string {
	var out []string
	for _, p := range promoted {
		if t, ok := rt.fromPromoted(p); ok {
			out = append(out, t)
		}
	}
	return out
}

// example is the simplest git tag gitTags accepts, e.g. v0.0.0.
func (rt *releaseTags) example() (string, bool) {
	t, ok := example(rt.tree, nil)
	if !ok || !rt.gitTags.MatchString(t) {
		return "", false
	}
	return t, true
}

// example writes a string the regexp matches, with the named groups given
// in values taking those values: digits as 0, optional parts left out. The
// caller checks the result against the regexp.
func example(re *syntax.Regexp, values map[string]string) (string, bool) {
	var b strings.Builder
	ok := gen(&b, re, values)
	return b.String(), ok
}

func gen(b *strings.Builder, re *syntax.Regexp, values map[string]string) bool {
	switch re.Op {
	case syntax.OpNoMatch:
		return false
	case syntax.OpLiteral:
		b.WriteString(string(re.Rune))
	case syntax.OpCharClass:
		r, ok := classRune(re.Rune)
		if !ok {
			return false
		}
		b.WriteRune(r)
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		b.WriteByte('x')
	case syntax.OpCapture:
		if v, ok := values[re.Name]; ok && re.Name != "" {
			b.WriteString(v)
			return true
		}
		return gen(b, re.Sub[0], values)
	case syntax.OpStar, syntax.OpQuest:
		if names(re.Sub[0], values) {
			return gen(b, re.Sub[0], values)
		}
	case syntax.OpPlus:
		return gen(b, re.Sub[0], values)
	case syntax.OpRepeat:
		for i := 0; i < max(re.Min, 1) && (i < re.Min || names(re.Sub[0], values)); i++ {
			if !gen(b, re.Sub[0], values) {
				return false
			}
		}
	case syntax.OpConcat:
		for _, sub := range re.Sub {
			if !gen(b, sub, values) {
				return false
			}
		}
	case syntax.OpAlternate:
		return gen(b, pickAlternative(re.Sub, values), values)
	}
	return true // empty matches and anchors write nothing
}

// pickAlternative prefers the branch that holds a group with a value.
func pickAlternative(subs []*syntax.Regexp, values map[string]string) *syntax.Regexp {
	for _, s := range subs {
		if names(s, values) {
			return s
		}
	}
	return subs[0]
}

// names reports whether re holds a capture named in values.
func names(re *syntax.Regexp, values map[string]string) bool {
	if re.Op == syntax.OpCapture {
		if _, ok := values[re.Name]; ok && re.Name != "" {
			return true
		}
	}
	for _, s := range re.Sub {
		if names(s, values) {
			return true
		}
	}
	return false
}

// classRune picks a printable member of a character class, preferring the
// characters versions are made of.
func classRune(ranges []rune) (rune, bool) {
	in := func(r rune) bool {
		for i := 0; i+1 < len(ranges); i += 2 {
			if ranges[i] <= r && r <= ranges[i+1] {
				return true
			}
		}
		return false
	}
	for _, r := range "0a.-v" {
		if in(r) {
			return r, true
		}
	}
	for i := 0; i+1 < len(ranges); i += 2 {
		for r := max(ranges[i], '!'); r <= ranges[i+1] && r <= '~'; r++ {
			return r, true
		}
	}
	return 0, false
}

// describeTags shows up to n tags, and how many more there are.
func describeTags(tags []string, n int) string {
	if len(tags) <= n {
		return strings.Join(tags, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(tags[:n], ", "), len(tags)-n)
}
