package imagebuild

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"runtime/debug"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// SPDXMediaType is the media type of the SBOM: an SPDX 2.3 JSON document.
const SPDXMediaType = "application/spdx+json"

// The SPDX 2.3 JSON fields this SBOM uses.
type spdxDoc struct {
	SPDXVersion       string         `json:"spdxVersion"`
	DataLicense       string         `json:"dataLicense"`
	SPDXID            string         `json:"SPDXID"`
	Name              string         `json:"name"`
	DocumentNamespace string         `json:"documentNamespace"`
	CreationInfo      spdxCreation   `json:"creationInfo"`
	DocumentDescribes []string       `json:"documentDescribes"`
	Packages          []spdxPackage  `json:"packages"`
	Relationships     []spdxRelation `json:"relationships"`
}

type spdxCreation struct {
	Created  string   `json:"created"`
	Creators []string `json:"creators"`
}

type spdxPackage struct {
	Name             string         `json:"name"`
	SPDXID           string         `json:"SPDXID"`
	VersionInfo      string         `json:"versionInfo,omitempty"`
	DownloadLocation string         `json:"downloadLocation"`
	FilesAnalyzed    bool           `json:"filesAnalyzed"`
	LicenseConcluded string         `json:"licenseConcluded"`
	LicenseDeclared  string         `json:"licenseDeclared"`
	CopyrightText    string         `json:"copyrightText"`
	PrimaryPurpose   string         `json:"primaryPackagePurpose,omitempty"`
	Checksums        []spdxChecksum `json:"checksums,omitempty"`
	ExternalRefs     []spdxRef      `json:"externalRefs,omitempty"`
	Comment          string         `json:"comment,omitempty"`
}

type spdxChecksum struct {
	Algorithm string `json:"algorithm"`
	Value     string `json:"checksumValue"`
}

type spdxRef struct {
	Category string `json:"referenceCategory"`
	Type     string `json:"referenceType"`
	Locator  string `json:"referenceLocator"`
}

type spdxRelation struct {
	Element string `json:"spdxElementId"`
	Type    string `json:"relationshipType"`
	Related string `json:"relatedSpdxElement"`
}

// sbomInput is what one platform image's SBOM describes.
type sbomInput struct {
	name      string // image name, e.g. promoter
	version   string
	image     v1.Hash // the platform image's manifest digest
	platform  v1.Platform
	binPath   string // in the image, e.g. /promoter
	binSHA256 string
	build     *debug.BuildInfo
	debs      []Deb  // the offline base's packages
	base      string // a base image reference, when not the offline base
	created   time.Time
}

