package manifest

import (
	"fmt"
	"strings"
)

// Summary describes the change in one Markdown list item per promotion, for
// the PR body and for replies:
//
//   - new image `snoopdb-proxy`: `sha256:…` as `v0.3.0` (line 10)
func (r *Result) Summary() string {
	var b strings.Builder
	for _, c := range r.Changes {
		b.WriteString("- " + c.String() + "\n")
	}
	return b.String()
}

func (c Change) String() string {
	tags := func(ts []string) string { return "`" + strings.Join(ts, "`, `") + "`" }
	switch c.Kind {
	case NewImage:
		return fmt.Sprintf("new image `%s`: `%s` as %s (line %d)", c.Image, c.Digest, tags(c.Added), c.Line)
	case NewDigest:
		return fmt.Sprintf("`%s`: new digest `%s` as %s (line %d)", c.Image, c.Digest, tags(c.Added), c.Line)
	case NewTags:
		return fmt.Sprintf("`%s`: `%s`, already promoted, also as %s (line %d)", c.Image, c.Digest, tags(c.Added), c.Line)
	}
	return fmt.Sprintf("`%s`: `%s` already promoted as %s (line %d); no change", c.Image, c.Digest, tags(c.Tags), c.Line)
}
