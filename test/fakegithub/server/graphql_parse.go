package server

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// A GraphQL document parser (executable documents: operations and
// fragments), following the October 2021 specification.

type gqlLoc struct {
	Line   int `json:"line"`
	Column int `json:"column"`
}

type gqlDoc struct {
	ops   []*gqlOp
	frags map[string]*gqlFrag
}

type gqlOp struct {
	kind string // query, mutation, subscription
	name string
	vars []*gqlVarDef
	dirs []*gqlDirective
	sel  []gqlSel
	loc  gqlLoc
}

type gqlVarDef struct {
	name   string
	typ    *gqlTypeRef
	def    gqlValue
	hasDef bool
	loc    gqlLoc
}

// gqlTypeRef is a type reference: a named type, a list of elem, non-null.
type gqlTypeRef struct {
	name    string
	elem    *gqlTypeRef
	nonNull bool
}

func (t *gqlTypeRef) String() string {
	s := t.name
	if t.elem != nil {
		s = "[" + t.elem.String() + "]"
	}
	if t.nonNull {
		s += "!"
	}
	return s
}

// named is the innermost named type.
func (t *gqlTypeRef) named() string {
	for t.elem != nil {
		t = t.elem
	}
	return t.name
}

type gqlDirective struct {
	name string
	args []*gqlArg
	loc  gqlLoc
}

type gqlArg struct {
	name string
	val  gqlValue
	loc  gqlLoc
}

type gqlSel interface{ selLoc() gqlLoc }

type gqlField struct {
	alias string
	name  string
	args  []*gqlArg
	dirs  []*gqlDirective
	sel   []gqlSel
	loc   gqlLoc
}

type gqlInline struct {
	typeCond string // "" for none
	dirs     []*gqlDirective
	sel      []gqlSel
	loc      gqlLoc
}

type gqlSpread struct {
	name string
	dirs []*gqlDirective
	loc  gqlLoc
}

type gqlFrag struct {
	name     string
	typeCond string
	dirs     []*gqlDirective
	sel      []gqlSel
	loc      gqlLoc
}

func (f *gqlField) selLoc() gqlLoc  { return f.loc }
func (f *gqlInline) selLoc() gqlLoc { return f.loc }
func (f *gqlSpread) selLoc() gqlLoc { return f.loc }

// responseKey is the alias, else the name.
func (f *gqlField) responseKey() string {
	if f.alias != "" {
		return f.alias
	}
	return f.name
}

// Literal values. A string literal is a Go string, true/false a bool.
type (
	gqlValue  any
	gqlVarRef struct{ name string }
	gqlIntLit struct{ raw string }
	gqlFltLit struct{ raw string }
	gqlEnum   struct{ name string }
	gqlNull   struct{}
	gqlList   []gqlValue
	gqlObject []gqlObjField
)

type gqlObjField struct {
	name string
	val  gqlValue
}

// ---------------------------------------------------------------- lexer

type tokKind int

const (
	tokEOF tokKind = iota
	tokPunct
	tokName
	tokInt
	tokFloat
	tokString
)

var tokNames = map[tokKind]string{tokEOF: "EOF", tokPunct: "PUNCTUATOR", tokName: "IDENTIFIER", tokInt: "INT", tokFloat: "FLOAT", tokString: "STRING"}

type token struct {
	kind tokKind
	val  string // punctuator, name, raw number, decoded string
	raw  string // source text
	loc  gqlLoc
}

// gqlParseError is a syntax error.
type gqlParseError struct {
	msg string
	loc gqlLoc
}

func (e *gqlParseError) Error() string { return e.msg }

type lexer struct {
	src       string
	pos       int
	line, col int // of pos
}

func (lx *lexer) errf(loc gqlLoc, format string, args ...any) *gqlParseError {
	return &gqlParseError{msg: fmt.Sprintf(format, args...), loc: loc}
}

func (lx *lexer) advance(n int) {
	for i := 0; i < n && lx.pos < len(lx.src); i++ {
		if lx.src[lx.pos] == '\n' {
			lx.line++
			lx.col = 1
		} else if lx.src[lx.pos]&0xC0 != 0x80 { // count runes, not bytes
			lx.col++
		}
		lx.pos++
	}
}

func isNameStart(b byte) bool {
	return b == '_' || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z')
}

