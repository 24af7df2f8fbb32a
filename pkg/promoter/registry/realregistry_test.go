package registry

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// dockerRegistryBin is Debian's docker-registry package: the CNCF
// distribution registry 2.8, which has no OCI 1.1 referrers API.
const dockerRegistryBin = "/usr/bin/docker-registry"

// startDockerRegistry runs a real registry server on a loopback port with
// its storage under a temporary directory, stopped when the test ends.
func startDockerRegistry(t *testing.T) *testRepo {
	t.Helper()
	if _, err := os.Stat(dockerRegistryBin); err != nil {
		t.Skipf("no real registry to test against: %v (apt-get install docker-registry)", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	host := l.Addr().String()
	l.Close()
	dir := t.TempDir()
	config := filepath.Join(dir, "config.yml")
	err = os.WriteFile(config, fmt.Appendf(nil, `version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
http:
  addr: %s
`, filepath.Join(dir, "storage"), host), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	cmd := exec.Command(dockerRegistryBin, "serve", config)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		select {
		case err := <-exited:
			t.Fatalf("docker-registry exited: %v\n%s", err, out.String())
		default:
		}
		if resp, err := http.Get("http://" + host + "/v2/"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("docker-registry on %s did not answer /v2/ within 20s\n%s", host, out.String())
		}
	}
	return &testRepo{t: t, name: host + "/k8s-staging-apisnoop/snoopdb"}
}

// TestRealRegistry checks against a registry server that is not ggcr's:
// cosign tags, the referrers tag a client keeps where the referrers API is
// missing, provenance, and Lookup's answers.
func TestRealRegistry(t *testing.T) {
	repo := startDockerRegistry(t)
	idx := repo.index(types.OCIImageIndex, amd64, arm64)
	idx = mutate.Annotations(idx, map[string]string{revisionKey: commit, sourceKey: source}).(v1.ImageIndex)
	build := repo.pushIndex("v20260822-v1.2.3", idx)
	child, _ := firstChildOf(t, idx)
	idxSig := repo.pushArtifactTag(build, "sig")
	childSig := repo.pushArtifactTag(child, "sig")
	// ggcr keeps the referrers tag, as cosign does, on a registry without the API.
	referrer := repo.pushReferrer(repo.descriptor("v20260822-v1.2.3"), cosignSigType, nil)
	older := repo.pushImage("v20260821-v1.2.3", amd64)

	b := mustResolve(t, repo.name, release)

	if b.Digest != build || !b.MultiArch() || len(b.PassedOver) != 1 || b.PassedOver[0].Digest != older {
		t.Errorf("got %+v, want index %s with %s passed over", b, build, older)
	}
	assertProvenance(t, b, commit, source, "index annotations")
	assertAttached(t, b.Attached, []Artifact{
		{Kind: KindSignature, Subject: build, Tag: idxSig},
		{Kind: KindSignature, Subject: child, Platform: "linux/amd64", Tag: childSig},
		{Kind: KindSignature, Subject: build, Tag: tagTarget(build), Digest: referrer, ArtifactType: cosignSigType},
	})
	if b.ReferrersNote != "" {
		t.Errorf("ReferrersNote = %q", b.ReferrersNote)
	}

	r := New()
	for _, tc := range []struct {
		ref   string
		want  string
		found bool
	}{
		{repo.name + ":v20260822-v1.2.3", build, true},
		{repo.name + ":v20260821-v1.2.3", older, true}, // a tag on another digest
		{repo.name + ":v1.2.3", "", false},
		{strings.Replace(repo.name, "snoopdb", "auditlogger", 1) + ":v20260822-v1.2.3", "", false},
	} {
		got, found, err := r.Lookup(t.Context(), tc.ref)
		if err != nil || found != tc.found || got != tc.want {
			t.Errorf("Lookup(%s) = %q, %v, %v; want %q, %v, nil", tc.ref, got, found, err, tc.want, tc.found)
		}
	}
}
