package pullrequest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"syscall"
)

// Errors a human must act on; each fails a promotion at once with its
// reason. They are wrapped, so test with errors.Is.
var (
	// ErrNotAFork: the bot user has a repository named like the manifest
	// repository that is not a fork of it.
	ErrNotAFork = errors.New("the bot's repository is not a fork of the manifest repository")
	// ErrForkConflict: the fork's base branch has commits upstream lacks,
	// so merge-upstream cannot sync it.
	ErrForkConflict = errors.New("the bot's fork has diverged from upstream")
	// ErrBadCredentials: GitHub refused the token (401).
	ErrBadCredentials = errors.New("GitHub refused the bot's credentials")
	// ErrForbidden: the token may not do this (403 without a rate limit).
	ErrForbidden = errors.New("GitHub forbids the bot this")
)

// IsPermanent reports whether a GitHub error will not go away by retrying:
// 401, 403 without a rate limit, 404 where a thing must exist, 409, 422,
// and the named errors above. 5xx, 408, 429, secondary rate limits,
// timeouts and connection failures are transient. An error it cannot place
// is transient: retrying a permanent error costs a few calls until
// jobTimeout, while failing a transient one would drop a promotion.
func IsPermanent(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	for _, named := range []error{ErrNotAFork, ErrForkConflict, ErrBadCredentials, ErrForbidden, ErrNotFound} {
		if errors.Is(err, named) {
			return true
		}
	}
	if isNetwork(err) {
		return false
	}
	if code := StatusCode(err); code != 0 {
		return permanentStatus(code)
	}
	return permanentGraphQL(err.Error())
}

func permanentStatus(code int) bool {
	switch {
	case code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500:
		return false
	case code >= 400:
		return true
	}
	return false
}

// GitHub's GraphQL answers 200 with an "errors" list; shurcooL/graphql
// keeps only the messages. These messages mean the request itself is wrong
// or not allowed. Others (a timeout inside GitHub, "Expected branch to
// point to" when another writer moved the branch, a ref that already
// exists after a race) heal when the next attempt re-reads the branch.
var permanentGraphQLMessages = []string{
	"Could not resolve to a",
	"Resource not accessible",
	"must have push access",
	"does not have the correct permissions",
	"Bad credentials",
	"Field '", // a field GitHub's schema lacks: a bug, not a blip
	"Variable $",
}

func permanentGraphQL(msg string) bool {
	for _, m := range permanentGraphQLMessages {
		if strings.Contains(msg, m) {
			return true
		}
	}
	return strings.Contains(msg, "the GitHub API request returns a 403 error") // Prow's 403 without a rate limit
}

// StatusCode returns the HTTP status an error carries, or 0: from this
// package's REST calls, from Prow's client (which puts it in the message
// only), and from a GraphQL answer that was not 200.
func StatusCode(err error) int {
	if err == nil {
		return 0
	}
	var api *APIError
	if errors.As(err, &api) {
		return api.Status
	}
	if m := statusInMessage.FindStringSubmatch(err.Error()); m != nil {
		code, _ := strconv.Atoi(m[1])
		return code
	}
	if strings.Contains(err.Error(), "the GitHub API request returns a 403 error") {
		return http.StatusForbidden
	}
	return 0
}

// Prow's requestError says "status code 422 not one of [201]"; shurcooL's
// GraphQL client says "non-200 OK status code: 502 Bad Gateway".
var statusInMessage = regexp.MustCompile(`(?:status code |non-200 OK status code: )([1-5]\d\d)\b`)

// isNetwork reports connection failures and timeouts, which are
// transient. A bare *url.Error is not enough: it wraps TLS errors too.
func isNetwork(err error) bool {
	var op *net.OpError
	var ne net.Error
	return errors.As(err, &op) ||
		(errors.As(err, &ne) && ne.Timeout()) ||
		errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED)
}

// named wraps err with a named error when its status says a human must act,
// keeping err's chain.
func named(err error) error {
	if err == nil {
		return nil
	}
	switch StatusCode(err) {
	case http.StatusUnauthorized:
		return fmt.Errorf("%w: %w", ErrBadCredentials, err)
	case http.StatusForbidden:
		if !strings.Contains(strings.ToLower(err.Error()), "rate limit") {
			return fmt.Errorf("%w: %w", ErrForbidden, err)
		}
	}
	return err
}
