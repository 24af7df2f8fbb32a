// Command image builds promoter's container image without a Docker daemon:
// the binary of ./cmd/plugin for each platform on a distroless-style
// nonroot base, as one OCI image index in an OCI image layout, with an SPDX
// SBOM per platform; with -repo it also pushes them. Two builds of one
// commit give the same digest. See `make image`.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"text/tabwriter"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"sigs.k8s.io/promoter/hack/image/imagebuild"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "image:", err)
		os.Exit(1)
	}
}

type flags struct {
	out, platforms, base, lock, cache, repo, tag, source string
	updateDebs                                           bool
}

func parse(args []string) (flags, error) {
	var f flags
	fs := flag.NewFlagSet("image", flag.ContinueOnError)
	fs.StringVar(&f.out, "out", "bin/image", "Write the OCI image layout here (an existing layout there is replaced).")
	fs.StringVar(&f.platforms, "platforms", "linux/amd64,linux/arm64", "Comma-separated platforms of the image index.")
	fs.StringVar(&f.base, "base", "", "Base image reference, e.g. gcr.io/distroless/static-debian12:nonroot@sha256:...; empty: the offline base made of the Debian packages pinned in -lock.")
	fs.StringVar(&f.lock, "lock", "hack/image/debian.lock", "The pinned Debian packages of the offline base.")
	fs.StringVar(&f.cache, "cache", "bin/cache/debs", "Keep downloaded .deb files here.")
	fs.StringVar(&f.repo, "repo", "", "Also push to this repository, e.g. gcr.io/my-project/promoter.")
	fs.StringVar(&f.tag, "tag", "", "Tag to push (default: the version, git describe).")
	fs.StringVar(&f.source, "source", imagebuild.DefaultSourceURL, "The org.opencontainers.image.source label.")
	fs.BoolVar(&f.updateDebs, "update-debs", false, "Pin the lock's packages to the versions apt-get downloads now, and exit.")
	return f, fs.Parse(args)
}

func run(ctx context.Context, args []string) error {
	f, err := parse(args)
	if err != nil {
		return err
	}
	if f.updateDebs {
		l, err := imagebuild.UpdateLock(ctx, f.lock, f.cache)
		if err == nil {
			fmt.Printf("%s: %v\n", f.lock, l.Debs)
		}
		return err
	}
	platforms, err := parsePlatforms(f.platforms)
	if err != nil {
		return err
	}
	root, err := os.Getwd()
	if err != nil {
		return err
	}
	src, err := imagebuild.SourceOf(ctx, root)
	if err != nil {
		return err
	}
	src.URL = f.source
	if f.tag == "" {
		f.tag = src.Version
	}
	// Check where the results go before minutes of compiling.
	if err := imagebuild.CheckOut(f.out); err != nil {
		return err
	}
	if f.repo != "" {
		if _, err := imagebuild.PushRef(f.repo, f.tag); err != nil {
			return err
		}
	}
	start := time.Now()
	res, err := imagebuild.Build(ctx, imagebuild.Options{
		Root: root, Package: "./cmd/plugin", Platforms: platforms, Base: f.base,
		Lock: f.lock, Cache: f.cache, Source: src, Log: os.Stderr,
	})
	if err != nil {
		return err
	}
	digest, err := res.WriteLayout(f.out, src.Version)
	if err != nil {
		return err
	}
	fmt.Printf("%s: index %s (%s, %s) built in %.1fs\n", f.out, digest, src.Version, src.Revision, time.Since(start).Seconds())
	if err := printSizes(res); err != nil {
		return err
	}
	if f.repo == "" {
		return nil
	}
	ref, err := res.Push(ctx, f.repo, f.tag)
	if err != nil {
		return err
	}
	fmt.Printf("pushed %s:%s\n%s\n", f.repo, f.tag, ref)
	return nil
}

func parsePlatforms(s string) ([]v1.Platform, error) {
	var out []v1.Platform
	for _, p := range strings.Split(s, ",") {
		pl, err := v1.ParsePlatform(strings.TrimSpace(p))
		if err != nil || pl.OS == "" || pl.Architecture == "" {
			return nil, fmt.Errorf("-platforms: %q is not os/arch[/variant]", p)
		}
		out = append(out, *pl)
	}
	return out, nil
}

func printSizes(res *imagebuild.Result) error {
	sizes, err := res.Sizes()
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "platform\tcompressed\tuncompressed\tbinary\t")
	for _, s := range sizes {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t\n", s.Platform, mb(s.Compressed), mb(s.Uncompressed), mb(s.Binary))
	}
	return w.Flush()
}

func mb(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/1e6) }