func isNameChar(b byte) bool { return isNameStart(b) || (b >= '0' && b <= '9') }

func (lx *lexer) next() (token, error) {
	// Ignored tokens: whitespace, line terminators, commas, comments, BOM.
skip:
	for lx.pos < len(lx.src) {
		b := lx.src[lx.pos]
		switch {
		case b == ' ' || b == '\t' || b == ',' || b == '\n':
			lx.advance(1)
		case b == '\r':
			lx.pos++
			if lx.pos < len(lx.src) && lx.src[lx.pos] == '\n' {
				lx.pos++
			}
			lx.line++
			lx.col = 1
		case b == '#':
			for lx.pos < len(lx.src) && lx.src[lx.pos] != '\n' && lx.src[lx.pos] != '\r' {
				lx.advance(1)
			}
		case strings.HasPrefix(lx.src[lx.pos:], "\uFEFF"):
			lx.pos += 3
		default:
			break skip
		}
	}
	loc := gqlLoc{lx.line, lx.col}
	if lx.pos >= len(lx.src) {
		return token{kind: tokEOF, loc: loc}, nil
	}
	start := lx.pos
	b := lx.src[lx.pos]
	switch {
	case strings.HasPrefix(lx.src[lx.pos:], "..."):
		lx.advance(3)
		return token{kind: tokPunct, val: "...", raw: "...", loc: loc}, nil
	case strings.IndexByte("!$&()[]{}:=@|", b) >= 0:
		lx.advance(1)
		return token{kind: tokPunct, val: string(b), raw: string(b), loc: loc}, nil
	case isNameStart(b):
		for lx.pos < len(lx.src) && isNameChar(lx.src[lx.pos]) {
			lx.advance(1)
		}
		v := lx.src[start:lx.pos]
		return token{kind: tokName, val: v, raw: v, loc: loc}, nil
	case b == '-' || (b >= '0' && b <= '9'):
		return lx.number(loc)
	case b == '"':
		if strings.HasPrefix(lx.src[lx.pos:], `"""`) {
			return lx.blockString(loc)
		}
		return lx.str(loc)
	}
	r, _ := utf8.DecodeRuneInString(lx.src[lx.pos:])
	return token{}, lx.errf(loc, "Parse error on %q (error) at [%d, %d]", string(r), loc.Line, loc.Column)
}

func (lx *lexer) number(loc gqlLoc) (token, error) {
	start := lx.pos
	digits := func() int {
		n := 0
		for lx.pos < len(lx.src) && lx.src[lx.pos] >= '0' && lx.src[lx.pos] <= '9' {
			lx.advance(1)
			n++
		}
		return n
	}
	if lx.src[lx.pos] == '-' {
		lx.advance(1)
	}
	intStart := lx.pos
	if digits() == 0 || (lx.src[intStart] == '0' && lx.pos-intStart > 1) {
		return token{}, lx.errf(loc, "Parse error on %q (error) at [%d, %d]", lx.src[start:lx.pos], loc.Line, loc.Column)
	}
	kind := tokInt
	if lx.pos < len(lx.src) && lx.src[lx.pos] == '.' {
		lx.advance(1)
		if digits() == 0 {
			return token{}, lx.errf(loc, "Parse error on %q (error) at [%d, %d]", lx.src[start:lx.pos], loc.Line, loc.Column)
		}
		kind = tokFloat
	}
	if lx.pos < len(lx.src) && (lx.src[lx.pos] == 'e' || lx.src[lx.pos] == 'E') {
		lx.advance(1)
		if lx.pos < len(lx.src) && (lx.src[lx.pos] == '+' || lx.src[lx.pos] == '-') {
			lx.advance(1)
		}
		if digits() == 0 {
			return token{}, lx.errf(loc, "Parse error on %q (error) at [%d, %d]", lx.src[start:lx.pos], loc.Line, loc.Column)
		}
		kind = tokFloat
	}
	if lx.pos < len(lx.src) && (isNameStart(lx.src[lx.pos]) || lx.src[lx.pos] == '.') {
		return token{}, lx.errf(loc, "Parse error on %q (error) at [%d, %d]", lx.src[start:lx.pos+1], loc.Line, loc.Column)
	}
	v := lx.src[start:lx.pos]
	return token{kind: kind, val: v, raw: v, loc: loc}, nil
}

