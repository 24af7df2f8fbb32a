package harness

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/prow/pkg/client/clientset/versioned"
	"sigs.k8s.io/yaml"
)

// KubeVersion is the Kubernetes release the tests run against: the one
// promoter's client-go (v0.28.3) is made for, built by hack/kube.sh.
const KubeVersion = "v1.28.3"

// ProwJobNamespace is where CreateProwJob puts ProwJobs: Prow's default
// prowjob_namespace, and promoter's default --prowjob-namespace.
const ProwJobNamespace = "default"

// Kube is a real kube-apiserver over a real etcd, both on loopback, with
// Prow's ProwJob CRD installed. Its admin (system:masters) authenticates
// with a bearer token; authorization is RBAC, as in a cluster, so service
// account tokens get only what their roles grant.
//
// A Kube is bound to a namespace for ProwJobs (ProwJobNamespace at first);
// InNamespace gives tests that share one server a namespace each.
type Kube struct {
	*kubeServer
	ns string
}

// kubeServer is the running pair of processes and the admin's clients.
type kubeServer struct {
	URL       string // https://127.0.0.1:PORT
	Etcd      *Process
	APIServer *Process

	dir, kubeconfig, kubectl string
	pki                      *kubePKI
	config                   *rest.Config
	core                     kubernetes.Interface
	prow                     versioned.Interface
	stopOnce                 sync.Once
}

// kubeBins are the binaries Kube runs.
type kubeBins struct{ apiserver, kubectl, etcd string }

// kubeBinaries finds kube-apiserver and kubectl in bin/ (built by
// hack/kube.sh at KubeVersion) and etcd on PATH (Debian's etcd-server).
func kubeBinaries() (kubeBins, error) {
	root, err := RepoRoot()
	if err != nil {
		return kubeBins{}, err
	}
	bin := filepath.Join(root, "bin")
	v, _ := os.ReadFile(filepath.Join(bin, ".kube-version"))
	if got := strings.TrimSpace(string(v)); got != KubeVersion {
		return kubeBins{}, fmt.Errorf("kube-apiserver and kubectl %s are not built in %s (found %q): run hack/kube.sh (make test runs it)", KubeVersion, bin, got)
	}
	etcd, err := exec.LookPath("etcd")
	if err != nil {
		return kubeBins{}, errors.New("etcd is not installed: run hack/kube.sh as root (it installs Debian's etcd-server)")
	}
	return kubeBins{apiserver: filepath.Join(bin, "kube-apiserver"), kubectl: filepath.Join(bin, "kubectl"), etcd: etcd}, nil
}

