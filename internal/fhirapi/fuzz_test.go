package fhirapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"carerecord/internal/fhir"
)

// FuzzCreate posts arbitrary bodies to POST /Patient. Whatever the body,
// the server must not panic or answer 5xx; a 201 must carry a resource
// that is still valid FHIR with the server's id and meta, and anything else
// must be an OperationOutcome.
func FuzzCreate(f *testing.F) {
	for _, seed := range []string{
		patient("", nhs1, "Fuzz"),
		patient("client-id", "", "Fuzz"),
		`{"resourceType":"Patient"}`,
		`{"resourceType":"Patient","meta":{"versionId":"7","lastUpdated":"2020-01-01T00:00:00Z","tag":[{"code":"x"}]}}`,
		`{"resourceType":"Patient","meta":"not an object"}`,
		`{"resourceType":"Patient","meta":null}`,
		`{"resourceType":"Patient","id":null}`,
		`{"resourceType":"Patient","id":"a","id":"b"}`,
		`{"resourceType":"Patient","contained":[{"resourceType":"Patient","id":"c"}],"link":[{"other":{"reference":"#c"},"type":"seealso"}]}`,
		`{"resourceType":"Observation","status":"final","code":{"text":"x"}}`,
		`{"resourceType":"Bundle","type":"transaction"}`,
		`{"resourceType":"Patient","name":[{"family":"\u0000\ud800"}]}`,
		`{"resourceType":"Patient","birthDate":"1970-13-45"}`,
		`{"resourceType":"Patient","multipleBirthInteger":1e999}`,
		`{"resourceType":"Patient"} trailing`,
		`{"resourceType":"Patient",`,
		`[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]`,
		`null`, `""`, ``, "\xff\xfe",
	} {
		f.Add([]byte(seed))
	}
	s := newTestServer(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest("POST", "/Patient", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/fhir+json")
		rec := httptest.NewRecorder()
		s.h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("status %d for body %q: %s\nlog:\n%s", rec.Code, body, rec.Body.Bytes(), s.log.String())
		}
		if ct := rec.Header().Get("Content-Type"); ct != contentTypeFHIR {
			t.Fatalf("Content-Type %q", ct)
		}
		out := rec.Body.Bytes()
		if rec.Code == http.StatusCreated {
			h, err := fhir.Validate(out)
			if err != nil {
				t.Fatalf("stored resource no longer validates: %v\nsent %q\ngot %s", err, body, out)
			}
			if h.ResourceType != "Patient" || !strings.HasSuffix(rec.Header().Get("Location"), "/Patient/"+h.ID+"/_history/1") {
				t.Fatalf("created %s/%s, Location %q", h.ResourceType, h.ID, rec.Header().Get("Location"))
			}
			return
		}
		var oo struct{ ResourceType string }
		if err := json.Unmarshal(out, &oo); err != nil || oo.ResourceType != "OperationOutcome" {
			t.Fatalf("status %d without an OperationOutcome: %s", rec.Code, out)
		}
	})
}
