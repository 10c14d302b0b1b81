package fhirpath

import (
	"errors"
	"fmt"
	"time"
)

// evaluator holds one evaluation's environment.
type evaluator struct {
	src     string
	opts    *Options
	context Collection
	now     time.Time
	depth   int
	steps   int
}

// scope is the focus of an expression: $this (the items a term applies
// to), and inside iterating functions $index and $total.
type scope struct {
	focus    Collection
	index    int
	hasIndex bool
	total    Collection
	hasTotal bool
}

// Limits that keep a hostile or mistaken expression from running away:
// recursion depth (nested expressions, repeat()), nodes evaluated, and the
// length of a string built by concatenation.
const (
	maxDepth  = 400
	maxSteps  = 5_000_000
	maxString = 1 << 20
)

// clock is the evaluation's fixed now(): Options.Now, or the time of the
// first call, so now() is the same throughout one evaluation.
func (ev *evaluator) clock() time.Time {
	if ev.now.IsZero() {
		ev.now = time.Now()
	}
	return ev.now
}

func (ev *evaluator) errorf(n *node, kind error, format string, args ...any) error {
	return newError(kind, ev.src, n.pos, format, args...)
}

// wrap gives a plain error from a helper the position of n.
func (ev *evaluator) wrap(n *node, err error) error {
	var fe *Error
	if err == nil || errors.As(err, &fe) {
		return err
	}
	return ev.errorf(n, ErrExecution, "%v", err)
}

func (ev *evaluator) eval(n *node, sc *scope) (Collection, error) {
	ev.depth++
	defer func() { ev.depth-- }()
	if ev.depth > maxDepth {
		return nil, ev.errorf(n, ErrExecution, "expression nested too deeply")
	}
	if ev.steps++; ev.steps > maxSteps {
		return nil, ev.errorf(n, ErrExecution, "evaluation exceeded %d steps", maxSteps)
	}
	switch n.kind {
	case nLiteral:
		if n.err != nil {
			return nil, n.err
		}
		return Collection{n.val}, nil
	case nEmpty:
		return nil, nil
	case nThis:
		return sc.focus, nil
	case nIndexVar:
		if !sc.hasIndex {
			return nil, ev.errorf(n, ErrSemantic, "$index is only defined inside an iterating function")
		}
		return Collection{intValue(int64(sc.index))}, nil
	case nTotal:
		if !sc.hasTotal {
			return nil, ev.errorf(n, ErrSemantic, "$total is only defined inside aggregate()")
		}
		return sc.total, nil
	case nVar:
		return ev.variable(n)
	case nIdent:
		return ev.identifier(n, sc)
	case nMember:
		in, err := ev.eval(n.left, sc)
		if err != nil {
			return nil, err
		}
		return ev.members(n, in, n.name)
	case nIndex:
		return ev.indexer(n, sc)
	case nFunc:
		in := sc.focus
		if n.left != nil {
			var err error
			if in, err = ev.eval(n.left, sc); err != nil {
				return nil, err
			}
		}
		out, err := n.fn.call(ev, n, sc, in)
		return out, ev.wrap(n, err)
	case nUnary:
		return ev.unary(n, sc)
	case nTypeOp:
		in, err := ev.eval(n.left, sc)
		if err != nil {
			return nil, err
		}
		if n.name == "is" {
			return ev.isOp(n, in, n.typ)
		}
		return ev.asOp(n, in, n.typ, true)
	case nBinary:
		return ev.binary(n, sc)
	}
	return nil, ev.errorf(n, ErrExecution, "unknown node")
}

// standardVariables are the constants FHIRPath on FHIR defines.
var standardVariables = map[string]string{
	"sct": "http://snomed.info/sct", "loinc": "http://loinc.org", "ucum": ucumSystem,
}

func (ev *evaluator) variable(n *node) (Collection, error) {
	if c, ok := ev.opts.Variables[n.name]; ok {
		return c, nil
	}
	switch n.name {
	case "context", "resource", "rootResource":
		return ev.context, nil
	}
	if s, ok := standardVariables[n.name]; ok {
		return Collection{stringValue(s)}, nil
	}
	if len(n.name) > 3 && n.name[:3] == "vs-" {
		return Collection{stringValue("http://hl7.org/fhir/ValueSet/" + n.name[3:])}, nil
	}
	if len(n.name) > 4 && n.name[:4] == "ext-" {
		return Collection{stringValue("http://hl7.org/fhir/StructureDefinition/" + n.name[4:])}, nil
	}
	return nil, ev.errorf(n, ErrExecution, "unknown variable %%%s", n.name)
}

