package fhirpath

// Strict mode adds a static pass before evaluation: it follows the FHIR
// types an expression's paths can have, from the context's resource type,
// and reports a path to an element none of those types defines ((value as
// Period).unit) even when evaluation would only see an empty collection.
// It also reports functions that depend on order (first, skip, [0]...)
// applied to the unordered output of children() and descendants().

// staticInfo is what the pass knows about a node's result: its possible
// FHIR types (nil: unknown) and whether its order is undefined.
type staticInfo struct {
	types     []string
	unordered bool
}

var orderedFunctions = map[string]bool{"first": true, "last": true, "tail": true, "skip": true, "take": true}

// preserving functions keep their input's types (and order).
var preservingFunctions = map[string]bool{
	"where": true, "first": true, "last": true, "tail": true, "skip": true, "take": true,
	"single": true, "distinct": true, "trace": true, "intersect": true, "exclude": true,
}

func checkStrict(src string, root *node, context Collection) error {
	var ctx []string
	for _, v := range context {
		if v.ftype == "" {
			return nil
		}
		ctx = append(ctx, v.ftype)
	}
	_, err := staticCheck(src, root, staticInfo{types: ctx})
	return err
}

func staticCheck(src string, n *node, ctx staticInfo) (staticInfo, error) {
	if n == nil {
		return staticInfo{}, nil
	}
	switch n.kind {
	case nThis:
		return ctx, nil
	case nIdent:
		if model().isFHIRType(n.name) && n.name != "" && n.name[0] >= 'A' && n.name[0] <= 'Z' {
			return staticInfo{types: []string{n.name}}, nil
		}
		return staticMember(src, n, ctx)
	case nMember:
		left, err := staticCheck(src, n.left, ctx)
		if err != nil {
			return left, err
		}
		return staticMember(src, n, left)
	case nIndex:
		left, err := staticCheck(src, n.left, ctx)
		if err == nil && left.unordered {
			err = newError(ErrSemantic, src, n.pos, "indexing an unordered collection")
		}
		return staticInfo{types: left.types}, err
	case nTypeOp:
		if _, err := staticCheck(src, n.left, ctx); err != nil {
			return staticInfo{}, err
		}
		if n.name == "as" && n.typ.ns != "System" && model().isFHIRType(n.typ.name) {
			return staticInfo{types: []string{n.typ.name}}, nil
		}
		return staticInfo{}, nil
	case nFunc:
		return staticFunc(src, n, ctx)
	}
	for _, c := range append([]*node{n.left, n.right}, n.args...) {
		if _, err := staticCheck(src, c, ctx); err != nil {
			return staticInfo{}, err
		}
	}
	return staticInfo{}, nil
}

func staticFunc(src string, n *node, ctx staticInfo) (staticInfo, error) {
	in := ctx
	if n.left != nil {
		var err error
		if in, err = staticCheck(src, n.left, ctx); err != nil {
			return in, err
		}
	}
	if orderedFunctions[n.name] && in.unordered {
		return staticInfo{}, newError(ErrSemantic, src, n.pos, "%s() needs an ordered collection, but the order of its input is undefined", n.name)
	}
	for _, a := range n.args {
		// arguments of iterating functions see the input items as $this
		if _, err := staticCheck(src, a, staticInfo{types: in.types}); err != nil {
			return staticInfo{}, err
		}
	}
	switch {
	case n.name == "children" || n.name == "descendants":
		return staticInfo{unordered: true}, nil
	case (n.name == "as" || n.name == "ofType") && n.typ.ns != "System" && model().isFHIRType(n.typ.name):
		return staticInfo{types: []string{n.typ.name}, unordered: in.unordered}, nil
	case preservingFunctions[n.name]:
		return in, nil
	}
	return staticInfo{}, nil
}

// staticMember follows element name from the types in info; it is an error
// only when every type is known and none defines the element.
func staticMember(src string, n *node, info staticInfo) (staticInfo, error) {
	out := staticInfo{unordered: info.unordered}
	if len(info.types) == 0 {
		return out, nil
	}
	for _, t := range info.types {
		tm := model().types[t]
		if tm == nil {
			return staticInfo{unordered: info.unordered}, nil
		}
		if e, ok := tm.elems[n.name]; ok && e.choice == "" {
			if e.typ == "Resource" {
				return staticInfo{unordered: info.unordered}, nil
			}
			out.types = append(out.types, e.typ)
		}
		for _, e := range tm.choices[n.name] {
			out.types = append(out.types, e.typ)
		}
	}
	if len(out.types) == 0 {
		return out, newError(ErrSemantic, src, n.pos, "%s has no element %q", publicTypeName(info.types[0]), n.name)
	}
	return out, nil
}
