package fhirapi

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"carerecord/internal/fhir"
)

// issueWith returns the first issue with the severity, code and (when
// given) expression, failing the test if there is none.
func issueWith(t *testing.T, issues []fhir.Issue, severity, code, expression string) fhir.Issue {
	t.Helper()
	for _, is := range issues {
		if is.Severity != severity || is.Code != code {
			continue
		}
		if expression == "" || (len(is.Expression) == 1 && is.Expression[0] == expression) {
			return is
		}
	}
	t.Fatalf("no %s issue with code %q and expression %q in %+v", severity, code, expression, issues)
	return fhir.Issue{}
}

// wantAllOK checks the outcome is the single informational "All OK" issue
// (plus any informational notes).
func wantAllOK(t *testing.T, r response) {
	t.Helper()
	issues := r.want(t, http.StatusOK).outcome(t)
	for _, is := range issues {
		if is.Severity != "information" {
			t.Fatalf("want only information issues, got %+v", issues)
		}
	}
	if is := issues[len(issues)-1]; !strings.HasPrefix(is.Diagnostics, "All OK") || is.Code != "informational" {
		t.Fatalf("last issue %+v, want informational All OK", is)
	}
}

func parameters(resource string, params ...string) string {
	var parts []string
	if resource != "" {
		parts = append(parts, `{"name":"resource","resource":`+resource+`}`)
	}
	for i := 0; i+1 < len(params); i += 2 {
		value := `"valueCode"`
		if params[i] == "profile" {
			value = `"valueUri"`
		}
		parts = append(parts, `{"name":"`+params[i]+`",`+value+`:"`+params[i+1]+`"}`)
	}
	return `{"resourceType":"Parameters","parameter":[` + strings.Join(parts, ",") + `]}`
}

func TestValidateFindings(t *testing.T) {
	s := newTestServer(t)
	tests := []struct {
		name, path, body string
		code, expression string // the error issue expected
	}{
		{"unknown element", "/Patient/$validate",
			`{"resourceType":"Patient","nickname":"Bob","name":[{"family":"Smith"}]}`,
			"structure", "Patient.nickname"},
		{"unknown nested element", "/Patient/$validate",
			`{"resourceType":"Patient","name":[{"family":"Smith","middle":"X"}]}`,
			"structure", "Patient.name[0].middle"},
		{"wrong JSON type", "/Patient/$validate",
			`{"resourceType":"Patient","active":"true"}`,
			"structure", "Patient.active"},
		{"bad date", "/Patient/$validate",
			`{"resourceType":"Patient","birthDate":"1970-13-01"}`,
			"value", "Patient.birthDate"},
		{"NHS number fails modulus 11", "/Patient/$validate",
			patient("", "9990000019", "Walker"),
			"value", "Patient.identifier[0].value"},
		{"type mismatch", "/Observation/$validate",
			patient("", nhs1, "Walker"),
			"invalid", "resourceType"},
		{"malformed JSON", "/Patient/$validate",
			`{"resourceType":"Patient","name":[`,
			"structure", ""},
		{"wrapped resource is located in itself", "/Patient/$validate",
			parameters(`{"resourceType":"Patient","active":"yes"}`),
			"structure", "Patient.active"},
		{"instance: id differs from URL", "/Patient/p1/$validate",
			patient("p2", nhs1, "Walker"),
			"invalid", "Patient.id"},
		{"update without id", "/Patient/p1/$validate?mode=update",
			patient("", nhs1, "Walker"),
			"required", "Patient.id"},
		{"update: id differs from URL, mode in Parameters", "/Patient/p1/$validate",
			parameters(patient("p2", nhs1, "Walker"), "mode", "update"),
			"invalid", "Patient.id"},
		{"base profile of another type", "/Patient/$validate",
			parameters(patient("", nhs1, "Walker"), "profile", "http://hl7.org/fhir/StructureDefinition/Observation"),
			"invalid", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := s.do("POST", tc.path, tc.body).want(t, http.StatusOK)
			issues := r.outcome(t)
			is := issueWith(t, issues, "error", tc.code, tc.expression)
			if is.Diagnostics == "" {
				t.Errorf("issue %+v has no diagnostics", is)
			}
			for _, leak := range []string{"Walker", "9990000019", "Smith", "Bob"} {
				if strings.Contains(string(r.body), leak) {
					t.Errorf("outcome echoes %q: %s", leak, r.body)
				}
			}
		})
	}
}

