package fhirpath

import (
	"strings"
)

// Type functions and the FHIR additions: extension, resolve, hasValue,
// getValue, memberOf, conformsTo, and the boundary and precision functions.
func init() {
	typeFunc := func(name string, impl func(c *call) (Collection, error)) {
		functions[name] = &funcDef{min: 1, max: 1, typeArg: true, impl: impl}
	}
	typeFunc("is", func(c *call) (Collection, error) { return c.ev.isOp(c.n, c.in, c.n.typ) })
	typeFunc("as", func(c *call) (Collection, error) { return c.ev.asOp(c.n, c.in, c.n.typ, true) })
	typeFunc("ofType", func(c *call) (Collection, error) { return c.ev.asOp(c.n, c.in, c.n.typ, false) })
	register("type", 0, 0, func(c *call) (Collection, error) {
		var out Collection
		for _, v := range c.in {
			ns, name, _ := strings.Cut(v.TypeName(), ".")
			out = append(out, objectValue(map[string]any{"namespace": ns, "name": name}, ""))
		}
		return out, nil
	})
	register("extension", 1, 1, func(c *call) (Collection, error) {
		url, ok, err := c.argString(0)
		if err != nil || !ok {
			return nil, err
		}
		var out Collection
		for _, v := range c.in {
			exts, err := member(nil, v, "extension", false)
			if err != nil {
				return nil, err
			}
			for _, e := range exts {
				if e.kind == KindObject && e.obj["url"] == url {
					out = append(out, e)
				}
			}
		}
		return out, nil
	})
	register("hasValue", 0, 0, func(c *call) (Collection, error) {
		return boolResult(len(c.in) == 1 && c.in[0].ftype != "" && c.in[0].HasValue())
	})
	register("getValue", 0, 0, func(c *call) (Collection, error) {
		if len(c.in) == 1 && c.in[0].ftype != "" && c.in[0].HasValue() {
			return one(system(c.in[0]))
		}
		return nil, nil
	})
	register("resolve", 0, 0, resolve)
	register("memberOf", 1, 1, func(c *call) (Collection, error) {
		vs, ok, err := c.argString(0)
		if err != nil || !ok {
			return nil, err
		}
		v, ok, err := c.input()
		if err != nil || !ok {
			return nil, err
		}
		if c.ev.opts.MemberOf == nil {
			return nil, c.errorf("no terminology service is configured")
		}
		r, err := c.ev.opts.MemberOf(v, vs)
		if err != nil {
			return nil, c.errorf("%v", err)
		}
		return boolResult(r)
	})
	register("conformsTo", 1, 1, conformsTo)
	register("htmlChecks", 0, 0, func(c *call) (Collection, error) { return boolResult(true) })
	register("comparable", 1, 1, func(c *call) (Collection, error) {
		v, ok, err := c.input()
		if err != nil || !ok {
			return nil, err
		}
		o, ok, err := c.argSingle(0)
		if err != nil || !ok {
			return nil, err
		}
		a, okA := asQuantity(v)
		b, okB := asQuantity(o)
		if !okA || !okB {
			return nil, c.errorf("applies to Quantities")
		}
		_, comparable := convertQuantity(a, b)
		return boolResult(comparable)
	})
	register("lowBoundary", 0, 1, func(c *call) (Collection, error) { return boundary(c, false) })
	register("highBoundary", 0, 1, func(c *call) (Collection, error) { return boundary(c, true) })
	register("precision", 0, 0, func(c *call) (Collection, error) {
		v, ok, err := c.input()
		if err != nil || !ok {
			return nil, err
		}
		switch v.kind {
		case KindDecimal:
			return one(intValue(int64(v.d.scale)))
		case KindInteger:
			return one(intValue(0))
		case KindDate, KindDateTime, KindTime:
			return one(intValue(int64(temporalPrecision(*v.t))))
		}
		return nil, c.errorf("applies to a Decimal, Date, DateTime or Time, not %s", v.TypeName())
	})
}

// typeMatches reports whether v is of type t. as and ofType ask for an
// exact match of FHIR primitives (a code is not returned by as(string)),
// is accepts specialisations.
func typeMatches(v Value, t typeSpec, exact bool) bool {
	kind, isSystem := systemTypes[t.name]
	if v.ftype == "" {
		return t.ns != "FHIR" && isSystem && v.kind == kind && v.kind != KindObject
	}
	if t.ns == "System" {
		return false
	}
	if _, prim := model().primitives[v.ftype]; prim && exact {
		return v.ftype == t.name
	}
	return model().derivesFrom(v.ftype, t.name)
}

func (ev *evaluator) isOp(n *node, in Collection, t typeSpec) (Collection, error) {
	v, ok, err := ev.single(n, in, "is")
	if err != nil || !ok {
		return nil, err
	}
	return boolResult(typeMatches(v, t, false))
}

