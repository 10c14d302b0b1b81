package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"testing"
	"time"

	"carerecord/internal/store"
)

func testCreateReadVRead(t *testing.T, s store.Store) {
	ctx := context.Background()
	before := time.Now().Add(-time.Second)
	w := put(t, s, store.Put{Type: "Observation", ID: "obs-1", Body: Observation("first")})
	if w.Version != 1 || w.Seq <= 0 || w.Deleted {
		t.Fatalf("created = version %d seq %d deleted %v, want version 1, seq > 0, not deleted", w.Version, w.Seq, w.Deleted)
	}
	if w.LastUpdated.Location() != time.UTC || !w.LastUpdated.Equal(w.LastUpdated.Truncate(time.Millisecond)) {
		t.Errorf("LastUpdated %v is not UTC with millisecond precision", w.LastUpdated)
	}
	if w.LastUpdated.Before(before) || w.LastUpdated.After(time.Now().Add(time.Second)) {
		t.Errorf("LastUpdated %v is not about now", w.LastUpdated)
	}
	r, err := s.Read(ctx, "Observation", "obs-1")
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	if r.Version != 1 || r.Seq != w.Seq || !r.LastUpdated.Equal(w.LastUpdated) || !bytes.Equal(r.Body, w.Body) {
		t.Errorf("Read = %+v, want what Put returned %+v", r, w)
	}
	if got := marker(t, r.Body); got != "first" {
		t.Errorf("Read body marker = %q, want first", got)
	}
	v, err := s.VRead(ctx, "Observation", "obs-1", 1)
	if err != nil {
		t.Fatalf("VRead 1: %v", err)
	}
	if v.Seq != w.Seq || !bytes.Equal(v.Body, w.Body) || v.Deleted {
		t.Errorf("VRead 1 = %+v, want the created version", v)
	}
	for _, tc := range []struct {
		name    string
		typ, id string
		version int64
	}{
		{"later version", "Observation", "obs-1", 2},
		{"other id", "Observation", "obs-2", 1},
		{"other type", "Patient", "obs-1", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := s.VRead(ctx, tc.typ, tc.id, tc.version); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("VRead = %v, want ErrNotFound", err)
			}
			if tc.version == 1 {
				if _, err := s.Read(ctx, tc.typ, tc.id); !errors.Is(err, store.ErrNotFound) {
					t.Errorf("Read = %v, want ErrNotFound", err)
				}
			}
		})
	}
}

func testVersionsIncrement(t *testing.T, s store.Store) {
	ctx := context.Background()
	var seqs []int64
	for i := 1; i <= 4; i++ {
		w := put(t, s, store.Put{Type: "Observation", ID: "o", Body: Observation("v" + strconv.Itoa(i))})
		if w.Version != int64(i) {
			t.Fatalf("put %d gave version %d", i, w.Version)
		}
		seqs = append(seqs, w.Seq)
	}
	for i := 1; i < len(seqs); i++ {
		if seqs[i] <= seqs[i-1] {
			t.Errorf("seqs not increasing: %v", seqs)
		}
	}
	for i := 1; i <= 4; i++ {
		v, err := s.VRead(ctx, "Observation", "o", int64(i))
		if err != nil {
			t.Fatalf("VRead %d: %v", i, err)
		}
		if got, want := marker(t, v.Body), "v"+strconv.Itoa(i); got != want {
			t.Errorf("VRead %d marker = %q, want %q", i, got, want)
		}
		if v.Seq != seqs[i-1] {
			t.Errorf("VRead %d seq = %d, want %d", i, v.Seq, seqs[i-1])
		}
	}
	r, err := s.Read(ctx, "Observation", "o")
	if err != nil || r.Version != 4 || marker(t, r.Body) != "v4" {
		t.Errorf("Read = %+v, %v; want version 4 with marker v4", r, err)
	}
}

