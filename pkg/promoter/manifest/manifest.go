// Package manifest reads and edits the image promoter's images.yaml files
// (registry.k8s.io/images/<dir>/images.yaml in kubernetes/k8s.io).
//
// Reviewers approve what the diff shows, and the promotion jobs find new
// digests with a regex over that diff, so edits are made to the original text:
// only the needed lines are inserted (or, to add a tag to a digest, its one
// tag list is extended) and every other byte is kept. The package does no I/O.
//
// Parsing is as strict as the promoter and no stricter. Bad YAML, unknown keys
// and a digest listed twice in one image are errors; quirks the promoter
// tolerates in existing entries are kept untouched and reported as warnings.
// What Add writes is held to the strict rules (see ValidateDigest, ValidateTag,
// ValidateImageName) and checked again on the re-parsed result.
package manifest

import (
	"bytes"
	"fmt"
)

// Manifest is a parsed images.yaml. It keeps the original text so that edits
// can be made to it without re-rendering anything.
type Manifest struct {
	// Images in file order. The same name may appear in several blocks: one
	// per release in a release-grouped file, else a quirk the promoter
	// tolerates (see Warnings).
	Images []Image
	// Warnings name quirks in existing entries that are kept as they are.
	Warnings []Warning

	src    []byte
	text   text
	groups *grouping // nil unless the file keeps one group of blocks per release
}

// Image is one `- name:` block.
type Image struct {
	Name string
	// Line is the 1-based line of the block's first line.
	Line int
	// Digests in file order.
	Digests []Entry

	layout imageLayout
}

// Entry is one digest of an image and the tags it is promoted with.
type Entry struct {
	Digest string
	Tags   []string
	// Line is the 1-based line of the digest key.
	Line int

	list tagList
}

// Warning is a quirk of an existing entry that the promoter accepts.
type Warning struct {
	Line    int
	Message string
}

func (w Warning) String() string { return fmt.Sprintf("line %d: %s", w.Line, w.Message) }

// Error is a problem that makes a file unusable, located at a line when known.
type Error struct {
	Line int // 1-based; 0 when the problem is not at one line
	Msg  string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("images.yaml line %d: %s", e.Line, e.Msg)
	}
	return "images.yaml: " + e.Msg
}

func errorf(line int, format string, args ...any) *Error {
	return &Error{Line: line, Msg: fmt.Sprintf(format, args...)}
}

// Parse reads an images.yaml. An empty file (or one with only comments) is a
// valid manifest with no images.
func Parse(src []byte) (*Manifest, error) {
	t := splitLines(src)
	if err := checkLineBreaks(t); err != nil {
		return nil, err
	}
	if err := checkIndentation(t); err != nil {
		return nil, err
	}
	// The line scanner reads the shape every real file has in a few
	// milliseconds; anything else goes through the YAML library.
	images, ok := scan(t)
	if !ok {
		var err error
		if images, err = decode(src, t); err != nil {
			return nil, err
		}
	}
	m := &Manifest{Images: images, src: src, text: t, groups: findGroups(t, images)}
	if err := m.check(); err != nil {
		return nil, err
	}
	return m, nil
}

// Lookup returns the digest entries of an image across all its blocks, in file order.
func (m *Manifest) Lookup(image string) []Entry {
	var out []Entry
	for _, img := range m.Images {
		if img.Name == image {
			out = append(out, img.Digests...)
		}
	}
	return out
}

// checkLineBreaks refuses line breaks other than LF and CRLF: YAML also
// breaks lines at a lone CR and at U+0085, U+2028 and U+2029, and then its
// line numbers (which edits rely on) would not be the file's lines.
func checkLineBreaks(t text) error {
	for _, sep := range []string{"\u0085", "\u2028", "\u2029"} {
		if at := bytes.Index(t.src, []byte(sep)); at >= 0 {
			return errorf(t.lineAt(at)+1, "Unicode line separator %U; use LF or CRLF line endings", []rune(sep)[0])
		}
	}
	for i := 0; i < t.n(); i++ {
		if bytes.IndexByte(t.line(i), '\r') >= 0 {
			return errorf(i+1, "carriage return without a line feed; use LF or CRLF line endings")
		}
	}
	return nil
}

// checkIndentation refuses tabs in indentation with a clearer message than
// the YAML library's "found character that cannot start any token".
func checkIndentation(t text) error {
	for i := range t.n() {
		line := t.line(i)
		indent := line[:len(line)-len(bytes.TrimLeft(line, " \t"))]
		if bytes.IndexByte(indent, '\t') >= 0 && len(bytes.TrimSpace(line)) > 0 {
			return errorf(i+1, "indented with a tab; YAML allows only spaces for indentation")
		}
	}
	return nil
}
