package onboard

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestLoadK8sIOReadsEveryProject(t *testing.T) {
	k, err := LoadK8sIO(fixtureK8sIO)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		dir, source, manifest string
	}{
		{"k8s-staging-snoop", "gcr.io/k8s-staging-snoop", "registry.k8s.io/manifests/k8s-staging-snoop/promoter-manifest.yaml"},
		// The src registry's project differs from the directory.
		{"k8s-staging-cluster-api-kubeadm", "gcr.io/k8s-staging-capi-kubeadm", "registry.k8s.io/manifests/k8s-staging-cluster-api-kubeadm/promoter-manifest.yaml"},
		// Artifact Registry src, items indented by 2, imagesPath.
		{"k8s-staging-shared", "us-central1-docker.pkg.dev/k8s-staging-images/shared", "registry.k8s.io/manifests/k8s-staging-shared/promoter-manifest.yaml"},
	}
	for _, c := range cases {
		s := k.Stagings[c.dir]
		if s == nil {
			t.Errorf("%s not read", c.dir)
			continue
		}
		if s.Source != c.source || s.ManifestPath != c.manifest || s.ManifestErr != nil {
			t.Errorf("%s: src %q from %q (%v), want %q from %q", c.dir, s.Source, s.ManifestPath, s.ManifestErr, c.source, c.manifest)
		}
		if s.Images == nil || s.ImagesPath != "registry.k8s.io/images/"+c.dir+"/images.yaml" {
			t.Errorf("%s: images.yaml not read (%v)", c.dir, s.ImagesErr)
		}
	}
	if got := k.Stagings["k8s-staging-novee"].Images.Lookup("ctl"); len(got) != 3 {
		t.Errorf("release-grouped blocks: ctl has %d digests, want 3", len(got))
	}
}

func TestByGCBProject(t *testing.T) {
	k, err := LoadK8sIO(fixtureK8sIO)
	if err != nil {
		t.Fatal(err)
	}
	for project, want := range map[string]string{
		"k8s-staging-snoop":        "k8s-staging-snoop",
		"k8s-staging-capi-kubeadm": "k8s-staging-cluster-api-kubeadm",
		"k8s-staging-images":       "", // shared: names no one project
		"k8s-staging-nothing":      "",
	} {
		got := ""
		if s := k.ByGCBProject(project); s != nil {
			got = s.Dir
		}
		if got != want {
			t.Errorf("ByGCBProject(%s) = %q, want %q", project, got, want)
		}
	}
}

func TestOwnersApprovers(t *testing.T) {
	k, err := LoadK8sIO(fixtureK8sIO)
	if err != nil {
		t.Fatal(err)
	}
	// An alias from OWNERS_ALIASES is expanded; emeritus approvers are not approvers.
	if got := k.Stagings["k8s-staging-snoop"].Owners.Approvers; !reflect.DeepEqual(got, []string{"alice", "bob", "carol"}) {
		t.Errorf("snoop approvers %v", got)
	}
	// The filters form: the ".*" filter's approvers.
	if got := k.Stagings["k8s-staging-tagged"].Owners.Approvers; !reflect.DeepEqual(got, []string{"dave", "ERIN"}) {
		t.Errorf("tagged approvers %v", got)
	}
	if k.Stagings["k8s-staging-shared"].Owners.Found {
		t.Error("shared has no OWNERS, but one was found")
	}

	// Without OWNERS_ALIASES, an alias-like name is left out, with why.
	dir := t.TempDir()
	owners := filepath.Join(dir, "OWNERS")
	if err := os.WriteFile(owners, []byte("approvers:\n- frank\n- sig-foo-leads\n- not_a_login!\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	o := readOwners(owners, nil)
	if !reflect.DeepEqual(o.Approvers, []string{"frank"}) || len(o.Dropped) != 2 {
		t.Errorf("approvers %v, dropped %v", o.Approvers, o.Dropped)
	}
}

func TestLoadK8sIOKeepsGoingPastABadFile(t *testing.T) {
	root := t.TempDir()
	write := func(rel, text string) {
		p := filepath.Join(root, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("registry.k8s.io/images/k8s-staging-bad/images.yaml", "- name: x\n  dmap: [\n")
	write("registry.k8s.io/images/k8s-staging-good/images.yaml", "- name: x\n  dmap:\n    \"sha256:"+sixtyFour+"\": [\"v1.0.0\"]\n")
	// A newer tree keeps the manifest beside images.yaml.
	write("registry.k8s.io/images/k8s-staging-good/promoter-manifest.yaml", "registries:\n- name: gcr.io/k8s-staging-good\n  src: true\n")
	k, err := LoadK8sIO(root)
	if err != nil {
		t.Fatal(err)
	}
	if k.Stagings["k8s-staging-bad"].ImagesErr == nil {
		t.Error("a broken images.yaml gave no error")
	}
	good := k.Stagings["k8s-staging-good"]
	if good.ImagesErr != nil || good.Source != "gcr.io/k8s-staging-good" {
		t.Errorf("good: %v, src %q", good.ImagesErr, good.Source)
	}
	if _, err := LoadK8sIO(t.TempDir()); err == nil {
		t.Error("a directory without registry.k8s.io/images was taken for kubernetes/k8s.io")
	}
}

const sixtyFour = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
