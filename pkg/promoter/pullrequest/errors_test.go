package pullrequest_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	githubql "github.com/shurcooL/githubv4"
	"sigs.k8s.io/prow/pkg/github"

	"sigs.k8s.io/promoter/pkg/promoter/pullrequest"
)

// IsPermanent on the errors Prow's real client and this package's REST
// calls return for each status GitHub can send.
func TestIsPermanentByStatus(t *testing.T) {
	for code, want := range map[int]bool{
		401: true, 403: true, 404: true, 409: true, 422: true,
		408: false, 429: false, 500: false, 502: false, 503: false,
	} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(code)
				fmt.Fprintf(w, `{"message":"answer %d"}`, code)
			}))
			defer srv.Close()
			gc, err := github.NewClient(func() []byte { return []byte("t") }, func(b []byte) []byte { return b }, srv.URL+"/graphql", srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			gc.SetMax404Retries(0)
			rest := &pullrequest.REST{Endpoint: srv.URL}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			errs := map[string]error{}
			if code < 500 { // Prow retries 5xx itself, for minutes
				_, errs["Prow REST"] = gc.GetRef("o", "r", "heads/main")
			}
			var q struct {
				Viewer struct{ Login githubql.String }
			}
			errs["Prow GraphQL"] = gc.QueryWithGitHubAppsSupport(ctx, &q, nil, "o")
			_, errs["promoter REST"] = rest.FindPullRequest(ctx, "o", "r", "bot", "b")
			for via, err := range errs {
				if err == nil {
					t.Fatalf("%s: no error for %d", via, code)
				}
				if got := pullrequest.IsPermanent(err); got != want {
					t.Errorf("%s: IsPermanent(%v) = %v, want %v", via, err, got, want)
				}
			}
		})
	}
}

func TestIsPermanentOther(t *testing.T) {
	for err, want := range map[error]bool{
		context.DeadlineExceeded: false,
		context.Canceled:         false,
		errors.New("sleep time for abuse rate limit exceeds max"):                                           false,
		errors.New("Something went wrong while executing your query. This may be the result of a timeout"):  false,
		errors.New("Expected branch to point to \"abc\" but it did not"):                                    false,
		errors.New("Could not resolve to a Repository with the name 'bot/k8s.io'."):                         true,
		errors.New("the GitHub API request returns a 403 error: {\"message\":\"Resource not accessible\"}"): true,
		fmt.Errorf("wrapped: %w", pullrequest.ErrNotAFork):                                                  true,
		fmt.Errorf("wrapped: %w", pullrequest.ErrForkConflict):                                              true,
	} {
		if got := pullrequest.IsPermanent(err); got != want {
			t.Errorf("IsPermanent(%q) = %v, want %v", err, got, want)
		}
	}
}
