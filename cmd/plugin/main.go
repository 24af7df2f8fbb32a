// Command promoter is a Prow external plugin that opens the image-promotion
// PR on kubernetes/k8s.io when a release tag's staging images are built.
// This file is flags and wiring only.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sirupsen/logrus"
	prowconfig "sigs.k8s.io/prow/pkg/config"
	"sigs.k8s.io/prow/pkg/config/secret"
	prowflagutil "sigs.k8s.io/prow/pkg/flagutil"
	"sigs.k8s.io/prow/pkg/interrupts"
	"sigs.k8s.io/prow/pkg/logrusutil"
	"sigs.k8s.io/prow/pkg/metrics"
	"sigs.k8s.io/prow/pkg/pluginhelp/externalplugins"

	"sigs.k8s.io/promoter/pkg/hook"
	"sigs.k8s.io/promoter/pkg/leader"
	"sigs.k8s.io/promoter/pkg/promoter"
	"sigs.k8s.io/promoter/pkg/promoter/config"
	"sigs.k8s.io/promoter/pkg/promoter/jobs"
	"sigs.k8s.io/promoter/pkg/promoter/pullrequest"
	"sigs.k8s.io/promoter/pkg/promoter/registry"
	"sigs.k8s.io/promoter/pkg/promoter/source"
	"sigs.k8s.io/promoter/pkg/promoter/trust"
)

type options struct {
	port           int
	hmacSecretFile string
	configPath     string
	checkConfig    string
	dryRun         bool
	logLevel       string
	workers        int

	github          prowflagutil.GitHubOptions
	instrumentation prowflagutil.InstrumentationOptions
	kubernetes      prowflagutil.KubernetesOptions
	githubEndpoints string // read back from --github-endpoint for the REST calls
	kubeconfig      string // read back from --kubeconfig

	prowJobNamespace string
	deckURL          string
	deckPollInterval time.Duration
	jobsSyncTimeout  time.Duration

	leaderElect          bool
	leaderElectNamespace string
	leaderElectAddress   string
}

func gatherOptions(fs *flag.FlagSet, args []string) (options, error) {
	var o options
	fs.IntVar(&o.port, "port", 8888, "Port for webhooks (POST /), plugin help (POST /help) and the promotions page (GET /promotions).")
	fs.StringVar(&o.hmacSecretFile, "hmac-secret-file", "/etc/webhook/hmac", "Path to the GitHub webhook HMAC secret: the same file as hook's (one token, or Prow's org/repo map).")
	fs.StringVar(&o.configPath, "config-path", "/etc/promoter/config.yaml", "Path to promoter's config file (reloaded when it changes).")
	fs.StringVar(&o.checkConfig, "check-config", "", "Validate this config file, print the result and exit (non-zero when invalid).")
	fs.BoolVar(&o.dryRun, "dry-run", false, "Write nothing to GitHub: log the PR and images.yaml diff that would be proposed.")
	fs.StringVar(&o.logLevel, "log-level", "info", fmt.Sprintf("Log level, one of %v.", logrus.AllLevels))
	fs.IntVar(&o.workers, "workers", 4, "Promotions worked on at once (at most one per project).")
	fs.StringVar(&o.prowJobNamespace, "prowjob-namespace", "default", "Namespace of the ProwJobs (Prow's prowjob_namespace), read with --kubeconfig or the in-cluster config.")
	fs.StringVar(&o.deckURL, "deck-url", "", "Read ProwJobs from Deck's /prowjobs.js at this URL instead of the cluster (for promoter running outside it).")
	fs.DurationVar(&o.deckPollInterval, "deck-poll-interval", 30*time.Second, "How often to poll Deck with --deck-url (Deck refreshes every 30s).")
	fs.DurationVar(&o.jobsSyncTimeout, "jobs-sync-timeout", 2*time.Minute, "How long to wait at start for the first full list of ProwJobs (cluster or Deck) before exiting with the reason.")
	fs.BoolVar(&o.leaderElect, "leader-elect", false, "Run as one of several replicas: only the holder of the coordination.k8s.io/v1 Lease \"promoter\" reconciles and writes to GitHub; the others hand webhooks to it and take over when it goes.")
	fs.StringVar(&o.leaderElectNamespace, "leader-elect-namespace", "", "Namespace of the Lease (default: the pod's namespace, from $POD_NAMESPACE or the service account).")
	fs.StringVar(&o.leaderElectAddress, "leader-elect-address", "", "host:port where the other replicas reach this one's --port (default: $POD_IP and --port).")
	o.github.AddFlags(fs)
	o.instrumentation.AddFlags(fs)
	o.kubernetes.AddFlags(fs)
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	o.githubEndpoints = fs.Lookup("github-endpoint").Value.String()
	o.kubeconfig = fs.Lookup("kubeconfig").Value.String()
	return o, nil
}

