package image

import (
	"archive/tar"
	"bytes"
	"crypto/x509"
	"debug/buildinfo"
	"debug/elf"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"sigs.k8s.io/promoter/hack/image/imagebuild"
)

// imageIndex returns the layout's image index (the entry of index.json
// named by the version) and the other entries (the SBOMs).
func imageIndex(t *testing.T, p layout.Path, version string) (v1.ImageIndex, []v1.Descriptor) {
	t.Helper()
	top, err := p.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	m, err := top.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	var idx v1.ImageIndex
	var rest []v1.Descriptor
	for _, d := range m.Manifests {
		if d.Annotations[imagebuild.RefNameAnnotation] == version && d.MediaType == types.OCIImageIndex {
			if idx, err = top.ImageIndex(d.Digest); err != nil {
				t.Fatal(err)
			}
			continue
		}
		rest = append(rest, d)
	}
	if idx == nil {
		t.Fatalf("the layout's index.json names no image index %q: %+v", version, m.Manifests)
	}
	return idx, rest
}

func platformImage(t *testing.T, idx v1.ImageIndex, p v1.Platform) (v1.Image, v1.Descriptor) {
	t.Helper()
	m, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range m.Manifests {
		if d.Platform != nil && d.Platform.OS == p.OS && d.Platform.Architecture == p.Architecture {
			img, err := idx.Image(d.Digest)
			if err != nil {
				t.Fatal(err)
			}
			return img, d
		}
	}
	t.Fatalf("the index has no %s image", p)
	return nil, v1.Descriptor{}
}

type file struct {
	hdr  *tar.Header
	data []byte
}

// filesOf flattens the image's layers as a runtime would.
func filesOf(t *testing.T, img v1.Image) map[string]file {
	t.Helper()
	rc := mutate.Extract(img)
	defer rc.Close()
	out := map[string]file{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		out[strings.TrimSuffix(strings.TrimPrefix(filepath.Clean("/"+h.Name), "/"), "/")] = file{h, data}
	}
}

func TestIndexHasBothPlatforms(t *testing.T) {
	b := setup(t)
	idx, _ := imageIndex(t, b.cli, b.want.version)
	m, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if m.MediaType != types.OCIImageIndex {
		t.Errorf("index media type %s, want %s", m.MediaType, types.OCIImageIndex)
	}
	var got []string
	for _, d := range m.Manifests {
		if d.Platform == nil {
			t.Fatalf("index entry %s has no platform", d.Digest)
		}
		got = append(got, d.Platform.String())
		if d.ArtifactType != "" {
			t.Errorf("%s: an image's index entry has artifactType %q", d.Platform, d.ArtifactType)
		}
	}
	sort.Strings(got)
	if strings.Join(got, " ") != "linux/amd64 linux/arm64" {
		t.Errorf("platforms %v, want linux/amd64 and linux/arm64", got)
	}
	for k, v := range map[string]string{
		"org.opencontainers.image.revision": b.want.revision,
		"org.opencontainers.image.version":  b.want.version,
	} {
		if m.Annotations[k] != v {
			t.Errorf("index annotation %s = %q, want %q", k, m.Annotations[k], v)
		}
	}
}

func TestImageConfig(t *testing.T) {
	b := setup(t)
	idx, _ := imageIndex(t, b.cli, b.want.version)
	for _, p := range platforms {
		img, _ := platformImage(t, idx, p)
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		if cf.OS != p.OS || cf.Architecture != p.Architecture {
			t.Errorf("%s: config says %s/%s", p, cf.OS, cf.Architecture)
		}
		c := cf.Config
		if c.User != "65532:65532" {
			t.Errorf("%s: user %q, want 65532:65532 (nonroot; runAsNonRoot needs a number)", p, c.User)
		}
		if strings.Join(c.Entrypoint, " ") != "/promoter" || len(c.Cmd) != 0 {
			t.Errorf("%s: entrypoint %q cmd %q, want [/promoter] and no cmd", p, c.Entrypoint, c.Cmd)
		}
		labels := map[string]string{
			"org.opencontainers.image.source":   imagebuild.DefaultSourceURL,
			"org.opencontainers.image.revision": b.want.revision,
			"org.opencontainers.image.version":  b.want.version,
		}
		for k, v := range labels {
			if c.Labels[k] != v {
				t.Errorf("%s: label %s = %q, want %q", p, k, c.Labels[k], v)
			}
		}
		if !cf.Created.Time.Equal(b.want.created) {
			t.Errorf("%s: created %s, want the commit time %s", p, cf.Created.Time, b.want.created)
		}
		for _, h := range cf.History {
			if !h.Created.Time.Equal(b.want.created) {
				t.Errorf("%s: history %q created %s, want %s", p, h.CreatedBy, h.Created.Time, b.want.created)
			}
		}
		if cf.RootFS.Type != "layers" {
			t.Errorf("%s: rootfs type %q, want layers", p, cf.RootFS.Type)
		}
	}
}