// StartKube starts etcd and kube-apiserver for the test, installs the
// ProwJob CRD, and stops both when the test ends. If the binaries are
// missing the test fails with what to run: a real-server test never skips.
func StartKube(t testing.TB) *Kube {
	t.Helper()
	bins, err := kubeBinaries()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := Deadline(2 * time.Minute)
	defer cancel()
	began := time.Now()
	var k *Kube
	// Ports are picked free and then bound by another process: on a busy
	// machine something else can take one in between.
	for attempt := 1; ; attempt++ {
		k, err = startKube(ctx, t.TempDir(), bins)
		if err == nil || attempt == 3 || !strings.Contains(err.Error(), "address already in use") {
			break
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("kube-apiserver %s with the ProwJob CRD ready in %v", KubeVersion, time.Since(began).Round(time.Millisecond))
	t.Cleanup(func() {
		if !k.APIServer.Exited() && !k.Etcd.Exited() { // not stopped by the test itself
			t.Logf("peak RSS: kube-apiserver %s, etcd %s", peakRSS(k.APIServer), peakRSS(k.Etcd))
		}
		k.Stop()
		if t.Failed() {
			t.Log(k.output())
		}
	})
	return k
}

func startKube(ctx context.Context, dir string, b kubeBins) (k *Kube, err error) {
	srv := &kubeServer{dir: dir, kubectl: b.kubectl}
	k = &Kube{kubeServer: srv, ns: ProwJobNamespace}
	defer func() {
		if err != nil {
			srv.Stop()
			err = fmt.Errorf("%w\n%s", err, srv.output())
		}
	}()
	if k.pki, err = newKubePKI(dir); err != nil {
		return nil, err
	}
	token, err := randomToken()
	if err != nil {
		return nil, err
	}
	tokens, err := WriteFile(dir, "tokens.csv", token+",admin,admin,system:masters\n")
	if err != nil {
		return nil, err
	}
	ports := make([]int, 3)
	for i := range ports {
		if ports[i], err = FreePort(); err != nil {
			return nil, err
		}
	}
	etcdURL := fmt.Sprintf("http://127.0.0.1:%d", ports[0])
	if k.Etcd, err = startEtcd(ctx, b.etcd, dir, etcdURL, fmt.Sprintf("http://127.0.0.1:%d", ports[1])); err != nil {
		return nil, err
	}
	k.URL = fmt.Sprintf("https://127.0.0.1:%d", ports[2])
	k.APIServer, err = Start("kube-apiserver", b.apiserver,
		"--etcd-servers", etcdURL,
		"--bind-address", "127.0.0.1", "--advertise-address", "127.0.0.1",
		"--secure-port", strconv.Itoa(ports[2]),
		"--tls-cert-file", k.pki.certFile, "--tls-private-key-file", k.pki.keyFile,
		"--token-auth-file", tokens,
		"--authorization-mode", "RBAC",
		"--service-account-issuer", "https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file", k.pki.saPublicFile,
		"--service-account-signing-key-file", k.pki.saPrivateFile,
		// Only an allocation range for Service IPs: TEST-NET-1, never routed.
		"--service-cluster-ip-range", "192.0.2.0/24",
		// No kubernetes Service endpoint to keep (it would be loopback).
		"--endpoint-reconciler-type", "none",
		"--profiling=false",
	)
	if err != nil {
		return nil, err
	}
	k.config = &rest.Config{Host: k.URL, BearerToken: token, QPS: 100, Burst: 200,
		TLSClientConfig: rest.TLSClientConfig{CAData: k.pki.caPEM}}
	if err := k.awaitReady(ctx); err != nil {
		return nil, err
	}
	if k.core, err = kubernetes.NewForConfig(k.config); err != nil {
		return nil, err
	}
	if k.prow, err = versioned.NewForConfig(k.config); err != nil {
		return nil, err
	}
	if err := k.installProwJobCRD(ctx); err != nil {
		return nil, err
	}
	if k.kubeconfig, err = k.WriteKubeconfig("admin", token); err != nil {
		return nil, err
	}
	return k, nil
}

func startEtcd(ctx context.Context, bin, dir, clientURL, peerURL string) (*Process, error) {
	p, err := Start("etcd", bin,
		"--name", "test", "--data-dir", filepath.Join(dir, "etcd"),
		"--listen-client-urls", clientURL, "--advertise-client-urls", clientURL,
		"--listen-peer-urls", peerURL, "--initial-advertise-peer-urls", peerURL,
		"--initial-cluster", "test="+peerURL,
		// Prow's ProwJob CRD is 1.6 MB stored, over etcd's default 1.5 MiB
		// request limit ("etcdserver: request is too large").
		"--max-request-bytes", "8388608")
	if err != nil {
		return nil, err
	}
	if err := WaitFor(ctx, p, "etcd to be healthy", func() bool { return HTTPOK(clientURL + "/health") }); err != nil {
		p.Stop()
		return nil, err
	}
	return p, nil
}

// awaitReady polls /readyz (every post-start hook done, RBAC bootstrapped)
// and the default namespace, which the server creates itself.
func (k *Kube) awaitReady(ctx context.Context) error {
	client, err := rest.HTTPClientFor(k.config)
	if err != nil {
		return err
	}
	return WaitFor(ctx, k.APIServer, "kube-apiserver to be ready", func() bool {
		for _, path := range []string{"/readyz", "/api/v1/namespaces/" + ProwJobNamespace} {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, k.URL+path, nil)
			req.Header.Set("Authorization", "Bearer "+k.config.BearerToken)
			resp, err := client.Do(req)
			if err != nil {
				return false
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return false
			}
		}
		return true
	})
}

var crdGVR = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// installProwJobCRD creates Prow's own ProwJob CRD (from the Prow module
// promoter builds against) and waits until ProwJobs are served. It is
// created with a client, not applied: a client-side apply's last-applied
// annotation would exceed the object size limit.
func (k *Kube) installProwJobCRD(ctx context.Context) error {
	crd, err := prowJobCRD()
	if err != nil {
		return err
	}
	dyn, err := dynamic.NewForConfig(k.config)
	if err != nil {
		return err
	}
	crds := dyn.Resource(crdGVR)
	if _, err := crds.Create(ctx, crd.DeepCopy(), metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("creating the ProwJob CRD: %w", err)
	}
	// Established is polled: the condition is absent (not false) at first.
	if err := WaitFor(ctx, k.APIServer, "the ProwJob CRD to be established", func() bool {
		got, err := crds.Get(ctx, crd.GetName(), metav1.GetOptions{})
		return err == nil && established(got)
	}); err != nil {
		return err
	}
	return WaitFor(ctx, k.APIServer, "ProwJobs to be served", func() bool {
		_, err := k.prow.ProwV1().ProwJobs(ProwJobNamespace).List(ctx, metav1.ListOptions{Limit: 1})
		return err == nil
	})
}

func established(crd *unstructured.Unstructured) bool {
	conds, _, _ := unstructured.NestedSlice(crd.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == "Established" && m["status"] == "True" {
			return true
		}
	}
	return false
}

var crdOnce struct {
	sync.Once
	crd *unstructured.Unstructured
	err error
}

// prowJobCRD reads and converts the 3.9 MB CRD once per test binary.
func prowJobCRD() (*unstructured.Unstructured, error) {
	crdOnce.Do(func() {
		crdOnce.crd, crdOnce.err = readProwJobCRD()
	})
	return crdOnce.crd, crdOnce.err
}

func readProwJobCRD() (*unstructured.Unstructured, error) {
	root, err := RepoRoot()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "sigs.k8s.io/prow")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("finding the Prow module: %w", err)
	}
	path := filepath.Join(strings.TrimSpace(string(out)), "config", "prow", "cluster", "prowjob-crd", "prowjob_customresourcedefinition.yaml")
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	js, err := yaml.YAMLToJSON(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	crd := &unstructured.Unstructured{}
	if err := crd.UnmarshalJSON(js); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	// The file carries an empty status; the server owns it.
	unstructured.RemoveNestedField(crd.Object, "status")
	return crd, nil
}