func (lx *lexer) str(loc gqlLoc) (token, error) {
	start := lx.pos
	lx.advance(1)
	var sb strings.Builder
	for {
		if lx.pos >= len(lx.src) || lx.src[lx.pos] == '\n' || lx.src[lx.pos] == '\r' {
			return token{}, lx.errf(loc, "Parse error on unterminated string at [%d, %d]", loc.Line, loc.Column)
		}
		b := lx.src[lx.pos]
		if b == '"' {
			lx.advance(1)
			return token{kind: tokString, val: sb.String(), raw: lx.src[start:lx.pos], loc: loc}, nil
		}
		if b != '\\' {
			r, size := utf8.DecodeRuneInString(lx.src[lx.pos:])
			sb.WriteRune(r)
			lx.advance(size)
			continue
		}
		if lx.pos+1 >= len(lx.src) {
			return token{}, lx.errf(loc, "Parse error on bad escape at [%d, %d]", lx.line, lx.col)
		}
		e := lx.src[lx.pos+1]
		switch e {
		case '"', '\\', '/':
			sb.WriteByte(e)
		case 'b':
			sb.WriteByte('\b')
		case 'f':
			sb.WriteByte('\f')
		case 'n':
			sb.WriteByte('\n')
		case 'r':
			sb.WriteByte('\r')
		case 't':
			sb.WriteByte('\t')
		case 'u':
			if lx.pos+6 > len(lx.src) {
				return token{}, lx.errf(loc, "Parse error on bad unicode escape at [%d, %d]", lx.line, lx.col)
			}
			n, err := strconv.ParseUint(lx.src[lx.pos+2:lx.pos+6], 16, 32)
			if err != nil {
				return token{}, lx.errf(loc, "Parse error on bad unicode escape at [%d, %d]", lx.line, lx.col)
			}
			r := rune(n)
			adv := 6
			// A surrogate pair written as two escapes.
			if r >= 0xD800 && r < 0xDC00 && strings.HasPrefix(lx.src[lx.pos+6:], `\u`) && lx.pos+12 <= len(lx.src) {
				if lo, err := strconv.ParseUint(lx.src[lx.pos+8:lx.pos+12], 16, 32); err == nil && lo >= 0xDC00 && lo < 0xE000 {
					r = (r-0xD800)<<10 + (rune(lo) - 0xDC00) + 0x10000
					adv = 12
				}
			}
			sb.WriteRune(r)
			lx.advance(adv)
			continue
		default:
			return token{}, lx.errf(loc, "Parse error on bad escape \\%c at [%d, %d]", e, lx.line, lx.col)
		}
		lx.advance(2)
	}
}

func (lx *lexer) blockString(loc gqlLoc) (token, error) {
	start := lx.pos
	lx.advance(3)
	var sb strings.Builder
	for {
		if lx.pos >= len(lx.src) {
			return token{}, lx.errf(loc, "Parse error on unterminated string at [%d, %d]", loc.Line, loc.Column)
		}
		if strings.HasPrefix(lx.src[lx.pos:], `"""`) {
			lx.advance(3)
			return token{kind: tokString, val: blockStringValue(sb.String()), raw: lx.src[start:lx.pos], loc: loc}, nil
		}
		if strings.HasPrefix(lx.src[lx.pos:], `\"""`) {
			sb.WriteString(`"""`)
			lx.advance(4)
			continue
		}
		if lx.src[lx.pos] == '\r' {
			sb.WriteByte('\n')
			lx.pos++
			if lx.pos < len(lx.src) && lx.src[lx.pos] == '\n' {
				lx.pos++
			}
			lx.line++
			lx.col = 1
			continue
		}
		sb.WriteByte(lx.src[lx.pos])
		lx.advance(1)
	}
}

