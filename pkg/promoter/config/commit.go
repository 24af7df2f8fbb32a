package config

import (
	"fmt"
	"regexp"
	"strings"
)

// MinAbbrev is the shortest abbreviated SHA git describe writes (core.abbrev's
// floor); big repositories get 9 to 12 digits.
const MinAbbrev = 7

var shaRE = regexp.MustCompile(`^[0-9a-f]{40}$`)

// CommitPattern is a regexp (without anchors) that matches sha abbreviated to
// any length from MinAbbrev to all of it, and only prefixes of sha: a build
// of another commit never matches, however close in time, and no fixed
// abbreviation length is assumed. sha must be a full lowercase SHA.
func CommitPattern(sha string) string {
	// sha[:7] then nested optional digits: 1a2b3c4(?:d(?:5...)?)?
	rest := sha[MinAbbrev:]
	var b strings.Builder
	b.Grow(len(sha) + 5*len(rest))
	b.WriteString(sha[:MinAbbrev])
	for i := 0; i < len(rest); i++ {
		b.WriteString("(?:")
		b.WriteByte(rest[i])
	}
	b.WriteString(strings.Repeat(")?", len(rest)))
	return b.String()
}

// checkSHA refuses anything but a full lowercase SHA-1, before it is put
// into a regexp.
func checkSHA(sha string) error {
	if !shaRE.MatchString(sha) {
		return fmt.Errorf("not a full commit SHA: %q", sha)
	}
	return nil
}
