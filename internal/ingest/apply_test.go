package ingest_test

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"carerecord/internal/hl7"
	"carerecord/internal/ingest"
	"carerecord/internal/search"
	"carerecord/internal/store"
	"carerecord/internal/store/sqlite"
	"carerecord/internal/v2fhir"
)

func openApplier(t *testing.T) (*ingest.Applier, store.Store) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return ingest.NewApplier(st, search.NewRegistry(search.FHIRPath)), st
}

func patientEntry(id, city, eventTime string) v2fhir.Entry {
	return v2fhir.Entry{Op: v2fhir.OpUpsert, Type: "Patient", ID: id, EventTime: eventTime,
		Resource: json.RawMessage(`{"resourceType":"Patient","id":"` + id + `","address":[{"city":"` + city + `"}]}`)}
}

func versions(t *testing.T, st store.Store, typ, id string) []store.Resource {
	t.Helper()
	vs, err := st.History(context.Background(), store.HistoryQuery{Type: typ, ID: id})
	if err != nil {
		t.Fatal(err)
	}
	return vs
}

// A real ADT^A01 mapped by v2fhir goes in whole; the same message again
// changes nothing; its patient is found by NHS number through the index.
func TestApplyIdempotent(t *testing.T) {
	res := mapCase(t, "adt_a01_admit.txt")
	a, st := openApplier(t)
	ctx := context.Background()
	first, err := a.Apply(ctx, res)
	if err != nil {
		t.Fatal(err)
	}
	if first.Written != len(res.Entries) || first.Written < 5 {
		t.Fatalf("first delivery: %+v for %d entries", first, len(res.Entries))
	}
	again, err := a.Apply(ctx, res)
	if err != nil {
		t.Fatal(err)
	}
	if again.Written != 0 || again.Superseded != 0 || again.Unchanged != len(res.Entries) {
		t.Fatalf("second delivery: %+v, want all %d unchanged", again, len(res.Entries))
	}
	for _, e := range res.Entries {
		if vs := versions(t, st, e.Type, e.ID); len(vs) != 1 {
			t.Errorf("%s/%s has %d versions after two deliveries, want 1", e.Type, e.ID, len(vs))
		}
	}
	ids, err := st.FindByToken(ctx, "Patient", "identifier", "https://fhir.nhs.uk/Id/nhs-number", "9990000018")
	if err != nil || len(ids) != 1 || ids[0] != res.PatientID {
		t.Errorf("patient by NHS number: %v, %v; want %s", ids, err, res.PatientID)
	}
}