func TestImageFiles(t *testing.T) {
	b := setup(t)
	idx, _ := imageIndex(t, b.cli, b.want.version)
	for _, p := range platforms {
		files := filesOf(t, mustImage(platformImage(t, idx, p)))
		var otherTime []string
		for name, f := range files {
			if !f.hdr.ModTime.Equal(b.want.created) {
				otherTime = append(otherTime, name)
			}
			if strings.HasPrefix(name, "bin/") || strings.HasPrefix(name, "sbin/") || strings.HasPrefix(name, "usr/bin/") || strings.HasPrefix(name, "usr/sbin/") {
				t.Errorf("%s: %s: the image should have no shell or tools", p, name)
			}
		}
		if len(otherTime) > 0 {
			sort.Strings(otherTime)
			t.Errorf("%s: %d files have a time other than the commit's %s, e.g. /%s", p, len(otherTime), b.want.created, otherTime[0])
		}
		checkMode(t, p, files, "promoter", tar.TypeReg, 0o755, 0)
		checkMode(t, p, files, "home/nonroot", tar.TypeDir, 0o700, 65532)
		checkMode(t, p, files, "tmp", tar.TypeDir, 0o1777, 0)
		checkMode(t, p, files, "etc/ssl/certs/ca-certificates.crt", tar.TypeReg, 0o644, 0)
		checkMode(t, p, files, "usr/share/zoneinfo/Etc/UTC", tar.TypeReg, 0o644, 0)
		checkMode(t, p, files, "usr/share/zoneinfo/UTC", tar.TypeSymlink, 0o777, 0)
		for name, line := range map[string]string{
			"etc/passwd":        "nonroot:x:65532:65532:nonroot:/home/nonroot:",
			"etc/group":         "nonroot:x:65532:",
			"etc/nsswitch.conf": "hosts:",
		} {
			if !strings.Contains(string(files[name].data), line) {
				t.Errorf("%s: %s lacks %q:\n%s", p, name, line, files[name].data)
			}
		}
		for _, who := range []string{"root:x:0:0:", "nobody:x:65534:65534:"} {
			if !strings.Contains(string(files["etc/passwd"].data), who) {
				t.Errorf("%s: etc/passwd lacks %q", p, who)
			}
		}
		checkBinary(t, p, files["promoter"].data)
	}
}

func mustImage(img v1.Image, _ v1.Descriptor) v1.Image { return img }

func checkMode(t *testing.T, p v1.Platform, files map[string]file, name string, typ byte, mode int64, uid int) {
	t.Helper()
	f, ok := files[name]
	if !ok {
		t.Errorf("%s: no /%s", p, name)
		return
	}
	if f.hdr.Typeflag != typ || f.hdr.Mode&0o7777 != mode || f.hdr.Uid != uid || f.hdr.Gid != uid {
		t.Errorf("%s: /%s is type %q mode %o owner %d:%d, want type %q mode %o owner %d:%d",
			p, name, f.hdr.Typeflag, f.hdr.Mode, f.hdr.Uid, f.hdr.Gid, typ, mode, uid, uid)
	}
}

