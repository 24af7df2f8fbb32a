package promoter_test

import (
	"context"
	"crypto/sha1"
	"fmt"
	"sync"
	"testing"
	"time"

	"sigs.k8s.io/promoter/pkg/promoter/source"
	"sigs.k8s.io/promoter/pkg/promoter/trust"
)

// conversation is a source repository and its people in memory: the tags
// and pull requests a /promote can name, who is trusted, and every reply,
// reaction and commit status promoter writes. Errors can be planted.
type conversation struct {
	mu        sync.Mutex
	missing   map[string]bool // tags that do not exist; any other resolves
	tagList   []string        // what Tags lists
	pulls     map[int]source.PullState
	trusted   map[string]bool
	trustErr  error
	tagErr    error
	pullErr   error
	reactions []int
	statuses  []source.Status
	replies   chan string
}

func newConversation() *conversation {
	return &conversation{missing: map[string]bool{}, pulls: map[int]source.PullState{},
		trusted: map[string]bool{"alice": true}, replies: make(chan string, 100)}
}

// commitOf is the commit every existing tag points at: derived from the
// name, so a test can predict it.
func commitOf(tag string) string { return fmt.Sprintf("%x", sha1.Sum([]byte(tag))) }

func (c *conversation) TagCommit(_ context.Context, org, repo, tag string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.tagErr != nil:
		return "", c.tagErr
	case c.missing[tag]:
		return "", fmt.Errorf("tag %s in %s/%s: %w", tag, org, repo, source.ErrNoSuchTag)
	}
	return commitOf(tag), nil
}

// Tags lists the tags set in c.tagList.
func (c *conversation) Tags(context.Context, string, string) ([]source.Tag, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []source.Tag
	for _, t := range c.tagList {
		out = append(out, source.Tag{Name: t, Commit: commitOf(t)})
	}
	return out, nil
}

func (c *conversation) SetStatus(_ context.Context, _, _, _ string, s source.Status) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.statuses = append(c.statuses, s)
	return nil
}

func (c *conversation) Status(context.Context, string, string, string) (source.Status, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.statuses) == 0 {
		return source.Status{}, nil
	}
	return c.statuses[len(c.statuses)-1], nil
}

func (c *conversation) Pull(_ context.Context, _, _ string, n int) (source.PullState, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pulls[n], c.pullErr
}

func (c *conversation) React(_ context.Context, _, _ string, id int) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reactions = append(c.reactions, id)
	return nil
}

func (c *conversation) Reply(_ context.Context, _, _ string, _ int, body string) error {
	c.replies <- body
	return nil
}

// Trusted trusts by association and name as trust.Checker does, then
// answers for the API from c.trusted (or c.trustErr).
func (c *conversation) Trusted(_ context.Context, a trust.Asker, allowed trust.Allowed) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if trust.ByAssociation(a.Association) || trust.Named(a.User, allowed) {
		return true, nil
	}
	if c.trustErr != nil {
		return false, c.trustErr
	}
	return c.trusted[a.User], nil
}

// reply waits for the next reply.
func (c *conversation) reply(t *testing.T) string {
	t.Helper()
	select {
	case r := <-c.replies:
		return r
	case <-time.After(30 * time.Second):
		t.Fatal("no reply came")
		return ""
	}
}

// quiet asserts no reply is waiting.
func (c *conversation) noReply(t *testing.T) {
	t.Helper()
	select {
	case r := <-c.replies:
		t.Errorf("unexpected reply: %s", r)
	default:
	}
}
