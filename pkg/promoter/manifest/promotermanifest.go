package manifest

import (
	"errors"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// PromoterManifest is what promoter needs from a project's
// registry.k8s.io/manifests/<dir>/promoter-manifest.yaml.
type PromoterManifest struct {
	// Source is the staging registry: the one registry marked `src: true`,
	// e.g. gcr.io/k8s-staging-apisnoop.
	Source string
	// ImageDir is the project's directory, e.g. k8s-staging-apisnoop.
	ImageDir string
	// ImagesPath is the repository path of the project's images.yaml.
	ImagesPath string
	// ProductionPaths are the paths registry.k8s.io serves the project's
	// images under, read from the destination registries: image snoopdb of
	// path "apisnoop" is registry.k8s.io/apisnoop/snoopdb, and "" is the
	// root (registry.k8s.io/etcd). Sorted and distinct; a few projects
	// promote every image under more than one path.
	ProductionPaths []string
	// UnmappedDestinations are destination registries outside
	// k8s-artifacts-prod, which registry.k8s.io does not serve.
	UnmappedDestinations []string
}

// ProductionRepositories are the repositories image is served from on
// registry host (registry.k8s.io), one per production path.
func (pm *PromoterManifest) ProductionRepositories(host, image string) []string {
	out := make([]string, 0, len(pm.ProductionPaths))
	for _, p := range pm.ProductionPaths {
		out = append(out, path.Join(host, p, image))
	}
	return out
}

// promoterManifestFile is the part of the promoter's thin-manifest format read
// here. Other keys are ignored: promoter only reads this file, and a key the
// promoter adds later must not stop promotions.
type promoterManifestFile struct {
	Registries []struct {
		Name string `yaml:"name"`
		Src  bool   `yaml:"src"`
	} `yaml:"registries"`
	// ImagesPath is deprecated in the promoter but still present in some files.
	ImagesPath string `yaml:"imagesPath"`
}

// ParsePromoterManifest reads a promoter-manifest.yaml found at repoPath in
// kubernetes/k8s.io (registry.k8s.io/manifests/<dir>/promoter-manifest.yaml).
func ParsePromoterManifest(repoPath string, src []byte) (*PromoterManifest, error) {
	clean := path.Clean(repoPath)
	dir := path.Base(path.Dir(clean))
	if path.IsAbs(clean) || strings.HasPrefix(clean, "../") || dir == "." || dir == ".." {
		return nil, fmt.Errorf("%q: cannot tell the project directory from this path; want registry.k8s.io/manifests/<dir>/promoter-manifest.yaml", repoPath)
	}
	var f promoterManifestFile
	if err := yaml.Unmarshal(src, &f); err != nil {
		var typeErr *yaml.TypeError
		if errors.As(err, &typeErr) {
			// The library's messages name Go types; keep only where to look.
			var at []string
			for _, e := range typeErr.Errors {
				if line, _, ok := strings.Cut(e, ": "); ok {
					at = append(at, line)
				}
			}
			return nil, fmt.Errorf("%s: not a promoter manifest: want `registries:` as a list of registries with `name:` and `src: true|false` (see %s)",
				repoPath, strings.Join(at, ", "))
		}
		return nil, fmt.Errorf("%s: %w", repoPath, err)
	}
	var sources, destinations []string
	for _, r := range f.Registries {
		if r.Src {
			sources = append(sources, r.Name)
		} else if r.Name != "" {
			destinations = append(destinations, r.Name)
		}
	}
	switch {
	case len(sources) == 0:
		return nil, fmt.Errorf("%s: want exactly one registry with `src: true` (the staging registry), found 0", repoPath)
	case len(sources) > 1:
		return nil, fmt.Errorf("%s: want exactly one registry with `src: true`, found %d: %s", repoPath, len(sources), strings.Join(sources, ", "))
	case sources[0] == "":
		return nil, fmt.Errorf("%s: the `src: true` registry has no name", repoPath)
	}
	pm := &PromoterManifest{
		Source:     sources[0],
		ImageDir:   dir,
		ImagesPath: path.Join(path.Dir(path.Dir(path.Dir(clean))), "images", dir, "images.yaml"),
	}
	pm.ProductionPaths, pm.UnmappedDestinations = productionPaths(destinations)
	if f.ImagesPath != "" {
		p := path.Join(path.Dir(clean), f.ImagesPath)
		if path.IsAbs(f.ImagesPath) || p == ".." || strings.HasPrefix(p, "../") {
			return nil, fmt.Errorf("%s: imagesPath %q points outside the repository", repoPath, f.ImagesPath)
		}
		// Only a project's images.yaml may be edited, never another file.
		imageDir := path.Base(path.Dir(p))
		if path.Base(p) != "images.yaml" || path.Base(path.Dir(path.Dir(p))) != "images" || imageDir == "." || imageDir == "images" {
			return nil, fmt.Errorf("%s: imagesPath %q does not name an images/<dir>/images.yaml file", repoPath, f.ImagesPath)
		}
		pm.ImagesPath, pm.ImageDir = p, imageDir
	}
	return pm, nil
}

// productionPaths maps destination registries to the paths registry.k8s.io
// serves them under.
func productionPaths(destinations []string) (paths, unmapped []string) {
	for _, d := range destinations {
		if p, ok := productionPath(d); ok {
			paths = append(paths, p)
		} else {
			unmapped = append(unmapped, d)
		}
	}
	slices.Sort(paths)
	return slices.Compact(paths), unmapped
}

var (
	// artifactRegistry is Artifact Registry's k8s-artifacts-prod "images"
	// repository in any region; registry.k8s.io redirects to the nearest.
	artifactRegistry = regexp.MustCompile(`^[a-z0-9]+(?:-[a-z0-9]+)*-docker\.pkg\.dev/k8s-artifacts-prod/images(/.+)?$`)
	// containerRegistry is the older GCR form of the same registries.
	containerRegistry = regexp.MustCompile(`^(?:(?:us|eu|asia)\.)?gcr\.io/k8s-artifacts-prod(/.+)?$`)
	// pathComponent is the OCI distribution grammar for one path component.
	pathComponent = regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$`)
)

// productionPath maps one destination: the path after
// k8s-artifacts-prod/images/ (Artifact Registry) or k8s-artifacts-prod/
// (GCR), "" for the root.
func productionPath(destination string) (string, bool) {
	m := artifactRegistry.FindStringSubmatch(destination)
	if m == nil {
		m = containerRegistry.FindStringSubmatch(destination)
	}
	if m == nil {
		return "", false
	}
	sub := strings.TrimPrefix(m[1], "/")
	if sub == "" {
		return "", true
	}
	for _, c := range strings.Split(sub, "/") {
		if !pathComponent.MatchString(c) {
			return "", false
		}
	}
	return sub, true
}
