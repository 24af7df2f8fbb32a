package manifest

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// syntheticKubernetes builds, deterministically, an images.yaml shaped like
// kubernetes/k8s.io's largest file, k8s-staging-kubernetes: ~1.5 MB, ~16,000
// digests in ~150 images, written the way `kpromo pr` writes it (names sorted,
// digests ordered by their smallest tag as a plain string, so v1.10.0 comes
// before v1.9.0; `["a","b"]` lists without spaces).
var syntheticKubernetes = sync.OnceValue(func() []byte {
	bases := []string{
		"agnhost", "busybox", "cloud-controller-manager", "conformance", "debian-base",
		"debian-hyperkube-base", "debian-iptables", "etcd", "etcd-empty-dir-cleanup", "fluentd-elasticsearch",
		"go-runner", "hyperkube", "kube-addon-manager", "kube-aggregator", "kube-apiserver",
		"kube-controller-manager", "kube-cross", "kube-proxy", "kube-scheduler", "kubeadm",
		"kubectl", "kubelet", "mounttest", "pause", "setcap",
	}
	arches := []string{"", "-amd64", "-arm", "-arm64", "-ppc64le", "-s390x"}
	var names []string
	for _, b := range bases {
		for _, a := range arches {
			names = append(names, b+a)
		}
	}
	slices.Sort(names)

	// Every release tag of a v1.X line: pre-releases, then patches.
	var releases []string
	for minor := range 34 {
		v := "v1." + strconv.Itoa(minor)
		for _, pre := range []string{"alpha.0", "alpha.1", "alpha.2", "alpha.3", "beta.0", "beta.1", "beta.2", "rc.0", "rc.1", "rc.2"} {
			releases = append(releases, v+".0-"+pre)
		}
		for patch := range 5 + minor%12 {
			releases = append(releases, v+"."+strconv.Itoa(patch))
		}
	}

	counter := 0
	digest := func() string {
		counter++
		sum := sha256.Sum256([]byte(strconv.Itoa(counter)))
		return "sha256:" + hex.EncodeToString(sum[:])
	}
	var b strings.Builder
	b.Grow(1 << 21)
	type entry struct {
		key  string
		line string
	}
	for i, name := range names {
		n := 95 + (i*13)%25 // 95..119 digests
		start := (i * 37) % (len(releases) - n)
		entries := make([]entry, 0, n)
		for _, tag := range releases[start : start+n] {
			tags := []string{tag}
			// A few x.y.0 releases also carry their minor tag, as kpromo writes them.
			if minor, ok := strings.CutSuffix(tag, ".0"); ok && !strings.Contains(tag, "-") && (i+len(minor))%4 == 0 {
				tags = append(tags, minor)
			}
			entries = append(entries, entry{
				key:  slices.Min(tags),
				line: `    "` + digest() + `": ["` + strings.Join(tags, `","`) + `"]` + "\n",
			})
		}
		slices.SortFunc(entries, func(a, b entry) int { return strings.Compare(a.key, b.key) })
		b.WriteString("- name: " + name + "\n  dmap:\n")
		for _, e := range entries {
			b.WriteString(e.line)
		}
	}
	return []byte(b.String())
})

