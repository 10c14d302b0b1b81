package search

import (
	"math"
	"slices"
	"sync"
	"testing"
	"time"
)

var engineRegistry = sync.OnceValue(func() *Registry { return NewRegistry(FHIRPath) })

func extract(t *testing.T, reg *Registry, rt, body string) *Index {
	t.Helper()
	x, err := reg.Extract(rt, []byte(body))
	if err != nil {
		t.Fatalf("Extract: %v", err)
	}
	if len(x.Skipped) > 0 {
		t.Errorf("skipped %v", x.Skipped)
	}
	return x
}

const bpObservation = `{"resourceType":"Observation","id":"bp","status":"final",
 "meta":{"lastUpdated":"2024-03-01T10:00:00Z","profile":["http://hl7.org/fhir/StructureDefinition/bp"]},
 "text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>Blood &amp; pressure</p></div>"},
 "identifier":[{"type":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v2-0203","code":"FILL"}],"text":"Filler"},"system":"urn:lab","value":"L1"}],
 "code":{"coding":[{"system":"http://loinc.org","code":"85354-9","display":"Blood pressure panel"}],"text":"BP"},
 "subject":{"reference":"Patient/p1"},
 "performer":[{"reference":"http://other.org/fhir/Practitioner/9"},{"identifier":{"system":"urn:staff","value":"S1"}},{"reference":"#contained"}],
 "effectivePeriod":{"start":"2024-02-29","end":"2024-03-01T10:30:00+01:00"},
 "component":[
  {"code":{"coding":[{"system":"http://loinc.org","code":"8480-6"}]},"valueQuantity":{"value":120,"unit":"mmHg","system":"http://unitsofmeasure.org","code":"mm[Hg]"}},
  {"code":{"coding":[{"system":"http://loinc.org","code":"8462-4"}]},"valueQuantity":{"value":80,"unit":"mmHg","system":"http://unitsofmeasure.org","code":"mm[Hg]"}}]}`

func TestExtractObservation(t *testing.T) {
	x := extract(t, engineRegistry(), "Observation", bpObservation)
	ms := func(s string) int64 { tm, _ := time.Parse(time.RFC3339Nano, s); return tm.UnixMilli() }

	if !slices.Contains(x.Tokens, TokenRow{Key: Key{Param: "code"}, System: "http://loinc.org", Code: "85354-9", Text: "blood pressure panel"}) ||
		!slices.Contains(x.Tokens, TokenRow{Key: Key{Param: "code"}, Text: "bp"}) {
		t.Errorf("code tokens: %+v", rows(x.Tokens, "code"))
	}
	if !slices.Contains(x.Tokens, TokenRow{Key: Key{Param: "identifier"}, System: "urn:lab", Code: "L1", Text: "filler",
		TypeSystem: "http://terminology.hl7.org/CodeSystem/v2-0203", TypeCode: "FILL"}) {
		t.Errorf("identifier tokens: %+v", rows(x.Tokens, "identifier"))
	}
	wantDate := DateRow{Key{Param: "date"}, DateRange{ms("2024-02-29T00:00:00Z"), ms("2024-03-01T09:30:00.999Z")}}
	if !slices.Contains(x.Dates, wantDate) {
		t.Errorf("date rows %+v, want %+v", rows(x.Dates, "date"), wantDate)
	}
	if !slices.Contains(x.Dates, DateRow{Key{Param: "_lastUpdated"}, DateRange{ms("2024-03-01T10:00:00Z"), ms("2024-03-01T10:00:00.999Z")}}) {
		t.Errorf("_lastUpdated rows %+v", rows(x.Dates, "_lastUpdated"))
	}
	refs := rows(x.References, "performer")
	if len(refs) != 2 || refs[0].URL != "http://other.org/fhir/Practitioner/9" || refs[0].TargetType != "Practitioner" ||
		refs[1].IdentifierValue != "S1" {
		t.Errorf("performer rows %+v", refs)
	}
	if p := rows(x.References, "patient"); len(p) != 1 || p[0].TargetType != "Patient" || p[0].TargetID != "p1" {
		t.Errorf("patient rows %+v", p)
	}
	if !slices.Contains(x.URIs, URIRow{Key{Param: "_profile"}, "http://hl7.org/fhir/StructureDefinition/bp"}) {
		t.Errorf("_profile rows %+v", x.URIs)
	}
	if s := rows(x.Strings, "_text"); len(s) != 1 || s[0].Norm != "blood & pressure" {
		t.Errorf("_text rows %+v", s)
	}
	// component-code-value-quantity: two groups, each a code and a quantity
	// of the same component.
	var groups []int
	for _, c := range x.Composites {
		if c.Param == "component-code-value-quantity" {
			groups = append(groups, c.Group)
		}
	}
	if !slices.Equal(groups, []int{1, 2}) {
		t.Fatalf("component-code-value-quantity groups %v", groups)
	}
	for _, q := range rows(x.Quantities, "component-code-value-quantity") {
		codeRow := slices.IndexFunc(x.Tokens, func(r TokenRow) bool {
			return r.Param == q.Param && r.Group == q.Group && r.Component == 1
		})
		want := map[string]float64{"8480-6": 120, "8462-4": 80}[x.Tokens[codeRow].Code]
		if q.Component != 2 || q.Value != want || q.CanonicalCode != "Pa" {
			t.Errorf("component quantity %+v, code %+v", q, x.Tokens[codeRow])
		}
	}
	for _, code := range []string{"code", "component-code", "date", "patient", "subject", "performer", "_text", "_profile"} {
		if !slices.Contains(x.Present, code) {
			t.Errorf("Present %v lacks %s", x.Present, code)
		}
	}
	for _, code := range []string{"value-quantity", "code-value-quantity", "device"} {
		if slices.Contains(x.Present, code) {
			t.Errorf("Present %v has %s", x.Present, code)
		}
	}
}

