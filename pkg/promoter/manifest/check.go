package manifest

import "fmt"

// check applies the promoter's rules to what was parsed: a digest listed twice
// in one block is an error (the promoter's strict YAML decoding refuses
// duplicate keys); quirks it accepts become warnings.
func (m *Manifest) check() error {
	firstBlock := make(map[string]int, len(m.Images)) // image name -> line of its first block
	lastGroup := make(map[string]int, len(m.Images))  // image name -> group of its last block
	tagAt := map[string]map[string]tagRef{}           // image -> tag -> first digest carrying it
	for i, img := range m.Images {
		first, seen := firstBlock[img.Name]
		switch {
		case !seen:
			firstBlock[img.Name] = img.Line
			if !isImageName(img.Name) {
				m.warn(img.Line, "image name %q is not a valid repository name", img.Name)
			}
		case m.inGroup(i) == lastGroup[img.Name]: // a release-grouped file lists an image once per release
			m.warn(img.Line, "image %q is listed again (first at line %d); both blocks are kept as they are", img.Name, first)
		}
		lastGroup[img.Name] = m.inGroup(i)
		if img.layout.dmapLine < 0 {
			m.warn(img.Line, "image %q has no `dmap`", img.Name)
		}
		if err := m.checkDigests(img, tagAt); err != nil {
			return err
		}
	}
	return nil
}

// inGroup is the release group of image i; 0 in a file without groups.
func (m *Manifest) inGroup(i int) int {
	if m.groups == nil {
		return 0
	}
	return m.groups.of[i]
}

// tagRef is where a tag was first seen.
type tagRef struct {
	digest string
	line   int
}

func (m *Manifest) checkDigests(img Image, tagAt map[string]map[string]tagRef) error {
	seen := make(map[string]int, len(img.Digests))
	tags := tagAt[img.Name]
	if tags == nil {
		tags = make(map[string]tagRef, len(img.Digests))
		tagAt[img.Name] = tags
	}
	for _, e := range img.Digests {
		if first, dup := seen[e.Digest]; dup {
			return errorf(e.Line, "image %q lists digest %s twice (first at line %d)", img.Name, e.Digest, first)
		}
		seen[e.Digest] = e.Line
		if !isDigest(e.Digest) {
			m.warn(e.Line, "image %q: digest %q is not of the form sha256:<64 hex digits>", img.Name, e.Digest)
		}
		for _, tag := range e.Tags {
			if !isTag(tag) || tag == "latest" {
				m.warn(e.Line, "image %q: tag %q would not be accepted for a new promotion", img.Name, tag)
			}
			if other, ok := tags[tag]; ok && other.digest != e.Digest {
				m.warn(e.Line, "image %q: tag %q is also on digest %s (line %d)", img.Name, tag, other.digest, other.line)
				continue
			}
			tags[tag] = tagRef{e.Digest, e.Line}
		}
	}
	return nil
}

func (m *Manifest) warn(line int, format string, args ...any) {
	m.Warnings = append(m.Warnings, Warning{Line: line, Message: fmt.Sprintf(format, args...)})
}
