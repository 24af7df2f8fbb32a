package harness

import (
	"errors"
	"os"
	"path/filepath"
	"strings"

	"sigs.k8s.io/promoter/test/fakegithub/server"
)

// Paths of the apisnoop project in kubernetes/k8s.io.
const (
	ImagesPath           = "registry.k8s.io/images/k8s-staging-apisnoop/images.yaml"
	PromoterManifestPath = "registry.k8s.io/manifests/k8s-staging-apisnoop/promoter-manifest.yaml"
	OwnersPath           = "registry.k8s.io/images/k8s-staging-apisnoop/OWNERS"
)

// RepoRoot finds the promoter repository's root (where go.mod is) from the
// working directory, so tests and the demo find testdata/ wherever they run.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found above the working directory")
		}
		dir = parent
	}
}

// SeedManifestRepo creates kubernetes/k8s.io under root with apisnoop's real
// images.yaml, OWNERS and promoter-manifest.yaml (from testdata/). When
// stagingRoot is not empty, the promoter manifest's src registry
// gcr.io/k8s-staging-apisnoop is replaced by it, so promoter reads staging
// from the local registry the way it reads gcr.io in production. It returns
// the commit on main.
func SeedManifestRepo(root, stagingRoot string) (string, error) {
	repoRoot, err := RepoRoot()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(repoRoot, "testdata", "k8sio-manifests", "k8s-staging-apisnoop")
	files := map[string][]byte{}
	for path, file := range map[string]string{ImagesPath: "images.yaml", PromoterManifestPath: "promoter-manifest.yaml", OwnersPath: "OWNERS"} {
		b, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil {
			return "", err
		}
		if file == "promoter-manifest.yaml" && stagingRoot != "" {
			b = []byte(strings.Replace(string(b), "name: gcr.io/k8s-staging-apisnoop\n", "name: "+stagingRoot+"\n", 1))
		}
		files[path] = b
	}
	files["README.md"] = []byte("# k8s.io (stand-in)\n")
	return server.InitRepo(root, "kubernetes", "k8s.io", files)
}

// SeedSourceRepo creates kubernetes-sigs/apisnoop under root with one
// commit and returns it.
func SeedSourceRepo(root string) (string, error) {
	return server.InitRepo(root, "kubernetes-sigs", "apisnoop", map[string][]byte{
		"README.md": []byte("# apisnoop (stand-in)\n"),
	})
}
