package main

import (
	"bufio"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"sigs.k8s.io/promoter/test/fakegithub/server"
	"sigs.k8s.io/promoter/test/ghapi"
)

// The test binary doubles as the command: with FAKEGITHUB_ARGS set it runs
// main with those (newline-separated) arguments.
func TestMain(m *testing.M) {
	if args, ok := os.LookupEnv("FAKEGITHUB_ARGS"); ok {
		os.Args = append([]string{"fakegithub"}, strings.Split(args, "\n")...)
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestCommandServesAndShutsDown(t *testing.T) {
	root := t.TempDir()
	if _, err := server.InitRepo(root, "o", "r", map[string][]byte{"a": []byte("1")}); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	record := filepath.Join(t.TempDir(), "exchanges.jsonl")
	cmd.Env = append(os.Environ(), "FAKEGITHUB_ARGS="+strings.Join([]string{"--addr", "127.0.0.1:0", "--root", root, "--quiet", "--bot-login", "robot", "--record", record}, "\n"))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	lines := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		lines <- line
		_, _ = io.Copy(io.Discard, stdout)
	}()
	var line string
	select {
	case line = <-lines:
	case <-time.After(30 * time.Second):
		t.Fatal("no listening line within 30s")
	}
	url, ok := strings.CutPrefix(strings.TrimSpace(line), "fakegithub listening on ")
	if !ok || !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("first line = %q", line)
	}

	req, _ := http.NewRequest("GET", url+"/user", nil)
	req.Header.Set("Authorization", "Bearer anything")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"login":"robot"`) {
		t.Errorf("GET /user = %d %s", resp.StatusCode, body)
	}
	resp, err = http.Get(url + "/repos/o/r")
	if err != nil || resp.StatusCode != 200 {
		t.Errorf("GET /repos/o/r = %v, %v", resp, err)
	}
	if resp != nil {
		resp.Body.Close()
	}
	if resp, err := http.Get(url + "/_fakegithub/requests"); err == nil {
		resp.Body.Close()
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("exit after SIGTERM: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("still running 30s after SIGTERM")
	}

	// --record kept both API exchanges (not the admin request), without
	// the token.
	raw, err := os.ReadFile(record)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), "anything") {
		t.Errorf("the record holds the token:\n%s", raw)
	}
	exs, err := ghapi.Read(strings.NewReader(string(raw)), "record")
	if err != nil {
		t.Fatal(err)
	}
	if len(exs) != 2 || exs[0].Request() != "GET /user" || exs[0].Status != 200 || !strings.Contains(exs[0].ResponseBody, `"login":"robot"`) ||
		exs[0].ResponseHeader["Content-Type"] == "" || exs[1].Request() != "GET /repos/o/r" {
		t.Errorf("recorded %+v, want GET /user and GET /repos/o/r with their answers", exs)
	}
}
