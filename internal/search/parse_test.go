package search

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"
)

var testRegistry = NewRegistry(nil)

// parse1 parses one parameter and returns its single condition.
func parse1(t *testing.T, rt, query string) Condition {
	t.Helper()
	vals, err := url.ParseQuery(query)
	if err != nil {
		t.Fatal(err)
	}
	q, warns, err := Parse(testRegistry, rt, vals, true)
	if err != nil {
		t.Fatalf("Parse(%s): %v", query, err)
	}
	if len(warns) > 0 || len(q.And) != 1 || len(q.And[0]) != 1 {
		t.Fatalf("Parse(%s) = %+v, %v; want one condition", query, q.And, warns)
	}
	return q.And[0][0]
}

func TestParseValues(t *testing.T) {
	ms := func(s string) int64 { tm, _ := time.Parse(time.RFC3339Nano, s); return tm.UnixMilli() }
	tests := []struct {
		rt, query string
		check     func(c Condition) bool
	}{
		// string
		{"Patient", "name=Sm%C3%AFth", func(c Condition) bool {
			return c.Param.Type == TypeString && c.Modifier == ModNone && c.Value.Raw == "Smïth" && c.Value.Str == "smith"
		}},
		{"Patient", "name:exact=Smith", func(c Condition) bool { return c.Modifier == ModExact && c.Value.Raw == "Smith" }},
		{"Patient", "family:contains=MIT", func(c Condition) bool { return c.Modifier == ModContains && c.Value.Str == "mit" }},
		{"Patient", "name=a%5C,b", func(c Condition) bool { return c.Value.Raw == "a,b" }},
		// token
		{"Observation", "code=1234-5", func(c Condition) bool {
			return c.Value.Code == "1234-5" && !c.Value.HasSystem
		}},
		{"Observation", "code=http://loinc.org%7C1234-5", func(c Condition) bool {
			return c.Value.System == "http://loinc.org" && c.Value.Code == "1234-5" && c.Value.HasSystem
		}},
		{"Observation", "code=%7C1234-5", func(c Condition) bool { return c.Value.HasSystem && c.Value.System == "" && c.Value.Code == "1234-5" }},
		{"Observation", "code=http://loinc.org%7C", func(c Condition) bool { return c.Value.System == "http://loinc.org" && c.Value.Code == "" }},
		{"Observation", "code:text=Body%20HEIGHT", func(c Condition) bool { return c.Modifier == ModText && c.Value.Str == "body height" }},
		{"Observation", "status:not=final", func(c Condition) bool { return c.Modifier == ModNot && c.Value.Code == "final" }},
		{"Observation", "code:in=http://example.org/vs", func(c Condition) bool { return c.Modifier == ModIn && c.Value.Str == "http://example.org/vs" }},
		{"Observation", "code:not-in=http://example.org/vs", func(c Condition) bool { return c.Modifier == ModNotIn }},
		{"Observation", "code:below=http://snomed.info/sct%7C235862008", func(c Condition) bool {
			return c.Modifier == ModBelow && c.Value.Code == "235862008"
		}},
		{"Observation", "code:above=http://snomed.info/sct%7C3738000", func(c Condition) bool { return c.Modifier == ModAbove }},
		{"Patient", "identifier:of-type=http://terminology.hl7.org/CodeSystem/v2-0203%7CMR%7C446053", func(c Condition) bool {
			return c.Modifier == ModOfType && c.Value.TypeCode == "MR" && c.Value.Code == "446053"
		}},
		{"Patient", "identifier=a%5C%7Cb", func(c Condition) bool { return c.Value.Code == "a|b" && !c.Value.HasSystem }},
		{"Patient", "_id=123", func(c Condition) bool { return c.Param.Code == "_id" && c.Value.Code == "123" }},
		{"Patient", "_tag=http://x%7Cy", func(c Condition) bool { return c.Param.Code == "_tag" && c.Value.Code == "y" }},
		{"Patient", "_security=R", func(c Condition) bool { return c.Param.Code == "_security" }},
		{"Patient", "active=true", func(c Condition) bool { return c.Value.Code == "true" }},
		// date
		{"Observation", "date=2020", func(c Condition) bool {
			return c.Prefix == PrefixEq && c.Value.Date.Low == ms("2020-01-01T00:00:00Z") && c.Value.Date.High == ms("2020-12-31T23:59:59.999Z")
		}},
		{"Observation", "date=ge2020-02", func(c Condition) bool {
			return c.Prefix == PrefixGe && c.Value.Date.High == ms("2020-02-29T23:59:59.999Z")
		}},
		{"Observation", "date=lt2020-02-03T10:00%2B01:00", func(c Condition) bool {
			return c.Prefix == PrefixLt && c.Value.Date.Low == ms("2020-02-03T09:00:00Z") && c.Value.Date.High == ms("2020-02-03T09:00:59.999Z")
		}},
		{"Patient", "_lastUpdated=gt2021-01-01T00:00:00Z", func(c Condition) bool { return c.Param.Code == "_lastUpdated" && c.Prefix == PrefixGt }},
		{"Observation", "date=sa2020", func(c Condition) bool { return c.Prefix == PrefixSa }},
		{"Observation", "date=eb2020", func(c Condition) bool { return c.Prefix == PrefixEb }},
		{"Observation", "date=ap2020-06-01", func(c Condition) bool { return c.Prefix == PrefixAp }},
		{"Observation", "date=ne2020", func(c Condition) bool { return c.Prefix == PrefixNe }},
		{"Observation", "date=le2020", func(c Condition) bool { return c.Prefix == PrefixLe }},
		// number
		{"RiskAssessment", "probability=gt0.8", func(c Condition) bool {
			return c.Prefix == PrefixGt && c.Value.Number.Text == "0.8" && c.Value.Number.Low == 0.75
		}},
		{"RiskAssessment", "probability=100", func(c Condition) bool { return c.Value.Number.Low == 99.5 && c.Value.Number.High == 100.5 }},
		{"RiskAssessment", "probability=1e2", func(c Condition) bool { return c.Value.Number.Low == 50 && c.Value.Number.High == 150 }},
		// quantity
		{"Observation", "value-quantity=5.4%7Chttp://unitsofmeasure.org%7Cmmol/L", func(c Condition) bool {
			v := c.Value
			return v.Number.Value == 5.4 && v.System == UCUMSystem && v.Code == "mmol/L" && v.CanonicalCode == "mol/L" && near(v.Canonical.Value, 0.0054)
		}},
		{"Observation", "value-quantity=le5.4%7C%7Cmg", func(c Condition) bool {
			return c.Prefix == PrefixLe && !c.Value.HasSystem && c.Value.Code == "mg" && c.Value.CanonicalCode == "g"
		}},
		{"Observation", "value-quantity=ap5.4", func(c Condition) bool { return c.Prefix == PrefixAp && c.Value.Code == "" }},
		// reference
		{"Observation", "subject=Patient/123", func(c Condition) bool { return c.Value.TargetType == "Patient" && c.Value.TargetID == "123" }},
		{"Observation", "subject=123", func(c Condition) bool { return c.Value.TargetType == "" && c.Value.TargetID == "123" }},
		{"Observation", "subject:Patient=123", func(c Condition) bool { return c.Value.TargetType == "Patient" && c.Value.TargetID == "123" }},
		{"Observation", "subject=http://other.org/fhir/Patient/9", func(c Condition) bool {
			return c.Value.URL == "http://other.org/fhir/Patient/9" && c.Value.TargetType == "Patient"
		}},
		{"Observation", "subject=urn:uuid:0c3151bd-1cbf-4d64-b04d-cd9187a4c6e0", func(c Condition) bool {
			return c.Value.URL == "urn:uuid:0c3151bd-1cbf-4d64-b04d-cd9187a4c6e0"
		}},
		{"Observation", "subject:identifier=https://fhir.nhs.uk/Id/nhs-number%7C9990000018", func(c Condition) bool {
			return c.Modifier == ModIdentifier && c.Value.System == "https://fhir.nhs.uk/Id/nhs-number" && c.Value.Code == "9990000018"
		}},
		{"QuestionnaireResponse", "questionnaire=http://x.org/Questionnaire/q%7C2.0", func(c Condition) bool {
			return c.Value.URL == "http://x.org/Questionnaire/q" && c.Value.Version == "2.0"
		}},
		{"Observation", "subject=Patient/1/_history/2", func(c Condition) bool { return c.Value.TargetID == "1" && c.Value.Version == "2" }},
		// uri
		{"ValueSet", "url=http://x.org/vs", func(c Condition) bool { return c.Param.Type == TypeURI && c.Value.Str == "http://x.org/vs" }},
		{"ValueSet", "url:below=http://x.org/", func(c Condition) bool { return c.Modifier == ModBelow }},
		{"Patient", "_profile=http://x.org/p", func(c Condition) bool { return c.Param.Code == "_profile" }},
		// composite
		{"Observation", "code-value-quantity=http://loinc.org%7C8480-6%24gt150%7Chttp://unitsofmeasure.org%7Cmm%5BHg%5D", func(c Condition) bool {
			cs := c.Value.Components
			return len(cs) == 2 && cs[0].Code == "8480-6" && cs[1].Number.Value == 150 && cs[1].Code == "mm[Hg]" && c.Prefix == PrefixGt
		}},
		{"Observation", "code-value-concept=http://loinc.org%7C1%24http://snomed.info/sct%7C2", func(c Condition) bool {
			return len(c.Value.Components) == 2 && c.Value.Components[1].Code == "2"
		}},
		// missing
		{"Patient", "birthdate:missing=true", func(c Condition) bool { return c.Modifier == ModMissing && c.Missing }},
		{"Patient", "gender:missing=false", func(c Condition) bool { return c.Modifier == ModMissing && !c.Missing }},
		// specials
		{"Patient", "_text=Diabetes", func(c Condition) bool { return c.Param.Code == "_text" && c.Value.Str == "diabetes" }},
		{"Patient", "_content=Diabetes", func(c Condition) bool { return c.Param.Code == "_content" }},
		{"Patient", "_list=42", func(c Condition) bool { return c.Param.Code == "_list" && c.Value.Raw == "42" }},
		// chains
		{"Observation", "subject:Patient.name=Smith", func(c Condition) bool {
			return c.Chain != nil && len(c.Chain.Targets) == 1 && c.Chain.Targets[0].Type == "Patient" &&
				c.Chain.Targets[0].Cond.Param.Code == "name" && c.Chain.Targets[0].Cond.Value.Str == "smith"
		}},
		{"Observation", "subject.name=Smith", func(c Condition) bool {
			return c.Chain != nil && len(c.Chain.Targets) > 1 && hasTarget(c.Chain, "Patient") && hasTarget(c.Chain, "Location") && !hasTarget(c.Chain, "Device")
		}},
		{"Observation", "patient.identifier=x", func(c Condition) bool {
			return len(c.Chain.Targets) == 1 && c.Chain.Targets[0].Cond.Value.Code == "x"
		}},
		{"Observation", "encounter.service-provider.name:exact=Leeds", func(c Condition) bool {
			inner := c.Chain.Targets[0].Cond
			return inner.Chain != nil && inner.Chain.Targets[0].Type == "Organization" && inner.Chain.Targets[0].Cond.Modifier == ModExact
		}},
		{"Observation", "subject:Patient.birthdate=ge1960", func(c Condition) bool {
			return c.Chain.Targets[0].Cond.Prefix == PrefixGe
		}},
		// reverse chains
		{"Patient", "_has:Observation:patient:code=1234-5", func(c Condition) bool {
			return c.Has != nil && c.Has.Type == "Observation" && c.Has.Param.Code == "patient" && c.Has.Cond.Value.Code == "1234-5"
		}},
		{"Patient", "_has:Observation:patient:_has:AuditEvent:entity:agent=MyUserId", func(c Condition) bool {
			return c.Has.Cond.Has != nil && c.Has.Cond.Has.Type == "AuditEvent" && c.Has.Cond.Has.Cond.Param.Code == "agent"
		}},
		{"Patient", "_has:Observation:subject:code:text=weight", func(c Condition) bool { return c.Has.Cond.Modifier == ModText }},
	}
	for _, tt := range tests {
		t.Run(tt.rt+"?"+tt.query, func(t *testing.T) {
			c := parse1(t, tt.rt, tt.query)
			if !tt.check(c) {
				t.Errorf("condition = %+v (value %+v)", c, c.Value)
			}
		})
	}
}

