package manifest

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Promotion asks for one staging digest of an image to be promoted with tags.
type Promotion struct {
	Image  string
	Digest string
	Tags   []string
	// Release is the release the promotion belongs to: its git tag or its
	// promoted tag ("v1.30.0" and "1.30.0" name the same release). It matters
	// only in a file that keeps one group of blocks per release, each headed
	// by a comment naming it (kops, etcdadm): there the promotion goes into
	// its release's group, which is added, in the file's form, if the file
	// has none. Empty means the first of Tags.
	Release string
}

// release is the release p belongs to.
func (p Promotion) release() string {
	if p.Release != "" {
		return p.Release
	}
	return p.Tags[0]
}

// withTags is p promoting tags.
func (p Promotion) withTags(tags []string) Promotion {
	p.Tags = tags
	return p
}

func (p Promotion) String() string {
	return fmt.Sprintf("%s@%s as %s", p.Image, p.Digest, strings.Join(p.Tags, ", "))
}

func (p Promotion) validate() error {
	if err := ValidateImageName(p.Image); err != nil {
		return err
	}
	if err := ValidateDigest(p.Digest); err != nil {
		return err
	}
	if len(p.Tags) == 0 {
		return fmt.Errorf("%w: no tag given for %s@%s", ErrInvalidTag, p.Image, p.Digest)
	}
	for _, t := range p.Tags {
		if err := ValidateTag(t); err != nil {
			return err
		}
	}
	if p.Release != "" && !isRelease(p.Release) {
		return fmt.Errorf("%w %q: want a git tag or image tag: a letter, digit or _ then up to 127 of those, '.', '-', '+' or '/'", ErrInvalidRelease, p.Release)
	}
	return nil
}

// ChangeKind says what Add did for one promotion.
type ChangeKind int

const (
	// AlreadyPromoted: the digest already carries every tag; nothing written.
	AlreadyPromoted ChangeKind = iota
	// NewImage: a new `- name:` block.
	NewImage
	// NewDigest: a new digest line under an existing image.
	NewDigest
	// NewTags: tags appended to an existing digest's list.
	NewTags
)

// Change is what Add did for one promotion.
type Change struct {
	Promotion
	Kind ChangeKind
	// Added are the tags written; empty when AlreadyPromoted.
	Added []string
	// Line is the digest's 1-based line in the result.
	Line int
}

// Result is an edited images.yaml.
type Result struct {
	// Content is the new file text.
	Content []byte
	// Manifest is Content, re-parsed.
	Manifest *Manifest
	Changes  []Change
}

// Changed reports whether the file changed (false: all already promoted).
func (r *Result) Changed() bool {
	return slices.ContainsFunc(r.Changes, func(c Change) bool { return c.Kind != AlreadyPromoted })
}

// Add promotes each digest with its tags, editing the text in place. It
// refuses, with an error naming the rule, anything the promoter would reject:
// an invalid digest, tag or image name, "latest", or a tag that already points
// at another digest of the image (ErrTagMove). The result is re-parsed and
// checked to keep every existing entry before it is returned.
func (m *Manifest) Add(ps ...Promotion) (*Result, error) {
	cur := m
	changes := make([]Change, 0, len(ps))
	for _, p := range ps {
		p.Tags = uniq(p.Tags)
		if err := p.validate(); err != nil {
			return nil, err
		}
		edit, c, err := cur.plan(p)
		if err != nil {
			return nil, err
		}
		changes = append(changes, c)
		if edit == nil {
			continue
		}
		next, err := Parse(edit.apply(cur.src))
		if err != nil {
			return nil, fmt.Errorf("promoting %s would break images.yaml, so nothing was changed: %w", p, err)
		}
		if err := verify(cur, next, p); err != nil {
			return nil, fmt.Errorf("promoting %s: %w; nothing was changed", p, err)
		}
		cur = next
	}
	entries := map[string][]Entry{} // image -> its entries, looked up once per image
	for i, c := range changes {
		if len(c.Added) > 0 {
			c.Promotion = c.withTags(c.Added) // the line written, where it is not the old one
		}
		if _, ok := entries[c.Image]; !ok {
			entries[c.Image] = cur.Lookup(c.Image)
		}
		changes[i].Line = entryLine(entries[c.Image], c.Promotion)
	}
	return &Result{Content: cur.src, Manifest: cur, Changes: changes}, nil
}

