package fhirapi

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"
)

func TestInstanceHistory(t *testing.T) {
	s := newTestServer(t)
	s.do("PUT", "/Patient/h1", patient("h1", nhs1, "V1")).want(t, http.StatusCreated)
	s.do("PUT", "/Patient/h1", patient("h1", nhs1, "V2")).want(t, http.StatusOK)
	s.do("DELETE", "/Patient/h1", "").want(t, http.StatusNoContent)
	s.do("PUT", "/Patient/other", patient("other", nhs2, "O")).want(t, http.StatusCreated)

	b := s.do("GET", "/Patient/h1/_history", "").want(t, http.StatusOK).bundle(t)
	if b.Type != "history" || b.Total == nil || *b.Total != 3 || len(b.Entry) != 3 {
		t.Fatalf("type %s total %v entries %d, want history of 3", b.Type, b.Total, len(b.Entry))
	}
	want := []struct{ method, url, status, etag string }{
		{"DELETE", "Patient/h1", "204 No Content", `W/"3"`},
		{"PUT", "Patient/h1", "200 OK", `W/"2"`},
		{"POST", "Patient", "201 Created", `W/"1"`},
	}
	for i, w := range want {
		e := b.Entry[i]
		if e.Request.Method != w.method || e.Request.URL != w.url || e.Response.Status != w.status || e.Response.Etag != w.etag {
			t.Errorf("entry %d: %s %s %s %s, want %v", i, e.Request.Method, e.Request.URL, e.Response.Status, e.Response.Etag, w)
		}
		if e.FullURL != testBase+"/Patient/h1" {
			t.Errorf("entry %d fullUrl %q", i, e.FullURL)
		}
		if _, err := time.Parse(time.RFC3339, e.Response.LastModified); err != nil {
			t.Errorf("entry %d lastModified %q", i, e.Response.LastModified)
		}
		if (e.Resource != nil) == (w.method == "DELETE") {
			t.Errorf("entry %d: resource present %v for %s", i, e.Resource != nil, w.method)
		}
	}
	s.do("GET", "/Patient/never/_history", "").wantOutcome(t, http.StatusNotFound, "not-found", "")
}

func TestHistoryLevels(t *testing.T) {
	s := newTestServer(t)
	s.do("PUT", "/Patient/a", patient("a", "", "A")).want(t, http.StatusCreated)
	s.do("PUT", "/Observation/o", `{"resourceType":"Observation","id":"o","status":"final","code":{"text":"x"}}`).want(t, http.StatusCreated)
	s.do("PUT", "/Patient/a", patient("a", "", "A2")).want(t, http.StatusOK)

	tests := []struct {
		path  string
		count int
	}{
		{"/_history", 3},
		{"/Patient/_history", 2},
		{"/Observation/_history", 1},
		{"/Encounter/_history", 0},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			b := s.do("GET", tc.path, "").want(t, http.StatusOK).bundle(t)
			if len(b.Entry) != tc.count {
				t.Errorf("%d entries, want %d", len(b.Entry), tc.count)
			}
			if b.Total != nil {
				t.Errorf("total %d given at type/system level; it is not known", *b.Total)
			}
			if b.link("self") != testBase+tc.path {
				t.Errorf("self link %q", b.link("self"))
			}
		})
	}
}

func TestHistorySince(t *testing.T) {
	s := newTestServer(t)
	s.do("PUT", "/Patient/a", patient("a", "", "A")).want(t, http.StatusCreated)
	time.Sleep(5 * time.Millisecond)
	mid := time.Now().UTC()
	time.Sleep(5 * time.Millisecond)
	s.do("PUT", "/Patient/b", patient("b", "", "B")).want(t, http.StatusCreated)

	b := s.do("GET", "/_history?_since="+url.QueryEscape(mid.Format(time.RFC3339Nano)), "").want(t, http.StatusOK).bundle(t)
	if len(b.Entry) != 1 || headerOf(t, b.Entry[0].Resource).ID != "b" {
		t.Errorf("_since returned %d entries, want only b", len(b.Entry))
	}
	// An unencoded '+' offset arrives as a space and still works.
	plus := mid.In(time.FixedZone("", 3600)).Format("2006-01-02T15:04:05.000000-07:00")
	b = s.do("GET", "/_history?_since="+plus, "").want(t, http.StatusOK).bundle(t)
	if len(b.Entry) != 1 {
		t.Errorf("_since with a raw + offset returned %d entries, want 1", len(b.Entry))
	}
	s.do("GET", "/_history?_since=yesterday", "").wantOutcome(t, http.StatusBadRequest, "invalid", "")
	s.do("GET", "/_history?_cursor=abc", "").wantOutcome(t, http.StatusBadRequest, "invalid", "")
	s.do("GET", "/_history?_count=-1", "").wantOutcome(t, http.StatusBadRequest, "invalid", "")
}

// TestHistoryPagingWhileWriting pages through system history while new
// versions arrive: every version that existed when paging began is seen
// exactly once, and none of the later ones leak into later pages.
func TestHistoryPagingWhileWriting(t *testing.T) {
	s := newTestServer(t)
	const before = 23
	for i := range before {
		id := fmt.Sprintf("p%d", i%7) // 7 patients, several versions each
		s.do("PUT", "/Patient/"+id, patient(id, "", fmt.Sprint("N", i)))
	}
	seen := map[string]int{}
	next := "/_history?_count=5"
	pages := 0
	for next != "" {
		b := s.do("GET", next, "").want(t, http.StatusOK).bundle(t)
		pages++
		for _, e := range b.Entry {
			seen[e.FullURL+" "+e.Response.Etag]++
		}
		// A write between pages must not shift the pages.
		s.do("PUT", fmt.Sprintf("/Patient/new%d", pages), patient(fmt.Sprintf("new%d", pages), "", "New")).want(t, http.StatusCreated)
		next = b.link("next")
		if next != "" {
			next = relative(t, next)
		}
		if pages > 10 {
			t.Fatal("paging does not end")
		}
	}
	if pages != 5 {
		t.Errorf("%d pages for %d versions at 5 a page, want 5", pages, before)
	}
	if len(seen) != before {
		t.Errorf("saw %d distinct versions, want %d", len(seen), before)
	}
	for k, n := range seen {
		if n != 1 {
			t.Errorf("%s seen %d times", k, n)
		}
	}
}
