package manifest

import (
	"bytes"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"testing"
)

// findBlock returns the one block of image name in src.
func findBlock(t *testing.T, m *Manifest, name string) Image {
	t.Helper()
	var found []Image
	for _, img := range m.Images {
		if img.Name == name {
			found = append(found, img)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d blocks of %s", len(found), name)
	}
	return found[0]
}

// digestPlus is d plus n as a 256-bit number: a digest next to d in string order.
func digestPlus(d string, n int64) string {
	v, _ := new(big.Int).SetString(strings.TrimPrefix(d, "sha256:"), 16)
	return fmt.Sprintf("sha256:%064x", v.Add(v, big.NewInt(n)))
}

// Real blocks that kpromo left in digest order, and no tag order, in the
// legacy k8s.gcr.io copies: a new digest lands at its place in digest order
// though its tag, the newest version, would put it last.
func TestCorpusDigestOrder(t *testing.T) {
	for _, c := range []struct{ dir, image string }{
		{"k8s-staging-cluster-api-azure", "cluster-api-azure-controller"},
		{"k8s-staging-cluster-api-do", "cluster-api-do-controller"},
		{"k8s-staging-cluster-api-gcp", "cluster-api-gcp-controller"},
		{"k8s-staging-bom", "bom"},
		{"k8s-staging-gmsa-webhook", "k8s-gmsa-webhook"},
	} {
		t.Run(c.dir, func(t *testing.T) {
			src := readCorpus(t, "k8s.gcr.io", c.dir)
			m := mustParse(t, src)
			img := findBlock(t, m, c.image)
			if class := blockOrderClass(img.Digests); class != "digest order only" {
				t.Fatalf("%s is no longer a block in digest order only: %s", c.image, class)
			}
			n := len(img.Digests)
			for _, at := range []int{0, 1, n / 2, n - 1, n} { // the new digest's index
				var d string
				line := img.layout.dmapLine + 1 // 1-based line it follows
				if at == 0 {
					d = digestPlus(img.Digests[0].Digest, -1)
				} else {
					d = digestPlus(img.Digests[at-1].Digest, 1)
					line = img.Digests[at-1].Line
				}
				r := mustAdd(t, src, Promotion{Image: c.image, Digest: d, Tags: []string{"v99.0.0"}})
				if want := insertAfter(src, line, `    "`+d+`": ["v99.0.0"]`); !bytes.Equal(r.Content, want) {
					t.Errorf("new digest %d of %d: not after line %d:\n%s", at, n, line, Diff("images.yaml", src, r.Content))
				}
			}
		})
	}
}

// Blocks in registry.k8s.io that kpromo may have written are in digest order
// and version order at once. Where the two agree the new digest lands there;
// where they part, version order wins (see chooseOrder for why).
func TestCorpusDigestAndVersionOrder(t *testing.T) {
	for _, c := range []struct{ dir, image string }{
		{"k8s-staging-sig-storage", "mock-driver"},
		{"k8s-staging-e2e-test-images", "apparmor-loader"},
		{"k8s-staging-tejolote", "tejolote"},
	} {
		t.Run(c.dir, func(t *testing.T) {
			src := readCorpus(t, "registry.k8s.io", c.dir)
			m := mustParse(t, src)
			img := findBlock(t, m, c.image)
			if class := blockOrderClass(img.Digests); !strings.HasPrefix(class, "digest and tag order (version") {
				t.Fatalf("%s is no longer in digest and version order: %s", c.image, class)
			}
			e := img.Digests[len(img.Digests)-2] // agree: after the next-to-last, by digest and by version
			d, tag := digestPlus(e.Digest, 1), e.Tags[0]+".1"
			r := mustAdd(t, src, Promotion{Image: c.image, Digest: d, Tags: []string{tag}})
			line := strings.NewReplacer(e.Digest, d, `"`+e.Tags[0]+`"`, `"`+tag+`"`).Replace(string(m.text.line(e.Line - 1)))
			if want := insertAfter(src, e.Line, line); !bytes.Equal(r.Content, want) {
				t.Errorf("new digest between both orders' neighbours not after line %d:\n%s", e.Line, Diff("images.yaml", src, r.Content))
			}
			// Part: the newest version with a digest that sorts first.
			d = digestPlus(img.Digests[0].Digest, -1)
			r = mustAdd(t, src, Promotion{Image: c.image, Digest: d, Tags: []string{"v99.0.0"}})
			last := img.Digests[len(img.Digests)-1].Line
			if removed, added := changedLines(src, r.Content); len(removed) != 0 || len(added) != 1 || r.Changes[0].Line != last+1 {
				t.Errorf("newest version not last (after line %d):\n%s", last, Diff("images.yaml", src, r.Content))
			}
		})
	}
}

// The real release-grouped files: removing the newest group and promoting
// its images again, under the release's git tag and in any order, gives the
// file back byte for byte. Legacy etcdadm's newest group changed the style
// of its header and gap, so there the group comes back in the style of the
// group before it.
func TestCorpusReleaseGroups(t *testing.T) {
	grouped := 0
	for _, f := range corpusFiles(t) {
		if mustParse(t, f.src).groups != nil {
			grouped++
		}
	}
	if grouped != 4 {
		t.Errorf("%d release-grouped files, want 4 (kops and etcdadm in both trees)", grouped)
	}
	for _, c := range []struct {
		tree, dir string
		warnings  int
	}{
		{"registry.k8s.io", "k8s-staging-kops", 0},
		{"registry.k8s.io", "k8s-staging-etcdadm", 1}, // etcd-manager twice in group v3.0.20230119
		{"k8s.gcr.io", "k8s-staging-kops", 0},
		{"k8s.gcr.io", "k8s-staging-etcdadm", 1},
	} {
		t.Run(c.tree+"/"+c.dir, func(t *testing.T) {
			src := readCorpus(t, c.tree, c.dir)
			m := mustParse(t, src)
			if m.groups == nil {
				t.Fatal("not recognised as release-grouped")
			}
			if len(m.Warnings) != c.warnings {
				t.Errorf("warnings: %v", m.Warnings)
			}
			g := m.groups
			newest := g.groups[len(g.groups)-1]
			cut := withoutLines(src, newest.header-g.gap, m.Images[newest.to-1].layout.last)
			var ps []Promotion
			for _, img := range slices.Backward(m.Images[newest.from:newest.to]) {
				for _, e := range img.Digests {
					ps = append(ps, Promotion{Image: img.Name, Digest: e.Digest, Tags: e.Tags, Release: "v" + trimV(newest.release)})
				}
			}
			r := mustAdd(t, cut, ps...)
			want := src
			if c.tree == "k8s.gcr.io" && c.dir == "k8s-staging-etcdadm" {
				want = bytes.Replace(src, []byte("\n# 3.0.20230201\n"), []byte("\n\n# v3.0.20230201\n"), 1)
			}
			if !bytes.Equal(r.Content, want) {
				t.Errorf("the newest group does not come back as it was:\n%s", Diff("images.yaml", want, r.Content))
			}
		})
	}
}