// checkBinary: the binary is for the image's platform, static (no
// interpreter, no shared libraries) and built as the builder promises.
func checkBinary(t *testing.T, p v1.Platform, bin []byte) {
	t.Helper()
	f, err := elf.NewFile(bytes.NewReader(bin))
	if err != nil {
		t.Fatalf("%s: /promoter is not ELF: %v", p, err)
	}
	machine := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}[p.Architecture]
	if f.Machine != machine {
		t.Errorf("%s: /promoter is for %s", p, f.Machine)
	}
	for _, prog := range f.Progs {
		if prog.Type == elf.PT_INTERP {
			t.Errorf("%s: /promoter has a dynamic loader: not static", p)
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("%s: /promoter needs shared libraries %v", p, libs)
	}
	info, err := buildinfo.Read(bytes.NewReader(bin))
	if err != nil {
		t.Fatalf("%s: no Go build info: %v", p, err)
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	for k, v := range map[string]string{"CGO_ENABLED": "0", "-trimpath": "true", "GOARCH": p.Architecture, "GOOS": p.OS} {
		if settings[k] != v {
			t.Errorf("%s: binary built with %s=%q, want %q", p, k, settings[k], v)
		}
	}
	if info.Path != "sigs.k8s.io/promoter/cmd/plugin" {
		t.Errorf("%s: binary is %s, want sigs.k8s.io/promoter/cmd/plugin", p, info.Path)
	}
}

// TestCABundleIsDebians: the image's CA bundle is exactly the certificates
// of the pinned ca-certificates package, read here with dpkg-deb -x, and
// none of this machine's own additions slipped in.
func TestCABundleIsDebians(t *testing.T) {
	b := setup(t)
	lock, err := imagebuild.ReadLock(filepath.Join(b.root, "hack", "image", "debian.lock"))
	if err != nil {
		t.Fatal(err)
	}
	var deb string
	for _, d := range lock.Debs {
		if d.Name == "ca-certificates" {
			deb = filepath.Join(b.cache, d.Name+"_"+d.Version+".deb")
		}
	}
	dir := t.TempDir()
	if out, err := exec.Command("dpkg-deb", "-x", deb, dir).CombinedOutput(); err != nil {
		t.Fatalf("dpkg-deb -x %s: %v\n%s", deb, err, out)
	}
	crts, _ := filepath.Glob(filepath.Join(dir, "usr/share/ca-certificates/mozilla/*.crt"))
	debian := map[string]bool{}
	for _, c := range crts {
		raw, err := os.ReadFile(c)
		if err != nil {
			t.Fatal(err)
		}
		for k := range certs(raw) {
			debian[k] = true
		}
	}
	if len(debian) < 100 {
		t.Fatalf("only %d certificates in %s", len(debian), deb)
	}

	idx, _ := imageIndex(t, b.cli, b.want.version)
	files := filesOf(t, mustImage(platformImage(t, idx, platforms[0])))
	inImage := certs(files["etc/ssl/certs/ca-certificates.crt"].data)
	if extra := missing(inImage, debian); len(extra) > 0 {
		t.Errorf("the image's bundle has %d certificates that are not in Debian's package, e.g. %s", len(extra), extra[0])
	}
	if lacks := missing(debian, inImage); len(lacks) > 0 {
		t.Errorf("the image's bundle lacks %d certificates of Debian's package, e.g. %s", len(lacks), lacks[0])
	}
	for name, f := range files {
		if name != "etc/ssl/certs/ca-certificates.crt" && bytes.Contains(f.data, []byte("-----BEGIN CERTIFICATE-----")) {
			t.Errorf("/%s holds a certificate: only the bundle should", name)
		}
	}

	own, err := os.ReadFile("/etc/ssl/certs/ca-certificates.crt")
	if err != nil {
		t.Logf("no machine bundle to compare with: %v", err)
		return
	}
	machineOnly := map[string]bool{}
	for k := range certs(own) {
		if !debian[k] {
			machineOnly[k] = true
		}
	}
	var leaked []string
	for k := range machineOnly {
		if inImage[k] {
			leaked = append(leaked, subject(k))
		}
	}
	if len(leaked) > 0 {
		t.Errorf("%d certificates of this machine's own bundle, not Debian's, are in the image, e.g. %s", len(leaked), leaked[0])
	}
	if t.Failed() {
		return
	}
	t.Logf("image: %d certificates, all from Debian's %s; this machine's bundle has %d that Debian's has not, none in the image", len(inImage), filepath.Base(deb), len(machineOnly))
}

// missing names the certificates of a that b lacks, by subject.
func missing(a, b map[string]bool) []string {
	var out []string
	for k := range a {
		if !b[k] {
			out = append(out, subject(k))
		}
	}
	sort.Strings(out)
	return out
}

func subject(der string) string {
	c, err := x509.ParseCertificate([]byte(der))
	if err != nil {
		return "an unparsable certificate"
	}
	return c.Subject.String()
}

// certs are the DER bytes (as strings) of the PEM certificates in b.
func certs(b []byte) map[string]bool {
	out := map[string]bool{}
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			return out
		}
		if blk.Type == "CERTIFICATE" {
			out[string(blk.Bytes)] = true
		}
	}
}

