package fhirapi

import (
	"net/http"
	"strings"
	"testing"
)

func TestPatch(t *testing.T) {
	s := newTestServer(t)
	s.do("PUT", "/Patient/pa", patient("pa", nhs1, "Patchy")).want(t, http.StatusCreated)
	patch := `[
	  {"op":"test","path":"/name/0/family","value":"Patchy"},
	  {"op":"replace","path":"/gender","value":"female"},
	  {"op":"replace","path":"/identifier/0/value","value":"` + nhs2 + `"},
	  {"op":"add","path":"/telecom","value":[{"system":"phone","value":"01632 960000"}]}
	]`
	res := s.do("PATCH", "/Patient/pa", patch, "Content-Type", "application/json-patch+json").want(t, http.StatusOK)
	h := headerOf(t, res.body)
	if h.ID != "pa" || h.Meta.VersionID != "2" || res.header.Get("ETag") != `W/"2"` {
		t.Errorf("patched: id %s version %s ETag %s", h.ID, h.Meta.VersionID, res.header.Get("ETag"))
	}
	body := string(s.do("GET", "/Patient/pa", "").want(t, http.StatusOK).body)
	for _, want := range []string{`"female"`, `"01632 960000"`, nhs2} {
		if !strings.Contains(body, want) {
			t.Errorf("stored resource lacks %s: %s", want, body)
		}
	}
	// The identifier index follows the patch.
	if ids := entryIDs(t, s.do("GET", "/Patient?"+nhsQuery(nhs2), "").want(t, 200).bundle(t)); ids != "pa" {
		t.Errorf("search by the patched NHS number: %q", ids)
	}
	if ids := entryIDs(t, s.do("GET", "/Patient?"+nhsQuery(nhs1), "").want(t, 200).bundle(t)); ids != "" {
		t.Errorf("search by the old NHS number: %q", ids)
	}
	// A patch that breaks the NHS number rule is refused and nothing is written.
	bad := `[{"op":"replace","path":"/identifier/0/value","value":"9990000019"}]`
	s.do("PATCH", "/Patient/pa", bad, "Content-Type", "application/json-patch+json").
		wantOutcome(t, http.StatusUnprocessableEntity, "value", "Patient.identifier[0].value")
	if v := headerOf(t, s.do("GET", "/Patient/pa", "").body).Meta.VersionID; v != "2" {
		t.Errorf("version %s after a refused patch, want 2", v)
	}
}
