package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"carerecord/internal/store"
)

// ADTA01 is a synthetic HL7 v2 admission (segments ended by CR) of the
// size a hospital PAS sends, for a test NHS number.
func ADTA01(controlID, nhsNumber string) []byte {
	return []byte(strings.Join([]string{
		`MSH|^~\&|PAS|RRV|CARERECORD|ICS|20250601101500||ADT^A01^ADT_A01|` + controlID + `|P|2.4|||AL|NE|GBR|UNICODE UTF-8`,
		`EVN|A01|20250601101500|||C1234567^WHO^JOHN^^^DR^^^GMC|20250601101000`,
		`PID|1||RRV900001^^^RRVMRN^MR~` + nhsNumber + `^^^NHS^NH||FEEDWELL^ALEX^JAMES^^MX^^L||19720405|U|||3 STATION ROAD^FLAT 2^LEEDS^WEST YORKSHIRE^LS2 7AA^GBR^H||07700900999^PRN^CP~^NET^Internet^alex@example.org|||S||||||A|||||||01`,
		`PD1|||GREEN LANE SURGERY^^B82001|G1234567^PRACTICE^GP^^^DR^^^GMC`,
		`NK1|1|FEEDWELL^SAM|SPO^Spouse|3 STATION ROAD^^LEEDS^^LS2 7AA^GBR|07700900998`,
		`PV1|1|I|WARD3^BAY1^BED4^LGI^^^^^WARD 3||||C7654321^DOCTOR^DEMO^^^DR^^^GMC|||300|||||||||RRV40000001|||||||||||||||||||||||||20250601100000|`,
		`PV2|||^CHEST PAIN`,
	}, "\r") + "\r")
}

