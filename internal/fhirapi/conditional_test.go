package fhirapi

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"carerecord/internal/fhir"
)

// nhsQuery is identifier=<NHS system>|<nhs> as a query string.
func nhsQuery(nhs string) string {
	return url.Values{"identifier": {"https://fhir.nhs.uk/Id/nhs-number|" + nhs}}.Encode()
}

// countByNHS is how many current Patients carry the NHS number.
func countByNHS(t *testing.T, s *testServer, nhs string) int {
	t.Helper()
	ids, err := s.st.FindByToken(context.Background(), "Patient", "identifier", "https://fhir.nhs.uk/Id/nhs-number", nhs)
	if err != nil {
		t.Fatal(err)
	}
	return len(ids)
}

func TestConditionalCreate(t *testing.T) {
	s := newTestServer(t)
	s.do("PUT", "/Patient/dup-a", patient("dup-a", nhs2, "A")).want(t, http.StatusCreated)
	s.do("PUT", "/Patient/dup-b", patient("dup-b", nhs2, "B")).want(t, http.StatusCreated)

	t.Run("no match creates", func(t *testing.T) {
		res := s.do("POST", "/Patient", patient("", nhs1, "New"), "If-None-Exist", nhsQuery(nhs1)).want(t, http.StatusCreated)
		if countByNHS(t, s, nhs1) != 1 {
			t.Fatal("not created")
		}
		// one match: 200 with the existing resource, nothing written.
		again := s.do("POST", "/Patient", patient("", nhs1, "New"), "If-None-Exist", nhsQuery(nhs1)).want(t, http.StatusOK)
		if headerOf(t, again.body).ID != headerOf(t, res.body).ID || headerOf(t, again.body).Meta.VersionID != "1" {
			t.Errorf("second conditional create returned %s, want the first resource unchanged", again.body)
		}
		if countByNHS(t, s, nhs1) != 1 {
			t.Error("second conditional create wrote a resource")
		}
	})
	t.Run("several matches is 412", func(t *testing.T) {
		s.do("POST", "/Patient", patient("", nhs2, "C"), "If-None-Exist", nhsQuery(nhs2)).
			wantOutcome(t, http.StatusPreconditionFailed, "conflict", "")
		if countByNHS(t, s, nhs2) != 2 {
			t.Error("a resource was written")
		}
	})
	t.Run("value without system and _id", func(t *testing.T) {
		s.do("POST", "/Patient", patient("", nhs3, "D"), "If-None-Exist", "identifier="+nhs1).want(t, http.StatusOK)
		s.do("POST", "/Patient", patient("", nhs3, "D"), "If-None-Exist", "_id=dup-a").want(t, http.StatusOK)
		s.do("POST", "/Patient", patient("", nhs3, "D"), "If-None-Exist", "Patient?_id=dup-a").want(t, http.StatusOK)
		s.do("POST", "/Patient", patient("", nhs3, "D"), "If-None-Exist", "_id=dup-a&identifier="+nhs1).want(t, http.StatusCreated)
	})
	t.Run("unsupported parameter names it", func(t *testing.T) {
		res := s.do("POST", "/Patient", patient("", "", "E"), "If-None-Exist", "family=Smith")
		is := res.wantOutcome(t, http.StatusBadRequest, "not-supported", "")
		if !containsText(is, "family") || containsText(is, "Smith") {
			t.Errorf("diagnostics should name the parameter and not echo its value: %v", is)
		}
	})
}

func TestConditionalCreateIsAtomic(t *testing.T) {
	s := newTestServer(t)
	var wg sync.WaitGroup
	statuses := make([]int, 8)
	for i := range statuses {
		wg.Go(func() {
			statuses[i] = s.do("POST", "/Patient", patient("", nhs3, "Race"), "If-None-Exist", nhsQuery(nhs3)).status
		})
	}
	wg.Wait()
	created := 0
	for _, st := range statuses {
		switch st {
		case http.StatusCreated:
			created++
		case http.StatusOK:
		default:
			t.Errorf("status %d", st)
		}
	}
	if created != 1 || countByNHS(t, s, nhs3) != 1 {
		t.Errorf("%d creates reported, %d stored; want exactly one", created, countByNHS(t, s, nhs3))
	}
}

