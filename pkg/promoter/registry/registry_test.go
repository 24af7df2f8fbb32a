package registry

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// release is the pattern a caller derives from git tag v1.2.3 for
// image-builder tags.
var release = regexp.MustCompile(`v[0-9]{8}-v1\.2\.3`)

func resolve(t *testing.T, repo string, match *regexp.Regexp, opts ...Option) (Build, error) {
	t.Helper()
	return New(opts...).Resolve(t.Context(), repo, match)
}

func mustResolve(t *testing.T, repo string, match *regexp.Regexp, opts ...Option) Build {
	t.Helper()
	b, err := resolve(t, repo, match, opts...)
	if err != nil {
		t.Fatalf("Resolve(%s, %s): %v", repo, match, err)
	}
	return b
}

func TestResolveMultiArchIndex(t *testing.T) {
	repo := newTestRepo(t, nil)
	idx := repo.index(types.OCIImageIndex, arm64, amd64)
	want := repo.pushIndex("v20260822-v1.2.3", idx)

	b := mustResolve(t, repo.name, release)

	if b.Digest != want {
		t.Errorf("Digest = %s, want the index digest %s", b.Digest, want)
	}
	im, _ := idx.IndexManifest()
	for _, child := range im.Manifests {
		if b.Digest == child.Digest.String() {
			t.Errorf("Digest is child %s, want the index", child.Digest)
		}
	}
	if got, want := b.Platforms, []string{"linux/amd64", "linux/arm64/v8"}; !slices.Equal(got, want) {
		t.Errorf("Platforms = %q, want %q", got, want)
	}
	if !b.Index || !b.MultiArch() || b.MediaType != string(types.OCIImageIndex) {
		t.Errorf("Index=%v MultiArch=%v MediaType=%s, want an OCI multi-arch index", b.Index, b.MultiArch(), b.MediaType)
	}
	if b.Tag != "v20260822-v1.2.3" || b.Repository != repo.name || len(b.PassedOver) != 0 || b.PlatformNote != "" {
		t.Errorf("got %+v", b)
	}
}

func TestResolveDockerManifestList(t *testing.T) {
	repo := newTestRepo(t, nil)
	want := repo.pushIndex("v20260822-v1.2.3", repo.index(types.DockerManifestList, amd64, s390x))

	b := mustResolve(t, repo.name, release)

	if b.Digest != want || b.MediaType != string(types.DockerManifestList) || !b.MultiArch() {
		t.Errorf("got %+v, want manifest list %s", b, want)
	}
}

func TestResolveSkipsAttestations(t *testing.T) {
	repo := newTestRepo(t, nil)
	repo.pushIndex("v20260822-v1.2.3", repo.withAttestation(repo.index(types.OCIImageIndex, amd64)))

	b := mustResolve(t, repo.name, release)

	if !slices.Equal(b.Platforms, []string{"linux/amd64"}) || b.MultiArch() {
		t.Errorf("Platforms = %q MultiArch = %v, want only linux/amd64 and not multi-arch", b.Platforms, b.MultiArch())
	}
}

func TestResolveSingleImage(t *testing.T) {
	repo := newTestRepo(t, nil)
	want := repo.pushImage("v20260822-v1.2.3", arm64)

	b := mustResolve(t, repo.name, release)

	if b.Digest != want || b.Index || b.MultiArch() {
		t.Errorf("got %+v, want single image %s", b, want)
	}
	if !slices.Equal(b.Platforms, []string{"linux/arm64/v8"}) {
		t.Errorf("Platforms = %q, want [linux/arm64/v8] from the config", b.Platforms)
	}
	if b.MediaType != string(types.DockerManifestSchema2) {
		t.Errorf("MediaType = %s", b.MediaType)
	}
}

func TestResolveUnknownPlatforms(t *testing.T) {
	repo := newTestRepo(t, nil)
	repo.pushIndex("v20260822-v1.2.3", repo.index(types.OCIImageIndex))
	repo.pushImage("v20260101-v1.2.3", v1.Platform{})

	b := mustResolve(t, repo.name, release)
	if !slices.Equal(b.Platforms, []string{UnknownPlatform}) || b.PlatformNote == "" || b.MultiArch() {
		t.Errorf("empty index: Platforms = %q, note %q", b.Platforms, b.PlatformNote)
	}

	b = mustResolve(t, repo.name, regexp.MustCompile(`v20260101-v1\.2\.3`))
	if !slices.Equal(b.Platforms, []string{UnknownPlatform}) || !strings.Contains(b.PlatformNote, "config") {
		t.Errorf("image without os/arch: Platforms = %q, note %q", b.Platforms, b.PlatformNote)
	}
}

func TestResolveNewestBuildWins(t *testing.T) {
	repo := newTestRepo(t, nil)
	older := repo.pushImage("v20260821-v1.2.3", amd64)
	newer := repo.pushIndex("v20260822-v1.2.3", repo.index(types.OCIImageIndex, amd64, arm64))
	repo.pushImage("v20260823-v1.2.3-rc.1", amd64)
	repo.pushImage("v1.2.3", amd64)

	b := mustResolve(t, repo.name, release)

	if b.Tag != "v20260822-v1.2.3" || b.Digest != newer {
		t.Errorf("chose %s %s, want v20260822-v1.2.3 %s", b.Tag, b.Digest, newer)
	}
	want := []Candidate{{Tag: "v20260821-v1.2.3", Digest: older}}
	if !slices.Equal(b.PassedOver, want) {
		t.Errorf("PassedOver = %+v, want %+v", b.PassedOver, want)
	}
}