// plan decides the one splice that promotes p; nil when nothing is needed.
// The digest may already be in several blocks of the image (one per release,
// or a duplicated block): tags it carries in any of them are promoted.
func (m *Manifest) plan(p Promotion) (*splice, Change, error) {
	c := Change{Promotion: p}
	var blocks []Image
	var haves []Entry // the digest's entries, in file order
	for _, img := range m.Images {
		if img.Name != p.Image {
			continue
		}
		blocks = append(blocks, img)
		for _, e := range img.Digests {
			if e.Digest == p.Digest {
				haves = append(haves, e)
				continue
			}
			for _, t := range e.Tags {
				if slices.Contains(p.Tags, t) {
					return nil, c, fmt.Errorf("%w: tag %q of image %q already points at %s (line %d); the promoter refuses to move a tag, so promote %s under a new tag",
						ErrTagMove, t, p.Image, e.Digest, e.Line, p.Digest)
				}
			}
		}
	}
	switch {
	case len(haves) > 0:
		for _, t := range p.Tags {
			if !slices.ContainsFunc(haves, func(e Entry) bool { return slices.Contains(e.Tags, t) }) {
				c.Added = append(c.Added, t)
			}
		}
		if len(c.Added) == 0 {
			return nil, c, nil
		}
		c.Kind = NewTags
	case len(blocks) > 0:
		c.Kind, c.Added = NewDigest, p.Tags
	default:
		c.Kind, c.Added = NewImage, p.Tags
	}
	if m.groups != nil {
		s, err := m.placeInRelease(p, c.Added)
		return s, c, err
	}
	var s *splice
	var err error
	switch c.Kind {
	case NewTags:
		s, err = m.appendTags(p.Image, haves[0], c.Added)
	case NewDigest:
		s, err = m.insertEntry(blocks[0], p)
	default:
		s = m.insertLines(m.newImageLine(p.Image), m.blockText(m.newBlockLayout(), p))
	}
	return s, c, err
}

// appendTags extends an existing digest's tag list: at the end, or where
// string order puts the tags when the list keeps that order.
func (m *Manifest) appendTags(image string, e Entry, tags []string) (*splice, error) {
	st := m.style()
	if st.keepsSorted(e) {
		if s, ok := m.mergeSorted(e, tags, st.sep); ok {
			return s, nil
		}
	}
	l := e.list
	lineStart := m.text.start[l.end]
	switch l.kind {
	case listFlow:
		if len(e.Tags) == 0 {
			st.pad = st.pad || l.pad
			return &splice{at: lineStart + l.open, del: l.close - l.open + 1, text: st.list(tags)}, nil
		}
		at := l.close
		for at > l.open+1 && m.text.src[lineStart+at-1] == ' ' {
			at--
		}
		sep := orDefault(l.sep, st.sep)
		return &splice{at: lineStart + at, text: sep + join(tags, l.quote, sep)}, nil
	case listBlock:
		var b strings.Builder
		for _, t := range tags {
			b.WriteString(strings.Repeat(" ", l.dash) + "- " + quote(t, l.quote) + m.text.eol)
		}
		return m.insertLines(l.end+1, b.String()), nil
	}
	return nil, fmt.Errorf("%w: the tag list of %s in image %q (line %d) is not a one-line [...] or a block list; add the tag by hand",
		ErrNotEditable, e.Digest, image, e.Line)
}

