package fhirapi

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestCRUDWalkthrough(t *testing.T) {
	s := newTestServer(t)

	// create: server-assigned id (the body's id is ignored), 201 + Location.
	created := s.do("POST", "/Patient", patient("ignored", nhs1, "Walker")).want(t, http.StatusCreated)
	h := headerOf(t, created.body)
	if h.ID == "" || h.ID == "ignored" || len(h.ID) != 36 {
		t.Fatalf("created id %q, want a server UUID", h.ID)
	}
	if h.Meta.VersionID != "1" {
		t.Errorf("meta.versionId %q, want 1", h.Meta.VersionID)
	}
	if got, want := created.header.Get("Location"), testBase+"/Patient/"+h.ID+"/_history/1"; got != want {
		t.Errorf("Location %q, want %q", got, want)
	}
	if got := created.header.Get("ETag"); got != `W/"1"` {
		t.Errorf("ETag %q", got)
	}
	lm, err := time.Parse(http.TimeFormat, created.header.Get("Last-Modified"))
	if err != nil || time.Since(lm) > time.Minute {
		t.Errorf("Last-Modified %q: %v", created.header.Get("Last-Modified"), err)
	}

	// read returns the stored bytes exactly as the create response did.
	read := s.do("GET", "/Patient/"+h.ID, "").want(t, http.StatusOK)
	if string(read.body) != string(created.body) {
		t.Errorf("read body differs from create body:\n%s\n%s", read.body, created.body)
	}
	if read.header.Get("ETag") != `W/"1"` {
		t.Errorf("read ETag %q", read.header.Get("ETag"))
	}

	// update with the right id: 200, version 2, Content-Location.
	upd := s.do("PUT", "/Patient/"+h.ID, patient(h.ID, nhs1, "Walker-Smith")).want(t, http.StatusOK)
	if v := headerOf(t, upd.body).Meta.VersionID; v != "2" {
		t.Errorf("updated versionId %q", v)
	}
	if got, want := upd.header.Get("Content-Location"), testBase+"/Patient/"+h.ID+"/_history/2"; got != want {
		t.Errorf("Content-Location %q, want %q", got, want)
	}
	if !strings.Contains(string(s.do("GET", "/Patient/"+h.ID, "").want(t, 200).body), "Walker-Smith") {
		t.Error("read after update does not show the update")
	}

	// vread both versions.
	v1 := s.do("GET", "/Patient/"+h.ID+"/_history/1", "").want(t, http.StatusOK)
	if !strings.Contains(string(v1.body), `"Walker"`) || v1.header.Get("ETag") != `W/"1"` {
		t.Errorf("vread 1: %s %v", v1.body, v1.header)
	}
	s.do("GET", "/Patient/"+h.ID+"/_history/2", "").want(t, http.StatusOK)
	s.do("GET", "/Patient/"+h.ID+"/_history/3", "").wantOutcome(t, http.StatusNotFound, "not-found", "")

	// delete: 204, then read is 410 Gone, deleting again still succeeds.
	del := s.do("DELETE", "/Patient/"+h.ID, "").want(t, http.StatusNoContent)
	if len(del.body) != 0 || del.header.Get("ETag") != `W/"3"` {
		t.Errorf("delete: body %q ETag %q", del.body, del.header.Get("ETag"))
	}
	s.do("GET", "/Patient/"+h.ID, "").wantOutcome(t, http.StatusGone, "deleted", "")
	s.do("GET", "/Patient/"+h.ID+"/_history/3", "").wantOutcome(t, http.StatusGone, "deleted", "")
	s.do("DELETE", "/Patient/"+h.ID, "").want(t, http.StatusNoContent)
	s.do("GET", "/Patient/"+h.ID+"/_history/1", "").want(t, http.StatusOK)

	// update after delete brings it back as version 4.
	back := s.do("PUT", "/Patient/"+h.ID, patient(h.ID, nhs1, "Back")).want(t, http.StatusOK)
	if v := headerOf(t, back.body).Meta.VersionID; v != "4" {
		t.Errorf("versionId after resurrection %q, want 4", v)
	}
}

func TestUpdateCreatesWithClientID(t *testing.T) {
	s := newTestServer(t)
	res := s.do("PUT", "/Patient/client-id-1", patient("client-id-1", nhs1, "Chosen")).want(t, http.StatusCreated)
	if got, want := res.header.Get("Location"), testBase+"/Patient/client-id-1/_history/1"; got != want {
		t.Errorf("Location %q, want %q", got, want)
	}
	s.do("GET", "/Patient/client-id-1", "").want(t, http.StatusOK)
}

func TestDeleteNeverExisting(t *testing.T) {
	s := newTestServer(t)
	s.do("DELETE", "/Patient/never", "").want(t, http.StatusNoContent)
	s.do("DELETE", "/Patient/never", "", "Prefer", "return=OperationOutcome").want(t, http.StatusOK).outcome(t)
	s.do("GET", "/Patient/never", "").wantOutcome(t, http.StatusNotFound, "not-found", "")
}

