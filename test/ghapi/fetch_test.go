package ghapi

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Without npm the descriptions are unavailable (callers skip), not broken.
func TestFetchWithoutNPMIsUnavailable(t *testing.T) {
	t.Setenv("GHAPI_CACHE", t.TempDir())
	t.Setenv("PATH", t.TempDir())
	_, err := GraphQLSchema.Path(context.Background())
	if !errors.Is(err, ErrUnavailable) {
		t.Errorf("without npm: %v, want ErrUnavailable", err)
	}
}

// The pinned packages fetch, match their integrity and land in the cache,
// outside the repository; a tarball that does not match its pin is an
// error, not a skip, and leaves nothing in the cache.
func TestFetchChecksIntegrityAndCaches(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("GHAPI_CACHE", cache)
	p, err := GraphQLSchema.Path(context.Background())
	if errors.Is(err, ErrUnavailable) {
		t.Skipf("the npm registry is out of reach: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(p, cache) {
		t.Errorf("cached at %s, want under %s", p, cache)
	}
	b, err := os.ReadFile(p)
	if err != nil || !strings.Contains(string(b), "type Repository implements") {
		t.Fatalf("%s is not GitHub's schema: %v", p, err)
	}
	again, err := GraphQLSchema.Path(context.Background())
	if err != nil || again != p {
		t.Errorf("second fetch: %s, %v; want the cached %s", again, err, p)
	}

	t.Setenv("GHAPI_CACHE", t.TempDir())
	tampered := GraphQLSchema
	tampered.Integrity = "sha512-" + strings.Repeat("A", 86) + "=="
	_, err = tampered.Path(context.Background())
	if err == nil || errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "integrity") {
		t.Errorf("a tarball that does not match its pin: %v, want an integrity error", err)
	}
	left, _ := filepath.Glob(filepath.Join(os.Getenv("GHAPI_CACHE"), "*", "*.graphql"))
	if len(left) > 0 {
		t.Errorf("a rejected tarball left %v in the cache", left)
	}
}
