package harness

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestStandInNice: every thread of a stand-in started with StandInNice runs
// that much nicer than this process (Linux keeps it per thread, so setting it on the pid
// after the start would miss the Go runtime's other threads), and one
// started without it runs at this process's.
func TestStandInNice(t *testing.T) {
	if _, err := os.Stat("/proc/self/task"); err != nil {
		t.Skip("needs Linux's /proc")
	}
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "fakegithub")
	build := exec.Command("go", "build", "-o", bin, "./test/fakegithub")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	own := niceness(t, os.Getpid())[0]
	for _, want := range []int{10, 0} {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		s, err := NewStack(ctx, StackOptions{Dir: t.TempDir(), FakeGitHubBin: bin, StandInNice: want})
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		// nice(1) adds to the niceness it runs at (a CI runner may be
		// niced already), up to 19.
		expect := min(own+want, 19)
		threads := niceness(t, s.GH.PID())
		s.Stop()
		for i, n := range threads {
			if n != expect {
				t.Errorf("StandInNice %d: thread %d of %d of the stand-in runs at nice %d, want %d", want, i+1, len(threads), n, expect)
			}
		}
	}
}

// niceness reads the nice value of each thread of process pid.
func niceness(t *testing.T, pid int) []int {
	t.Helper()
	stats, err := filepath.Glob(filepath.Join("/proc", strconv.Itoa(pid), "task", "*", "stat"))
	if err != nil || len(stats) == 0 {
		t.Fatalf("no threads for pid %d: %v", pid, err)
	}
	var out []int
	for _, f := range stats {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		// After "pid (comm) ", the fields start at state (field 3); nice is
		// field 19 (proc(5)).
		fields := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
		n, err := strconv.Atoi(fields[19-3])
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out = append(out, n)
	}
	return out
}