func TestSyntheticKubernetesShape(t *testing.T) {
	src := syntheticKubernetes()
	if n := len(src); n < 1_450_000 || n > 1_600_000 {
		t.Errorf("size %d bytes, want 1,450,000-1,600,000", n)
	}
	m, err := Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Warnings) != 0 {
		t.Errorf("warnings: %v", m.Warnings[:min(5, len(m.Warnings))])
	}
	if _, ok := scan(splitLines(src)); !ok {
		t.Error("the fast scanner does not read the synthetic file")
	}
	digests, twoTags := 0, 0
	for _, img := range m.Images {
		digests += len(img.Digests)
		for _, e := range img.Digests {
			if len(e.Tags) == 2 {
				twoTags++
			}
		}
		if !slices.IsSortedFunc(img.Digests, func(a, b Entry) int { return strings.Compare(slices.Min(a.Tags), slices.Min(b.Tags)) }) {
			t.Errorf("digests of %s are not in kpromo's order", img.Name)
		}
	}
	if digests < 15_000 || digests > 17_000 {
		t.Errorf("%d digests, want ~16,000", digests)
	}
	if twoTags == 0 {
		t.Error("no entry with two tags")
	}
	if n := len(m.Images); n < 100 || n > 200 {
		t.Errorf("%d images, want 100-200", n)
	}
	if !m.namesSorted() {
		t.Error("image names are not sorted")
	}
	t.Logf("%d bytes, %d images, %d digests (%d with two tags)", len(src), len(m.Images), digests, twoTags)

	// The benchmarks' promotions land in the middle of the file, as planned.
	for name, p := range map[string]Promotion{"new digest": benchNewDigest(t, m), "new image": benchNewImage(t, m)} {
		r, err := m.Add(p)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		c := r.Changes[0]
		if !r.Changed() || c.Line < 1000 || c.Line > m.text.n()-1000 {
			t.Errorf("%s: %+v, want a change in the middle of the file", name, c)
		}
		// The new digest goes where kpromo's string order puts it.
		if !slices.IsSortedFunc(r.Manifest.Lookup(p.Image), func(a, b Entry) int { return strings.Compare(slices.Min(a.Tags), slices.Min(b.Tags)) }) {
			t.Errorf("%s: the entries of %s are out of kpromo's order after the edit", name, p.Image)
		}
	}
}

// benchNewDigest promotes a new digest of the middle image under a new tag
// that sorts into the middle of its entries.
func benchNewDigest(tb testing.TB, m *Manifest) Promotion {
	img := m.Images[len(m.Images)/2]
	mid := img.Digests[len(img.Digests)/2]
	p := Promotion{Image: img.Name, Digest: newDigest("bench-digest"), Tags: []string{slices.Min(mid.Tags) + "-bench.1"}}
	for _, e := range m.Lookup(p.Image) {
		if e.Digest == p.Digest || slices.Contains(e.Tags, p.Tags[0]) {
			tb.Fatalf("%s is already in the file", p)
		}
	}
	return p
}

// benchNewImage promotes an image that is not in the file and whose name
// sorts into the middle.
func benchNewImage(tb testing.TB, m *Manifest) Promotion {
	p := Promotion{Image: m.Images[len(m.Images)/2].Name + "-bench", Digest: newDigest("bench-image"), Tags: []string{"v1.0.0"}}
	if len(m.Lookup(p.Image)) > 0 {
		tb.Fatalf("image %s is already in the file", p.Image)
	}
	return p
}

func benchEdit(b *testing.B, promotion func(testing.TB, *Manifest) Promotion) {
	src := syntheticKubernetes()
	m0, err := Parse(src)
	if err != nil {
		b.Fatal(err)
	}
	p := promotion(b, m0)
	b.ReportAllocs()
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		m, err := Parse(src)
		if err != nil {
			b.Fatal(err)
		}
		r, err := m.Add(p)
		if err != nil {
			b.Fatal(err)
		}
		if !r.Changed() {
			b.Fatalf("%s changed nothing", p)
		}
	}
}

// BenchmarkEditKubernetes is one promotion as promoter makes it: parse the
// file, add a digest (Add re-parses and checks the result).
func BenchmarkEditKubernetes(b *testing.B) { benchEdit(b, benchNewDigest) }

func BenchmarkEditKubernetesNewImage(b *testing.B) { benchEdit(b, benchNewImage) }

func BenchmarkParseKubernetes(b *testing.B) {
	src := syntheticKubernetes()
	b.ReportAllocs()
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		if _, err := Parse(src); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseKubernetesYAMLLibrary is the slow path Parse avoids, for comparison.
func BenchmarkParseKubernetesYAMLLibrary(b *testing.B) {
	src := syntheticKubernetes()
	b.ReportAllocs()
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		images, err := decode(src, splitLines(src))
		if err != nil {
			b.Fatal(err)
		}
		if len(images) == 0 {
			b.Fatal("no images")
		}
	}
}
