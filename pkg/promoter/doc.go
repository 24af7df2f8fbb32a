// Package promoter is the domain: for a (project, git tag) it waits for the
// image jobs, resolves the staging digests, edits images.yaml and opens or
// refreshes the one promotion PR.
//
// The controller keeps two things apart, as Flux's controllers do:
//
//   - a request is what was asked for a key (which images, which commit,
//     wait for builds or answer at once, who to reply to). Requests for the
//     same key merge: every image wins over a subset, each asker keeps its
//     own reply.
//   - a Status is what happened, written only by an attempt, read by
//     /promotions, the commit status and the replies.
//
// An attempt takes a snapshot of the request and reconciles: fetch what is
// (the job runs, the staging registry, images.yaml and the PR on GitHub),
// compute what should be (the plan, which writes nothing), act (publish the
// PR), record the status. A preview (/promote dry-run) runs the same plan
// with the same inputs.
//
// The controller owns the small interfaces it calls (Jobs, Registry,
// Manifests, Source, Trust); the capability packages (jobs, registry,
// pullrequest, source, trust) implement them, and tests fill them with real
// parts. It must not parse webhooks (pkg/hook does) or edit YAML text
// (pkg/promoter/manifest does).
package promoter