// logMessages logs ms in one Write and returns the IDs given.
func logMessages(t testing.TB, s store.Store, ms ...store.MessageRecord) []int64 {
	t.Helper()
	var ids []int64
	err := s.Write(context.Background(), func(tx store.Tx) error {
		ids = ids[:0]
		for _, m := range ms {
			id, err := tx.LogMessage(context.Background(), m)
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Write with LogMessage: %v", err)
	}
	return ids
}

// searchIDs returns the control ids SearchMessages answers, in its order.
func searchIDs(t testing.TB, s store.Store, f store.MessageFilter) []string {
	t.Helper()
	ms, err := s.SearchMessages(context.Background(), f)
	if err != nil {
		t.Fatalf("SearchMessages(%+v): %v", f, err)
	}
	out := []string{}
	for _, m := range ms {
		if m.Body != nil && !f.WithBody {
			t.Errorf("SearchMessages(%+v) returned %s with its body", f, m.ControlID)
		}
		out = append(out, m.ControlID)
	}
	return out
}

const nhsPrefix = nhsSystem + "|"

// Messages are found by each filter, newest first, and paged by cursor.
func testMessageSearch(t *testing.T, s store.Store) {
	ctx := context.Background()
	t0 := time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)
	at := func(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }
	msg := func(id, feed, typ string, min int, status store.MessageStatus, patients ...string) store.MessageRecord {
		return store.MessageRecord{Key: "v2:" + feed + ":" + id, Feed: feed, ControlID: id, Type: typ, Received: at(min),
			EventTime: "2025-06-01T10:00:00Z", Status: status, Patients: patients,
			Outcome: []string{"Patient/p-" + id + "/_history/1"}, Body: ADTA01(id, "9990000018")}
	}
	ids := logMessages(t, s,
		msg("A1", "pas", "ADT^A01", 1, store.MessageApplied, nhsPrefix+"9990000018", "urn:rrv:mrn|RRV1"),
		msg("A2", "pas", "ADT^A08", 2, store.MessageApplied, nhsPrefix+"9990000018"),
		msg("R1", "lab", "ORU^R01", 3, store.MessageApplied, nhsPrefix+"9990000026", "urn:lab|9990000018"),
		msg("Q1", "pas", "QRY^A19", 4, store.MessageUnsupported),
		msg("A1", "pas", "ADT^A01", 5, store.MessageDuplicate, nhsPrefix+"9990000018", "urn:rrv:mrn|RRV1"),
		msg("X1", "lab", "ADTX^A01", 6, store.MessageApplied), // shares the prefix ADT but not the type
	)
	for i, id := range ids {
		if id <= 0 || i > 0 && id <= ids[i-1] {
			t.Fatalf("LogMessage ids = %v, want positive and increasing", ids)
		}
	}
	tests := []struct {
		name string
		f    store.MessageFilter
		want string
	}{
		{"all, newest first", store.MessageFilter{}, "X1 A1 Q1 R1 A2 A1"},
		{"feed", store.MessageFilter{Feed: "lab"}, "X1 R1"},
		{"type prefix", store.MessageFilter{Type: "ADT"}, "A1 A2 A1"},
		{"type and event", store.MessageFilter{Type: "ADT^A08"}, "A2"},
		{"unknown type", store.MessageFilter{Type: "ZZZ"}, ""},
		{"control id", store.MessageFilter{ControlID: "A1"}, "A1 A1"},
		{"control id and feed", store.MessageFilter{ControlID: "A1", Feed: "lab"}, ""},
		{"status", store.MessageFilter{Status: store.MessageUnsupported}, "Q1"},
		{"patient system|value", store.MessageFilter{Patient: nhsPrefix + "9990000018"}, "A1 A2 A1"},
		{"patient bare value, any system", store.MessageFilter{Patient: "9990000018"}, "A1 R1 A2 A1"},
		{"patient local identifier", store.MessageFilter{Patient: "urn:rrv:mrn|RRV1"}, "A1 A1"},
		{"patient |value: without system", store.MessageFilter{Patient: "|9990000018"}, ""},
		{"patient and type", store.MessageFilter{Patient: "9990000018", Type: "ORU"}, "R1"},
		{"since", store.MessageFilter{Since: at(4)}, "X1 A1 Q1"},
		{"until is exclusive", store.MessageFilter{Until: at(3)}, "A2 A1"},
		{"range", store.MessageFilter{Since: at(2), Until: at(4).Add(time.Millisecond)}, "Q1 R1 A2"},
		{"sub-millisecond bounds", store.MessageFilter{Since: at(2).Add(-time.Microsecond), Until: at(2).Add(time.Microsecond)}, "A2"},
		{"limit", store.MessageFilter{Limit: 2}, "X1 A1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := strings.Join(searchIDs(t, s, tt.f), " "); got != tt.want {
				t.Errorf("SearchMessages(%+v) = %q, want %q", tt.f, got, tt.want)
			}
		})
	}

	// Paging: each page continues after the previous page's last record.
	var pages []string
	f := store.MessageFilter{Limit: 4}
	for range 4 {
		ms, err := s.SearchMessages(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		if len(ms) == 0 {
			break
		}
		var page []string
		for _, m := range ms {
			page = append(page, m.ControlID)
		}
		pages = append(pages, strings.Join(page, " "))
		c, err := store.ParseMessageCursor(ms[len(ms)-1].Cursor().String())
		if err != nil {
			t.Fatal(err)
		}
		f.After = c
	}
	if got := strings.Join(pages, " / "); got != "X1 A1 Q1 R1 / A2 A1" {
		t.Errorf("pages = %q", got)
	}

	// One record: everything logged comes back, with the body.
	m, err := s.Message(ctx, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	want := msg("A1", "pas", "ADT^A01", 1, store.MessageApplied, nhsPrefix+"9990000018", "urn:rrv:mrn|RRV1")
	want.ID = ids[0]
	if fmt.Sprintf("%+v", *m) != fmt.Sprintf("%+v", want) || !m.Received.Equal(want.Received) {
		t.Errorf("Message(%d) =\n%+v\nwant\n%+v", ids[0], *m, want)
	}
	withBody, err := s.SearchMessages(ctx, store.MessageFilter{ControlID: "Q1", WithBody: true})
	if err != nil || len(withBody) != 1 || string(withBody[0].Body) != string(ADTA01("Q1", "9990000018")) {
		t.Errorf("SearchMessages WithBody = %v, %v", withBody, err)
	}
	if _, err := s.Message(ctx, ids[len(ids)-1]+100); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Message(unknown id) = %v, want ErrNotFound", err)
	}
}

