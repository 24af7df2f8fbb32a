// Command e2e proves promoter behind Prow's real hook, against a separate
// registry server, and under injected faults. Prow's phony sends signed
// GitHub events to Prow's hook, hook forwards them to the promoter binary,
// promoter reads staging from Debian's docker-registry (through a proxy that
// can fail or go down) and writes to the GitHub stand-in (whose fault switch
// makes GitHub fail or hang). Results are read through the stand-in's API
// and with git on its bare repositories.
//
// Each case prints one PASS or FAIL line; the run ends with every process
// it started stopped, all logs written under -logs and checked for secrets.
// hack/e2e.sh builds the binaries and runs this.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"regexp"
	"syscall"
	"time"
)

type options struct {
	promoter, fakegithub, hook, phony, registry string
	logs                                        string
	run                                         string
}

func main() {
	var o options
	flag.StringVar(&o.promoter, "promoter", "bin/promoter", "promoter binary")
	flag.StringVar(&o.fakegithub, "fakegithub", "bin/fakegithub", "GitHub stand-in binary")
	flag.StringVar(&o.hook, "hook", "bin/hook", "Prow's hook binary")
	flag.StringVar(&o.phony, "phony", "bin/phony", "Prow's phony binary")
	flag.StringVar(&o.registry, "docker-registry", "/usr/bin/docker-registry", "Debian's docker-registry binary")
	flag.StringVar(&o.logs, "logs", "", "directory for every process's log (default: a new temporary directory)")
	flag.StringVar(&o.run, "run", "", "run only the cases whose name matches this regexp (setup and the final checks always run)")
	flag.Parse()
	os.Exit(run(o))
}

// A testCase is one check with a pass/fail line. Cases run in order; each
// uses its own tags, so one failing does not decide the next.
type testCase struct {
	name    string
	timeout time.Duration
	run     func(ctx context.Context, e *env) error
}

func run(o options) int {
	start := time.Now()
	filter, err := regexp.Compile(o.run)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bad -run:", err)
		return 2
	}
	e, err := setup(o)
	if e != nil {
		defer e.teardown()
		// SIGINT or SIGTERM (CI's timeout, ^C): stop everything we started,
		// at once, not after the running case.
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
		go func() {
			s := <-sig
			fmt.Printf("FAIL interrupted by %v; stopping every process\n", s)
			e.teardown()
			os.Exit(1)
		}()
	}
	if err != nil {
		fmt.Printf("FAIL setup: %v\n", err)
		return 1
	}
	fmt.Printf("==> setup done in %.1fs: docker-registry %s (proxy %s), stand-in %s, promoter %s, hook %s\n",
		time.Since(start).Seconds(), e.reg.Host, e.proxy.Host, e.s.GitHub, e.s.Promoter, e.hookURL)

	failed := 0
	for _, c := range cases() {
		if !filter.MatchString(c.name) && !c.always() {
			continue
		}
		if !runCase(e, c) {
			failed++
		}
	}
	fmt.Printf("==> %d failed; %.1fs in all; logs in %s\n", failed, time.Since(start).Seconds(), e.logs)
	if failed > 0 {
		return 1
	}
	return 0
}

// always: the final checks look at everything the run did.
func (c testCase) always() bool { return c.name == finalBranches || c.name == finalSecrets }

func runCase(e *env, c testCase) bool {
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	err := func() (err error) {
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("panic: %v", p)
			}
		}()
		return c.run(ctx, e)
	}()
	// Whatever happened, heal the faults so the next case starts clean.
	e.heal()
	if err != nil {
		fmt.Printf("FAIL %s (%.1fs): %v\n", c.name, time.Since(start).Seconds(), err)
		return false
	}
	fmt.Printf("PASS %s (%.1fs)\n", c.name, time.Since(start).Seconds())
	return true
}