func rows[T interface{ key() Key }](all []T, param string) []T {
	var out []T
	for _, r := range all {
		if r.key().Param == param {
			out = append(out, r)
		}
	}
	return out
}

func (r TokenRow) key() Key     { return r.Key }
func (r DateRow) key() Key      { return r.Key }
func (r ReferenceRow) key() Key { return r.Key }
func (r QuantityRow) key() Key  { return r.Key }
func (r StringRow) key() Key    { return r.Key }

func TestExtractQuantityUCUM(t *testing.T) {
	x := extract(t, engineRegistry(), "Observation", `{"resourceType":"Observation","status":"final","code":{"text":"glucose"},
		"valueQuantity":{"value":5400,"unit":"µmol/L","system":"http://unitsofmeasure.org","code":"umol/L"}}`)
	q := rows(x.Quantities, "value-quantity")
	if len(q) != 1 || q[0].CanonicalCode != "mol/L" || q[0].Text != "5400" {
		t.Fatalf("value-quantity rows %+v", q)
	}
	// value-quantity=5.4|http://unitsofmeasure.org|mmol/L finds it; 5.5 does not.
	for _, tc := range []struct {
		search string
		match  bool
	}{{"5.4", true}, {"5.5", false}, {"5", true}} {
		var v Value
		if _, err := parseValue(&v, TypeQuantity, ModNone, tc.search+"|http://unitsofmeasure.org|mmol/L"); err != nil {
			t.Fatal(err)
		}
		got := v.CanonicalCode == q[0].CanonicalCode && MatchNumber(PrefixEq, v.Canonical, q[0].Canonical.Low, q[0].Canonical.High)
		if got != tc.match {
			t.Errorf("%s mmol/L matches 5400 umol/L = %v, want %v (search %+v, stored %+v)", tc.search, got, tc.match, v.Canonical, q[0].Canonical)
		}
	}
}

