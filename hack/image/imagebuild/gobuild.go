package imagebuild

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// goBuildFlags make a static binary that does not depend on where or from
// what it was built: no cgo, no local paths, no VCS stamp (the revision is
// in the image's labels, so a tarball and a git checkout of one commit
// give the same binary), no symbol table or DWARF (a third of the size).
var goBuildFlags = []string{"-trimpath", "-buildvcs=false", "-ldflags=-s -w"}

// goBuild compiles pkg (relative to the module at root) for platform p into
// out.
func goBuild(ctx context.Context, root, pkg string, p v1.Platform, out string) error {
	args := append([]string{"build"}, goBuildFlags...)
	args = append(args, "-o", out, pkg)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), goEnv(p)...)
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s for %s: %v\n%s", pkg, p, err, b)
	}
	return nil
}

// goEnv fixes the target, including the instruction-set level, which a
// developer's GOAMD64=v3 would otherwise raise beyond what older nodes run.
func goEnv(p v1.Platform) []string {
	env := []string{"CGO_ENABLED=0", "GOOS=" + p.OS, "GOARCH=" + p.Architecture, "GOAMD64=v1", "GOARM64=v8.0"}
	if p.Architecture == "arm" && p.Variant != "" {
		env = append(env, "GOARM="+strings.TrimPrefix(p.Variant, "v"))
	}
	return env
}

// GoBuildCommand is the build command, as recorded in the image's history.
func GoBuildCommand(pkg string) string {
	return "CGO_ENABLED=0 go build " + strings.Join(quoteAll(goBuildFlags), " ") + " " + pkg
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		if strings.ContainsAny(s, " ") {
			s = "'" + s + "'"
		}
		out[i] = s
	}
	return out
}