func near(a, b float64) bool { d := a - b; return d < 1e-12 && d > -1e-12 }

func hasTarget(ch *Chain, typ string) bool {
	for _, t := range ch.Targets {
		if t.Type == typ {
			return true
		}
	}
	return false
}

// TestParseBad checks that every invalid parameter is a warning under
// lenient handling and an *Error naming it under strict handling.
func TestParseBad(t *testing.T) {
	tests := []struct{ rt, query, param, reason string }{
		{"Patient", "foo=bar", "foo", "unknown search parameter"},
		{"Patient", "name:exactly=x", "name:exactly", "modifier"},
		{"Patient", "gender:contains=x", "gender:contains", "not allowed on token"},
		{"Patient", "birthdate=yesterday", "birthdate", "not a date"},
		{"Patient", "birthdate=2020-13", "birthdate", "not a date"},
		{"Patient", "birthdate:missing=maybe", "birthdate:missing", "true or false"},
		{"RiskAssessment", "probability=abc", "probability", "not a number"},
		{"Observation", "value-quantity=1%7Cx", "value-quantity", "number|system|code"},
		{"Observation", "subject:Banana=1", "subject:Banana", "modifier"},
		{"Observation", "subject:Medication=1", "subject:Medication", "cannot refer"},
		{"Observation", "subject:Patient=Group/1", "subject:Patient", "not a Patient reference"},
		{"Observation", "status.name=x", "status.name", "cannot be chained"},
		{"Observation", "subject.foo=x", "subject.foo", "no type"},
		{"Observation", "code-value-quantity=1", "code-value-quantity", "2 parts"},
		{"Patient", "identifier:of-type=a%7Cb", "identifier:of-type", "of-type"},
		{"Patient", "_has:Observation:code:x=1", "_has:Observation:code:x", "not a reference parameter"},
		{"Patient", "_has:Observation:patient=1", "_has:Observation:patient", "_has:Type"},
		{"Patient", "_has:Nope:patient:code=1", "_has:Nope:patient:code", "not a resource type"},
		{"Patient", "_has:Observation:patient:nope=1", "_has:Observation:patient:nope", "unknown"},
		{"Patient", "_sort=nope", "_sort", "not a search parameter"},
		{"Patient", "_count=-1", "_count", "count"},
		{"Patient", "_total=all", "_total", "none, estimate"},
		{"Patient", "_summary=yes", "_summary", "true, text"},
		{"Patient", "_include=Observation:subject", "_include", "_include:iterate"},
		{"Patient", "_include=Patient:name", "_include", "not a reference parameter"},
		{"Patient", "_include=Patient:general-practitioner:Banana", "_include", "cannot refer"},
		{"Patient", "_revinclude=Observation:performer:Group", "_revinclude", "cannot refer"},
		{"Patient", "_revinclude=*", "_revinclude", "wildcard"},
		{"Patient", "_type=Patient", "_type", "across all types"},
		{"Patient", "_elements=name,a%20b", "_elements", "element name"},
		{"Patient", "_filter=name eq x", "_filter", "not supported"},
		{"Location", "near=1|2|3", "near", "not supported"},
		{"Patient", "subject.a.b.c.d.e.f=1", "subject.a.b.c.d.e.f", "unknown"},
		{"Observation", "subject.subject.subject.subject.subject.subject=1", "subject.subject.subject.subject.subject.subject", ""},
		{"Observation", "date=xx2020", "date", "not a date"},
		{"Provenance", "target._has:Provenance:target:target._id=1", "target._has:Provenance:target:target._id", "too complex"},
	}
	for _, tt := range tests {
		t.Run(tt.rt+"?"+tt.query, func(t *testing.T) {
			vals, err := url.ParseQuery(tt.query)
			if err != nil {
				t.Fatal(err)
			}
			q, warns, err := Parse(testRegistry, tt.rt, vals, false)
			if err != nil {
				t.Fatalf("lenient: %v", err)
			}
			if len(warns) != 1 || warns[0].Param != tt.param || !strings.Contains(warns[0].Reason, tt.reason) {
				t.Errorf("lenient warnings = %+v, want one for %s containing %q", warns, tt.param, tt.reason)
			}
			if len(q.And) != 0 {
				t.Errorf("lenient kept %+v", q.And)
			}
			_, _, err = Parse(testRegistry, tt.rt, vals, true)
			var e *Error
			if !errors.As(err, &e) || e.Param != tt.param {
				t.Errorf("strict error = %v, want an *Error for %s", err, tt.param)
			}
		})
	}
}

