package harness

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Replica is one more promoter process on a Stack's stand-in and files,
// with ports of its own: the second pod of a Deployment.
type Replica struct {
	P        *Process
	Promoter string // webhook URL, http://127.0.0.1:PORT
	Port     int
	Health   string
	Metrics  string
}

// StartReplica starts another promoter with the stack's config, secrets
// and stand-in, plus args (e.g. --leader-elect), and waits until it is
// ready. Like a pod, it gets its address in $POD_IP.
func (s *Stack) StartReplica(ctx context.Context, name string, args ...string) (*Replica, error) {
	ports := make([]int, 4)
	for i := range ports {
		p, err := FreePort()
		if err != nil {
			return nil, err
		}
		ports[i] = p
	}
	all := append(s.promoterArgs(ports), args...)
	p, err := StartEnv(name, s.promoterBin, []string{"POD_IP=127.0.0.1"}, all...)
	if err != nil {
		return nil, err
	}
	r := &Replica{P: p, Port: ports[0], Promoter: fmt.Sprintf("http://127.0.0.1:%d", ports[0]),
		Health: fmt.Sprintf("http://127.0.0.1:%d", ports[1]), Metrics: fmt.Sprintf("http://127.0.0.1:%d", ports[2])}
	if err := WaitFor(ctx, p, name+" to be ready", func() bool { return HTTPOK(r.Health + "/healthz/ready") }); err != nil {
		p.Stop()
		return nil, err
	}
	return r, nil
}

// Ready is the replica's /healthz/ready answer: whether it is ready, and
// its words (which say who leads).
func (r *Replica) Ready() (bool, string) {
	resp, err := http.Get(r.Health + "/healthz/ready")
	if err != nil {
		return false, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode == http.StatusOK, strings.TrimSpace(string(b))
}

// Leading reports whether the replica says it leads.
func (r *Replica) Leading() bool {
	ok, words := r.Ready()
	return ok && strings.Contains(words, "leading as")
}
