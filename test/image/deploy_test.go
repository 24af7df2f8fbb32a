package image

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
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"sigs.k8s.io/promoter/hack/image/imagebuild"
	"sigs.k8s.io/promoter/test/harness"
)

// TestDeployRunsTheImageAsItsUser: `kubectl kustomize deploy/` renders, the
// kustomization's images: entry reaches the Deployment's container, and the
// pod runs as the image's user with the read-only root that
// TestRunsAsNonrootOnReadOnlyRoot reproduces.
func TestDeployRunsTheImageAsItsUser(t *testing.T) {
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Skip("kubectl not found: it renders deploy/ with its built-in kustomize")
	}
	root, err := harness.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(kubectl, "kustomize", filepath.Join(root, "deploy")).Output()
	if err != nil {
		t.Fatalf("kubectl kustomize deploy/: %v", err)
	}
	var kust struct {
		Images []struct{ Name, NewName, NewTag, Digest string }
	}
	raw, err := os.ReadFile(filepath.Join(root, "deploy", "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(raw, &kust); err != nil || len(kust.Images) != 1 || kust.Images[0].Name != "promoter" {
		t.Fatalf("deploy/kustomization.yaml: want one images: entry named promoter, got %+v (%v)", kust.Images, err)
	}
	img := kust.Images[0]
	want := img.NewName + ":" + img.NewTag
	if img.Digest != "" {
		want = img.NewName + "@" + img.Digest
	}

	d := renderedDeployment(t, out)
	c := d.Spec.Template.Spec.Containers[0]
	if c.Image != want {
		t.Errorf("the Deployment runs %q, want %q from kustomization.yaml", c.Image, want)
	}
	pod := d.Spec.Template.Spec.SecurityContext
	uid := int64(imagebuild.NonrootUID)
	if pod == nil || pod.RunAsUser == nil || *pod.RunAsUser != uid || pod.RunAsGroup == nil || *pod.RunAsGroup != uid {
		t.Errorf("the pod does not run as the image's user %d:%d: %+v", uid, uid, pod)
	}
	if c.SecurityContext == nil || c.SecurityContext.ReadOnlyRootFilesystem == nil || !*c.SecurityContext.ReadOnlyRootFilesystem {
		t.Errorf("the container's root is not read-only: %+v", c.SecurityContext)
	}
}

func renderedDeployment(t *testing.T, rendered []byte) *appsv1.Deployment {
	t.Helper()
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(rendered)))
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		var d appsv1.Deployment
		if yaml.Unmarshal(doc, &d) == nil && d.Kind == "Deployment" && strings.TrimSpace(d.Name) == "promoter" {
			if len(d.Spec.Template.Spec.Containers) != 1 {
				t.Fatalf("the Deployment has %d containers", len(d.Spec.Template.Spec.Containers))
			}
			return &d
		}
	}
	t.Fatal("kubectl kustomize deploy/ rendered no Deployment promoter")
	return nil
}
