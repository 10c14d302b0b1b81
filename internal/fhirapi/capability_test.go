package fhirapi

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"

	"carerecord/internal/fhir"
)

type capabilityDoc struct {
	ResourceType   string `json:"resourceType"`
	FHIRVersion    string `json:"fhirVersion"`
	Kind           string `json:"kind"`
	Format         []string
	PatchFormat    []string `json:"patchFormat"`
	Software       struct{ Name, Version string }
	Implementation struct {
		URL string `json:"url"`
	}
	Rest []struct {
		Mode        string        `json:"mode"`
		Resource    []capResource `json:"resource"`
		Interaction []capCode     `json:"interaction"`
	} `json:"rest"`
}

func TestMetadata(t *testing.T) {
	s := newTestServer(t)
	var cs capabilityDoc
	if err := json.Unmarshal(s.do("GET", "/metadata", "").want(t, http.StatusOK).body, &cs); err != nil {
		t.Fatal(err)
	}
	if cs.ResourceType != "CapabilityStatement" || cs.FHIRVersion != "4.0.1" || cs.Kind != "instance" ||
		cs.Software.Name != "carerecord" || cs.Software.Version != "test" || cs.Implementation.URL != testBase ||
		!slices.Contains(cs.Format, "json") || !slices.Equal(cs.PatchFormat, []string{"application/json-patch+json"}) {
		t.Errorf("header fields: %+v", cs)
	}
	if len(cs.Rest) != 1 || cs.Rest[0].Mode != "server" {
		t.Fatalf("rest: %+v", cs.Rest)
	}
	rest := cs.Rest[0]
	var types []string
	for _, r := range rest.Resource {
		types = append(types, r.Type)
	}
	if !slices.Equal(types, fhir.ResourceTypes()) {
		t.Errorf("resource types differ from fhir.ResourceTypes(): %d vs %d", len(types), len(fhir.ResourceTypes()))
	}
	// What it says about Patient is exercised below, one claim at a time.
	i := slices.IndexFunc(rest.Resource, func(r capResource) bool { return r.Type == "Patient" })
	p := rest.Resource[i]
	for _, in := range p.Interaction {
		t.Run("Patient "+in.Code, func(t *testing.T) {
			check, ok := interactionChecks[in.Code]
			if !ok {
				t.Fatalf("the CapabilityStatement claims %q but no test exercises it", in.Code)
			}
			check(t, newTestServer(t))
		})
	}
	for _, in := range rest.Interaction {
		t.Run("system "+in.Code, func(t *testing.T) {
			check, ok := interactionChecks[in.Code]
			if !ok {
				t.Fatalf("the CapabilityStatement claims %q but no test exercises it", in.Code)
			}
			check(t, newTestServer(t))
		})
	}
	for _, sp := range p.SearchParam {
		t.Run("search "+sp.Name, func(t *testing.T) {
			s := newTestServer(t)
			s.do("PUT", "/Patient/sp", patient("sp", nhs1, "Search")).want(t, http.StatusCreated)
			q := map[string]string{"_id": "_id=sp", "identifier": nhsQuery(nhs1)}[sp.Name]
			if q == "" {
				t.Fatalf("the CapabilityStatement claims search parameter %q but no test exercises it", sp.Name)
			}
			if ids := entryIDs(t, s.do("GET", "/Patient?"+q, "", "Prefer", "handling=strict").want(t, 200).bundle(t)); ids != "sp" {
				t.Errorf("found %q", ids)
			}
		})
	}
	t.Run("flags", func(t *testing.T) {
		if p.Versioning != "versioned-update" || !p.ReadHistory || !p.UpdateCreate ||
			!p.ConditionalCreate || !p.ConditionalUpdate || p.ConditionalDelete != "single" {
			t.Errorf("flags %+v", p)
		}
		s := newTestServer(t)
		// versioned-update: an update with a stale version is refused.
		s.do("PUT", "/Patient/f", patient("f", nhs1, "F")).want(t, http.StatusCreated)
		s.do("PUT", "/Patient/f", patient("f", nhs1, "F"), "If-Match", `W/"2"`).want(t, http.StatusPreconditionFailed)
		// conditional create, update and delete (single) work.
		s.do("POST", "/Patient", patient("", nhs1, "F"), "If-None-Exist", nhsQuery(nhs1)).want(t, http.StatusOK)
		s.do("PUT", "/Patient?"+nhsQuery(nhs1), patient("", nhs1, "F2")).want(t, http.StatusOK)
		s.do("DELETE", "/Patient?"+nhsQuery(nhs1), "").want(t, http.StatusNoContent)
		s.do("GET", "/Patient/f", "").want(t, http.StatusGone)
	})
}

