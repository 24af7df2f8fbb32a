package ghapi

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"time"
)

// Published is one file of a pinned npm package.
type Published struct {
	Package   string // npm package name
	Version   string // exact version
	Integrity string // the tarball's npm integrity (sha512, base64)
	File      string // path inside the tarball
}

// GitHub's own descriptions of its APIs, pinned. Moving a pin is a
// deliberate change: update Version and Integrity together (`npm view
// PKG@VERSION dist.integrity`).
var (
	// GraphQLSchema is GitHub's GraphQL schema as SDL.
	GraphQLSchema = Published{
		Package:   "@octokit/graphql-schema",
		Version:   "15.26.1",
		Integrity: "sha512-RFDC2MpRBd4AxSRvUeBIVeBU7ojN/SxDfALUd7iVYOSeEK3gZaqR2MGOysj4Zh2xj2RY5fQAUT+Oqq7hWTraMA==",
		File:      "package/schema.graphql",
	}
	// RESTDescription is GitHub's OpenAPI 3.0 description of api.github.com
	// (with $refs, the smaller of its two forms).
	RESTDescription = Published{
		Package:   "@octokit/openapi",
		Version:   "23.0.2",
		Integrity: "sha512-pV8M7L9GY23AybNvTmo2nyjmpmnt6+2sRE/tqr0ZLQcPS4lnw7u5eZGNmwRNkBC3D7gZXbFx5AHzLUVRBXGDhg==",
		File:      "package/generated/api.github.com.json",
	}
)

// ErrUnavailable wraps why a description could not be had: no npm, or the
// registry out of reach. Callers skip on it; anything else is a failure.
var ErrUnavailable = errors.New("GitHub's API descriptions are unavailable")

// CacheDir is where fetched descriptions are kept: $GHAPI_CACHE, else
// <user cache dir>/promoter-ghapi. Never inside the repository's tracked
// files.
func CacheDir() (string, error) {
	if d := os.Getenv("GHAPI_CACHE"); d != "" {
		return d, nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(d, "promoter-ghapi"), nil
}

// Path returns the local copy of p's file, fetching the package with
// `npm pack` (which uses the machine's npm registry settings) when the
// cache lacks it. The tarball must match the pinned integrity.
func (p Published) Path(ctx context.Context) (string, error) {
	cache, err := CacheDir()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(cache, strings.NewReplacer("@", "", "/", "_").Replace(p.Package)+"-"+p.Version)
	dst := filepath.Join(dir, path.Base(p.File))
	if _, err := os.Stat(dst); err == nil {
		return dst, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	tgz, err := p.pack(ctx, dir)
	if err != nil {
		return "", err
	}
	defer os.Remove(tgz)
	if err := p.extract(tgz, dst); err != nil {
		return "", err
	}
	return dst, nil
}

// pack runs npm pack into a fresh directory under dir and checks the
// tarball's integrity.
func (p Published) pack(ctx context.Context, dir string) (string, error) {
	npm, err := exec.LookPath("npm")
	if err != nil {
		return "", fmt.Errorf("%w: npm is not installed (%v)", ErrUnavailable, err)
	}
	tmp, err := os.MkdirTemp(dir, "pack-")
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "pack", "--json", "--ignore-scripts", "--fetch-retries=1",
		"--pack-destination", tmp, p.Package+"@"+p.Version)
	cmd.Dir = tmp
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		os.RemoveAll(tmp)
		return "", fmt.Errorf("%w: npm pack %s@%s: %v: %s", ErrUnavailable, p.Package, p.Version, err, lastLine(stderr.String()))
	}
	var packed []struct{ Filename string }
	if err := json.Unmarshal(out, &packed); err != nil || len(packed) != 1 {
		os.RemoveAll(tmp)
		return "", fmt.Errorf("npm pack %s@%s: unexpected output %q", p.Package, p.Version, out)
	}
	tgz := filepath.Join(tmp, packed[0].Filename)
	b, err := os.ReadFile(tgz)
	if err != nil {
		os.RemoveAll(tmp)
		return "", err
	}
	sum := sha512.Sum512(b)
	if got := "sha512-" + base64.StdEncoding.EncodeToString(sum[:]); got != p.Integrity {
		os.RemoveAll(tmp)
		return "", fmt.Errorf("%s@%s: tarball integrity %s, pinned %s", p.Package, p.Version, got, p.Integrity)
	}
	moved := tgz + ".verified"
	if err := os.Rename(tgz, moved); err != nil {
		return "", err
	}
	return moved, nil
}

// extract writes p.File from the tarball to dst atomically, so a
// concurrent reader sees the whole file or none.
func (p Published) extract(tgz, dst string) error {
	defer os.RemoveAll(filepath.Dir(tgz))
	f, err := os.Open(tgz)
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return err
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return fmt.Errorf("%s@%s has no %s", p.Package, p.Version, p.File)
		}
		if err != nil {
			return err
		}
		if h.Name != p.File {
			continue
		}
		tmp, err := os.CreateTemp(filepath.Dir(dst), ".extract-")
		if err != nil {
			return err
		}
		if _, err := io.Copy(tmp, tr); err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
			return err
		}
		if err := tmp.Close(); err != nil {
			os.Remove(tmp.Name())
			return err
		}
		return os.Rename(tmp.Name(), dst)
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