func TestExtractShapes(t *testing.T) {
	reg := engineRegistry()
	// Timing events and a Range.
	x := extract(t, reg, "MedicationRequest", `{"resourceType":"MedicationRequest","status":"active","intent":"order",
		"medicationCodeableConcept":{"text":"x"},"subject":{"reference":"Patient/1"},
		"dosageInstruction":[{"timing":{"event":["2020-01-01","2020-01-02T08:00:00Z"]}}]}`)
	if d := rows(x.Dates, "date"); len(d) != 2 {
		t.Errorf("Timing events: %+v", d)
	}
	x = extract(t, reg, "Observation", `{"resourceType":"Observation","status":"final","code":{"text":"x"},
		"valueRange":{"low":{"value":1,"system":"http://unitsofmeasure.org","code":"g"}},"effectivePeriod":{"end":"2020"}}`)
	if d := rows(x.Dates, "date"); len(d) != 1 || d[0].Low != OpenLow {
		t.Errorf("open Period: %+v", d)
	}
	// A Range is not Quantity: value-quantity has ofType(Quantity) only.
	if q := rows(x.Quantities, "value-quantity"); len(q) != 0 {
		t.Errorf("value-quantity from a Range: %+v", q)
	}
	// Money and canonical references.
	x = extract(t, reg, "QuestionnaireResponse", `{"resourceType":"QuestionnaireResponse","status":"completed",
		"questionnaire":"http://x.org/Questionnaire/q|2.0","subject":{"reference":"urn:uuid:abc","type":"Patient"}}`)
	if r := rows(x.References, "questionnaire"); len(r) != 1 || r[0].URL != "http://x.org/Questionnaire/q" || r[0].Version != "2.0" {
		t.Errorf("canonical: %+v", r)
	}
	if r := rows(x.References, "patient"); len(r) != 1 || r[0].URL != "urn:uuid:abc" || r[0].TargetType != "Patient" {
		t.Errorf("urn:uuid reference with type: %+v", r)
	}
	x = extract(t, reg, "Invoice", `{"resourceType":"Invoice","status":"issued","totalNet":{"value":10.50,"currency":"GBP"}}`)
	if q := rows(x.Quantities, "totalnet"); len(q) != 1 || q[0].Code != "GBP" || q[0].Text != "10.50" || q[0].Low != 10.495 {
		t.Errorf("Money: %+v", q)
	}
}

func TestAddCustomParameter(t *testing.T) {
	reg := NewRegistry(FHIRPath)
	v0 := reg.Version()
	p, err := reg.Add([]byte(`{"resourceType":"SearchParameter","url":"http://example.org/SearchParameter/patient-birthplace",
		"code":"birthplace","base":["Patient"],"type":"string",
		"expression":"Patient.extension('http://hl7.org/fhir/StructureDefinition/patient-birthPlace').value.ofType(Address).city"}`))
	if err != nil {
		t.Fatal(err)
	}
	if reg.Version() != v0+1 || !reg.ChangedSince("Patient", v0) || reg.ChangedSince("Observation", v0) {
		t.Errorf("version %d, changed %v", reg.Version(), reg.ChangedSince("Patient", v0))
	}
	if reg.Lookup("Patient", "birthplace") != p || !p.Custom {
		t.Errorf("Lookup = %+v", reg.Lookup("Patient", "birthplace"))
	}
	x := extract(t, reg, "Patient", `{"resourceType":"Patient","extension":[{"url":"http://hl7.org/fhir/StructureDefinition/patient-birthPlace","valueAddress":{"city":"Port-au-Prince"}}]}`)
	if s := rows(x.Strings, "birthplace"); len(s) != 1 || s[0].Norm != "port-au-prince" {
		t.Errorf("custom rows %+v", s)
	}
	for _, bad := range []string{
		`{"resourceType":"Patient"}`,
		`{"resourceType":"SearchParameter","url":"u","code":"x","base":["Patient"],"type":"string","expression":"Patient.name.("}`,
		`{"resourceType":"SearchParameter","url":"u","code":"x","base":["Nope"],"type":"string","expression":"name"}`,
		`{"resourceType":"SearchParameter","url":"u","code":"_x","base":["Patient"],"type":"string","expression":"name"}`,
		`{"resourceType":"SearchParameter","url":"u","code":"x","base":["Patient"],"type":"fuzzy","expression":"name"}`,
		`{"resourceType":"SearchParameter","url":"u","code":"x","base":["Patient"],"type":"composite","expression":"Patient",
		  "component":[{"definition":"http://nope","expression":"a"},{"definition":"http://nope2","expression":"b"}]}`,
		`not json`,
	} {
		if _, err := reg.Add([]byte(bad)); err == nil {
			t.Errorf("Add accepted %s", bad)
		}
	}
}

