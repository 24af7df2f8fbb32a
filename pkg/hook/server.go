package hook

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/sirupsen/logrus"

	"sigs.k8s.io/promoter/pkg/promoter"
	"sigs.k8s.io/promoter/pkg/promoter/config"
)

// MaxBody is GitHub's cap on a webhook payload (25 MB); larger bodies are
// refused before they are read whole.
const MaxBody = 25 << 20

// Enqueuer takes promotion requests and /promote comments; the promoter's
// controller is one.
type Enqueuer interface {
	Request(promoter.Key, promoter.Ask)
	Comment(promoter.CommentRequest)
}

// Server handles POST / webhooks.
type Server struct {
	secrets *secrets
	config  func() *config.Config
	queue   Enqueuer
	log     *logrus.Entry
	// IsBot tells promoter's own comments, which are never commands.
	IsBot func(login string) bool
	// Leader, when set, says whether this replica leads; a standby hands
	// valid webhooks to the leader.
	Leader Leadership
}

// NewServer returns the webhook handler. hmac returns the HMAC secret file's
// content (Prow's secret agent keeps it fresh); cfg returns the config in force.
func NewServer(hmac func() []byte, cfg func() *config.Config, q Enqueuer, log *logrus.Entry) *Server {
	return &Server{secrets: &secrets{file: hmac}, config: cfg, queue: q, log: log}
}

var (
	webhookLatency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "promoter_webhook_duration_seconds",
		Help:    "Time to validate, decode and acknowledge a webhook, by event type and HTTP status.",
		Buckets: []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25, 1},
	}, []string{"event", "code"})
)

func init() { prometheus.MustRegister(webhookLatency) }

// ServeHTTP validates the webhook, answers at once, and leaves the work to
// the queue. Only a valid signature gets past the first checks.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	event := r.Header.Get("X-GitHub-Event")
	code, msg := s.handle(w, r, event)
	if code != http.StatusOK {
		http.Error(w, msg, code)
	} else {
		io.WriteString(w, msg)
	}
	webhookLatency.WithLabelValues(eventLabel(event), http.StatusText(code)).Observe(time.Since(start).Seconds())
}

func (s *Server) handle(w http.ResponseWriter, r *http.Request, event string) (int, string) {
	if r.Method != http.MethodPost {
		return http.StatusMethodNotAllowed, "405 Method not allowed: webhooks are POSTed"
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return http.StatusRequestEntityTooLarge, "413 Payload too large: GitHub caps webhooks at 25 MB"
	case err != nil:
		return http.StatusBadRequest, "400 Bad Request: cannot read the body"
	}
	// One decode serves the secret's scope and the push's fields: JSON
	// decoding is most of a webhook's cost.
	var ev envelope
	decodeErr := json.Unmarshal(body, &ev)
	if !s.secrets.valid(r.Header.Get("X-Hub-Signature-256"), r.Header.Get("X-Hub-Signature"), ev.scope(), body) {
		s.log.WithField("event", event).Debug("Refused a webhook with a missing or invalid signature.")
		return http.StatusForbidden, "403 Forbidden: missing or invalid X-Hub-Signature-256 / X-Hub-Signature"
	}
	if event == "" {
		return http.StatusBadRequest, "400 Bad Request: missing X-GitHub-Event header"
	}
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/json" {
		return http.StatusBadRequest, "400 Bad Request: want content-type application/json"
	}
	log := s.log.WithFields(logrus.Fields{"event": event, "delivery": r.Header.Get("X-GitHub-Delivery")})
	if (event == "push" || event == "issue_comment") && s.forward(r, body) {
		log.Debug("Handed the webhook to the leader.")
		return http.StatusOK, "forwarded to the leader"
	}
	switch event {
	case "push":
		if decodeErr != nil {
			return http.StatusBadRequest, "400 Bad Request: malformed push event"
		}
		return s.push(ev, log)
	case "issue_comment":
		return s.comment(body, log)
	case "ping":
		return http.StatusOK, "pong"
	default:
		log.Debug("Ignoring an event promoter does not handle.")
		return http.StatusOK, "ignored"
	}
}

// push enqueues a promotion for each configured project the pushed tag
// releases. Branch pushes, deletions and other repositories are ignored.
func (s *Server) push(pe envelope, log *logrus.Entry) (int, string) {
	log = log.WithFields(logrus.Fields{"repo": pe.Repo.FullName, "ref": pe.Ref})
	tag, isTag := strings.CutPrefix(pe.Ref, "refs/tags/")
	switch {
	case !isTag || tag == "":
		log.Debug("Ignoring a push that is not a tag.")
		return http.StatusOK, "ignored: not a tag"
	case pe.Deleted:
		log.Debug("Ignoring a tag deletion.")
		return http.StatusOK, "ignored: tag deleted"
	}
	// GitHub's push payload names the tagged commit (head_commit, also for
	// annotated tags, since 2021); that saves promoter a lookup.
	ask := promoter.Ask{}
	if shaRE.MatchString(pe.HeadCommit.ID) {
		ask.TagCommit = pe.HeadCommit.ID
	}
	var keys []string
	for _, p := range s.config().ProjectsFor(pe.Repo.FullName) {
		if p.Matches(tag) {
			s.queue.Request(promoter.Key{Project: p.Name, Tag: tag}, ask)
			keys = append(keys, p.Name)
		}
	}
	if len(keys) == 0 {
		log.Debug("Ignoring a tag no configured project releases.")
		return http.StatusOK, "ignored: no project releases this tag"
	}
	log.WithField("projects", keys).Info("Tag pushed: promotion queued.")
	return http.StatusOK, "queued"
}

// envelope is the part of an event promoter reads: the repository (or org)
// the secret is scoped by, and a push's ref and deletion flag.
type envelope struct {
	Ref        string `json:"ref"`
	Deleted    bool   `json:"deleted"`
	HeadCommit struct {
		ID string `json:"id"`
	} `json:"head_commit"`
	Repo struct {
		FullName string `json:"full_name"`
	} `json:"repository"`
	Org struct {
		Login string `json:"login"`
	} `json:"organization"`
}

// scope is the repository (or, for org events, the org) whose secret signs
// the event, as Prow's hook looks it up.
func (e envelope) scope() string {
	if e.Repo.FullName != "" {
		return e.Repo.FullName
	}
	return e.Org.Login
}

var shaRE = regexp.MustCompile(`^[0-9a-f]{40}$`)

// eventLabel bounds the metric's label values: event names come from the
// sender.
func eventLabel(e string) string {
	switch e {
	case "push", "issue_comment", "ping":
		return e
	}
	return "other"
}