func TestIfMatch(t *testing.T) {
	s := newTestServer(t)
	s.do("PUT", "/Patient/p1", patient("p1", nhs1, "One")).want(t, http.StatusCreated)
	s.do("PUT", "/Patient/p1", patient("p1", nhs1, "Two")).want(t, http.StatusOK) // now version 2

	tests := []struct {
		name, method, etag string
		status             int
	}{
		{"update with stale version", "PUT", `W/"1"`, http.StatusPreconditionFailed},
		{"patch with stale version", "PATCH", `W/"1"`, http.StatusPreconditionFailed},
		{"delete with stale version", "DELETE", `W/"1"`, http.StatusPreconditionFailed},
		{"update with current version", "PUT", `W/"2"`, http.StatusOK},
		{"update with strong etag form", "PUT", `"3"`, http.StatusOK},
		{"patch with current version", "PATCH", `W/"4"`, http.StatusOK},
		{"delete with current version", "DELETE", `W/"5"`, http.StatusNoContent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var body string
			var hdrs = []string{"If-Match", tc.etag}
			switch tc.method {
			case "PUT":
				body = patient("p1", nhs1, "Three")
			case "PATCH":
				body = `[{"op":"replace","path":"/gender","value":"female"}]`
				hdrs = append(hdrs, "Content-Type", "application/json-patch+json")
			}
			res := s.do(tc.method, "/Patient/p1", body, hdrs...)
			if tc.status == http.StatusPreconditionFailed {
				res.wantOutcome(t, tc.status, "conflict", "")
				return
			}
			res.want(t, tc.status)
		})
	}
	t.Run("update of a missing resource with If-Match", func(t *testing.T) {
		s.do("PUT", "/Patient/p2", patient("p2", "", "X"), "If-Match", `W/"1"`).
			wantOutcome(t, http.StatusPreconditionFailed, "conflict", "")
		s.do("GET", "/Patient/p2", "").want(t, http.StatusNotFound)
	})
	t.Run("malformed If-Match", func(t *testing.T) {
		s.do("PUT", "/Patient/p1", patient("p1", "", "X"), "If-Match", `W/"x"`).
			wantOutcome(t, http.StatusBadRequest, "invalid", "")
	})
}

func TestPrefer(t *testing.T) {
	s := newTestServer(t)
	tests := []struct {
		prefer   string
		wantBody string // "resource", "outcome" or ""
	}{
		{"", "resource"},
		{"return=representation", "resource"},
		{"return=minimal", ""},
		{"return=OperationOutcome", "outcome"},
		{"handling=lenient, return=minimal", ""},
	}
	for _, tc := range tests {
		t.Run("prefer "+tc.prefer, func(t *testing.T) {
			res := s.do("POST", "/Patient", patient("", "", "Pref"), "Prefer", tc.prefer).want(t, http.StatusCreated)
			if res.header.Get("Location") == "" || res.header.Get("ETag") != `W/"1"` {
				t.Errorf("headers missing: %v", res.header)
			}
			switch tc.wantBody {
			case "":
				if len(res.body) != 0 {
					t.Errorf("body %s, want none", res.body)
				}
			case "resource":
				if headerOf(t, res.body).ResourceType != "Patient" {
					t.Errorf("body %s, want the Patient", res.body)
				}
			case "outcome":
				if is := res.outcome(t); is[0].Severity != "information" {
					t.Errorf("outcome %v", is)
				}
			}
		})
	}
}

func TestHead(t *testing.T) {
	s := newTestServer(t)
	s.do("PUT", "/Patient/h1", patient("h1", "", "Head")).want(t, http.StatusCreated)
	res := s.do("HEAD", "/Patient/h1", "").want(t, http.StatusOK)
	if res.header.Get("ETag") != `W/"1"` {
		t.Errorf("HEAD ETag %q", res.header.Get("ETag"))
	}
}

func TestStripPrefixMount(t *testing.T) {
	s := newTestServer(t)
	mux := http.NewServeMux()
	mux.Handle("/fhir/", http.StripPrefix("/fhir", s.h))
	mux.Handle("/fhir", http.StripPrefix("/fhir", s.h))
	mounted := &testServer{t: t, h: mux, st: s.st, log: s.log}
	mounted.do("PUT", "/fhir/Patient/m1", patient("m1", "", "Mounted")).want(t, http.StatusCreated)
	mounted.do("GET", "/fhir/Patient/m1", "").want(t, http.StatusOK)
	mounted.do("GET", "/fhir/metadata", "").want(t, http.StatusOK)
	// The bare base is the system-level search, not a redirect.
	if b := mounted.do("GET", "/fhir", "").want(t, http.StatusOK).bundle(t); b.Type != "searchset" || len(b.Entry) != 1 {
		t.Errorf("system search at the bare base: %+v", b)
	}
}

func TestUncleanPathRedirectsUnderBase(t *testing.T) {
	s := newTestServer(t)
	res := s.do("GET", "//Patient/r1", "")
	if res.status/100 != 3 || res.header.Get("Location") != testBase+"/Patient/r1" || len(res.body) != 0 {
		t.Errorf("status %d Location %q body %q", res.status, res.header.Get("Location"), res.body)
	}
}
