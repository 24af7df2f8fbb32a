package config

import (
	"bytes"
	"context"
	"os"
	"sync/atomic"
	"time"

	"github.com/sirupsen/logrus"
)

// Agent holds the current config and reloads it when the file changes. A bad
// reload is logged and the last good config stays in force.
type Agent struct {
	path    string
	current atomic.Pointer[Config]
	raw     []byte
}

// NewAgent loads path; an invalid file is an error here, at start.
func NewAgent(path string) (*Agent, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	c, err := Parse(raw)
	if err != nil {
		return nil, err
	}
	a := &Agent{path: path, raw: raw}
	a.current.Store(c)
	return a, nil
}

// Static serves a fixed config (tests, --check-config).
func Static(c *Config) *Agent {
	a := &Agent{}
	a.current.Store(c)
	return a
}

// Config returns the config in force. Callers must not modify it.
func (a *Agent) Config() *Config { return a.current.Load() }

// Watch re-reads the file every interval until ctx ends. Kubernetes updates a
// mounted ConfigMap by swapping a symlink, so polling the content is the
// dependable way to notice.
func (a *Agent) Watch(ctx context.Context, interval time.Duration, log *logrus.Entry) {
	if a.path == "" {
		return
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			a.reload(log)
		}
	}
}

func (a *Agent) reload(log *logrus.Entry) {
	raw, err := os.ReadFile(a.path)
	if err != nil {
		log.WithError(err).Error("Cannot read the config file; keeping the last good config.")
		return
	}
	if bytes.Equal(raw, a.raw) {
		return
	}
	a.raw = raw
	c, err := Parse(raw)
	if err != nil {
		log.WithError(err).Error("The changed config is invalid; keeping the last good config.")
		return
	}
	a.current.Store(c)
	log.Info("Config reloaded.")
}
