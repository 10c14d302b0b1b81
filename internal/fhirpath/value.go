package fhirpath

import (
	"encoding/json"
	"strconv"
	"strings"
)

// Kind is the FHIRPath (System) type behind a value.
type Kind uint8

const (
	KindBoolean Kind = iota + 1
	KindInteger
	KindDecimal
	KindString
	KindDate
	KindDateTime
	KindTime
	KindQuantity
	KindObject // a FHIR complex value or resource (or a TypeInfo), as decoded JSON
)

var kindNames = [...]string{"", "Boolean", "Integer", "Decimal", "String", "Date", "DateTime", "Time", "Quantity", "Object"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "?"
}

// quantity is a System.Quantity: a decimal and a UCUM unit or a calendar keyword.
type quantity struct {
	value decimal
	unit  string
	cal   bool // unit is a calendar keyword (year ... millisecond, singular or plural)
}

// Value is one item of a collection. System values (literals, results of
// operators and functions) have no FHIR type; values navigated from a
// resource carry theirs ("code", "HumanName", "Patient"), with a primitive's
// id and extensions, so that is/as/ofType, type() and extension() work.
type Value struct {
	kind  Kind
	ftype string // FHIR type name; "" for a System value
	b     bool
	i     int64
	s     string
	d     decimal
	t     *temporal
	q     *quantity
	obj   map[string]any // KindObject: the JSON object
	ext   map[string]any // a primitive's _element (id, extension)
	empty bool           // a primitive element with extensions but no value
}

// Collection is the result of an expression: an ordered list of values.
type Collection []Value

func boolValue(b bool) Value         { return Value{kind: KindBoolean, b: b} }
func intValue(i int64) Value         { return Value{kind: KindInteger, i: i} }
func decimalValue(d decimal) Value   { return Value{kind: KindDecimal, d: d} }
func stringValue(s string) Value     { return Value{kind: KindString, s: s} }
func temporalValue(t temporal) Value { return Value{kind: t.kind, t: &t} }
func objectValue(m map[string]any, ftype string) Value {
	return Value{kind: KindObject, obj: m, ftype: ftype}
}

func quantityValue(v decimal, unit string, cal bool) Value {
	return Value{kind: KindQuantity, q: &quantity{v, unit, cal}}
}

// Kind returns the value's System type.
func (v Value) Kind() Kind { return v.kind }

// FHIRType returns the FHIR type of a value taken from a resource ("code",
// "HumanName", "Patient"), or "" for a System value.
func (v Value) FHIRType() string { return v.ftype }

// Bool, Int, Str give the Go value of a Boolean, Integer or String-like
// value (String, and code, uri, id... from a resource).
func (v Value) Bool() bool  { return v.b }
func (v Value) Int() int64  { return v.i }
func (v Value) Str() string { return v.s }

// Object returns the JSON object of a complex value or resource.
func (v Value) Object() map[string]any { return v.obj }

// HasValue reports whether a primitive has a value (not only extensions).
func (v Value) HasValue() bool { return v.kind != KindObject && !v.empty }

// TypeName is the value's type as FHIRPath qualifies it: "FHIR.code",
// "FHIR.Patient", "System.Integer".
func (v Value) TypeName() string {
	if v.ftype != "" {
		return "FHIR." + publicTypeName(v.ftype)
	}
	return "System." + v.kind.String()
}

// publicTypeName hides backbone element paths ("Patient.contact").
func publicTypeName(t string) string {
	if strings.Contains(t, ".") {
		return "BackboneElement"
	}
	return t
}

// String renders the value as toString() does; objects as JSON.
func (v Value) String() string {
	switch v.kind {
	case KindBoolean:
		return strconv.FormatBool(v.b)
	case KindInteger:
		return strconv.FormatInt(v.i, 10)
	case KindDecimal:
		return v.d.String()
	case KindString:
		return v.s
	case KindDate, KindDateTime, KindTime:
		return v.t.String()
	case KindQuantity:
		if v.q.cal {
			return v.q.value.String() + " " + v.q.unit
		}
		return v.q.value.String() + " '" + v.q.unit + "'"
	case KindObject:
		b, _ := json.Marshal(v.obj)
		return string(b)
	}
	return ""
}

// MarshalJSON renders a value as JSON: primitives as JSON values (decimals
// with their precision; dates and times as strings), quantities and objects
// as objects.
func (v Value) MarshalJSON() ([]byte, error) {
	switch v.kind {
	case KindBoolean, KindInteger:
		return []byte(v.String()), nil
	case KindDecimal:
		return []byte(v.d.String()), nil
	case KindQuantity:
		m := map[string]any{"value": json.Number(v.q.value.String())}
		if v.q.cal {
			m["unit"] = v.q.unit
		} else {
			m["unit"], m["system"], m["code"] = v.q.unit, ucumSystem, v.q.unit
		}
		return json.Marshal(m)
	case KindObject:
		return json.Marshal(v.obj)
	}
	if v.empty {
		return []byte("null"), nil
	}
	return json.Marshal(v.String())
}

const ucumSystem = "http://unitsofmeasure.org"

// MarshalJSON renders the collection as a JSON array ([] when empty).
func (c Collection) MarshalJSON() ([]byte, error) {
	if c == nil {
		return []byte("[]"), nil
	}
	return json.Marshal([]Value(c))
}
