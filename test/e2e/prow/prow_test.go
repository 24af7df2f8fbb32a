//go:build e2e

// Package prow proves promoter behind Prow's real hook, against a separate
// registry server, and under injected faults. Prow's phony sends signed
// GitHub events to Prow's hook, hook forwards them to the promoter binary,
// promoter reads staging from Debian's docker-registry (through a proxy
// that can fail or go down) and writes to the GitHub stand-in (whose fault
// switch makes GitHub fail or hang). Results are read through the
// stand-in's API and with git on its bare repositories.
//
// TestProw sets that world up once and runs its cases in order, one
// subtest each; `-run 'TestProw/registry_down'` selects cases, and the
// setup and the final checks run whatever is selected. Every process is
// stopped when the test ends, fails, panics or is interrupted (SIGINT,
// SIGTERM), and its log is kept (see -logs). hack/e2e.sh builds the
// binaries and runs it:
//
//	go test -tags e2e -v -count=1 ./test/e2e/prow -hook bin/hook -phony bin/phony ...
package prow

import (
	"flag"
	"testing"
	"time"
)

var (
	promoterBin   = flag.String("promoter", "bin/promoter", "promoter binary (relative paths are from the repository root)")
	fakegithubBin = flag.String("fakegithub", "bin/fakegithub", "GitHub stand-in binary")
	hookBin       = flag.String("hook", "bin/hook", "Prow's hook binary (hack/e2e.sh builds it)")
	phonyBin      = flag.String("phony", "bin/phony", "Prow's phony binary (hack/e2e.sh builds it)")
	registryBin   = flag.String("docker-registry", "/usr/bin/docker-registry", "Debian's docker-registry binary")
	logsDir       = flag.String("logs", "", "directory for every process's log, kept (default: a new temporary directory, kept only when the test fails)")
)

// A testCase is one subtest. Cases run in this order on one world; each
// uses tags of its own, so one failing does not decide the next.
type testCase struct {
	name string // the subtest's name, for -run
	what string // what it proves, logged first
	run  func(t *testing.T, w *world)
}

var cases = []testCase{
	{"tag_push", "tag push through hook opens one PR", tagPush},
	{"redelivery", "repeat push and redelivery keep one PR, no new commit", redelivery},
	{"promote_by_member", "/promote by an org member opens the PR and replies", promoteTrusted},
	{"promote_by_stranger", "/promote by a stranger is refused, nothing written", promoteUntrusted},
	{"job_failure", "job failure: failure status, no PR; the rerun's success opens it", jobFailure},
	{"restart_while_waiting", "restart while waiting for the job: one PR", restartWhileWaiting},
	{"single_arch", "single-arch image with requireMultiArch: refused, no PR", singleArch},
	{"plugin_help", "plugin help through hook's /plugin-help", pluginHelp},
	{"bad_signature_hook", "bad signature through hook: refused, never forwarded", badSignatureHook},
	{"bad_signature_direct", "bad signature straight at promoter: 403", badSignatureDirect},
	{"github_500", "GitHub 500s on reading images.yaml", github500},
	{"github_502_graphql", "GitHub 502s on GraphQL", github502},
	{"github_secondary_limit", "GitHub 403 secondary rate limit with Retry-After on opening the PR", githubSecondaryLimit},
	{"github_slow", "GitHub slow: every call takes 1.5 s", githubSlow},
	{"github_hang", "GitHub hangs for one project: the other is promoted meanwhile", githubHang},
	{"github_commit_after_ref", "GraphQL commit fails after the branch was created: no orphan branch, then one PR", commitAfterRef},
	{"registry_503", "registry 503s", registry5xx},
	{"registry_429", "registry 429s with Retry-After", registry429},
	{"registry_hang", "registry hangs for one project: the other is promoted meanwhile", registryHang},
	{"registry_down", "registry down for a while (server stopped, connections refused)", registryDown},
}

func TestProw(t *testing.T) {
	start := time.Now()
	w := setup(t)
	t.Logf("setup done in %.1fs: docker-registry %s (proxy %s), stand-in %s, promoter %s, hook %s",
		time.Since(start).Seconds(), w.reg.Host, w.proxy.Host, w.s.GitHub, w.s.Promoter, w.hookURL)
	// The final checks look at everything the run did, whichever cases ran
	// and however they ended. The logs are read once every process stopped.
	t.Cleanup(func() {
		w.teardown()
		noSecrets(t, w)
	})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// Whatever happened, heal the faults so the next case starts clean.
			t.Cleanup(func() { w.heal(t) })
			t.Log(c.what)
			c.run(t, w)
		})
	}
	noHalfWritten(t, w)
	t.Logf("%.1fs in all", time.Since(start).Seconds())
}