// interactionChecks show, for each interaction code the server may claim,
// that it works for Patient.
var interactionChecks = map[string]func(t *testing.T, s *testServer){
	"read": func(t *testing.T, s *testServer) {
		s.do("PUT", "/Patient/r", patient("r", "", "R")).want(t, http.StatusCreated)
		s.do("GET", "/Patient/r", "").want(t, http.StatusOK)
	},
	"vread": func(t *testing.T, s *testServer) {
		s.do("PUT", "/Patient/r", patient("r", "", "R")).want(t, http.StatusCreated)
		s.do("GET", "/Patient/r/_history/1", "").want(t, http.StatusOK)
	},
	"update": func(t *testing.T, s *testServer) {
		s.do("PUT", "/Patient/r", patient("r", "", "R")).want(t, http.StatusCreated)
		s.do("PUT", "/Patient/r", patient("r", "", "R2")).want(t, http.StatusOK)
	},
	"patch": func(t *testing.T, s *testServer) {
		s.do("PUT", "/Patient/r", patient("r", "", "R")).want(t, http.StatusCreated)
		s.do("PATCH", "/Patient/r", `[{"op":"remove","path":"/gender"}]`, "Content-Type", "application/json-patch+json").want(t, http.StatusOK)
	},
	"delete": func(t *testing.T, s *testServer) {
		s.do("PUT", "/Patient/r", patient("r", "", "R")).want(t, http.StatusCreated)
		s.do("DELETE", "/Patient/r", "").want(t, http.StatusNoContent)
		s.do("GET", "/Patient/r", "").want(t, http.StatusGone)
	},
	"history-instance": func(t *testing.T, s *testServer) {
		s.do("PUT", "/Patient/r", patient("r", "", "R")).want(t, http.StatusCreated)
		if b := s.do("GET", "/Patient/r/_history", "").want(t, http.StatusOK).bundle(t); len(b.Entry) != 1 {
			t.Errorf("%d entries", len(b.Entry))
		}
	},
	"history-type": func(t *testing.T, s *testServer) {
		s.do("PUT", "/Patient/r", patient("r", "", "R")).want(t, http.StatusCreated)
		if b := s.do("GET", "/Patient/_history", "").want(t, http.StatusOK).bundle(t); len(b.Entry) != 1 {
			t.Errorf("%d entries", len(b.Entry))
		}
	},
	"history-system": func(t *testing.T, s *testServer) {
		s.do("PUT", "/Patient/r", patient("r", "", "R")).want(t, http.StatusCreated)
		if b := s.do("GET", "/_history", "").want(t, http.StatusOK).bundle(t); len(b.Entry) != 1 {
			t.Errorf("%d entries", len(b.Entry))
		}
	},
	"create": func(t *testing.T, s *testServer) {
		s.do("POST", "/Patient", patient("", "", "R")).want(t, http.StatusCreated)
	},
	"search-type": func(t *testing.T, s *testServer) {
		s.do("PUT", "/Patient/r", patient("r", "", "R")).want(t, http.StatusCreated)
		if ids := entryIDs(t, s.do("GET", "/Patient", "").want(t, http.StatusOK).bundle(t)); ids != "r" {
			t.Errorf("listed %q", ids)
		}
	},
	"transaction": func(t *testing.T, s *testServer) {
		body := `{"resourceType":"Bundle","type":"transaction","entry":[{"resource":` + patient("", "", "T") +
			`,"request":{"method":"POST","url":"Patient"}}]}`
		if b := s.do("POST", "/", body).want(t, http.StatusOK).bundle(t); b.Type != "transaction-response" {
			t.Errorf("type %s", b.Type)
		}
	},
	"batch": func(t *testing.T, s *testServer) {
		body := `{"resourceType":"Bundle","type":"batch","entry":[{"resource":` + patient("", "", "T") +
			`,"request":{"method":"POST","url":"Patient"}}]}`
		if b := s.do("POST", "/", body).want(t, http.StatusOK).bundle(t); b.Type != "batch-response" {
			t.Errorf("type %s", b.Type)
		}
	},
}
