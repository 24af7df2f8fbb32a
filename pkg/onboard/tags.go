package onboard

import (
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// buildTagRE matches tags that name a build, not a release: image-builder's
// v<YYYYMMDD>-<describe> (and older <YYYYMMDD>-...), or a describe with a
// -g<sha> suffix. They never come from a git tag.
var buildTagRE = regexp.MustCompile(`^v?\d{8}-|-g[0-9a-f]{7,40}$`)

// IsBuildTag reports whether a promoted tag names a build rather than a release.
func IsBuildTag(tag string) bool { return buildTagRE.MatchString(tag) }

// preRE splits a pre-release suffix off a version: v1.2.3-rc.1, 1.2.3-beta2,
// v1.2.3-alpha.
var preRE = regexp.MustCompile(`^(.*\d)-(alpha|beta|rc|pre|dev)(\.?\d+)?$`)

var digitsRE = regexp.MustCompile(`\d+`)

// shape is a tag's form: its digit runs as \d+, the rest literal, e.g.
// v1.2.3 -> v\d+\.\d+\.\d+. Pre-release suffixes are split off, so v1.2.3
// and v1.2.4-rc.1 have the same base.
func shape(tag string) (base, pre string) {
	b := tag
	if m := preRE.FindStringSubmatch(tag); m != nil {
		b, pre = m[1], m[2]+m[3]
	}
	var out strings.Builder
	last := 0
	for _, loc := range digitsRE.FindAllStringIndex(b, -1) {
		out.WriteString(regexp.QuoteMeta(b[last:loc[0]]))
		out.WriteString(`\d+`)
		last = loc[1]
	}
	out.WriteString(regexp.QuoteMeta(b[last:]))
	return out.String(), pre
}

// TagPattern is a regexp for a set of promoted tags: the most common form
// among the release tags, with the pre-release suffixes seen on it.
type TagPattern struct {
	// Regexp matches the whole tag (anchored with ^ and $); the version
	// part, Body, is Regexp without the anchors.
	Regexp string
	Body   string
	// Matched are the release tags it matches; Other the release tags of
	// other forms, and Builds the build tags, all left out.
	Matched []string
	Other   []string
	Builds  []string
}

// DerivePattern finds the pattern of a set of promoted tags: the most
// common form among them; ok is false when no tag is a release tag.
func DerivePattern(tags []string) (TagPattern, bool) {
	base, ok := dominantForm(tags)
	if !ok {
		return TagPattern{Builds: tags}, false
	}
	return patternOf(tags, base), true
}

// dominantForm is the base form most release tags have (ties: the
// shortest, then the first in text order).
func dominantForm(tags []string) (string, bool) {
	count := map[string]int{}
	for _, t := range tags {
		if !IsBuildTag(t) {
			base, _ := shape(t)
			count[base]++
		}
	}
	best, ok := "", false
	for base, n := range count {
		if !ok || n > count[best] || n == count[best] && lessForm(base, best) {
			best, ok = base, true
		}
	}
	return best, ok
}

// lessForm orders forms simplest first: a git tag is more likely v1.2.3
// than one of the variants built from it (v1.2.3-k8s.v1.29.2).
func lessForm(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

// patternOf is the pattern of the tags of one base form, with the
// pre-release suffixes seen on it; the others are Other or Builds.
func patternOf(tags []string, base string) TagPattern {
	var p TagPattern
	pres := map[string]bool{}
	for _, t := range tags {
		if IsBuildTag(t) {
			p.Builds = append(p.Builds, t)
			continue
		}
		if b, pre := shape(t); b == base {
			p.Matched = append(p.Matched, t)
			if pre != "" {
				pres[pre] = true
			}
		} else {
			p.Other = append(p.Other, t)
		}
	}
	p.Body = base + preGroup(pres)
	p.Regexp = "^" + p.Body + "$"
	return p
}

// preGroup is the optional pre-release suffix for the forms seen, e.g.
// (?:-(?:alpha|rc)\.\d+)? when every one had a dotted number.
func preGroup(pres map[string]bool) string {
	if len(pres) == 0 {
		return ""
	}
	words := map[string]bool{}
	allDotted := true
	for p := range pres {
		w := strings.TrimRight(p, ".0123456789")
		words[w] = true
		if !strings.HasPrefix(p[len(w):], ".") {
			allDotted = false
		}
	}
	list := make([]string, 0, len(words))
	for w := range words {
		list = append(list, w)
	}
	sort.Strings(list)
	num := `(?:\.?\d+)?`
	if allDotted {
		num = `\.\d+`
	}
	return `(?:-(?:` + strings.Join(list, "|") + `)` + num + `)?`
}

// CompareVersions orders release tags as versions: digit runs by number, a
// pre-release before its release (v1.2.3-rc.1 < v1.2.3), otherwise as text.
func CompareVersions(a, b string) int {
	ab, ap := splitPre(a)
	bb, bp := splitPre(b)
	if c := naturalCompare(ab, bb); c != 0 {
		return c
	}
	switch {
	case ap == bp:
		return 0
	case ap == "":
		return 1
	case bp == "":
		return -1
	}
	return naturalCompare(ap, bp)
}

func splitPre(t string) (base, pre string) {
	t = strings.TrimPrefix(t, "v")
	if m := preRE.FindStringSubmatch(t); m != nil {
		return m[1], m[2] + m[3]
	}
	return t, ""
}

// naturalCompare compares digit runs as numbers and the rest as text.
func naturalCompare(a, b string) int {
	for a != "" && b != "" {
		da, db := leadingDigits(a), leadingDigits(b)
		if da != "" && db != "" {
			x, _ := strconv.ParseUint(da, 10, 64)
			y, _ := strconv.ParseUint(db, 10, 64)
			if x != y {
				if x < y {
					return -1
				}
				return 1
			}
			a, b = a[len(da):], b[len(db):]
			continue
		}
		if a[0] != b[0] {
			if a[0] < b[0] {
				return -1
			}
			return 1
		}
		a, b = a[1:], b[1:]
	}
	return len(a) - len(b)
}

func leadingDigits(s string) string {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return s[:i]
}

// series is a release's line: its first two numbers (v1.30.2 -> 1.30).
func series(tag string) string {
	nums := digitsRE.FindAllString(tag, 2)
	return strings.Join(nums, ".")
}
