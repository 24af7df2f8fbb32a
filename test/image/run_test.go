package image

import (
	"archive/tar"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// TestRunsAsNonrootOnReadOnlyRoot unpacks this machine's platform image and
// runs /promoter in it as Kubernetes would with runAsUser: 65532 and
// readOnlyRootFilesystem: true: chrooted as uid and gid 65532 into the
// image's files, bind-mounted read-only in a private mount namespace.
func TestRunsAsNonrootOnReadOnlyRoot(t *testing.T) {
	b := setup(t)
	if os.Geteuid() != 0 {
		t.Skip("needs root: chroot and a mount namespace (a user namespace cannot switch to uid 65532 without newuidmap)")
	}
	if out, err := exec.Command("unshare", "--mount", "--propagation", "private", "true").CombinedOutput(); err != nil {
		t.Skipf("this machine cannot make a mount namespace (unshare --mount: %v: %s)", err, bytes.TrimSpace(out))
	}
	p := v1.Platform{OS: "linux", Architecture: runtime.GOARCH}
	idx, _ := imageIndex(t, b.cli, b.want.version)
	rootfs := filepath.Join(t.TempDir(), "rootfs")
	unpack(t, filesOf(t, mustImage(platformImage(t, idx, p))), rootfs)

	// The config as Kubernetes mounts it, and one only root may read.
	cfg, err := os.ReadFile(filepath.Join(b.root, "config", "apisnoop.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	etc := filepath.Join(rootfs, "etc", "promoter")
	if err := os.MkdirAll(etc, 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(etc, "config.yaml"), cfg, 0o644)
	write(t, filepath.Join(etc, "bad.yaml"), []byte("manifestRepo: [\n"), 0o644)
	write(t, filepath.Join(etc, "root-only.yaml"), cfg, 0o600)

	for _, c := range []struct {
		args   []string
		ok     bool
		output string
	}{
		{[]string{"--help"}, true, "-check-config"},
		{[]string{"--check-config", "/etc/promoter/config.yaml"}, true, "/etc/promoter/config.yaml: valid: 1 projects, PRs to kubernetes/k8s.io branch main"},
		{[]string{"--check-config", "/etc/promoter/bad.yaml"}, false, "invalid config"},
		// Fails only because promoter is not root: the uid really is 65532.
		{[]string{"--check-config", "/etc/promoter/root-only.yaml"}, false, "permission denied"},
	} {
		out, err := runReadOnly(rootfs, c.args...)
		if err != nil && strings.Contains(out, "ROOT-IS-WRITABLE") {
			t.Fatalf("the read-only bind mount did not make the root read-only:\n%s", out)
		}
		if (err == nil) != c.ok || !strings.Contains(out, c.output) {
			t.Errorf("promoter %s: err %v, want success %v and output containing %q:\n%s", strings.Join(c.args, " "), err, c.ok, c.output, out)
		}
	}
}

// runReadOnly runs /promoter in rootfs as 65532:65532 on a read-only root,
// after checking from outside the chroot that the root is read-only.
func runReadOnly(rootfs string, args ...string) (string, error) {
	script := `d=$1; shift
mount --bind "$d" "$d" && mount -o remount,bind,ro "$d" "$d" || exit 90
if touch "$d/.probe" 2>/dev/null; then echo ROOT-IS-WRITABLE; exit 91; fi
exec chroot --userspec=65532:65532 "$d" /promoter "$@"`
	cmd := exec.Command("unshare", append([]string{"--mount", "--propagation", "private", "sh", "-c", script, "sh", rootfs}, args...)...)
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// unpack writes the image's files to dir, with their modes and owners.
func unpack(t *testing.T, files map[string]file, dir string) {
	t.Helper()
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names) // parents first
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if n == "" || n == "." {
			continue
		}
		if strings.HasPrefix(n, "../") || strings.Contains(n, "/../") {
			t.Fatalf("unsafe path %q in the image", n)
		}
		f, dst := files[n], filepath.Join(dir, n)
		var err error
		switch f.hdr.Typeflag {
		case tar.TypeDir:
			err = os.Mkdir(dst, 0o755)
		case tar.TypeReg:
			err = os.WriteFile(dst, f.data, 0o600)
		case tar.TypeSymlink:
			err = os.Symlink(f.hdr.Linkname, dst)
		default:
			err = fmt.Errorf("unexpected entry type %q", f.hdr.Typeflag)
		}
		if err == nil && f.hdr.Typeflag != tar.TypeSymlink {
			err = os.Lchown(dst, f.hdr.Uid, f.hdr.Gid)
		}
		if err != nil {
			t.Fatalf("unpacking /%s: %v", n, err)
		}
	}
	// Modes last: a 0700 directory owned by 65532 would stop nothing here
	// (root writes), but set them after writing all the same.
	for _, n := range names {
		if f := files[n]; f.hdr.Typeflag != tar.TypeSymlink && n != "" {
			if err := os.Chmod(filepath.Join(dir, n), os.FileMode(f.hdr.Mode&0o777)|tarSpecial(f.hdr.Mode)); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func tarSpecial(mode int64) os.FileMode {
	var m os.FileMode
	if mode&0o1000 != 0 {
		m |= os.ModeSticky
	}
	if mode&0o2000 != 0 {
		m |= os.ModeSetgid
	}
	if mode&0o4000 != 0 {
		m |= os.ModeSetuid
	}
	return m
}

func write(t *testing.T, path string, data []byte, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, data, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}
