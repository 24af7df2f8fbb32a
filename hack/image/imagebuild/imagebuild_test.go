package imagebuild

import (
	"archive/tar"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestReadLockRefusesBadLines(t *testing.T) {
	for name, lock := range map[string]string{
		"no release":      "ca-certificates 1 " + strings.Repeat("a", 64) + "\n",
		"no package":      "release 12 bookworm\n",
		"short hash":      "release 12 bookworm\nca-certificates 1 abc\n",
		"not hex":         "release 12 bookworm\nca-certificates 1 " + strings.Repeat("z", 64) + "\n",
		"missing version": "release 12 bookworm\nca-certificates " + strings.Repeat("a", 64) + "\n",
	} {
		p := filepath.Join(t.TempDir(), "debian.lock")
		if err := os.WriteFile(p, []byte(lock), 0o644); err != nil {
			t.Fatal(err)
		}
		if l, err := ReadLock(p); err == nil {
			t.Errorf("%s: accepted %+v", name, l)
		}
	}
}

func TestCheckOutKeepsOtherDirectories(t *testing.T) {
	dir := t.TempDir()
	keep := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(keep, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := &Result{}
	if _, err := r.WriteLayout(dir, "v"); err == nil || !strings.Contains(err.Error(), "not an OCI image layout") {
		t.Fatalf("writing a layout over a directory with other files: %v", err)
	}
	if b, err := os.ReadFile(keep); err != nil || string(b) != "mine" {
		t.Errorf("the directory's file was touched: %q, %v", b, err)
	}
	if err := CheckOut(filepath.Join(dir, "new")); err != nil {
		t.Errorf("a directory that does not exist: %v", err)
	}
}

// TestLayerIsCanonical: the layer's entries are sorted with parents first,
// carry the given time and no names, and the same tree gives the same
// digest however it was filled.
func TestLayerIsCanonical(t *testing.T) {
	epoch := time.Unix(1700000000, 0)
	fill := func(order []string) *fsTree {
		tr := newTree()
		for _, n := range order {
			switch n {
			case "tmp":
				tr.dir("tmp", 0o1777, 0, 0)
			case "home/nonroot":
				tr.dir("home/nonroot", 0o700, NonrootUID, NonrootUID)
			case "usr/share/zoneinfo/UTC":
				tr.symlink(n, "Etc/UTC")
			default:
				tr.file(n, 0o644, []byte(n))
			}
		}
		return tr
	}
	a := []string{"etc/passwd", "usr/share/zoneinfo/UTC", "tmp", "home/nonroot", "etc/group", "usr/share/zoneinfo/Etc/UTC"}
	b := []string{"usr/share/zoneinfo/Etc/UTC", "home/nonroot", "etc/group", "tmp", "usr/share/zoneinfo/UTC", "etc/passwd"}
	la, err := fill(a).layer(epoch)
	if err != nil {
		t.Fatal(err)
	}
	lb, err := fill(b).layer(epoch)
	if err != nil {
		t.Fatal(err)
	}
	da, _ := la.Digest()
	db, _ := lb.Digest()
	if da != db {
		t.Errorf("one tree filled in two orders: %s and %s", da, db)
	}

	rc, err := la.Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	var names []string
	seen := map[string]bool{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		name := strings.TrimSuffix(h.Name, "/")
		if parent := filepath.Dir(name); parent != "." && !seen[parent] {
			t.Errorf("%s comes before its directory %s", name, parent)
		}
		seen[name] = true
		names = append(names, name)
		if !h.ModTime.Equal(epoch) || h.Uname != "" || h.Gname != "" {
			t.Errorf("%s: time %s, owner names %q %q", name, h.ModTime, h.Uname, h.Gname)
		}
		if name == "home/nonroot" && (h.Uid != NonrootUID || h.Mode != 0o700) {
			t.Errorf("home/nonroot: uid %d mode %o", h.Uid, h.Mode)
		}
		if name == "tmp" && h.Mode != 0o1777 {
			t.Errorf("tmp: mode %o", h.Mode)
		}
	}
	want := "etc etc/group etc/passwd home home/nonroot tmp usr usr/share usr/share/zoneinfo usr/share/zoneinfo/Etc usr/share/zoneinfo/Etc/UTC usr/share/zoneinfo/UTC"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("entries:\n%s\nwant\n%s", got, want)
	}
}