func TestRegistry(t *testing.T) {
	reg := NewRegistry(nil)
	for _, tc := range []struct{ rt, code string }{
		{"Patient", "name"}, {"Patient", "_id"}, {"Patient", "_text"}, {"Bundle", "_id"}, {"Observation", "code-value-quantity"}, {"Patient", "_list"},
	} {
		if reg.Lookup(tc.rt, tc.code) == nil {
			t.Errorf("Lookup(%s, %s) = nil", tc.rt, tc.code)
		}
	}
	if reg.Lookup("Bundle", "_text") != nil {
		t.Error("Bundle has _text (it is not a DomainResource)")
	}
	ps := reg.Params("Observation")
	if len(ps) < 40 || !slices.IsSortedFunc(ps, func(a, b *Param) int { return compareStrings(a.Code, b.Code) }) {
		t.Errorf("Params(Observation): %d", len(ps))
	}
	if p := reg.Lookup("Observation", "patient"); p.Type != TypeReference || !p.TargetsType("Patient") || p.TargetsType("Group") {
		t.Errorf("Observation patient = %+v", p)
	}
	if got := PatientCompartment("Observation"); !slices.Contains(got, "subject") || !slices.Contains(got, "performer") {
		t.Errorf("PatientCompartment(Observation) = %v", got)
	}
	if PatientCompartment("Organization") != nil {
		t.Error("Organization in the Patient compartment")
	}
	if _, err := reg.Extract("Patient", []byte(`{}`)); err == nil {
		t.Error("Extract without an engine")
	}
	t.Logf("%d official parameters, %d in the Patient compartment table", len(r4Params), len(patientCompartment))
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func TestConcurrentExtractAndAdd(t *testing.T) {
	reg := NewRegistry(FHIRPath)
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			for range 20 {
				if _, err := reg.Extract("Observation", []byte(bpObservation)); err != nil {
					t.Error(err)
				}
			}
			if i == 0 {
				_, err := reg.Add([]byte(`{"resourceType":"SearchParameter","url":"http://x/sp","code":"x","base":["Observation"],"type":"token","expression":"Observation.status"}`))
				if err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	x, _ := reg.Extract("Observation", []byte(bpObservation))
	if !slices.Contains(x.Present, "x") {
		t.Errorf("custom parameter not extracted after Add: %v", x.Present)
	}
}

func TestParseDateAndNumber(t *testing.T) {
	ms := func(s string) int64 { tm, _ := time.Parse(time.RFC3339Nano, s); return tm.UnixMilli() }
	for _, tc := range []struct {
		in        string
		low, high string
	}{
		{"2020", "2020-01-01T00:00:00Z", "2020-12-31T23:59:59.999Z"},
		{"2020-02", "2020-02-01T00:00:00Z", "2020-02-29T23:59:59.999Z"},
		{"2021-02-28", "2021-02-28T00:00:00Z", "2021-02-28T23:59:59.999Z"},
		{"2020-06-01T12:30", "2020-06-01T12:30:00Z", "2020-06-01T12:30:59.999Z"},
		{"2020-06-01T12:30:15-05:00", "2020-06-01T17:30:15Z", "2020-06-01T17:30:15.999Z"},
		{"2020-06-01T12:30:15.1234Z", "2020-06-01T12:30:15.123Z", "2020-06-01T12:30:15.123Z"},
		{"2020-06-01T12:30:15.5Z", "2020-06-01T12:30:15.500Z", "2020-06-01T12:30:15.500Z"},
	} {
		d, err := ParseDate(tc.in)
		if err != nil || d.Low != ms(tc.low) || d.High != ms(tc.high) {
			t.Errorf("ParseDate(%s) = %v, %v; want [%s, %s]", tc.in, d, err, tc.low, tc.high)
		}
	}
	for _, bad := range []string{"", "20", "2020-1", "2020-02-30", "2020-01-01T", "2020-01-01T25:00", "2020-01-01 10:00", "2020-01-01T10:00:00+5", "+020", "2020-01-01T10:00:00.Z"} {
		if _, err := ParseDate(bad); err == nil {
			t.Errorf("ParseDate(%q) accepted", bad)
		}
	}
	for _, tc := range []struct {
		in        string
		low, high float64
	}{{"100", 99.5, 100.5}, {"0.25", 0.245, 0.255}, {"-3", -3.5, -2.5}, {"1.5e3", 1450, 1550}, {"1E-2", 0.005, 0.015}} {
		n, err := ParseNumber(tc.in)
		if err != nil || math.Abs(n.Low-tc.low) > 1e-9 || math.Abs(n.High-tc.high) > 1e-9 {
			t.Errorf("ParseNumber(%s) = %+v, %v", tc.in, n, err)
		}
	}
	for _, bad := range []string{"", "abc", "1,5", "0x10", "Inf", "NaN", "1e", "1e999"} {
		if _, err := ParseNumber(bad); err == nil {
			t.Errorf("ParseNumber(%q) accepted", bad)
		}
	}
}

func TestMatch(t *testing.T) {
	r := func(s string) DateRange { d, _ := ParseDate(s); return d }
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		p        Prefix
		search   string
		target   DateRange
		expected bool
	}{
		{PrefixEq, "2020", r("2020-05-05"), true},
		{PrefixEq, "2020-05-05", r("2020"), false},
		{PrefixNe, "2020-05-05", r("2020"), true},
		{PrefixGt, "2020", r("2021-01-01"), true},
		{PrefixGt, "2020", r("2020-06-01"), false},
		{PrefixLt, "2020", r("2019-12-31"), true},
		{PrefixGe, "2020", r("2020-06-01"), true},
		{PrefixLe, "2020", r("2021-01-01"), false},
		{PrefixSa, "2020", DateRange{r("2021").Low, OpenHigh}, true},
		{PrefixSa, "2020", DateRange{r("2020-12").Low, OpenHigh}, false},
		{PrefixEb, "2020", DateRange{OpenLow, r("2019").High}, true},
		{PrefixAp, "2015", r("2014-06-01"), true},
		{PrefixAp, "2015", r("2010-01-01"), false},
		{PrefixGt, "2020", DateRange{r("2019").Low, OpenHigh}, true},
	} {
		if got := MatchDate(tc.p, r(tc.search), tc.target, now); got != tc.expected {
			t.Errorf("MatchDate(%s%s, %v) = %v", tc.p, tc.search, tc.target, got)
		}
	}
	n := func(s string) Number { v, _ := ParseNumber(s); return v }
	for _, tc := range []struct {
		p        Prefix
		search   string
		target   string
		expected bool
	}{
		{PrefixEq, "100", "100.2", true}, {PrefixEq, "100", "100.7", false}, {PrefixEq, "100.00", "100.2", false},
		{PrefixAp, "100", "108", true}, {PrefixAp, "100", "112", false}, {PrefixGt, "100", "101", true}, {PrefixLt, "100", "99", true},
	} {
		tn := n(tc.target)
		if got := MatchNumber(tc.p, n(tc.search), tn.Value, tn.Value); got != tc.expected {
			t.Errorf("MatchNumber(%s%s, %s) = %v", tc.p, tc.search, tc.target, got)
		}
	}
}

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		"Smith": "smith", "  Zoë   O'Brien\t": "zoe o'brien", "Ærøskøbing": "aeroskobing", "Straße": "strasse",
		"José": "jose", "JOSE\u0301": "jose", "already normal": "already normal", "": "", "Ελένη": "ελένη",
	} {
		if got := Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
}