// identifier evaluates a name at the start of a path: a type name selects
// the focus items of that type (Patient.name), any other name navigates.
func (ev *evaluator) identifier(n *node, sc *scope) (Collection, error) {
	if n.name != "" && n.name[0] >= 'A' && n.name[0] <= 'Z' && model().isFHIRType(n.name) {
		var out Collection
		for _, v := range sc.focus {
			if v.ftype != "" && model().derivesFrom(v.ftype, n.name) {
				out = append(out, v)
			}
		}
		if len(out) == 0 && ev.opts.Strict && len(sc.focus) > 0 {
			return nil, ev.errorf(n, ErrSemantic, "the context is %s, not %s", sc.focus[0].TypeName(), n.name)
		}
		return out, nil
	}
	return ev.members(n, sc.focus, n.name)
}

func (ev *evaluator) members(n *node, in Collection, name string) (Collection, error) {
	var out Collection
	for _, v := range in {
		var err error
		if out, err = member(out, v, name, ev.opts.Strict); err != nil {
			return nil, ev.errorf(n, ErrSemantic, "%v", err)
		}
	}
	return out, nil
}

func (ev *evaluator) indexer(n *node, sc *scope) (Collection, error) {
	in, err := ev.eval(n.left, sc)
	if err != nil {
		return nil, err
	}
	idx, err := ev.eval(n.args[0], sc)
	if err != nil {
		return nil, err
	}
	i, ok, err := ev.integerArg(n, idx)
	if err != nil || !ok {
		return nil, err
	}
	if i < 0 || i >= int64(len(in)) {
		return nil, nil
	}
	return Collection{in[i]}, nil
}

// integerArg reads an optional single Integer.
func (ev *evaluator) integerArg(n *node, c Collection) (int64, bool, error) {
	c = present(c)
	if len(c) == 0 {
		return 0, false, nil
	}
	if len(c) > 1 || c[0].kind != KindInteger {
		return 0, false, ev.errorf(n, ErrExecution, "expected a single Integer, got %s", describeColl(c))
	}
	return c[0].i, true, nil
}

// present drops primitives that have extensions but no value.
func present(c Collection) Collection {
	for i, v := range c {
		if v.empty {
			out := append(Collection{}, c[:i]...)
			for _, w := range c[i+1:] {
				if !w.empty {
					out = append(out, w)
				}
			}
			return out
		}
	}
	return c
}

func describeColl(c Collection) string {
	switch len(c) {
	case 0:
		return "an empty collection"
	case 1:
		return "a " + c[0].TypeName()
	}
	return fmt.Sprintf("%d items", len(c))
}

// single returns the one value of an operand, or ok false when empty.
func (ev *evaluator) single(n *node, c Collection, what string) (Value, bool, error) {
	c = present(c)
	switch len(c) {
	case 0:
		return Value{}, false, nil
	case 1:
		return c[0], true, nil
	}
	return Value{}, false, ev.errorf(n, ErrExecution, "%s needs a single item, got %d", what, len(c))
}

// truth is singleton evaluation of a collection as a Boolean: empty is
// unknown; a single non-Boolean item is true.
func (ev *evaluator) truth(n *node, c Collection, what string) (value, known bool, err error) {
	v, ok, err := ev.single(n, c, what)
	if err != nil || !ok {
		return false, false, err
	}
	if v.kind == KindBoolean {
		return v.b, true, nil
	}
	return true, true, nil
}

func (ev *evaluator) unary(n *node, sc *scope) (Collection, error) {
	in, err := ev.eval(n.left, sc)
	if err != nil {
		return nil, err
	}
	v, ok, err := ev.single(n, in, "unary "+n.name)
	if err != nil || !ok {
		return nil, err
	}
	if n.name == "+" {
		switch v.kind {
		case KindInteger, KindDecimal, KindQuantity:
			return Collection{v}, nil
		}
	} else {
		switch v.kind {
		case KindInteger:
			return Collection{intValue(-v.i)}, nil
		case KindDecimal:
			return Collection{decimalValue(v.d.neg())}, nil
		case KindQuantity:
			return Collection{quantityValue(v.q.value.neg(), v.q.unit, v.q.cal)}, nil
		}
	}
	return nil, ev.errorf(n, ErrExecution, "unary %s cannot apply to %s", n.name, v.TypeName())
}

