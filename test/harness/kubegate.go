package harness

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"k8s.io/client-go/rest"
)

// ListGate is a loopback proxy in front of a Kube that holds back the
// server's answer to the first list of ProwJobs: once the server has
// answered, the gate runs a function (which changes ProwJobs) and only then
// passes the answer on. What that function changes happens after the list's
// snapshot and before the client can start its watch, which a client
// starts from the list's resourceVersion: the gap in which an informer must
// not lose an update. It makes that race happen every time.
type ListGate struct {
	Kubeconfig string // for the gate, as the admin

	fired atomic.Bool
}

// Fired reports whether the gate has run its function.
func (g *ListGate) Fired() bool { return g.fired.Load() }

// StartListGate starts a gate that runs between once, on the first list of
// ProwJobs that passes through it. It stops when the test ends.
func (k *Kube) StartListGate(t testing.TB, between func()) *ListGate {
	t.Helper()
	target, err := url.Parse(k.URL)
	if err != nil {
		t.Fatal(err)
	}
	// TLS to the server; the client's own Authorization header is passed on.
	transport, err := rest.TransportFor(&rest.Config{TLSClientConfig: rest.TLSClientConfig{CAData: k.pki.caPEM}})
	if err != nil {
		t.Fatal(err)
	}
	g := &ListGate{}
	var once sync.Once
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.Transport = transport
	proxy.FlushInterval = -1 // watch events pass at once
	proxy.ModifyResponse = func(resp *http.Response) error {
		if !isProwJobList(resp.Request) || resp.StatusCode != http.StatusOK {
			return nil
		}
		var body []byte
		var readErr error
		once.Do(func() {
			// The whole answer first: the server has taken its snapshot.
			body, readErr = io.ReadAll(resp.Body)
			resp.Body.Close()
			between()
			g.fired.Store(true)
			resp.Body = io.NopCloser(bytes.NewReader(body))
		})
		return readErr
	}
	// TLS here too: client-go sends no bearer token over plain HTTP.
	srv := httptest.NewTLSServer(proxy)
	t.Cleanup(srv.Close)
	ca := pemBlock("CERTIFICATE", srv.Certificate().Raw)
	g.Kubeconfig, err = writeKubeconfig(filepath.Join(t.TempDir(), "gate.kubeconfig"), srv.URL, ca, k.config.BearerToken)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// isProwJobList reports whether r lists (not watches) ProwJobs.
func isProwJobList(r *http.Request) bool {
	return r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/prowjobs") && r.URL.Query().Get("watch") != "true"
}
