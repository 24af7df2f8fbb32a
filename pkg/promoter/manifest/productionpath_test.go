package manifest

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const prodSA = "  service-account: k8s-infra-gcr-promoter@k8s-artifacts-prod.iam.gserviceaccount.com\n"

func parseDestinations(t *testing.T, destinations ...string) *PromoterManifest {
	t.Helper()
	src := "registries:\n- name: gcr.io/k8s-staging-apisnoop\n  src: true\n"
	for _, d := range destinations {
		src += "- name: " + d + "\n" + prodSA
	}
	pm, err := ParsePromoterManifest("registry.k8s.io/manifests/k8s-staging-apisnoop/promoter-manifest.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return pm
}

func TestProductionPaths(t *testing.T) {
	for _, tc := range []struct {
		name         string
		destinations []string
		paths        []string
		unmapped     []string
	}{
		{"Artifact Registry regions", []string{
			"asia-east1-docker.pkg.dev/k8s-artifacts-prod/images/apisnoop",
			"europe-west10-docker.pkg.dev/k8s-artifacts-prod/images/apisnoop",
			"us-central1-docker.pkg.dev/k8s-artifacts-prod/images/apisnoop",
		}, []string{"apisnoop"}, nil},
		{"older GCR mirrors", []string{
			"us.gcr.io/k8s-artifacts-prod/apisnoop",
			"eu.gcr.io/k8s-artifacts-prod/apisnoop",
			"asia.gcr.io/k8s-artifacts-prod/apisnoop",
		}, []string{"apisnoop"}, nil},
		{"both forms agree", []string{
			"us.gcr.io/k8s-artifacts-prod/apisnoop",
			"us-central1-docker.pkg.dev/k8s-artifacts-prod/images/apisnoop",
		}, []string{"apisnoop"}, nil},
		{"the root", []string{
			"us-central1-docker.pkg.dev/k8s-artifacts-prod/images",
			"us.gcr.io/k8s-artifacts-prod",
		}, []string{""}, nil},
		// etcd and kubernetes promote to the root and to kubernetes/.
		{"two paths", []string{
			"us-central1-docker.pkg.dev/k8s-artifacts-prod/images/kubernetes",
			"us-central1-docker.pkg.dev/k8s-artifacts-prod/images",
		}, []string{"", "kubernetes"}, nil},
		{"nested path", []string{"us-central1-docker.pkg.dev/k8s-artifacts-prod/images/sig-storage/csi"}, []string{"sig-storage/csi"}, nil},
		{"outside k8s-artifacts-prod", []string{
			"us-central1-docker.pkg.dev/k8s-artifacts-prod/images/apisnoop",
			"us-central1-docker.pkg.dev/k8s-staging-images/apisnoop",
			"us-central1-docker.pkg.dev/k8s-artifacts-prod/other/apisnoop",
			"gcr.io/google-containers/apisnoop",
			"docker.io/apisnoop",
			"us-central1-docker.pkg.dev/k8s-artifacts-prod/images/Apisnoop",
			"us-central1-docker.pkg.dev/k8s-artifacts-prod/images/apisnoop/",
			"us-central1-docker.pkg.dev/k8s-artifacts-prod/images//apisnoop",
			"us-central1-docker.pkg.dev/k8s-artifacts-prod/imagesapisnoop",
		}, []string{"apisnoop"}, []string{
			"us-central1-docker.pkg.dev/k8s-staging-images/apisnoop",
			"us-central1-docker.pkg.dev/k8s-artifacts-prod/other/apisnoop",
			"gcr.io/google-containers/apisnoop",
			"docker.io/apisnoop",
			"us-central1-docker.pkg.dev/k8s-artifacts-prod/images/Apisnoop",
			"us-central1-docker.pkg.dev/k8s-artifacts-prod/images/apisnoop/",
			"us-central1-docker.pkg.dev/k8s-artifacts-prod/images//apisnoop",
			"us-central1-docker.pkg.dev/k8s-artifacts-prod/imagesapisnoop",
		}},
		{"no destinations", nil, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pm := parseDestinations(t, tc.destinations...)
			if !slices.Equal(pm.ProductionPaths, tc.paths) || !slices.Equal(pm.UnmappedDestinations, tc.unmapped) {
				t.Errorf("ProductionPaths %q, unmapped %q\nwant            %q, unmapped %q", pm.ProductionPaths, pm.UnmappedDestinations, tc.paths, tc.unmapped)
			}
		})
	}
}

func TestProductionRepositories(t *testing.T) {
	pm := parseDestinations(t,
		"us-central1-docker.pkg.dev/k8s-artifacts-prod/images/kubernetes",
		"us-central1-docker.pkg.dev/k8s-artifacts-prod/images")
	got := pm.ProductionRepositories("registry.k8s.io", "etcd")
	if want := []string{"registry.k8s.io/etcd", "registry.k8s.io/kubernetes/etcd"}; !slices.Equal(got, want) {
		t.Errorf("ProductionRepositories = %q, want %q", got, want)
	}
}

// TestProductionPathsCorpus maps the destinations of every real
// promoter-manifest.yaml (both trees of the shared corpus). Every
// destination must map, every file must have a path, and the files that
// promote under more than one path are exactly the known ones.
func TestProductionPathsCorpus(t *testing.T) {
	dir := corpusDir(t)
	files, err := filepath.Glob(filepath.Join(dir, "*", "manifests", "*", "promoter-manifest.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no promoter-manifest.yaml under %s", dir)
	}
	multi := map[string][]string{}
	distinct := map[string]bool{}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(dir, f)
		pm, err := ParsePromoterManifest(filepath.ToSlash(rel), src)
		if err != nil {
			t.Errorf("%s: %v", rel, err)
			continue
		}
		if len(pm.UnmappedDestinations) > 0 || len(pm.ProductionPaths) == 0 {
			t.Errorf("%s: paths %q, unmapped destinations %q", rel, pm.ProductionPaths, pm.UnmappedDestinations)
		}
		if len(pm.ProductionPaths) > 1 {
			multi[pm.ImageDir] = pm.ProductionPaths
		}
		for _, p := range pm.ProductionPaths {
			distinct[p] = true
		}
		if len(pm.ProductionPaths) == 1 && pm.ProductionPaths[0] != strings.TrimPrefix(pm.ImageDir, "k8s-staging-") {
			t.Logf("%s: production path %q differs from the directory name", pm.ImageDir, pm.ProductionPaths[0])
		}
	}
	want := map[string][]string{
		"k8s-staging-etcd":       {"", "kubernetes"},
		"k8s-staging-kubernetes": {"", "kubernetes"},
		"k8s-staging-sp-operator": {"security-profiles-operator", "security-profiles-operator-bundle",
			"security-profiles-operator-catalog"},
	}
	for d, paths := range want {
		if !slices.Equal(multi[d], paths) {
			t.Errorf("%s: ProductionPaths %q, want %q", d, multi[d], paths)
		}
	}
	for d, paths := range multi {
		if want[d] == nil {
			t.Errorf("%s promotes under %q: a new multi-path project", d, paths)
		}
	}
	t.Logf("%d files, %d distinct production paths", len(files), len(distinct))
}
