package manifest

import (
	"bytes"
)

// scan reads the shape every images.yaml in kubernetes/k8s.io has:
//
//   - name: <image>
//     dmap:
//     "<digest>": [<tag>, ...]
//
// with comment and blank lines anywhere, and each kind of line at one
// indentation. The YAML library takes ~40 ms for the largest real file; this
// takes a few. It answers ok=false for anything outside that shape, and Parse
// then falls back to the YAML library, so it never has to understand YAML in
// full, only to be right about what it accepts (FuzzScanMatchesYAML checks
// that against the library).
func scan(t text) (images []Image, ok bool) {
	if !plainASCII(t.src) {
		return nil, false
	}
	var cur *Image
	itemIndent := -1
	for i := range t.n() {
		if t.isBlankOrComment(i) {
			continue
		}
		line, ind := t.line(i), t.indent(i)
		rest := line[ind:]
		switch {
		case bytes.HasPrefix(rest, []byte("- ")):
			if (itemIndent >= 0 && ind != itemIndent) || (cur != nil && cur.layout.dmapLine < 0) {
				return nil, false
			}
			itemIndent = ind
			if cur != nil {
				images = append(images, *cur)
			}
			if cur, ok = scanName(rest[2:], i, ind); !ok {
				return nil, false
			}
		case cur != nil && cur.layout.dmapLine < 0:
			if ind != cur.layout.keyIndent || !isKeyLine(rest, "dmap") {
				return nil, false
			}
			cur.layout.dmapLine, cur.layout.dmapBlock, cur.layout.last = i, true, i
		case cur != nil && ind > cur.layout.keyIndent:
			if cur.layout.entryIndent < 0 {
				cur.layout.entryIndent = ind
			}
			e, ok := scanEntry(rest, ind, i)
			if !ok || ind != cur.layout.entryIndent {
				return nil, false
			}
			cur.Digests = append(cur.Digests, e)
			cur.layout.last = i
		default:
			return nil, false
		}
	}
	if cur != nil {
		if cur.layout.dmapLine < 0 {
			return nil, false
		}
		images = append(images, *cur)
	}
	return images, true
}

// plainASCII reports whether src is printable ASCII lines (tabs allowed),
// so the scanner never has to know which other characters YAML refuses or
// where it sees a line break.
func plainASCII(src []byte) bool {
	for i, c := range src {
		switch {
		case c >= 0x20 && c < 0x7f, c == '\n', c == '\t':
		case c == '\r' && i+1 < len(src) && src[i+1] == '\n':
		default:
			return false
		}
	}
	return true
}

// scanName reads `name: <scalar>` after a block's "- ".
func scanName(s []byte, line, ind int) (*Image, bool) {
	s, ok := bytes.CutPrefix(s, []byte("name: "))
	if !ok {
		return nil, false
	}
	s = bytes.TrimLeft(s, " ")
	name, quote, n := scanScalar(s)
	if n == 0 || !onlyComment(s[n:]) {
		return nil, false
	}
	return &Image{
		Name: name,
		Line: line + 1,
		layout: imageLayout{
			first: line, last: line,
			itemIndent: ind, keyIndent: ind + 2, entryIndent: -1,
			dmapLine: -1, nameQuote: quote,
		},
	}, true
}

// scanEntry reads `"<digest>": [<tags>]`; col is where s starts in the line.
func scanEntry(s []byte, col, line int) (Entry, bool) {
	digest, _, n := scanScalar(s)
	// YAML limits an implicit key to 1024 characters.
	if n == 0 || n > 1024 || n+2 > len(s) || s[n] != ':' || s[n+1] != ' ' {
		return Entry{}, false
	}
	open := n + 2
	for open < len(s) && s[open] == ' ' {
		open++
	}
	list, tags, close, ok := scanFlow(s, open)
	if !ok || !onlyComment(s[close+1:]) {
		return Entry{}, false
	}
	list.open, list.close, list.end = col+open, col+close, line
	return Entry{Digest: digest, Tags: tags, Line: line + 1, list: list}, true
}

// scanFlow reads a one-line flow sequence of simple scalars at s[open].
func scanFlow(s []byte, open int) (tagList, []string, int, bool) {
	l := tagList{kind: listFlow}
	if open >= len(s) || s[open] != '[' {
		return l, nil, 0, false
	}
	i := skipSpaces(s, open+1)
	l.pad = i > open+1
	tags := []string{}
	if i < len(s) && s[i] == ']' {
		return l, tags, i, true
	}
	for {
		v, q, n := scanScalar(s[i:])
		if n == 0 {
			return l, nil, 0, false
		}
		if len(tags) == 0 {
			l.quote = q
		}
		tags = append(tags, v)
		j := skipSpaces(s, i+n)
		if j >= len(s) {
			return l, nil, 0, false
		}
		if s[j] == ']' {
			return l, tags, j, true
		}
		if s[j] != ',' {
			return l, nil, 0, false
		}
		next := skipSpaces(s, j+1)
		if len(tags) == 1 {
			l.sep = string(s[j:next])
		}
		i = next
	}
}

// scanScalar reads a scalar whose meaning needs no YAML knowledge: a quoted
// string without escapes, or a plain word of [A-Za-z0-9_./-]. n is 0 when s
// does not start with one.
func scanScalar(s []byte) (value string, quote byte, n int) {
	if len(s) == 0 {
		return "", 0, 0
	}
	switch q := s[0]; q {
	case '"', '\'':
		end := bytes.IndexByte(s[1:], q)
		if end < 0 {
			return "", 0, 0
		}
		v := s[1 : 1+end]
		if bytes.IndexByte(v, '\\') >= 0 || (1+end+1 < len(s) && s[1+end+1] == q) {
			return "", 0, 0 // escapes are the YAML library's business
		}
		return string(v), q, end + 2
	}
	for n < len(s) && isPlainChar(s[n]) {
		n++
	}
	if n == 0 || !isWordStart(s[0]) || isNullWord(s[:n]) {
		return "", 0, 0
	}
	return string(s[:n]), 0, n
}

func isPlainChar(c byte) bool {
	return isWordStart(c) || c == '.' || c == '-' || c == '/'
}

func isWordStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

func isNullWord(s []byte) bool {
	switch string(s) {
	case "null", "Null", "NULL":
		return true
	}
	return false
}

// isKeyLine reports whether s is `<key>:` with at most a comment after it.
func isKeyLine(s []byte, key string) bool {
	rest, ok := bytes.CutPrefix(s, []byte(key+":"))
	return ok && onlyComment(rest)
}

// onlyComment reports whether s is empty, spaces, or spaces then a comment.
func onlyComment(s []byte) bool {
	t := bytes.TrimLeft(s, " ")
	return len(t) == 0 || (t[0] == '#' && len(t) < len(s))
}

func skipSpaces(s []byte, i int) int {
	for i < len(s) && s[i] == ' ' {
		i++
	}
	return i
}
