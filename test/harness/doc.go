// Package harness sets up the real parts promoter's tests and demo run
// against, and the waits and checks the suites share: in-process OCI
// registries, the GitHub stand-in's repositories and process, the promoter
// binary as processes (replicas too), a Deck, a real kube-apiserver and etcd
// with Prow's ProwJob CRD, ProwJobs made by Prow's own code, and Debian's
// docker-registry behind a fault proxy.
//
// It is for tests only, and it holds no mocks: every part it starts is a
// real one.
package harness
