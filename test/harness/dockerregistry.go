package harness

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// DockerRegistry is Debian's docker-registry (the CNCF distribution
// registry, 2.8) serving a directory on a loopback port: a real, separate
// registry server, which can be stopped and started again on the same port
// and storage.
type DockerRegistry struct {
	Host    string // "127.0.0.1:PORT"
	P       *Process
	bin     string
	config  string
	started int
}

// StartDockerRegistry starts bin (usually /usr/bin/docker-registry) with
// its storage and config under dir.
func StartDockerRegistry(ctx context.Context, bin, dir string) (*DockerRegistry, error) {
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	host := "127.0.0.1:" + strconv.Itoa(port)
	storage := filepath.Join(dir, "storage")
	if err := os.MkdirAll(storage, 0o755); err != nil {
		return nil, err
	}
	config, err := WriteFile(dir, "config.yml", fmt.Sprintf(`version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
http:
  addr: %s
`, storage, host))
	if err != nil {
		return nil, err
	}
	r := &DockerRegistry{Host: host, bin: bin, config: config}
	return r, r.Start(ctx)
}

// Start starts the server (again) and waits until it answers /v2/.
func (r *DockerRegistry) Start(ctx context.Context) error {
	r.started++
	p, err := Start(fmt.Sprintf("docker-registry#%d", r.started), r.bin, "serve", r.config)
	if err != nil {
		return err
	}
	r.P = p
	return WaitFor(ctx, p, "docker-registry", func() bool { return HTTPOK("http://" + r.Host + "/v2/") })
}

// Stop stops the server; its storage stays.
func (r *DockerRegistry) Stop() {
	if r.P != nil {
		r.P.Stop()
	}
}