func testMetaInBody(t *testing.T, s store.Store) {
	in := []byte(`{"resourceType":"Patient","id":"client-said","meta":{"versionId":"77",` +
		`"profile":["https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient"],"lastUpdated":"1999-01-01T00:00:00Z"},` +
		`"gender":"unknown","birthDate":"1970-01-01"}`)
	for i, body := range [][]byte{in, Patient("9990000018", "Meta")} {
		w := put(t, s, store.Put{Type: "Patient", ID: "p1", Body: body})
		var got struct {
			ResourceType string `json:"resourceType"`
			ID           string `json:"id"`
			Meta         struct {
				VersionID   string   `json:"versionId"`
				LastUpdated string   `json:"lastUpdated"`
				Profile     []string `json:"profile"`
			} `json:"meta"`
		}
		if err := json.Unmarshal(w.Body, &got); err != nil {
			t.Fatalf("stored body is not JSON: %v", err)
		}
		if got.ResourceType != "Patient" || got.ID != "p1" || got.Meta.VersionID != strconv.Itoa(i+1) {
			t.Errorf("body %d: resourceType %q id %q versionId %q, want Patient p1 %d", i, got.ResourceType, got.ID, got.Meta.VersionID, i+1)
		}
		at, err := time.Parse(time.RFC3339Nano, got.Meta.LastUpdated)
		if err != nil || !at.Equal(w.LastUpdated) {
			t.Errorf("body %d: meta.lastUpdated %q, want %v", i, got.Meta.LastUpdated, w.LastUpdated)
		}
		if i == 0 && (len(got.Meta.Profile) != 1 || !bytes.Contains(w.Body, []byte(`"birthDate":"1970-01-01"`))) {
			t.Errorf("body lost other elements: %s", w.Body)
		}
		if !bytes.HasPrefix(w.Body, []byte(`{"resourceType":"Patient"`)) {
			t.Errorf("member order not kept: %s", w.Body)
		}
		r, err := s.Read(context.Background(), "Patient", "p1")
		if err != nil || !bytes.Equal(r.Body, w.Body) {
			t.Errorf("Read body differs from Put's: %v\n%s\n%s", err, r.Body, w.Body)
		}
	}
}

func testNotFoundVsGone(t *testing.T, s store.Store) {
	ctx := context.Background()
	if _, err := del(t, s, "Observation", "never", 0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Delete of a resource that never existed = %v, want ErrNotFound", err)
	}
	put(t, s, store.Put{Type: "Observation", ID: "o", Body: Observation("alive")})
	d, err := del(t, s, "Observation", "o", 0)
	if err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if !d.Deleted || d.Version != 2 || d.Body != nil {
		t.Errorf("deletion = %+v, want Deleted version 2 with nil Body", d)
	}
	r, err := s.Read(ctx, "Observation", "o")
	if !errors.Is(err, store.ErrGone) {
		t.Fatalf("Read after delete = %v, want ErrGone", err)
	}
	if r == nil || !r.Deleted || r.Version != 2 || r.Seq != d.Seq || !r.LastUpdated.Equal(d.LastUpdated) {
		t.Errorf("Read after delete returned %+v, want the deletion's metadata %+v", r, d)
	}
	if _, err := s.Read(ctx, "Observation", "other"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Read of another id = %v, want ErrNotFound", err)
	}
	v2, err := s.VRead(ctx, "Observation", "o", 2)
	if err != nil || !v2.Deleted || v2.Body != nil {
		t.Errorf("VRead of the deletion = %+v, %v; want Deleted without body", v2, err)
	}
	v1, err := s.VRead(ctx, "Observation", "o", 1)
	if err != nil || v1.Deleted || marker(t, v1.Body) != "alive" {
		t.Errorf("VRead 1 after delete = %+v, %v; want the live version", v1, err)
	}
}

func testDeleteTwice(t *testing.T, s store.Store) {
	put(t, s, store.Put{Type: "Observation", ID: "o", Body: Observation("x")})
	first, err := del(t, s, "Observation", "o", 0)
	if err != nil {
		t.Fatal(err)
	}
	again, err := del(t, s, "Observation", "o", 0)
	if err != nil {
		t.Fatalf("second Delete = %v, want the existing deletion", err)
	}
	if again.Version != first.Version || again.Seq != first.Seq || !again.Deleted {
		t.Errorf("second Delete = %+v, want the first deletion %+v", again, first)
	}
	h, err := s.History(context.Background(), store.HistoryQuery{Type: "Observation", ID: "o"})
	if err != nil || len(h) != 2 {
		t.Errorf("history after deleting twice has %d versions (%v), want 2", len(h), err)
	}
}

