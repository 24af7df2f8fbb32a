// Package owners reads the approvers of a Prow OWNERS file: for promoter,
// the people who approve a staging project's promotion PRs in
// kubernetes/k8s.io (registry.k8s.io/images/<dir>/OWNERS). It does no I/O.
package owners

import (
	"fmt"

	"sigs.k8s.io/prow/pkg/repoowners"
)

// Approvers returns the approvers of an OWNERS file in Prow's format: the
// simple form, or the ".*" filter (every file) of the full form. Aliases
// are returned as written (OWNERS_ALIASES is another file).
func Approvers(b []byte) ([]string, error) {
	simple, err := repoowners.LoadSimpleConfig(b)
	if err == nil && !simple.Empty() {
		return simple.Approvers, nil
	}
	full, err := repoowners.LoadFullConfig(b)
	if err != nil {
		return nil, fmt.Errorf("not an OWNERS file: %w", err)
	}
	return full.Filters[".*"].Approvers, nil
}
