package onboard

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"sigs.k8s.io/promoter/pkg/promoter/manifest"
)

// StagingPrefix starts every staging project's directory and GCP project.
const StagingPrefix = "k8s-staging-"

// Staging is one staging project as kubernetes/k8s.io describes it: its
// images.yaml, its promoter-manifest.yaml and its OWNERS.
type Staging struct {
	// Dir is the project's directory under registry.k8s.io/images, e.g.
	// k8s-staging-apisnoop.
	Dir string
	// ImagesPath is the repository path of its images.yaml.
	ImagesPath string
	// Images is the parsed images.yaml; nil when ImagesErr says why not.
	Images    *manifest.Manifest
	ImagesErr error
	// ManifestPath is the repository path of the promoter-manifest.yaml
	// whose images are these ("" when none was found), Source its
	// `src: true` registry; ManifestErr says why the file was unusable.
	ManifestPath string
	Source       string
	ManifestErr  error
	// Owners are the approvers of the images directory's OWNERS file.
	Owners Owners
}

// Short is the project's name without the k8s-staging- prefix: the name a
// promoter config uses for it.
func (s *Staging) Short() string { return strings.TrimPrefix(s.Dir, StagingPrefix) }

// K8sIO is what onboarding reads from a kubernetes/k8s.io checkout.
type K8sIO struct {
	Root     string
	Stagings map[string]*Staging // by Dir
	// Aliases is the repository's OWNERS_ALIASES, nil when it has none.
	Aliases map[string][]string
}

// Sorted returns the staging projects ordered by directory.
func (k *K8sIO) Sorted() []*Staging {
	out := make([]*Staging, 0, len(k.Stagings))
	for _, s := range k.Stagings {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Dir < out[j].Dir })
	return out
}

// ByImagesPath returns the project whose images.yaml is at p, or nil.
func (k *K8sIO) ByImagesPath(p string) *Staging {
	for _, s := range k.Stagings {
		if s.ImagesPath == p {
			return s
		}
	}
	return nil
}

// ByGCBProject returns the project whose staging registry lives in the GCP
// project p: the one whose src is <host>/p (gcr.io/k8s-staging-capi-kubeadm
// for cluster-api-kubeadm), else the directory named p. The shared
// k8s-staging-images project holds many projects' registries, so it never
// names one.
func (k *K8sIO) ByGCBProject(p string) *Staging {
	for _, s := range k.Sorted() {
		if host, rest, ok := strings.Cut(s.Source, "/"); ok && host != "" && rest == p {
			return s
		}
	}
	return k.Stagings[p]
}

// LoadK8sIO reads every staging project of a kubernetes/k8s.io checkout:
// registry.k8s.io/images/*/images.yaml with OWNERS, and the
// promoter-manifest.yaml files under registry.k8s.io/manifests (or, in
// newer trees, beside an images.yaml). A file that cannot be read is
// recorded on its project, not fatal: the other projects still onboard.
func LoadK8sIO(root string) (*K8sIO, error) {
	imagesDir := filepath.Join(root, "registry.k8s.io", "images")
	if fi, err := os.Stat(imagesDir); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("%s: no registry.k8s.io/images here; want a kubernetes/k8s.io checkout", root)
	}
	k := &K8sIO{Root: root, Stagings: map[string]*Staging{}}
	var err error
	if k.Aliases, err = readAliases(filepath.Join(root, "OWNERS_ALIASES")); err != nil {
		return nil, err
	}
	files, _ := filepath.Glob(filepath.Join(imagesDir, "*", "images.yaml"))
	for _, f := range files {
		s := &Staging{Dir: filepath.Base(filepath.Dir(f))}
		s.ImagesPath = path.Join("registry.k8s.io", "images", s.Dir, "images.yaml")
		s.Images, s.ImagesErr = readImages(f)
		s.Owners = readOwners(filepath.Join(filepath.Dir(f), "OWNERS"), k.Aliases)
		k.Stagings[s.Dir] = s
	}
	manifests, _ := filepath.Glob(filepath.Join(root, "registry.k8s.io", "manifests", "*", "promoter-manifest.yaml"))
	beside, _ := filepath.Glob(filepath.Join(imagesDir, "*", "promoter-manifest.yaml"))
	for _, f := range append(manifests, beside...) {
		k.readManifest(f)
	}
	return k, nil
}

func readImages(file string) (*manifest.Manifest, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	return manifest.Parse(b)
}

// readManifest attaches a promoter-manifest.yaml to the project whose
// images it promotes (its imagesPath, else its own directory's name).
func (k *K8sIO) readManifest(file string) {
	rel, err := filepath.Rel(k.Root, file)
	if err != nil {
		return
	}
	rel = filepath.ToSlash(rel)
	dir := path.Base(path.Dir(rel))
	b, err := os.ReadFile(file)
	var pm *manifest.PromoterManifest
	if err == nil {
		pm, err = manifest.ParsePromoterManifest(rel, b)
	}
	s := k.Stagings[dir]
	if pm != nil {
		if byPath := k.ByImagesPath(pm.ImagesPath); byPath != nil {
			s = byPath
		}
	}
	if s == nil || s.ManifestPath != "" && s.ManifestErr == nil {
		return // no images.yaml for it, or the project has one already
	}
	s.ManifestPath, s.ManifestErr = rel, err
	if pm != nil {
		s.Source = pm.Source
	}
}
