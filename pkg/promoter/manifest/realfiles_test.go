package manifest

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

const realFiles = "../../../testdata/k8sio-manifests"

func readReal(t testing.TB, dir string) []byte {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(realFiles, dir, "images.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// newDigest makes a digest that is in no file.
func newDigest(seed string) string {
	return fmt.Sprintf("sha256:%x", sha256.Sum256([]byte(seed)))
}

func TestRealFilesRoundTrip(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join(realFiles, "*", "images.yaml"))
	if err != nil || len(dirs) != 6 {
		t.Fatalf("want the 6 real images.yaml files, found %d (%v)", len(dirs), err)
	}
	for _, path := range dirs {
		dir := filepath.Base(filepath.Dir(path))
		t.Run(dir, func(t *testing.T) {
			src := readReal(t, dir)
			m, err := Parse(src)
			if err != nil {
				t.Fatal(err)
			}
			if len(m.Warnings) != 0 {
				t.Errorf("real file has warnings: %v", m.Warnings)
			}
			if _, ok := scan(splitLines(src)); !ok {
				t.Error("the fast scanner did not read a real file; every parse of it would take the slow path")
			}
			// Re-promoting every existing entry changes nothing, byte for byte.
			var all []Promotion
			for _, img := range m.Images {
				for _, e := range img.Digests {
					all = append(all, Promotion{Image: img.Name, Digest: e.Digest, Tags: e.Tags})
				}
			}
			r, err := m.Add(all...)
			if err != nil {
				t.Fatal(err)
			}
			if r.Changed() || !bytes.Equal(r.Content, src) {
				t.Errorf("no-op edit changed the file")
			}
			for _, c := range r.Changes {
				if c.Kind != AlreadyPromoted || c.Line == 0 {
					t.Fatalf("want already promoted with a line, got %+v", c)
				}
			}
		})
	}
}

// realEdit is one edit of a real file and the exact diff it must produce.
type realEdit struct {
	name    string
	p       Promotion
	after   int      // old line the new lines follow (0: top of file)
	added   []string // exact added lines
	removed []string // exact removed lines (only when a tag list grows)
}

func TestRealFilesMinimalDiff(t *testing.T) {
	d := newDigest("new")
	cases := map[string][]realEdit{
		"k8s-staging-apisnoop": {
			{name: "new digest, version order", p: Promotion{Image: "snoopdb", Digest: d, Tags: []string{"v0.3.0"}}, after: 4,
				added: []string{`    "` + d + `": ["v0.3.0"]`}},
			{name: "tag on existing digest", p: Promotion{Image: "auditlogger", Digest: "sha256:2c9c8df42ac7525e556bbff81aa9a62960888c69d5faad4aad408893bc95cbc9", Tags: []string{"v0.2"}}, after: 8,
				removed: []string{`    "sha256:2c9c8df42ac7525e556bbff81aa9a62960888c69d5faad4aad408893bc95cbc9": ["v0.2.0"]`},
				added:   []string{`    "sha256:2c9c8df42ac7525e556bbff81aa9a62960888c69d5faad4aad408893bc95cbc9": ["v0.2.0", "v0.2"]`}},
			{name: "new image, names unsorted so appended", p: Promotion{Image: "snoopdb-proxy", Digest: d, Tags: []string{"v0.3.0"}}, after: 8,
				added: []string{"- name: snoopdb-proxy", "  dmap:", `    "` + d + `": ["v0.3.0"]`}},
		},
		"k8s-staging-kueue": {
			{name: "new digest, newest first", p: Promotion{Image: "kueue", Digest: d, Tags: []string{"v0.18.0"}}, after: 88,
				added: []string{`    "` + d + `": ["v0.18.0"]`}},
			{name: "tag on a two-tag list", p: Promotion{Image: "kueue", Digest: "sha256:430bb4d26a05e4de56e3e10d8bc5ebb8de28f77d575d99a4cacc8edadcf7567b", Tags: []string{"v0.1-lts"}}, after: 185,
				removed: []string{`    "sha256:430bb4d26a05e4de56e3e10d8bc5ebb8de28f77d575d99a4cacc8edadcf7567b": ["v0.1.0", "v0.1"]`},
				added:   []string{`    "sha256:430bb4d26a05e4de56e3e10d8bc5ebb8de28f77d575d99a4cacc8edadcf7567b": ["v0.1.0", "v0.1", "v0.1-lts"]`}},
			{name: "new image in name order", p: Promotion{Image: "kueue-operator", Digest: d, Tags: []string{"v0.1.0"}}, after: 185,
				added: []string{"- name: kueue-operator", "  dmap:", `    "` + d + `": ["v0.1.0"]`}},
		},
		"k8s-staging-sig-storage": {
			{name: "new digest, string order as the file keeps it", p: Promotion{Image: "csi-attacher", Digest: d, Tags: []string{"v4.12.0"}}, after: 18,
				added: []string{`    "` + d + `": [ "v4.12.0" ]`}},
			{name: "tag in padded list", p: Promotion{Image: "csi-provisioner", Digest: "sha256:438c04395d03fa671f8656d6f951332516754e330d1ac4f9588df1ba2870a366", Tags: []string{"v1.4"}}, after: 92,
				removed: []string{`    "sha256:438c04395d03fa671f8656d6f951332516754e330d1ac4f9588df1ba2870a366": [ "v1.4.0" ]`},
				added:   []string{`    "sha256:438c04395d03fa671f8656d6f951332516754e330d1ac4f9588df1ba2870a366": [ "v1.4.0", "v1.4" ]`}},
			{name: "new image, names unsorted so appended", p: Promotion{Image: "csi-foo", Digest: d, Tags: []string{"v1.0.0"}}, after: 454,
				added: []string{"- name: csi-foo", "  dmap:", `    "` + d + `": [ "v1.0.0" ]`}},
		},
		"k8s-staging-experimental": {
			{name: "new digest after its pre-release", p: Promotion{Image: "kube-apiserver-amd64", Digest: d, Tags: []string{"v1.26.0"}}, after: 33,
				added: []string{`    "` + d + `": ["v1.26.0"]`}},
			{name: "tag on existing digest", p: Promotion{Image: "conformance", Digest: "sha256:63d5989e6e254d760e0fde774b3b40d49cf0b658a330e435515997c45f3f1830", Tags: []string{"v1.25"}}, after: 3,
				removed: []string{`    "sha256:63d5989e6e254d760e0fde774b3b40d49cf0b658a330e435515997c45f3f1830": ["v1.25.2"]`},
				added:   []string{`    "sha256:63d5989e6e254d760e0fde774b3b40d49cf0b658a330e435515997c45f3f1830": ["v1.25.2", "v1.25"]`}},
			{name: "new image in name order", p: Promotion{Image: "etcd", Digest: d, Tags: []string{"v3.6.0"}}, after: 25,
				added: []string{"- name: etcd", "  dmap:", `    "` + d + `": ["v3.6.0"]`}},
		},
		"k8s-staging-boskos": {
			{name: "new digest, one entry so appended", p: Promotion{Image: "boskos", Digest: d, Tags: []string{"v20260101-abcdef0"}}, after: 3,
				added: []string{`    "` + d + `": ["v20260101-abcdef0"]`}},
			{name: "tag on existing digest", p: Promotion{Image: "boskos", Digest: "sha256:c18bad03ce7259951a816d60040a7008f694273b1382bed4c727d22b93a1bbe9", Tags: []string{"v0.1.0"}}, after: 3,
				removed: []string{`    "sha256:c18bad03ce7259951a816d60040a7008f694273b1382bed4c727d22b93a1bbe9": ["v20250131-478cd5d"]`},
				added:   []string{`    "sha256:c18bad03ce7259951a816d60040a7008f694273b1382bed4c727d22b93a1bbe9": ["v20250131-478cd5d", "v0.1.0"]`}},
			{name: "new image, one image so appended", p: Promotion{Image: "boskos-janitor", Digest: d, Tags: []string{"v0.1.0"}}, after: 3,
				added: []string{"- name: boskos-janitor", "  dmap:", `    "` + d + `": ["v0.1.0"]`}},
		},
		"k8s-staging-storage-migrator": {
			{name: "new digest", p: Promotion{Image: "storage-version-migration-trigger", Digest: d, Tags: []string{"v0.0.6"}}, after: 9,
				added: []string{`    "` + d + `": ["v0.0.6"]`}},
			{name: "tag on existing digest", p: Promotion{Image: "storage-version-migration-initializer", Digest: "sha256:2231d173b68c377c60e44ea4cdf2c0993abbf8b9e830e22ac34912570ea21240", Tags: []string{"v0.0"}}, after: 3,
				removed: []string{`    "sha256:2231d173b68c377c60e44ea4cdf2c0993abbf8b9e830e22ac34912570ea21240": ["v0.0.5"]`},
				added:   []string{`    "sha256:2231d173b68c377c60e44ea4cdf2c0993abbf8b9e830e22ac34912570ea21240": ["v0.0.5", "v0.0"]`}},
			{name: "new image first in name order", p: Promotion{Image: "storage-version-migration-controller", Digest: d, Tags: []string{"v0.0.6"}}, after: 0,
				added: []string{"- name: storage-version-migration-controller", "  dmap:", `    "` + d + `": ["v0.0.6"]`}},
		},
	}
	for dir, edits := range cases {
		for _, c := range edits {
			t.Run(dir+"/"+c.name, func(t *testing.T) {
				src := readReal(t, dir)
				m, err := Parse(src)
				if err != nil {
					t.Fatal(err)
				}
				r, err := m.Add(c.p)
				if err != nil {
					t.Fatal(err)
				}
				h := gitDiff(t, src, r.Content)
				want := hunk{oldStart: c.after, removed: c.removed, added: c.added}
				if len(c.removed) > 0 {
					want.oldStart = c.after // a changed line: the hunk starts at it
				}
				if fmt.Sprint(h) != fmt.Sprint([]hunk{want}) {
					t.Errorf("git diff\n got %+v\nwant %+v", h, []hunk{want})
				}
				// The promotion jobs find new digests with this regex over the diff.
				if !regexp.MustCompile(`"(sha256:[0-9a-f]{64})"`).MatchString(strings.Join(h[0].added, "\n")) {
					t.Error("the promotion job's regex finds no digest in the added lines")
				}
			})
		}
	}
}

type hunk struct {
	oldStart       int
	removed, added []string
}

// gitDiff runs `git diff --no-index` on two texts and returns its hunks, each
// located by the old line it starts at (for a pure insertion: the line after
// which the new lines go).
func gitDiff(t testing.TB, old, new []byte) []hunk {
	t.Helper()
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.yaml"), filepath.Join(dir, "b.yaml")
	if err := os.WriteFile(a, old, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(b, new, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("git", "diff", "--no-index", "--no-color", "-U0", a, b).Output()
	if ee, ok := err.(*exec.ExitError); err != nil && (!ok || ee.ExitCode() != 1) {
		t.Fatalf("git diff: %v", err)
	}
	header := regexp.MustCompile(`^@@ -(\d+)(?:,\d+)? \+\d+(?:,\d+)? @@`)
	var hunks []hunk
	for _, line := range strings.Split(string(out), "\n") {
		switch {
		case header.MatchString(line):
			n, _ := strconv.Atoi(header.FindStringSubmatch(line)[1])
			hunks = append(hunks, hunk{oldStart: n})
		case len(hunks) == 0, strings.HasPrefix(line, `\ `):
		case strings.HasPrefix(line, "-"):
			hunks[len(hunks)-1].removed = append(hunks[len(hunks)-1].removed, line[1:])
		case strings.HasPrefix(line, "+"):
			hunks[len(hunks)-1].added = append(hunks[len(hunks)-1].added, line[1:])
		}
	}
	return hunks
}
