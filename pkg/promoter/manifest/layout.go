package manifest

// Where things are in the text, so edits can be made in place. Lines are
// 0-based here; the exported Line fields are 1-based for people.

type imageLayout struct {
	first, last int  // first line of the block ("- name:") and its last content line
	itemIndent  int  // column of the block's "-"
	keyIndent   int  // column of its keys (name, dmap)
	entryIndent int  // column of its digest keys; -1 when it has none
	dmapLine    int  // line of the dmap key; -1 when there is none
	dmapBlock   bool // dmap is a block mapping or empty, so digest lines can go below it
	nameQuote   byte // '"', '\'' or 0 for plain
}

type listKind int

const (
	listNone  listKind = iota // no value at all: `"sha256:...":`
	listFlow                  // `[...]` on one line
	listBlock                 // one `- tag` line per tag
	listOther                 // any other form: not extended in place
)

// tagList is the layout of one digest's tag list.
type tagList struct {
	kind  listKind
	end   int  // last line of the entry
	open  int  // listFlow: offset in the line of '['
	close int  // listFlow: offset in the line of ']'
	dash  int  // listBlock: column of the items' "-"
	quote byte // quote of the first tag; 0 for plain or none
	pad   bool // listFlow: space inside the brackets ("[ a ]")
	sep   string
}

// flowEnd returns the offset of the ']' closing the flow sequence that opens
// at src[open]. It understands quotes, escapes and comments, and so works on
// lists that span lines.
func flowEnd(src []byte, open int) (int, bool) {
	depth := 0
	for i := open; i < len(src); i++ {
		switch c := src[i]; c {
		case '[', '{':
			depth++
		case ']', '}':
			depth--
			if depth == 0 {
				return i, c == ']'
			}
		case '"':
			for i++; i < len(src) && src[i] != '"'; i++ {
				if src[i] == '\\' {
					i++
				}
			}
		case '\'':
			for i++; i < len(src); i++ {
				if src[i] == '\'' {
					if i+1 < len(src) && src[i+1] == '\'' {
						i++
						continue
					}
					break
				}
			}
		case '#':
			if i > 0 && (src[i-1] == ' ' || src[i-1] == '\t' || src[i-1] == '\n') {
				for i < len(src) && src[i] != '\n' {
					i++
				}
			}
		}
	}
	return 0, false
}
