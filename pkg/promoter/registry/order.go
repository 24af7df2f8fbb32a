package registry

import (
	"errors"
	"regexp"
	"slices"
	"strings"
	"time"
)

// datePrefix is test-infra image-builder's "v<YYYYMMDD>-" tag prefix.
var datePrefix = regexp.MustCompile(`^v?([0-9]{8})-`)

// anchor makes match apply to the whole tag. Wrapping the source (rather than
// checking the span of the leftmost match) is what makes alternations such as
// "v1|v1.2" behave: RE2 picks the leftmost-first match, not the longest.
func anchor(match *regexp.Regexp) (*regexp.Regexp, error) {
	if match == nil {
		return nil, errors.New("no tag pattern given")
	}
	return regexp.Compile(`^(?:` + match.String() + `)$`)
}

// matching returns the tags matched by whole, newest first.
func matching(tags []string, whole *regexp.Regexp) []string {
	var out []string
	for _, t := range tags {
		if whole.MatchString(t) {
			out = append(out, t)
		}
	}
	slices.SortFunc(out, newerFirst)
	return out
}

// newerFirst orders tags newest first:
//  1. tags with a build-date prefix come before undated ones, a later date
//     first: the date is when the image job ran, so it is the rebuild order;
//  2. otherwise (same date, or both undated) the greater tag string first.
//     For git-describe suffixes on one day ("v1.2.3" vs "v1.2.3-1-gabc")
//     that puts the later commit first. Reading each candidate's config
//     "created" time would cost two or more calls per tag and is often
//     zeroed for reproducible builds, so it is not used.
//
// Tags in a listing are unique, so the order is total and deterministic.
func newerFirst(a, b string) int {
	da, db := buildDate(a), buildDate(b)
	switch {
	case da != db && da == "":
		return 1
	case da != db && db == "":
		return -1
	case da != db:
		return strings.Compare(db, da)
	}
	return strings.Compare(b, a)
}

// buildDate returns the YYYYMMDD prefix of tag, or "" if it has none or it
// is not a real date (an 8-digit version number is not a date).
func buildDate(tag string) string {
	m := datePrefix.FindStringSubmatch(tag)
	if m == nil {
		return ""
	}
	if _, err := time.Parse("20060102", m[1]); err != nil {
		return ""
	}
	return m[1]
}
