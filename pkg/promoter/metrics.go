package promoter

import "github.com/prometheus/client_golang/prometheus"

// Metrics of the promotion work. The webhook's own metrics live in pkg/hook.
var (
	promotions = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "promoter_promotions_total",
		Help: "Promotion rounds finished, by outcome: pr-opened, pr-refreshed, pr-unchanged, already-promoted, dry-run, failed.",
	}, []string{"outcome"})
	retries = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "promoter_promotion_retries_total",
		Help: "Promotion attempts put back on the queue, by reason: waiting (staging image not there yet) or transient (GitHub or registry error).",
	}, []string{"reason"})
	jobToPR = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "promoter_job_success_to_pr_seconds",
		Help:    "Time from the image job's completion to the promotion PR being opened.",
		Buckets: []float64{0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800},
	})
	// GitHubCalls counts calls to GitHub's API by operation.
	GitHubCalls = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "promoter_github_calls_total",
		Help: "Calls promoter made to GitHub's API, by operation.",
	}, []string{"call"})
	// RegistryRequests counts HTTP requests to staging registries by status code.
	RegistryRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "promoter_registry_requests_total",
		Help: "HTTP requests promoter made to staging registries, by status code (\"error\" for no answer).",
	}, []string{"code"})
)

func init() {
	prometheus.MustRegister(promotions, retries, jobToPR, GitHubCalls, RegistryRequests)
}
