package registry

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Lookup asks a registry which digest ref ("<registry host>/<path>:<tag>",
// such as "registry.k8s.io/apisnoop/snoopdb:v1.2.3") points at, with one
// HEAD request (ggcr adds its ping and, where needed, an anonymous token
// request). For a multi-arch image that is the index digest, as Resolve
// reports it. A ref by digest answers whether that digest is there.
//
// found is false, with a nil error, when the tag or the whole repository
// does not exist (yet): after a promotion PR merges, that means "not live
// yet, look again". Errors classify as Resolve's do: IsTransient(err) means
// retry with backoff, anything else is permanent and says what to fix.
func (r *Resolver) Lookup(ctx context.Context, ref string) (digest string, found bool, err error) {
	parsed, err := parseReference(ref)
	if err != nil {
		return "", false, err
	}
	puller, err := remote.NewPuller(r.remoteOptions()...)
	if err != nil {
		return "", false, permanent("configure client for", ref, err)
	}
	var d *v1.Descriptor
	err = r.call(ctx, func(ctx context.Context) (err error) {
		d, err = puller.Head(ctx, parsed)
		return err
	})
	switch {
	case err == nil:
		return d.Digest.String(), true, nil
	case statusCode(err) == http.StatusNotFound:
		return "", false, nil
	}
	e := wrap("look up", parsed.String(), err)
	if code := statusCode(err); code == http.StatusUnauthorized || code == http.StatusForbidden {
		e.hint = "the registry refused an anonymous read; check the reference, and that the repository is public"
	}
	return "", false, e
}

// parseReference is parseRepository for a tag or digest reference: an
// explicit registry host and an explicit tag, never Docker Hub or latest.
func parseReference(s string) (name.Reference, error) {
	ref, err := name.ParseReference(s, name.StrictValidation)
	if err == nil && slices.Contains(strings.Split(ref.Context().RepositoryStr(), "/"), "") {
		err = errors.New("empty path component")
	}
	if err != nil {
		return nil, &Error{
			Op:         "parse reference",
			Repository: s,
			Err:        err,
			hint:       `want "<registry host>/<path>/<image>:<tag>" such as "registry.k8s.io/apisnoop/snoopdb:v1.2.3"`,
		}
	}
	return ref, nil
}
