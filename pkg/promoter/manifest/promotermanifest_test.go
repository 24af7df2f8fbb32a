package manifest

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func readRealPromoterManifest(t *testing.T, dir string) []byte {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(realFiles, dir, "promoter-manifest.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return src
}

func TestParsePromoterManifestRealFiles(t *testing.T) {
	for _, c := range []struct {
		dir  string
		want PromoterManifest
	}{
		{"k8s-staging-apisnoop", PromoterManifest{
			Source:          "gcr.io/k8s-staging-apisnoop",
			ImageDir:        "k8s-staging-apisnoop",
			ImagesPath:      "registry.k8s.io/images/k8s-staging-apisnoop/images.yaml",
			ProductionPaths: []string{"apisnoop"},
		}},
		// kueue still carries the deprecated `imagesPath:` key; it names the
		// same file the layout implies.
		{"k8s-staging-kueue", PromoterManifest{
			Source:          "us-central1-docker.pkg.dev/k8s-staging-images/kueue",
			ImageDir:        "k8s-staging-kueue",
			ImagesPath:      "registry.k8s.io/images/k8s-staging-kueue/images.yaml",
			ProductionPaths: []string{"kueue"},
		}},
	} {
		t.Run(c.dir, func(t *testing.T) {
			repoPath := "registry.k8s.io/manifests/" + c.dir + "/promoter-manifest.yaml"
			pm, err := ParsePromoterManifest(repoPath, readRealPromoterManifest(t, c.dir))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*pm, c.want) {
				t.Errorf("got  %+v\nwant %+v", *pm, c.want)
			}
		})
	}
}

func TestParsePromoterManifestErrors(t *testing.T) {
	const repoPath = "registry.k8s.io/manifests/k8s-staging-foo/promoter-manifest.yaml"
	const dst = "- name: us-central1-docker.pkg.dev/k8s-artifacts-prod/images/foo\n" +
		"  service-account: k8s-infra-gcr-promoter@k8s-artifacts-prod.iam.gserviceaccount.com\n"
	for _, c := range []struct {
		name    string
		src     string
		wantErr []string // substrings of the error, each of which must appear
	}{
		{
			name:    "no src registry",
			src:     "registries:\n" + dst,
			wantErr: []string{repoPath, "exactly one registry with `src: true`", "found 0"},
		},
		{
			name:    "src: false only",
			src:     "registries:\n- name: gcr.io/k8s-staging-foo\n  src: false\n" + dst,
			wantErr: []string{"exactly one registry with `src: true`", "found 0"},
		},
		{
			name:    "empty file",
			src:     "",
			wantErr: []string{"exactly one registry with `src: true`", "found 0"},
		},
		{
			name: "two src registries",
			src: "registries:\n- name: gcr.io/k8s-staging-foo\n  src: true\n" +
				"- name: us-central1-docker.pkg.dev/k8s-staging-images/foo\n  src: true\n" + dst,
			wantErr: []string{"exactly one registry with `src: true`", "found 2",
				"gcr.io/k8s-staging-foo", "us-central1-docker.pkg.dev/k8s-staging-images/foo"},
		},
		{
			name:    "src registry without a name",
			src:     "registries:\n- src: true\n" + dst,
			wantErr: []string{repoPath, "`src: true` registry has no name"},
		},
		{
			name:    "src registry with an empty name",
			src:     "registries:\n- name: \"\"\n  src: true\n" + dst,
			wantErr: []string{"`src: true` registry has no name"},
		},
		{
			name:    "not YAML: unclosed flow list",
			src:     "registries: [\n- name: gcr.io/k8s-staging-foo\n",
			wantErr: []string{repoPath, "yaml"},
		},
		{
			name:    "not YAML: tab indentation",
			src:     "registries:\n\t- name: gcr.io/k8s-staging-foo\n\t  src: true\n",
			wantErr: []string{repoPath, "yaml"},
		},
		{
			name:    "not a mapping",
			src:     "just some text\n",
			wantErr: []string{repoPath},
		},
		{
			name:    "imagesPath escaping the repository",
			src:     "registries:\n- name: gcr.io/k8s-staging-foo\n  src: true\n" + dst + "imagesPath: ../../../../etc/passwd\n",
			wantErr: []string{repoPath, `imagesPath "../../../../etc/passwd"`, "outside the repository"},
		},
		{
			name:    "imagesPath escaping to the repository's parent",
			src:     "registries:\n- name: gcr.io/k8s-staging-foo\n  src: true\n" + dst + "imagesPath: ../../../../images.yaml\n",
			wantErr: []string{"outside the repository"},
		},
		{
			name:    "absolute imagesPath",
			src:     "registries:\n- name: gcr.io/k8s-staging-foo\n  src: true\n" + dst + "imagesPath: /etc/passwd\n",
			wantErr: []string{repoPath, `imagesPath "/etc/passwd"`, "outside the repository"},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			pm, err := ParsePromoterManifest(repoPath, []byte(c.src))
			if err == nil {
				t.Fatalf("want an error, got %+v", *pm)
			}
			for _, want := range c.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
			t.Logf("%v", err)
		})
	}
}

