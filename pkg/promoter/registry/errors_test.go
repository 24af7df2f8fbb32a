package registry

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/types"
)

func TestResolveTransientStatuses(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		code   string
		match  func(*http.Request) bool
	}{
		{"500 on ping", http.StatusInternalServerError, "UNKNOWN", nil},
		{"503 on list", http.StatusServiceUnavailable, "UNAVAILABLE", pathContains("/tags/list")},
		{"429 on manifest", http.StatusTooManyRequests, "TOOMANYREQUESTS", pathContains("/manifests/")},
		{"429 on config blob", http.StatusTooManyRequests, "TOOMANYREQUESTS", pathContains("/blobs/")},
		// The tag was listed, then vanished: look again rather than give up.
		{"404 on listed manifest", http.StatusNotFound, "MANIFEST_UNKNOWN", pathContains("/manifests/")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &faults{status: tc.status, code: tc.code, match: tc.match}
			repo := newTestRepo(t, f.wrap)
			want := repo.pushImage("v20260822-v1.2.3", amd64)
			f.n = 1 // arm after pushing

			_, err := resolve(t, repo.name, release)
			if !IsTransient(err) || errors.Is(err, ErrNoMatchingTag) {
				t.Fatalf("err = %v, want transient", err)
			}
			if !strings.Contains(err.Error(), repo.name) {
				t.Errorf("error %q does not name the repository", err)
			}
			// No retry hides inside: the next attempt by the caller succeeds.
			if b := mustResolve(t, repo.name, release); b.Digest != want {
				t.Errorf("retry got %s, want %s", b.Digest, want)
			}
		})
	}
}

func TestResolveDenied(t *testing.T) {
	for _, status := range []int{http.StatusUnauthorized, http.StatusForbidden} {
		f := &faults{n: 1, status: status, code: "DENIED", match: pathContains("/tags/list")}
		repo := newTestRepo(t, f.wrap)

		_, err := resolve(t, repo.name, release)

		if err == nil || IsTransient(err) || errors.Is(err, ErrNoMatchingTag) {
			t.Fatalf("%d: err = %v, want permanent", status, err)
		}
		if !strings.Contains(err.Error(), "publicly readable") || !strings.Contains(err.Error(), repo.name) {
			t.Errorf("%d: error %q should name the repository and say it must be public", status, err)
		}
	}
}

func TestResolveUnsupportedManifest(t *testing.T) {
	repo := newTestRepo(t, nil)
	repo.pushIndex("v20260822-v1.2.3", repo.index(types.MediaType("application/vnd.example+json"), amd64))

	_, err := resolve(t, repo.name, release)

	if err == nil || IsTransient(err) || !strings.Contains(err.Error(), "unsupported media type") {
		t.Fatalf("err = %v, want a permanent unsupported media type error", err)
	}
}

func TestResolveClosedServer(t *testing.T) {
	repo := newTestRepo(t, nil)
	repo.srv.Close()

	_, err := resolve(t, repo.name, release)

	if !IsTransient(err) {
		t.Fatalf("err = %v, want transient", err)
	}
}

// A registry that accepts the request and never answers must not hold the
// resolve beyond the per-call timeout.
func TestResolveHungRegistry(t *testing.T) {
	hang := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			if strings.Contains(req.URL.Path, "/manifests/") && req.Method == http.MethodGet {
				<-req.Context().Done()
				return
			}
			next.ServeHTTP(w, req)
		})
	}
	repo := newTestRepo(t, hang)
	repo.pushImage("v20260822-v1.2.3", amd64)

	_, err := resolve(t, repo.name, release, WithTimeout(100*time.Millisecond))

	if !IsTransient(err) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want a transient deadline error", err)
	}
}

// The caller giving up is not the registry's fault: do not ask for a retry.
func TestResolveCallerCancelled(t *testing.T) {
	repo := newTestRepo(t, nil)
	repo.pushImage("v20260822-v1.2.3", amd64)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()

	_, err := New().Resolve(ctx, repo.name, release)

	if !errors.Is(err, context.Canceled) || IsTransient(err) {
		t.Fatalf("err = %v, want context.Canceled, not transient", err)
	}
}

func TestIsTransientOnForeignErrors(t *testing.T) {
	for _, err := range []error{nil, errors.New("x"), ErrNoMatchingTag, context.DeadlineExceeded} {
		if IsTransient(err) {
			t.Errorf("IsTransient(%v) = true; only errors from Resolve are classified", err)
		}
	}
}
