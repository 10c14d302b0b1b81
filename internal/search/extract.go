package search

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Engine is the FHIRPath engine extraction runs on. Package search owns
// this small interface and does not import package fhirpath (both are
// layer 1); the package that builds the Registry (the store) passes an
// adapter over fhirpath.Compile and fhirpath.Decode, such as the one in
// engine_fhirpath_test.go.
type Engine interface {
	// Compile parses a FHIRPath expression once; the Program is used from
	// many goroutines.
	Compile(expr string) (Program, error)
	// Decode parses a resource once, for all of its type's programs.
	Decode(resource []byte) (Node, error)
}

// Program is a compiled expression.
type Program interface {
	// Eval evaluates the expression with context as its input (a resource
	// from Decode, or an element a previous Eval returned).
	Eval(context Node) ([]Node, error)
}

// Node is one item an expression selected.
type Node struct {
	// Type is the FHIR type: "CodeableConcept", "Reference", "dateTime",
	// "string", "Patient"...; "" when the engine does not know it (then the
	// type is inferred from the value's shape).
	Type string
	// Object is a complex value or resource: its JSON object, numbers as
	// json.Number (or float64).
	Object map[string]any
	// Text is a primitive's value as JSON text without quotes: "true",
	// "1.50", "2020-01", "final".
	Text string
	// Handle is the engine's own value, handed back to Program.Eval when
	// the node is the context of a further expression (composites).
	Handle any
}

// ErrNoEngine is returned by Extract on a registry made without an Engine.
var ErrNoEngine = errors.New("search: registry has no FHIRPath engine")

// plan is how one resource type's parameters are extracted, compiled once.
type plan struct {
	params  []paramPlan
	skipped []string // codes whose expressions did not compile
}

type paramPlan struct {
	param *Param
	parts []partPlan
	comps []compPlan // composite components
}

// partPlan is one union part of an expression; onlyType keeps only
// references to that type (the part ended in .where(resolve() is T)).
type partPlan struct {
	prog     Program
	onlyType string
	top      string // the top-level element the part reads ("" when not known): absent, the part is skipped
}

type compPlan struct {
	typ  Type
	prog Program
}

type compiled struct {
	prog Program
	err  error
}

// SkippedExpression is one expression the engine could not compile.
type SkippedExpression struct {
	ResourceType, Code, Expression string
	Err                            error
}

// Check compiles the plans of every resourceType and returns the
// parameters whose expressions do not compile (they are left out of
// extraction), for tests and start-up logs.
func (r *Registry) Check(resourceTypes []string) []SkippedExpression {
	var out []SkippedExpression
	for _, rt := range resourceTypes {
		pl, err := r.plan(rt)
		if err != nil {
			return nil
		}
		for _, code := range pl.skipped {
			p := r.Lookup(rt, code)
			x := SkippedExpression{ResourceType: rt, Code: code, Expression: expressionFor(p.Expression, rt)}
			r.mu.RLock()
			for _, part := range splitUnion(x.Expression) {
				path, _, _ := resolveFilter(unparen(part))
				if c := r.progs[path]; c != nil && c.err != nil {
					x.Err = c.err
				}
			}
			r.mu.RUnlock()
			out = append(out, x)
		}
	}
	return out
}