func (ev *evaluator) binary(n *node, sc *scope) (Collection, error) {
	left, err := ev.eval(n.left, sc)
	if err != nil {
		return nil, err
	}
	switch n.name {
	case "and", "or", "implies":
		return ev.logic(n, left, sc)
	}
	right, err := ev.eval(n.right, sc)
	if err != nil {
		return nil, err
	}
	switch n.name {
	case "xor":
		a, ka, err := ev.truth(n, left, "xor")
		if err != nil {
			return nil, err
		}
		b, kb, err := ev.truth(n, right, "xor")
		if err != nil || !ka || !kb {
			return nil, err
		}
		return Collection{boolValue(a != b)}, nil
	case "|":
		return union(left, right), nil
	case "=", "!=":
		r, known := equalCollections(present(left), present(right))
		if !known {
			return nil, nil
		}
		return Collection{boolValue(r == (n.name == "="))}, nil
	case "~", "!~":
		r := equivalentCollections(present(left), present(right))
		return Collection{boolValue(r == (n.name == "~"))}, nil
	case "in", "contains":
		item, coll := left, right
		if n.name == "contains" {
			item, coll = right, left
		}
		v, ok, err := ev.single(n, item, n.name)
		if err != nil || !ok {
			return nil, err
		}
		return Collection{boolValue(containsValue(present(coll), v))}, nil
	case "<", "<=", ">", ">=":
		return ev.compare(n, left, right)
	case "&":
		a, oka, err := ev.single(n, left, "&")
		if err != nil {
			return nil, err
		}
		b, okb, err := ev.single(n, right, "&")
		if err != nil {
			return nil, err
		}
		if !oka {
			a = stringValue("")
		}
		if !okb {
			b = stringValue("")
		}
		return ev.arithmetic(n, a, b)
	}
	a, oka, err := ev.single(n, left, n.name)
	if err != nil {
		return nil, err
	}
	b, okb, err := ev.single(n, right, n.name)
	if err != nil || !oka || !okb {
		return nil, err
	}
	return ev.arithmetic(n, a, b)
}

// logic is and, or and implies, short-circuiting where the left side decides.
func (ev *evaluator) logic(n *node, left Collection, sc *scope) (Collection, error) {
	a, ka, err := ev.truth(n, left, n.name)
	if err != nil {
		return nil, err
	}
	if ka && ((n.name == "and" && !a) || (n.name == "or" && a)) {
		return Collection{boolValue(a)}, nil
	}
	if ka && n.name == "implies" && !a {
		return Collection{boolValue(true)}, nil
	}
	right, err := ev.eval(n.right, sc)
	if err != nil {
		return nil, err
	}
	b, kb, err := ev.truth(n, right, n.name)
	if err != nil {
		return nil, err
	}
	switch n.name {
	case "and":
		if kb && !b {
			return Collection{boolValue(false)}, nil
		}
		if ka && kb {
			return Collection{boolValue(true)}, nil
		}
	case "or":
		if kb && b {
			return Collection{boolValue(true)}, nil
		}
		if ka && kb {
			return Collection{boolValue(false)}, nil
		}
	case "implies":
		if kb && b {
			return Collection{boolValue(true)}, nil
		}
		if ka && kb {
			return Collection{boolValue(false)}, nil
		}
	}
	return nil, nil
}

func (ev *evaluator) compare(n *node, left, right Collection) (Collection, error) {
	a, oka, err := ev.single(n, left, n.name)
	if err != nil {
		return nil, err
	}
	b, okb, err := ev.single(n, right, n.name)
	if err != nil || !oka || !okb {
		return nil, err
	}
	c, known, err := compareValues(a, b)
	if err != nil {
		return nil, ev.errorf(n, ErrExecution, "cannot compare %s with %s", a.TypeName(), b.TypeName())
	}
	if !known {
		return nil, nil
	}
	var r bool
	switch n.name {
	case "<":
		r = c < 0
	case "<=":
		r = c <= 0
	case ">":
		r = c > 0
	default:
		r = c >= 0
	}
	return Collection{boolValue(r)}, nil
}
