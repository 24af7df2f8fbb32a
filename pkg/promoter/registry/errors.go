package registry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"syscall"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// ErrNoMatchingTag means no staging tag matches the pattern yet, or the
// repository does not exist yet: the image job may still be running, so the
// caller should look again later rather than fail the promotion.
var ErrNoMatchingTag = errors.New("no matching staging tag")

// Error is a failed registry operation. Use IsTransient to decide between
// retrying and reporting; Error() names the repository and what to check.
type Error struct {
	Op         string // what was attempted, e.g. "list tags of"
	Repository string // the repository as given or as canonicalized by ggcr
	Err        error  // the underlying ggcr, net/http or parse error

	transient bool
	hint      string // what a maintainer should check, if known
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("%s %s: %v", e.Op, e.Repository, e.Err)
	if e.hint != "" {
		msg += " (" + e.hint + ")"
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// IsTransient reports whether err came from a condition worth retrying with
// backoff: network failures, timeouts, HTTP 408/429/5xx, or a manifest that
// vanished between listing and reading. ErrNoMatchingTag is not transient:
// check it first, it has its own (slower) retry cadence.
func IsTransient(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.transient
}

func permanent(op, repo string, err error) *Error {
	return &Error{Op: op, Repository: repo, Err: err}
}

// wrap classifies err from a registry operation.
func wrap(op, repo string, err error) *Error {
	e := &Error{Op: op, Repository: repo, Err: err}
	e.transient, e.hint = classify(err)
	return e
}

// wrapListed is wrap for reads of a tag that the listing just returned: a
// 404 there means the tag moved or was deleted meanwhile, so look again.
func wrapListed(op, repo string, err error) *Error {
	e := wrap(op, repo, err)
	if statusCode(err) == http.StatusNotFound {
		e.transient = true
		e.hint = "the tag was listed moments ago; it was probably moved or deleted since"
	}
	return e
}

func classify(err error) (transient bool, hint string) {
	var te *transport.Error
	if errors.As(err, &te) {
		return classifyStatus(te)
	}
	switch {
	case errors.Is(err, context.Canceled):
		return false, ""
	case errors.Is(err, context.DeadlineExceeded):
		return true, "the registry did not answer in time"
	case isUnknownHost(err):
		return false, "the registry host does not resolve; check the repository name"
	case isNetwork(err):
		return true, ""
	}
	return false, ""
}

func classifyStatus(te *transport.Error) (bool, string) {
	switch code := te.StatusCode; {
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		return false, "the registry refused an anonymous read: staging repositories must be " +
			"publicly readable; check the repository name and its visibility"
	case code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500:
		return true, ""
	}
	// ggcr knows a few diagnostic codes (TOOMANYREQUESTS, UNAVAILABLE, ...)
	// that registries send with other statuses.
	return te.Temporary(), ""
}

func isUnknownHost(err error) bool {
	var de *net.DNSError
	return errors.As(err, &de) && de.IsNotFound
}

// isNetwork deliberately ignores a bare *url.Error: it wraps TLS and
// protocol errors too, which will not heal by themselves.
func isNetwork(err error) bool {
	var op *net.OpError
	var ne net.Error
	return errors.As(err, &op) ||
		(errors.As(err, &ne) && ne.Timeout()) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.EPIPE)
}

// statusCode returns the HTTP status of a registry error response, or 0.
func statusCode(err error) int {
	var te *transport.Error
	if errors.As(err, &te) {
		return te.StatusCode
	}
	return 0
}