func TestResolvePassedOverIsCapped(t *testing.T) {
	repo := newTestRepo(t, nil)
	img := repo.image(amd64)
	for day := 10; day < 10+maxPassedOver+2; day++ {
		if err := remote.Write(repo.ref(fmt.Sprintf("v202608%02d-v1.2.3", day)), img); err != nil {
			t.Fatal(err)
		}
	}

	b := mustResolve(t, repo.name, release)

	if b.Tag != "v20260821-v1.2.3" || len(b.PassedOver) != maxPassedOver || b.PassedOverOmitted != 1 {
		t.Fatalf("Tag %s, %d passed over, %d omitted", b.Tag, len(b.PassedOver), b.PassedOverOmitted)
	}
	if b.PassedOver[0].Tag != "v20260820-v1.2.3" || b.PassedOver[0].Digest != b.Digest {
		t.Errorf("PassedOver[0] = %+v, want the previous day with the same digest", b.PassedOver[0])
	}
}

func TestResolveMatchesWholeTag(t *testing.T) {
	repo := newTestRepo(t, nil)
	repo.pushImage("v20260822-v1.2.3-rc.1", amd64)
	repo.pushImage("xv20260822-v1.2.3", amd64)

	_, err := resolve(t, repo.name, release)
	if !errors.Is(err, ErrNoMatchingTag) {
		t.Fatalf("err = %v, want ErrNoMatchingTag: %s must not match a prefix or suffix", err, release)
	}

	want := repo.pushImage("v1.2.3", arm64)
	b := mustResolve(t, repo.name, regexp.MustCompile(`v1\.2\.3`))
	if b.Tag != "v1.2.3" || b.Digest != want || len(b.PassedOver) != 0 {
		t.Errorf("got %+v, want only the undated tag v1.2.3", b)
	}
}

func TestResolveNoMatchingTag(t *testing.T) {
	repo := newTestRepo(t, nil)
	repo.pushImage("v20260822-v1.2.2", amd64)

	_, err := resolve(t, repo.name, release)

	if !errors.Is(err, ErrNoMatchingTag) || IsTransient(err) {
		t.Fatalf("err = %v, want ErrNoMatchingTag and not transient", err)
	}
	for _, s := range []string{repo.name, release.String(), "1 listed tags"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not name %q", err, s)
		}
	}
}

// A repository that does not exist yet is the job not having pushed yet.
func TestResolveMissingRepository(t *testing.T) {
	repo := newTestRepo(t, nil)

	_, err := resolve(t, repo.name, release)

	if !errors.Is(err, ErrNoMatchingTag) || IsTransient(err) {
		t.Fatalf("err = %v, want ErrNoMatchingTag", err)
	}
	if !strings.Contains(err.Error(), "does not exist yet") || !strings.Contains(err.Error(), repo.name) {
		t.Errorf("error %q should say the repository does not exist yet", err)
	}
}

func TestResolveBadRepository(t *testing.T) {
	for _, repo := range []string{"", "snoopdb", "k8s-staging-apisnoop/snoopdb", "gcr.io/k8s-staging-apisnoop/Snoop DB", "gcr.io/x/snoopdb:v1"} {
		_, err := New().Resolve(context.Background(), repo, release)
		var e *Error
		if !errors.As(err, &e) || IsTransient(err) || errors.Is(err, ErrNoMatchingTag) {
			t.Errorf("Resolve(%q) err = %v, want a permanent *Error", repo, err)
			continue
		}
		if !strings.Contains(err.Error(), "registry host") {
			t.Errorf("Resolve(%q) error %q should say what a repository looks like", repo, err)
		}
	}
	if _, err := New().Resolve(context.Background(), "gcr.io/x/y", nil); err == nil || IsTransient(err) {
		t.Errorf("nil pattern: err = %v, want permanent", err)
	}
}

func TestJoin(t *testing.T) {
	for _, tc := range []struct{ root, image, want string }{
		{"gcr.io/k8s-staging-apisnoop", "snoopdb", "gcr.io/k8s-staging-apisnoop/snoopdb"},
		{"us-central1-docker.pkg.dev/k8s-staging-images/kueue/", "/kueue", "us-central1-docker.pkg.dev/k8s-staging-images/kueue/kueue"},
		{"127.0.0.1:5000/k8s-staging-x", "sub/img", "127.0.0.1:5000/k8s-staging-x/sub/img"},
	} {
		if got, err := Join(tc.root, tc.image); err != nil || got != tc.want {
			t.Errorf("Join(%q, %q) = %q, %v; want %q", tc.root, tc.image, got, err, tc.want)
		}
	}
	for _, tc := range [][2]string{{"k8s-staging-apisnoop", "snoopdb"}, {"gcr.io/x", ""}, {"gcr.io/x", "Snoop"}, {"gcr.io/x", "img:v1"}} {
		if got, err := Join(tc[0], tc[1]); err == nil || !strings.Contains(err.Error(), tc[0]) {
			t.Errorf("Join(%q, %q) = %q, %v; want an error naming the repository", tc[0], tc[1], got, err)
		}
	}
}