func TestParseResultParameters(t *testing.T) {
	vals, _ := url.ParseQuery("_sort=-date,status,_id&_count=20&_total=accurate&_summary=count&_elements=Observation.code,status" +
		"&_include=Observation:subject:Patient&_include:iterate=Patient:general-practitioner&_revinclude=Provenance:target" +
		"&_format=json&_pretty=true&_offset=40&_cursor=abc&code=a,b&code=c&status=")
	q, warns, err := Parse(testRegistry, "Observation", vals, true)
	if err != nil || len(warns) > 0 {
		t.Fatalf("Parse: %v %v", err, warns)
	}
	if len(q.Sort) != 3 || q.Sort[0].Param.Code != "date" || !q.Sort[0].Descending || q.Sort[1].Descending || q.Sort[2].Param.Code != "_id" {
		t.Errorf("Sort = %+v", q.Sort)
	}
	if q.Count != 20 || q.Total != TotalAccurate || q.Summary != SummaryCount || q.Offset != 40 || q.Cursor != "abc" {
		t.Errorf("Count %d Total %q Summary %q Offset %d Cursor %q", q.Count, q.Total, q.Summary, q.Offset, q.Cursor)
	}
	if strings.Join(q.Elements, ",") != "code,status" {
		t.Errorf("Elements = %v", q.Elements)
	}
	if len(q.Include) != 2 || q.Include[0].TargetType != "Patient" || q.Include[0].Iterate || !q.Include[1].Iterate || q.Include[1].SourceType != "Patient" {
		t.Errorf("Include = %+v", q.Include)
	}
	if len(q.RevInclude) != 1 || q.RevInclude[0].Param.Code != "target" {
		t.Errorf("RevInclude = %+v", q.RevInclude)
	}
	// code=a,b&code=c: an AND of an OR of two and an OR of one; status= is ignored.
	if len(q.And) != 2 || len(q.And[0]) != 2 || len(q.And[1]) != 1 || q.And[0][1].Value.Code != "b" {
		t.Errorf("And = %+v", q.And)
	}
	q, _, _ = Parse(testRegistry, "Patient", url.Values{}, true)
	if q.Count != -1 || len(q.And) != 0 {
		t.Errorf("empty query = %+v", q)
	}
}

