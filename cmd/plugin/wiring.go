package main

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sirupsen/logrus"
	"sigs.k8s.io/prow/pkg/config/secret"
	"sigs.k8s.io/prow/pkg/interrupts"
	"sigs.k8s.io/prow/pkg/logrusutil"
	"sigs.k8s.io/prow/pkg/secretutil"
	"sigs.k8s.io/yaml"

	"sigs.k8s.io/promoter/pkg/promoter"
)

// censorSecrets installs a censoring log formatter over the one
// logrusutil.ComponentInit set (which replaced Prow's), covering the GitHub
// token and every HMAC token, also those inside Prow's org/repo map form.
func censorSecrets(o options) {
	c := secretutil.NewCensorer()
	refresh := func() { c.Refresh(secretValues(o)...) }
	refresh()
	logrus.SetFormatter(logrusutil.NewFormatterWithCensor(logrus.StandardLogger().Formatter, c))
	interrupts.TickLiteral(refresh, time.Minute) // secrets rotate
}

func secretValues(o options) []string {
	var out []string
	add := func(s string) {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	hmac := secret.GetSecret(o.hmacSecretFile)
	add(string(hmac))
	var scoped map[string][]struct {
		Value string `json:"value"`
	}
	if yaml.Unmarshal(hmac, &scoped) == nil {
		for _, toks := range scoped {
			for _, t := range toks {
				add(t.Value)
			}
		}
	}
	if o.github.TokenPath != "" {
		add(string(secret.GetSecret(o.github.TokenPath)))
	}
	return out
}

// countRegistry counts staging-registry HTTP requests by status code.
func countRegistry(next http.RoundTripper) http.RoundTripper {
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		resp, err := next.RoundTrip(r)
		code := "error"
		if err == nil {
			code = strconv.Itoa(resp.StatusCode)
		}
		promoter.RegistryRequests.WithLabelValues(code).Inc()
		return resp, err
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
