package fhirpath

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"

	"carerecord/internal/fhir"
)

// typeModel is one FHIR type as navigation needs it, built once from the
// generated R4 tables in package fhir.
type typeModel struct {
	name     string
	base     string
	resource bool
	elems    map[string]*elemModel   // by JSON name, choice elements expanded (valueQuantity)
	choices  map[string][]*elemModel // choice base name ("value") -> its expanded elements
	order    []*elemModel            // definition order
}

type elemModel struct {
	name    string // JSON name
	typ     string // type code, backbone path or "Resource"
	repeats bool
	choice  string
}

type fhirModel struct {
	types      map[string]*typeModel
	primitives map[string]Kind
}

// primitiveKinds gives the System type of each FHIR primitive.
var primitiveKinds = map[string]Kind{
	"boolean": KindBoolean, "integer": KindInteger, "positiveInt": KindInteger, "unsignedInt": KindInteger,
	"decimal": KindDecimal, "date": KindDate, "dateTime": KindDateTime, "instant": KindDateTime, "time": KindTime,
}

// primitiveBase is the FHIR base type of the primitives that specialise another.
var primitiveBase = map[string]string{
	"code": "string", "id": "string", "markdown": "string",
	"url": "uri", "canonical": "uri", "uuid": "uri", "oid": "uri",
	"positiveInt": "integer", "unsignedInt": "integer",
}

// quantityKinds specialise Quantity (the tables flatten them onto Element).
var quantityKinds = map[string]bool{"Age": true, "Count": true, "Distance": true, "Duration": true, "SimpleQuantity": true, "MoneyQuantity": true}

var model = sync.OnceValue(func() *fhirModel {
	m := &fhirModel{types: map[string]*typeModel{}, primitives: map[string]Kind{}}
	for _, p := range fhir.PrimitiveTypes() {
		k, ok := primitiveKinds[p]
		if !ok {
			k = KindString
		}
		m.primitives[p] = k
	}
	for _, d := range fhir.TypeDefs() {
		t := &typeModel{name: d.Name, base: d.Base, resource: d.Resource,
			elems: map[string]*elemModel{}, choices: map[string][]*elemModel{}}
		if quantityKinds[d.Name] {
			t.base = "Quantity"
		}
		for _, e := range d.Elements {
			em := &elemModel{name: e.Name, typ: e.Type, repeats: e.Repeats, choice: e.Choice}
			t.elems[e.Name] = em
			t.order = append(t.order, em)
			if e.Choice != "" {
				t.choices[e.Choice] = append(t.choices[e.Choice], em)
			}
		}
		m.types[d.Name] = t
	}
	return m
})

// isFHIRType reports whether name is an R4 type, primitive or resource.
func (m *fhirModel) isFHIRType(name string) bool {
	if _, ok := m.primitives[name]; ok {
		return true
	}
	_, ok := m.types[name]
	return ok
}

// baseOf returns the parent of a FHIR type, or "".
func (m *fhirModel) baseOf(name string) string {
	if _, ok := m.primitives[name]; ok {
		if b, ok := primitiveBase[name]; ok {
			return b
		}
		return "Element"
	}
	if t, ok := m.types[name]; ok {
		return t.base
	}
	return ""
}

// derivesFrom reports whether FHIR type t is want or a specialisation of it.
func (m *fhirModel) derivesFrom(t, want string) bool {
	for range 10 {
		if t == want {
			return true
		}
		if t == "" {
			return false
		}
		t = m.baseOf(t)
	}
	return false
}

// jsonValues converts the JSON of an element (one value or an array) and
// its _element sibling into values of FHIR type typ ("" when unknown).
func jsonValues(out Collection, raw, ext any, typ string) Collection {
	if arr, ok := raw.([]any); ok {
		exts, _ := ext.([]any)
		for i, r := range arr {
			var x any
			if i < len(exts) {
				x = exts[i]
			}
			out = appendJSON(out, r, x, typ)
		}
		if len(exts) > len(arr) {
			for _, x := range exts[len(arr):] {
				out = appendJSON(out, nil, x, typ)
			}
		}
		return out
	}
	if exts, ok := ext.([]any); ok && raw == nil {
		for _, x := range exts {
			out = appendJSON(out, nil, x, typ)
		}
		return out
	}
	return appendJSON(out, raw, ext, typ)
}

