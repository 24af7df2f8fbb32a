// Package pullrequest owns promoter's side of the manifest repository
// (kubernetes/k8s.io): it reads files at a commit, writes a promotion as a
// commit in the bot's fork and opens, refreshes or (asked to) reopens the one
// pull request for it, entirely through GitHub's API (nothing is cloned),
// lists the bot's promotion PRs in any state and what other people's open
// PRs add, and comments on a merged PR once.
//
// It must not write to a source repository (pkg/promoter/source does) or
// decide what to promote (the controller does). Errors that a person must
// fix are named (ErrNotAFork, ErrForkConflict, ErrBadCredentials,
// ErrForbidden); IsPermanent tells them from blips.
package pullrequest