// TestReproducible: a second build of the same commit, by the builder as a
// library rather than the command, gives the same index, images and SBOMs.
func TestReproducible(t *testing.T) {
	b := setup(t)
	first, _ := imageIndex(t, b.cli, b.want.version)
	d1, err := first.Digest()
	if err != nil {
		t.Fatal(err)
	}
	d2, err := b.again.Index.Digest()
	if err != nil {
		t.Fatal(err)
	}
	if d1 != d2 {
		t.Errorf("two builds of %s: index %s and %s", b.want.revision, d1, d2)
	}
	raw1, err1 := os.ReadFile(filepath.Join(string(b.cli), "index.json"))
	raw2, err2 := os.ReadFile(filepath.Join(string(b.againDir), "index.json"))
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if !bytes.Equal(raw1, raw2) {
		t.Errorf("the layouts' index.json differ (SBOM digests):\n%s\n%s", raw1, raw2)
	}
	t.Logf("both builds: index %s; the command's build took %s", d1, b.cliTime.Round(100e6))
}

// TestSizes: what a node pulls stays small (goal: under 25 MB compressed).
func TestSizes(t *testing.T) {
	b := setup(t)
	sizes, err := b.again.Sizes()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sizes {
		t.Logf("%s: %.1f MB compressed, %.1f MB uncompressed, binary %.1f MB", s.Platform, mb(s.Compressed), mb(s.Uncompressed), mb(s.Binary))
		if s.Compressed > 25e6 {
			t.Errorf("%s: %.1f MB compressed, over the 25 MB goal", s.Platform, mb(s.Compressed))
		}
	}
	if !strings.Contains(b.cliOut, "linux/amd64") || !strings.Contains(b.cliOut, "compressed") {
		t.Errorf("the command did not print the sizes:\n%s", b.cliOut)
	}
}

func mb(n int64) float64 { return float64(n) / 1e6 }

// spdx is the part of an SPDX document checked here.
type spdx struct {
	SPDXVersion string
	Packages    []struct {
		Name        string
		SPDXID      string
		VersionInfo string
	}
	Relationships []struct {
		SPDXElementID      string `json:"spdxElementId"`
		RelationshipType   string
		RelatedSPDXElement string `json:"relatedSpdxElement"`
	}
}

// TestSBOM: each platform image has an SPDX SBOM as a referrer in the
// layout, naming the binary's Go modules (as `go version -m` reads them
// from the binary) and the base's Debian packages.
func TestSBOM(t *testing.T) {
	b := setup(t)
	idx, rest := imageIndex(t, b.cli, b.want.version)
	top, err := b.cli.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range platforms {
		img, desc := platformImage(t, idx, p)
		var doc []byte
		for _, d := range rest {
			art, err := top.Image(d.Digest)
			if err != nil {
				t.Fatal(err)
			}
			m, err := art.Manifest()
			if err != nil {
				t.Fatal(err)
			}
			if m.Subject == nil || m.Subject.Digest != desc.Digest {
				continue
			}
			if m.ArtifactType != imagebuild.SPDXMediaType || len(m.Layers) != 1 {
				t.Fatalf("%s: referrer %s is not one SPDX document: %+v", p, d.Digest, m)
			}
			layers, _ := art.Layers()
			rc, err := layers[0].Uncompressed()
			if err != nil {
				t.Fatal(err)
			}
			doc, _ = io.ReadAll(rc)
			rc.Close()
		}
		if doc == nil {
			t.Fatalf("%s: no SBOM refers to the image %s", p, desc.Digest)
		}
		var s spdx
		if err := json.Unmarshal(doc, &s); err != nil {
			t.Fatalf("%s: SBOM: %v", p, err)
		}
		if s.SPDXVersion != "SPDX-2.3" {
			t.Errorf("%s: SBOM version %q", p, s.SPDXVersion)
		}
		inSBOM := map[string]string{}
		for _, pkg := range s.Packages {
			inSBOM[pkg.Name] = pkg.VersionInfo
		}
		info, err := buildinfo.Read(bytes.NewReader(filesOf(t, img)["promoter"].data))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range info.Deps {
			if m.Replace != nil {
				m = m.Replace
			}
			if inSBOM[m.Path] != m.Version {
				t.Errorf("%s: SBOM has %s at %q, the binary links %s", p, m.Path, inSBOM[m.Path], m.Version)
			}
		}
		for _, pkg := range []string{"ca-certificates", "tzdata", "stdlib"} {
			if inSBOM[pkg] == "" {
				t.Errorf("%s: SBOM lacks %s", p, pkg)
			}
		}
		if len(info.Deps) < 50 {
			t.Errorf("%s: only %d modules in the binary's build info", p, len(info.Deps))
		}
	}
}