func (o *options) validate() error {
	if o.workers < 1 {
		return errors.New("--workers must be at least 1")
	}
	if o.deckURL != "" && o.deckPollInterval < time.Second/10 {
		return errors.New("--deck-poll-interval must be at least 100ms")
	}
	if o.jobsSyncTimeout <= 0 {
		return errors.New("--jobs-sync-timeout must be positive")
	}
	if err := o.kubernetes.Validate(o.dryRun); err != nil {
		return err
	}
	if o.github.AppID != "" {
		// A GitHub App cannot own a fork: the fork-and-PR flow needs a user.
		return errors.New("--github-app-id: promoter needs a bot user token (--github-token-path); a GitHub App cannot own the fork its PRs come from")
	}
	return o.github.Validate(o.dryRun)
}

func main() {
	logrusutil.ComponentInit()
	o, err := gatherOptions(flag.NewFlagSet(os.Args[0], flag.ExitOnError), os.Args[1:])
	if err != nil {
		logrus.WithError(err).Fatal("Invalid flags.")
	}
	if o.checkConfig != "" {
		os.Exit(checkConfig(o.checkConfig))
	}
	if err := o.validate(); err != nil {
		logrus.WithError(err).Fatal("Invalid options.")
	}
	level, err := logrus.ParseLevel(o.logLevel)
	if err != nil {
		logrus.WithError(err).Fatal("Invalid --log-level.")
	}
	logrus.SetLevel(level)
	log := logrus.WithField("plugin", "promoter")
	if err := run(o, log); err != nil {
		log.WithError(err).Fatal("Cannot start.")
	}
}

// checkConfig validates a config file for --check-config.
func checkConfig(path string) int {
	c, err := config.Load(path)
	if err != nil {
		fmt.Fprintf(os.Stderr, "invalid config: %v\n", err)
		return 1
	}
	fmt.Printf("%s: valid: %d projects, PRs to %s branch %s\n", path, len(c.Projects), c.ManifestRepo, c.ManifestBranch)
	return 0
}

func run(o options, log *logrus.Entry) error {
	if err := secret.Add(o.hmacSecretFile); err != nil {
		return fmt.Errorf("loading --hmac-secret-file: %w", err)
	}
	cfg, err := config.NewAgent(o.configPath)
	if err != nil {
		return fmt.Errorf("loading --config-path: %w", err)
	}
	gh, err := o.github.GitHubClient(o.dryRun)
	if err != nil {
		return fmt.Errorf("creating the GitHub client: %w", err)
	}
	// A 404 is an expected answer here (no fork yet, no such file or tag):
	// do not spend 6 s retrying it.
	gh.SetMax404Retries(0)
	// Prow's secret agent censors each secret file's whole content; an HMAC
	// file in the org/repo map form holds several tokens, each censored here.
	censorSecrets(o)
	// The bot's login, read once: its own comments are never commands, and
	// its PRs are the ones to rebuild state from.
	bot, err := gh.BotUser()
	if err != nil {
		return fmt.Errorf("reading the bot user from GitHub: %w", err)
	}
	src, err := jobSource(o, log)
	if err != nil {
		return err
	}
	el, err := election(o, log)
	if err != nil {
		return err
	}
	rest := newREST(o)
	pub := pullrequest.New(gh, rest, bot.Login, pullrequest.WithHost(o.github.Host), pullrequest.WithLogger(log), pullrequest.WithCounter(countGitHub))
	reg := registry.New(registry.WithTransport(countRegistry(http.DefaultTransport)), registry.WithUserAgent("promoter"))
	ctl := promoter.New(cfg.Config, reg, pub, promoter.Options{
		DryRun: o.dryRun, Log: log, Jobs: src,
		Source: source.New(gh, rest, countGitHub), Trust: trust.New(gh, countGitHub),
		Standby: el != nil,
	})

	st := &state{election: el}
	serveHealth(o.instrumentation.HealthPort, st.readiness)
	metrics.ExposeMetrics("promoter", prowconfig.PushGateway{}, o.instrumentation.MetricsPort)
	serve(o, cfg, ctl, bot.Login, el, log)

	interrupts.Run(func(ctx context.Context) { cfg.Watch(ctx, 10*time.Second, log) })
	// Job runs first: a reconcile before the source has synced would wait
	// for runs it cannot see yet. A standby syncs too, to lead at once.
	if err := startJobs(interrupts.Context(), src, ctl, o.jobsSyncTimeout); err != nil {
		return err
	}
	st.synced.Store(true)
	lead := func(ctx context.Context) {
		ctl.Lead()
		if !o.dryRun {
			go ensureFork(ctx, pub, cfg.Config(), log)
		}
		// The PRs first: a restart must find its work done before it
		// redoes any.
		if !ctl.FirstResync(ctx) {
			return
		}
		st.resynced()
		go ctl.ResyncEvery(ctx)
		ctl.Run(ctx, o.workers)
	}
	if el == nil {
		leader.Alone()
		interrupts.Run(lead)
	} else {
		interrupts.Run(func(ctx context.Context) {
			if err := el.Run(ctx, lead); err != nil {
				log.WithError(err).Fatal("Leader election failed.")
			}
			if ctx.Err() == nil {
				// Work in flight may still write: stop, and stand by anew.
				log.Fatal("Lost the promoter Lease; exiting so that a restart stands by.")
			}
		})
	}
	interrupts.WaitForGracefulShutdown()
	return nil
}

