package fhir

import (
	"fmt"
	"slices"
	"sync"
)

// typeSpec and elemSpec are the shapes of the generated tables in r4_gen.go.
type typeSpec struct {
	Name  string // datatype or resource name, or a backbone element's path
	Base  string // Element, BackboneElement, Resource, DomainResource or ""
	Elems []elemSpec
}

type elemSpec struct {
	Name    string // JSON name; choice elements expanded (valueString)
	Type    string // type code, backbone path, or "Resource" for any resource
	Min     int
	Repeats bool
	Choice  string // for an expanded choice element its base name ("value")
}

// primKind identifies an R4 primitive type; 0 is a complex type.
type primKind uint8

const (
	primNone primKind = iota
	primBase64Binary
	primBoolean
	primCanonical
	primCode
	primDate
	primDateTime
	primDecimal
	primID
	primInstant
	primInteger
	primMarkdown
	primOID
	primPositiveInt
	primString
	primTime
	primUnsignedInt
	primURI
	primURL
	primUUID
	primXHTML
)

var primNames = map[string]primKind{
	"base64Binary": primBase64Binary, "boolean": primBoolean, "canonical": primCanonical,
	"code": primCode, "date": primDate, "dateTime": primDateTime, "decimal": primDecimal,
	"id": primID, "instant": primInstant, "integer": primInteger, "markdown": primMarkdown,
	"oid": primOID, "positiveInt": primPositiveInt, "string": primString, "time": primTime,
	"unsignedInt": primUnsignedInt, "uri": primURI, "url": primURL, "uuid": primUUID,
	"xhtml": primXHTML,
}

// hook marks elements that get a check beyond their type.
type hook uint8

const (
	hookNone       hook = iota
	hookReference       // Reference.reference: reference syntax
	hookIdentSys        // Identifier.system: remember whether it is the NHS number system
	hookIdentValue      // Identifier.value: remember whether it is a valid NHS number
)

// typeInfo is a resolved type: its elements with inherited ones first.
type typeInfo struct {
	name        string
	prim        primKind
	anyResource bool // "Resource" as an element type: any resource, by resourceType
	isResource  bool // a concrete resource type
	elems       []elemInfo
	index       map[string]int
	required    []int // one element index per element or choice group with min >= 1
	words       int   // uint64 words of a bitset over elems
	identifier  bool
	extension   bool
}

type elemInfo struct {
	name    string
	typ     *typeInfo
	min     int
	repeats bool
	group   int    // index of the first element of its choice group, or -1
	choice  string // choice base name, for messages
	hook    hook
}

type model struct {
	types     map[string]*typeInfo
	resources map[string]*typeInfo
	element   *typeInfo // Element, the type of _x primitive extension siblings

	extExtension int // index of Extension.extension
	extValue     int // choice group of Extension.value[x]
}

var r4 = sync.OnceValue(buildModel)

func buildModel() *model {
	m := &model{types: map[string]*typeInfo{}, resources: map[string]*typeInfo{}}
	for name, p := range primNames {
		m.types[name] = &typeInfo{name: name, prim: p}
	}
	for _, p := range r4Primitives {
		if m.types[p] == nil {
			panic("fhir: generated primitive type without a checker: " + p)
		}
	}
	specs := map[string]*typeSpec{}
	for i := range r4Types {
		s := &r4Types[i]
		specs[s.Name] = s
		m.types[s.Name] = &typeInfo{name: s.Name}
	}
	anyRes := &typeInfo{name: "Resource", anyResource: true}
	for i := range r4Types {
		s := &r4Types[i]
		t := m.types[s.Name]
		for _, es := range flatten(specs, s) {
			et := m.types[es.Type]
			if es.Type == "Resource" {
				et = anyRes
			}
			if et == nil {
				panic(fmt.Sprintf("fhir: generated element %s.%s has unknown type %s", s.Name, es.Name, es.Type))
			}
			t.elems = append(t.elems, elemInfo{name: es.Name, typ: et, min: es.Min, repeats: es.Repeats, group: -1, choice: es.Choice})
		}
		t.finish()
	}
	for _, name := range r4ResourceTypes {
		t := m.types[name]
		t.isResource = true
		m.resources[name] = t
	}
	m.element = m.types["Element"]
	m.types["Identifier"].identifier = true
	ext := m.types["Extension"]
	ext.extension = true
	m.extExtension = ext.index["extension"]
	m.extValue = ext.elems[ext.index["valueString"]].group
	setHook(m, "Reference", "reference", hookReference)
	setHook(m, "Identifier", "system", hookIdentSys)
	setHook(m, "Identifier", "value", hookIdentValue)
	return m
}

// flatten returns a spec's elements with those of its bases first.
func flatten(specs map[string]*typeSpec, s *typeSpec) []elemSpec {
	if s.Base == "" {
		return s.Elems
	}
	return append(slices.Clone(flatten(specs, specs[s.Base])), s.Elems...)
}

func (t *typeInfo) finish() {
	t.index = make(map[string]int, len(t.elems))
	groups := map[string]int{}
	for i := range t.elems {
		e := &t.elems[i]
		t.index[e.name] = i
		if e.choice != "" {
			g, ok := groups[e.choice]
			if !ok {
				g = i
				groups[e.choice] = i
			}
			e.group = g
			if ok {
				continue // the group's min is checked once, at its first element
			}
		}
		if e.min > 0 {
			t.required = append(t.required, i)
		}
	}
	t.words = (len(t.elems) + 63) / 64
}

func setHook(m *model, typ, elem string, h hook) {
	t := m.types[typ]
	t.elems[t.index[elem]].hook = h
}

// ResourceTypes returns the R4 resource type names, sorted.
func ResourceTypes() []string {
	return slices.Clone(r4ResourceTypes[:])
}

// IsResourceType reports whether name is an R4 resource type (concrete,
// so not Resource or DomainResource).
func IsResourceType(name string) bool {
	_, ok := r4().resources[name]
	return ok
}
