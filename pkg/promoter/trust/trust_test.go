package trust

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// client answers the API checks from maps; a login in fail makes every
// check about it fail, as GitHub does for a bot without standing (a 302
// Go follows to public_members, a 403 on the permission endpoint).
type client struct {
	members, writers map[string]bool
	teams            map[string][]string
	fail             error
	calls            int
}

func (c *client) IsMember(_, user string) (bool, error) {
	c.calls++
	return c.members[user], c.fail
}

func (c *client) HasPermission(_, _, user string, _ ...string) (bool, error) {
	c.calls++
	return c.writers[user], c.fail
}

func (c *client) TeamBySlugHasMember(org, slug, user string) (bool, error) {
	c.calls++
	for _, m := range c.teams[org+"/"+slug] {
		if m == user {
			return true, c.fail
		}
	}
	return false, c.fail
}

func TestTrusted(t *testing.T) {
	errNoStanding := errors.New("403 Must have push access to view collaborator permission")
	allowed := Allowed{Users: []string{"@carol"}, Teams: []string{"sigs/maintainers"}, Approvers: []string{"HH"}}
	for _, tc := range []struct {
		name, user, association string
		c                       *client
		want                    bool
		wantErr                 bool
		wantCalls               int
	}{
		{"member by association, bot outside the org", "alice", "MEMBER", &client{fail: errNoStanding}, true, false, 0},
		{"collaborator by association", "bob", "COLLABORATOR", &client{}, true, false, 0},
		{"owner by association", "kubernetes-sigs", "OWNER", &client{}, true, false, 0},
		{"allowed user", "carol", "NONE", &client{fail: errNoStanding}, true, false, 0},
		{"OWNERS approver with no membership", "hh", "CONTRIBUTOR", &client{fail: errNoStanding}, true, false, 0},
		{"private member the bot can see", "dana", "CONTRIBUTOR", &client{members: map[string]bool{"dana": true}}, true, false, 1},
		{"write collaborator", "erin", "NONE", &client{writers: map[string]bool{"erin": true}}, true, false, 2},
		{"team member", "frank", "NONE", &client{teams: map[string][]string{"sigs/maintainers": {"frank"}}}, true, false, 3},
		{"stranger, every check answered", "mallory", "NONE", &client{}, false, false, 3},
		{"stranger, the bot has no standing", "mallory", "NONE", &client{fail: errNoStanding}, false, true, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ok, err := New(tc.c, nil).Trusted(context.Background(), Asker{Org: "kubernetes-sigs", Repo: "apisnoop", User: tc.user, Association: tc.association}, allowed)
			if ok != tc.want || (err != nil) != tc.wantErr || tc.c.calls != tc.wantCalls {
				t.Errorf("Trusted = %v, %v after %d calls; want %v, error %v, %d calls", ok, err, tc.c.calls, tc.want, tc.wantErr, tc.wantCalls)
			}
		})
	}
}

func TestWhoMay(t *testing.T) {
	got := WhoMay("kubernetes-sigs", "apisnoop", Allowed{Users: []string{"carol"}, Approvers: []string{"hh"}})
	for _, want := range []string{"members of the kubernetes-sigs organization", "collaborators of kubernetes-sigs/apisnoop", "approvers of the project's images in kubernetes/k8s.io", "@carol"} {
		if !strings.Contains(got, want) {
			t.Errorf("%q lacks %q", got, want)
		}
	}
}