// blockStringValue removes the common indentation and blank first and last
// lines, as the specification's BlockStringValue does.
func blockStringValue(raw string) string {
	lines := strings.Split(raw, "\n")
	common := -1
	for i, l := range lines {
		if i == 0 {
			continue
		}
		indent := len(l) - len(strings.TrimLeft(l, " \t"))
		if indent < len(l) && (common < 0 || indent < common) {
			common = indent
		}
	}
	if common > 0 {
		for i := 1; i < len(lines); i++ {
			if len(lines[i]) >= common {
				lines[i] = lines[i][common:]
			} else {
				lines[i] = ""
			}
		}
	}
	for len(lines) > 0 && strings.TrimLeft(lines[0], " \t") == "" {
		lines = lines[1:]
	}
	for len(lines) > 0 && strings.TrimLeft(lines[len(lines)-1], " \t") == "" {
		lines = lines[:len(lines)-1]
	}
	return strings.Join(lines, "\n")
}

// ---------------------------------------------------------------- parser

type parser struct {
	lx  *lexer
	tok token
}

// parseGraphQL parses an executable document.
func parseGraphQL(src string) (doc *gqlDoc, err error) {
	p := &parser{lx: &lexer{src: src, line: 1, col: 1}}
	defer func() {
		if r := recover(); r != nil {
			pe, ok := r.(*gqlParseError)
			if !ok {
				panic(r)
			}
			doc, err = nil, pe
		}
	}()
	p.advance()
	doc = &gqlDoc{frags: map[string]*gqlFrag{}}
	if p.tok.kind == tokEOF {
		p.fail("Unexpected end of document")
	}
	for p.tok.kind != tokEOF {
		switch {
		case p.isPunct("{"):
			doc.ops = append(doc.ops, &gqlOp{kind: "query", loc: p.tok.loc, sel: p.selectionSet()})
		case p.isName("query"), p.isName("mutation"), p.isName("subscription"):
			doc.ops = append(doc.ops, p.operation())
		case p.isName("fragment"):
			f := p.fragment()
			if _, dup := doc.frags[f.name]; dup {
				panic(&gqlParseError{msg: fmt.Sprintf("Fragment name %q must be unique", f.name), loc: f.loc})
			}
			doc.frags[f.name] = f
		default:
			p.unexpected()
		}
	}
	return doc, nil
}

func (p *parser) advance() {
	t, err := p.lx.next()
	if err != nil {
		panic(err)
	}
	p.tok = t
}

func (p *parser) fail(msg string) {
	panic(&gqlParseError{msg: msg, loc: p.tok.loc})
}

func (p *parser) unexpected() {
	if p.tok.kind == tokEOF {
		p.fail(fmt.Sprintf("Parse error on end of document at [%d, %d]", p.tok.loc.Line, p.tok.loc.Column))
	}
	kind := tokNames[p.tok.kind]
	if p.tok.kind == tokPunct {
		kind = map[string]string{"{": "LCURLY", "}": "RCURLY", "(": "LPAREN", ")": "RPAREN", "[": "LBRACKET", "]": "RBRACKET",
			":": "COLON", "!": "BANG", "$": "VAR_SIGN", "=": "EQUALS", "@": "DIR_SIGN", "...": "ELLIPSIS", "&": "AMP", "|": "PIPE"}[p.tok.val]
	}
	p.fail(fmt.Sprintf("Parse error on %q (%s) at [%d, %d]", p.tok.raw, kind, p.tok.loc.Line, p.tok.loc.Column))
}

func (p *parser) isPunct(v string) bool { return p.tok.kind == tokPunct && p.tok.val == v }
func (p *parser) isName(v string) bool  { return p.tok.kind == tokName && p.tok.val == v }

func (p *parser) expectPunct(v string) gqlLoc {
	if !p.isPunct(v) {
		p.unexpected()
	}
	loc := p.tok.loc
	p.advance()
	return loc
}

func (p *parser) name() (string, gqlLoc) {
	if p.tok.kind != tokName {
		p.unexpected()
	}
	n, loc := p.tok.val, p.tok.loc
	p.advance()
	return n, loc
}

func (p *parser) operation() *gqlOp {
	op := &gqlOp{kind: p.tok.val, loc: p.tok.loc}
	p.advance()
	if p.tok.kind == tokName {
		op.name, _ = p.name()
	}
	if p.isPunct("(") {
		p.advance()
		for !p.isPunct(")") {
			vd := &gqlVarDef{loc: p.tok.loc}
			p.expectPunct("$")
			vd.name, _ = p.name()
			p.expectPunct(":")
			vd.typ = p.typeRef()
			if p.isPunct("=") {
				p.advance()
				vd.def, vd.hasDef = p.value(true), true
			}
			p.directives() // variable directives are accepted and ignored
			op.vars = append(op.vars, vd)
		}
		if len(op.vars) == 0 {
			p.unexpected()
		}
		p.advance()
	}
	op.dirs = p.directives()
	op.sel = p.selectionSet()
	return op
}

