package promoter

import (
	"context"
	"regexp"
	"time"

	"sigs.k8s.io/promoter/pkg/promoter/jobs"
	"sigs.k8s.io/promoter/pkg/promoter/pullrequest"
	"sigs.k8s.io/promoter/pkg/promoter/registry"
	"sigs.k8s.io/promoter/pkg/promoter/source"
	"sigs.k8s.io/promoter/pkg/promoter/trust"
)

// Registry resolves staging builds and looks promoted tags up in the
// production registry (pkg/promoter/registry).
type Registry interface {
	Resolve(ctx context.Context, repository string, match *regexp.Regexp) (registry.Build, error)
	// Lookup is the digest ref (repository:tag) resolves to; found is
	// false when the tag or repository is not there (yet).
	Lookup(ctx context.Context, ref string) (digest string, found bool, err error)
}

// Jobs is where image job runs are read (pkg/promoter/jobs). The caller
// starts the source; the controller only reads it.
type Jobs interface {
	// Runs are the runs of job for org/repo at baseRef, newest first.
	Runs(job, org, repo, baseRef string) []jobs.Run
	// List is every postsubmit run known, newest first.
	List() []jobs.Run
}

// Manifests is the manifest repository's side of GitHub
// (pkg/promoter/pullrequest).
type Manifests interface {
	Head(ctx context.Context, r pullrequest.Repo) (string, error)
	ReadFile(ctx context.Context, r pullrequest.Repo, path, commit string) ([]byte, error)
	Publish(ctx context.Context, p pullrequest.Proposal) (pullrequest.Outcome, error)
	// Promotions are the bot's PRs (every open one, and those closed or
	// merged since the given time) and everyone else's open PRs.
	Promotions(ctx context.Context, r pullrequest.Repo, since time.Time) (pullrequest.PRs, error)
	// AddedDigests are the digests a PR adds to images.yaml files.
	AddedDigests(ctx context.Context, r pullrequest.Repo, number int) ([]pullrequest.Added, error)
	// Comment comments on a PR of the manifest repository once: not when
	// a comment holding marker is already there.
	Comment(ctx context.Context, r pullrequest.Repo, number int, marker, body string) error
}

// Source is a release's source repository on GitHub (pkg/promoter/source).
type Source interface {
	TagCommit(ctx context.Context, org, repo, tag string) (string, error)
	// Tags are the repository's recent tags with their commits.
	Tags(ctx context.Context, org, repo string) ([]source.Tag, error)
	SetStatus(ctx context.Context, org, repo, sha string, s source.Status) error
	// Status is the `promotion` status GitHub has on sha now.
	Status(ctx context.Context, org, repo, sha string) (source.Status, error)
	Pull(ctx context.Context, org, repo string, number int) (source.PullState, error)
	React(ctx context.Context, org, repo string, commentID int) error
	Reply(ctx context.Context, org, repo string, number int, body string) error
}

// Trust decides who may /promote (pkg/promoter/trust).
type Trust interface {
	// Trusted reports whether the asker may /promote; an error means a
	// check could not be made (never read it as a no).
	Trusted(ctx context.Context, a trust.Asker, allowed trust.Allowed) (bool, error)
}
