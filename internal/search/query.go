package search

// Query is a parsed search request, the AST the store compiles to SQL.
//
// The resources that match are those of ResourceType (or, for a system
// level search, of Types, or any type when Types is empty) that satisfy
// every Clause in And; a Clause is satisfied when any of its Conditions
// is (a comma-separated list in one parameter is one Clause; a repeated
// parameter is another Clause).
type Query struct {
	ResourceType string   // "" for a system-level search
	Types        []string // _type, system level only
	And          []Clause

	Sort       []SortKey
	Count      int    // _count; -1 when absent (the server's default applies)
	Offset     int    // _offset: matches to skip (0 when absent)
	Cursor     string // _cursor: opaque paging position, as the store's next link wrote it
	Total      Total
	Summary    Summary
	Elements   []string // _elements, as given (without the resource type prefix)
	Include    []Include
	RevInclude []Include
}

// Clause is an OR of conditions.
type Clause []Condition

// Condition is one test on a resource. Exactly one of these holds:
//
//   - Has != nil: a reverse chain (_has); Param is nil.
//   - Chain != nil: Param is a reference parameter whose target must
//     satisfy the chain (subject:Patient.name=Smith).
//   - Modifier == ModMissing: the resource has (Missing false) or lacks
//     (Missing true) a value of Param.
//   - otherwise Param's values are compared with Value using Prefix and
//     Modifier.
//
// The special parameters are Conditions too: _id (token on the resource
// id: Value.Code), _lastUpdated (date), _tag and _security (token), _profile
// and _source (uri), _text and _content (string: full text search on the
// narrative and on the whole resource, Value.Str normalised), _list (Param
// of type Special, Value.Raw the List id or "$current-allergies"-style
// name).
type Condition struct {
	Param    *Param
	Modifier Modifier
	Prefix   Prefix // for number, date and quantity values; PrefixEq by default
	Value    Value
	Missing  bool // with ModMissing
	Chain    *Chain
	Has      *Has
}

// Chain is the rest of a chained parameter. The reference parameter of
// the enclosing Condition is followed to one of Targets; the target
// resource must satisfy that target's condition. Targets has one entry when
// the request names the type (subject:Patient.name) or the reference
// parameter allows only one type with the chained parameter; otherwise one
// per candidate type (each with its own Param definition), any of which
// may match.
type Chain struct {
	Targets []ChainTarget
}

// ChainTarget is one candidate type of a chain link.
type ChainTarget struct {
	Type string
	Cond Condition // may itself have a Chain (several levels)
}

// Has is a reverse chain: _has:Observation:patient:code=1234-5 matches
// resources referred to, through Observation's patient parameter, by an
// Observation satisfying code=1234-5. Cond may itself have a Has.
type Has struct {
	Type  string // the referring resource type
	Param *Param // its reference parameter that points at the resource
	Cond  Condition
}

// Value is a parsed search value. Which fields are set depends on the
// parameter's type (and, for composites, each component's type); Raw is
// always the value as given, with FHIR escapes (\, \| \$ \\) removed.
type Value struct {
	Raw string

	// string and uri: Str is Raw, normalised (see Normalize) for strings;
	// for uri Str is Raw unchanged.
	Str string

	// token: "code" (any system): HasSystem false; "|code" (no system):
	// HasSystem true, System ""; "system|code": both; "system|" (any code
	// in the system): Code "". With :of-type, "typeSystem|typeCode|value"
	// is TypeSystem, TypeCode and Code. With :text, :in, :not-in, :below
	// and :above Raw (and Str, normalised for :text) carry the argument.
	System     string
	Code       string
	HasSystem  bool
	TypeSystem string
	TypeCode   string

	// date: the range the value covers at its precision.
	Date DateRange

	// number and quantity: the number with its implicit precision range;
	// quantity: System and Code as given ("5.4|http://unitsofmeasure.org|mg"),
	// or Code alone for "5.4||mg" (which matches Code or Unit);
	// CanonicalCode and Canonical as in QuantityRow when the unit converts.
	Number        Number
	CanonicalCode string
	Canonical     Number

	// reference: "Type/id" or "id" (TargetType from :Type or "" when any),
	// an absolute URL or canonical (URL, with Version after "|"). With
	// :identifier, System and Code hold the identifier.
	TargetType string
	TargetID   string
	URL        string
	Version    string

	// composite: one value per component, in the definition's order
	// (the parts of "a$b").
	Components []Value
}

