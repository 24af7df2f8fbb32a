package promoter

import (
	"fmt"
	"strings"

	"sigs.k8s.io/promoter/pkg/promoter/config"
	"sigs.k8s.io/promoter/pkg/promoter/registry"
)

// What a staging build says about itself, checked before it is proposed:
// the commit it was built from, and what is attached to it.

// checkProvenance refuses a build whose org.opencontainers.image.revision
// names another commit than the one released: it was not built from this
// release. A build that does not say is not refused.
func checkProvenance(rel config.Release, builds []resolved) error {
	if rel.Commit == "" {
		return nil
	}
	var bad []string
	for _, b := range builds {
		if r := b.build.Revision; r != "" && !sameCommit(r, rel.Commit) {
			bad = append(bad, fmt.Sprintf("%s %s says it was built from revision %s (%s), not %s",
				b.release.Name, b.build.Tag, r, b.build.ProvenanceFrom, rel.Commit))
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("the staging builds are not builds of %s (commit %s): %s; rebuild from that commit",
			whatRelease(rel), rel.Commit, strings.Join(bad, "; "))
	}
	return nil
}

// sameCommit compares a revision label with a full SHA: labels may carry
// an abbreviation (7 digits or more).
func sameCommit(revision, sha string) bool {
	r := strings.ToLower(strings.TrimSpace(revision))
	return len(r) >= config.MinAbbrev && len(r) <= len(sha) && strings.HasPrefix(sha, r)
}

// attached lists the signatures, attestations and SBOMs stored for the
// builds, one line each, for the PR body and the refusal.
func attached(builds []resolved) []string {
	var out []string
	for _, b := range builds {
		for _, a := range b.build.Attached {
			out = append(out, describeArtifact(b, a))
		}
		if b.build.ReferrersNote != "" {
			out = append(out, fmt.Sprintf("%s: the registry did not list the referrers of %s (%s)", b.release.Name, b.build.Digest, b.build.ReferrersNote))
		}
	}
	return out
}

func describeArtifact(b resolved, a registry.Artifact) string {
	where := b.release.Name
	if a.Platform != "" {
		where += " (" + a.Platform + ")"
	}
	switch {
	case a.Tag != "":
		return fmt.Sprintf("%s: %s tag `%s`", where, a.Kind, a.Tag)
	case a.ArtifactType != "":
		return fmt.Sprintf("%s: %s referrer `%s` (%s)", where, a.Kind, a.Digest, a.ArtifactType)
	}
	return fmt.Sprintf("%s: %s referrer `%s`", where, a.Kind, a.Digest)
}

// checkSignatures applies the project's stagingSignatures policy.
func checkSignatures(p *config.Project, builds []resolved) error {
	if p.StagingSignatures != config.SignaturesRefuse {
		return nil
	}
	if list := attached(builds); len(list) > 0 {
		return fmt.Errorf("project %s refuses staging builds with signatures or attestations attached (stagingSignatures: refuse), and these have: %s; %s",
			p.Name, strings.Join(list, "; "), cipNote)
	}
	return nil
}

// cipNote is what kubernetes/k8s.io's promotion presubmit does with what is
// attached to a staged image (promo-tools at production's v4.5.1).
const cipNote = "pull-k8sio-cip accepts only signatures made by the release signing identities (krel-staging, krel-trust; kubernetes-sigs/promo-tools#1947) and fails on others, and attestation (.att) tags block promotion in promo-tools v4.5.1, which production runs (kubernetes-sigs/promo-tools#1965 came later)"