// mergeSorted rewrites e's tag list with tags added in string order (sep
// separates them in a one-line list that has none to copy). It declines (ok
// false) when the order puts them last, where appending does the same, and
// when the list's text is not exactly what its tags render to in its own
// style, so rewriting it would change more than the new tags.
func (m *Manifest) mergeSorted(e Entry, tags []string, sep string) (*splice, bool) {
	merged := slices.Sorted(slices.Values(append(slices.Clone(e.Tags), tags...)))
	if slices.Equal(merged, append(slices.Clone(e.Tags), tags...)) {
		return nil, false
	}
	l := e.list
	switch l.kind {
	case listFlow:
		lineStart := m.text.start[l.end]
		st := style{quote: l.quote, pad: l.pad, sep: orDefault(l.sep, sep)}
		old := m.text.src[lineStart+l.open : lineStart+l.close+1]
		if string(old) != st.list(e.Tags) {
			return nil, false
		}
		return &splice{at: lineStart + l.open, del: len(old), text: st.list(merged)}, true
	case listBlock:
		first := e.Line // the line after the digest key (0-based e.Line)
		render := func(tags []string) string {
			var b strings.Builder
			for _, t := range tags {
				b.WriteString(strings.Repeat(" ", l.dash) + "- " + quote(t, l.quote) + m.text.eol)
			}
			return b.String()
		}
		if first > l.end || string(m.text.src[m.text.start[first]:m.text.start[l.end+1]]) != render(e.Tags) {
			return nil, false
		}
		return &splice{at: m.text.start[first], del: m.text.start[l.end+1] - m.text.start[first], text: render(merged)}, true
	}
	return nil, false
}

// insertEntry adds a digest line to an image block, where the file's order
// puts it, or after the last digest when the file shows no order.
func (m *Manifest) insertEntry(img Image, p Promotion) (*splice, error) {
	if img.layout.dmapLine < 0 || !img.layout.dmapBlock {
		return nil, fmt.Errorf("%w: image %q (line %d) has no block-style `dmap:` to add a digest line under; add it by hand",
			ErrNotEditable, img.Name, img.Line)
	}
	line := img.layout.dmapLine + 1
	if n := len(img.Digests); n > 0 {
		line = img.Digests[n-1].list.end + 1
	}
	if o, ok := m.chooseOrder(img); ok {
		k, _ := o.key(p.Digest, p.Tags)
		for _, e := range img.Digests {
			if ek, ok := o.key(e.Digest, e.Tags); ok && o.before(k, ek) {
				line = m.commentsAbove(e.Line-1, img.layout.dmapLine+1)
				break
			}
		}
	}
	indent := img.layout.entryIndent
	if indent < 0 {
		indent = img.layout.keyIndent + m.entryOffset()
	}
	return m.insertLines(line, strings.Repeat(" ", indent)+m.style().entry(p)+m.text.eol), nil
}

// newImageLine is where a new image's block goes: in name order when the
// file keeps its images sorted, else at the end.
func (m *Manifest) newImageLine(image string) int {
	line := m.text.n()
	if n := len(m.Images); n > 0 {
		line = m.Images[n-1].layout.last + 1
	}
	if m.namesSorted() {
		for _, img := range m.Images {
			if img.Name > image {
				return m.commentsAbove(img.layout.first, 0)
			}
		}
	}
	return line
}

// newBlockLayout is the layout of the file's last block, for a new one.
func (m *Manifest) newBlockLayout() imageLayout {
	if n := len(m.Images); n > 0 {
		return m.Images[n-1].layout
	}
	return imageLayout{keyIndent: 2, entryIndent: 4}
}

// blockText renders a `- name:` block for p in the given block's layout.
func (m *Manifest) blockText(lay imageLayout, p Promotion) string {
	if lay.entryIndent < 0 {
		lay.entryIndent = lay.keyIndent + m.entryOffset()
	}
	eol := m.text.eol
	return strings.Repeat(" ", lay.itemIndent) + "-" + strings.Repeat(" ", lay.keyIndent-lay.itemIndent-1) +
		"name: " + quote(p.Image, lay.nameQuote) + eol +
		strings.Repeat(" ", lay.keyIndent) + "dmap:" + eol +
		strings.Repeat(" ", lay.entryIndent) + m.style().entry(p) + eol
}

