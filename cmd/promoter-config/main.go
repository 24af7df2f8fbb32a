// Command promoter-config onboards staging projects to promoter: generate
// writes a config for them from test-infra's image-push jobs and
// kubernetes/k8s.io, and doctor checks a config against both and says what
// would go wrong. Both read local checkouts; nothing goes over the network.
// This file is flags and wiring only; the work is in pkg/onboard.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"sigs.k8s.io/promoter/pkg/onboard"
)

// Exit codes: findings with errors (or nothing to configure) give 1; bad
// usage or unreadable inputs give 2.
const (
	exitOK       = 0
	exitFindings = 1
	exitUsage    = 2
)

const usage = `usage:
  promoter-config generate --test-infra DIR --k8s-io DIR [--project NAME]...
      Write a promoter config for the staging projects (all, or those named)
      to stdout; projects that cannot be configured, and the figures, go to stderr.
  promoter-config doctor --config FILE --test-infra DIR --k8s-io DIR
      Check a config against both repositories: one line per finding,
      exit 1 when any is an error.

--test-infra is a kubernetes/test-infra checkout (or its config/jobs/image-pushing),
--k8s-io a kubernetes/k8s.io checkout.
`

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	switch args[0] {
	case "generate":
		return generate(args[1:], stdout, stderr)
	case "doctor":
		return doctor(args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	fmt.Fprintf(stderr, "promoter-config: unknown command %q\n%s", args[0], usage)
	return exitUsage
}

// names collects a repeatable flag.
type names []string

func (n *names) String() string     { return strings.Join(*n, ",") }
func (n *names) Set(v string) error { *n = append(*n, v); return nil }

type repos struct{ testInfra, k8sIO string }

func (r *repos) addFlags(fs *flag.FlagSet) {
	fs.StringVar(&r.testInfra, "test-infra", "", "kubernetes/test-infra checkout, or its config/jobs/image-pushing directory.")
	fs.StringVar(&r.k8sIO, "k8s-io", "", "kubernetes/k8s.io checkout.")
}

func (r *repos) load() (*onboard.Inputs, error) {
	if r.testInfra == "" || r.k8sIO == "" {
		return nil, errors.New("--test-infra and --k8s-io are required")
	}
	return onboard.Load(r.testInfra, r.k8sIO)
}

func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("promoter-config "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

func generate(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("generate", stderr)
	var r repos
	var only names
	r.addFlags(fs)
	fs.Var(&only, "project", "Only this staging project (k8s-staging-X, X, or a generated project name); repeatable.")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	in, err := r.load()
	if err != nil {
		fmt.Fprintf(stderr, "promoter-config generate: %v\n", err)
		return exitUsage
	}
	src := onboard.Source{Command: "promoter-config generate " + strings.Join(args, " "), TestInfra: in.Jobs.Dir, K8sIO: in.K8sIO.Root}
	cfg, plan, unknown, err := in.Generate(only, src)
	plan.Report(stderr)
	for _, u := range unknown {
		fmt.Fprintf(stderr, "unknown project: %s (no staging project or image-push job of that name)\n", u)
	}
	switch {
	case err != nil:
		fmt.Fprintf(stderr, "promoter-config generate: %v\n", err)
		return exitFindings
	case cfg == nil:
		fmt.Fprintln(stderr, "promoter-config generate: no project could be configured; nothing written")
		return exitFindings
	}
	if _, err := stdout.Write(cfg); err != nil {
		fmt.Fprintf(stderr, "promoter-config generate: %v\n", err)
		return exitUsage
	}
	if len(unknown) > 0 {
		return exitFindings
	}
	return exitOK
}

func doctor(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("doctor", stderr)
	var r repos
	var cfgPath string
	r.addFlags(fs)
	fs.StringVar(&cfgPath, "config", "", "The promoter config file to check.")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if cfgPath == "" {
		fmt.Fprintln(stderr, "promoter-config doctor: --config is required")
		return exitUsage
	}
	raw, err := os.ReadFile(cfgPath)
	if err != nil {
		fmt.Fprintf(stderr, "promoter-config doctor: %v\n", err)
		return exitUsage
	}
	in, err := r.load()
	if err != nil {
		fmt.Fprintf(stderr, "promoter-config doctor: %v\n", err)
		return exitUsage
	}
	findings := in.Doctor(raw)
	for _, f := range findings {
		fmt.Fprintln(stdout, f)
	}
	errs := onboard.Errors(findings)
	fmt.Fprintf(stderr, "%s: %d errors, %d warnings\n", cfgPath, errs, len(findings)-errs)
	if errs > 0 {
		return exitFindings
	}
	return exitOK
}