// InNamespace creates namespace ns and returns a Kube on the same server
// whose ProwJob methods work there. Tests that share a server use one each.
func (k *Kube) InNamespace(t testing.TB, ns string) *Kube {
	t.Helper()
	ctx, cancel := Deadline(time.Minute)
	defer cancel()
	_, err := k.core.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("creating namespace %s: %v", ns, err)
	}
	return &Kube{kubeServer: k.kubeServer, ns: ns}
}

// Namespace is where this Kube's ProwJob methods work.
func (k *Kube) Namespace() string { return k.ns }

// Kubeconfig is the path of a kubeconfig for the admin.
func (k *Kube) Kubeconfig() string { return k.kubeconfig }

// Config is a client config for the admin.
func (k *Kube) Config() *rest.Config { return rest.CopyConfig(k.config) }

// Core is a clientset for the admin.
func (k *Kube) Core() kubernetes.Interface { return k.core }

// Prow is a ProwJob clientset for the admin.
func (k *Kube) Prow() versioned.Interface { return k.prow }

// WriteKubeconfig writes a kubeconfig for this server that authenticates
// with token (e.g. a service account's, from `kubectl create token`) and
// returns its path.
func (k *Kube) WriteKubeconfig(name, token string) (string, error) {
	return writeKubeconfig(filepath.Join(k.dir, name+".kubeconfig"), k.URL, k.pki.caPEM, token)
}

func writeKubeconfig(path, server string, ca []byte, token string) (string, error) {
	cfg := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: test
  cluster:
    server: %s
    certificate-authority-data: %s
contexts:
- name: test
  context: {cluster: test, user: user, namespace: %s}
current-context: test
users:
- name: user
  user:
    token: %s
`, server, base64.StdEncoding.EncodeToString(ca), ProwJobNamespace, token)
	return path, os.WriteFile(path, []byte(cfg), 0o600)
}

// Kubectl runs kubectl (KubeVersion, from bin/) as the admin and returns
// its combined output.
func (k *Kube) Kubectl(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, k.kubectl, append([]string{"--kubeconfig", k.kubeconfig}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("kubectl %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// Stop ends kube-apiserver, then etcd. It may be called more than once.
func (k *kubeServer) Stop() {
	k.stopOnce.Do(func() {
		if k.APIServer != nil {
			k.APIServer.Stop()
		}
		if k.Etcd != nil {
			k.Etcd.Stop()
		}
	})
}

// output is the last lines each process printed, for a failure message.
func (k *kubeServer) output() string {
	var b strings.Builder
	for _, p := range []*Process{k.APIServer, k.Etcd} {
		if p != nil {
			fmt.Fprintf(&b, "%s (last lines):\n%s\n", p.Name, tail(p.Output(), 30))
		}
	}
	return b.String()
}

// peakRSS is the process's peak resident memory (VmHWM), as Linux counts it.
func peakRSS(p *Process) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.PID()))
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// tail is the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
