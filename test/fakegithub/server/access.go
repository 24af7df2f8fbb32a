package server

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// Access is the access file: who a token is, org members, collaborators and
// team members. It is re-read on every request.
//
//	tokens: {alice-token: alice}
//	orgs: {kubernetes-sigs: [alice]}
//	publicMembers: {kubernetes-sigs: [frank]}
//	collaborators: {kubernetes-sigs/apisnoop: {bob: write, carol: read}}
//	teams: {kubernetes-sigs/apisnoop-maintainers: [dave]}
//
// Org membership is private unless publicMembers names it (GitHub's
// default): someone outside the org sees only public members.
type Access struct {
	Tokens        map[string]string            `yaml:"tokens,omitempty"`        // token → login
	Orgs          map[string][]string          `yaml:"orgs,omitempty"`          // org → members
	PublicMembers map[string][]string          `yaml:"publicMembers,omitempty"` // org → members who made it public
	Collaborators map[string]map[string]string `yaml:"collaborators,omitempty"` // "owner/repo" → login → permission
	Teams         map[string][]string          `yaml:"teams,omitempty"`         // "org/team-slug" → members
}

var permissionRank = map[string]int{"none": 0, "read": 1, "triage": 2, "write": 3, "maintain": 4, "admin": 5}

// loadAccess reads the access file; a missing file is empty access.
func loadAccess(path string) (*Access, error) {
	a := &Access{}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return a, nil
	}
	if err != nil {
		return nil, err
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(a); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("access file %s: %w", path, err)
	}
	for repo, users := range a.Collaborators {
		for user, perm := range users {
			if _, ok := permissionRank[perm]; !ok || perm == "none" {
				return nil, fmt.Errorf("access file %s: collaborators.%s.%s: permission %q is not admin, maintain, write, triage or read", path, repo, user, perm)
			}
		}
	}
	return a, nil
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// lookupFold finds a key case-insensitively (GitHub names are).
func lookupFold[V any](m map[string]V, key string) (V, bool) {
	if v, ok := m[key]; ok {
		return v, true
	}
	for k, v := range m {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	var zero V
	return zero, false
}

// isOrg reports whether login is an organisation of the access file.
func (a *Access) isOrg(login string) bool {
	if _, ok := lookupFold(a.Orgs, login); ok {
		return true
	}
	if _, ok := lookupFold(a.PublicMembers, login); ok {
		return true
	}
	for team := range a.Teams {
		if org, _, ok := strings.Cut(team, "/"); ok && strings.EqualFold(org, login) {
			return true
		}
	}
	return false
}

// isMember reports org membership, private or public.
func (a *Access) isMember(org, user string) bool {
	members, _ := lookupFold(a.Orgs, org)
	return containsFold(members, user) || a.isPublicMember(org, user)
}

// isPublicMember reports membership the member made public.
func (a *Access) isPublicMember(org, user string) bool {
	members, _ := lookupFold(a.PublicMembers, org)
	return containsFold(members, user)
}

// orgMembers lists org's members (private and public), ok false when there
// is no such org.
func (a *Access) orgMembers(org string) ([]string, bool) {
	private, ok1 := lookupFold(a.Orgs, org)
	public, ok2 := lookupFold(a.PublicMembers, org)
	out := append([]string(nil), private...)
	for _, m := range public {
		if !containsFold(out, m) {
			out = append(out, m)
		}
	}
	return out, ok1 || ok2
}

// collaboratorPermission is the permission the collaborators section grants
// (or "" when it grants none).
func (a *Access) collaboratorPermission(owner, repo, user string) string {
	users, _ := lookupFold(a.Collaborators, owner+"/"+repo)
	perm, _ := lookupFold(users, user)
	return perm
}

// permission is user's role on owner/repo: admin for the owner, what the
// collaborators section says, else none.
func (a *Access) permission(owner, repo, user string) string {
	if user == "" {
		return "none"
	}
	if strings.EqualFold(owner, user) {
		return "admin"
	}
	if p := a.collaboratorPermission(owner, repo, user); p != "" {
		return p
	}
	return "none"
}

// canPush reports write access (write, maintain or admin).
func (a *Access) canPush(owner, repo, user string) bool {
	return permissionRank[a.permission(owner, repo, user)] >= permissionRank["write"]
}

// teamMembers lists org/slug's members; ok false when there is no such team.
func (a *Access) teamMembers(org, slug string) ([]string, bool) {
	return lookupFold(a.Teams, org+"/"+slug)
}

// knownUser reports whether login appears anywhere in the access file.
func (a *Access) knownUser(login string) bool {
	for _, u := range a.Tokens {
		if strings.EqualFold(u, login) {
			return true
		}
	}
	for _, orgs := range []map[string][]string{a.Orgs, a.PublicMembers} {
		for _, ms := range orgs {
			if containsFold(ms, login) {
				return true
			}
		}
	}
	for _, us := range a.Collaborators {
		if _, ok := lookupFold(us, login); ok {
			return true
		}
	}
	for _, ms := range a.Teams {
		if containsFold(ms, login) {
			return true
		}
	}
	return false
}

// authorAssociation is GitHub's author_association of user on owner/repo.
func (a *Access) authorAssociation(owner, repo, user string) string {
	switch {
	case strings.EqualFold(owner, user):
		return "OWNER"
	case a.isMember(owner, user):
		return "MEMBER"
	case a.collaboratorPermission(owner, repo, user) != "":
		return "COLLABORATOR"
	}
	return "NONE"
}

// WriteAccess writes a as the default access file, root/_access.yaml
// (atomically, so a server reading it never sees half a file).
func WriteAccess(root string, a Access) error {
	b, err := yaml.Marshal(a)
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(root, ".access-*.yaml")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), filepath.Join(root, "_access.yaml"))
}
