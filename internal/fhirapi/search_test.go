package fhirapi

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

func TestSearchByCriteria(t *testing.T) {
	s := newTestServer(t)
	s.do("PUT", "/Patient/s1", patient("s1", nhs1, "S")).want(t, http.StatusCreated)
	s.do("PUT", "/Patient/s2", patient("s2", nhs2, "S")).want(t, http.StatusCreated)
	s.do("PUT", "/Patient/s3", patient("s3", nhs2, "S")).want(t, http.StatusCreated)
	s.do("DELETE", "/Patient/s3", "").want(t, http.StatusNoContent)

	tests := []struct {
		query string
		ids   string
	}{
		{nhsQuery(nhs1), "s1"},
		{nhsQuery(nhs2), "s2"}, // s3 is deleted
		{"identifier=" + nhs1 + "," + nhs2, "s1,s2"},
		{"_id=s1", "s1"},
		{"_id=s3", ""},
		{"_id=s1,s2&" + nhsQuery(nhs2), "s2"},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			b := s.do("GET", "/Patient?"+tc.query, "").want(t, http.StatusOK).bundle(t)
			if b.Type != "searchset" {
				t.Errorf("type %q", b.Type)
			}
			if got := entryIDs(t, b); got != tc.ids {
				t.Errorf("ids %q, want %q", got, tc.ids)
			}
			if b.Total == nil || *b.Total != len(b.Entry) {
				t.Errorf("total %v for %d entries", b.Total, len(b.Entry))
			}
			for _, e := range b.Entry {
				if e.Search == nil || e.Search.Mode != "match" || !strings.HasPrefix(e.FullURL, testBase+"/Patient/") {
					t.Errorf("entry %s: search %v", e.FullURL, e.Search)
				}
			}
		})
	}
}

func TestSearchPaging(t *testing.T) {
	s := newTestServer(t)
	for i := range 7 {
		id := fmt.Sprintf("pg%d", i)
		s.do("PUT", "/Patient/"+id, patient(id, nhs1, "Page")).want(t, http.StatusCreated)
	}
	s.do("PUT", "/Patient/pg0", patient("pg0", nhs1, "Page2")).want(t, http.StatusOK) // two versions, listed once
	s.do("DELETE", "/Patient/pg1", "").want(t, http.StatusNoContent)                  // deleted, not listed
	s.do("PUT", "/Observation/o1", `{"resourceType":"Observation","id":"o1","status":"final","code":{"text":"x"}}`).want(t, http.StatusCreated)

	for _, start := range []string{"/Patient?_count=2", "/Patient?" + nhsQuery(nhs1) + "&_count=2"} {
		t.Run(start, func(t *testing.T) {
			seen := map[string]int{}
			next, pages := start, 0
			for next != "" && pages < 10 {
				b := s.do("GET", next, "").want(t, http.StatusOK).bundle(t)
				pages++
				if len(b.Entry) > 2 {
					t.Errorf("page of %d entries with _count=2", len(b.Entry))
				}
				for _, e := range b.Entry {
					seen[headerOf(t, e.Resource).ID]++
				}
				next = b.link("next")
				if next != "" {
					next = relative(t, next)
				}
			}
			if len(seen) != 6 {
				t.Errorf("listed %v, want the 6 current patients", seen)
			}
			for id, n := range seen {
				if n != 1 || id == "pg1" {
					t.Errorf("%s listed %d times", id, n)
				}
			}
		})
	}
}

func TestSearchUnknownParameters(t *testing.T) {
	s := newTestServer(t)
	s.do("PUT", "/Patient/u1", patient("u1", nhs1, "U")).want(t, http.StatusCreated)

	// lenient (default): ignored, with a warning outcome entry naming them.
	b := s.do("GET", "/Patient?shoe-size=9&_id=u1", "").want(t, http.StatusOK).bundle(t)
	if entryIDs(t, b) != "u1" {
		t.Errorf("ids %q", entryIDs(t, b))
	}
	last := b.Entry[len(b.Entry)-1]
	if last.Search == nil || last.Search.Mode != "outcome" {
		t.Fatalf("no outcome entry: %s", last.Resource)
	}
	if oo := string(last.Resource); !strings.Contains(oo, `"warning"`) || !strings.Contains(oo, "shoe-size") {
		t.Errorf("warning outcome %s", oo)
	}
	// strict: 400 naming the parameter.
	s.do("GET", "/Patient?shoe-size=9", "", "Prefer", "handling=strict").wantOutcome(t, http.StatusBadRequest, "invalid", "")
	s.do("GET", "/_history?family=Smith", "", "Prefer", "handling=strict").wantOutcome(t, http.StatusBadRequest, "not-supported", "")
}
