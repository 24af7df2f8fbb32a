// Package deploy checks the Kubernetes manifests in deploy/ the way
// `kubectl apply --dry-run=client` would: every document decodes into its
// API type with no unknown field, and the Deployment runs the binary with
// flags it accepts.
package deploy

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"sigs.k8s.io/promoter/test/harness"
)

var types = map[string]func() any{
	"ConfigMap":      func() any { return &corev1.ConfigMap{} },
	"Service":        func() any { return &corev1.Service{} },
	"ServiceAccount": func() any { return &corev1.ServiceAccount{} },
	"Deployment":     func() any { return &appsv1.Deployment{} },
	"Role":           func() any { return &rbacv1.Role{} },
	"RoleBinding":    func() any { return &rbacv1.RoleBinding{} },
}

func documents(t *testing.T) map[string][]byte {
	t.Helper()
	root, err := harness.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(root, "deploy", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests in deploy/: %v", err)
	}
	docs := map[string][]byte{}
	for _, f := range files {
		if filepath.Base(f) == "kustomization.yaml" {
			continue
		}
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		r := utilyaml.NewYAMLReader(bufioReader(raw))
		for i := 0; ; i++ {
			doc, err := r.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if len(bytes.TrimSpace(doc)) > 0 {
				docs[filepath.Base(f)+"#"+string(rune('0'+i))] = doc
			}
		}
	}
	return docs
}

func TestManifestsDecodeStrictly(t *testing.T) {
	kinds := map[string]bool{}
	for name, doc := range documents(t) {
		var meta struct{ Kind string }
		if err := yaml.Unmarshal(doc, &meta); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		newObj, ok := types[meta.Kind]
		if !ok {
			t.Errorf("%s: unexpected kind %q", name, meta.Kind)
			continue
		}
		if err := yaml.UnmarshalStrict(doc, newObj()); err != nil {
			t.Errorf("%s (%s): %v", name, meta.Kind, err)
		}
		kinds[meta.Kind] = true
	}
	for k := range types {
		if !kinds[k] {
			t.Errorf("deploy/ has no %s", k)
		}
	}
}

func TestDeploymentFlagsAreAccepted(t *testing.T) {
	var d *appsv1.Deployment
	for _, doc := range documents(t) {
		var obj appsv1.Deployment
		if yaml.Unmarshal(doc, &obj) == nil && obj.Kind == "Deployment" {
			d = &obj
		}
	}
	if d == nil || len(d.Spec.Template.Spec.Containers) != 1 {
		t.Fatal("no single-container Deployment in deploy/")
	}
	args := d.Spec.Template.Spec.Containers[0].Args
	root, _ := harness.RepoRoot()
	dir := t.TempDir()
	bin := filepath.Join(dir, "promoter")
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

func bufioReader(b []byte) *bufio.Reader { return bufio.NewReader(bytes.NewReader(b)) }