// sbom writes the SPDX document: the image contains the binary and the
// base's Debian packages; the binary statically links the Go modules
// recorded in its build info, and the Go standard library.
func sbom(in sbomInput) ([]byte, error) {
	const noassert = "NOASSERTION"
	pkg := func(name, id, version, purl string) spdxPackage {
		p := spdxPackage{Name: name, SPDXID: id, VersionInfo: version, DownloadLocation: noassert,
			LicenseConcluded: noassert, LicenseDeclared: noassert, CopyrightText: noassert}
		if purl != "" {
			p.ExternalRefs = []spdxRef{{Category: "PACKAGE-MANAGER", Type: "purl", Locator: purl}}
		}
		return p
	}
	d := spdxDoc{
		SPDXVersion: "SPDX-2.3", DataLicense: "CC0-1.0", SPDXID: "SPDXRef-DOCUMENT",
		Name:              fmt.Sprintf("%s-%s-%s", in.name, in.version, strings.ReplaceAll(in.platform.String(), "/", "-")),
		DocumentNamespace: "https://sigs.k8s.io/promoter/spdx/" + in.image.Hex,
		CreationInfo:      spdxCreation{Created: in.created.UTC().Format(time.RFC3339), Creators: []string{"Tool: sigs.k8s.io/promoter/hack/image"}},
		DocumentDescribes: []string{"SPDXRef-Image"},
	}
	rel := func(a, typ, b string) { d.Relationships = append(d.Relationships, spdxRelation{a, typ, b}) }
	rel("SPDXRef-DOCUMENT", "DESCRIBES", "SPDXRef-Image")

	img := pkg(in.name, "SPDXRef-Image", in.version, ociPURL(in.name, in.image, in.platform))
	img.PrimaryPurpose = "CONTAINER"
	img.Checksums = []spdxChecksum{{"SHA256", in.image.Hex}}
	bin := pkg(strings.TrimPrefix(in.binPath, "/"), "SPDXRef-Binary", in.version, "")
	bin.PrimaryPurpose = "APPLICATION"
	bin.Checksums = []spdxChecksum{{"SHA256", in.binSHA256}}
	d.Packages = append(d.Packages, img, bin)
	rel("SPDXRef-Image", "CONTAINS", "SPDXRef-Binary")

	if in.base != "" {
		d.Packages = append(d.Packages, pkg(in.base, "SPDXRef-Base", "", ""))
		rel("SPDXRef-Image", "DESCENDANT_OF", "SPDXRef-Base")
	}
	for i, deb := range in.debs {
		id := fmt.Sprintf("SPDXRef-Deb-%d", i)
		p := pkg(deb.Name, id, deb.Version, fmt.Sprintf("pkg:deb/debian/%s@%s?arch=all", deb.Name, url.PathEscape(deb.Version)))
		p.Checksums = []spdxChecksum{{"SHA256", deb.SHA256}}
		d.Packages = append(d.Packages, p)
		rel("SPDXRef-Image", "CONTAINS", id)
	}

	main := pkg(in.build.Main.Path, "SPDXRef-Main", in.version, goPURL(in.build.Main.Path, in.version))
	d.Packages = append(d.Packages, main)
	rel("SPDXRef-Binary", "GENERATED_FROM", "SPDXRef-Main")
	std := pkg("stdlib", "SPDXRef-Stdlib", in.build.GoVersion, goPURL("stdlib", in.build.GoVersion))
	d.Packages = append(d.Packages, std)
	rel("SPDXRef-Binary", "STATIC_LINK", "SPDXRef-Stdlib")
	for i, m := range in.build.Deps {
		if m.Replace != nil {
			m = m.Replace
		}
		id := fmt.Sprintf("SPDXRef-Go-%d", i)
		p := pkg(m.Path, id, m.Version, goPURL(m.Path, m.Version))
		if m.Sum != "" {
			// go.sum's hash of the module's files: it identifies the
			// module, but is no checksum of a file, which SPDX's are.
			p.Comment = "go.sum " + m.Sum
		}
		d.Packages = append(d.Packages, p)
		rel("SPDXRef-Binary", "STATIC_LINK", id)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // keep the & of package URLs readable
	enc.SetIndent("", "  ")
	err := enc.Encode(d)
	return b.Bytes(), err
}

// goPURL is the package URL of a Go module: pkg:golang/<path>@<version>.
func goPURL(path, version string) string {
	return "pkg:golang/" + path + "@" + url.PathEscape(version)
}

func ociPURL(name string, digest v1.Hash, p v1.Platform) string {
	return fmt.Sprintf("pkg:oci/%s@%s?arch=%s&os=%s", name, url.QueryEscape(digest.String()), p.Architecture, p.OS)
}

// sbomArtifact wraps an SBOM as an OCI 1.1 artifact whose subject is the
// image it describes, so registries list it among that image's referrers
// (and ggcr writes the referrers tag where a registry has no such API).
func sbomArtifact(doc []byte, subject v1.Descriptor, created time.Time) (v1.Image, error) {
	layer := static.NewLayer(doc, SPDXMediaType)
	ld, err := partial.Descriptor(layer)
	if err != nil {
		return nil, err
	}
	ld.Annotations = map[string]string{"org.opencontainers.image.title": "sbom.spdx.json"}
	m := v1.Manifest{
		SchemaVersion: 2,
		MediaType:     types.OCIManifestSchema1,
		ArtifactType:  SPDXMediaType,
		Config:        emptyDescriptor,
		Layers:        []v1.Descriptor{*ld},
		Subject:       &v1.Descriptor{MediaType: subject.MediaType, Digest: subject.Digest, Size: subject.Size},
		Annotations:   map[string]string{"org.opencontainers.image.created": created.UTC().Format(time.RFC3339)},
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	return partial.CompressedToImage(&artifact{manifest: raw, layer: layer})
}

// The OCI empty descriptor: the config of an artifact that has none.
var (
	emptyJSON       = []byte("{}")
	emptyDescriptor = v1.Descriptor{MediaType: types.OCIEmptyJSON, Size: 2, Digest: mustHash(emptyJSON), Data: emptyJSON}
)

func mustHash(b []byte) v1.Hash {
	h, _, err := v1.SHA256(bytes.NewReader(b))
	if err != nil {
		panic(err)
	}
	return h
}

// artifact is a manifest with one layer and the empty config.
type artifact struct {
	manifest []byte
	layer    v1.Layer
}

func (a *artifact) RawConfigFile() ([]byte, error)      { return emptyJSON, nil }
func (a *artifact) MediaType() (types.MediaType, error) { return types.OCIManifestSchema1, nil }
func (a *artifact) RawManifest() ([]byte, error)        { return a.manifest, nil }

func (a *artifact) LayerByDigest(h v1.Hash) (partial.CompressedLayer, error) {
	if d, _ := a.layer.Digest(); d == h {
		return a.layer, nil
	}
	if h == emptyDescriptor.Digest {
		return static.NewLayer(emptyJSON, types.OCIEmptyJSON), nil
	}
	return nil, fmt.Errorf("artifact has no blob %s", h)
}