func testResurrection(t *testing.T, s store.Store) {
	ctx := context.Background()
	put(t, s, store.Put{Type: "Patient", ID: "p", Body: Patient("9990000026", "Before"),
		Index: Identifiers(Ident(nhsSystem, "9990000026"))})
	if _, err := del(t, s, "Patient", "p", 0); err != nil {
		t.Fatal(err)
	}
	w := put(t, s, store.Put{Type: "Patient", ID: "p", Body: Patient("9990000026", "After"),
		Index: Identifiers(Ident(nhsSystem, "9990000026"))})
	if w.Version != 3 || w.Deleted {
		t.Fatalf("Put after delete = version %d deleted %v, want version 3", w.Version, w.Deleted)
	}
	r, err := s.Read(ctx, "Patient", "p")
	if err != nil || r.Version != 3 || !bytes.Contains(r.Body, []byte(`"After"`)) {
		t.Errorf("Read after resurrection = %+v, %v", r, err)
	}
	ids, err := s.FindByToken(ctx, "Patient", "identifier", nhsSystem, "9990000026")
	if err != nil || !sameIDs(ids, []string{"p"}) {
		t.Errorf("FindByToken after resurrection = %v, %v; want [p]", ids, err)
	}
}

func testIfMatch(t *testing.T, s store.Store) {
	put(t, s, store.Put{Type: "Observation", ID: "o", Body: Observation("v1")})
	put(t, s, store.Put{Type: "Observation", ID: "o", Body: Observation("v2")})
	tests := []struct {
		name    string
		id      string
		ifMatch int64
		delete  bool
		wantErr error
		wantVer int64
	}{
		{"stale version", "o", 1, false, store.ErrVersionConflict, 0},
		{"future version", "o", 5, false, store.ErrVersionConflict, 0},
		{"missing resource", "nope", 1, false, store.ErrVersionConflict, 0},
		{"current version", "o", 2, false, nil, 3},
		{"delete stale", "o", 2, true, store.ErrVersionConflict, 0},
		{"delete current", "o", 3, true, nil, 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var r *store.Resource
			var err error
			if tc.delete {
				r, err = del(t, s, "Observation", tc.id, tc.ifMatch)
			} else {
				r, err = tryPut(s, store.Put{Type: "Observation", ID: tc.id, IfMatch: tc.ifMatch, Body: Observation(tc.name)})
			}
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if tc.wantErr == nil && r.Version != tc.wantVer {
				t.Errorf("version = %d, want %d", r.Version, tc.wantVer)
			}
		})
	}
	h, err := s.History(context.Background(), store.HistoryQuery{Type: "Observation", ID: "o"})
	if err != nil || len(h) != 4 {
		t.Errorf("history has %d versions (%v), want 4: conflicts must write nothing", len(h), err)
	}
	if _, err := s.Read(context.Background(), "Observation", "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("conflicting IfMatch created a resource: %v", err)
	}
}

func testIfNoneExist(t *testing.T, s store.Store) {
	p := store.Put{Type: "Observation", ID: "o", IfNoneExist: true, Body: Observation("x")}
	if w, err := tryPut(s, p); err != nil || w.Version != 1 {
		t.Fatalf("first IfNoneExist put = %+v, %v; want version 1", w, err)
	}
	if _, err := tryPut(s, p); !errors.Is(err, store.ErrVersionConflict) {
		t.Errorf("IfNoneExist on an existing resource = %v, want ErrVersionConflict", err)
	}
	if _, err := del(t, s, "Observation", "o", 0); err != nil {
		t.Fatal(err)
	}
	if w, err := tryPut(s, p); err != nil || w.Version != 3 {
		t.Errorf("IfNoneExist on a deleted resource = %+v, %v; want version 3", w, err)
	}
}