func TestIdentifierWithoutSystem(t *testing.T) {
	s := newTestServer(t)
	s.do("PUT", "/Patient/sys", patient("sys", nhs1, "Sys")).want(t, http.StatusCreated)
	s.do("PUT", "/Patient/nosys", `{"resourceType":"Patient","id":"nosys","identifier":[{"value":"`+nhs1+`"}]}`).want(t, http.StatusCreated)
	tests := []struct{ query, want string }{
		{"identifier=" + nhs1, "nosys,sys"},
		{"identifier=%7C" + nhs1, "nosys"},
		{nhsQuery(nhs1), "sys"},
		{"identifier=other%7C" + nhs1, ""},
		{"_id=sys,nosys", "nosys,sys"},
		{"_id=sys&identifier=%7C" + nhs1, ""},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			b := s.do("GET", "/Patient?"+tc.query, "").want(t, http.StatusOK).bundle(t)
			if got := entryIDs(t, b); got != tc.want {
				t.Errorf("ids %q, want %q", got, tc.want)
			}
		})
	}
}

func TestConditionalUpdate(t *testing.T) {
	s := newTestServer(t)
	t.Run("no match creates", func(t *testing.T) {
		res := s.do("PUT", "/Patient?"+nhsQuery(nhs1), patient("", nhs1, "Cu")).want(t, http.StatusCreated)
		if countByNHS(t, s, nhs1) != 1 || res.header.Get("Location") == "" {
			t.Fatalf("not created: %v", res.header)
		}
	})
	t.Run("no match with a body id creates that id", func(t *testing.T) {
		s.do("PUT", "/Patient?"+nhsQuery(nhs3), patient("chosen", nhs3, "Cu")).want(t, http.StatusCreated)
		s.do("GET", "/Patient/chosen", "").want(t, http.StatusOK)
	})
	t.Run("one match updates it", func(t *testing.T) {
		res := s.do("PUT", "/Patient?"+nhsQuery(nhs1), patient("", nhs1, "Cu2")).want(t, http.StatusOK)
		if h := headerOf(t, res.body); h.Meta.VersionID != "2" {
			t.Errorf("version %s, want 2", h.Meta.VersionID)
		}
		if countByNHS(t, s, nhs1) != 1 {
			t.Error("update created a second resource")
		}
	})
	t.Run("one match with a different body id is 400", func(t *testing.T) {
		s.do("PUT", "/Patient?"+nhsQuery(nhs1), patient("other", nhs1, "Cu3")).
			wantOutcome(t, http.StatusBadRequest, "invalid", "Patient.id")
	})
	t.Run("several matches is 412", func(t *testing.T) {
		s.do("PUT", "/Patient/m1", patient("m1", nhs2, "M")).want(t, http.StatusCreated)
		s.do("PUT", "/Patient/m2", patient("m2", nhs2, "M")).want(t, http.StatusCreated)
		s.do("PUT", "/Patient?"+nhsQuery(nhs2), patient("", nhs2, "M")).
			wantOutcome(t, http.StatusPreconditionFailed, "conflict", "")
	})
	t.Run("no criteria", func(t *testing.T) {
		s.do("PUT", "/Patient", patient("", nhs1, "X")).wantOutcome(t, http.StatusBadRequest, "required", "")
	})
	t.Run("unsupported parameter", func(t *testing.T) {
		s.do("PUT", "/Patient?name=x", patient("", nhs1, "X")).wantOutcome(t, http.StatusBadRequest, "not-supported", "")
	})
}

func TestConditionalDelete(t *testing.T) {
	s := newTestServer(t)
	s.do("PUT", "/Patient/d1", patient("d1", nhs1, "D")).want(t, http.StatusCreated)
	s.do("PUT", "/Patient/d2", patient("d2", nhs2, "D")).want(t, http.StatusCreated)
	s.do("PUT", "/Patient/d3", patient("d3", nhs2, "D")).want(t, http.StatusCreated)

	s.do("DELETE", "/Patient?"+nhsQuery(nhs3), "").want(t, http.StatusNoContent) // no match: nothing to do
	s.do("DELETE", "/Patient?"+nhsQuery(nhs2), "").wantOutcome(t, http.StatusPreconditionFailed, "conflict", "")
	s.do("GET", "/Patient/d2", "").want(t, http.StatusOK)
	s.do("DELETE", "/Patient?"+nhsQuery(nhs1), "").want(t, http.StatusNoContent)
	s.do("GET", "/Patient/d1", "").wantOutcome(t, http.StatusGone, "deleted", "")
	if countByNHS(t, s, nhs1) != 0 {
		t.Error("deleted resource still indexed")
	}
	s.do("DELETE", "/Patient", "").wantOutcome(t, http.StatusBadRequest, "required", "")
	s.do("DELETE", "/Patient?_format=json", "").wantOutcome(t, http.StatusBadRequest, "required", "")
}

func containsText(issues []fhir.Issue, s string) bool {
	for _, is := range issues {
		if strings.Contains(is.Diagnostics, s) {
			return true
		}
	}
	return false
}
