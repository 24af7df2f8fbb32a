package harness

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/promoter/pkg/promoter"
)

// Patience bounds each wait of an end-to-end test: longer than the slowest
// recovery the fault cases provoke (a registry backoff step of 32 s), short
// enough that a stuck run ends.
const Patience = 60 * time.Second

// Await polls cond until it holds. The deadline passing first, or promoter
// exiting, fails t.
func (s *Stack) Await(t testing.TB, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := Deadline(Patience)
	defer cancel()
	if err := WaitFor(ctx, s.P, what, cond); err != nil {
		t.Fatal(err)
	}
}

// AwaitPromotion waits for promoter's /promotions to show (project, tag)
// in a state cond accepts (an untracked one is the zero Status) and returns
// that status; what says what is awaited.
func (s *Stack) AwaitPromotion(t testing.TB, project, tag, what string, cond func(promoter.Status) bool) promoter.Status {
	t.Helper()
	var st promoter.Status
	ctx, cancel := Deadline(Patience)
	defer cancel()
	err := WaitFor(ctx, s.P, fmt.Sprintf("%s %s: %s", project, tag, what), func() bool {
		st, _ = Promotion(s.Promoter, project, tag)
		return cond(st)
	})
	if err != nil {
		t.Fatalf("%v (last status %+v)", err, st)
	}
	return st
}

// AwaitStage waits for (project, tag) to reach one of stages and returns
// that status.
func (s *Stack) AwaitStage(t testing.TB, project, tag string, stages ...promoter.Stage) promoter.Status {
	t.Helper()
	return s.AwaitPromotion(t, project, tag, fmt.Sprintf("to reach %v", stages), func(st promoter.Status) bool {
		return slices.Contains(stages, st.Stage)
	})
}

// AwaitPROpen waits for the round of (project, tag) to end: at pr-open it
// returns the status; at failed, t fails with promoter's error.
func (s *Stack) AwaitPROpen(t testing.TB, project, tag string) promoter.Status {
	t.Helper()
	st := s.AwaitStage(t, project, tag, promoter.StagePROpen, promoter.StageFailed)
	if st.Stage != promoter.StagePROpen {
		t.Fatalf("the promotion of %s %s failed: %s", project, tag, st.Error)
	}
	return st
}

// AwaitCommitStatus waits for the `promotion` status on ref (a commit or a
// tag) of repo to be state, its target URL containing each of linking. The
// stage shows a promotion's end just before the status is written: await
// both.
func (s *Stack) AwaitCommitStatus(t testing.TB, repo, ref, state string, linking ...string) Status {
	t.Helper()
	var st Status
	ctx, cancel := Deadline(Patience)
	defer cancel()
	err := WaitFor(ctx, s.P, fmt.Sprintf("the %s promotion status on %.12s", state, ref), func() bool {
		st, _ = CommitStatus(s.GitHub, repo, ref, "promotion")
		for _, l := range linking {
			if !strings.Contains(st.TargetURL, l) {
				return false
			}
		}
		return st.State == state
	})
	if err != nil {
		t.Fatalf("%v (status now %+v)", err, st)
	}
	return st
}

// AwaitReply waits for promoter's reply number i (1-based) on issue n of
// repo and returns it.
func (s *Stack) AwaitReply(t testing.TB, repo string, n, i int) string {
	t.Helper()
	var replies []string
	s.Await(t, fmt.Sprintf("promoter's reply %d on #%d", i, n), func() bool {
		replies, _ = s.replies(repo, n)
		return len(replies) >= i
	})
	return replies[i-1]
}

// replies are promoter's comments on issue (or PR) n of repo, oldest first.
func (s *Stack) replies(repo string, n int) ([]string, error) {
	cs, err := Comments(s.GitHub, repo, n)
	var out []string
	for _, c := range cs {
		if c.User.Login == Bot {
			out = append(out, c.Body)
		}
	}
	return out, err
}

// PromoterRequests are the stand-in's counts of the GitHub requests
// promoter made, by route: the tests' own reads of commit statuses left
// out.
func (s *Stack) PromoterRequests(t testing.TB) map[string]int {
	t.Helper()
	r, err := Requests(s.GitHub)
	if err != nil {
		t.Fatal(err)
	}
	delete(r, "GET /repos/{owner}/{repo}/commits/{ref}/status")
	return r
}

// Quiet waits until promoter has made no GitHub request for 300 ms, so
// request counts taken next belong to one piece of work.
func (s *Stack) Quiet(t testing.TB) {
	t.Helper()
	last, since := -1, time.Now()
	s.Await(t, "GitHub requests to stop", func() bool {
		n := 0
		for _, v := range s.PromoterRequests(t) {
			n += v
		}
		if n != last {
			last, since = n, time.Now()
		}
		return time.Since(since) > 300*time.Millisecond
	})
}

// FaultHits is how often the stand-in's fault id was hit; a fault the
// stand-in does not list (cleared, or never added) fails t.
func (s *Stack) FaultHits(t testing.TB, id int) int {
	t.Helper()
	fs, err := Faults(s.GitHub)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fs {
		if f.ID == id {
			return f.Hits
		}
	}
	t.Fatalf("the stand-in lists no fault %d (it has %+v)", id, fs)
	return 0
}
