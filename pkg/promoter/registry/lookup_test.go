package registry

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/types"
)

func lookup(t *testing.T, ref string, opts ...Option) (string, bool, error) {
	t.Helper()
	return New(opts...).Lookup(t.Context(), ref)
}

func TestLookupFound(t *testing.T) {
	repo := newTestRepo(t, nil)
	index := repo.pushIndex("v1.2.3", repo.index(types.OCIImageIndex, amd64, arm64))
	image := repo.pushImage("v1.2.2", amd64)

	for ref, want := range map[string]string{
		repo.name + ":v1.2.3":   index, // the index, as promoted, not a child
		repo.name + ":v1.2.2":   image,
		repo.name + "@" + image: image,
	} {
		got, found, err := lookup(t, ref)
		if err != nil || !found || got != want {
			t.Errorf("Lookup(%s) = %s, %v, %v; want %s, true, nil", ref, got, found, err, want)
		}
	}
}

// The tag exists with another digest: Lookup says which, so the caller
// can tell "not this build" from "not there yet".
func TestLookupWrongDigest(t *testing.T) {
	repo := newTestRepo(t, nil)
	promoted := repo.pushImage("v1.2.3", amd64)
	other := repo.pushImage("v1.2.3", arm64)

	got, found, err := lookup(t, repo.name+":v1.2.3")

	if err != nil || !found || got != other || got == promoted {
		t.Fatalf("Lookup = %s, %v, %v; want the digest now tagged, %s", got, found, err, other)
	}
}

// Not there yet is an answer, not an error: a missing tag, a missing
// digest, or a repository that does not exist yet.
func TestLookupNotFound(t *testing.T) {
	repo := newTestRepo(t, nil)
	image := repo.pushImage("v1.2.2", amd64)
	missingDigest := "sha256:" + strings.Repeat("ab", 32)
	otherRepo := strings.Replace(repo.name, "snoopdb", "auditlogger", 1)

	for _, ref := range []string{repo.name + ":v1.2.3", repo.name + "@" + missingDigest, otherRepo + ":v1.2.2", otherRepo + "@" + image} {
		got, found, err := lookup(t, ref)
		if err != nil || found || got != "" {
			t.Errorf("Lookup(%s) = %q, %v, %v; want not found and no error", ref, got, found, err)
		}
	}
}

func TestLookupTransient(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		code   string
		match  func(*http.Request) bool
	}{
		{"500 on ping", http.StatusInternalServerError, "UNKNOWN", nil},
		{"503 on HEAD", http.StatusServiceUnavailable, "UNAVAILABLE", pathContains("/manifests/")},
		{"502 on HEAD", http.StatusBadGateway, "UNAVAILABLE", pathContains("/manifests/")},
		{"429 on HEAD", http.StatusTooManyRequests, "TOOMANYREQUESTS", pathContains("/manifests/")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &faults{status: tc.status, code: tc.code, match: tc.match}
			repo := newTestRepo(t, f.wrap)
			want := repo.pushImage("v1.2.3", amd64)
			f.n = 1

			_, found, err := lookup(t, repo.name+":v1.2.3")
			if !IsTransient(err) || found {
				t.Fatalf("found=%v err = %v, want a transient error", found, err)
			}
			if !strings.Contains(err.Error(), repo.name+":v1.2.3") {
				t.Errorf("error %q does not name the reference", err)
			}
			if got, found, err := lookup(t, repo.name+":v1.2.3"); err != nil || !found || got != want {
				t.Errorf("retry: %s, %v, %v; want %s", got, found, err, want)
			}
		})
	}
}

func TestLookupHungRegistry(t *testing.T) {
	var armed atomic.Bool // pushing makes HEAD requests too
	hang := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			if armed.Load() && req.Method == http.MethodHead {
				<-req.Context().Done()
				return
			}
			next.ServeHTTP(w, req)
		})
	}
	repo := newTestRepo(t, hang)
	repo.pushImage("v1.2.3", amd64)
	armed.Store(true)

	_, _, err := lookup(t, repo.name+":v1.2.3", WithTimeout(100*time.Millisecond))

	if !IsTransient(err) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want a transient deadline error", err)
	}
}

func TestLookupClosedServer(t *testing.T) {
	repo := newTestRepo(t, nil)
	repo.srv.Close()

	if _, _, err := lookup(t, repo.name+":v1.2.3"); !IsTransient(err) {
		t.Fatalf("err = %v, want transient", err)
	}
}

func TestLookupDenied(t *testing.T) {
	for _, status := range []int{http.StatusUnauthorized, http.StatusForbidden} {
		f := &faults{n: 1, status: status, code: "DENIED", match: pathContains("/manifests/")}
		repo := newTestRepo(t, f.wrap)

		_, found, err := lookup(t, repo.name+":v1.2.3")

		if err == nil || found || IsTransient(err) || !strings.Contains(err.Error(), "anonymous") {
			t.Errorf("%d: found=%v err = %v, want a permanent error about anonymous reads", status, found, err)
		}
	}
}

func TestLookupBadReference(t *testing.T) {
	for _, ref := range []string{
		"",
		"registry.k8s.io/apisnoop/snoopdb", // no tag: never an implicit latest
		"snoopdb:v1.2.3",                   // no host: never Docker Hub
		"apisnoop/snoopdb:v1.2.3",
		"registry.k8s.io/apisnoop//snoopdb:v1.2.3",
		"registry.k8s.io/apisnoop/snoopdb:v1 2",
		"registry.k8s.io/apisnoop/snoopdb@sha256:abc",
	} {
		_, found, err := New().Lookup(context.Background(), ref)
		var e *Error
		if !errors.As(err, &e) || found || IsTransient(err) {
			t.Errorf("Lookup(%q) = %v, %v; want a permanent *Error", ref, found, err)
			continue
		}
		if !strings.Contains(err.Error(), "registry.k8s.io/apisnoop/snoopdb:v1.2.3") {
			t.Errorf("Lookup(%q) error %q should show what a reference looks like", ref, err)
		}
	}
}
