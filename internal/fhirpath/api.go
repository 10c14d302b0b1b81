// Package fhirpath owns FHIRPath: a FHIRPath 2.0 engine (the normative
// release, with the FHIR R4 additions) that evaluates expressions against
// resources as stored, in JSON. It is how search parameter values are
// extracted and how invariants and rules are expressed.
//
// Compile parses an expression once; the *Expression is immutable and safe
// for concurrent use. Evaluate runs it against a resource (JSON bytes) or
// EvaluateValue against values already decoded with Decode, and returns a
// Collection. FHIR type information (element types, choice elements such
// as Observation.value[x], the primitive and resource types behind is, as
// and ofType) comes from the generated R4 tables in package fhir.
//
// Decimals are exact (math/big); dates and times keep their precision and
// compare as the specification says (an empty result when precisions
// differ). Quantities convert between the UCUM units common in clinical
// data. Terminology (memberOf), profiles other than the base resource
// profiles (conformsTo) and references outside the resource (resolve) are
// hooks in Options.
//
// Errors are *Error values wrapping ErrSyntax, ErrSemantic or ErrExecution,
// with the position in the expression.
//
// It is layer 1: it imports only the standard library and package fhir.
package fhirpath

import (
	"bytes"
	"fmt"
	"time"
)

// Expression is a compiled FHIRPath expression.
type Expression struct {
	src  string
	root *node
}

// Options are the environment of one evaluation. The zero value (or nil) is
// a lenient evaluation with the standard variables and no hooks.
type Options struct {
	// Variables are extra %name constants (without the %).
	Variables map[string]Collection
	// Strict makes navigation to an element the type does not define an
	// error, instead of an empty result, checking the paths statically too
	// (see strict.go), and makes order-dependent functions on the
	// unordered results of children() and descendants() an error.
	Strict bool
	// Now fixes now(), today() and timeOfDay(); the zero value is the clock.
	Now time.Time
	// Trace receives trace(name) output; nil discards it.
	Trace func(name string, items Collection)
	// Resolve looks up a reference that is not contained in the resource or
	// its Bundle (resolve()); nil leaves such references unresolved.
	Resolve func(reference string) (map[string]any, error)
	// MemberOf answers memberOf(valueSet) for a code, Coding or
	// CodeableConcept; nil makes memberOf an error.
	MemberOf func(item Value, valueSet string) (bool, error)
	// ConformsTo answers conformsTo(profile) for profiles other than the
	// base resource profiles; nil makes those an error.
	ConformsTo func(item Value, profile string) (bool, error)
}

// Compile parses expr. Syntax errors wrap ErrSyntax; unknown functions and
// wrong argument counts wrap ErrSemantic.
func Compile(expr string) (*Expression, error) {
	root, err := parse(expr)
	if err != nil {
		return nil, err
	}
	if err := check(expr, root); err != nil {
		return nil, err
	}
	return &Expression{src: expr, root: root}, nil
}

// MustCompile is Compile for expressions known to be valid; it panics on error.
func MustCompile(expr string) *Expression {
	e, err := Compile(expr)
	if err != nil {
		panic(err)
	}
	return e
}

// String returns the source of the expression.
func (e *Expression) String() string { return e.src }

// Decode parses a resource (or any JSON object) for EvaluateValue, keeping
// numbers exact.
func Decode(resource []byte) (Value, error) {
	m, err := decodeObject(resource)
	if err != nil {
		return Value{}, fmt.Errorf("fhirpath: decode resource: %w", err)
	}
	return ResourceValue(m), nil
}

// ResourceValue wraps a decoded JSON object (numbers as json.Number or
// float64); its FHIR type is its resourceType.
func ResourceValue(m map[string]any) Value {
	rt, _ := m["resourceType"].(string)
	return objectValue(m, rt)
}

// Evaluate runs the expression against a resource given as JSON. A nil or
// empty resource evaluates with an empty context.
func (e *Expression) Evaluate(resource []byte, opts *Options) (Collection, error) {
	if len(bytes.TrimSpace(resource)) == 0 {
		return e.EvaluateValue(nil, opts)
	}
	v, err := Decode(resource)
	if err != nil {
		return nil, err
	}
	return e.EvaluateValue(Collection{v}, opts)
}

// EvaluateValue runs the expression with context as %context, %resource
// and the initial $this (usually one resource from Decode).
func (e *Expression) EvaluateValue(context Collection, opts *Options) (Collection, error) {
	if opts == nil {
		opts = &Options{}
	}
	if opts.Strict {
		if err := checkStrict(e.src, e.root, context); err != nil {
			return nil, err
		}
	}
	ev := &evaluator{src: e.src, opts: opts, context: context, now: opts.Now}
	return ev.eval(e.root, &scope{focus: context})
}

// String, Integer, Decimal and Boolean make System values, for Variables.
func String(s string) Value { return stringValue(s) }

// Integer makes a System.Integer.
func Integer(i int64) Value { return intValue(i) }

// Boolean makes a System.Boolean.
func Boolean(b bool) Value { return boolValue(b) }

// Decimal makes a System.Decimal from its text ("1.50"), keeping its precision.
func Decimal(s string) (Value, error) {
	d, err := parseDecimal(s)
	if err != nil {
		return Value{}, fmt.Errorf("fhirpath: %q is not a decimal", s)
	}
	return decimalValue(d), nil
}

// Truthy reports how a result reads as a condition (an invariant): true
// only for a single true Boolean; empty is reported as not known (ok false).
func (c Collection) Truthy() (value, ok bool) {
	if len(c) == 0 {
		return false, false
	}
	if len(c) == 1 && c[0].kind == KindBoolean {
		return c[0].b, true
	}
	return true, true
}
