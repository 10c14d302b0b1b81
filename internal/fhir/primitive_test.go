package fhir

import (
	"errors"
	"strings"
	"testing"
)

// validateExtensionValue validates a Basic resource with one extension
// carrying value (raw JSON) as value<Type>, and returns the issue codes.
func validateExtensionValue(t *testing.T, typ, value string) []string {
	t.Helper()
	elem := "value" + strings.ToUpper(typ[:1]) + typ[1:]
	body := `{"resourceType":"Basic","code":{"text":"x"},"extension":[{"url":"http://example.org/x","` + elem + `":` + value + `}]}`
	_, err := Validate([]byte(body))
	if err == nil {
		return nil
	}
	var ferr *Error
	if !errors.As(err, &ferr) {
		t.Fatalf("error %v is not *Error", err)
	}
	var codes []string
	for _, is := range ferr.Issues {
		if want := "Basic.extension[0]." + elem; len(is.Expression) != 1 || is.Expression[0] != want {
			t.Errorf("issue at %v, want %s", is.Expression, want)
		}
		codes = append(codes, is.Code)
	}
	return codes
}

func TestPrimitiveLexicalForms(t *testing.T) {
	tests := []struct {
		typ, value string
		want       string // "" valid, else the issue code
	}{
		{"boolean", `true`, ""},
		{"boolean", `false`, ""},
		{"boolean", `"true"`, "structure"},
		{"boolean", `1`, "structure"},
		{"integer", `0`, ""},
		{"integer", `-2147483648`, ""},
		{"integer", `2147483647`, ""},
		{"integer", `2147483648`, "value"},
		{"integer", `-2147483649`, "value"},
		{"integer", `1.0`, "value"},
		{"integer", `1e3`, "value"},
		{"integer", `-0`, ""},
		{"integer", `"1"`, "structure"},
		{"positiveInt", `1`, ""},
		{"positiveInt", `0`, "value"},
		{"positiveInt", `-1`, "value"},
		{"unsignedInt", `0`, ""},
		{"unsignedInt", `-1`, "value"},
		{"unsignedInt", `4294967295`, "value"},
		{"decimal", `0.1`, ""},
		{"decimal", `-1.50e-3`, ""},
		{"decimal", `"1.5"`, "structure"},
		{"string", `" x "`, ""},
		{"string", `""`, "value"},
		{"string", `1`, "structure"},
		{"markdown", `"# h"`, ""},
		{"code", `"a b"`, ""},
		{"code", `"a  b"`, "value"},
		{"code", `"a "`, "value"},
		{"code", `"\tb"`, "value"},
		{"id", `"Aa-0.9"`, ""},
		{"id", `"` + strings.Repeat("a", 64) + `"`, ""},
		{"id", `"` + strings.Repeat("a", 65) + `"`, "value"},
		{"id", `"a/b"`, "value"},
		{"uri", `"urn:x"`, ""},
		{"uri", `"a b"`, "value"},
		{"uri", `""`, "value"},
		{"url", `"http://x"`, ""},
		{"url", `"http://x\n"`, "value"},
		{"canonical", `"http://x|1.0"`, ""},
		{"canonical", `" http://x"`, "value"},
		{"oid", `"urn:oid:1.2.840"`, ""},
		{"oid", `"urn:oid:0.0"`, ""},
		{"oid", `"urn:oid:3.1"`, "value"},
		{"oid", `"urn:oid:1"`, "value"},
		{"oid", `"urn:oid:1..2"`, "value"},
		{"oid", `"1.2.3"`, "value"},
		{"uuid", `"urn:uuid:c2a1f46c-7072-40cb-814b-6acf5b96aadf"`, ""},
		{"uuid", `"urn:uuid:c2a1f46c7072-40cb-814b-6acf5b96aadf0"`, "value"},
		{"uuid", `"c2a1f46c-7072-40cb-814b-6acf5b96aadf"`, "value"},
		{"base64Binary", `"AAAA"`, ""},
		{"base64Binary", `"QQ=="`, ""},
		{"base64Binary", `"QUI= "`, ""},
		{"base64Binary", `"QQ="`, "value"},
		{"base64Binary", `"Q=QQ"`, "value"},
		{"base64Binary", `"QQ-_"`, "value"},
		{"date", `"2024"`, ""},
		{"date", `"2024-02"`, ""},
		{"date", `"2024-02-29"`, ""},
		{"date", `"2023-02-29"`, "value"},
		{"date", `"1900-02-29"`, "value"},
		{"date", `"2000-02-29"`, ""},
		{"date", `"2024-04-31"`, "value"},
		{"date", `"0000"`, "value"},
		{"date", `"2024-13"`, "value"},
		{"date", `"2024-1-01"`, "value"},
		{"date", `"2024-01-01T00:00:00Z"`, "value"},
		{"dateTime", `"2024"`, ""},
		{"dateTime", `"2024-01-01T10:11:12Z"`, ""},
		{"dateTime", `"2024-01-01T10:11:12.123+14:00"`, ""},
		{"dateTime", `"2024-01-01T10:11:12+14:01"`, "value"},
		{"dateTime", `"2024-01-01T10:11:12"`, "value"},
		{"dateTime", `"2024-01-01T10:11Z"`, "value"},
		{"dateTime", `"2024-01T10:11:12Z"`, "value"},
		{"dateTime", `"2024-01-01T24:00:00Z"`, "value"},
		{"dateTime", `"2024-01-01 10:11:12Z"`, "value"},
		{"instant", `"2024-01-01T10:11:12.5-05:00"`, ""},
		{"instant", `"2024-01-01"`, "value"},
		{"instant", `"2024-01-01T10:11:12."`, "value"},
		{"time", `"00:00:00"`, ""},
		{"time", `"23:59:60.999"`, ""},
		{"time", `"24:00:00"`, "value"},
		{"time", `"12:00"`, "value"},
		{"time", `"12:00:00Z"`, "value"},
	}
	for _, tt := range tests {
		t.Run(tt.typ+" "+tt.value, func(t *testing.T) {
			codes := validateExtensionValue(t, tt.typ, tt.value)
			got := strings.Join(codes, ",")
			if got != tt.want {
				t.Errorf("issues %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCheckReference(t *testing.T) {
	tests := []struct {
		ref string
		ok  bool
	}{
		{"Patient/123", true},
		{"Patient/a.b-C", true},
		{"Patient/123/_history/4", true},
		{"Patient/123/_history/", false},
		{"Patient/123/history/4", false},
		{"Patient/123/extra", false},
		{"Patient/", false},
		{"Patient", false},
		{"Patients/1", false},
		{"DomainResource/1", false},
		{"Patient/" + strings.Repeat("1", 65), false},
		{"http://example.org/fhir/Patient/1", true},
		{"https://example.org/fhir/Patient/1/_history/2", true},
		{"https://", false},
		{"https:///Patient/1", false},
		{"https://example.org/a b", false},
		{"ftp://example.org/Patient/1", false},
		{"urn:uuid:2d95f315-808c-4b67-836b-e56bdba9dd21", true},
		{"urn:uuid:2d95f315-808c-4b67-836b-e56bdba9dd2", false},
		{"urn:oid:1.2.3", true},
		{"urn:oid:9.2.3", false},
		{"#", true},
		{"#contained-1", true},
		{"#a/b", false},
		{"Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9990000018", true},
		{"Patient?", false},
		{"Nope?x=1", false},
		{"Patient/1 ", false},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			msg := checkReference([]byte(tt.ref))
			if (msg == "") != tt.ok {
				t.Errorf("checkReference(%q) = %q, want ok=%v", tt.ref, msg, tt.ok)
			}
			if msg != "" && strings.Contains(msg, tt.ref) {
				t.Errorf("diagnostics %q quote the reference", msg)
			}
		})
	}
}

func TestDefinitions(t *testing.T) {
	types := ResourceTypes()
	if len(types) < 140 || !IsResourceType("Patient") || IsResourceType("Resource") || IsResourceType("DomainResource") || IsResourceType("SubscriptionStatus") {
		t.Errorf("resource types: %d, Patient %v", len(types), IsResourceType("Patient"))
	}
	for i := 1; i < len(types); i++ {
		if types[i-1] >= types[i] {
			t.Errorf("ResourceTypes not sorted at %q", types[i])
		}
	}
	types[0] = "changed"
	if ResourceTypes()[0] == "changed" {
		t.Error("ResourceTypes shares its backing array")
	}
	m := r4()
	obs := m.resources["Observation"]
	for _, name := range []string{"id", "meta", "text", "contained", "extension", "status", "valueQuantity", "valueString", "effectiveDateTime"} {
		if _, ok := obs.index[name]; !ok {
			t.Errorf("Observation.%s missing", name)
		}
	}
	if _, ok := obs.index["value[x]"]; ok {
		t.Error("choice element not expanded")
	}
	vq := obs.elems[obs.index["valueQuantity"]]
	vs := obs.elems[obs.index["valueString"]]
	if vq.typ.name != "Quantity" || vq.repeats || vq.group < 0 || vq.group != vs.group {
		t.Errorf("valueQuantity = %+v", vq)
	}
	if e := obs.elems[obs.index["component"]]; !e.repeats || e.typ.name != "Observation.component" {
		t.Errorf("component = %+v", e)
	}
	q := m.resources["Questionnaire"].elems[m.resources["Questionnaire"].index["item"]].typ
	if q.elems[q.index["item"]].typ != q {
		t.Error("Questionnaire.item.item does not refer back to Questionnaire.item")
	}
	if m.resources["Patient"].elems[0].typ.prim != primID {
		t.Error("Resource.id is not of type id")
	}
}
