// Package onboard writes and checks promoter configs for kubernetes/k8s.io's
// staging projects from two checkouts: test-infra (its image-push jobs, read
// with Prow's own config code, which also decides which branches and tags a
// job runs on) and kubernetes/k8s.io (images.yaml, OWNERS,
// promoter-manifest.yaml). Generate writes a config with each project's
// evidence in comments; Doctor says what in a config would go wrong.
//
// It reads local files only: no network, no GitHub, no registry. Where the
// files do not tell (which job builds an image), it says so instead of
// guessing.
package onboard