// What cannot be stored as text is cleaned, not refused; a missing time is
// the transaction's; a bad status is refused.
func testMessageText(t *testing.T, s store.Store) {
	ctx := context.Background()
	before := time.Now().Add(-time.Second)
	ids := logMessages(t, s, store.MessageRecord{
		Feed: "pas", ControlID: "bad\x00id\xff", Type: "ADT^A01", Status: store.MessageApplied,
		Patients: []string{"urn:x|1", "urn:x|1", "urn:x|2\n3", ""},
		Outcome:  []string{"Patient/a/_history/1", "two\nlines"},
	})
	m, err := s.Message(ctx, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	if m.ControlID != "badid\uFFFD" || strings.Join(m.Patients, ",") != "urn:x|1,urn:x|2 3" ||
		strings.Join(m.Outcome, ",") != "Patient/a/_history/1,two lines" || len(m.Body) != 0 {
		t.Errorf("Message = %+v", *m)
	}
	if m.Received.Before(before) || m.Received.After(time.Now().Add(time.Second)) {
		t.Errorf("Received = %v, want the transaction's time (about %v)", m.Received, time.Now())
	}
	if got := searchIDs(t, s, store.MessageFilter{Patient: "urn:x|1"}); len(got) != 1 {
		t.Errorf("found by a repeated identifier %d times, want once", len(got))
	}
	err = s.Write(ctx, func(tx store.Tx) error {
		_, err := tx.LogMessage(ctx, store.MessageRecord{Feed: "pas", Status: "lost"})
		return err
	})
	if err == nil {
		t.Error("LogMessage with an unknown status succeeded")
	}
}

// A Write that fails logs nothing, alone or in a group with Writes that
// commit.
func testMessageRolledBack(t *testing.T, s store.Store, failStatement func(context.Context, store.Tx) error) {
	ctx := context.Background()
	type write struct {
		id   string
		fail func(store.Tx) error
	}
	returnErr := func(store.Tx) error { return errBoom }
	writes := []write{{"ok-1", nil}, {"fail-1", returnErr}, {"ok-2", nil}}
	if failStatement != nil {
		writes = append(writes, write{"fail-2", func(tx store.Tx) error {
			_ = failStatement(ctx, tx)
			return nil
		}}, write{"ok-3", nil})
	}
	release := holdWriter(t, s)
	errs := make([]error, len(writes))
	var wg sync.WaitGroup
	for i, w := range writes {
		wg.Go(func() {
			errs[i] = s.Write(ctx, func(tx store.Tx) error {
				_, err := tx.LogMessage(ctx, store.MessageRecord{Feed: "pas", ControlID: w.id, Type: "ADT^A01",
					Status: store.MessageApplied, Patients: []string{"urn:x|" + w.id, nhsPrefix + "9990000018"}})
				if err != nil || w.fail == nil {
					return err
				}
				return w.fail(tx)
			})
		})
		waitAWhile()
	}
	release()
	wg.Wait()
	var want []string
	for i, w := range writes {
		if (errs[i] == nil) != (w.fail == nil) {
			t.Errorf("Write %s = %v", w.id, errs[i])
		}
		if w.fail == nil {
			want = append([]string{w.id}, want...)
		}
	}
	if got := searchIDs(t, s, store.MessageFilter{Patient: "9990000018"}); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("logged = %v, want %v", got, want)
	}
	for _, w := range writes {
		got := searchIDs(t, s, store.MessageFilter{Patient: "urn:x|" + w.id})
		if (len(got) == 1) != (w.fail == nil) {
			t.Errorf("by the patient of %s: %v", w.id, got)
		}
	}
}