func TestValidateAllOK(t *testing.T) {
	s := newTestServer(t)
	s.do("PUT", "/Patient/p1", patient("p1", nhs1, "Walker")).want(t, http.StatusCreated)
	tests := []struct{ name, method, path, body string }{
		{"type", "POST", "/Patient/$validate", patient("", nhs1, "Walker")},
		{"type, Parameters wrapper", "POST", "/Patient/$validate", parameters(patient("", nhs1, "Walker"))},
		{"create", "POST", "/Patient/$validate?mode=create", patient("", nhs1, "Walker")},
		{"create in Parameters", "POST", "/Patient/$validate", parameters(patient("", nhs1, "Walker"), "mode", "create")},
		{"instance", "POST", "/Patient/p1/$validate", patient("p1", nhs1, "Walker")},
		{"update", "POST", "/Patient/p1/$validate?mode=update", patient("p1", nhs1, "Walker-Smith")},
		{"update of a resource not yet there", "POST", "/Patient/new/$validate?mode=update", patient("new", nhs2, "New")},
		{"stored resource", "GET", "/Patient/p1/$validate", ""},
		{"stored resource, mode update", "GET", "/Patient/p1/$validate?mode=update", ""},
		{"delete", "POST", "/Patient/p1/$validate?mode=delete", ""},
		{"delete in Parameters", "POST", "/Patient/p1/$validate", parameters("", "mode", "delete")},
		{"delete by GET", "GET", "/Patient/p1/$validate?mode=delete", ""},
		{"base profile", "POST", "/Patient/$validate",
			parameters(patient("", nhs1, "Walker"), "profile", "http://hl7.org/fhir/StructureDefinition/Patient")},
		{"versioned base profile", "POST", "/Patient/$validate?profile=http://hl7.org/fhir/StructureDefinition/Patient%7C4.0.1",
			patient("", nhs1, "Walker")},
		{"Parameters validated as itself", "POST", "/Parameters/$validate",
			`{"resourceType":"Parameters","parameter":[{"name":"x","valueString":"y"}]}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantAllOK(t, s.do(tc.method, tc.path, tc.body))
		})
	}
	// Nothing was written.
	s.do("GET", "/Patient/new", "").want(t, http.StatusNotFound)
	if v := headerOf(t, s.do("GET", "/Patient/p1", "").want(t, http.StatusOK).body).Meta.VersionID; v != "1" {
		t.Errorf("p1 is at version %s after validation, want 1", v)
	}
}

func TestValidateProfiles(t *testing.T) {
	s := newTestServer(t)
	body := func(profile string) string { return parameters(patient("", nhs1, "Walker"), "profile", profile) }

	t.Run("unknown profile is a warning, not a pass", func(t *testing.T) {
		const p = "https://example.org/StructureDefinition/my-patient"
		issues := s.do("POST", "/Patient/$validate", body(p)).want(t, http.StatusOK).outcome(t)
		is := issueWith(t, issues, profileSeverity, "not-supported", "")
		if !strings.Contains(is.Diagnostics, p) || !strings.Contains(is.Diagnostics, "not checked") {
			t.Errorf("diagnostics %q", is.Diagnostics)
		}
		for _, is := range issues {
			if strings.HasPrefix(is.Diagnostics, "All OK") {
				t.Errorf("unchecked profile reported All OK: %+v", issues)
			}
		}
	})
	t.Run("other version of the base profile", func(t *testing.T) {
		issues := s.do("POST", "/Patient/$validate",
			body("http://hl7.org/fhir/StructureDefinition/Patient|5.0.0")).want(t, http.StatusOK).outcome(t)
		issueWith(t, issues, profileSeverity, "not-supported", "")
	})
	t.Run("UK Core profile of another type", func(t *testing.T) {
		issues := s.do("POST", "/Patient/$validate",
			body(ukCoreProfilePrefix+"Observation")).want(t, http.StatusOK).outcome(t)
		issueWith(t, issues, profileSeverity, "not-supported", "")
	})
	t.Run("UK Core profile says what is checked", func(t *testing.T) {
		r := s.do("POST", "/Patient/$validate", body(ukCoreProfilePrefix+"Patient"))
		wantAllOK(t, r)
		is := issueWith(t, r.outcome(t), "information", "informational", "")
		if !strings.Contains(is.Diagnostics, "NHS number") {
			t.Errorf("diagnostics %q", is.Diagnostics)
		}
	})
	t.Run("UK Core profile with a bad NHS number", func(t *testing.T) {
		issues := s.do("POST", "/Patient/$validate", parameters(patient("", "9990000019", "Walker"),
			"profile", ukCoreProfilePrefix+"Patient")).want(t, http.StatusOK).outcome(t)
		issueWith(t, issues, "error", "value", "Patient.identifier[0].value")
	})
}

func TestValidateInstanceNotThere(t *testing.T) {
	s := newTestServer(t)
	s.do("PUT", "/Patient/gone", patient("gone", nhs1, "Walker")).want(t, http.StatusCreated)
	s.do("DELETE", "/Patient/gone", "").want(t, http.StatusNoContent)
	tests := []struct {
		name, method, path, body string
		status                   int
		code                     string
	}{
		{"delete of missing resource", "POST", "/Patient/missing/$validate?mode=delete", "", http.StatusNotFound, "not-found"},
		{"delete of missing resource, Parameters", "POST", "/Patient/missing/$validate",
			parameters("", "mode", "delete"), http.StatusNotFound, "not-found"},
		{"delete of deleted resource", "POST", "/Patient/gone/$validate?mode=delete", "", http.StatusGone, "deleted"},
		{"GET of missing resource", "GET", "/Patient/missing/$validate", "", http.StatusNotFound, "not-found"},
		{"GET of deleted resource", "GET", "/Patient/gone/$validate", "", http.StatusGone, "deleted"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s.do(tc.method, tc.path, tc.body).wantOutcome(t, tc.status, tc.code, "")
		})
	}
}

func TestValidateBadRequests(t *testing.T) {
	s := newTestServer(t)
	valid := patient("", nhs1, "Walker")
	tests := []struct {
		name, method, path, body string
		status                   int
		code                     string
	}{
		{"no body", "POST", "/Patient/$validate", "", http.StatusBadRequest, "required"},
		{"Parameters without resource", "POST", "/Patient/$validate", parameters("", "mode", "create"),
			http.StatusBadRequest, "required"},
		{"unknown mode", "POST", "/Patient/$validate?mode=merge", valid, http.StatusBadRequest, "code-invalid"},
		{"update on a type", "POST", "/Patient/$validate?mode=update", valid, http.StatusBadRequest, "invalid"},
		{"delete on a type", "POST", "/Patient/$validate", parameters(valid, "mode", "delete"), http.StatusBadRequest, "invalid"},
		{"create on an instance", "POST", "/Patient/p1/$validate?mode=create", valid, http.StatusBadRequest, "invalid"},
		{"mode twice", "POST", "/Patient/$validate?mode=create&mode=create", valid, http.StatusBadRequest, "invalid"},
		{"URL and Parameters disagree", "POST", "/Patient/p1/$validate?mode=update",
			parameters(valid, "mode", "delete"), http.StatusBadRequest, "invalid"},
		{"unknown parameter", "POST", "/Patient/$validate",
			`{"resourceType":"Parameters","parameter":[{"name":"resource","resource":` + valid + `},{"name":"strict","valueBoolean":true}]}`,
			http.StatusBadRequest, "not-supported"},
		{"repeated parameter", "POST", "/Patient/$validate",
			`{"resourceType":"Parameters","parameter":[{"name":"resource","resource":` + valid + `},{"name":"resource","resource":` + valid + `}]}`,
			http.StatusBadRequest, "invalid"},
		{"mode of the wrong type", "POST", "/Patient/$validate",
			`{"resourceType":"Parameters","parameter":[{"name":"resource","resource":` + valid + `},{"name":"mode","valueBoolean":true}]}`,
			http.StatusBadRequest, "invalid"},
		{"malformed Parameters", "POST", "/Patient/$validate",
			`{"resourceType":"Parameters","parameter":{"name":"resource"}}`, http.StatusBadRequest, "structure"},
		{"invalid id in URL", "POST", "/Patient/a_b/$validate", valid, http.StatusBadRequest, "invalid"},
		{"unknown type", "POST", "/Patientt/$validate", valid, http.StatusNotFound, "not-supported"},
		{"GET on a type", "GET", "/Patient/$validate", "", http.StatusMethodNotAllowed, "not-supported"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s.do(tc.method, tc.path, tc.body).wantOutcome(t, tc.status, tc.code, "")
		})
	}
	t.Run("XML body", func(t *testing.T) {
		s.do("POST", "/Patient/$validate", "<Patient/>", "Content-Type", "application/fhir+xml").
			wantOutcome(t, http.StatusUnsupportedMediaType, "not-supported", "")
	})
}

// FuzzValidate posts arbitrary bodies to POST /Patient/p1/$validate.
// Whatever the body, the server must not panic or answer 5xx, every answer
// is an OperationOutcome, and a Patient the write path would accept as an
// update of p1 is reported All OK.
func FuzzValidate(f *testing.F) {
	for _, seed := range []string{
		patient("p1", nhs1, "Fuzz"),
		patient("p2", "9990000019", "Fuzz"),
		parameters(patient("p1", nhs1, "Fuzz"), "mode", "update", "profile", ukCoreProfilePrefix+"Patient"),
		parameters(`{"resourceType":"Patient","active":1}`),
		parameters("", "mode", "delete"),
		`{"resourceType":"Parameters","parameter":[{"name":"resource","resource":null}]}`,
		`{"resourceType":"Parameters","parameter":[{"name":"resource","resource":{"resourceType":"Patient","id":"a","id":"b"}}]}`,
		`{"resourceType":"Parameters","parameter":[{"name":"mode","valueCode":"update","valueCode":"delete"}]}`,
		`{"parameter":[],"resourceType":"Parameters"}`,
		`{"resourceType":"Patient",`, `null`, ``, "\xff\xfe",
	} {
		f.Add([]byte(seed))
	}
	s := newTestServer(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest("POST", "/Patient/p1/$validate", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/fhir+json")
		rec := httptest.NewRecorder()
		s.h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("status %d for body %q: %s\nlog:\n%s", rec.Code, body, rec.Body.Bytes(), s.log.String())
		}
		r := response{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
		issues := r.outcome(t)
		if h, err := fhir.Validate(body); err == nil && h.ResourceType == "Patient" && (h.ID == "" || h.ID == "p1") {
			if rec.Code != http.StatusOK || !strings.HasPrefix(issues[len(issues)-1].Diagnostics, "All OK") {
				t.Fatalf("valid Patient %q: %d %s", body, rec.Code, rec.Body.Bytes())
			}
		}
	})
}
