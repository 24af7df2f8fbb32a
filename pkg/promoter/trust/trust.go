// Package trust decides who may run /promote in a source repository. It
// only answers the question; it neither replies nor acts.
package trust

import (
	"context"
	"fmt"
	"strings"
)

// Client is the part of Prow's GitHub client trust calls.
type Client interface {
	IsMember(org, user string) (bool, error)
	HasPermission(org, repo, user string, roles ...string) (bool, error)
	TeamBySlugHasMember(org, teamSlug, memberLogin string) (bool, error)
}

// Allowed is who may use /promote besides the org's members and the repo's
// write collaborators.
type Allowed struct {
	Users []string
	Teams []string // "org/team-slug"
}

// Checker answers through Prow's client.
type Checker struct {
	gh    Client
	count func(string)
}

// New returns a Checker; count, if not nil, is told of each GitHub call.
func New(gh Client, count func(string)) *Checker {
	if count == nil {
		count = func(string) {}
	}
	return &Checker{gh: gh, count: count}
}

// Trusted reports whether user may run /promote on org/repo: a member of
// the org, a collaborator with write (or maintain, admin) on the repo, or
// listed in allowed.
func (c *Checker) Trusted(ctx context.Context, org, repo, user string, allowed Allowed) (bool, error) {
	for _, u := range allowed.Users {
		if strings.EqualFold(strings.TrimPrefix(u, "@"), user) {
			return true, nil
		}
	}
	if err := ctx.Err(); err != nil {
		return false, err
	}
	c.count("IsMember")
	if ok, err := c.gh.IsMember(org, user); err != nil || ok {
		return ok, err
	}
	c.count("HasPermission")
	if ok, err := c.gh.HasPermission(org, repo, user, "admin", "maintain", "write"); err != nil || ok {
		return ok, err
	}
	for _, team := range allowed.Teams {
		torg, slug, _ := strings.Cut(team, "/")
		c.count("TeamBySlugHasMember")
		if ok, err := c.gh.TeamBySlugHasMember(torg, slug, user); err != nil || ok {
			return ok, err
		}
	}
	return false, nil
}

// WhoMay says, in a reply, who may use /promote.
func WhoMay(org, repo string, allowed Allowed) string {
	who := []string{fmt.Sprintf("members of the %s organization", org), fmt.Sprintf("collaborators with write access to %s/%s", org, repo)}
	for _, u := range allowed.Users {
		who = append(who, "@"+strings.TrimPrefix(u, "@"))
	}
	for _, tm := range allowed.Teams {
		who = append(who, "members of the team @"+tm)
	}
	if len(who) == 2 {
		return who[0] + " and " + who[1]
	}
	return strings.Join(who[:len(who)-1], ", ") + " and " + who[len(who)-1]
}