// PruneMessages deletes the messages received before its instant, in
// batches, with the rows that find them by patient.
func testPruneMessages(t *testing.T, s store.Store) {
	ctx := context.Background()
	old := time.Now().Add(-48 * time.Hour).Truncate(time.Millisecond) // as stored
	const n = 2500                                                    // more than one batch
	ms := make([]store.MessageRecord, n)
	for i := range ms {
		ms[i] = store.MessageRecord{Feed: "pas", ControlID: fmt.Sprint("old-", i), Type: "ADT^A01", Status: store.MessageApplied,
			Received: old.Add(time.Duration(i) * time.Millisecond), Patients: []string{nhsPrefix + "9990000018", fmt.Sprint("urn:x|", i)},
			Body: ADTA01(fmt.Sprint("old-", i), "9990000018")}
	}
	logMessages(t, s, ms...)
	logMessages(t, s, store.MessageRecord{Feed: "pas", ControlID: "new", Type: "ADT^A08", Status: store.MessageApplied,
		Patients: []string{nhsPrefix + "9990000018"}, Body: []byte("MSH|new\r")})
	if got, err := s.PruneMessages(ctx, old); err != nil || got != 0 {
		t.Errorf("PruneMessages(before all) = %d, %v; want 0", got, err)
	}
	if got, err := s.PruneMessages(ctx, old.Add(10*time.Millisecond)); err != nil || got != 10 {
		t.Errorf("PruneMessages(10 ms in) = %d, %v; want 10", got, err)
	}
	if got, err := s.PruneMessages(ctx, time.Now().Add(-time.Hour)); err != nil || got != n-10 {
		t.Errorf("PruneMessages(an hour ago) = %d, %v; want %d", got, err, n-10)
	}
	if got := searchIDs(t, s, store.MessageFilter{Patient: "9990000018", Limit: store.MaxMessageLimit}); strings.Join(got, " ") != "new" {
		t.Errorf("after pruning, by patient: %v", got)
	}
	if got := searchIDs(t, s, store.MessageFilter{Patient: "urn:x|7"}); len(got) != 0 {
		t.Errorf("after pruning, by a pruned message's identifier: %v", got)
	}
	// A cut-off in the future prunes everything.
	if got, err := s.PruneMessages(ctx, time.Now().Add(time.Hour)); err != nil || got != 1 {
		t.Errorf("PruneMessages(future) = %d, %v; want 1", got, err)
	}
	if got := searchIDs(t, s, store.MessageFilter{}); len(got) != 0 {
		t.Errorf("after pruning everything: %v", got)
	}
}

// MessageFootprint logs n ADT^A01 messages (ADTA01, with an NHS number and
// a local identifier each) in batches of 100, then asks size for the bytes
// the backend holds on disk for the message log, and reports the bytes
// per message beside the raw message's size. It fails above limit times
// the message.
func MessageFootprint(t *testing.T, s store.Store, n int, limit float64, size func(context.Context) (int64, error)) {
	t.Helper()
	ctx := context.Background()
	base, err := size(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var raw int
	now := time.Now()
	for i := 0; i < n; i += 100 {
		batch := make([]store.MessageRecord, 0, 100)
		for j := i; j < min(n, i+100); j++ {
			id := fmt.Sprintf("PAS%08d", j)
			nhs := fmt.Sprintf("999%07d", j)
			m := store.MessageRecord{Key: "v2:pas\x1f" + id + "\x1f0123456789abcdef0123456789abcdef", Feed: "pas-adt", ControlID: id,
				Type: "ADT^A01", Received: now, EventTime: "2025-06-01T10:15:00+01:00", Status: store.MessageApplied,
				Patients: []string{nhsPrefix + nhs, "https://fhir.rrv.nhs.uk/Id/mrn|RRV" + nhs},
				Outcome:  []string{"Patient/0123456789abcdef0123456789abcdef/_history/1", "Encounter/fedcba9876543210fedcba9876543210/_history/1"},
				Body:     ADTA01(id, nhs)}
			raw += len(m.Body)
			batch = append(batch, m)
		}
		logMessages(t, s, batch...)
	}
	total, err := size(ctx)
	if err != nil {
		t.Fatal(err)
	}
	per, perRaw := float64(total-base)/float64(n), float64(raw)/float64(n)
	t.Logf("%d ADT^A01 messages logged: %d bytes on disk, %.0f bytes per message for a %.0f-byte message (%.2fx)",
		n, total-base, per, perRaw, per/perRaw)
	if per > limit*perRaw {
		t.Errorf("%.0f bytes per logged message, more than %.1f times the %.0f-byte message", per, limit, perRaw)
	}
}
