package search

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"
)

// add turns one selected node into rows of the parameter's type.
func (x *Index) add(k Key, t Type, n Node, onlyType string) {
	typ := n.Type
	if typ == "" && n.Object != nil {
		typ = shapeType(n.Object)
	}
	o := n.Object
	switch t {
	case TypeString:
		x.addStrings(k, typ, n)
	case TypeToken:
		x.addTokens(k, typ, n)
	case TypeDate:
		x.addDates(k, typ, n)
	case TypeReference:
		row, ok := referenceRow(k, typ, n)
		if ok && (onlyType == "" || row.TargetType == onlyType) {
			x.References = append(x.References, row)
		}
	case TypeQuantity:
		if row, ok := quantityRow(k, typ, n); ok {
			x.Quantities = append(x.Quantities, row)
		}
	case TypeNumber:
		text := n.Text
		if o != nil {
			text = jsonText(o["value"])
		}
		if num, err := ParseNumber(text); err == nil {
			x.Numbers = append(x.Numbers, NumberRow{k, num})
		}
	case TypeURI:
		if o == nil && n.Text != "" {
			x.URIs = append(x.URIs, URIRow{k, n.Text})
		}
	}
}

// shapeType guesses the FHIR type of an object an engine returned untyped.
func shapeType(o map[string]any) string {
	switch {
	case o["coding"] != nil:
		return "CodeableConcept"
	case o["reference"] != nil:
		return "Reference"
	case o["start"] != nil || o["end"] != nil:
		return "Period"
	case o["low"] != nil || o["high"] != nil:
		return "Range"
	case o["family"] != nil || o["given"] != nil:
		return "HumanName"
	case o["line"] != nil || o["city"] != nil || o["postalCode"] != nil:
		return "Address"
	case o["value"] != nil && (o["unit"] != nil || o["code"] != nil && o["system"] != nil && o["system"] != ""):
		return "Quantity"
	case o["value"] != nil && o["currency"] != nil:
		return "Money"
	case o["code"] != nil:
		return "Coding"
	case o["value"] != nil:
		return "Identifier"
	case o["event"] != nil || o["repeat"] != nil:
		return "Timing"
	}
	return ""
}

// str returns the string member key of o, or "".
func str(o map[string]any, key string) string {
	s, _ := o[key].(string)
	return s
}

// obj returns the object member key of o, or nil.
func obj(o map[string]any, key string) map[string]any {
	m, _ := o[key].(map[string]any)
	return m
}

// each calls fn for every object of the member key (an object or an array).
func each(o map[string]any, key string, fn func(map[string]any)) {
	switch v := o[key].(type) {
	case map[string]any:
		fn(v)
	case []any:
		for _, e := range v {
			if m, ok := e.(map[string]any); ok {
				fn(m)
			}
		}
	}
}

