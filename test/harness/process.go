package harness

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Build compiles the promoter and fakegithub binaries into dir. Where
// $PROMOTER_IMAGE names an OCI layout (make test sets it to bin/image), the
// promoter is the one in that image, not a fresh build.
func Build(dir string) (promoterBin, fakegithubBin string, err error) {
	root, err := RepoRoot()
	if err != nil {
		return "", "", err
	}
	promoterBin, fakegithubBin = filepath.Join(dir, "promoter"), filepath.Join(dir, "fakegithub")
	build := map[string]string{promoterBin: "./cmd/plugin", fakegithubBin: "./test/fakegithub"}
	if image := os.Getenv(ImageEnv); image != "" {
		if !filepath.IsAbs(image) {
			image = filepath.Join(root, image)
		}
		if err := ImageBinary(image, promoterBin); err != nil {
			return "", "", fmt.Errorf("$%s: %w", ImageEnv, err)
		}
		delete(build, promoterBin)
	}
	for bin, pkg := range build {
		cmd := exec.Command("go", "build", "-o", bin, pkg)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", "", fmt.Errorf("go build %s: %v\n%s", pkg, err, out)
		}
	}
	return promoterBin, fakegithubBin, nil
}

// Process is a started binary whose output is kept.
type Process struct {
	Name string
	cmd  *exec.Cmd
	out  *buffer
	done chan struct{}
}

// Start runs bin with args. Its stdout and stderr are kept for Output.
func Start(name, bin string, args ...string) (*Process, error) {
	return StartEnv(name, bin, nil, args...)
}

// StartEnv is Start with env ("KEY=value") added to this process's
// environment.
func StartEnv(name, bin string, env []string, args ...string) (*Process, error) {
	cmd := exec.Command(bin, args...)
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	// If the test or script driving it dies, so does the process: a failed
	// run leaves nothing listening behind.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out := &buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &Process{Name: name, cmd: cmd, out: out, done: make(chan struct{})}
	go func() { cmd.Wait(); close(p.done) }()
	return p, nil
}

// Output is everything the process printed so far.
func (p *Process) Output() string { return p.out.String() }

// Exited reports whether the process has ended.
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Stop asks the process to end (SIGTERM, as Kubernetes does) and kills it
// if it has not ended within 10 s.
func (p *Process) Stop() {
	if p.Exited() {
		return
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
}

// FreePort returns a loopback port nothing listens on right now.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// WaitFor polls cond until it is true, the process died or ctx ends.
func WaitFor(ctx context.Context, p *Process, what string, cond func() bool) error {
	for {
		if cond() {
			return nil
		}
		if p != nil && p.Exited() {
			return fmt.Errorf("%s exited while waiting for %s:\n%s", p.Name, what, p.Output())
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("timed out waiting for %s", what)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// HTTPOK reports whether GET url answers 200.
func HTTPOK(url string) bool {
	resp, err := http.Get(url)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// WriteFile writes content to dir/name and returns the path.
func WriteFile(dir, name, content string) (string, error) {
	p := filepath.Join(dir, name)
	return p, os.WriteFile(p, []byte(content), 0o600)
}

type buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// Lines returns the output lines containing s.
func (p *Process) Lines(s string) []string {
	var out []string
	for _, l := range strings.Split(p.Output(), "\n") {
		if strings.Contains(l, s) {
			out = append(out, l)
		}
	}
	return out
}

// PID is the process id.
func (p *Process) PID() int { return p.cmd.Process.Pid }

// ExitCode waits up to d for the process to end and returns its exit code;
// ok is false if it is still running.
func (p *Process) ExitCode(d time.Duration) (code int, ok bool) {
	select {
	case <-p.done:
		return p.cmd.ProcessState.ExitCode(), true
	case <-time.After(d):
		return 0, false
	}
}

// Kill ends the process at once (SIGKILL), as a node failure does: no
// graceful shutdown, nothing released.
func (p *Process) Kill() {
	if p.Exited() {
		return
	}
	p.cmd.Process.Kill()
	<-p.done
}
