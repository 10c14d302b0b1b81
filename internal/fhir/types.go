package fhir

import (
	"slices"
	"sync"
)

// TypeDef is one R4 complex datatype, resource or backbone element as the
// generated definitions describe it, for packages (FHIRPath, tools) that
// navigate resources by type.
type TypeDef struct {
	Name     string       // datatype or resource name, or a backbone element's path ("Patient.contact")
	Base     string       // Element, BackboneElement, Resource, DomainResource or ""
	Resource bool         // a concrete resource type
	Elements []ElementDef // inherited elements first
}

// ElementDef is one element of a TypeDef.
type ElementDef struct {
	Name    string // JSON name; choice elements expanded ("valueQuantity")
	Type    string // type code, backbone element path, or "Resource" for any resource
	Min     int
	Repeats bool
	Choice  string // for an expanded choice element its base name ("value"), else ""
}

// TypeDefs returns every R4 complex datatype, resource and backbone element,
// in the order of the generated tables. The result is a fresh copy.
func TypeDefs() []TypeDef {
	specs := make(map[string]*typeSpec, len(r4Types))
	for i := range r4Types {
		specs[r4Types[i].Name] = &r4Types[i]
	}
	defs := make([]TypeDef, 0, len(r4Types))
	for i := range r4Types {
		s := &r4Types[i]
		elems := flatten(specs, s)
		d := TypeDef{Name: s.Name, Base: s.Base, Resource: IsResourceType(s.Name), Elements: make([]ElementDef, len(elems))}
		for j, e := range elems {
			d.Elements[j] = ElementDef(e)
		}
		defs = append(defs, d)
	}
	return defs
}

// PrimitiveTypes returns the R4 primitive type names, sorted.
func PrimitiveTypes() []string {
	return slices.Clone(r4Primitives[:])
}

// requiredTop maps each resource type to its required (min 1) top-level
// elements.
var requiredTop = sync.OnceValue(func() map[string]map[string]bool {
	out := map[string]map[string]bool{}
	for _, d := range TypeDefs() {
		if !d.Resource {
			continue
		}
		for _, e := range d.Elements {
			if e.Min > 0 {
				if out[d.Name] == nil {
					out[d.Name] = map[string]bool{}
				}
				out[d.Name][e.Name] = true
			}
		}
	}
	return out
})

// Required reports whether element (a top-level JSON name) of resource
// type typ has a minimum cardinality of one.
func Required(typ, element string) bool { return requiredTop()[typ][element] }