// asOp is as (single: more than one item is an error) and ofType (a filter).
func (ev *evaluator) asOp(n *node, in Collection, t typeSpec, single bool) (Collection, error) {
	if single && len(in) > 1 {
		return nil, ev.errorf(n, ErrExecution, "as needs a single item, got %d (use ofType)", len(in))
	}
	var out Collection
	for _, v := range in {
		if typeMatches(v, t, true) {
			out = append(out, v)
		}
	}
	return out, nil
}

// resolve finds the resources references point to: contained resources
// (#id), entries of the Bundle being evaluated, then Options.Resolve.
func resolve(c *call) (Collection, error) {
	var out Collection
	for _, v := range c.in {
		var ref string
		switch {
		case v.kind == KindString:
			ref = v.s
		case v.kind == KindObject:
			ref, _ = v.obj["reference"].(string)
		}
		if ref == "" {
			continue
		}
		if r, ok := c.ev.lookup(ref); ok {
			out = append(out, ResourceValue(r))
			continue
		}
		if c.ev.opts.Resolve != nil {
			r, err := c.ev.opts.Resolve(ref)
			if err != nil {
				return nil, c.errorf("%v", err)
			}
			if r != nil {
				out = append(out, ResourceValue(r))
			}
		}
	}
	return out, nil
}

func (ev *evaluator) lookup(ref string) (map[string]any, bool) {
	for _, root := range ev.context {
		if root.kind != KindObject {
			continue
		}
		if id, ok := strings.CutPrefix(ref, "#"); ok {
			for _, r := range asObjects(root.obj["contained"]) {
				if r["id"] == id {
					return r, true
				}
			}
			continue
		}
		for _, e := range asObjects(root.obj["entry"]) {
			r, _ := e["resource"].(map[string]any)
			if r == nil {
				continue
			}
			rt, _ := r["resourceType"].(string)
			id, _ := r["id"].(string)
			if e["fullUrl"] == ref || (rt != "" && id != "" && (ref == rt+"/"+id || strings.HasSuffix(ref, "/"+rt+"/"+id))) {
				return r, true
			}
		}
	}
	return nil, false
}

func asObjects(v any) []map[string]any {
	arr, _ := v.([]any)
	out := make([]map[string]any, 0, len(arr))
	for _, x := range arr {
		if m, ok := x.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

const baseProfile = "http://hl7.org/fhir/StructureDefinition/"

// conformsTo answers for the base profiles of the R4 types itself and asks
// Options.ConformsTo for any other profile.
func conformsTo(c *call) (Collection, error) {
	url, ok, err := c.argString(0)
	if err != nil || !ok {
		return nil, err
	}
	v, ok, err := c.input()
	if err != nil || !ok {
		return nil, err
	}
	if name, ok := strings.CutPrefix(url, baseProfile); ok && model().isFHIRType(name) {
		return boolResult(v.ftype != "" && model().derivesFrom(v.ftype, name))
	}
	if c.ev.opts.ConformsTo == nil {
		return nil, c.errorf("cannot check conformance to %s: no profile validator is configured", url)
	}
	r, err := c.ev.opts.ConformsTo(v, url)
	if err != nil {
		return nil, c.errorf("%v", err)
	}
	return boolResult(r)
}

// maxDecimalPrecision bounds lowBoundary/highBoundary precision on decimals.
const maxDecimalPrecision = 28

func boundary(c *call, high bool) (Collection, error) {
	v, ok, err := c.input()
	if err != nil || !ok {
		return nil, err
	}
	p, hasP, err := c.argInt(0)
	if err != nil {
		return nil, err
	}
	switch v.kind {
	case KindInteger, KindDecimal, KindQuantity:
		var d decimal
		var q *quantity
		if v.kind == KindQuantity {
			q = v.q
			d = q.value
		} else {
			d, _ = numeric(v)
		}
		if !hasP {
			p = 8
		}
		if p < 0 || p > maxDecimalPrecision {
			return nil, nil
		}
		b := decimalBoundary(d, int(p), high)
		if q != nil {
			return one(quantityValue(b, q.unit, q.cal))
		}
		return one(decimalValue(b))
	case KindDate, KindDateTime, KindTime:
		if !hasP {
			p = map[Kind]int64{KindDate: 8, KindDateTime: 17, KindTime: 9}[v.kind]
		}
		t, ok := temporalBoundary(*v.t, int(p), high)
		if !ok {
			return nil, nil
		}
		return one(temporalValue(t))
	}
	return nil, c.errorf("applies to a number, Quantity, Date, DateTime or Time, not %s", v.TypeName())
}
