package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"carerecord/internal/store"
)

// history fetches a history page or fails the test.
func history(t *testing.T, s store.Store, q store.HistoryQuery) []store.Resource {
	t.Helper()
	h, err := s.History(context.Background(), q)
	if err != nil {
		t.Fatalf("History(%+v): %v", q, err)
	}
	return h
}

func keys(rs []store.Resource) []key {
	out := make([]key, len(rs))
	for i, r := range rs {
		out[i] = keyOf(r)
	}
	return out
}

func newestFirst(t *testing.T, rs []store.Resource) {
	t.Helper()
	for i := 1; i < len(rs); i++ {
		if rs[i].Seq >= rs[i-1].Seq {
			t.Fatalf("history not newest first: seq %d after %d", rs[i].Seq, rs[i-1].Seq)
		}
	}
}

func testHistoryScopes(t *testing.T, s store.Store) {
	// Writes in this order: Observation a1 a2, Patient p1, Observation b1 a3.
	var all []key
	write := func(typ, id string, body []byte) {
		r := put(t, s, store.Put{Type: typ, ID: id, Body: body})
		all = append(all, keyOf(*r))
	}
	write("Observation", "a", Observation("a1"))
	write("Observation", "a", Observation("a2"))
	write("Patient", "p", Patient("9990000069", "Hist"))
	write("Observation", "b", Observation("b1"))
	write("Observation", "a", Observation("a3"))
	slices.Reverse(all) // newest first
	filter := func(f func(key) bool) []key {
		var out []key
		for _, k := range all {
			if f(k) {
				out = append(out, k)
			}
		}
		return out
	}
	tests := []struct {
		name string
		q    store.HistoryQuery
		want []key
	}{
		{"instance", store.HistoryQuery{Type: "Observation", ID: "a"}, filter(func(k key) bool { return k.id == "a" })},
		{"type", store.HistoryQuery{Type: "Observation"}, filter(func(k key) bool { return k.typ == "Observation" })},
		{"system", store.HistoryQuery{}, all},
		{"count", store.HistoryQuery{Count: 2}, all[:2]},
		{"before seq", store.HistoryQuery{Type: "Observation", BeforeSeq: seqOf(t, s, all[1])},
			filter(func(k key) bool { return k.typ == "Observation" && k != all[0] && k != all[1] })},
		{"unknown instance", store.HistoryQuery{Type: "Observation", ID: "zzz"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := history(t, s, tc.q)
			newestFirst(t, h)
			if got := keys(h); !slices.Equal(got, tc.want) {
				t.Errorf("History = %v, want %v", got, tc.want)
			}
			for _, r := range h {
				if r.Body == nil || marker(t, r.Body) == "" && r.Type == "Observation" {
					t.Errorf("history version %v has no body", keyOf(r))
				}
			}
		})
	}
}

func seqOf(t *testing.T, s store.Store, k key) int64 {
	t.Helper()
	r, err := s.VRead(context.Background(), k.typ, k.id, k.version)
	if err != nil {
		t.Fatalf("VRead %v: %v", k, err)
	}
	return r.Seq
}

func testHistorySurvivesDelete(t *testing.T, s store.Store) {
	put(t, s, store.Put{Type: "Observation", ID: "o", Body: Observation("1")})
	put(t, s, store.Put{Type: "Observation", ID: "o", Body: Observation("2")})
	if _, err := del(t, s, "Observation", "o", 0); err != nil {
		t.Fatal(err)
	}
	h := history(t, s, store.HistoryQuery{Type: "Observation", ID: "o"})
	if len(h) != 3 {
		t.Fatalf("history has %d versions, want 3", len(h))
	}
	newestFirst(t, h)
	if !h[0].Deleted || h[0].Version != 3 || h[0].Body != nil {
		t.Errorf("newest = %+v, want the deletion (version 3, no body)", h[0])
	}
	for i, want := range []string{"2", "1"} {
		if got := marker(t, h[i+1].Body); got != want || h[i+1].Deleted {
			t.Errorf("history[%d] marker %q deleted %v, want %q live", i+1, got, h[i+1].Deleted, want)
		}
	}
	sys := history(t, s, store.HistoryQuery{})
	if len(sys) != 3 || !sys[0].Deleted {
		t.Errorf("system history = %v, want the deletion first of 3", keys(sys))
	}
}

