package promoter_test

import (
	"strings"
	"testing"

	"sigs.k8s.io/promoter/pkg/promoter"
	"sigs.k8s.io/promoter/test/fakegithub/server"
)

// GitHub's answers, classified: what a person must fix fails the promotion
// at once with words they can act on (before, every error was retried for
// jobTimeout with a pending status); a blip is retried.
func TestGitHubErrorsSayWhetherToRetry(t *testing.T) {
	tests := []struct {
		name  string
		fault server.Fault
		want  []string
	}{
		{"merge-upstream conflict", server.Fault{Method: "POST", Path: "/merge-upstream", Status: 409},
			[]string{"the bot's fork has diverged from upstream", "reset that branch of the fork to upstream", "409"}},
		{"PR refused", server.Fault{Method: "POST", Path: "/repos/kubernetes/k8s.io/pulls", Status: 422, Message: "Validation Failed"},
			[]string{"opening the PR", "422", "Validation Failed"}},
		{"bad credentials", server.Fault{Method: "GET", Path: "/git/refs/heads/main", Status: 401, Message: "Bad credentials"},
			[]string{"GitHub refused the bot's credentials", "401"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// jobTimeout is 1m: a failure inside the test's time is "at once".
			f := newFixture(t, strings.Replace(testConfig, "jobTimeout: 3s", "jobTimeout: 1m", 1))
			f.pushIndex("v20261124-v0.3.0")
			f.srv.AddFault(tc.fault)
			st := f.promote("v0.3.0")
			if st.Stage != promoter.StageFailed {
				t.Fatalf("stage %s, want failed at once: %s", st.Stage, st.Error)
			}
			for _, w := range tc.want {
				if !strings.Contains(st.Error, w) {
					t.Errorf("error %q lacks %q", st.Error, w)
				}
			}
			if strings.Contains(st.Error, "gave up after") {
				t.Errorf("it waited for jobTimeout: %s", st.Error)
			}
		})
	}
}

func TestGitHub502IsRetried(t *testing.T) {
	f := newFixture(t, strings.Replace(testConfig, "jobTimeout: 3s", "jobTimeout: 1m", 1))
	f.pushIndex("v20261124-v0.3.0")
	fault := f.srv.AddFault(server.Fault{Method: "POST", Path: "/graphql", Body: "createCommitOnBranch", Status: 502, Times: 2})
	if st := f.promote("v0.3.0"); st.Stage != promoter.StagePROpen {
		t.Fatalf("stage %s: %s", st.Stage, st.Error)
	}
	for _, got := range f.srv.Faults() {
		if got.ID == fault.ID && got.Hits != 2 {
			t.Errorf("the fault was hit %d times, want 2", got.Hits)
		}
	}
}
