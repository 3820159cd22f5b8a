package space

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ParseError is the error Parse returns: what is wrong and where.
type ParseError struct {
	Offset    int    // byte offset into the input
	Line, Col int    // 1-based; Col counts characters
	Msg       string // the problem
}

// Error formats the position and the problem.
func (e *ParseError) Error() string {
	return fmt.Sprintf("genotype: line %d, column %d: %s", e.Line, e.Col, e.Msg)
}

// Parse reads a genotype in DARTS notation: what String prints and what the
// Python code bases log. It accepts single or double quotes, concat lists as
// range(a, b) or [a, b, ...], the four fields in any order, trailing commas,
// any whitespace including newlines, and an optional leading "name =" (as in
// "genotype = Genotype(...)"). A successful result passes Validate. Malformed
// input gives a *ParseError naming the first problem and its position.
func Parse(src string) (Genotype, error) {
	p := &parser{src: src}
	g, err := p.genotype()
	if err != nil {
		return Genotype{}, err
	}
	if err := g.Validate(); err != nil { // a guard: the checks above should cover it
		return Genotype{}, p.errAt(0, "%v", err)
	}
	return g, nil
}

type tokKind int

const (
	tEOF tokKind = iota
	tIdent
	tInt
	tString
	tPunct
)

type token struct {
	kind tokKind
	text string // identifier, string contents or punctuation
	val  int    // value of an integer
	pos  int
}

type parser struct {
	src string
	off int   // next byte to lex
	tok token // current token
}

// concatSpec is a concat field as written, checked once the node count is known.
type concatSpec struct {
	pos       int
	isRange   bool
	lo, hi    int   // range(lo, hi)
	vals, at  []int // list values and their positions
	fieldName string
}

func (p *parser) errAt(pos int, format string, args ...any) error {
	prefix := p.src[:pos]
	line := strings.Count(prefix, "\n") + 1
	col := utf8.RuneCountInString(prefix[strings.LastIndexByte(prefix, '\n')+1:]) + 1
	return &ParseError{Offset: pos, Line: line, Col: col, Msg: fmt.Sprintf(format, args...)}
}

