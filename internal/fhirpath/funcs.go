package fhirpath

import "fmt"

// funcDef is one function: its arity and implementation.
type funcDef struct {
	min, max int
	typeArg  bool // its argument is a type specifier (is, as, ofType)
	impl     func(c *call) (Collection, error)
}

// call is one invocation of a function.
type call struct {
	ev *evaluator
	n  *node
	sc *scope     // the scope the invocation appears in: arguments see its $this
	in Collection // the input collection (the receiver, or $this)
}

func (f *funcDef) call(ev *evaluator, n *node, sc *scope, in Collection) (Collection, error) {
	return f.impl(&call{ev: ev, n: n, sc: sc, in: in})
}

// functions is the registry, filled by the init functions of the funcs_*.go files.
var functions = map[string]*funcDef{}

func register(name string, min, max int, impl func(c *call) (Collection, error)) {
	functions[name] = &funcDef{min: min, max: max, impl: impl}
}

func (c *call) errorf(format string, args ...any) error {
	return c.ev.errorf(c.n, ErrExecution, "%s(): "+format, append([]any{c.n.name}, args...)...)
}

// arg evaluates argument i in the invocation's scope.
func (c *call) arg(i int) (Collection, error) {
	if i >= len(c.n.args) {
		return nil, nil
	}
	return c.ev.eval(c.n.args[i], c.sc)
}

func (c *call) hasArg(i int) bool { return i < len(c.n.args) }

// argSingle evaluates argument i to at most one value.
func (c *call) argSingle(i int) (Value, bool, error) {
	if i >= len(c.n.args) {
		return Value{}, false, nil
	}
	a, err := c.arg(i)
	if err != nil {
		return Value{}, false, err
	}
	return c.ev.single(c.n.args[i], a, c.n.name+"() argument")
}

func (c *call) argString(i int) (string, bool, error) {
	v, ok, err := c.argSingle(i)
	if err != nil || !ok {
		return "", false, err
	}
	if v.kind != KindString {
		return "", false, c.errorf("argument %d must be a String, not %s", i+1, v.TypeName())
	}
	return v.s, true, nil
}

func (c *call) argInt(i int) (int64, bool, error) {
	v, ok, err := c.argSingle(i)
	if err != nil || !ok {
		return 0, false, err
	}
	if v.kind != KindInteger {
		return 0, false, c.errorf("argument %d must be an Integer, not %s", i+1, v.TypeName())
	}
	return v.i, true, nil
}

// with evaluates argument i once per item with $this = item, $index = i.
func (c *call) with(i int, item Value, index int) (Collection, error) {
	sc := &scope{focus: Collection{item}, index: index, hasIndex: true}
	return c.ev.eval(c.n.args[i], sc)
}

// input returns the single input value, ok false when the input is empty.
func (c *call) input() (Value, bool, error) {
	return c.ev.single(c.n, c.in, c.n.name+"() input")
}

// inputString returns the single String input.
func (c *call) inputString() (string, bool, error) {
	v, ok, err := c.input()
	if err != nil || !ok {
		return "", false, err
	}
	if v.kind != KindString {
		return "", false, c.ev.errorf(c.n, ErrSemantic, "%s() applies to a String, not %s", c.n.name, v.TypeName())
	}
	return v.s, true, nil
}

func one(v Value) (Collection, error) { return Collection{v}, nil }

func boolResult(b bool) (Collection, error) { return Collection{boolValue(b)}, nil }

// check resolves the functions of a parsed expression: unknown names and
// wrong argument counts are semantic errors found at compile time.
func check(src string, n *node) error {
	if n == nil {
		return nil
	}
	if n.kind == nFunc {
		f, ok := functions[n.name]
		if !ok {
			return newError(ErrSemantic, src, n.pos, "unknown function %s()", n.name)
		}
		if len(n.args) < f.min || len(n.args) > f.max {
			return newError(ErrSemantic, src, n.pos, "%s() takes %s, got %d", n.name, arity(f), len(n.args))
		}
		n.fn = f
		if f.typeArg {
			ts, ok := typeFromNode(n.args[0])
			if !ok {
				return newError(ErrSemantic, src, n.args[0].pos, "%s() needs a type name", n.name)
			}
			n.typ = ts
			n.args = nil
		}
	}
	if n.kind == nTypeOp || (n.kind == nFunc && n.fn.typeArg) {
		if err := checkType(n.typ); err != nil {
			return newError(ErrSemantic, src, n.pos, "%v", err)
		}
	}
	for _, c := range append([]*node{n.left, n.right}, n.args...) {
		if err := check(src, c); err != nil {
			return err
		}
	}
	return nil
}

func arity(f *funcDef) string {
	switch {
	case f.min == f.max && f.min == 0:
		return "no arguments"
	case f.min == f.max && f.min == 1:
		return "1 argument"
	case f.min == f.max:
		return string(rune('0'+f.min)) + " arguments"
	}
	return string(rune('0'+f.min)) + " to " + string(rune('0'+f.max)) + " arguments"
}

// typeFromNode reads a type name written as an expression: Quantity,
// FHIR.Patient, System.`Boolean`.
func typeFromNode(n *node) (typeSpec, bool) {
	switch {
	case n.kind == nIdent:
		return typeSpec{name: n.name}, true
	case n.kind == nMember && n.left.kind == nIdent:
		return typeSpec{ns: n.left.name, name: n.name}, true
	}
	return typeSpec{}, false
}

var systemTypes = map[string]Kind{
	"Boolean": KindBoolean, "Integer": KindInteger, "Decimal": KindDecimal, "String": KindString,
	"Date": KindDate, "DateTime": KindDateTime, "Time": KindTime, "Quantity": KindQuantity,
}

func checkType(t typeSpec) error {
	_, sys := systemTypes[t.name]
	sys = sys || t.name == "Any"
	fhirType := model().isFHIRType(t.name) || t.name == "BackboneElement" || t.name == "Element"
	ok := false
	switch t.ns {
	case "System":
		ok = true // System.Patient is a valid name that no value has
	case "FHIR":
		ok = fhirType
	case "":
		ok = sys || fhirType
	}
	if !ok {
		return fmt.Errorf("unknown type %s", t)
	}
	return nil
}