func TestParsePromoterManifestBadRepoPath(t *testing.T) {
	src := readRealPromoterManifest(t, "k8s-staging-apisnoop")
	for _, repoPath := range []string{"promoter-manifest.yaml", "/promoter-manifest.yaml", ""} {
		if pm, err := ParsePromoterManifest(repoPath, src); err == nil {
			t.Errorf("%q: want an error, got %+v", repoPath, *pm)
		} else if !strings.Contains(err.Error(), "cannot tell the project directory") {
			t.Errorf("%q: error %q does not say the directory is unknown", repoPath, err)
		}
	}
}

// An imagesPath that stays inside the repository must still name a project's
// images.yaml: promoter must never edit another file.
func TestParsePromoterManifestImagesPathOutsideImages(t *testing.T) {
	const repoPath = "registry.k8s.io/manifests/k8s-staging-foo/promoter-manifest.yaml"
	for _, imagesPath := range []string{"../../../README.md", "../../../.github/workflows/ci.yaml", "..", "../../images/k8s-staging-foo/promoter-manifest.yaml"} {
		src := "registries:\n- name: gcr.io/k8s-staging-foo\n  src: true\nimagesPath: " + imagesPath + "\n"
		if pm, err := ParsePromoterManifest(repoPath, []byte(src)); err == nil {
			t.Errorf("imagesPath %q: want an error, got %+v", imagesPath, *pm)
		} else if !strings.Contains(err.Error(), "imagesPath") {
			t.Errorf("imagesPath %q: error %q does not name the key", imagesPath, err)
		}
	}
}

// A rooted repoPath must not defeat the "outside the repository" check
// (path.Join of a rooted path never starts with "../").
func TestParsePromoterManifestRootedRepoPath(t *testing.T) {
	const repoPath = "/registry.k8s.io/manifests/k8s-staging-foo/promoter-manifest.yaml"
	src := "registries:\n- name: gcr.io/k8s-staging-foo\n  src: true\nimagesPath: ../../../../etc/passwd\n"
	if pm, err := ParsePromoterManifest(repoPath, []byte(src)); err == nil {
		t.Errorf("want an error, got %+v", *pm)
	}
}

// YAML of the wrong shape is reported in terms of the file's keys, not Go or
// JSON types the person who edited the file cannot act on.
func TestParsePromoterManifestWrongShapeMessages(t *testing.T) {
	const repoPath = "registry.k8s.io/manifests/k8s-staging-foo/promoter-manifest.yaml"
	for _, src := range []string{
		"just some text\n",
		"registries: gcr.io/k8s-staging-foo\n",
		"registries:\n- name: gcr.io/k8s-staging-foo\n  src: \"yes please\"\n",
	} {
		_, err := ParsePromoterManifest(repoPath, []byte(src))
		if err == nil {
			t.Errorf("%q: want an error", src)
			continue
		}
		for _, jargon := range []string{"Go value", "Go struct field", "JSON", "struct", "promoterManifestFile"} {
			if strings.Contains(err.Error(), jargon) {
				t.Errorf("%q: error %q speaks of %s", src, err, jargon)
			}
		}
	}
}