// strs returns the string members key of o (a string or an array of them).
func strs(o map[string]any, key string) []string {
	switch v := o[key].(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// jsonText renders a JSON scalar as text, keeping a json.Number exact.
func jsonText(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	}
	return ""
}

func (x *Index) addStrings(k Key, typ string, n Node) {
	o := n.Object
	if o == nil {
		if n.Text != "" {
			x.Strings = append(x.Strings, StringRow{k, n.Text, Normalize(n.Text)})
		}
		return
	}
	var parts []string
	switch typ {
	case "HumanName":
		parts = append(parts, strs(o, "family")...)
		parts = append(parts, strs(o, "given")...)
		parts = append(parts, strs(o, "prefix")...)
		parts = append(parts, strs(o, "suffix")...)
		parts = append(parts, strs(o, "text")...)
	case "Address":
		parts = append(parts, strs(o, "line")...)
		for _, f := range []string{"city", "district", "state", "postalCode", "country", "text"} {
			parts = append(parts, strs(o, f)...)
		}
	default:
		parts = append(parts, strs(o, "text")...)
		parts = append(parts, strs(o, "display")...)
	}
	for _, s := range parts {
		if s != "" {
			x.Strings = append(x.Strings, StringRow{k, s, Normalize(s)})
		}
	}
}

func (x *Index) addTokens(k Key, typ string, n Node) {
	o := n.Object
	if o == nil {
		if n.Text != "" {
			x.Tokens = append(x.Tokens, TokenRow{Key: k, Code: n.Text})
		}
		return
	}
	switch typ {
	case "CodeableConcept":
		first := len(x.Tokens)
		each(o, "coding", func(c map[string]any) { x.addCoding(k, c) })
		// The text gets a row of its own (for :text) unless a Coding's
		// display already says it.
		if t := Normalize(str(o, "text")); t != "" && !slices.ContainsFunc(x.Tokens[first:], func(r TokenRow) bool { return r.Text == t }) {
			x.Tokens = append(x.Tokens, TokenRow{Key: k, Text: t})
		}
	case "Coding":
		x.addCoding(k, o)
	case "Identifier":
		row := TokenRow{Key: k, System: str(o, "system"), Code: str(o, "value")}
		ty := obj(o, "type")
		if ty != nil {
			row.Text = Normalize(str(ty, "text"))
		}
		added := false
		each(ty, "coding", func(c map[string]any) {
			r := row
			r.TypeSystem, r.TypeCode = str(c, "system"), str(c, "code")
			x.Tokens = append(x.Tokens, r)
			added = true
		})
		if !added && (row.System != "" || row.Code != "") {
			x.Tokens = append(x.Tokens, row)
		}
	case "ContactPoint":
		if v := str(o, "value"); v != "" {
			x.Tokens = append(x.Tokens, TokenRow{Key: k, System: str(o, "system"), Code: v})
		}
	case "Quantity", "Age", "Duration", "Count", "Distance", "SimpleQuantity":
		if c := str(o, "code"); c != "" {
			x.Tokens = append(x.Tokens, TokenRow{Key: k, System: str(o, "system"), Code: c})
		}
	case "Reference":
		if id := obj(o, "identifier"); id != nil {
			x.addTokens(k, "Identifier", Node{Object: id})
		}
	}
}

func (x *Index) addCoding(k Key, c map[string]any) {
	row := TokenRow{Key: k, System: str(c, "system"), Code: str(c, "code"), Text: Normalize(str(c, "display"))}
	if row.System != "" || row.Code != "" || row.Text != "" {
		x.Tokens = append(x.Tokens, row)
	}
}

func (x *Index) addDates(k Key, typ string, n Node) {
	o := n.Object
	if o == nil {
		if r, err := ParseDate(n.Text); err == nil {
			x.Dates = append(x.Dates, DateRow{k, r})
		}
		return
	}
	switch typ {
	case "Period":
		x.addPeriod(k, o)
	case "Timing":
		for _, e := range strs(o, "event") {
			if r, err := ParseDate(e); err == nil {
				x.Dates = append(x.Dates, DateRow{k, r})
			}
		}
		if rep := obj(o, "repeat"); rep != nil {
			if b := obj(rep, "boundsPeriod"); b != nil {
				x.addPeriod(k, b)
			}
		}
	}
}

// addPeriod indexes a Period as one range from its start's low to its
// end's high; a missing end is open.
func (x *Index) addPeriod(k Key, o map[string]any) {
	r := DateRange{OpenLow, OpenHigh}
	s, e := str(o, "start"), str(o, "end")
	if s == "" && e == "" {
		return
	}
	if s != "" {
		d, err := ParseDate(s)
		if err != nil {
			return
		}
		r.Low = d.Low
	}
	if e != "" {
		d, err := ParseDate(e)
		if err != nil {
			return
		}
		r.High = d.High
	}
	x.Dates = append(x.Dates, DateRow{k, r})
}

func referenceRow(k Key, typ string, n Node) (ReferenceRow, bool) {
	row := ReferenceRow{Key: k}
	o := n.Object
	if o == nil { // canonical, uri, url
		if n.Text == "" {
			return row, false
		}
		row.URL, row.Version, _ = strings.Cut(n.Text, "|")
		row.TargetType = urlType(row.URL)
		return row, true
	}
	if typ != "Reference" && typ != "" {
		return row, false
	}
	ref := str(o, "reference")
	if ref != "" && !strings.HasPrefix(ref, "#") {
		row.TargetType, row.TargetID, row.URL, row.Version = ParseReference(ref)
	}
	if t := str(o, "type"); row.TargetType == "" && t != "" {
		row.TargetType = t
	}
	if id := obj(o, "identifier"); id != nil {
		row.IdentifierSystem, row.IdentifierValue = str(id, "system"), str(id, "value")
	}
	ok := row.TargetID != "" || row.URL != "" || row.IdentifierValue != ""
	return row, ok
}

// ParseReference splits a literal reference: "Patient/1" and
// "Patient/1/_history/2" into type, id and version; anything with a scheme
// ("http://...", "urn:uuid:...") into url (version after "|" for a
// canonical), with its type when the path ends in "Type/id".
func ParseReference(ref string) (typ, id, url, version string) {
	if strings.Contains(ref, ":") {
		url, version, _ = strings.Cut(ref, "|")
		return urlType(url), "", url, version
	}
	parts := strings.Split(ref, "/")
	switch {
	case len(parts) == 2 && isResourceTypeName(parts[0]) && parts[1] != "":
		return parts[0], parts[1], "", ""
	case len(parts) == 4 && isResourceTypeName(parts[0]) && parts[2] == "_history":
		return parts[0], parts[1], "", parts[3]
	}
	return "", "", ref, ""
}

// urlType is the resource type in an absolute URL's path (".../Type/id" or
// ".../Type/id/_history/v"), or "".
func urlType(u string) string {
	parts := strings.Split(u, "/")
	if n := len(parts); n >= 4 && parts[n-2] == "_history" {
		parts = parts[:n-2]
	}
	if n := len(parts); n >= 3 && isResourceTypeName(parts[n-2]) {
		return parts[n-2]
	}
	return ""
}

func quantityRow(k Key, typ string, n Node) (QuantityRow, bool) {
	row := QuantityRow{Key: k}
	o := n.Object
	if o == nil {
		num, err := ParseNumber(n.Text)
		row.Number = num
		return row, err == nil
	}
	switch typ {
	case "Range":
		lo, hi := obj(o, "low"), obj(o, "high")
		row.Low, row.High = math.Inf(-1), math.Inf(1)
		unitOf := lo
		if lo != nil {
			v, err := ParseNumber(jsonText(lo["value"]))
			if err != nil {
				return row, false
			}
			row.Low = v.Value
		}
		if hi != nil {
			v, err := ParseNumber(jsonText(hi["value"]))
			if err != nil {
				return row, false
			}
			row.High = v.Value
			if unitOf == nil {
				unitOf = hi
			}
		}
		if unitOf == nil {
			return row, false
		}
		row.System, row.Code, row.Unit = str(unitOf, "system"), str(unitOf, "code"), str(unitOf, "unit")
		if cc, lo, ok := Canonical(row.System, row.Code, Number{Value: row.Low}); ok {
			_, hi, _ := Canonical(row.System, row.Code, Number{Value: row.High})
			row.CanonicalCode = cc
			row.Canonical = Number{Low: lo.Value, High: hi.Value}
		}
		return row, true
	case "Money":
		num, err := ParseNumber(jsonText(o["value"]))
		if err != nil {
			return row, false
		}
		row.Number, row.System, row.Code = num, "urn:iso:std:iso:4217", str(o, "currency")
		return row, true
	case "SampledData":
		return row, false
	}
	num, err := ParseNumber(jsonText(o["value"]))
	if err != nil {
		return row, false
	}
	row.Number, row.System, row.Code, row.Unit = num, str(o, "system"), str(o, "code"), str(o, "unit")
	if cc, cn, ok := Canonical(row.System, row.Code, num); ok {
		row.CanonicalCode, row.Canonical = cc, cn
	}
	return row, true
}