// state is what readiness depends on.
type state struct {
	election     *leader.Election
	synced       atomic.Bool // the job source has its first full list
	resyncedOnce atomic.Bool // this replica, leading, has done its first resync
}

func (s *state) resynced() {
	if !s.resyncedOnce.Swap(true) {
		logrus.Info("promoter is ready: job runs synced, first resync done.")
	}
}

// readiness: the job source has synced and, for a single replica, the
// first resync is done. A standby is ready once synced: it takes webhooks
// (and hands them to the leader); it must stay ready when it starts
// leading, or the Service would drop it during a failover.
func (s *state) readiness() (bool, string) {
	switch {
	case !s.synced.Load():
		return false, "the ProwJob source has not synced yet"
	case s.election == nil && !s.resyncedOnce.Load():
		return false, "the first resync has not finished"
	case s.election == nil:
		return true, "single replica, leading"
	case s.election.Leading():
		return true, "leading as " + s.election.Identity()
	}
	return true, "standing by; the leader is " + orNone(s.election.Leader())
}

func orNone(s string) string {
	if s == "" {
		return "not known yet"
	}
	return s
}

func serveHealth(port int, ready hook.Readiness) {
	srv := &http.Server{Addr: ":" + strconv.Itoa(port), Handler: hook.Health(ready), ReadHeaderTimeout: 10 * time.Second}
	interrupts.ListenAndServe(srv, 5*time.Second)
}

// election is this replica's part in the leader election, or nil without
// --leader-elect.
func election(o options, log *logrus.Entry) (*leader.Election, error) {
	if !o.leaderElect {
		return nil, nil
	}
	client, err := o.kubernetes.InfrastructureClusterClient(false)
	if err != nil {
		return nil, fmt.Errorf("--leader-elect needs the cluster (--kubeconfig or in-cluster): %w", err)
	}
	ns := o.leaderElectNamespace
	if ns == "" {
		ns = podNamespace()
	}
	addr := o.leaderElectAddress
	if addr == "" && os.Getenv("POD_IP") != "" {
		addr = net.JoinHostPort(os.Getenv("POD_IP"), strconv.Itoa(o.port))
	}
	log.WithFields(logrus.Fields{"namespace": ns, "lease": leader.LeaseName, "address": addr}).Info("Leader election: standing by until this replica holds the Lease.")
	return leader.New(client, ns, addr, log), nil
}

// podNamespace is the namespace the pod runs in: $POD_NAMESPACE (the
// downward API), the service account's, or "default".
func podNamespace() string {
	if ns := os.Getenv("POD_NAMESPACE"); ns != "" {
		return ns
	}
	if b, err := os.ReadFile("/var/run/secrets/kubernetes.io/serviceaccount/namespace"); err == nil {
		if ns := strings.TrimSpace(string(b)); ns != "" {
			return ns
		}
	}
	return "default"
}

