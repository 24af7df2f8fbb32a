package imagebuild

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Deb is one Debian package of the offline base, pinned by version and by
// the SHA-256 of its .deb, so that two builds of one commit get the same
// files even after Debian publishes a newer version.
type Deb struct {
	Name, Version, SHA256 string
}

// Lock is the parsed lock file (hack/image/debian.lock): the Debian release
// the packages come from, and the packages.
type Lock struct {
	Release  string // e.g. 12
	Codename string // e.g. bookworm
	Debs     []Deb
}

// ReadLock parses a lock file: `release <version> <codename>` and
// `<package> <version> <sha256>` lines; `#` starts a comment.
func ReadLock(path string) (*Lock, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	l := &Lock{}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for n := 1; sc.Scan(); n++ {
		line, _, _ := strings.Cut(sc.Text(), "#")
		f := strings.Fields(line)
		switch {
		case len(f) == 0:
		case f[0] == "release" && len(f) == 3:
			l.Release, l.Codename = f[1], f[2]
		case len(f) == 3 && len(f[2]) == 64 && isHex(f[2]):
			l.Debs = append(l.Debs, Deb{Name: f[0], Version: f[1], SHA256: f[2]})
		default:
			return nil, fmt.Errorf("%s:%d: want `release <version> <codename>` or `<package> <version> <sha256>`, got %q", path, n, sc.Text())
		}
	}
	if l.Release == "" || len(l.Debs) == 0 {
		return nil, fmt.Errorf("%s: needs a release line and at least one package", path)
	}
	return l, nil
}

func isHex(s string) bool {
	_, err := hex.DecodeString(s)
	return err == nil
}

// Fetch returns the path of the package's .deb in cacheDir, downloading it
// with `apt-get download` when it is not there. A file whose hash is not the
// pinned one is never used.
func (d Deb) Fetch(ctx context.Context, cacheDir string) (string, error) {
	dst := filepath.Join(cacheDir, d.Name+"_"+d.Version+".deb")
	if sum, err := fileSHA256(dst); err == nil && sum == d.SHA256 {
		return dst, nil
	}
	if _, err := exec.LookPath("apt-get"); err != nil {
		return "", fmt.Errorf("%s: apt-get not found: the offline base is made of Debian packages; elsewhere use a base image (-base gcr.io/distroless/static-debian12:nonroot)", d.Name)
	}
	deb, cleanup, err := aptDownload(ctx, cacheDir, d.Name+"="+d.Version)
	if err != nil {
		return "", fmt.Errorf("%w (the pinned version may be gone from Debian's archive: run apt-get update, or refresh hack/image/debian.lock with -update-debs)", err)
	}
	defer cleanup()
	sum, err := fileSHA256(deb)
	if err != nil {
		return "", err
	}
	if sum != d.SHA256 {
		return "", fmt.Errorf("%s %s: the downloaded .deb has SHA-256 %s, the lock pins %s", d.Name, d.Version, sum, d.SHA256)
	}
	return dst, os.Rename(deb, dst)
}

// aptDownload runs `apt-get download spec` in a new directory under dir (so
// that concurrent builds never see a half-written file) and returns the .deb.
func aptDownload(ctx context.Context, dir, spec string) (string, func(), error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", nil, err
	}
	tmp, err := os.MkdirTemp(dir, "download-")
	if err != nil {
		return "", nil, err
	}
	cleanup := func() { os.RemoveAll(tmp) }
	// apt downloads as the _apt user where it can; let it write here.
	_ = os.Chmod(tmp, 0o777)
	cmd := exec.CommandContext(ctx, "apt-get", "download", "-q", spec)
	cmd.Dir = tmp
	if out, err := cmd.CombinedOutput(); err != nil {
		cleanup()
		return "", nil, fmt.Errorf("apt-get download %s: %v\n%s", spec, err, out)
	}
	debs, _ := filepath.Glob(filepath.Join(tmp, "*.deb"))
	if len(debs) != 1 {
		cleanup()
		return "", nil, fmt.Errorf("apt-get download %s: want one .deb, got %v", spec, debs)
	}
	return debs[0], cleanup, nil
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// debFile is one entry of a package's data archive.
type debFile struct {
	hdr  *tar.Header
	data []byte
}

// debContents reads the files a package would install, without installing
// it (`dpkg-deb --fsys-tarfile`), keyed by clean path.
func debContents(ctx context.Context, deb string) (map[string]debFile, error) {
	out, err := exec.CommandContext(ctx, "dpkg-deb", "--fsys-tarfile", deb).Output()
	if err != nil {
		return nil, fmt.Errorf("dpkg-deb --fsys-tarfile %s: %w", deb, stderrOf(err))
	}
	files := map[string]debFile{}
	tr := tar.NewReader(bytes.NewReader(out))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return files, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", deb, err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			return nil, err
		}
		files[clean(h.Name)] = debFile{hdr: h, data: data}
	}
}

// debControl is the package's control file, as dpkg keeps it for an
// installed package: scanners read it from /var/lib/dpkg/status.d/.
func debControl(ctx context.Context, deb string) ([]byte, error) {
	out, err := exec.CommandContext(ctx, "dpkg-deb", "--field", deb).Output()
	if err != nil {
		return nil, fmt.Errorf("dpkg-deb --field %s: %w", deb, stderrOf(err))
	}
	return out, nil
}

func stderrOf(err error) error {
	var ee *exec.ExitError
	if errors.As(err, &ee) && len(ee.Stderr) > 0 {
		return fmt.Errorf("%v: %s", err, bytes.TrimSpace(ee.Stderr))
	}
	return err
}

// UpdateLock pins each package of the lock to the version apt-get would
// download now, and rewrites the lock file.
func UpdateLock(ctx context.Context, path, cacheDir string) (*Lock, error) {
	l, err := ReadLock(path)
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	b.WriteString(lockHeader)
	fmt.Fprintf(&b, "release %s %s\n", l.Release, l.Codename)
	for i, d := range l.Debs {
		deb, cleanup, err := aptDownload(ctx, cacheDir, d.Name)
		if err != nil {
			return nil, err
		}
		ctl, err := debControl(ctx, deb)
		sum, herr := fileSHA256(deb)
		cleanup()
		if err != nil || herr != nil {
			return nil, errors.Join(err, herr)
		}
		d.Version = controlField(ctl, "Version")
		d.SHA256 = sum
		l.Debs[i] = d
		fmt.Fprintf(&b, "%s %s %s\n", d.Name, d.Version, d.SHA256)
	}
	return l, os.WriteFile(path, []byte(b.String()), 0o644)
}

const lockHeader = `# The Debian packages of promoter's offline base image (make image), pinned so
# that two builds of one commit give the same image. Lines:
#   release <Debian version> <codename>
#   <package> <version> <SHA-256 of the .deb>
# Refresh to Debian's current versions (after apt-get update):
#   go run ./hack/image -update-debs
`

func controlField(ctl []byte, name string) string {
	for _, line := range strings.Split(string(ctl), "\n") {
		if v, ok := strings.CutPrefix(line, name+": "); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
