package fhirpath

import (
	"strings"
)

// nodeKind is the class of an AST node.
type nodeKind uint8

const (
	nLiteral  nodeKind = iota // val holds the value (or nothing: {})
	nIdent                    // a member name or type name at the start of a path
	nMember                   // left.name
	nFunc                     // [left.]name(args)
	nIndex                    // left[args[0]]
	nBinary                   // left op right
	nUnary                    // op left
	nTypeOp                   // left is/as typ
	nVar                      // %name
	nThis                     // $this
	nIndexVar                 // $index
	nTotal                    // $total
	nEmpty                    // {}
)

// node is one AST node. Functions and members keep their receiver in left;
// a function invoked without a receiver has left == nil (it applies to $this).
type node struct {
	kind  nodeKind
	pos   int
	name  string // identifier, function, operator or variable name
	left  *node
	right *node
	args  []*node
	val   Value    // literal
	typ   typeSpec // is/as operand
	fn    *funcDef // resolved function
	err   error    // a literal that fails when evaluated
}

// typeSpec is a type name in is/as/ofType, optionally qualified (System., FHIR.).
type typeSpec struct {
	ns   string // "System", "FHIR" or "" (unqualified)
	name string
}

func (t typeSpec) String() string {
	if t.ns == "" {
		return t.name
	}
	return t.ns + "." + t.name
}

// binary operator precedence, lowest first.
var precedence = map[string]int{
	"implies": 1,
	"or":      2, "xor": 2,
	"and": 3,
	"in":  4, "contains": 4,
	"=": 5, "~": 5, "!=": 5, "!~": 5,
	"<=": 6, "<": 6, ">": 6, ">=": 6,
	"|":  7,
	"is": 8, "as": 8,
	"+": 9, "-": 9, "&": 9,
	"*": 10, "/": 10, "div": 10, "mod": 10,
}

// calendarUnits are the time-valued keywords allowed after a number.
var calendarUnits = map[string]string{
	"year": "year", "years": "year", "month": "month", "months": "month",
	"week": "week", "weeks": "week", "day": "day", "days": "day",
	"hour": "hour", "hours": "hour", "minute": "minute", "minutes": "minute",
	"second": "second", "seconds": "second", "millisecond": "millisecond", "milliseconds": "millisecond",
}

type parser struct {
	src  string
	toks []token
	i    int
}

func parse(src string) (*node, error) {
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := &parser{src: src, toks: toks}
	n, err := p.expr(0)
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, p.errorf(t.pos, "unexpected %s", describe(t))
	}
	return n, nil
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) advance() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func (p *parser) errorf(pos int, format string, args ...any) error {
	return newError(ErrSyntax, p.src, pos, format, args...)
}

func describe(t token) string {
	switch t.kind {
	case tEOF:
		return "end of expression"
	case tString:
		return "string '" + t.text + "'"
	default:
		return "'" + t.text + "'"
	}
}

func (p *parser) isOp(text string) bool {
	t := p.peek()
	return t.kind == tOp && t.text == text
}

func (p *parser) expect(text string) error {
	if !p.isOp(text) {
		t := p.peek()
		return p.errorf(t.pos, "expected '%s', found %s", text, describe(t))
	}
	p.advance()
	return nil
}

// binaryOp returns the operator at the cursor, if any.
func (p *parser) binaryOp() (string, int, bool) {
	t := p.peek()
	if t.kind == tOp || (t.kind == tIdent && !t.quoted) {
		if prec, ok := precedence[t.text]; ok {
			return t.text, prec, true
		}
	}
	return "", 0, false
}

// expr parses by precedence climbing; all binary operators are left-associative.
func (p *parser) expr(minPrec int) (*node, error) {
	left, err := p.unary()
	if err != nil {
		return nil, err
	}
	for {
		op, prec, ok := p.binaryOp()
		if !ok || prec < minPrec {
			return left, nil
		}
		t := p.advance()
		if op == "is" || op == "as" {
			ts, err := p.typeSpecifier()
			if err != nil {
				return nil, err
			}
			left = &node{kind: nTypeOp, pos: t.pos, name: op, left: left, typ: ts}
			continue
		}
		right, err := p.expr(prec + 1)
		if err != nil {
			return nil, err
		}
		left = &node{kind: nBinary, pos: t.pos, name: op, left: left, right: right}
	}
}

func (p *parser) typeSpecifier() (typeSpec, error) {
	t := p.advance()
	if t.kind != tIdent {
		return typeSpec{}, p.errorf(t.pos, "expected a type name, found %s", describe(t))
	}
	if p.isOp(".") && p.toks[p.i+1].kind == tIdent {
		p.advance()
		n := p.advance()
		return typeSpec{ns: t.text, name: n.text}, nil
	}
	return typeSpec{name: t.text}, nil
}

func (p *parser) unary() (*node, error) {
	if p.isOp("+") || p.isOp("-") {
		t := p.advance()
		operand, err := p.unary()
		if err != nil {
			return nil, err
		}
		return &node{kind: nUnary, pos: t.pos, name: t.text, left: operand}, nil
	}
	return p.postfix()
}

