package registry

import (
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// testRepo is a staging repository in an in-process OCI registry. ggcr talks
// plain HTTP to it because its host is 127.0.0.1.
type testRepo struct {
	t    testing.TB
	srv  *httptest.Server
	name string // e.g. "127.0.0.1:41234/k8s-staging-apisnoop/snoopdb"
}

// newTestRepo starts a registry without the OCI 1.1 referrers API, as
// gcr.io and Debian's docker-registry are; wrap, if not nil, wraps its
// handler to inject faults.
func newTestRepo(t testing.TB, wrap func(http.Handler) http.Handler) *testRepo {
	t.Helper()
	return startRepo(t, wrap)
}

// newReferrersRepo starts a registry with the referrers API.
func newReferrersRepo(t testing.TB, wrap func(http.Handler) http.Handler) *testRepo {
	t.Helper()
	return startRepo(t, wrap, ggcrregistry.WithReferrersSupport(true))
}

func startRepo(t testing.TB, wrap func(http.Handler) http.Handler, opts ...ggcrregistry.Option) *testRepo {
	t.Helper()
	opts = append(opts, ggcrregistry.Logger(log.New(io.Discard, "", 0)))
	var h http.Handler = ggcrregistry.New(opts...)
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	return &testRepo{t: t, srv: srv, name: host + "/k8s-staging-apisnoop/snoopdb"}
}

func (r *testRepo) ref(tag string) name.Tag {
	r.t.Helper()
	ref, err := name.NewTag(r.name + ":" + tag)
	if err != nil {
		r.t.Fatal(err)
	}
	return ref
}

// image returns a random image whose config declares p.
func (r *testRepo) image(p v1.Platform) v1.Image {
	r.t.Helper()
	img, err := random.Image(256, 1)
	if err != nil {
		r.t.Fatal(err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		r.t.Fatal(err)
	}
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture, cfg.Variant = p.OS, p.Architecture, p.Variant
	img, err = mutate.ConfigFile(img, cfg)
	if err != nil {
		r.t.Fatal(err)
	}
	return img
}

// pushImage pushes a single-platform image under tag and returns its digest.
func (r *testRepo) pushImage(tag string, p v1.Platform) string {
	r.t.Helper()
	img := r.image(p)
	if err := remote.Write(r.ref(tag), img); err != nil {
		r.t.Fatal(err)
	}
	return digestOf(r.t, img)
}

// index builds an index with one child per platform, each descriptor
// carrying its platform as buildx writes it.
func (r *testRepo) index(mt types.MediaType, platforms ...v1.Platform) v1.ImageIndex {
	r.t.Helper()
	adds := make([]mutate.IndexAddendum, 0, len(platforms))
	for _, p := range platforms {
		adds = append(adds, mutate.IndexAddendum{
			Add:        r.image(p),
			Descriptor: v1.Descriptor{Platform: &p},
		})
	}
	return mutate.IndexMediaType(mutate.AppendManifests(empty.Index, adds...), mt)
}

// withAttestation appends a BuildKit-style attestation manifest to idx.
func (r *testRepo) withAttestation(idx v1.ImageIndex) v1.ImageIndex {
	return mutate.AppendManifests(idx, mutate.IndexAddendum{
		Add: r.image(v1.Platform{}),
		Descriptor: v1.Descriptor{
			Platform: &v1.Platform{OS: "unknown", Architecture: "unknown"},
			Annotations: map[string]string{
				"vnd.docker.reference.type":   "attestation-manifest",
				"vnd.docker.reference.digest": "sha256:" + strings.Repeat("0", 64),
			},
		},
	})
}

func (r *testRepo) pushIndex(tag string, idx v1.ImageIndex) string {
	r.t.Helper()
	if err := remote.WriteIndex(r.ref(tag), idx); err != nil {
		r.t.Fatal(err)
	}
	return digestOf(r.t, idx)
}

// descriptor describes what tag points at, as a referrer's subject.
func (r *testRepo) descriptor(tag string) v1.Descriptor {
	r.t.Helper()
	d, err := remote.Head(r.ref(tag))
	if err != nil {
		r.t.Fatal(err)
	}
	return *d
}

// pushReferrer pushes an artifact manifest whose subject is subject and
// returns its digest. The artifact type is its config media type, which is
// where registries (ggcr's among them) read it from.
func (r *testRepo) pushReferrer(subject v1.Descriptor, artifactType string, annotations map[string]string) string {
	r.t.Helper()
	img, err := random.Image(64, 1)
	if err != nil {
		r.t.Fatal(err)
	}
	img = mutate.ConfigMediaType(mutate.MediaType(img, types.OCIManifestSchema1), types.MediaType(artifactType))
	if annotations != nil {
		img = mutate.Annotations(img, annotations).(v1.Image)
	}
	img = mutate.Subject(img, subject).(v1.Image)
	d := digestOf(r.t, img)
	ref, err := name.NewDigest(r.name + "@" + d)
	if err != nil {
		r.t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		r.t.Fatal(err)
	}
	return d
}

// pushArtifactTag pushes a small image under cosign's tag for digest, e.g.
// suffix "sig" gives sha256-<hex>.sig, and returns the tag.
func (r *testRepo) pushArtifactTag(digest, suffix string) string {
	r.t.Helper()
	tag := tagTarget(digest) + "." + suffix
	r.pushImage(tag, v1.Platform{})
	return tag
}

func digestOf(t testing.TB, d interface{ Digest() (v1.Hash, error) }) string {
	t.Helper()
	h, err := d.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return h.String()
}

// countingTransport records every request the resolver sends, the way the
// service's metric counts registry calls.
type countingTransport struct {
	mu    sync.Mutex
	calls []string
	agent string
}

func (c *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.calls = append(c.calls, req.Method+" "+req.URL.Scheme+" "+req.URL.Path)
	c.agent = req.Header.Get("User-Agent")
	c.mu.Unlock()
	return remote.DefaultTransport.RoundTrip(req)
}

func (c *countingTransport) snapshot() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.calls...)
}

// faults answers the first n requests accepted by match with status and a
// registry error body, then lets requests through to the registry.
type faults struct {
	mu     sync.Mutex
	n      int
	status int
	code   string
	match  func(*http.Request) bool
}

func (f *faults) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if !f.take(req) {
			next.ServeHTTP(w, req)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(f.status)
		io.WriteString(w, `{"errors":[{"code":"`+f.code+`","message":"injected by test"}]}`)
	})
}

func (f *faults) take(req *http.Request) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.n == 0 || (f.match != nil && !f.match(req)) {
		return false
	}
	f.n--
	return true
}

func pathContains(s string) func(*http.Request) bool {
	return func(req *http.Request) bool { return strings.Contains(req.URL.Path, s) }
}

var (
	amd64 = v1.Platform{OS: "linux", Architecture: "amd64"}
	arm64 = v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}
	s390x = v1.Platform{OS: "linux", Architecture: "s390x"}
)
