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

// resolve makes one paginated list, one manifest GET for the chosen tag and,
// for a single image, one config blob GET; then complete's calls. ggcr adds
// the ping (and a token fetch where needed).
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
	d, err := s.describe(ctx, candidates[0])
	if err != nil {
		return Build{}, err
	}
	return s.complete(ctx, d, tags, candidates[1:])
}

// complete makes, concurrently, the calls that need the chosen manifest:
// one referrers GET (plus one GET of the referrers tag when the registry has
// no referrers API and the listing has that tag), for an index without a
// revision annotation one manifest GET and one config blob GET of its first
// child, and one HEAD per passed-over tag. The first error in that order
// wins.
func (s session) complete(ctx context.Context, d described, tags, older []string) (Build, error) {
	var (
		wg                         sync.WaitGroup
		prov                       = d.prov
		referrers                  []Artifact
		referrersNote              string
		passed                     []Candidate
		omitted                    int
		provErr, refErr, passedErr error
	)
	if d.index != nil && prov.revision == "" {
		wg.Go(func() { prov, provErr = s.childProvenance(ctx, d.index, prov) })
	}
	wg.Go(func() { referrers, referrersNote, refErr = s.referrers(ctx, d.build.Digest, tags) })
	wg.Go(func() { passed, omitted, passedErr = s.passedOver(ctx, older) })
	wg.Wait()
	for _, err := range []error{provErr, refErr, passedErr} {
		if err != nil {
			return Build{}, err
		}
	}
	b := d.build
	b.PassedOver, b.PassedOverOmitted = passed, omitted
	prov.setOn(&b)
	b.Attached = append(tagged(tags, subjects(b.Digest, d.index)), referrers...)
	b.ReferrersNote = referrersNote
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

// described is the chosen build as its manifest (and config) tell it.
type described struct {
	build Build
	index *v1.IndexManifest // the parsed index; nil for a single image
	prov  provenance        // what the manifest (and config) declare
}

// describe reads the manifest tag points at, the platforms it declares and,
// from the manifest and a single image's config, its provenance.
func (s session) describe(ctx context.Context, tag string) (described, error) {
	op := "read tag " + tag + " of"
	desc, err := s.get(ctx, s.repo.Tag(tag))
	if err != nil {
		return described{}, wrapListed(op, s.repo.Name(), err)
	}
	d := described{build: Build{
		Repository: s.repo.Name(),
		Tag:        tag,
		Digest:     desc.Digest.String(),
		MediaType:  string(desc.MediaType),
		Index:      desc.MediaType.IsIndex(),
	}}
	b := &d.build
	switch {
	case b.Index:
		d.index, err = v1.ParseIndexManifest(bytes.NewReader(desc.Manifest))
		if err != nil {
			return described{}, permanent(op, s.repo.Name(), fmt.Errorf("parse index manifest: %w", err))
		}
		b.Platforms, b.PlatformNote = indexPlatforms(d.index)
		d.prov.read(d.index.Annotations, "index annotations")
	case desc.MediaType.IsImage():
		m, cfg, err := s.parseImage(ctx, desc.Manifest)
		if err != nil {
			return described{}, s.wrapRead(op, err)
		}
		b.Platforms, b.PlatformNote = imagePlatforms(m, cfg)
		d.prov.read(m.Annotations, "manifest annotations")
		if cfg != nil {
			d.prov.read(cfg.Config.Labels, "config labels")
		}
	default:
		return described{}, permanent(op, s.repo.Name(), fmt.Errorf(
			"unsupported media type %q: want an OCI/Docker image or index (schema 1 is not supported)", desc.MediaType))
	}
	return d, nil
}

func (s session) get(ctx context.Context, ref name.Reference) (*remote.Descriptor, error) {
	var desc *remote.Descriptor
	err := s.r.call(ctx, func(ctx context.Context) (err error) {
		desc, err = s.puller.Get(ctx, ref)
		return err
	})
	return desc, err
}

// wrapRead keeps the classification of an *Error made by a registry call and
// makes anything else (malformed manifest or config) permanent.
func (s session) wrapRead(op string, err error) error {
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	return permanent(op, s.repo.Name(), err)
}

// parseImage parses a single image's manifest and fetches its config blob;
// cfg is nil when the config is not an image config.
func (s session) parseImage(ctx context.Context, raw []byte) (*v1.Manifest, *v1.ConfigFile, error) {
	m, err := v1.ParseManifest(bytes.NewReader(raw))
	if err != nil {
		return nil, nil, fmt.Errorf("parse image manifest: %w", err)
	}
	if !m.Config.MediaType.IsConfig() {
		return m, nil, nil
	}
	cfg, err := s.config(ctx, m.Config.Digest)
	return m, cfg, err
}

// image reads a child of an index: its manifest and config. A child the
// repository does not have is a broken index, not a race with a push:
// builders push the children before the index that names them.
func (s session) image(ctx context.Context, digest v1.Hash) (*v1.Manifest, *v1.ConfigFile, error) {
	op := "read child " + digest.String() + " of"
	desc, err := s.get(ctx, s.repo.Digest(digest.String()))
	if err != nil {
		e := wrap(op, s.repo.Name(), err)
		if statusCode(err) == http.StatusNotFound {
			e.hint = "the index names a manifest the repository does not have; the build is broken and must be pushed again"
		}
		return nil, nil, e
	}
	m, cfg, err := s.parseImage(ctx, desc.Manifest)
	if err != nil {
		return nil, nil, s.wrapRead(op, err)
	}
	return m, cfg, nil
}

func imagePlatforms(m *v1.Manifest, cfg *v1.ConfigFile) ([]string, string) {
	if cfg == nil {
		return platformsOrUnknown(nil, fmt.Sprintf("config media type %q is not an image config", m.Config.MediaType))
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
