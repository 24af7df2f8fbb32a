package imagebuild

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// Source is what the image says about the code it was built from: its OCI
// labels org.opencontainers.image.{source,revision,version}, and the time
// given to every file, layer and config, which makes builds reproducible.
type Source struct {
	URL      string    // the repository, e.g. https://github.com/kubernetes-sigs/promoter
	Revision string    // the git commit
	Version  string    // git describe --tags --always --dirty
	Time     time.Time // SOURCE_DATE_EPOCH, else the commit's time
}

// DefaultSourceURL is where the module sigs.k8s.io/promoter lives.
const DefaultSourceURL = "https://github.com/kubernetes-sigs/promoter"

// SourceOf reads the Source of the git checkout at root. SOURCE_DATE_EPOCH,
// when set, overrides the commit time (https://reproducible-builds.org).
func SourceOf(ctx context.Context, root string) (Source, error) {
	s := Source{URL: DefaultSourceURL}
	var err error
	if s.Revision, err = git(ctx, root, "rev-parse", "HEAD"); err != nil {
		return s, err
	}
	if s.Version, err = git(ctx, root, "describe", "--tags", "--always", "--dirty"); err != nil {
		return s, err
	}
	epoch := os.Getenv("SOURCE_DATE_EPOCH")
	if epoch == "" {
		if epoch, err = git(ctx, root, "log", "-1", "--format=%ct"); err != nil {
			return s, err
		}
	}
	sec, err := strconv.ParseInt(epoch, 10, 64)
	if err != nil {
		return s, fmt.Errorf("SOURCE_DATE_EPOCH %q: not a number of seconds", epoch)
	}
	s.Time = time.Unix(sec, 0).UTC()
	return s, nil
}

func git(ctx context.Context, dir string, args ...string) (string, error) {
	out, err := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...).Output()
	if err != nil {
		return "", fmt.Errorf("git %s: %w", strings.Join(args, " "), stderrOf(err))
	}
	return strings.TrimSpace(string(out)), nil
}
