package harness

import (
	"testing"
)

// World is a Stack whose stand-in holds kubernetes/k8s.io (apisnoop's real
// images.yaml, OWNERS and promoter manifest) and kubernetes-sigs/apisnoop:
// what each end-to-end test starts from.
type World struct {
	*Stack
	Manifest string // kubernetes/k8s.io's main as seeded
	Source   string // kubernetes-sigs/apisnoop's main as seeded
}

// NewWorld starts the stand-in with o and seeds it, apisnoop's staging
// registry being staging ("HOST/k8s-staging-apisnoop"). Promoter is not
// started yet (StartPromoter). Both stop when t ends; a failure to start
// fails t.
func NewWorld(t testing.TB, o StackOptions, staging string) *World {
	t.Helper()
	ctx, cancel := Deadline(Patience)
	defer cancel()
	s, err := NewStack(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	w := &World{Stack: s}
	if w.Manifest, err = SeedManifestRepo(s.Root, staging); err != nil {
		t.Fatal(err)
	}
	if w.Source, err = SeedSourceRepo(s.Root); err != nil {
		t.Fatal(err)
	}
	return w
}
