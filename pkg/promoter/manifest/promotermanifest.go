package manifest

import (
	"fmt"
	"path"
	"strings"

	"sigs.k8s.io/yaml"
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
}

// promoterManifestFile is the part of the promoter's thin-manifest format read
// here. Other keys are ignored: promoter only reads this file, and a key the
// promoter adds later must not stop promotions.
type promoterManifestFile struct {
	Registries []struct {
		Name string `json:"name"`
		Src  bool   `json:"src"`
	} `json:"registries"`
	// ImagesPath is deprecated in the promoter but still present in some files.
	ImagesPath string `json:"imagesPath"`
}

// ParsePromoterManifest reads a promoter-manifest.yaml found at repoPath in
// kubernetes/k8s.io (registry.k8s.io/manifests/<dir>/promoter-manifest.yaml).
func ParsePromoterManifest(repoPath string, src []byte) (*PromoterManifest, error) {
	dir := path.Base(path.Dir(repoPath))
	if dir == "." || dir == "/" || dir == "" {
		return nil, fmt.Errorf("%s: cannot tell the project directory from this path", repoPath)
	}
	var f promoterManifestFile
	if err := yaml.Unmarshal(src, &f); err != nil {
		return nil, fmt.Errorf("%s: %w", repoPath, err)
	}
	var sources []string
	for _, r := range f.Registries {
		if r.Src {
			sources = append(sources, r.Name)
		}
	}
	if len(sources) != 1 {
		return nil, fmt.Errorf("%s: want exactly one registry with `src: true`, found %d (%s)", repoPath, len(sources), strings.Join(sources, ", "))
	}
	if sources[0] == "" {
		return nil, fmt.Errorf("%s: the `src: true` registry has no name", repoPath)
	}
	pm := &PromoterManifest{
		Source:     sources[0],
		ImageDir:   dir,
		ImagesPath: path.Join(path.Dir(path.Dir(path.Dir(repoPath))), "images", dir, "images.yaml"),
	}
	if f.ImagesPath != "" {
		p := path.Join(path.Dir(repoPath), f.ImagesPath)
		if path.IsAbs(f.ImagesPath) || p == ".." || strings.HasPrefix(p, "../") {
			return nil, fmt.Errorf("%s: imagesPath %q points outside the repository", repoPath, f.ImagesPath)
		}
		pm.ImagesPath, pm.ImageDir = p, path.Base(path.Dir(p))
	}
	return pm, nil
}