// Prefix is a comparison prefix of number, date and quantity values.
type Prefix string

// The R4 prefixes.
const (
	PrefixEq Prefix = "eq" // the value's range contains the target's
	PrefixNe Prefix = "ne"
	PrefixGt Prefix = "gt"
	PrefixLt Prefix = "lt"
	PrefixGe Prefix = "ge"
	PrefixLe Prefix = "le"
	PrefixSa Prefix = "sa" // starts after: the target starts after the value ends
	PrefixEb Prefix = "eb" // ends before: the target ends before the value starts
	PrefixAp Prefix = "ap" // approximately: within 10% of the value (dates: of the gap to now)
)

// Modifier is a search parameter modifier (the part after ":").
type Modifier string

// The R4 modifiers. A reference's type modifier (subject:Patient) is not a
// Modifier: it is Value.TargetType (or a Chain's target).
const (
	ModNone       Modifier = ""
	ModExact      Modifier = "exact"      // string: StringRow.Value equals Value.Raw (case and accents count)
	ModContains   Modifier = "contains"   // string: StringRow.Norm contains Value.Str (default: starts with it)
	ModMissing    Modifier = "missing"    // any: Condition.Missing against Index.Present
	ModNot        Modifier = "not"        // token: no TokenRow of the parameter matches (resources without one match too)
	ModText       Modifier = "text"       // token: TokenRow.Text starts with (or has a word starting with) Value.Str
	ModIn         Modifier = "in"         // token: the code is in the ValueSet Value.Str (needs terminology)
	ModNotIn      Modifier = "not-in"     // token: the code is not in the ValueSet Value.Str
	ModBelow      Modifier = "below"      // token: subsumed by the code; uri: URIRow.URI starts with Value.Str
	ModAbove      Modifier = "above"      // token: subsumes the code; uri: Value.Str starts with URIRow.URI
	ModIdentifier Modifier = "identifier" // reference: ReferenceRow.IdentifierSystem/Value match Value.System/Code
	ModOfType     Modifier = "of-type"    // token (Identifier): TypeSystem, TypeCode and Code all match
)

// SortKey is one _sort key. _sort=-date,status is [{date, true}, {status, false}].
// The store breaks ties by resource id so that paging is stable.
type SortKey struct {
	Param      *Param
	Descending bool
}

// Include is one _include or _revinclude: Type:param[:TargetType], with
// :iterate. For _include the matched resources are of SourceType and the
// included ones are what Param points at; for _revinclude the included
// resources are of SourceType and point at the matches through Param.
// Param is nil for the wildcard "Type:*" (every reference parameter).
type Include struct {
	SourceType string
	Param      *Param
	TargetType string
	Iterate    bool
}

// Total is _total.
type Total string

const (
	TotalDefault  Total = "" // not requested: the server decides
	TotalNone     Total = "none"
	TotalEstimate Total = "estimate"
	TotalAccurate Total = "accurate"
)

// Summary is _summary.
type Summary string

const (
	SummaryNone  Summary = "" // not requested
	SummaryTrue  Summary = "true"
	SummaryText  Summary = "text"
	SummaryData  Summary = "data"
	SummaryCount Summary = "count"
	SummaryFalse Summary = "false"
)

// Warning is a search parameter that was ignored (lenient handling).
type Warning struct {
	Param  string // the parameter as given, e.g. "subject:Foo.name"
	Reason string
}

// Error is an unknown or invalid search parameter under strict handling
// (lenient handling drops it with a Warning instead), or a request that
// cannot be searched at all. It becomes a 400 OperationOutcome naming Param.
type Error struct {
	Param  string
	Reason string
}

func (e *Error) Error() string { return "search: parameter " + e.Param + ": " + e.Reason }
