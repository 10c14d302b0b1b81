package search

import "math"

// Index is what one resource version contributes to search: typed rows,
// one per value a search parameter's expression selected, grouped by the
// table they belong in. It is the contract the store's index tables
// mirror: each row type below is one table, keyed by the resource and the
// row's Key.
//
// Rows are in a stable order (by parameter, then document order), so the
// same resource always yields the same Index.
type Index struct {
	ResourceType string

	Strings    []StringRow
	Tokens     []TokenRow
	Dates      []DateRow
	References []ReferenceRow
	Quantities []QuantityRow
	Numbers    []NumberRow
	URIs       []URIRow

	// Composites lists one entry per value of a composite parameter; its
	// components are rows in the typed slices above that share the
	// composite's Key.Param and Key.Group (see Key).
	Composites []CompositeRow

	// Present lists, sorted, the codes of the parameters for which the
	// resource has at least one value (composites included). :missing=true
	// matches a resource whose Present lacks the code; :missing=false one
	// whose Present has it. The store may keep it as a table or derive it.
	Present []string

	// Skipped lists, sorted, the parameters of the type that could not be
	// extracted (an expression the FHIRPath engine does not compile or
	// failed on). The write still succeeds; these parameters are simply
	// not searchable for this resource.
	Skipped []string
}

// Key says which search parameter a row belongs to. For an ordinary
// parameter only Param is set. A value of a composite parameter (such as
// Observation code-value-quantity) is stored as one row per component, in
// the table of the component's type: each has Param set to the composite's
// code, Component to the component's position in the composite definition
// (1-based) and Group to the value's number (1-based, per resource and
// parameter), so that the components of one element (the code and the
// value of the same Observation.component) are found by joining on Group.
type Key struct {
	Param     string
	Component int
	Group     int
}

// StringRow is one value of a string parameter (or a HumanName or Address
// part). Norm is Value lower-cased, with diacritics removed and white space
// collapsed (see Normalize): the default search matches a prefix of Norm,
// :contains a substring of Norm, and :exact compares Value.
type StringRow struct {
	Key
	Value string
	Norm  string
}

// TokenRow is one code of a token parameter: from a Coding, each Coding of
// a CodeableConcept, an Identifier (System and Code are its system and
// value), a ContactPoint (System is its system: phone, email...; Code its
// value), or a code, boolean ("true"/"false"), string, id or uri (Code
// only). System is "" when the value has none.
//
// Text is the normalised (see Normalize) display of the Coding, the text of
// the CodeableConcept or the Identifier's type text, for :text.
// TypeSystem and TypeCode are set on rows from an Identifier that has a
// type, once per Coding of Identifier.type, for :of-type.
type TokenRow struct {
	Key
	System     string
	Code       string
	Text       string
	TypeSystem string
	TypeCode   string
}

// Open ends of a DateRange.
const (
	OpenLow  int64 = math.MinInt64
	OpenHigh int64 = math.MaxInt64
)

// DateRange is an inclusive range of instants in Unix milliseconds, UTC.
// A value of partial precision covers all of it: "2020" is
// [2020-01-01T00:00:00.000Z, 2020-12-31T23:59:59.999Z]; a date without a
// time zone is read as UTC. A Period without a start has Low = OpenLow, one
// without an end High = OpenHigh.
type DateRange struct {
	Low, High int64
}

// DateRow is one value of a date parameter: a date, dateTime, instant,
// Period, or one event of a Timing (Timing.repeat.bounds as a Period too).
type DateRow struct {
	Key
	DateRange
}

// ReferenceRow is one value of a reference parameter.
//
//   - A relative reference "Patient/123" (or "Patient/123/_history/2") sets
//     TargetType "Patient", TargetID "123" (and Version "2").
//   - An absolute reference ("http://other/fhir/Patient/123", "urn:uuid:...",
//     "urn:oid:...") sets URL to it; TargetType is set when the URL's path
//     ends in a resource type and id, or from Reference.type.
//   - A canonical ("http://example.org/Questionnaire/q|2.0") sets URL to the
//     part before "|" and Version to the part after it.
//   - Reference.identifier sets IdentifierSystem and IdentifierValue, for
//     :identifier (on the same row as the reference, if there is one).
//
// A contained reference ("#med1") is not indexed.
type ReferenceRow struct {
	Key
	TargetType       string
	TargetID         string
	URL              string
	Version          string
	IdentifierSystem string
	IdentifierValue  string
}

// Number is a decimal kept exactly (Text, as written) and as float64, with
// the range its precision implies: "100" is [99.5, 100.5], "100.0" is
// [99.95, 100.05], "1e2" is [50, 150]. Low and High are inclusive bounds
// for search purposes (a half-open upper bound is not distinguished).
type Number struct {
	Text      string
	Value     float64
	Low, High float64
}

// NumberRow is one value of a number parameter.
type NumberRow struct {
	Key
	Number
}

// QuantityRow is one value of a quantity parameter: a Quantity (or Age,
// Duration, Money: System urn:iso:std:iso:4217, Code the currency), or a
// Range (Number.Text "" and Value 0; Low and High its bounds, ±Inf when
// open).
//
// Canonical is the value converted to the UCUM base unit CanonicalCode
// when System is UCUM and the unit is in the conversion table (see
// Canonical): 5400 umol/L is stored with CanonicalCode "mol/L" and
// Canonical.Value 0.0054, so that a search in mmol/L finds it. When the
// unit cannot be converted CanonicalCode is "" and searches compare
// Number with System and Code (or Unit).
type QuantityRow struct {
	Key
	Number
	System        string
	Code          string
	Unit          string
	CanonicalCode string
	Canonical     Number
}

// URIRow is one value of a uri parameter (uri, url, canonical, oid, uuid).
type URIRow struct {
	Key
	URI string
}

// CompositeRow is one value of a composite parameter; its component rows
// carry the same Key.Param and Key.Group and Key.Component 1..N.
type CompositeRow struct {
	Key
}