// serve starts the webhook, plugin help and /promotions server. It answers
// before promoter is ready: a webhook is only queued.
func serve(o options, cfg *config.Agent, ctl *promoter.Controller, bot string, el *leader.Election, log *logrus.Entry) {
	mux := http.NewServeMux()
	webhooks := hook.NewServer(secret.GetTokenGenerator(o.hmacSecretFile), cfg.Config, ctl, log)
	// GitHub logins are case-insensitive; Prow's BotUserChecker is not.
	webhooks.IsBot = func(login string) bool { return strings.EqualFold(login, bot) }
	var l hook.Leadership
	if el != nil {
		l = el
	}
	webhooks.Leader = l
	mux.Handle("/", webhooks)
	mux.Handle("/promotions", hook.FromLeader(hook.Promotions(ctl.Tracker().List), l))
	externalplugins.ServeExternalPluginHelp(mux, log, hook.HelpProvider(cfg.Config))
	srv := &http.Server{Addr: ":" + strconv.Itoa(o.port), Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	log.WithFields(logrus.Fields{"port": o.port, "dry-run": o.dryRun, "bot": bot}).Info("promoter is serving.")
	interrupts.ListenAndServe(srv, 5*time.Second)
}

// startJobs starts the job source and waits, bounded, for its first full
// list. A source that cannot sync (RBAC forbids the list, the CRD is
// missing, Deck refuses) is an error: promoter exits with the reason, since
// running without job runs would let a failed image job go unnoticed.
func startJobs(ctx context.Context, src jobs.Source, ctl *promoter.Controller, timeout time.Duration) error {
	if src == nil {
		return nil
	}
	src.OnRunning(ctl.JobRunning)
	if err := src.Start(ctx, ctl.JobDone, timeout); err != nil {
		return fmt.Errorf("the ProwJob source did not start: %w", err)
	}
	return nil
}

// newREST makes the few REST calls Prow's client lacks, with its endpoint
// and token.
func newREST(o options) *pullrequest.REST {
	endpoint, _, _ := strings.Cut(o.githubEndpoints, ",")
	rest := &pullrequest.REST{Endpoint: endpoint, Token: secret.GetTokenGenerator(o.github.TokenPath), Count: countGitHub}
	if o.github.TokenPath == "" {
		rest.Token = nil
	}
	return rest
}

func countGitHub(call string) { promoter.GitHubCalls.WithLabelValues(call).Inc() }

// jobSource picks where image job runs are read: Deck when --deck-url is
// set, else the cluster (--kubeconfig or the in-cluster config), else none.
func jobSource(o options, log *logrus.Entry) (jobs.Source, error) {
	switch {
	case o.deckURL != "":
		log.WithField("deck", o.deckURL).Info("Reading ProwJobs from Deck.")
		return jobs.NewDeck(o.deckURL, o.deckPollInterval), nil
	case o.kubeconfig != "" || os.Getenv("KUBERNETES_SERVICE_HOST") != "":
		// promoter only reads ProwJobs, and Prow refuses a dry-run clientset.
		cs, err := o.kubernetes.ProwJobClientset(false)
		if err != nil {
			return nil, fmt.Errorf("creating the ProwJob client: %w", err)
		}
		log.WithField("namespace", o.prowJobNamespace).Info("Watching ProwJobs in the cluster.")
		return jobs.NewInformer(cs, o.prowJobNamespace), nil
	}
	log.Warn("No --deck-url, --kubeconfig or in-cluster config: promoter will not wait for image jobs; the staging registry alone is the evidence.")
	return nil, nil
}

// ensureFork makes the bot's fork at start, retrying, so the first promotion
// never waits on fork creation.
func ensureFork(ctx context.Context, pub *pullrequest.Publisher, c *config.Config, log *logrus.Entry) {
	org, name, _ := strings.Cut(c.ManifestRepo, "/")
	repo := pullrequest.Repo{Org: org, Name: name, Branch: c.ManifestBranch}
	for delay := time.Second; ; delay = min(2*delay, 5*time.Minute) {
		fork, err := pub.EnsureFork(ctx, repo)
		if err == nil {
			log.WithField("fork", pub.Bot()+"/"+fork).Info("The bot's fork of the manifest repository is ready.")
			return
		}
		log.WithError(err).Warn("Cannot ensure the bot's fork yet; will retry.")
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
	}
}
