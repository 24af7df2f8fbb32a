// Package leader runs promoter's leader election and says who leads. With
// several replicas exactly one, the holder of a coordination.k8s.io/v1
// Lease named "promoter", reconciles and writes to GitHub; the others
// answer webhooks and hand them to the leader. It knows nothing of
// promotions: the caller says what to run while leading.
package leader

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/sirupsen/logrus"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/uuid"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
)

// LeaseName is the Lease every replica competes for.
const LeaseName = "promoter"

// Timings of the election, client-go's usual ones: a leader that dies
// without releasing the Lease is replaced within LeaseDuration plus a
// RetryPeriod; one that stops gracefully releases it at once.
var (
	LeaseDuration = 15 * time.Second
	RenewDeadline = 10 * time.Second
	RetryPeriod   = 2 * time.Second
)

var (
	leading = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "promoter_leader",
		Help: "1 while this replica holds the promoter Lease and reconciles, 0 while it stands by.",
	})
	leaderInfo = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "promoter_leader_info",
		Help: "The replica this one sees leading (label identity), value 1.",
	}, []string{"identity"})
)

func init() { prometheus.MustRegister(leading, leaderInfo) }

// Alone records, for the metrics, that this process runs without an
// election: it leads.
func Alone() { leading.Set(1) }

// Election is one replica's part in the election.
type Election struct {
	identity string
	lock     resourcelock.Interface
	log      *logrus.Entry

	leading atomic.Bool
	mu      sync.Mutex
	leader  string
}

// New returns an Election for the Lease in namespace. address is where this
// replica's webhook port is reached by the others (e.g. the pod IP and
// --port); it becomes part of the identity, so a standby knows where to
// hand webhooks. An empty address leaves the identity without one.
func New(client kubernetes.Interface, namespace, address string, log *logrus.Entry) *Election {
	host, _ := os.Hostname()
	id := host + "_" + string(uuid.NewUUID())
	if address != "" {
		id = host + "@" + address
	}
	lock := &resourcelock.LeaseLock{
		LeaseMeta:  metav1.ObjectMeta{Namespace: namespace, Name: LeaseName},
		Client:     client.CoordinationV1(),
		LockConfig: resourcelock.ResourceLockConfig{Identity: id},
	}
	return &Election{identity: id, lock: lock, log: log.WithField("identity", id)}
}

// Identity is this replica's name in the Lease.
func (e *Election) Identity() string { return e.identity }

// Leading reports whether this replica holds the Lease now.
func (e *Election) Leading() bool { return e.leading.Load() }

// Leader is the identity of the replica seen leading, "" when none is known.
func (e *Election) Leader() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.leader
}

// LeaderURL is the base URL of the leader's webhook port, or "" when this
// replica leads, no leader is known, or its identity has no address.
func (e *Election) LeaderURL() string {
	l := e.Leader()
	if l == "" || l == e.identity || e.Leading() {
		return ""
	}
	_, addr, ok := strings.Cut(l, "@")
	if !ok || addr == "" {
		return ""
	}
	return "http://" + addr
}

// Run takes part in the election until ctx ends. lead runs while this
// replica leads, with a context that ends when it stops leading; Run
// returns when leadership is lost (the caller should exit: a process that
// lost the Lease may still hold work in flight) or ctx ends, releasing the
// Lease on the way out so a standby takes over at once.
func (e *Election) Run(ctx context.Context, lead func(ctx context.Context)) error {
	le, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
		Lock:            e.lock,
		LeaseDuration:   LeaseDuration,
		RenewDeadline:   RenewDeadline,
		RetryPeriod:     RetryPeriod,
		ReleaseOnCancel: true,
		Name:            LeaseName,
		Callbacks: leaderelection.LeaderCallbacks{
			OnStartedLeading: func(ctx context.Context) {
				e.leading.Store(true)
				leading.Set(1)
				e.log.Info("Leading: this replica reconciles and writes to GitHub.")
				lead(ctx)
			},
			OnStoppedLeading: func() {
				e.leading.Store(false)
				leading.Set(0)
				e.log.Info("Not leading any more.")
			},
			OnNewLeader: e.observe,
		},
	})
	if err != nil {
		return fmt.Errorf("leader election: %w", err)
	}
	le.Run(ctx)
	return nil
}

func (e *Election) observe(identity string) {
	e.mu.Lock()
	old := e.leader
	e.leader = identity
	e.mu.Unlock()
	if old != "" {
		leaderInfo.DeleteLabelValues(old)
	}
	leaderInfo.WithLabelValues(identity).Set(1)
	if identity != e.identity {
		e.log.WithField("leader", identity).Info("Standing by: another replica leads.")
	}
}