func testHistorySince(t *testing.T, s store.Store) {
	// Separate the writes in time so each gets its own LastUpdated.
	var ws []*store.Resource
	for i := range 4 {
		ws = append(ws, put(t, s, store.Put{Type: "Observation", ID: "o", Body: Observation(fmt.Sprint(i))}))
		time.Sleep(5 * time.Millisecond)
	}
	for i := 1; i < len(ws); i++ {
		if !ws[i].LastUpdated.After(ws[i-1].LastUpdated) {
			t.Fatalf("LastUpdated did not advance: %v then %v", ws[i-1].LastUpdated, ws[i].LastUpdated)
		}
	}
	tests := []struct {
		name  string
		since time.Time
		want  int
	}{
		{"exactly the third", ws[2].LastUpdated, 2},
		{"just after the third", ws[2].LastUpdated.Add(time.Nanosecond), 1},
		{"just before the second", ws[1].LastUpdated.Add(-time.Nanosecond), 3},
		{"in another zone", ws[1].LastUpdated.In(time.FixedZone("X", 5*3600)), 3},
		{"future", time.Now().Add(time.Hour), 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, q := range []store.HistoryQuery{
				{Type: "Observation", ID: "o", Since: tc.since},
				{Type: "Observation", Since: tc.since},
				{Since: tc.since},
			} {
				h := history(t, s, q)
				if len(h) != tc.want {
					t.Errorf("History(%+v) gave %d versions, want %d", q, len(h), tc.want)
				}
				for _, r := range h {
					if r.LastUpdated.Before(tc.since) {
						t.Errorf("version %v LastUpdated %v is before Since", keyOf(r), r.LastUpdated)
					}
				}
			}
		})
	}
}

// testHistoryPagingStable pages through system history with BeforeSeq while
// new versions are written between pages: the pages together are exactly the
// history as it was when paging began.
func testHistoryPagingStable(t *testing.T, s store.Store) {
	for i := range 7 {
		put(t, s, store.Put{Type: "Observation", ID: fmt.Sprint("o", i%3), Body: Observation(fmt.Sprint(i))})
	}
	want := keys(history(t, s, store.HistoryQuery{}))
	if len(want) != 7 {
		t.Fatalf("history has %d versions, want 7", len(want))
	}
	for _, scope := range []store.HistoryQuery{{}, {Type: "Observation"}, {Type: "Observation", ID: "o1"}} {
		t.Run(fmt.Sprintf("type=%q id=%q", scope.Type, scope.ID), func(t *testing.T) {
			wantScoped := keys(history(t, s, scope))
			var got []key
			q := scope
			q.Count = 2
			for range 10 {
				page := history(t, s, q)
				if len(page) == 0 {
					break
				}
				if len(page) > 2 {
					t.Fatalf("page of %d versions, Count was 2", len(page))
				}
				got = append(got, keys(page)...)
				q.BeforeSeq = page[len(page)-1].Seq
				// A new version of a resource in scope arrives between pages.
				put(t, s, store.Put{Type: "Observation", ID: "o1", Body: Observation("between pages")})
			}
			if !slices.Equal(got, wantScoped) {
				t.Errorf("paged history = %v, want %v", got, wantScoped)
			}
		})
	}
}

// testHistoryCount checks the page size default (100) and cap (1000).
func testHistoryCount(t *testing.T, s store.Store) {
	ctx := context.Background()
	err := s.Write(ctx, func(tx store.Tx) error {
		for i := range 1005 {
			if _, err := tx.Put(ctx, store.Put{Type: "Observation", ID: fmt.Sprint("o", i), Body: Observation("bulk")}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("bulk Write: %v", err)
	}
	for _, tc := range []struct {
		count, want int
	}{{0, 100}, {-1, 100}, {7, 7}, {1000, 1000}, {5000, 1000}} {
		if got := len(history(t, s, store.HistoryQuery{Count: tc.count})); got != tc.want {
			t.Errorf("History(Count: %d) gave %d versions, want %d", tc.count, got, tc.want)
		}
	}
}
