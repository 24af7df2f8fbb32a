package registry

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

const (
	// DefaultTimeout bounds each registry operation (list, manifest get,
	// blob get, head) so that one hung registry cannot hold a worker forever.
	DefaultTimeout = 30 * time.Second

	// DefaultUserAgent identifies the promoter to registry operators.
	DefaultUserAgent = "sigs.k8s.io/promoter"

	// maxPassedOver caps the HEAD requests spent naming older builds: a
	// loose pattern must not turn one resolve into hundreds of calls.
	maxPassedOver = 10
)

// Resolver reads staging repositories anonymously. It holds no per-call
// state, so one Resolver may be shared by concurrent goroutines.
type Resolver struct {
	transport http.RoundTripper
	userAgent string
	timeout   time.Duration
}

// Option configures a Resolver.
type Option func(*Resolver)

// WithTransport sends every registry request (ping, token, list, manifests,
// blobs) through rt, for example to count calls for a metric. ggcr's own
// retries are disabled, so rt sees exactly one request per attempt. A nil rt
// keeps ggcr's default transport.
func WithTransport(rt http.RoundTripper) Option {
	return func(r *Resolver) {
		if rt != nil {
			r.transport = rt
		}
	}
}

// WithUserAgent sets the User-Agent prefix sent to registries.
func WithUserAgent(ua string) Option {
	return func(r *Resolver) { r.userAgent = ua }
}

// WithTimeout bounds each registry operation; d <= 0 leaves only the
// caller's context to bound it. The caller's deadline still applies when it
// is shorter.
func WithTimeout(d time.Duration) Option {
	return func(r *Resolver) { r.timeout = d }
}

// New returns a Resolver using ggcr's default transport, DefaultUserAgent
// and DefaultTimeout unless overridden.
func New(opts ...Option) *Resolver {
	r := &Resolver{
		transport: remote.DefaultTransport,
		userAgent: DefaultUserAgent,
		timeout:   DefaultTimeout,
	}
	for _, o := range opts {
		o(r)
	}
	return r
}

// Resolve finds the newest build in repository whose tag matches the whole of
// match (it is anchored here, so "v1.2.3" never picks up "v1.2.3-rc.1").
//
// Errors: errors.Is(err, ErrNoMatchingTag) means nothing was pushed yet (also
// when the repository does not exist); IsTransient(err) means retry with
// backoff; anything else is permanent and its message says what to fix.
func (r *Resolver) Resolve(ctx context.Context, repository string, match *regexp.Regexp) (Build, error) {
	repo, err := parseRepository(repository)
	if err != nil {
		return Build{}, err
	}
	whole, err := anchor(match)
	if err != nil {
		return Build{}, permanent("match tags of", repo.Name(), err)
	}
	// One Puller per resolve: every call below reuses its ping and token,
	// and nothing outlives the caller's context.
	puller, err := remote.NewPuller(r.remoteOptions()...)
	if err != nil {
		return Build{}, permanent("configure client for", repo.Name(), err)
	}
	s := session{r: r, puller: puller, repo: repo}
	return s.resolve(ctx, match.String(), whole)
}

// remoteOptions turns off ggcr's internal retries (1 s + 3 s sleeps by
// default): the caller owns the retry policy through IsTransient, and a
// rate-limited registry should not be hit again immediately. It also turns
// off ggcr's referrers tag fallback, which would GET the referrers tag on
// every registry without the referrers API: the tag listing already says
// whether that tag exists.
func (r *Resolver) remoteOptions() []remote.Option {
	opts := []remote.Option{
		remote.WithTransport(r.transport),
		remote.WithRetryPredicate(func(error) bool { return false }),
		remote.WithRetryStatusCodes(),
		remote.WithReferrersTagFallback(false),
	}
	if r.userAgent != "" {
		opts = append(opts, remote.WithUserAgent(r.userAgent))
	}
	return opts
}

// call runs one registry operation under the per-operation timeout.
func (r *Resolver) call(ctx context.Context, op func(context.Context) error) error {
	if r.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, r.timeout)
		defer cancel()
	}
	return op(ctx)
}

// Join builds an image repository from a staging registry root and an image
// name, e.g. Join("gcr.io/k8s-staging-apisnoop", "snoopdb"), and validates it.
func Join(root, image string) (string, error) {
	joined := strings.Trim(root, "/") + "/" + strings.Trim(image, "/")
	repo, err := parseRepository(joined)
	if err != nil {
		return "", err
	}
	return repo.Name(), nil
}

// parseRepository requires an explicit registry host: a root missing its
// host would otherwise silently resolve against Docker Hub.
func parseRepository(s string) (name.Repository, error) {
	repo, err := name.NewRepository(s, name.StrictValidation)
	if err == nil && slices.Contains(strings.Split(s, "/"), "") {
		// ggcr accepts "gcr.io/x/", which no registry serves.
		err = errors.New("empty path component")
	}
	if err != nil {
		return name.Repository{}, &Error{
			Op:         "parse repository",
			Repository: s,
			Err:        err,
			hint:       `want "<registry host>/<path>/<image>" such as "gcr.io/k8s-staging-apisnoop/snoopdb"`,
		}
	}
	return repo, nil
}
