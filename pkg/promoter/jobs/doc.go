// Package jobs answers "how did the image job for this release do?" from
// ProwJobs: in-cluster with a ProwJob informer (postsubmits only), or outside
// the cluster by polling Deck's /prowjobs.js. It reports runs that start and
// runs that finish, and lists them by job, repository and base ref.
//
// It only reads: it never creates or changes a ProwJob (promoter's RBAC is
// get, list and watch). A source that cannot sync says why and does not
// pretend to be ready.
package jobs
