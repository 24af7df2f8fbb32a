package harness

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Stack is the GitHub stand-in and promoter, running as real processes.
type Stack struct {
	Dir      string // working directory: secrets, config, the stand-in's root
	Root     string // the stand-in's repositories
	GitHub   string // stand-in base URL
	Promoter string // promoter's webhook URL (http://127.0.0.1:PORT)
	Health   string // promoter's health URL base
	Metrics  string // promoter's metrics URL base

	Secret, Token       string
	GH, P               *Process
	promoterBin, config string
	extra               []string
	ports               []int // promoter's, kept across restarts
}

// StackOptions configure NewStack.
type StackOptions struct {
	Dir                        string
	PromoterBin, FakeGitHubBin string
	Config                     string // promoter config YAML
	Secret, Token              string // HMAC secret and GitHub token
	ExtraArgs                  []string
	// Record is a file the stand-in appends every API exchange to (its
	// --record flag). Empty: a new file in RecordDir when that is set, else
	// no recording.
	Record string
	// StandInNice, when above 0, runs the stand-in under nice(1), that much
	// nicer than this process; the git it runs inherits it. A load test
	// uses it so that the stand-in's work, which GitHub does on its own
	// machines in production, yields the shared cores to promoter.
	StandInNice int
}

// RecordDir, when set, makes every Stack record its stand-in's API
// exchanges into a file of its own there, so a test run can check all of
// them against GitHub's API descriptions afterwards (see test/ghapi).
var RecordDir string

// recordFile is where a stack's stand-in records, "" for nowhere.
func (o StackOptions) recordFile() (string, error) {
	if o.Record != "" || RecordDir == "" {
		return o.Record, nil
	}
	f, err := os.CreateTemp(RecordDir, "stack-*.jsonl")
	if err != nil {
		return "", err
	}
	return f.Name(), f.Close()
}

// NewStack starts the stand-in over Dir/root (seed it before or after) and
// prepares promoter's files; StartPromoter starts promoter itself.
func NewStack(ctx context.Context, o StackOptions) (*Stack, error) {
	s := &Stack{Dir: o.Dir, Root: filepath.Join(o.Dir, "root"), Secret: o.Secret, Token: o.Token,
		promoterBin: o.PromoterBin, extra: o.ExtraArgs}
	if err := os.MkdirAll(s.Root, 0o755); err != nil {
		return nil, err
	}
	var err error
	if s.config, err = WriteFile(o.Dir, "config.yaml", o.Config); err != nil {
		return nil, err
	}
	if _, err := WriteFile(o.Dir, "hmac", o.Secret); err != nil {
		return nil, err
	}
	if _, err := WriteFile(o.Dir, "token", o.Token); err != nil {
		return nil, err
	}
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	args := []string{"--addr", addr, "--root", s.Root}
	record, err := o.recordFile()
	if err != nil {
		return nil, err
	}
	if record != "" {
		args = append(args, "--record", record)
	}
	bin := o.FakeGitHubBin
	if o.StandInNice > 0 {
		// nice(1), not setpriority on the pid: on Linux niceness is per
		// thread, and the Go runtime's threads would already be running.
		bin, args = "nice", append([]string{"-n", strconv.Itoa(o.StandInNice), bin}, args...)
	}
	if s.GH, err = Start("fakegithub", bin, args...); err != nil {
		return nil, err
	}
	s.GitHub = "http://" + addr
	if err := WaitFor(ctx, s.GH, "the GitHub stand-in", func() bool { return HTTPOK(s.GitHub + "/_fakegithub/requests") }); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

// StartPromoter starts (or restarts) the promoter binary and waits until it
// is ready. A restart listens on the same ports, as a restarted pod keeps
// its Service: Prow's hook keeps forwarding to the same endpoint.
func (s *Stack) StartPromoter(ctx context.Context) error {
	if err := s.LaunchPromoter(); err != nil {
		return err
	}
	return WaitFor(ctx, s.P, "promoter to be ready", func() bool { return HTTPOK(s.Health + "/healthz/ready") })
}

// LaunchPromoter starts (or restarts) the promoter binary without waiting
// for it to be ready.
func (s *Stack) LaunchPromoter() error {
	if s.ports == nil {
		ports := make([]int, 4)
		for i := range ports {
			p, err := FreePort()
			if err != nil {
				return err
			}
			ports[i] = p
		}
		s.ports = ports
	}
	ports := s.ports
	args := s.promoterArgs(ports)
	p, err := Start("promoter", s.promoterBin, append(args, s.extra...)...)
	if err != nil {
		return err
	}
	s.P = p
	s.Promoter = fmt.Sprintf("http://127.0.0.1:%d", ports[0])
	s.Health = fmt.Sprintf("http://127.0.0.1:%d", ports[1])
	s.Metrics = fmt.Sprintf("http://127.0.0.1:%d", ports[2])
	return nil
}

// Stop ends both processes.
func (s *Stack) Stop() {
	if s.P != nil {
		s.P.Stop()
	}
	if s.GH != nil {
		s.GH.Stop()
	}
}

// Metric returns the sum of a Prometheus metric's samples whose labels
// contain every one of labels (e.g. `outcome="pr-opened"`).
func (s *Stack) Metric(name string, labels ...string) (float64, error) {
	resp, err := httpGet(s.Metrics + "/metrics")
	if err != nil {
		return 0, err
	}
	var sum float64
	sc := bufio.NewScanner(strings.NewReader(resp))
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name+"{") && !strings.HasPrefix(line, name+" ") {
			continue
		}
		ok := true
		for _, l := range labels {
			ok = ok && strings.Contains(line, l)
		}
		if !ok {
			continue
		}
		f := strings.Fields(line)
		v, err := strconv.ParseFloat(f[len(f)-1], 64)
		if err == nil {
			sum += v
		}
	}
	return sum, nil
}

// Deadline is a context for one wait in a test or the demo.
func Deadline(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d)
}

// promoterArgs are the flags that point a promoter at this stack's files
// and stand-in and give it ports (webhooks, health, metrics, pprof).
func (s *Stack) promoterArgs(ports []int) []string {
	return []string{
		"--port", strconv.Itoa(ports[0]),
		"--health-port", strconv.Itoa(ports[1]),
		"--metrics-port", strconv.Itoa(ports[2]),
		"--pprof-port", strconv.Itoa(ports[3]),
		"--hmac-secret-file", filepath.Join(s.Dir, "hmac"),
		"--github-token-path", filepath.Join(s.Dir, "token"),
		"--github-endpoint", s.GitHub,
		"--github-graphql-endpoint", s.GitHub + "/graphql",
		"--config-path", s.config,
		"--log-level", "debug",
	}
}
