package fhirapi

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	jsonv2 "github.com/go-json-experiment/json"

	"carerecord/internal/search"
	"carerecord/internal/store"
)

func readTestdata(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// versions is how many versions the store holds, all types.
func versions(t testing.TB, st store.Store) int {
	t.Helper()
	rows, err := st.History(context.Background(), store.HistoryQuery{Count: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return len(rows)
}

// reference reads a reference member out of a resource body.
func reference(t testing.TB, body []byte, member string) string {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	raw := m[member]
	if strings.HasPrefix(string(raw), "[") { // first of a list
		var list []json.RawMessage
		json.Unmarshal(raw, &list)
		raw = list[0]
	}
	var ref struct{ Reference string }
	json.Unmarshal(raw, &ref)
	return ref.Reference
}

func TestTransactionReferences(t *testing.T) {
	s := newTestServer(t)
	s.do("PUT", "/Patient/performer", patient("performer", nhs2, "Existing")).want(t, http.StatusCreated)

	res := s.do("POST", "/", readTestdata(t, "bundles/transaction-refs.json")).want(t, http.StatusOK)
	b := res.bundle(t)
	if b.Type != "transaction-response" || len(b.Entry) != 3 {
		t.Fatalf("type %s with %d entries", b.Type, len(b.Entry))
	}
	// Entries come back in request order, each with its resource.
	obs, pat, enc := b.Entry[0], b.Entry[1], b.Entry[2]
	for i, e := range b.Entry {
		if e.Response.Status != "201 Created" || e.Response.Etag != `W/"1"` || e.Response.Location == "" {
			t.Errorf("entry %d response %+v", i, e.Response)
		}
	}
	if headerOf(t, obs.Resource).ResourceType != "Observation" || headerOf(t, pat.Resource).ResourceType != "Patient" {
		t.Fatalf("entries out of request order")
	}
	patID, encID := headerOf(t, pat.Resource).ID, headerOf(t, enc.Resource).ID
	if got := reference(t, enc.Resource, "subject"); got != "Patient/"+patID {
		t.Errorf("Encounter.subject %q, want Patient/%s (urn:uuid rewritten)", got, patID)
	}
	if got := reference(t, obs.Resource, "encounter"); got != "Encounter/"+encID {
		t.Errorf("Observation.encounter %q, want Encounter/%s", got, encID)
	}
	if got := reference(t, obs.Resource, "subject"); got != "Patient/"+patID {
		t.Errorf("Observation.subject %q: a conditional reference to a Patient in the same Bundle", got)
	}
	if got := reference(t, obs.Resource, "performer"); got != "Patient/performer" {
		t.Errorf("Observation.performer %q, want the existing Patient/performer", got)
	}
	// The stored copy is what the response showed.
	stored := s.do("GET", "/Observation/"+headerOf(t, obs.Resource).ID, "").want(t, http.StatusOK)
	if string(stored.body) != string(obs.Resource) {
		t.Error("stored Observation differs from the transaction response")
	}
}

func TestTransactionAllOrNothing(t *testing.T) {
	tests := []struct {
		file, code, expression string
		status                 int
	}{
		{"bundles/transaction-bad-ref.json", "not-found", "", http.StatusBadRequest},
		{"bundles/transaction-invalid.json", "required", "Bundle.entry[1].resource.status", http.StatusBadRequest},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			s := newTestServer(t)
			is := s.do("POST", "/", readTestdata(t, tc.file)).wantOutcome(t, tc.status, tc.code, tc.expression)
			if !strings.Contains(is[0].Diagnostics, "Bundle.entry[") {
				t.Errorf("outcome does not name the entry: %v", is)
			}
			if strings.Contains(string(is[0].Diagnostics), "999") {
				t.Errorf("outcome echoes an NHS number: %v", is)
			}
			if n := versions(t, s.st); n != 0 {
				t.Errorf("%d versions written by a failed transaction", n)
			}
		})
	}
	t.Run("ambiguous conditional reference is 412", func(t *testing.T) {
		s := newTestServer(t)
		s.do("PUT", "/Patient/x1", patient("x1", nhs2, "X")).want(t, http.StatusCreated)
		s.do("PUT", "/Patient/x2", patient("x2", nhs2, "X")).want(t, http.StatusCreated)
		// The Observation's performer names nhs2, which both match.
		s.do("POST", "/", readTestdata(t, "bundles/transaction-refs.json")).wantOutcome(t, http.StatusPreconditionFailed, "conflict", "")
		if n := versions(t, s.st); n != 2 {
			t.Errorf("%d versions, want the 2 from setup", n)
		}
	})
}

func TestTransactionProcessingOrder(t *testing.T) {
	s := newTestServer(t)
	s.do("PUT", "/Patient/keep", patient("keep", "", "Original")).want(t, http.StatusCreated)
	s.do("PUT", "/Patient/gone", patient("gone", nhs2, "Old")).want(t, http.StatusCreated)

	b := s.do("POST", "/", readTestdata(t, "bundles/transaction-order.json")).want(t, http.StatusOK).bundle(t)
	statuses := make([]string, len(b.Entry))
	for i, e := range b.Entry {
		statuses[i] = e.Response.Status
	}
	// GET ran after PUT (sees version 2); DELETE ran before the conditional
	// POST, which therefore found no match and created.
	want := []string{"200 OK", "200 OK", "201 Created", "204 No Content"}
	if strings.Join(statuses, ",") != strings.Join(want, ",") {
		t.Errorf("statuses %v, want %v", statuses, want)
	}
	if h := headerOf(t, b.Entry[0].Resource); h.Meta.VersionID != "2" {
		t.Errorf("GET saw version %s, want 2 (after the PUT)", h.Meta.VersionID)
	}
	// The change feed shows the write order: DELETE, POST, PUT.
	feed, err := s.st.Changes(context.Background(), 2, 10)
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, v := range feed {
		order = append(order, v.ID)
	}
	if len(feed) != 3 || !feed[0].Deleted || order[0] != "gone" || order[2] != "keep" {
		t.Errorf("write order %v, want gone (deleted), the new patient, keep", order)
	}
}

func TestTransactionConditionalEntries(t *testing.T) {
	s := newTestServer(t)
	s.do("PUT", "/Patient/known", patient("known", nhs1, "Known")).want(t, http.StatusCreated)
	body := `{"resourceType":"Bundle","type":"transaction","entry":[
	 {"fullUrl":"urn:uuid:11111111-1111-4111-8111-111111111111",
	  "resource":` + patient("", nhs1, "Again") + `,
	  "request":{"method":"POST","url":"Patient","ifNoneExist":"identifier=https://fhir.nhs.uk/Id/nhs-number|` + nhs1 + `"}},
	 {"resource":` + patient("", nhs2, "Upserted") + `,
	  "request":{"method":"PUT","url":"Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|` + nhs2 + `"}},
	 {"resource":{"resourceType":"Observation","status":"final","code":{"text":"x"},
	  "subject":{"reference":"urn:uuid:11111111-1111-4111-8111-111111111111"}},
	  "request":{"method":"POST","url":"Observation"}}
	]}`
	b := s.do("POST", "/", body).want(t, http.StatusOK).bundle(t)
	if b.Entry[0].Response.Status != "200 OK" || headerOf(t, b.Entry[0].Resource).ID != "known" {
		t.Errorf("ifNoneExist entry: %s %s", b.Entry[0].Response.Status, b.Entry[0].Resource)
	}
	if b.Entry[1].Response.Status != "201 Created" {
		t.Errorf("conditional PUT with no match: %s", b.Entry[1].Response.Status)
	}
	if got := reference(t, b.Entry[2].Resource, "subject"); got != "Patient/known" {
		t.Errorf("reference to the matched conditional create: %q, want Patient/known", got)
	}
	// The same Bundle again: the PUT now updates what it created.
	b = s.do("POST", "/", body).want(t, http.StatusOK).bundle(t)
	if b.Entry[1].Response.Status != "200 OK" || b.Entry[1].Response.Etag != `W/"2"` {
		t.Errorf("second conditional PUT: %s %s", b.Entry[1].Response.Status, b.Entry[1].Response.Etag)
	}
}

func TestTransactionSameResourceTwice(t *testing.T) {
	s := newTestServer(t)
	body := `{"resourceType":"Bundle","type":"transaction","entry":[
	 {"resource":` + patient("twice", "", "A") + `,"request":{"method":"PUT","url":"Patient/twice"}},
	 {"request":{"method":"DELETE","url":"Patient/twice"}}]}`
	s.do("POST", "/", body).wantOutcome(t, http.StatusBadRequest, "invalid", "")
	if versions(t, s.st) != 0 {
		t.Error("written")
	}
}

func TestBatchMixed(t *testing.T) {
	s := newTestServer(t)
	s.do("PUT", "/Patient/b2", patient("b2", "", "B2")).want(t, http.StatusCreated)
	b := s.do("POST", "/", readTestdata(t, "bundles/batch-mixed.json")).want(t, http.StatusOK).bundle(t)
	if b.Type != "batch-response" || len(b.Entry) != 6 {
		t.Fatalf("type %s, %d entries", b.Type, len(b.Entry))
	}
	want := []string{"201", "400", "404", "201", "412", "200"}
	for i, w := range want {
		e := b.Entry[i]
		if !strings.HasPrefix(e.Response.Status, w+" ") {
			t.Errorf("entry %d status %q, want %s", i, e.Response.Status, w)
		}
		failed := w[0] != '2'
		if failed != (e.Response.Outcome != nil) {
			t.Errorf("entry %d: outcome %s", i, e.Response.Outcome)
		}
	}
	if !strings.Contains(string(b.Entry[1].Response.Outcome), "Bundle.entry[1].resource.status") {
		t.Errorf("entry 1 outcome lacks the expression: %s", b.Entry[1].Response.Outcome)
	}
	if headerOf(t, b.Entry[5].Resource).ID != "b1" {
		t.Errorf("GET after PUT in a batch: %s", b.Entry[5].Resource)
	}
	// Successful entries were written even though others failed.
	s.do("GET", "/Patient/b1", "").want(t, http.StatusOK)
	s.do("GET", "/Patient/"+headerOf(t, b.Entry[3].Resource).ID, "").want(t, http.StatusOK)
}

func TestBatchRejectsReferencesBetweenEntries(t *testing.T) {
	s := newTestServer(t)
	body := strings.Replace(readTestdata(t, "bundles/transaction-refs.json"), `"transaction"`, `"batch"`, 1)
	b := s.do("POST", "/", body).want(t, http.StatusOK).bundle(t)
	// The Patient (entry 1) has no references and succeeds; the others
	// refer to other entries by urn:uuid and fail.
	if !strings.HasPrefix(b.Entry[1].Response.Status, "201") ||
		!strings.HasPrefix(b.Entry[0].Response.Status, "400") || !strings.HasPrefix(b.Entry[2].Response.Status, "400") {
		t.Errorf("statuses %s %s %s", b.Entry[0].Response.Status, b.Entry[1].Response.Status, b.Entry[2].Response.Status)
	}
}

func TestBundlePatchAndReads(t *testing.T) {
	s := newTestServer(t)
	s.do("PUT", "/Patient/bp", patient("bp", nhs1, "Before")).want(t, http.StatusCreated)
	s.do("PUT", "/Patient/bp", patient("bp", nhs1, "Before2")).want(t, http.StatusOK)
	// [{"op":"replace","path":"/gender","value":"female"}]
	patch := "W3sib3AiOiJyZXBsYWNlIiwicGF0aCI6Ii9nZW5kZXIiLCJ2YWx1ZSI6ImZlbWFsZSJ9XQ=="
	body := `{"resourceType":"Bundle","type":"transaction","entry":[
	 {"resource":{"resourceType":"Binary","contentType":"application/json-patch+json","data":"` + patch + `"},
	  "request":{"method":"PATCH","url":"Patient/bp"}},
	 {"request":{"method":"GET","url":"Patient?identifier=` + nhs1 + `"}},
	 {"request":{"method":"HEAD","url":"Patient/bp"}}]}`
	b := s.do("POST", "/", body).want(t, http.StatusOK).bundle(t)
	if !strings.Contains(string(b.Entry[0].Resource), `"female"`) || b.Entry[0].Response.Etag != `W/"3"` {
		t.Errorf("patch entry: %s %+v", b.Entry[0].Resource, b.Entry[0].Response)
	}
	if !strings.Contains(string(b.Entry[1].Resource), `"searchset"`) || !strings.Contains(string(b.Entry[1].Resource), `"female"`) {
		t.Errorf("search entry: %s", b.Entry[1].Resource)
	}
	if b.Entry[2].Resource != nil || b.Entry[2].Response.Etag != `W/"3"` {
		t.Errorf("HEAD entry: %s %+v", b.Entry[2].Resource, b.Entry[2].Response)
	}
	// vread of an older version: a batch can, a transaction cannot.
	vread := `{"resourceType":"Bundle","type":"%s","entry":[{"request":{"method":"GET","url":"Patient/bp/_history/1"}}]}`
	b = s.do("POST", "/", strings.Replace(vread, "%s", "batch", 1)).want(t, http.StatusOK).bundle(t)
	if !strings.Contains(string(b.Entry[0].Resource), `"Before"`) {
		t.Errorf("batch vread: %s", b.Entry[0].Resource)
	}
	s.do("POST", "/", strings.Replace(vread, "%s", "transaction", 1)).wantOutcome(t, http.StatusBadRequest, "not-supported", "")
}

func TestBundlePrefer(t *testing.T) {
	s := newTestServer(t)
	body := `{"resourceType":"Bundle","type":"transaction","entry":[
	 {"resource":` + patient("", "", "P") + `,"request":{"method":"POST","url":"Patient"}}]}`
	b := s.do("POST", "/", body, "Prefer", "return=minimal").want(t, http.StatusOK).bundle(t)
	if b.Entry[0].Resource != nil || b.Entry[0].Response.Location == "" {
		t.Errorf("minimal: %s %+v", b.Entry[0].Resource, b.Entry[0].Response)
	}
	b = s.do("POST", "/", body, "Prefer", "return=OperationOutcome").want(t, http.StatusOK).bundle(t)
	if b.Entry[0].Resource != nil || !strings.Contains(string(b.Entry[0].Response.Outcome), "OperationOutcome") {
		t.Errorf("OperationOutcome: %s %+v", b.Entry[0].Resource, b.Entry[0].Response)
	}
}

// A transaction that needs no store lookups is resolved and its references
// rewritten before the store.Write; one that does is left to the Write.
func TestPrepareTransaction(t *testing.T) {
	const pat = `{"resourceType":"Patient","name":[{"family":"P"}]}`
	obs := func(ref string) string {
		return `{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"` + ref + `"}}`
	}
	entry := func(fullURL, resource, method, url string) string {
		e := `{"request":{"method":"` + method + `","url":"` + url + `"}`
		if fullURL != "" {
			e += `,"fullUrl":"` + fullURL + `"`
		}
		if resource != "" {
			e += `,"resource":` + resource
		}
		return e + "}"
	}
	bundle := func(entries ...string) string {
		return `{"resourceType":"Bundle","type":"transaction","entry":[` + strings.Join(entries, ",") + `]}`
	}
	const urn = "urn:uuid:6c1e5f8e-2c43-4b1e-9d0c-3f1d2a4b5c6d"
	tests := []struct {
		name, bundle string
		want         bool
	}{
		{"local references", bundle(entry(urn, pat, "POST", "Patient"), entry("", obs(urn), "POST", "Observation"),
			entry("", "", "DELETE", "Patient/old"), entry("", "", "GET", "Patient/old")), true},
		{"conditional reference", bundle(entry("", obs("Patient?identifier=x|1"), "POST", "Observation")), false},
		{"conditional create", bundle(`{"resource":` + pat + `,"request":{"method":"POST","url":"Patient","ifNoneExist":"identifier=x|1"}}`), false},
		{"conditional update", bundle(entry("", pat, "PUT", "Patient?identifier=x|1")), false},
		{"conditional delete", bundle(entry("", "", "DELETE", "Patient?identifier=x|1")), false},
		{"two writes to one resource", bundle(entry("", "", "DELETE", "Patient/a"), entry("", "", "DELETE", "Patient/a")), false},
		{"unknown urn", bundle(entry("", obs(urn), "POST", "Observation")), false},
	}
	a := &api{base: testBase, reg: search.NewRegistry(search.FHIRPath)}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var in bundleIn
			if err := jsonv2.Unmarshal([]byte(tc.bundle), &in, bundleDecoding); err != nil {
				t.Fatal(err)
			}
			entries := make([]*txEntry, len(in.Entry))
			for i := range in.Entry {
				if entries[i] = a.parseEntry(i, &in.Entry[i], false); entries[i].err != nil {
					t.Fatalf("entry %d: %v", i, entries[i].err)
				}
			}
			if got := prepareTransaction(context.Background(), processingOrder(entries)); got != tc.want {
				t.Fatalf("prepared = %v, want %v", got, tc.want)
			}
			if tc.want {
				patID := entries[0].write.id
				if got := reference(t, entries[1].write.out, "subject"); got != "Patient/"+patID {
					t.Errorf("Observation.subject %q, want Patient/%s", got, patID)
				}
			}
		})
	}
}
