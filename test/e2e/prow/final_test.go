//go:build e2e

package prow

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/promoter/test/harness"
)

// The final checks look at everything the run did, whichever cases ran.

// noHalfWritten: every branch in the bot's fork besides main is the head of
// exactly one PR, that PR is open, and the branch changes something.
func noHalfWritten(t *testing.T, w *world) {
	refs := w.s.Git(t, harness.Bot, "k8s.io", "for-each-ref", "--format=%(refname:short)", "refs/heads/")
	all, err := harness.PRs(w.s.GitHub, harness.ManifestRepo, "all")
	if err != nil {
		t.Fatal(err)
	}
	heads := map[string][]harness.PR{}
	for _, pr := range all {
		heads[pr.Head.Ref] = append(heads[pr.Head.Ref], pr)
	}
	n := 0
	for _, b := range strings.Fields(refs) {
		if b == "main" {
			continue
		}
		n++
		if prs := heads[b]; len(prs) != 1 || prs[0].State != "open" {
			t.Errorf("final check: branch %s has %d PRs (%+v), want one open", b, len(prs), prs)
		}
		if w.s.Git(t, harness.Bot, "k8s.io", "diff", "--stat", "refs/heads/main", "refs/heads/"+b) == "" {
			t.Errorf("final check: branch %s holds no change: half-written", b)
		}
	}
	if n != len(all) {
		t.Errorf("final check: %d branches for %d PRs", n, len(all))
	}
	t.Logf("final check: %d branches in the fork, %d PRs", n, len(all))
}

// noSecrets reads every log the run wrote, promoter's over each restart
// included, and looks for the token and the HMAC secret. It runs once
// every process has stopped, so their last lines are read too. Each
// process's log must hold something, or the check looked at nothing.
func noSecrets(t *testing.T, w *world) {
	lines := 0
	for _, name := range w.logFiles() {
		b, err := os.ReadFile(filepath.Join(w.logs, name))
		if err != nil {
			t.Fatal(err)
		}
		n := strings.Count(string(b), "\n")
		if n == 0 && name != "phony.log" { // no case selected may have sent an event
			t.Errorf("final check: %s is empty: the check looked at nothing", name)
		}
		lines += n
		for what, s := range map[string]string{"GitHub token": w.s.Token, "HMAC secret": w.s.Secret} {
			if strings.Contains(string(b), s) {
				t.Errorf("final check: %s holds the %s", name, what)
			}
		}
	}
	t.Logf("final check: %d log lines in %d files read for the token and the HMAC secret", lines, len(w.logFiles()))
}
