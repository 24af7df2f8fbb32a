package imagebuild

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"path"
	"sort"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// The nonroot user of distroless images, which Kubernetes manifests name by
// number (runAsUser: 65532).
const (
	NonrootUID = 65532
	caBundle   = "etc/ssl/certs/ca-certificates.crt"
)

// What the offline base holds besides its packages: the same accounts,
// name service switch and directories as gcr.io/distroless/static:nonroot.
var (
	passwd = `root:x:0:0:root:/root:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin
`
	group = `root:x:0:
nobody:x:65534:
nonroot:x:65532:
`
	nsswitch = `passwd:         files
group:          files
shadow:         files
hosts:          files dns
networks:       files
protocols:      files
services:       files
`
	baseEnv = []string{
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"SSL_CERT_FILE=/" + caBundle,
	}
)

// packageRecipes says which files of each package go into the base: only
// what a static Go binary uses, plus the package's copyright file.
var packageRecipes = map[string]func(t *fsTree, files map[string]debFile) error{
	"ca-certificates": addCABundle,
	"tzdata":          addZoneinfo,
}

// debianBase builds the files of the offline base from the pinned Debian
// packages (downloaded into cacheDir once). The packages are
// architecture-independent, so one layer serves every platform.
func debianBase(ctx context.Context, lock *Lock, cacheDir string) (*fsTree, error) {
	t := newTree()
	t.dir("root", 0o700, 0, 0)
	t.dir("home/nonroot", 0o700, NonrootUID, NonrootUID)
	t.dir("tmp", 0o1777, 0, 0)
	t.file("etc/passwd", 0o644, []byte(passwd))
	t.file("etc/group", 0o644, []byte(group))
	t.file("etc/nsswitch.conf", 0o644, []byte(nsswitch))
	t.file("etc/os-release", 0o644, []byte(osRelease(lock)))
	for _, d := range lock.Debs {
		recipe, ok := packageRecipes[d.Name]
		if !ok {
			return nil, fmt.Errorf("debian.lock: no recipe for package %s (known: ca-certificates, tzdata)", d.Name)
		}
		deb, err := d.Fetch(ctx, cacheDir)
		if err != nil {
			return nil, err
		}
		files, err := debContents(ctx, deb)
		if err != nil {
			return nil, err
		}
		if err := recipe(t, files); err != nil {
			return nil, fmt.Errorf("%s: %w", d.Name, err)
		}
		if err := addCopyright(t, d.Name, files); err != nil {
			return nil, err
		}
		ctl, err := debControl(ctx, deb)
		if err != nil {
			return nil, err
		}
		t.file("var/lib/dpkg/status.d/"+d.Name, 0o644, ctl)
	}
	return t, nil
}

// addCABundle concatenates the package's Mozilla certificates, sorted by
// file name, into the bundle Go reads, as update-ca-certificates does on
// install with every certificate enabled. The build machine's own bundle
// (which may hold local or proxy CAs) is never read.
func addCABundle(t *fsTree, files map[string]debFile) error {
	var names []string
	for n, f := range files {
		if strings.HasPrefix(n, "usr/share/ca-certificates/mozilla/") && strings.HasSuffix(n, ".crt") && f.hdr.Typeflag == tar.TypeReg {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return fmt.Errorf("no certificates under usr/share/ca-certificates/mozilla")
	}
	sort.Strings(names)
	var b bytes.Buffer
	for _, n := range names {
		b.Write(files[n].data)
		if !bytes.HasSuffix(b.Bytes(), []byte("\n")) {
			b.WriteByte('\n')
		}
	}
	t.file(caBundle, 0o644, b.Bytes())
	return nil
}

// addZoneinfo copies usr/share/zoneinfo: regular files and symbolic links
// (tzdata has no hard links; anything else is refused rather than dropped).
func addZoneinfo(t *fsTree, files map[string]debFile) error {
	for n, f := range files {
		if !strings.HasPrefix(n, "usr/share/zoneinfo/") {
			continue
		}
		switch f.hdr.Typeflag {
		case tar.TypeReg:
			t.file(n, 0o644, f.data)
		case tar.TypeSymlink:
			t.symlink(n, f.hdr.Linkname)
		case tar.TypeDir:
			t.dir(n, 0o755, 0, 0)
		default:
			return fmt.Errorf("%s: unexpected tar entry type %q", n, f.hdr.Typeflag)
		}
	}
	if _, ok := t.hdrs["usr/share/zoneinfo/UTC"]; !ok {
		return fmt.Errorf("no usr/share/zoneinfo/UTC")
	}
	return nil
}

// addCopyright keeps the package's license text, as distroless does.
func addCopyright(t *fsTree, name string, files map[string]debFile) error {
	p := path.Join("usr/share/doc", name, "copyright")
	f, ok := files[p]
	if !ok {
		return fmt.Errorf("%s: no %s", name, p)
	}
	t.file(p, 0o644, f.data)
	return nil
}

// osRelease names the base as distroless does: scanners then read the
// Debian packages from /var/lib/dpkg/status.d and match them to advisories.
func osRelease(l *Lock) string {
	return fmt.Sprintf(`PRETTY_NAME="Distroless-style static (promoter)"
NAME="Debian GNU/Linux"
ID="debian"
VERSION_ID="%s"
VERSION="Debian GNU/Linux %s (%s)"
VERSION_CODENAME=%s
`, l.Release, l.Release, l.Codename, l.Codename)
}

// baseConfig is the offline base's image configuration for a platform.
func baseConfig(p v1.Platform) *v1.ConfigFile {
	return &v1.ConfigFile{
		Architecture: p.Architecture,
		OS:           p.OS,
		Variant:      p.Variant,
		RootFS:       v1.RootFS{Type: "layers"},
		Config: v1.Config{
			Env:        baseEnv,
			User:       fmt.Sprintf("%d", NonrootUID),
			WorkingDir: "/home/nonroot",
		},
	}
}
