package onboard

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"

	"sigs.k8s.io/prow/pkg/repoowners"

	"sigs.k8s.io/promoter/pkg/promoter/owners"
)

// Owners are the GitHub logins that approve a staging project's images, as
// far as its OWNERS file tells.
type Owners struct {
	// Found is false when the directory has no OWNERS file.
	Found bool
	// Approvers are logins, aliases expanded, in the file's order.
	Approvers []string
	// Dropped are names left out, each with why (an alias that could not be
	// expanded, or not a GitHub login).
	Dropped []string
	Err     error
}

// loginRE is the config package's rule for a GitHub login.
var loginRE = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$`)

// aliasLike catches the usual OWNERS_ALIASES names when there is no
// OWNERS_ALIASES to look them up in: /cc'ing one reaches nobody.
var aliasLike = regexp.MustCompile(`-(approvers|reviewers|leads|maintainers|admins|owners)$`)

// readOwners reads a Prow OWNERS file (simple, or with filters) and returns
// its approvers with aliases expanded. A missing file is not an error.
func readOwners(file string, aliases map[string][]string) Owners {
	b, err := os.ReadFile(file)
	if errors.Is(err, os.ErrNotExist) {
		return Owners{}
	}
	o := Owners{Found: true}
	if err != nil {
		o.Err = err
		return o
	}
	names, err := owners.Approvers(b)
	if err != nil {
		o.Err = fmt.Errorf("%s: %w", file, err)
		return o
	}
	o.resolve(names, aliases)
	return o
}

func (o *Owners) resolve(names []string, aliases map[string][]string) {
	seen := map[string]bool{}
	add := func(login string) {
		if !seen[strings.ToLower(login)] {
			seen[strings.ToLower(login)] = true
			o.Approvers = append(o.Approvers, login)
		}
	}
	for _, n := range names {
		switch members, isAlias := aliases[strings.ToLower(n)]; {
		case isAlias:
			for _, m := range members {
				add(m)
			}
		case aliases == nil && aliasLike.MatchString(n):
			o.Dropped = append(o.Dropped, n+" (an OWNERS_ALIASES alias; no OWNERS_ALIASES to expand it)")
		case !loginRE.MatchString(n):
			o.Dropped = append(o.Dropped, n+" (not a GitHub login)")
		default:
			add(n)
		}
	}
}

// readAliases reads OWNERS_ALIASES; nil (no error) when there is none.
func readAliases(file string) (map[string][]string, error) {
	b, err := os.ReadFile(file)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	ra, err := repoowners.ParseAliasesConfig(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	out := make(map[string][]string, len(ra))
	for alias, members := range ra {
		list := members.UnsortedList()
		sort.Strings(list)
		out[alias] = list
	}
	return out, nil
}