// A backloaded message about an older event is kept in history but does
// not become current; a newer one does; the same event time again is
// idempotent.
func TestApplyEventTimeOrder(t *testing.T) {
	a, st := openApplier(t)
	ctx := context.Background()
	apply := func(e v2fhir.Entry) ingest.Outcome {
		t.Helper()
		out, err := a.Apply(ctx, &v2fhir.Result{Entries: []v2fhir.Entry{e}})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	city := func() string {
		t.Helper()
		r, err := st.Read(ctx, "Patient", "p")
		if err != nil {
			t.Fatal(err)
		}
		var p struct {
			Address []struct{ City string } `json:"address"`
		}
		json.Unmarshal(r.Body, &p)
		return p.Address[0].City
	}
	if out := apply(patientEntry("p", "Leeds", "2024-03-01T10:00:00Z")); out.Written != 1 {
		t.Fatalf("first: %+v", out)
	}
	if out := apply(patientEntry("p", "York", "2023-01-01T10:00:00Z")); out.Superseded != 1 || city() != "Leeds" {
		t.Fatalf("older event: %+v, current city %s; want superseded and Leeds", out, city())
	}
	vs := versions(t, st, "Patient", "p")
	if len(vs) != 3 || !strings.Contains(string(vs[1].Body), "York") {
		t.Fatalf("history should hold the older fact between the two Leeds versions: %d versions", len(vs))
	}
	if out := apply(patientEntry("p", "Hull", "2024-06-01T00:00:00+01:00")); out.Written != 1 || city() != "Hull" {
		t.Fatalf("newer event: %+v, city %s", out, city())
	}
	if out := apply(patientEntry("p", "Hull", "2024-06-01T00:00:00+01:00")); out.Unchanged != 1 {
		t.Fatalf("same again: %+v", out)
	}
	// mark-status from a newer event changes the status; from an older one it
	// is history only.
	enc := v2fhir.Entry{Op: v2fhir.OpUpsert, Type: "Encounter", ID: "e", EventTime: "2024-03-01T10:00:00Z",
		Resource: json.RawMessage(`{"resourceType":"Encounter","id":"e","status":"in-progress","class":{"code":"IMP"}}`)}
	apply(enc)
	if out := apply(v2fhir.Entry{Op: v2fhir.OpMarkStatus, Type: "Encounter", ID: "e", Status: "cancelled", EventTime: "2024-02-01T00:00:00Z"}); out.Superseded != 1 {
		t.Fatalf("older cancel: %+v", out)
	}
	if out := apply(v2fhir.Entry{Op: v2fhir.OpMarkStatus, Type: "Encounter", ID: "e", Status: "finished", EventTime: "2024-03-05T00:00:00Z"}); out.Written != 1 {
		t.Fatalf("newer status: %+v", out)
	}
	r, _ := st.Read(ctx, "Encounter", "e")
	if !strings.Contains(string(r.Body), `"finished"`) || !strings.Contains(string(r.Body), ingest.EventTimeURL) {
		t.Errorf("encounter after status changes: %s", r.Body)
	}
}

// The event time lands in meta whether the resource has a meta already or
// not, and the result is the same resource otherwise.
func TestEventTimeInMeta(t *testing.T) {
	for _, body := range []string{
		`{"resourceType":"Patient","id":"p1","gender":"female"}`,
		` {"resourceType":"Patient","id":"p1","gender":"female"}` + "\n",
		`{"resourceType":"Patient","id":"p1","meta":{"source":"pas"},"gender":"female"}`,
		`{"resourceType":"Patient","id":"p1","meta":{"extension":[{"url":"` + ingest.EventTimeURL + `","valueDateTime":"2001"}]},"gender":"female"}`,
	} {
		out, err := ingest.WithEventTime([]byte(body), "2024-03-12T09:30:00Z")
		if err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		var r struct {
			Gender string `json:"gender"`
			Meta   struct {
				Source    string `json:"source"`
				Extension []struct {
					URL, ValueDateTime string
				} `json:"extension"`
			} `json:"meta"`
		}
		if err := json.Unmarshal(out, &r); err != nil {
			t.Fatalf("%s: not JSON: %v: %s", body, err, out)
		}
		if r.Gender != "female" || len(r.Meta.Extension) != 1 || r.Meta.Extension[0].URL != ingest.EventTimeURL || r.Meta.Extension[0].ValueDateTime != "2024-03-12T09:30:00Z" {
			t.Errorf("%s became %s", body, out)
		}
		if strings.Contains(body, "pas") && r.Meta.Source != "pas" {
			t.Errorf("%s lost meta.source: %s", body, out)
		}
	}
}

// A batch delivered again after it was committed (a crash before the queue
// heard) writes nothing, though its older message would otherwise be
// recorded again as superseded history; a key applied before skips its
// message even when the content differs; messages without a key are
// applied as before.
func TestApplyKeyedExactlyOnce(t *testing.T) {
	a, st := openApplier(t)
	ctx := context.Background()
	batch := []ingest.Keyed{
		{Key: "pas:1", Result: &v2fhir.Result{Entries: []v2fhir.Entry{patientEntry("p", "York", "2024-01-01T10:00:00Z")}}},
		{Key: "pas:2", Result: &v2fhir.Result{Entries: []v2fhir.Entry{patientEntry("p", "Leeds", "2024-03-01T10:00:00Z")}}},
	}
	out, err := a.ApplyKeyed(ctx, batch)
	if err != nil || out != (ingest.Outcome{Written: 2}) {
		t.Fatalf("first delivery: %+v, %v; want 2 written", out, err)
	}
	if n := len(versions(t, st, "Patient", "p")); n != 2 {
		t.Fatalf("after the first delivery: %d versions, want 2", n)
	}
	out, err = a.ApplyKeyed(ctx, batch)
	if err != nil || out != (ingest.Outcome{Duplicate: 2}) {
		t.Fatalf("second delivery: %+v, %v; want 2 duplicates", out, err)
	}
	if n := len(versions(t, st, "Patient", "p")); n != 2 {
		t.Errorf("after the second delivery: %d versions, want still 2", n)
	}

	// Same key, other content: skipped. A new key in the same batch, and a
	// key repeated within the batch, are applied once.
	out, err = a.ApplyKeyed(ctx, []ingest.Keyed{
		{Key: "pas:2", Result: &v2fhir.Result{Entries: []v2fhir.Entry{patientEntry("p", "Hull", "2024-06-01T10:00:00Z")}}},
		{Key: "pas:3", Result: &v2fhir.Result{Entries: []v2fhir.Entry{patientEntry("q", "Ripon", "2024-06-01T10:00:00Z")}}},
		{Key: "pas:3", Result: &v2fhir.Result{Entries: []v2fhir.Entry{patientEntry("q", "Selby", "2024-07-01T10:00:00Z")}}},
	})
	if err != nil || out != (ingest.Outcome{Written: 1, Duplicate: 2}) {
		t.Fatalf("mixed batch: %+v, %v; want 1 written, 2 duplicates", out, err)
	}
	if vs := versions(t, st, "Patient", "p"); len(vs) != 2 || !strings.Contains(string(vs[0].Body), "Leeds") {
		t.Errorf("Patient/p changed by a duplicate key: %d versions", len(vs))
	}
	if vs := versions(t, st, "Patient", "q"); len(vs) != 1 || !strings.Contains(string(vs[0].Body), "Ripon") {
		t.Errorf("Patient/q: %d versions, want the first pas:3 only", len(vs))
	}

	// Without keys the old behaviour: the redelivered older message is
	// recorded again as history.
	out, err = a.ApplyAll(ctx, []*v2fhir.Result{batch[0].Result})
	if err != nil || out != (ingest.Outcome{Superseded: 1}) {
		t.Errorf("unkeyed redelivery: %+v, %v; want 1 superseded", out, err)
	}
}

// A batch that fails records none of its keys: delivered again, it is
// applied.
func TestApplyKeyedFailedBatch(t *testing.T) {
	a, st := openApplier(t)
	ctx := context.Background()
	good := ingest.Keyed{Key: "pas:1", Result: &v2fhir.Result{Entries: []v2fhir.Entry{patientEntry("p", "York", "2024-01-01T10:00:00Z")}}}
	// An entry without an id fails in the transaction, after pas:1 was
	// recorded and written.
	bad := ingest.Keyed{Key: "pas:2", Result: &v2fhir.Result{Entries: []v2fhir.Entry{patientEntry("", "Leeds", "2024-02-01T10:00:00Z")}}}
	if _, err := a.ApplyKeyed(ctx, []ingest.Keyed{good, bad}); err == nil {
		t.Fatal("a batch with an entry without an id succeeded")
	}
	if n := len(versions(t, st, "Patient", "p")); n != 0 {
		t.Fatalf("a failed batch left %d versions", n)
	}
	out, err := a.ApplyKeyed(ctx, []ingest.Keyed{good})
	if err != nil || out != (ingest.Outcome{Written: 1}) {
		t.Errorf("after a failed batch: %+v, %v; want its message applied", out, err)
	}
	if _, err := a.ApplyKeyed(ctx, []ingest.Keyed{{Key: strings.Repeat("k", store.MaxOnceKey), Result: good.Result}}); err == nil {
		t.Error("a key longer than the inbox holds was accepted")
	}
}

// An A40 links the two Patients without deleting anything: the merged one
// (never seen before here, so created from the merge's identifiers) is
// inactive with a replaced-by link, the survivor's facts and history stay,
// it gains a replaces link, and the same merge again writes nothing.
func TestApplyMerge(t *testing.T) {
	merge := mapCase(t, "adt_a40_merge.txt")
	if len(merge.Merges) != 1 {
		t.Fatalf("%d merges mapped", len(merge.Merges))
	}
	mg := merge.Merges[0]
	a, st := openApplier(t)
	ctx := context.Background()
	survivor := v2fhir.Entry{Op: v2fhir.OpUpsert, Type: "Patient", ID: mg.SurvivorID, EventTime: "2024-01-01",
		Resource: json.RawMessage(`{"resourceType":"Patient","id":"` + mg.SurvivorID + `","gender":"female"}`)}
	if _, err := a.Apply(ctx, &v2fhir.Result{Entries: []v2fhir.Entry{survivor}}); err != nil {
		t.Fatal(err)
	}
	out, err := a.Apply(ctx, merge)
	if err != nil {
		t.Fatal(err)
	}
	if out.Written != 2 {
		t.Fatalf("merge: %+v, want both Patients written", out)
	}
	var merged, surv struct {
		Active     *bool  `json:"active"`
		Gender     string `json:"gender"`
		Identifier []struct{ System, Value string }
		Link       []struct {
			Other struct{ Reference string }
			Type  string
		}
	}
	read := func(id string, v any) {
		r, err := st.Read(ctx, "Patient", id)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(r.Body, v); err != nil {
			t.Fatal(err)
		}
	}
	read(mg.MergedID, &merged)
	read(mg.SurvivorID, &surv)
	if merged.Active == nil || *merged.Active || len(merged.Link) != 1 || merged.Link[0].Type != "replaced-by" || merged.Link[0].Other.Reference != "Patient/"+mg.SurvivorID {
		t.Errorf("merged Patient: %+v", merged)
	}
	if len(merged.Identifier) == 0 || merged.Identifier[0].Value != mg.Merged.NHSNumber {
		t.Errorf("merged Patient has not the merged identifiers: %+v", merged.Identifier)
	}
	if surv.Gender != "female" || len(surv.Link) != 1 || surv.Link[0].Type != "replaces" || surv.Link[0].Other.Reference != "Patient/"+mg.MergedID {
		t.Errorf("survivor: %+v", surv)
	}
	again, err := a.Apply(ctx, merge)
	if err != nil {
		t.Fatal(err)
	}
	if again.Written != 0 || again.Unchanged != 2 {
		t.Errorf("the same merge again: %+v, want nothing written", again)
	}
	if vs := versions(t, st, "Patient", mg.SurvivorID); len(vs) != 2 {
		t.Errorf("survivor has %d versions, want 2 (its own and the link)", len(vs))
	}
}

// mapCase maps the message of one of v2fhir's test cases (the part of the
// file before its "----" line) as feed "test" of RZZ.
func mapCase(t *testing.T, name string) *v2fhir.Result {
	t.Helper()
	raw, err := os.ReadFile("../v2fhir/testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	msgText, _, _ := strings.Cut(string(raw), "\n----")
	msg, err := hl7.Parse([]byte(strings.ReplaceAll(strings.TrimSpace(msgText), "\n", "\r")))
	if err != nil {
		t.Fatal(err)
	}
	res, err := v2fhir.Map(msg, v2fhir.Feed{Name: "test", Organisation: "RZZ", LocalSystem: "https://fhir.example-trust.nhs.uk/Id"})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// A12 and A13 correct the stored Encounter, whatever their event times,
// and keep what they do not restate: a cancelled transfer puts the patient
// back where the transfer took them from; a cancelled discharge reopens
// the stay without losing when it started.
func TestApplyCancellations(t *testing.T) {
	a, st := openApplier(t)
	ctx := context.Background()
	enc := func(op v2fhir.Op, event, body string) *v2fhir.Result {
		return &v2fhir.Result{Entries: []v2fhir.Entry{{Op: op, Type: "Encounter", ID: "e1", EventTime: event, Resource: json.RawMessage(body)}}}
	}
	read := func() (r struct {
		Status   string
		Period   struct{ Start, End string }
		Location []struct {
			Location struct{ Display string }
			Status   string
		}
	}) {
		cur, err := st.Read(ctx, "Encounter", "e1")
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(cur.Body, &r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	transferred := `{"resourceType":"Encounter","id":"e1","status":"in-progress","class":{"code":"IMP"},"period":{"start":"2024-03-12T09:00:00Z"},
		"location":[{"location":{"display":"WARD9"},"status":"active"},{"location":{"display":"WARD7"},"status":"completed"}]}`
	if _, err := a.Apply(ctx, enc(v2fhir.OpUpsert, "2024-03-13T13:30:00Z", transferred)); err != nil {
		t.Fatal(err)
	}
	// The sender's A12 says it happened before the transfer it cancels.
	cancel := `{"resourceType":"Encounter","id":"e1","status":"in-progress","class":{"code":"UNK"},"location":[{"location":{"display":"ELSEWHERE"},"status":"active"}]}`
	if _, err := a.Apply(ctx, enc(v2fhir.OpCancelTransfer, "2024-03-13T12:45:00Z", cancel)); err != nil {
		t.Fatal(err)
	}
	r := read()
	if len(r.Location) != 1 || r.Location[0].Location.Display != "WARD7" || r.Location[0].Status != "active" || r.Period.Start == "" {
		t.Errorf("after A12: %+v, want back on WARD7 with the stay's start kept", r)
	}
	discharged := `{"resourceType":"Encounter","id":"e1","status":"finished","class":{"code":"IMP"},"period":{"start":"2024-03-12T09:00:00Z","end":"2024-03-14T10:00:00Z"},
		"location":[{"location":{"display":"WARD7"},"status":"completed"}]}`
	if _, err := a.Apply(ctx, enc(v2fhir.OpUpsert, "2024-03-14T10:00:00Z", discharged)); err != nil {
		t.Fatal(err)
	}
	// An A13 whose PV1-44 is empty: the period it would map has no start.
	reopen := `{"resourceType":"Encounter","id":"e1","status":"in-progress","class":{"code":"IMP"}}`
	if _, err := a.Apply(ctx, enc(v2fhir.OpCancelDischarge, "2024-03-14T11:00:00Z", reopen)); err != nil {
		t.Fatal(err)
	}
	r = read()
	if r.Status != "in-progress" || r.Period.Start != "2024-03-12T09:00:00Z" || r.Period.End != "" || len(r.Location) != 1 || r.Location[0].Status != "active" {
		t.Errorf("after A13: %+v, want in progress, started 12 March, no end, on an active location", r)
	}
}
