// Package image builds promoter's container image with the builder `make
// image` uses (hack/image) and checks the image itself: its platforms,
// config and files, that it is reproducible, that it runs as the nonroot
// user on a read-only root, and that it pushes to a real registry.
package image

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"

	"sigs.k8s.io/promoter/hack/image/imagebuild"
	"sigs.k8s.io/promoter/test/harness"
)

var platforms = []v1.Platform{{OS: "linux", Architecture: "amd64"}, {OS: "linux", Architecture: "arm64"}}

// build is the image built once for all tests of this package: by the
// command `make image` runs (which also pushes it to a registry without the
// referrers API, as Debian's docker-registry is), and a second time by the
// same builder as a library, for the reproducibility check.
type build struct {
	root     string
	cache    string      // .deb cache, shared with `make image`
	want     want        // what the labels must say, read from git here
	cli      layout.Path // the first build's layout
	cliOut   string      // what the command printed
	cliTime  time.Duration
	again    *imagebuild.Result
	againDir layout.Path
	reg      *httptest.Server // where the command pushed (no referrers API)
	repo     string           // <reg>/promoter
}

type want struct {
	revision, version string
	created           time.Time
}

var (
	once     sync.Once
	built    *build
	buildErr string
	tmpDir   string // the builds' layouts, removed after the tests
)

// setup builds the image, or skips where this machine cannot.
func setup(t *testing.T) *build {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: building the image for two platforms takes from seconds (warm Go cache) to minutes (cold)")
	}
	for _, tool := range []string{"apt-get", "dpkg-deb", "git"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not found: the offline base is made of Debian packages (apt-get download, dpkg-deb) and labelled from git", tool)
		}
	}
	once.Do(func() { built, buildErr = doBuild() })
	if buildErr != "" {
		t.Fatal(buildErr)
	}
	return built
}

func doBuild() (*build, string) {
	root, err := harness.RepoRoot()
	if err != nil {
		return nil, err.Error()
	}
	b := &build{root: root, cache: filepath.Join(root, "bin", "cache", "debs")}
	if b.want, err = gitWant(root); err != nil {
		return nil, err.Error()
	}
	tmp, err := os.MkdirTemp("", "image-test-")
	if err != nil {
		return nil, err.Error()
	}
	tmpDir = tmp
	b.reg = httptest.NewServer(registry.New(registry.WithReferrersSupport(false), quiet))
	b.repo = strings.TrimPrefix(b.reg.URL, "http://") + "/promoter"

	start := time.Now()
	cmd := exec.Command("go", "run", "./hack/image", "-out", filepath.Join(tmp, "cli"), "-cache", b.cache, "-repo", b.repo)
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, "go run ./hack/image: " + err.Error() + "\n" + stderr.String()
	}
	b.cliTime, b.cliOut = time.Since(start), string(out)
	if b.cli, err = layout.FromPath(filepath.Join(tmp, "cli")); err != nil {
		return nil, err.Error()
	}

	ctx := context.Background()
	src, err := imagebuild.SourceOf(ctx, root)
	if err != nil {
		return nil, err.Error()
	}
	b.again, err = imagebuild.Build(ctx, imagebuild.Options{
		Root: root, Package: "./cmd/plugin", Platforms: platforms,
		Lock: filepath.Join(root, "hack", "image", "debian.lock"), Cache: b.cache, Source: src,
	})
	if err != nil {
		return nil, "second build: " + err.Error()
	}
	if _, err := b.again.WriteLayout(filepath.Join(tmp, "again"), src.Version); err != nil {
		return nil, err.Error()
	}
	if b.againDir, err = layout.FromPath(filepath.Join(tmp, "again")); err != nil {
		return nil, err.Error()
	}
	// A commit or an edit during the builds changes the labels (revision,
	// version with -dirty) between them: say so rather than report a
	// difference in digests.
	if now, err := gitWant(root); err != nil || now != b.want {
		return nil, fmt.Sprintf("the checkout changed while the image was built (from %+v to %+v, %v): run the test again", b.want, now, err)
	}
	return b, ""
}

// gitWant reads, independently of the builder, what the labels and times
// must be: the commit, git describe, and the commit time (or
// SOURCE_DATE_EPOCH).
func gitWant(root string) (want, error) {
	var w want
	run := func(args ...string) (string, error) {
		out, err := exec.Command("git", append([]string{"-C", root}, args...)...).Output()
		return strings.TrimSpace(string(out)), err
	}
	var err error
	if w.revision, err = run("rev-parse", "HEAD"); err != nil {
		return w, err
	}
	if w.version, err = run("describe", "--tags", "--always", "--dirty"); err != nil {
		return w, err
	}
	epoch := os.Getenv("SOURCE_DATE_EPOCH")
	if epoch == "" {
		if epoch, err = run("show", "-s", "--format=%ct", "HEAD"); err != nil {
			return w, err
		}
	}
	sec, err := strconv.ParseInt(epoch, 10, 64)
	w.created = time.Unix(sec, 0).UTC()
	return w, err
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built != nil {
		built.reg.Close()
	}
	if tmpDir != "" {
		os.RemoveAll(tmpDir)
	}
	os.Exit(code)
}