func appendJSON(out Collection, raw, ext any, typ string) Collection {
	extMap, _ := ext.(map[string]any)
	if raw == nil && extMap == nil {
		return out
	}
	if obj, ok := raw.(map[string]any); ok {
		ft := typ
		if rt, ok := obj["resourceType"].(string); ok && (typ == "" || typ == "Resource") {
			ft = rt
		}
		if ft == "Resource" {
			ft = ""
		}
		return append(out, objectValue(obj, ft))
	}
	if arr, ok := raw.([]any); ok {
		for _, r := range arr {
			out = appendJSON(out, r, nil, typ)
		}
		return out
	}
	v := primitiveFromJSON(raw, typ)
	v.ext = extMap
	if raw == nil {
		v.empty = true
		if typ != "" {
			v.kind = model().primitives[typ]
		}
		if v.kind == 0 {
			v.kind = KindString
		}
	}
	return append(out, v)
}

// primitiveFromJSON converts a JSON primitive to a value of FHIR type typ.
func primitiveFromJSON(raw any, typ string) Value {
	var v Value
	switch x := raw.(type) {
	case bool:
		v = boolValue(x)
	case json.Number:
		v = numberValue(string(x), typ)
	case float64:
		v = numberValue(strings.TrimSuffix(json.Number(jsonFloat(x)).String(), ".0"), typ)
	case string:
		v = stringValue(x)
		switch model().primitives[typ] {
		case KindDate:
			if t, ok := parseDate(x); ok {
				v = temporalValue(t)
			}
		case KindDateTime:
			if t, ok := parseDateTime(x); ok {
				v = temporalValue(t)
			}
		case KindTime:
			if t, ok := parseTime(x); ok {
				v = temporalValue(t)
			}
		}
	}
	if _, ok := model().primitives[typ]; ok {
		v.ftype = typ
	}
	return v
}

func jsonFloat(f float64) string {
	b, _ := json.Marshal(f)
	return string(b)
}

func numberValue(s, typ string) Value {
	if typ != "decimal" && !strings.ContainsAny(s, ".eE") {
		if i, ok := parseInteger(s); ok {
			return intValue(i)
		}
	}
	if d, ok := parseJSONNumber(s); ok {
		return decimalValue(d)
	}
	return stringValue(s)
}

// navError is a failed navigation; the evaluator adds where it happened.
type navError struct{ msg string }

func (e *navError) Error() string { return e.msg }

// member returns the values of element name of v (navigation "v.name").
func member(out Collection, v Value, name string, strict bool) (Collection, error) {
	if v.kind == KindQuantity {
		switch name {
		case "value":
			return append(out, decimalValue(v.q.value)), nil
		case "unit":
			return append(out, stringValue(v.q.unit)), nil
		}
	}
	if v.kind != KindObject {
		if v.ext != nil && (name == "extension" || name == "id") {
			return jsonValues(out, v.ext[name], nil, map[string]string{"extension": "Extension", "id": "string"}[name]), nil
		}
		if strict {
			return out, &navError{fmt.Sprintf("%s has no element %q", v.TypeName(), name)}
		}
		return out, nil
	}
	t := model().types[v.ftype]
	if t == nil {
		return jsonValues(out, v.obj[name], v.obj["_"+name], ""), nil
	}
	if e, ok := t.elems[name]; ok {
		if e.choice != "" {
			return out, &navError{fmt.Sprintf("%q is a choice element of %s: use %s, %s.ofType(%s) or (%s as %s)",
				name, v.ftype, e.choice, e.choice, e.typ, e.choice, e.typ)}
		}
		return jsonValues(out, v.obj[e.name], v.obj["_"+e.name], e.typ), nil
	}
	if group, ok := t.choices[name]; ok {
		for _, e := range group {
			raw, ext := v.obj[e.name], v.obj["_"+e.name]
			if raw != nil || ext != nil {
				out = jsonValues(out, raw, ext, e.typ)
			}
		}
		return out, nil
	}
	if strict {
		return out, &navError{fmt.Sprintf("%s has no element %q", publicTypeName(v.ftype), name)}
	}
	return jsonValues(out, v.obj[name], v.obj["_"+name], ""), nil
}

// children returns the child values of v in definition order.
func children(out Collection, v Value) Collection {
	if v.kind != KindObject {
		return out
	}
	if t := model().types[v.ftype]; t != nil {
		for _, e := range t.order {
			raw, ext := v.obj[e.name], v.obj["_"+e.name]
			if raw != nil || ext != nil {
				out = jsonValues(out, raw, ext, e.typ)
			}
		}
		return out
	}
	keys := make([]string, 0, len(v.obj))
	for k := range v.obj {
		if k != "resourceType" && !strings.HasPrefix(k, "_") {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		out = jsonValues(out, v.obj[k], v.obj["_"+k], "")
	}
	return out
}