func TestParseSystemLevel(t *testing.T) {
	vals, _ := url.ParseQuery("_type=Patient,Practitioner&name=smith&_lastUpdated=gt2020")
	q, warns, err := Parse(testRegistry, "", vals, true)
	if err != nil || len(warns) > 0 {
		t.Fatalf("Parse: %v %v", err, warns)
	}
	if strings.Join(q.Types, ",") != "Patient,Practitioner" || len(q.And) != 2 {
		t.Errorf("q = %+v", q)
	}
	vals, _ = url.ParseQuery("_type=Patient,Observation&name=smith")
	if _, _, err := Parse(testRegistry, "", vals, true); err == nil {
		t.Error("name accepted across Patient and Observation")
	}
	vals, _ = url.ParseQuery("_id=1&_tag=x")
	if _, _, err := Parse(testRegistry, "", vals, true); err != nil {
		t.Errorf("_id and _tag across all types: %v", err)
	}
	if _, _, err := Parse(testRegistry, "Banana", url.Values{}, true); err == nil {
		t.Error("Banana accepted as a resource type")
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"name=smith", "subject:Patient.name=a,b", "_has:Observation:patient:_has:AuditEvent:entity:agent=x",
		"code-value-quantity=a|b$gt5|http://unitsofmeasure.org|mg", "date=ge2020-01-01T10:00:00.123+01:00",
		"_sort=-date&_include:iterate=Patient:organization", "identifier:of-type=a|b|c", "value-quantity=ap1e-3||mg",
		"subject=urn:uuid:1&_count=1&_total=none", `name=a\,b\$c\|d\\`,
	} {
		f.Add("Observation", s)
	}
	f.Fuzz(func(t *testing.T, rt, query string) {
		vals, err := url.ParseQuery(query)
		if err != nil {
			return
		}
		for _, strict := range []bool{false, true} {
			q, _, err := Parse(testRegistry, rt, vals, strict)
			if err == nil && q == nil {
				t.Fatal("nil Query without an error")
			}
		}
	})
}