// insertLines inserts whole lines before line i (i == n appends).
func (m *Manifest) insertLines(i int, lines string) *splice {
	at := m.text.start[i]
	if i == m.text.n() && !m.text.endsWithEOL() {
		// Keep the file's missing final newline: the new lines go after one.
		return &splice{at: at, text: m.text.eol + strings.TrimSuffix(lines, m.text.eol)}
	}
	return &splice{at: at, text: lines}
}

// commentsAbove returns the first line of the comment lines directly above
// line i (not above floor), so a new entry does not separate an entry from
// the comment that describes it.
func (m *Manifest) commentsAbove(i, floor int) int {
	for i > floor && m.text.isComment(i-1) {
		i--
	}
	return i
}

func (m *Manifest) namesSorted() bool {
	return len(m.Images) >= 2 && slices.IsSortedFunc(m.Images, func(a, b Image) int { return strings.Compare(a.Name, b.Name) })
}

// entryOffset is how far the file indents digest lines past the dmap key.
func (m *Manifest) entryOffset() int {
	for _, img := range m.Images {
		if img.layout.entryIndent >= 0 {
			return img.layout.entryIndent - img.layout.keyIndent
		}
	}
	return 2
}

// splice replaces del bytes at offset at with text.
type splice struct {
	at, del int
	text    string
}

func (s *splice) apply(src []byte) []byte {
	out := make([]byte, 0, len(src)+len(s.text)-s.del)
	out = append(out, src[:s.at]...)
	out = append(out, s.text...)
	return append(out, src[s.at+s.del:]...)
}

// verify checks an edited manifest against the one it came from: every entry
// kept, in order, with its tags; the promotion present; no new quirk.
func verify(before, after *Manifest, p Promotion) error {
	j := 0
	for _, b := range before.Images {
		for j < len(after.Images) && !keeps(b, after.Images[j]) {
			j++
		}
		if j == len(after.Images) {
			return fmt.Errorf("the edit lost entries of image %q (line %d)", b.Name, b.Line)
		}
		j++
	}
	if entryLine(after.Lookup(p.Image), p) == 0 {
		return errors.New("the edit does not carry the promotion")
	}
	if len(after.Warnings) > len(before.Warnings) {
		return fmt.Errorf("the edit raises a warning: %s", after.Warnings[len(after.Warnings)-1])
	}
	return nil
}

// keeps reports whether block a holds every entry of block b, in order, each
// with its tags in their order.
func keeps(b, a Image) bool {
	if a.Name != b.Name {
		return false
	}
	i := 0
	for _, e := range b.Digests {
		for i < len(a.Digests) && a.Digests[i].Digest != e.Digest {
			i++
		}
		if i == len(a.Digests) || !isSubsequence(e.Tags, a.Digests[i].Tags) {
			return false
		}
		i++
	}
	return true
}

// isSubsequence reports whether small appears in big in order.
func isSubsequence(small, big []string) bool {
	j := 0
	for _, s := range small {
		for j < len(big) && big[j] != s {
			j++
		}
		if j == len(big) {
			return false
		}
		j++
	}
	return true
}

// entryLine is the line of p's digest among the entries of p's image if
// they (one, or one per block the digest is in) carry all of p's tags, else
// 0: the line of the first that carries p's first tag.
func entryLine(entries []Entry, p Promotion) int {
	line := 0
	var tags []string
	for _, e := range entries {
		if e.Digest != p.Digest {
			continue
		}
		if line == 0 && slices.Contains(e.Tags, p.Tags[0]) {
			line = e.Line
		}
		tags = append(tags, e.Tags...)
	}
	if slices.ContainsFunc(p.Tags, func(t string) bool { return !slices.Contains(tags, t) }) {
		return 0
	}
	return line
}

func uniq(tags []string) []string {
	out := make([]string, 0, len(tags))
	for _, t := range tags {
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

func orDefault[T comparable](v, fallback T) T {
	var zero T
	if v == zero {
		return fallback
	}
	return v
}
