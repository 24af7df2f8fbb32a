// Package trust decides who may run /promote in a source repository. It
// only answers the question; it neither replies nor acts.
//
// It asks what needs no standing of the bot first: the comment's
// author_association from the webhook (GitHub computes it), the names the
// config allows, and the approvers of the project's images in
// kubernetes/k8s.io (OWNERS). Only then does it ask GitHub's API (org
// membership, write access, team membership), which answers a bot outside
// the org or without push access with redirects and 403s: such an error is
// reported, never taken as a no.
package trust

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Client is the part of Prow's GitHub client trust calls.
type Client interface {
	IsMember(org, user string) (bool, error)
	HasPermission(org, repo, user string, roles ...string) (bool, error)
	TeamBySlugHasMember(org, teamSlug, memberLogin string) (bool, error)
}

// Asker is who wrote a /promote, as the webhook says.
type Asker struct {
	Org, Repo, User string
	// Association is the comment's author_association: OWNER, MEMBER,
	// COLLABORATOR, CONTRIBUTOR, FIRST_TIMER, NONE...
	Association string
}

// Allowed is who may use /promote besides the org's members and the repo's
// collaborators.
type Allowed struct {
	Users []string
	Teams []string // "org/team-slug"
	// Approvers approve the project's promotion PRs in kubernetes/k8s.io
	// (registry.k8s.io/images/<dir>/OWNERS).
	Approvers []string
}

// ByAssociation reports whether GitHub's author_association alone trusts
// the asker: the repository's owner, a member of its org, or a
// collaborator.
func ByAssociation(association string) bool {
	switch strings.ToUpper(association) {
	case "OWNER", "MEMBER", "COLLABORATOR":
		return true
	}
	return false
}

// Named reports whether the config or the project's OWNERS name user.
func Named(user string, allowed Allowed) bool {
	for _, list := range [][]string{allowed.Users, allowed.Approvers} {
		for _, u := range list {
			if strings.EqualFold(strings.TrimPrefix(u, "@"), user) {
				return true
			}
		}
	}
	return false
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

// Trusted reports whether the asker may run /promote: by association, by
// name, then by GitHub's API (a member of the org, a collaborator with
// write, maintain or admin, a member of an allowed team). A "no" is
// returned only when every check answered; if one could not, its error is
// returned with false, so the reply can say the check failed.
func (c *Checker) Trusted(ctx context.Context, a Asker, allowed Allowed) (bool, error) {
	if ByAssociation(a.Association) || Named(a.User, allowed) {
		return true, nil
	}
	var errs []error
	check := func(call string, f func() (bool, error)) bool {
		if ctx.Err() != nil {
			errs = append(errs, ctx.Err())
			return false
		}
		c.count(call)
		ok, err := f()
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", call, err))
		}
		return ok
	}
	if check("IsMember", func() (bool, error) { return c.gh.IsMember(a.Org, a.User) }) ||
		check("HasPermission", func() (bool, error) {
			return c.gh.HasPermission(a.Org, a.Repo, a.User, "admin", "maintain", "write")
		}) {
		return true, nil
	}
	for _, team := range allowed.Teams {
		torg, slug, _ := strings.Cut(team, "/")
		if check("TeamBySlugHasMember", func() (bool, error) { return c.gh.TeamBySlugHasMember(torg, slug, a.User) }) {
			return true, nil
		}
	}
	return false, errors.Join(errs...)
}

// WhoMay says, in a reply, who may use /promote.
func WhoMay(org, repo string, allowed Allowed) string {
	who := []string{fmt.Sprintf("members of the %s organization", org), fmt.Sprintf("collaborators of %s/%s", org, repo)}
	if len(allowed.Approvers) > 0 {
		who = append(who, "the approvers of the project's images in kubernetes/k8s.io (OWNERS)")
	}
	for _, u := range allowed.Users {
		who = append(who, "@"+strings.TrimPrefix(u, "@"))
	}
	for _, tm := range allowed.Teams {
		who = append(who, "members of the team @"+tm)
	}
	return strings.Join(who[:len(who)-1], ", ") + " and " + who[len(who)-1]
}
