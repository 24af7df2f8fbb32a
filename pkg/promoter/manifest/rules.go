package manifest

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// Errors that Add returns, wrapped with the details; match them with errors.Is.
var (
	ErrInvalidDigest  = errors.New("invalid digest")
	ErrInvalidTag     = errors.New("invalid tag")
	ErrInvalidImage   = errors.New("invalid image name")
	ErrInvalidRelease = errors.New("invalid release")
	ErrTagMove        = errors.New("tag move")
	ErrNotEditable    = errors.New("cannot edit this part of images.yaml in place")
)

// ValidateDigest enforces ^sha256:[0-9a-f]{64}$, the only digest form the
// promoter and the promotion jobs' diff regex accept.
func ValidateDigest(d string) error {
	if !isDigest(d) {
		return fmt.Errorf("%w %q: want sha256: and 64 lowercase hex digits", ErrInvalidDigest, d)
	}
	return nil
}

// ValidateTag enforces the promoter's ^\w[\w.-]{0,127}$ and refuses "latest",
// which the promoter never promotes.
func ValidateTag(tag string) error {
	switch {
	case tag == "latest":
		return fmt.Errorf("%w %q: the promoter refuses to promote \"latest\"", ErrInvalidTag, tag)
	case !isTag(tag):
		return fmt.Errorf("%w %q: want a letter, digit or _ then up to 127 of those, '.' or '-'", ErrInvalidTag, tag)
	}
	return nil
}

// ValidateImageName enforces the path grammar of OCI repository names:
// lowercase components of [a-z0-9] joined by '.', '_', '__' or dashes,
// separated by '/'.
func ValidateImageName(name string) error {
	if !isImageName(name) {
		return fmt.Errorf("%w %q: want lowercase path components like \"kueue\" or \"charts/kueue\"", ErrInvalidImage, name)
	}
	return nil
}

// isDigest and isTag are written out rather than as regexps: a parse of the
// largest file runs them ~50,000 times. FuzzRulesMatchRegexps holds them to
// the regexps in their documentation.

func isDigest(d string) bool {
	const prefix = "sha256:"
	if len(d) != len(prefix)+64 || d[:len(prefix)] != prefix {
		return false
	}
	for i := len(prefix); i < len(d); i++ {
		if c := d[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

func isTag(tag string) bool {
	if len(tag) == 0 || len(tag) > 128 || !isWordStart(tag[0]) {
		return false
	}
	for i := 1; i < len(tag); i++ {
		if c := tag[i]; !isWordStart(c) && c != '.' && c != '-' {
			return false
		}
	}
	return true
}

// isRelease accepts a git tag or image tag for a release group's header:
// ^\w[\w.+/-]{0,127}$, so it cannot break the comment line it goes into.
func isRelease(r string) bool {
	if len(r) == 0 || len(r) > 128 || !isWordStart(r[0]) {
		return false
	}
	for i := 1; i < len(r); i++ {
		if c := r[i]; !isWordStart(c) && !strings.ContainsRune(".+/-", rune(c)) {
			return false
		}
	}
	return true
}

// isImageName is the OCI distribution spec's repository path grammar. Only a
// few hundred names are checked per parse, so a regexp is fast enough.
func isImageName(name string) bool { return imageNameRE.MatchString(name) }

var imageNameRE = regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$`)
