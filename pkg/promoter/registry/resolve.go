package registry

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// maxConfigBytes bounds the config blob read for a single image; real
// configs are a few KiB, and the promoter only needs os/architecture.
const maxConfigBytes = 4 << 20

// session is one Resolve call: the calls it makes share a Puller, hence one
// ping (and token exchange) per resolve.
type session struct {
	r      *Resolver
	puller *remote.Puller
	repo   name.Repository
}

// resolve makes, in order: one paginated list, one manifest GET for the
// chosen tag, one config blob GET for a single image, one HEAD per passed-over
// tag (concurrently). ggcr adds the ping (and a token fetch where needed).
func (s session) resolve(ctx context.Context, pattern string, whole *regexp.Regexp) (Build, error) {
	tags, err := s.list(ctx)
	if err != nil {
		return Build{}, err
	}
	candidates := matching(tags, whole)
	if len(candidates) == 0 {
		return Build{}, fmt.Errorf("%w: none of the %d listed tags of %s matches the whole-tag pattern `%s`; "+
			"the image job may not have pushed this build yet", ErrNoMatchingTag, len(tags), s.repo.Name(), pattern)
	}
	b, err := s.describe(ctx, candidates[0])
	if err != nil {
		return Build{}, err
	}
	b.PassedOver, b.PassedOverOmitted, err = s.passedOver(ctx, candidates[1:])
	if err != nil {
		return Build{}, err
	}
	return b, nil
}

// list treats a missing repository as "nothing pushed yet": registries create
// the repository on the first push, so before the image job has run there is
// no repository at all, and that is the same situation as no matching tag.
func (s session) list(ctx context.Context) ([]string, error) {
	var tags []string
	err := s.r.call(ctx, func(ctx context.Context) (err error) {
		tags, err = s.puller.List(ctx, s.repo)
		return err
	})
	switch {
	case err == nil:
		return tags, nil
	case statusCode(err) == http.StatusNotFound:
		return nil, fmt.Errorf("%w: repository %s does not exist yet; the image job may not have pushed "+
			"this build yet, or the image name is wrong: %w", ErrNoMatchingTag, s.repo.Name(), err)
	}
	return nil, wrap("list tags of", s.repo.Name(), err)
}

// describe reads the manifest tag points at and the platforms it declares.
func (s session) describe(ctx context.Context, tag string) (Build, error) {
	var desc *remote.Descriptor
	err := s.r.call(ctx, func(ctx context.Context) (err error) {
		desc, err = s.puller.Get(ctx, s.repo.Tag(tag))
		return err
	})
	if err != nil {
		return Build{}, wrapListed("read tag "+tag+" of", s.repo.Name(), err)
	}
	b := Build{
		Repository: s.repo.Name(),
		Tag:        tag,
		Digest:     desc.Digest.String(),
		MediaType:  string(desc.MediaType),
		Index:      desc.MediaType.IsIndex(),
	}
	switch {
	case b.Index:
		b.Platforms, b.PlatformNote, err = indexPlatforms(desc.Manifest)
	case desc.MediaType.IsImage():
		b.Platforms, b.PlatformNote, err = s.imagePlatforms(ctx, desc.Manifest)
	default:
		err = fmt.Errorf("unsupported media type %q: want an OCI/Docker image or index (schema 1 is not supported)", desc.MediaType)
	}
	if err != nil {
		return Build{}, s.wrapRead(tag, err)
	}
	return b, nil
}

// wrapRead keeps the classification of an *Error made by a registry call and
// makes anything else (malformed manifest or config) permanent.
func (s session) wrapRead(tag string, err error) error {
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	return permanent("read tag "+tag+" of", s.repo.Name(), err)
}

// imagePlatforms fetches the config blob of a single image for its platform.
func (s session) imagePlatforms(ctx context.Context, raw []byte) ([]string, string, error) {
	m, err := v1.ParseManifest(bytes.NewReader(raw))
	if err != nil {
		return nil, "", fmt.Errorf("parse image manifest: %w", err)
	}
	if !m.Config.MediaType.IsConfig() {
		return platformsOrUnknown(nil, fmt.Sprintf("config media type %q is not an image config", m.Config.MediaType))
	}
	cfg, err := s.config(ctx, m.Config.Digest)
	if err != nil {
		return nil, "", err
	}
	return configPlatform(cfg)
}

// config reads the blob within one call so its body is consumed before the
// per-call timeout is cancelled.
func (s session) config(ctx context.Context, digest v1.Hash) (*v1.ConfigFile, error) {
	var raw []byte
	err := s.r.call(ctx, func(ctx context.Context) error {
		layer, err := s.puller.Layer(ctx, s.repo.Digest(digest.String()))
		if err != nil {
			return err
		}
		rc, err := layer.Compressed()
		if err != nil {
			return err
		}
		defer rc.Close()
		raw, err = io.ReadAll(io.LimitReader(rc, maxConfigBytes))
		return err
	})
	if err != nil {
		return nil, wrapListed("read config "+digest.String()+" of", s.repo.Name(), err)
	}
	return v1.ParseConfigFile(bytes.NewReader(raw))
}

// passedOver looks up the digests of older matching tags, at most
// maxPassedOver of them, and returns the first error in tag order.
func (s session) passedOver(ctx context.Context, tags []string) ([]Candidate, int, error) {
	if len(tags) == 0 {
		return nil, 0, nil
	}
	omitted := max(0, len(tags)-maxPassedOver)
	tags = tags[:len(tags)-omitted]
	out := make([]Candidate, len(tags))
	errs := make([]error, len(tags))
	var wg sync.WaitGroup
	for i, tag := range tags {
		wg.Go(func() { out[i], errs[i] = s.head(ctx, tag) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, 0, err
		}
	}
	return out, omitted, nil
}

func (s session) head(ctx context.Context, tag string) (Candidate, error) {
	var d *v1.Descriptor
	err := s.r.call(ctx, func(ctx context.Context) (err error) {
		d, err = s.puller.Head(ctx, s.repo.Tag(tag))
		return err
	})
	if err != nil {
		return Candidate{}, wrapListed("read tag "+tag+" of", s.repo.Name(), err)
	}
	return Candidate{Tag: tag, Digest: d.Digest.String()}, nil
}
