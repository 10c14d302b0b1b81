package fhirapi

import (
	"encoding/json"
	"fmt"
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
		Mode        string         `json:"mode"`
		Resource    []capResource  `json:"resource"`
		Interaction []capCode      `json:"interaction"`
		Operation   []capOperation `json:"operation"`
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
	// Every search parameter claimed for Patient finds a patient that has a
	// value for it, in strict mode.
	ps := newTestServer(t)
	ps.do("PUT", "/Organization/o1", `{"resourceType":"Organization","id":"o1","name":"Surgery"}`).want(t, http.StatusCreated)
	ps.do("PUT", "/Patient/other", patient("other", "", "Other")).want(t, http.StatusCreated)
	ps.do("PUT", "/Patient/sp", searchPatient).want(t, http.StatusCreated)
	ps.do("PUT", "/List/l1", `{"resourceType":"List","id":"l1","status":"current","mode":"working","entry":[{"item":{"reference":"Patient/sp"}}]}`).want(t, http.StatusCreated)
	for _, sp := range p.SearchParam {
		t.Run("search "+sp.Name, func(t *testing.T) {
			q, ok := patientQueries[sp.Name]
			if !ok {
				t.Fatalf("the CapabilityStatement claims search parameter %q but no test exercises it", sp.Name)
			}
			if ids := entryIDs(t, ps.do("GET", "/Patient?"+q, "", "Prefer", "handling=strict").want(t, 200).bundle(t)); ids != "sp" {
				t.Errorf("%s found %q, want sp", q, ids)
			}
		})
	}
	// Every operation claimed for Patient and for the system answers.
	ops := map[string]func(t *testing.T, s *testServer){
		"validate": func(t *testing.T, s *testServer) {
			s.do("POST", "/Patient/$validate", patient("", nhs1, "V")).want(t, http.StatusOK)
		},
		"everything": func(t *testing.T, s *testServer) {
			s.do("PUT", "/Patient/e", patient("e", nhs1, "E")).want(t, http.StatusCreated)
			if b := s.do("GET", "/Patient/e/$everything", "").want(t, http.StatusOK).bundle(t); entryIDs(t, b) != "e" {
				t.Errorf("$everything: %q", entryIDs(t, b))
			}
		},
		"export": func(t *testing.T, s *testServer) {
			s.do("GET", "/Patient/$export", "", "Prefer", "respond-async").want(t, http.StatusAccepted)
			s.do("GET", "/$export", "", "Prefer", "respond-async").want(t, http.StatusAccepted)
		},
	}
	for i, op := range append(slices.Clone(p.Operation), rest.Operation...) {
		t.Run(fmt.Sprintf("operation %d %s", i, op.Name), func(t *testing.T) {
			check, ok := ops[op.Name]
			if !ok {
				t.Fatalf("the CapabilityStatement claims $%s but no test exercises it", op.Name)
			}
			check(t, newTestServer(t))
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
	"search-system": func(t *testing.T, s *testServer) {
		s.do("PUT", "/Patient/r", patient("r", "", "R")).want(t, http.StatusCreated)
		s.do("PUT", "/Organization/o", `{"resourceType":"Organization","id":"o","name":"R"}`).want(t, http.StatusCreated)
		if b := s.do("GET", "/?_type=Patient,Organization&_sort=_id", "").want(t, http.StatusOK).bundle(t); len(b.Entry) != 2 {
			t.Errorf("%d entries", len(b.Entry))
		}
		if b := s.do("POST", "/_search", "_id=o", "Content-Type", "application/x-www-form-urlencoded").want(t, http.StatusOK).bundle(t); len(b.Entry) != 1 {
			t.Errorf("POST _search: %d entries", len(b.Entry))
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

// searchPatient has a value for every Patient search parameter;
// patientQueries finds it (and not patient "other") by each.
const searchPatient = `{"resourceType":"Patient","id":"sp",
	"meta":{"tag":[{"system":"http://example.org/tags","code":"demo"}],"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"N"}],
		"profile":["https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient"],"source":"http://example.org/source#1"},
	"communication":[{"language":{"coding":[{"system":"urn:ietf:bcp:47","code":"en-GB"}]}}],
	"text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">Aoife Quigley</div>"},
	"identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000018"}],
	"active":true,
	"name":[{"family":"Quigley","given":["Aoife"]}],
	"telecom":[{"system":"phone","value":"01632 960001"},{"system":"email","value":"aoife@example.org"}],
	"gender":"female","birthDate":"1961-07-04",
	"deceasedDateTime":"2024-01-02",
	"address":[{"use":"home","line":["1 High Street"],"city":"Leeds","state":"West Yorkshire","postalCode":"LS1 1AA","country":"England"}],
	"generalPractitioner":[{"reference":"Organization/o1"}],
	"managingOrganization":{"reference":"Organization/o1"},
	"link":[{"other":{"reference":"Patient/other"},"type":"seealso"}]}`

var patientQueries = map[string]string{
	"_id":                  "_id=sp",
	"_lastUpdated":         "_lastUpdated=gt2000-01-01&_id=sp",
	"_tag":                 "_tag=http://example.org/tags%7Cdemo",
	"_profile":             "_profile=https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient",
	"_security":            "_security=N",
	"_source":              "_source=http://example.org/source%231",
	"_text":                "_text=quigley",
	"_content":             "_content=Leeds",
	"_list":                "_list=l1",
	"active":               "active=true",
	"address":              "address=leeds",
	"address-city":         "address-city=leeds",
	"address-country":      "address-country=england",
	"address-postalcode":   "address-postalcode=LS1",
	"address-state":        "address-state=west",
	"address-use":          "address-use=home",
	"birthdate":            "birthdate=1961-07",
	"death-date":           "death-date=2024",
	"deceased":             "deceased=true",
	"email":                "email=aoife@example.org",
	"family":               "family=quig",
	"gender":               "gender=female",
	"general-practitioner": "general-practitioner=Organization/o1",
	"given":                "given=aoife",
	"identifier":           "identifier=https://fhir.nhs.uk/Id/nhs-number%7C9990000018",
	"language":             "language=en-GB",
	"link":                 "link=Patient/other",
	"name":                 "name=aoife",
	"organization":         "organization=o1",
	"phone":                "phone=01632%20960001",
	"phonetic":             "phonetic=quigley",
	"telecom":              "telecom=phone%7C01632%20960001",
}
