// Package registry reads image registries with go-containerregistry.
//
// The image job of a subproject pushes builds into a staging repository
// (for example gcr.io/k8s-staging-apisnoop/snoopdb) under tags such as
// v20260822-v1.2.3. Resolve lists the repository once, picks the newest tag
// matching the caller's pattern and reports the digest that tag points at
// (the index, for a multi-arch image), which is what the promoter writes
// into images.yaml, with the platforms, the older builds passed over, the
// revision and source the build says it came from, and the signatures,
// attestations and SBOMs attached to it. Lookup checks a promoted tag in
// production.
//
// It reads anonymously and never writes. Errors say whether they are worth
// retrying (IsTransient); go-containerregistry's own retries are off, so the
// caller's backoff is the only one.
package registry