func isLetter(c byte) bool { return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isDigit(c byte) bool  { return '0' <= c && c <= '9' }

// next lexes the following token into p.tok.
func (p *parser) next() error {
	for p.off < len(p.src) && strings.IndexByte(" \t\r\n", p.src[p.off]) >= 0 {
		p.off++
	}
	start := p.off
	if start == len(p.src) {
		p.tok = token{kind: tEOF, pos: start}
		return nil
	}
	switch c := p.src[start]; {
	case isLetter(c):
		for p.off < len(p.src) && (isLetter(p.src[p.off]) || isDigit(p.src[p.off])) {
			p.off++
		}
		p.tok = token{kind: tIdent, text: p.src[start:p.off], pos: start}
	case isDigit(c):
		for p.off < len(p.src) && isDigit(p.src[p.off]) {
			p.off++
		}
		v, err := strconv.Atoi(p.src[start:p.off])
		if err != nil {
			return p.errAt(start, "integer %s out of range", p.src[start:p.off])
		}
		p.tok = token{kind: tInt, text: p.src[start:p.off], val: v, pos: start}
	case c == '\'' || c == '"':
		end := strings.IndexAny(p.src[start+1:], string(c)+"\n")
		if end < 0 || p.src[start+1+end] == '\n' {
			return p.errAt(start, "unterminated string")
		}
		p.off = start + 1 + end + 1
		p.tok = token{kind: tString, text: p.src[start+1 : start+1+end], pos: start}
	case strings.IndexByte("()[],=", c) >= 0:
		p.off++
		p.tok = token{kind: tPunct, text: string(c), pos: start}
	default:
		r, _ := utf8.DecodeRuneInString(p.src[start:])
		return p.errAt(start, "unexpected character %q", r)
	}
	return nil
}

// describe names the current token for error messages.
func (p *parser) describe() string {
	switch p.tok.kind {
	case tEOF:
		return "end of input"
	case tString:
		return strconv.Quote(p.tok.text)
	}
	return "'" + p.tok.text + "'"
}

// is reports whether the current token is the punctuation or identifier s.
func (p *parser) is(s string) bool {
	return (p.tok.kind == tPunct || p.tok.kind == tIdent) && p.tok.text == s
}

// expect consumes the punctuation or identifier s, or fails naming what.
func (p *parser) expect(s, what string) error {
	if !p.is(s) {
		return p.errAt(p.tok.pos, "expected %s, found %s", what, p.describe())
	}
	return p.next()
}

// expectInt consumes an integer and returns it with its position.
func (p *parser) expectInt(what string) (int, int, error) {
	if p.tok.kind != tInt {
		return 0, 0, p.errAt(p.tok.pos, "expected %s (a non-negative integer), found %s", what, p.describe())
	}
	v, pos := p.tok.val, p.tok.pos
	return v, pos, p.next()
}

func (p *parser) genotype() (Genotype, error) {
	if err := p.next(); err != nil {
		return Genotype{}, err
	}
	// An optional "name =" in front, as in log lines "genotype = Genotype(...)".
	if p.tok.kind == tIdent && p.tok.text != "Genotype" {
		name := p.tok.text
		if err := p.next(); err != nil {
			return Genotype{}, err
		}
		if err := p.expect("=", fmt.Sprintf("'=' after %q or 'Genotype('", name)); err != nil {
			return Genotype{}, err
		}
	}
	if err := p.expect("Genotype", "'Genotype('"); err != nil {
		return Genotype{}, err
	}
	if err := p.expect("(", "'(' after Genotype"); err != nil {
		return Genotype{}, err
	}
	var g Genotype
	normalConcat := concatSpec{fieldName: "normal_concat"}
	reduceConcat := concatSpec{fieldName: "reduce_concat"}
	seen := map[string]bool{}
	for !p.is(")") {
		if p.tok.kind != tIdent {
			return Genotype{}, p.errAt(p.tok.pos, "expected a field name or ')', found %s", p.describe())
		}
		name, pos := p.tok.text, p.tok.pos
		if seen[name] {
			return Genotype{}, p.errAt(pos, "field %s given twice", name)
		}
		seen[name] = true
		if err := p.next(); err != nil {
			return Genotype{}, err
		}
		if err := p.expect("=", "'=' after "+name); err != nil {
			return Genotype{}, err
		}
		var err error
		switch name {
		case "normal":
			g.Normal, err = p.pairs(name)
		case "reduce":
			g.Reduce, err = p.pairs(name)
		case "normal_concat":
			err = p.concat(&normalConcat)
		case "reduce_concat":
			err = p.concat(&reduceConcat)
		default:
			return Genotype{}, p.errAt(pos, "unknown field %q (want normal, normal_concat, reduce, reduce_concat)", name)
		}
		if err != nil {
			return Genotype{}, err
		}
		if p.is(",") {
			if err := p.next(); err != nil {
				return Genotype{}, err
			}
		} else if !p.is(")") {
			return Genotype{}, p.errAt(p.tok.pos, "expected ',' or ')' after field %s, found %s", name, p.describe())
		}
	}
	closing := p.tok.pos
	if err := p.next(); err != nil {
		return Genotype{}, err
	}
	if p.tok.kind != tEOF {
		return Genotype{}, p.errAt(p.tok.pos, "unexpected %s after the closing ')'", p.describe())
	}
	for _, f := range []string{"normal", "normal_concat", "reduce", "reduce_concat"} {
		if !seen[f] {
			return Genotype{}, p.errAt(closing, "missing field %s", f)
		}
	}
	var err error
	if g.NormalConcat, err = p.checkConcat(normalConcat, len(g.Normal)/2); err != nil {
		return Genotype{}, err
	}
	if g.ReduceConcat, err = p.checkConcat(reduceConcat, len(g.Reduce)/2); err != nil {
		return Genotype{}, err
	}
	return g, nil
}

// pairs parses [('op', source), ...], checking ops and sources as it goes.
func (p *parser) pairs(field string) ([]Pair, error) {
	if err := p.expect("[", "'[' to open "+field); err != nil {
		return nil, err
	}
	var pairs []Pair
	for !p.is("]") {
		k := len(pairs)
		if err := p.expect("(", fmt.Sprintf("'(' to open %s pair %d or ']'", field, k)); err != nil {
			return nil, err
		}
		if p.tok.kind != tString {
			return nil, p.errAt(p.tok.pos, "expected a quoted op name in %s pair %d, found %s", field, k, p.describe())
		}
		op := p.tok.text
		if !Known(op) {
			return nil, p.errAt(p.tok.pos, "unknown op %q in %s pair %d", op, field, k)
		}
		if err := p.next(); err != nil {
			return nil, err
		}
		if err := p.expect(",", "',' after the op name"); err != nil {
			return nil, err
		}
		src, pos, err := p.expectInt("a source")
		if err != nil {
			return nil, err
		}
		if node := k / 2; src >= node+2 {
			return nil, p.errAt(pos, "bad source %d in %s pair %d: node %d takes sources 0..%d", src, field, k, node, node+1)
		}
		if p.is(",") { // Python allows ('op', 1,)
			if err := p.next(); err != nil {
				return nil, err
			}
		}
		if err := p.expect(")", "')' to close the pair"); err != nil {
			return nil, err
		}
		pairs = append(pairs, Pair{Op: op, Source: src})
		if err := p.listSep("]", field); err != nil {
			return nil, err
		}
	}
	closing := p.tok.pos
	if len(pairs) == 0 || len(pairs)%2 != 0 {
		return nil, p.errAt(closing, "%s has %d pairs; want 2 per node, at least one node", field, len(pairs))
	}
	return pairs, p.next()
}

// listSep consumes the ',' between list items, or leaves the closing token.
func (p *parser) listSep(closing, field string) error {
	if p.is(",") {
		return p.next()
	}
	if !p.is(closing) {
		return p.errAt(p.tok.pos, "expected ',' or '%s' in %s, found %s", closing, field, p.describe())
	}
	return nil
}

// concat parses range(a, b) or [a, b, ...]; checkConcat validates it later.
func (p *parser) concat(c *concatSpec) error {
	c.pos = p.tok.pos
	if p.is("range") {
		c.isRange = true
		if err := p.next(); err != nil {
			return err
		}
		if err := p.expect("(", "'(' after range"); err != nil {
			return err
		}
		var err error
		if c.lo, _, err = p.expectInt("the start of the range"); err != nil {
			return err
		}
		if err := p.expect(",", "',' in range(start, stop)"); err != nil {
			return err
		}
		if c.hi, _, err = p.expectInt("the stop of the range"); err != nil {
			return err
		}
		return p.expect(")", "')' to close range(start, stop)")
	}
	if err := p.expect("[", "'[' or 'range(' for "+c.fieldName); err != nil {
		return err
	}
	for !p.is("]") {
		v, pos, err := p.expectInt("a state in " + c.fieldName)
		if err != nil {
			return err
		}
		c.vals, c.at = append(c.vals, v), append(c.at, pos)
		if err := p.listSep("]", c.fieldName); err != nil {
			return err
		}
	}
	return p.next()
}

// checkConcat checks a concat field against the cell's node count (known only
// after all fields are read) and returns its states. Bounds come first, so a
// huge range never gets materialised.
func (p *parser) checkConcat(c concatSpec, nodes int) ([]int, error) {
	if c.isRange {
		if c.lo >= c.hi {
			return nil, p.errAt(c.pos, "%s: range(%d, %d) is empty", c.fieldName, c.lo, c.hi)
		}
		if c.lo < 2 || c.hi > nodes+2 {
			return nil, p.errAt(c.pos, "%s: range(%d, %d) is not within the intermediate states 2..%d", c.fieldName, c.lo, c.hi, nodes+1)
		}
		return concatRange(c.hi - 2)[c.lo-2:], nil
	}
	if len(c.vals) == 0 {
		return nil, p.errAt(c.pos, "%s is empty", c.fieldName)
	}
	for i, v := range c.vals {
		if v < 2 || v >= nodes+2 {
			return nil, p.errAt(c.at[i], "%s: state %d is not an intermediate state 2..%d", c.fieldName, v, nodes+1)
		}
		if slices.Index(c.vals, v) != i {
			return nil, p.errAt(c.at[i], "%s: state %d listed twice", c.fieldName, v)
		}
	}
	return c.vals, nil
}