func (p *parser) fragment() *gqlFrag {
	f := &gqlFrag{loc: p.tok.loc}
	p.advance()
	if p.isName("on") {
		p.unexpected()
	}
	f.name, _ = p.name()
	if !p.isName("on") {
		p.unexpected()
	}
	p.advance()
	f.typeCond, _ = p.name()
	f.dirs = p.directives()
	f.sel = p.selectionSet()
	return f
}

func (p *parser) typeRef() *gqlTypeRef {
	var t *gqlTypeRef
	if p.isPunct("[") {
		p.advance()
		t = &gqlTypeRef{elem: p.typeRef()}
		p.expectPunct("]")
	} else {
		n, _ := p.name()
		t = &gqlTypeRef{name: n}
	}
	if p.isPunct("!") {
		p.advance()
		t.nonNull = true
	}
	return t
}

func (p *parser) directives() []*gqlDirective {
	var ds []*gqlDirective
	for p.isPunct("@") {
		loc := p.tok.loc
		p.advance()
		n, _ := p.name()
		ds = append(ds, &gqlDirective{name: n, args: p.arguments(false), loc: loc})
	}
	return ds
}

func (p *parser) arguments(isConst bool) []*gqlArg {
	if !p.isPunct("(") {
		return nil
	}
	p.advance()
	var args []*gqlArg
	for !p.isPunct(")") {
		n, loc := p.name()
		p.expectPunct(":")
		args = append(args, &gqlArg{name: n, val: p.value(isConst), loc: loc})
	}
	if len(args) == 0 {
		p.unexpected()
	}
	p.advance()
	return args
}

func (p *parser) selectionSet() []gqlSel {
	p.expectPunct("{")
	var sel []gqlSel
	for !p.isPunct("}") {
		sel = append(sel, p.selection())
	}
	if len(sel) == 0 {
		p.unexpected()
	}
	p.advance()
	return sel
}

func (p *parser) selection() gqlSel {
	if p.isPunct("...") {
		loc := p.tok.loc
		p.advance()
		if p.tok.kind == tokName && p.tok.val != "on" {
			n, _ := p.name()
			return &gqlSpread{name: n, dirs: p.directives(), loc: loc}
		}
		in := &gqlInline{loc: loc}
		if p.isName("on") {
			p.advance()
			in.typeCond, _ = p.name()
		}
		in.dirs = p.directives()
		in.sel = p.selectionSet()
		return in
	}
	f := &gqlField{}
	f.name, f.loc = p.name()
	if p.isPunct(":") {
		p.advance()
		f.alias = f.name
		f.name, _ = p.name()
	}
	f.args = p.arguments(false)
	f.dirs = p.directives()
	if p.isPunct("{") {
		f.sel = p.selectionSet()
	}
	return f
}

func (p *parser) value(isConst bool) gqlValue {
	t := p.tok
	switch t.kind {
	case tokInt:
		p.advance()
		return gqlIntLit{raw: t.val}
	case tokFloat:
		p.advance()
		return gqlFltLit{raw: t.val}
	case tokString:
		p.advance()
		return t.val
	case tokName:
		p.advance()
		switch t.val {
		case "true":
			return true
		case "false":
			return false
		case "null":
			return gqlNull{}
		}
		return gqlEnum{name: t.val}
	case tokPunct:
		switch t.val {
		case "$":
			if isConst {
				p.unexpected()
			}
			p.advance()
			n, _ := p.name()
			return gqlVarRef{name: n}
		case "[":
			p.advance()
			list := gqlList{}
			for !p.isPunct("]") {
				list = append(list, p.value(isConst))
			}
			p.advance()
			return list
		case "{":
			p.advance()
			obj := gqlObject{}
			for !p.isPunct("}") {
				n, _ := p.name()
				p.expectPunct(":")
				obj = append(obj, gqlObjField{name: n, val: p.value(isConst)})
			}
			p.advance()
			return obj
		}
	}
	p.unexpected()
	return nil
}