// plan returns the compiled plan of resourceType, building it on first use.
func (r *Registry) plan(resourceType string) (*plan, error) {
	if r.engine == nil {
		return nil, ErrNoEngine
	}
	r.mu.RLock()
	pl := r.plans[resourceType]
	r.mu.RUnlock()
	if pl != nil {
		return pl, nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if pl := r.plans[resourceType]; pl != nil {
		return pl, nil
	}
	pl = &plan{}
	for _, p := range r.params(resourceType) {
		if p.Type == TypeSpecial || p.Expression == "" {
			continue
		}
		pp, ok := r.compileParam(p, resourceType)
		if !ok {
			pl.skipped = append(pl.skipped, p.Code)
			continue
		}
		if len(pp.parts) > 0 {
			pl.params = append(pl.params, pp)
		}
	}
	r.plans[resourceType] = pl
	return pl, nil
}

// compileParam compiles one parameter for resourceType; r.mu is held.
func (r *Registry) compileParam(p *Param, resourceType string) (paramPlan, bool) {
	pp := paramPlan{param: p}
	expr := expressionFor(p.Expression, resourceType)
	if expr == "" {
		return pp, true
	}
	for _, part := range splitUnion(expr) {
		path, only, _ := resolveFilter(unparen(part))
		prog, err := r.compile(path)
		if err != nil {
			return pp, false
		}
		pp.parts = append(pp.parts, partPlan{prog, only, topElement(path, resourceType)})
	}
	for _, c := range p.Components {
		def := r.byURL[c.Definition]
		if def == nil {
			return pp, false
		}
		prog, err := r.compile(c.Expression)
		if err != nil {
			return pp, false
		}
		pp.comps = append(pp.comps, compPlan{def.Type, prog})
	}
	return pp, true
}

// compile returns the cached program of expr; r.mu is held.
func (r *Registry) compile(expr string) (Program, error) {
	if c := r.progs[expr]; c != nil {
		return c.prog, c.err
	}
	prog, err := r.engine.Compile(expr)
	r.progs[expr] = &compiled{prog, err}
	return prog, err
}

// unparen removes parentheses around the whole of s.
func unparen(s string) string {
	for len(s) >= 2 && s[0] == '(' && s[len(s)-1] == ')' {
		depth := 0
		for i := 0; i < len(s); i++ {
			switch s[i] {
			case '(':
				depth++
			case ')':
				depth--
			}
			if depth == 0 && i < len(s)-1 {
				return s // "(a) | (b)": the parentheses are not around it all
			}
		}
		s = strings.TrimSpace(s[1 : len(s)-1])
	}
	return s
}

// Extract evaluates every search parameter of resourceType on the
// resource (JSON) and returns its index rows. A parameter whose expression
// does not compile, or fails on this resource, is listed in
// Index.Skipped and does not fail the extraction; only a resource that
// cannot be decoded does.
func (r *Registry) Extract(resourceType string, body []byte) (*Index, error) {
	pl, err := r.plan(resourceType)
	if err != nil {
		return nil, err
	}
	root, err := r.engine.Decode(body)
	if err != nil {
		return nil, fmt.Errorf("search: extract %s: %w", resourceType, err)
	}
	x := &Index{ResourceType: resourceType, Skipped: slices.Clone(pl.skipped)}
	for i := range pl.params {
		pp := &pl.params[i]
		before := x.count()
		if err := x.extractParam(pp, root); err != nil {
			x.Skipped = append(x.Skipped, pp.param.Code)
			continue
		}
		if x.count() > before {
			x.Present = append(x.Present, pp.param.Code)
		}
	}
	if resourceType != "Bundle" && resourceType != "Binary" && resourceType != "Parameters" {
		if t := narrativeText(root.Object); t != "" {
			x.Strings = append(x.Strings, StringRow{Key{Param: "_text"}, t, Normalize(t)})
			x.Present = append(x.Present, "_text")
		}
	}
	slices.Sort(x.Present)
	x.Present = slices.Compact(x.Present)
	slices.Sort(x.Skipped)
	return x, nil
}

func (x *Index) count() int {
	return len(x.Strings) + len(x.Tokens) + len(x.Dates) + len(x.References) +
		len(x.Quantities) + len(x.Numbers) + len(x.URIs) + len(x.Composites)
}

func (x *Index) extractParam(pp *paramPlan, root Node) error {
	p := pp.param
	var nodes []Node
	var only []string
	for _, part := range pp.parts {
		if part.top != "" && !hasElement(root.Object, part.top) {
			continue // most parameters of a type are about elements a resource lacks
		}
		ns, err := part.prog.Eval(root)
		if err != nil {
			return err
		}
		nodes = append(nodes, ns...)
		for range ns {
			only = append(only, part.onlyType)
		}
	}
	if p.Type != TypeComposite {
		for i, n := range nodes {
			x.add(Key{Param: p.Code}, p.Type, n, only[i])
		}
		return nil
	}
	group := 0
	for _, n := range nodes {
		var part Index
		complete := true
		for ci, c := range pp.comps {
			vs, err := c.prog.Eval(n)
			if err != nil {
				return err
			}
			before := part.count()
			for _, v := range vs {
				part.add(Key{Param: p.Code, Component: ci + 1, Group: group + 1}, c.typ, v, "")
			}
			if part.count() == before {
				complete = false
				break
			}
		}
		if complete {
			group++
			x.Composites = append(x.Composites, CompositeRow{Key{Param: p.Code, Group: group}})
			x.append(&part)
		}
	}
	return nil
}

func (x *Index) append(y *Index) {
	x.Strings = append(x.Strings, y.Strings...)
	x.Tokens = append(x.Tokens, y.Tokens...)
	x.Dates = append(x.Dates, y.Dates...)
	x.References = append(x.References, y.References...)
	x.Quantities = append(x.Quantities, y.Quantities...)
	x.Numbers = append(x.Numbers, y.Numbers...)
	x.URIs = append(x.URIs, y.URIs...)
}

// topElement is the first element a path such as "Observation.code.coding"
// or "(Observation.value as Quantity)" reads below the resource, when the
// path starts with the resource type (or Resource / DomainResource) and a
// plain name; "" otherwise.
func topElement(path, resourceType string) string {
	path = strings.TrimSpace(strings.TrimLeft(path, "( "))
	root := rootType(path)
	if root != resourceType && root != "Resource" && root != "DomainResource" {
		return ""
	}
	rest := strings.TrimPrefix(path[len(root):], ".")
	if rest == path[len(root):] { // no "." after the type
		return ""
	}
	end := 0
	for end < len(rest) && isNameByte(rest[end]) {
		end++
	}
	if end == 0 || end < len(rest) && rest[end] == '(' { // a function, not an element
		return ""
	}
	return rest[:end]
}

// hasElement reports whether a resource has element name, or a choice
// element of that name (value → valueQuantity).
func hasElement(o map[string]any, name string) bool {
	if o == nil {
		return true // not a decoded object: let the program decide
	}
	if _, ok := o[name]; ok {
		return true
	}
	if _, ok := o["_"+name]; ok {
		return true // a primitive with only an extension
	}
	for k := range o {
		if len(k) > len(name) && strings.HasPrefix(k, name) && k[len(name)] >= 'A' && k[len(name)] <= 'Z' {
			return true
		}
	}
	return false
}