func (p *parser) postfix() (*node, error) {
	n, err := p.term()
	if err != nil {
		return nil, err
	}
	for {
		switch {
		case p.isOp("."):
			p.advance()
			t := p.advance()
			if t.kind != tIdent {
				return nil, p.errorf(t.pos, "expected a name after '.', found %s", describe(t))
			}
			if p.isOp("(") {
				f, err := p.call(t)
				if err != nil {
					return nil, err
				}
				f.left = n
				n = f
			} else {
				n = &node{kind: nMember, pos: t.pos, name: t.text, left: n}
			}
		case p.isOp("["):
			t := p.advance()
			idx, err := p.expr(0)
			if err != nil {
				return nil, err
			}
			if err := p.expect("]"); err != nil {
				return nil, err
			}
			n = &node{kind: nIndex, pos: t.pos, left: n, args: []*node{idx}}
		default:
			return n, nil
		}
	}
}

func (p *parser) call(name token) (*node, error) {
	p.advance() // (
	n := &node{kind: nFunc, pos: name.pos, name: name.text}
	if p.isOp(")") {
		p.advance()
		return n, nil
	}
	for {
		a, err := p.expr(0)
		if err != nil {
			return nil, err
		}
		n.args = append(n.args, a)
		if p.isOp(",") {
			p.advance()
			continue
		}
		if err := p.expect(")"); err != nil {
			return nil, err
		}
		return n, nil
	}
}

func (p *parser) term() (*node, error) {
	t := p.advance()
	switch t.kind {
	case tNumber:
		return p.numberOrQuantity(t)
	case tString:
		return &node{kind: nLiteral, pos: t.pos, val: stringValue(t.text)}, nil
	case tDate, tDateTime, tTime:
		return temporalLiteral(p.src, t), nil
	case tVar:
		return &node{kind: nVar, pos: t.pos, name: t.text}, nil
	case tSpecial:
		switch t.text {
		case "$this":
			return &node{kind: nThis, pos: t.pos}, nil
		case "$index":
			return &node{kind: nIndexVar, pos: t.pos}, nil
		}
		return &node{kind: nTotal, pos: t.pos}, nil
	case tIdent:
		if !t.quoted && (t.text == "true" || t.text == "false") {
			return &node{kind: nLiteral, pos: t.pos, val: boolValue(t.text == "true")}, nil
		}
		if p.isOp("(") {
			return p.call(t)
		}
		return &node{kind: nIdent, pos: t.pos, name: t.text}, nil
	case tOp:
		switch t.text {
		case "(":
			n, err := p.expr(0)
			if err != nil {
				return nil, err
			}
			return n, p.expect(")")
		case "{":
			return &node{kind: nEmpty, pos: t.pos}, p.expect("}")
		}
	}
	return nil, p.errorf(t.pos, "unexpected %s", describe(t))
}

func (p *parser) numberOrQuantity(t token) (*node, error) {
	next := p.peek()
	if next.kind == tString {
		p.advance()
		v, err := parseDecimal(t.text)
		if err != nil {
			return nil, p.errorf(t.pos, "bad number %q", t.text)
		}
		return &node{kind: nLiteral, pos: t.pos, val: quantityValue(v, next.text, false)}, nil
	}
	if next.kind == tIdent && !next.quoted {
		if _, ok := calendarUnits[next.text]; ok {
			p.advance()
			v, err := parseDecimal(t.text)
			if err != nil {
				return nil, p.errorf(t.pos, "bad number %q", t.text)
			}
			return &node{kind: nLiteral, pos: t.pos, val: quantityValue(v, next.text, true)}, nil
		}
	}
	if strings.Contains(t.text, ".") {
		d, err := parseDecimal(t.text)
		if err != nil {
			return nil, p.errorf(t.pos, "bad number %q", t.text)
		}
		return &node{kind: nLiteral, pos: t.pos, val: decimalValue(d)}, nil
	}
	i, ok := parseInteger(t.text)
	if !ok {
		d, err := parseDecimal(t.text)
		if err != nil {
			return nil, p.errorf(t.pos, "bad number %q", t.text)
		}
		return &node{kind: nLiteral, pos: t.pos, val: decimalValue(d)}, nil
	}
	return &node{kind: nLiteral, pos: t.pos, val: intValue(i)}, nil
}

func temporalLiteral(src string, t token) *node {
	n := &node{kind: nLiteral, pos: t.pos}
	var tm temporal
	var ok bool
	switch t.kind {
	case tDate:
		tm, ok = parseDate(t.text)
	case tDateTime:
		tm, ok = parseDateTime(strings.TrimSuffix(t.text, "T"))
		if ok && strings.HasSuffix(t.text, "T") {
			tm.kind = KindDateTime
		}
	default:
		tm, ok = parseTime(t.text)
	}
	if !ok {
		n.err = newError(ErrExecution, src, t.pos, "invalid date/time literal @%s", t.text)
		return n
	}
	n.val = temporalValue(tm)
	return n
}
