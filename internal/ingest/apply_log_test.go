package ingest_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"carerecord/internal/hl7"
	"carerecord/internal/ingest"
	"carerecord/internal/search"
	"carerecord/internal/store"
	"carerecord/internal/store/sqlite"
	"carerecord/internal/v2fhir"
)

// Each keyed message with a Log is logged in the transaction that applies
// it, with what each entry became; a duplicate and an unsupported message
// are logged too; a failed batch logs nothing.
func TestApplyKeyedLogs(t *testing.T) {
	a, st := openApplier(t)
	ctx := context.Background()
	received := time.Date(2024, 3, 1, 10, 0, 5, 0, time.UTC)
	logOf := func(id string) *store.MessageRecord {
		return &store.MessageRecord{Feed: "pas", ControlID: id, Received: received, Body: []byte("MSH|" + id + "\r")}
	}
	patient := &v2fhir.PatientKeys{NHSNumber: "9990000018", Local: []v2fhir.LocalID{{System: "urn:rzz:mrn", Value: "RZZ1"}}}
	enc := v2fhir.Entry{Op: v2fhir.OpMarkStatus, Type: "Encounter", ID: "gone", Status: "cancelled", EventTime: "2024-03-01T10:00:00Z"}
	admit := ingest.Keyed{Key: "pas:1", Log: logOf("M1"), Result: &v2fhir.Result{MessageType: "ADT^A01", EventTime: "2024-03-01T10:00:00Z",
		Patient: patient, Entries: []v2fhir.Entry{patientEntry("p", "Leeds", "2024-03-01T10:00:00Z"), enc}}}
	older := ingest.Keyed{Key: "pas:2", Log: logOf("M2"), Result: &v2fhir.Result{MessageType: "ADT^A08", EventTime: "2023-01-01T10:00:00Z",
		Patient: patient, Entries: []v2fhir.Entry{patientEntry("p", "York", "2023-01-01T10:00:00Z")}}}
	query := ingest.Keyed{Key: "pas:3", Log: logOf("M3"), Result: &v2fhir.Result{MessageType: "QRY^A19", Unsupported: true}}
	if _, err := a.ApplyKeyed(ctx, []ingest.Keyed{admit, older, query}); err != nil {
		t.Fatal(err)
	}
	again := ingest.Keyed{Key: "pas:1", Log: logOf("M1"), Result: admit.Result}
	same := ingest.Keyed{Key: "pas:4", Log: logOf("M4"), Result: &v2fhir.Result{MessageType: "ADT^A08",
		Entries: []v2fhir.Entry{patientEntry("p", "Leeds", "2024-03-01T10:00:00Z")}}}
	if out, err := a.ApplyKeyed(ctx, []ingest.Keyed{again, same}); err != nil || out.Duplicate != 1 || out.Unchanged != 1 {
		t.Fatalf("second batch: %+v, %v", out, err)
	}
	for _, k := range []ingest.Keyed{admit, older, query, again, same} {
		if k.Log.ID == 0 {
			t.Errorf("%s: no log ID", k.Log.ControlID)
		}
	}

	ms, err := st.SearchMessages(ctx, store.MessageFilter{Feed: "pas"})
	if err != nil {
		t.Fatal(err)
	}
	got := make([]string, len(ms))
	for i, m := range ms {
		got[i] = m.ControlID + " " + m.Type + " " + string(m.Status) + ": " + strings.Join(m.Outcome, ", ")
	}
	slices.Reverse(got) // oldest first: all share one received time, so ID order
	want := []string{
		"M1 ADT^A01 applied: Patient/p/_history/1, Encounter/gone not stored",
		"M2 ADT^A08 applied: Patient/p/_history/2 superseded",
		"M3 QRY^A19 unsupported: ",
		"M1 ADT^A01 duplicate: ",
		"M4 ADT^A08 applied: Patient/p/_history/3 unchanged",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("log:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	m, err := st.Message(ctx, admit.Log.ID)
	if err != nil {
		t.Fatal(err)
	}
	if m.Key != ingest.KeyPrefix+"pas:1" || m.EventTime != "2024-03-01T10:00:00Z" || !m.Received.Equal(received) ||
		strings.Join(m.Patients, " ") != "https://fhir.nhs.uk/Id/nhs-number|9990000018 urn:rzz:mrn|RZZ1" || string(m.Body) != "MSH|M1\r" {
		t.Errorf("logged admission: %+v", *m)
	}
	// What the outcome names is in the record.
	if r, err := st.VRead(ctx, "Patient", "p", 2); err != nil || !strings.Contains(string(r.Body), "York") {
		t.Errorf("Patient/p/_history/2: %v", err)
	}

	// A failed batch logs nothing.
	bad := ingest.Keyed{Key: "pas:5", Log: logOf("M5"), Result: &v2fhir.Result{Entries: []v2fhir.Entry{patientEntry("", "Hull", "2024-06-01T10:00:00Z")}}}
	if _, err := a.ApplyKeyed(ctx, []ingest.Keyed{{Key: "pas:6", Log: logOf("M6"), Result: same.Result}, bad}); err == nil {
		t.Fatal("a batch with an entry without an id succeeded")
	}
	if ms, err := st.SearchMessages(ctx, store.MessageFilter{}); err != nil || len(ms) != 5 {
		t.Errorf("after a failed batch: %d logged, %v; want still 5", len(ms), err)
	}
	if _, err := st.Message(ctx, 1000); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Message(1000) = %v", err)
	}
}

// BenchmarkApplyKeyedLog is BenchmarkApply with the inbox, without and
// with the message log: what logging each message costs the writer.
func BenchmarkApplyKeyedLog(b *testing.B) {
	for _, logged := range []bool{false, true} {
		b.Run(map[bool]string{false: "inbox", true: "inbox+log"}[logged], func(b *testing.B) {
			st, err := sqlite.Open(context.Background(), b.TempDir())
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			a := ingest.NewApplier(st, search.NewRegistry(search.FHIRPath))
			feed := v2fhir.Feed{Name: "pas", Organisation: "RZZ"}
			const batch = 64
			n := 0
			for b.Loop() {
				ms := make([]ingest.Keyed, batch)
				for i := range ms {
					raw := []byte(benchADT(n))
					msg, err := hl7.Parse(raw)
					if err != nil {
						b.Fatal(err)
					}
					ms[i].Key = fmt.Sprint("pas:", n)
					if ms[i].Result, err = v2fhir.Map(msg, feed); err != nil {
						b.Fatal(err)
					}
					if logged {
						ms[i].Log = &store.MessageRecord{Feed: "pas", ControlID: msg.ControlID(), Received: time.Now(), Body: raw}
					}
					n++
				}
				if _, err := a.ApplyKeyed(context.Background(), ms); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}