func testTokens(t *testing.T, s store.Store) {
	ctx := context.Background()
	const sysA, sysB = "https://example.org/a", "https://example.org/b"
	put(t, s, store.Put{Type: "Patient", ID: "p1", Body: Patient("9990000034", "One"), Index: Identifiers(
		Ident(sysA, "123"),
		Ident(sysB, "123"),
		Ident(sysB, "123"), // repeated: stored once
	)})
	put(t, s, store.Put{Type: "Patient", ID: "p2", Body: Patient("9990000042", "Two"),
		Index: Identifiers(Ident(sysA, "123"))})
	put(t, s, store.Put{Type: "Observation", ID: "p0", Body: Observation("same value, other type"),
		Index: Identifiers(Ident(sysA, "123"))})
	find := func(system, value string) []string {
		t.Helper()
		ids, err := s.FindByToken(ctx, "Patient", "identifier", system, value)
		if err != nil {
			t.Fatalf("FindByToken: %v", err)
		}
		return ids
	}
	steps := []struct {
		name          string
		change        func()
		system, value string
		want          []string
	}{
		{"any system", nil, "", "123", []string{"p1", "p2"}},
		{"system a", nil, sysA, "123", []string{"p1", "p2"}},
		{"system b", nil, sysB, "123", []string{"p1"}},
		{"unknown system", nil, "https://example.org/c", "123", nil},
		{"unknown value", nil, "", "456", nil},
		{"replaced on update", func() {
			put(t, s, store.Put{Type: "Patient", ID: "p1", Body: Patient("9990000034", "One"),
				Index: Identifiers(Ident(sysB, "456"))})
		}, "", "123", []string{"p2"}},
		{"new token after update", nil, sysB, "456", []string{"p1"}},
		{"gone on delete", func() {
			if _, err := del(t, s, "Patient", "p2", 0); err != nil {
				t.Fatal(err)
			}
		}, "", "123", nil},
		{"other param does not match", nil, "", "9990000034", nil},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if st.change != nil {
				st.change()
			}
			if got := find(st.system, st.value); !sameIDs(got, st.want) {
				t.Errorf("FindByToken(%q, %q) = %v, want %v", st.system, st.value, got, st.want)
			}
		})
	}
}

func testTxSeesOwnWrites(t *testing.T, s store.Store) {
	ctx := context.Background()
	const sys = "https://example.org/a"
	err := s.Write(ctx, func(tx store.Tx) error {
		if _, err := tx.Put(ctx, store.Put{Type: "Patient", ID: "p", Body: Patient("9990000050", "Own"),
			Index: Identifiers(Ident(sys, "v"))}); err != nil {
			return err
		}
		r, err := tx.Read(ctx, "Patient", "p")
		if err != nil || r.Version != 1 {
			t.Errorf("Tx.Read of own write = %+v, %v", r, err)
		}
		ids, err := tx.FindByToken(ctx, "Patient", "identifier", sys, "v")
		if err != nil || !sameIDs(ids, []string{"p"}) {
			t.Errorf("Tx.FindByToken of own write = %v, %v", ids, err)
		}
		// Reads outside the write neither see it nor wait for it.
		if _, err := s.Read(ctx, "Patient", "p"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Store.Read during the write = %v, want ErrNotFound", err)
		}
		if _, err := tx.Delete(ctx, "Patient", "p", 0); err != nil {
			return err
		}
		if _, err := tx.Read(ctx, "Patient", "p"); !errors.Is(err, store.ErrGone) {
			t.Errorf("Tx.Read after own delete = %v, want ErrGone", err)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Write: %v", err)
	}
	h, err := s.History(ctx, store.HistoryQuery{Type: "Patient", ID: "p"})
	if err != nil || len(h) != 2 || !h[0].Deleted || h[0].Version != 2 {
		t.Errorf("history = %+v, %v; want deletion (version 2) over version 1", h, err)
	}
}

func testCanceledWrite(t *testing.T, s store.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	called := false
	err := s.Write(ctx, func(tx store.Tx) error {
		called = true
		_, err := tx.Put(ctx, store.Put{Type: "Observation", ID: "o", Body: Observation("x")})
		return err
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Write with a canceled context = %v, want context.Canceled", err)
	}
	if called {
		t.Error("Write ran fn although its context was canceled before it started")
	}
	if _, err := s.Read(context.Background(), "Observation", "o"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("canceled write is visible: %v", err)
	}
}

func testStats(t *testing.T, s store.Store) {
	st, ok := s.(store.Stats)
	if !ok {
		t.Skip("store does not implement store.Stats")
	}
	put(t, s, store.Put{Type: "Observation", ID: "a", Body: Observation("1")})
	put(t, s, store.Put{Type: "Observation", ID: "a", Body: Observation("2")})
	put(t, s, store.Put{Type: "Observation", ID: "b", Body: Observation("1")})
	if _, err := del(t, s, "Observation", "b", 0); err != nil {
		t.Fatal(err)
	}
	res, ver, err := st.Count(context.Background())
	if err != nil || res != 1 || ver != 4 {
		t.Errorf("Count = %d resources, %d versions, %v; want 1, 4", res, ver, err)
	}
}
