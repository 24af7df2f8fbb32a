package manifest

import (
	"bytes"
	"slices"
)

// text indexes the lines of a file without copying it.
type text struct {
	src   []byte
	start []int // start[i] is the offset of line i; start[n] == len(src)
	eol   string
}

func splitLines(src []byte) text {
	t := text{src: src, eol: "\n"}
	t.start = make([]int, 0, bytes.Count(src, []byte{'\n'})+2)
	for off := 0; off < len(src); {
		t.start = append(t.start, off)
		nl := bytes.IndexByte(src[off:], '\n')
		if nl < 0 {
			break
		}
		off += nl + 1
	}
	t.start = append(t.start, len(src))
	// New lines follow the file's first line ending.
	if nl := bytes.IndexByte(src, '\n'); nl > 0 && src[nl-1] == '\r' {
		t.eol = "\r\n"
	}
	return t
}

// lineAt is the (0-based) line that holds offset off.
func (t text) lineAt(off int) int {
	i, _ := slices.BinarySearch(t.start, off+1)
	return i - 1
}

// n is the number of lines.
func (t text) n() int { return len(t.start) - 1 }

// line returns line i (0-based) without its line ending.
func (t text) line(i int) []byte {
	l := t.src[t.start[i]:t.start[i+1]]
	l = bytes.TrimSuffix(l, []byte{'\n'})
	return bytes.TrimSuffix(l, []byte{'\r'})
}

// endsWithEOL reports whether the file's last line is terminated.
func (t text) endsWithEOL() bool {
	return len(t.src) == 0 || t.src[len(t.src)-1] == '\n'
}

// isBlankOrComment reports whether line i carries no YAML content.
func (t text) isBlankOrComment(i int) bool {
	l := bytes.TrimLeft(t.line(i), " ")
	return len(l) == 0 || l[0] == '#'
}

// isComment reports whether line i is a comment line.
func (t text) isComment(i int) bool {
	l := bytes.TrimLeft(t.line(i), " ")
	return len(l) > 0 && l[0] == '#'
}

// indent is the number of leading spaces of line i.
func (t text) indent(i int) int {
	l := t.line(i)
	return len(l) - len(bytes.TrimLeft(l, " "))
}
