// Package deploy checks the Kubernetes manifests in deploy/ against a real
// kube-apiserver (test/harness): they pass the server's strict schema
// checks, apply, give the promoter ServiceAccount exactly the access it
// needs, and the promoter binary, with that account's token, promotes a tag
// from a real ProwJob. The Deployment's args are checked against the binary.
package deploy

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	prowapi "sigs.k8s.io/prow/pkg/apis/prowjobs/v1"
	"sigs.k8s.io/yaml"

	"sigs.k8s.io/promoter/pkg/promoter"
	"sigs.k8s.io/promoter/test/fakegithub/server"
	"sigs.k8s.io/promoter/test/harness"
)

const (
	namespace = "prow" // where deploy/ puts promoter
	account   = "system:serviceaccount:prow:promoter"
	wait      = 2 * time.Minute
)

func deployDir(t *testing.T) string {
	t.Helper()
	root, err := harness.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(root, "deploy")
}

func kubectl(t *testing.T, k *harness.Kube, args ...string) string {
	t.Helper()
	ctx, cancel := harness.Deadline(wait)
	defer cancel()
	out, err := k.Kubectl(ctx, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestDeployOnAPIServer applies deploy/ as an operator would and runs the
// binary as the ServiceAccount it creates.
func TestDeployOnAPIServer(t *testing.T) {
	k := harness.StartKube(t)
	dir := deployDir(t)
	kubectl(t, k, "create", "namespace", namespace)

	// The server checks every field against its schema (kubectl's default
	// --validate=strict) and runs admission, and stores nothing.
	t.Run("a misspelt field is refused", func(t *testing.T) { refusesUnknownField(t, k, dir) })
	kubectl(t, k, "apply", "--server-side", "--dry-run=server", "-k", dir)
	if out, _ := k.Kubectl(context.Background(), "get", "-k", dir, "-o", "name", "--ignore-not-found"); strings.TrimSpace(out) != "" {
		t.Fatalf("a dry run stored objects:\n%s", out)
	}

	kubectl(t, k, "apply", "--server-side", "-k", dir)
	got := strings.Fields(kubectl(t, k, "get", "-k", dir, "-o", "name"))
	slices.Sort(got)
	want := []string{
		"configmap/promoter", "deployment.apps/promoter", "role.rbac.authorization.k8s.io/promoter",
		"role.rbac.authorization.k8s.io/promoter-leader-election",
		"rolebinding.rbac.authorization.k8s.io/promoter", "rolebinding.rbac.authorization.k8s.io/promoter-leader-election",
		"service/promoter", "serviceaccount/promoter",
	}
	if !slices.Equal(got, want) {
		t.Errorf("applied objects:\n%v\nwant:\n%v", got, want)
	}

	t.Run("the ServiceAccount can read ProwJobs, hold its Lease, and nothing more", func(t *testing.T) {
		checkAccess(t, k)
	})
	t.Run("the binary promotes a tag with the ServiceAccount's token", func(t *testing.T) {
		promoteWithToken(t, k)
	})
}

// access is one `kubectl auth can-i` question for promoter's account.
type access struct {
	verb, resource, namespace string
	allowed                   bool
}

func checkAccess(t *testing.T, k *harness.Kube) {
	const pj, lease = "prowjobs.prow.k8s.io", "leases.coordination.k8s.io"
	table := []access{
		// The informer: get, list and watch ProwJobs where Prow makes them.
		{"get", pj, harness.ProwJobNamespace, true},
		{"list", pj, harness.ProwJobNamespace, true},
		{"watch", pj, harness.ProwJobNamespace, true},
		// It never writes them, nor reads them elsewhere.
		{"create", pj, harness.ProwJobNamespace, false},
		{"update", pj, harness.ProwJobNamespace, false},
		{"patch", pj, harness.ProwJobNamespace, false},
		{"delete", pj, harness.ProwJobNamespace, false},
		{"list", pj, namespace, false},
		{"list", pj, "kube-system", false},
		// Nothing else: not its own secrets (they are mounted), not pods.
		{"get", "secrets", namespace, false},
		{"list", "secrets", harness.ProwJobNamespace, false},
		{"list", "pods", harness.ProwJobNamespace, false},
		{"get", "configmaps", namespace, false},
		{"create", "serviceaccounts/token", namespace, false},
		// Leader election: client-go's LeaseLock gets, creates and updates
		// the Lease named promoter in its own namespace; nothing else.
		{"get", lease + "/promoter", namespace, true},
		{"update", lease + "/promoter", namespace, true},
		{"create", lease, namespace, true},
		{"delete", lease + "/promoter", namespace, false},
		{"patch", lease + "/promoter", namespace, false},
		{"get", lease + "/other", namespace, false},
		{"update", lease + "/other", namespace, false},
		{"list", lease, namespace, false},
		{"watch", lease, namespace, false},
		{"get", lease + "/promoter", harness.ProwJobNamespace, false},
		{"create", lease, "kube-system", false},
	}
	for _, a := range table {
		if got := canI(t, k, a); got != a.allowed {
			t.Errorf("%s can %s %s in %s: %v, want %v", account, a.verb, a.resource, a.namespace, got, a.allowed)
		}
	}
}

// canI asks the server (a SubjectAccessReview) as the admin impersonating
// promoter's account. kubectl exits 1 with "no" for a denial.
func canI(t *testing.T, k *harness.Kube, a access) bool {
	t.Helper()
	ctx, cancel := harness.Deadline(wait)
	defer cancel()
	out, err := k.Kubectl(ctx, "auth", "can-i", a.verb, a.resource, "-n", a.namespace, "--as", account)
	switch strings.TrimSpace(firstLine(out)) {
	case "yes":
		return true
	case "no":
		return false
	}
	t.Fatalf("auth can-i %s %s: %v", a.verb, a.resource, err)
	return false
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// promoteWithToken runs the promoter binary with a kubeconfig holding the
// ServiceAccount's token (as in its pod) and the config deploy/ applied,
// against the GitHub stand-in and an in-process registry. That config
// promotes apisnoop as its jobs run: on main, so the release is the main
// build of the tagged commit. The tag push arrives while the runs are
// pending; only the informer (list and watch, as the account) sees them
// succeed.
func promoteWithToken(t *testing.T, k *harness.Kube) {
	token := strings.TrimSpace(kubectl(t, k, "create", "token", "promoter", "-n", namespace))
	kubeconfig, err := k.WriteKubeconfig("promoter", token)
	if err != nil {
		t.Fatal(err)
	}
	config := kubectl(t, k, "get", "configmap", "promoter", "-n", namespace, "-o", `jsonpath={.data.config\.yaml}`)

	bins := t.TempDir()
	promoterBin, fakegithubBin, err := harness.Build(bins)
	if err != nil {
		t.Fatal(err)
	}
	if image := os.Getenv(harness.ImageEnv); image != "" {
		t.Logf("promoter: the binary of the image in %s, as the Deployment runs it", image)
	}
	reg := harness.StartRegistry()
	t.Cleanup(reg.Close)
	ctx, cancel := harness.Deadline(wait)
	defer cancel()
	s, err := harness.NewStack(ctx, harness.StackOptions{
		Dir: t.TempDir(), PromoterBin: promoterBin, FakeGitHubBin: fakegithubBin, Config: config,
		Secret: "deploy-hmac-secret", Token: "deploy-github-token",
		ExtraArgs: []string{"--kubeconfig", kubeconfig, "--prowjob-namespace", harness.ProwJobNamespace},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Stop()
		if t.Failed() && s.P != nil {
			t.Logf("promoter output:\n%s", s.P.Output())
		}
	})
	if _, err := harness.SeedManifestRepo(s.Root, reg.Host+"/k8s-staging-apisnoop"); err != nil {
		t.Fatal(err)
	}
	if _, err := harness.SeedSourceRepo(s.Root); err != nil {
		t.Fatal(err)
	}
	head, err := server.ResolveRef(s.Root, "kubernetes-sigs", "apisnoop", "refs/heads/main")
	if err != nil {
		t.Fatal(err)
	}
	after, err := server.Tag(s.Root, "kubernetes-sigs", "apisnoop", "v0.3.0", head, false)
	if err != nil {
		t.Fatal(err)
	}
	// Every image of the project, as the deployed config lists them, built
	// on main from the tagged commit.
	for _, image := range []string{"snoopdb", "auditlogger"} {
		if _, err := reg.PushIndex("k8s-staging-apisnoop/"+image, "v20261124-v0.2.0-1-g"+head[:9], "linux/amd64", "linux/arm64/v8"); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.StartPromoter(ctx); err != nil {
		t.Fatal(err)
	}
	var runs []string
	for _, image := range []string{"snoopdb", "auditlogger"} {
		pj, err := k.CreateProwJob(harness.TriggeredPostsubmit("apisnoop-push-"+image+"-images", "kubernetes-sigs", "apisnoop", "main", head, "GUID"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := k.SetState(pj.Name, prowapi.PendingState); err != nil {
			t.Fatal(err)
		}
		runs = append(runs, pj.Name)
	}
	if code, err := harness.Send(s.Promoter, "push", harness.TagPushEvent("kubernetes-sigs/apisnoop", "v0.3.0", after, head), s.Secret); err != nil || code != 200 {
		t.Fatalf("push webhook: %d %v", code, err)
	}
	if err := harness.WaitFor(ctx, s.P, "the promotion to wait for the runs", func() bool {
		st, _ := harness.Promotion(s.Promoter, "apisnoop", "v0.3.0")
		return st.Stage == promoter.StageWaitingForJob
	}); err != nil {
		t.Fatal(err)
	}
	for _, name := range runs {
		if _, err := k.SetState(name, prowapi.SuccessState); err != nil {
			t.Fatal(err)
		}
	}

	var st promoter.Status
	if err := harness.WaitFor(ctx, s.P, "the promotion PR", func() bool {
		st, _ = harness.Promotion(s.Promoter, "apisnoop", "v0.3.0")
		return st.Stage == promoter.StagePROpen || st.Stage == promoter.StageFailed
	}); err != nil {
		t.Fatalf("%v (last status %+v)", err, st)
	}
	if st.Stage != promoter.StagePROpen {
		t.Fatalf("promotion failed: %s", st.Error)
	}
	if prs, err := harness.PRs(s.GitHub, "kubernetes/k8s.io", "open"); err != nil || len(prs) != 1 {
		t.Errorf("want one open PR: %d, %v", len(prs), err)
	}
	if strings.Contains(s.P.Output(), token) {
		t.Error("promoter's log contains the ServiceAccount token")
	}
	if lines := s.P.Lines("forbidden"); len(lines) > 0 {
		t.Errorf("the account was refused something:\n%s", strings.Join(lines, "\n"))
	}
}

// refusesUnknownField shows the server-side check can fail: a copy of
// deploy/ with a misspelt field is refused, naming the field.
func refusesUnknownField(t *testing.T, k *harness.Kube, src string) {
	dir := t.TempDir()
	files, err := filepath.Glob(filepath.Join(src, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests in deploy/: %v", err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if filepath.Base(f) == "deployment.yaml" {
			b = []byte(strings.Replace(string(b), "  replicas: 2\n", "  replica: 2\n", 1))
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := harness.Deadline(wait)
	defer cancel()
	out, err := k.Kubectl(ctx, "apply", "--server-side", "--dry-run=server", "-k", dir)
	if err == nil || !strings.Contains(out, ".spec.replica: field not declared in schema") {
		t.Errorf("a misspelt field was not refused by name: %v\n%s", err, out)
	}
}

func TestDeploymentFlagsAreAccepted(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(deployDir(t), "deployment.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var d appsv1.Deployment
	if err := yaml.Unmarshal(raw, &d); err != nil || len(d.Spec.Template.Spec.Containers) != 1 {
		t.Fatalf("no single-container Deployment in deploy/deployment.yaml: %v", err)
	}
	args := d.Spec.Template.Spec.Containers[0].Args
	root, _ := harness.RepoRoot()
	bin := filepath.Join(t.TempDir(), "promoter")
	if out, err := exec.Command("go", "build", "-C", root, "-o", bin, "./cmd/plugin").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	// --check-config parses every flag first: an unknown flag fails there.
	cfg := filepath.Join(root, "config", "apisnoop.yaml")
	out, err := exec.Command(bin, append(args, "--check-config", cfg)...).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "valid") {
		t.Errorf("the Deployment's args %v are not accepted: %v\n%s", args, err, out)
	}
}
