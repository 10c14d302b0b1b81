package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"carerecord/internal/store"
	"carerecord/internal/store/sqlite"
	"carerecord/internal/store/sqlstore"
	"carerecord/internal/store/storetest"
)

var errBoom = errors.New("fn failed on purpose")

func open(t *testing.T, opts ...sqlstore.Option) *sqlstore.Store {
	t.Helper()
	quiet := sqlstore.WithLogger(slog.New(slog.DiscardHandler))
	s, err := sqlite.Open(context.Background(), t.TempDir(), append([]sqlstore.Option{quiet}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// stepClock is a clock that moves one second on each reading, so that each
// group transaction gets its own LastUpdated.
func stepClock() func() time.Time {
	var n atomic.Int64
	base := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	return func() time.Time { return base.Add(time.Duration(n.Add(1)) * time.Second) }
}

// putFn is a Write function creating one Observation.
func putFn(id string) func(store.Tx) error {
	return func(tx store.Tx) error {
		_, err := tx.Put(context.Background(), store.Put{Type: "Observation", ID: id, Body: storetest.Observation(id)})
		return err
	}
}

// outcome is what one queued Write returned.
type outcome struct {
	err      error
	panicked any
}

// queueTogether holds the committer with a blocked Write, queues fns (each
// with its own context), waits until all are queued, then lets them run.
// With a large enough batch they share one group transaction.
func queueTogether(t *testing.T, s *sqlstore.Store, ctxs []context.Context, fns ...func(store.Tx) error) []outcome {
	t.Helper()
	started, gate := make(chan struct{}), make(chan struct{})
	holder := make(chan error, 1)
	go func() {
		holder <- s.Write(context.Background(), func(tx store.Tx) error {
			close(started)
			<-gate
			return putFn("holder")(tx)
		})
	}()
	<-started
	out := make([]outcome, len(fns))
	var wg sync.WaitGroup
	for i, fn := range fns {
		ctx := context.Background()
		if ctxs != nil {
			ctx = ctxs[i]
		}
		wg.Go(func() {
			defer func() { out[i].panicked = recover() }()
			out[i].err = s.Write(ctx, fn)
		})
		// Queue in order, one at a time.
		waitFor(t, func() bool { return sqlstore.QueueLen(s) == i+1 })
	}
	close(gate)
	wg.Wait()
	if err := <-holder; err != nil {
		t.Fatalf("holding Write: %v", err)
	}
	return out
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting")
		}
	}
}

func read(t *testing.T, s *sqlstore.Store, id string) (*store.Resource, error) {
	t.Helper()
	return s.Read(context.Background(), "Observation", id)
}

func TestGroupCommit(t *testing.T) {
	failStatement := func(tx store.Tx) error {
		_ = putFn("stmt")(tx)
		_ = sqlstore.ExecTx(context.Background(), tx, "INSERT INTO no_such_table VALUES (1)")
		_ = putFn("stmt-after")(tx)
		return nil // ignores the failure
	}
	tests := []struct {
		name    string
		fns     map[string]func(store.Tx) error // by id; ids starting with "ok" must commit
		wantErr map[string]error
		panics  string
	}{
		{name: "all succeed", fns: map[string]func(store.Tx) error{"ok1": putFn("ok1"), "ok2": putFn("ok2"), "ok3": putFn("ok3")}},
		{name: "fn error", fns: map[string]func(store.Tx) error{
			"ok1": putFn("ok1"),
			"bad": func(tx store.Tx) error { _ = putFn("bad")(tx); return errBoom },
			"ok2": putFn("ok2"),
		}, wantErr: map[string]error{"bad": errBoom}},
		{name: "failing statement", fns: map[string]func(store.Tx) error{"ok1": putFn("ok1"), "stmt": failStatement, "ok2": putFn("ok2")}},
		{name: "panic", fns: map[string]func(store.Tx) error{
			"ok1": putFn("ok1"),
			"pan": func(tx store.Tx) error { _ = putFn("pan")(tx); panic("write fn panic") },
			"ok2": putFn("ok2"),
		}, panics: "pan"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t, sqlstore.WithClock(stepClock()))
			var ids []string
			var fns []func(store.Tx) error
			for id, fn := range tc.fns {
				ids, fns = append(ids, id), append(fns, fn)
			}
			out := queueTogether(t, s, nil, fns...)
			var groupTS time.Time
			for i, id := range ids {
				committed := id[:2] == "ok"
				switch {
				case id == tc.panics:
					if out[i].panicked != "write fn panic" {
						t.Errorf("%s: panic = %v, want it re-raised in Write's caller", id, out[i].panicked)
					}
				case committed && out[i].err != nil:
					t.Errorf("%s: Write = %v, want nil", id, out[i].err)
				case !committed && out[i].err == nil:
					t.Errorf("%s: Write = nil, want an error", id)
				case tc.wantErr[id] != nil && !errors.Is(out[i].err, tc.wantErr[id]):
					t.Errorf("%s: Write = %v, want %v", id, out[i].err, tc.wantErr[id])
				}
				r, err := read(t, s, id)
				if !committed {
					if !errors.Is(err, store.ErrNotFound) {
						t.Errorf("%s: failed Write is visible: %v", id, err)
					}
					if _, err := read(t, s, id+"-after"); !errors.Is(err, store.ErrNotFound) {
						t.Errorf("%s-after: failed Write is visible: %v", id, err)
					}
					continue
				}
				if err != nil {
					t.Fatalf("%s: %v", id, err)
				}
				if groupTS.IsZero() {
					groupTS = r.LastUpdated
				} else if !r.LastUpdated.Equal(groupTS) {
					t.Errorf("%s: LastUpdated %v, others %v: not one group transaction", id, r.LastUpdated, groupTS)
				}
			}
		})
	}
}

// The first Write of a group runs without a savepoint: when it fails (by
// its error, a failed statement or a panic), the transaction is rolled back
// whole, and the Writes queued behind it still commit, together.
func TestFirstWriteOfGroupFails(t *testing.T) {
	firsts := map[string]func(store.Tx) error{
		"error": func(tx store.Tx) error { _ = putFn("bad")(tx); return errBoom },
		"statement": func(tx store.Tx) error {
			_ = putFn("bad")(tx)
			_ = sqlstore.ExecTx(context.Background(), tx, "INSERT INTO no_such_table VALUES (1)")
			return nil
		},
		"panic": func(tx store.Tx) error { _ = putFn("bad")(tx); panic("first fn panic") },
	}
	for name, first := range firsts {
		t.Run(name, func(t *testing.T) {
			s := open(t, sqlstore.WithClock(stepClock()))
			out := queueTogether(t, s, nil, first, putFn("ok1"), putFn("ok2"))
			if out[0].err == nil && out[0].panicked == nil {
				t.Error("first Write succeeded, want it to fail")
			}
			if _, err := read(t, s, "bad"); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("failed first Write is visible: %v", err)
			}
			var ts []time.Time
			for i, id := range []string{"ok1", "ok2"} {
				r, err := read(t, s, id)
				if out[i+1].err != nil || err != nil {
					t.Fatalf("%s: Write = %v, Read = %v", id, out[i+1].err, err)
				}
				ts = append(ts, r.LastUpdated)
			}
			if !ts[0].Equal(ts[1]) {
				t.Errorf("ok1 and ok2 at %v and %v: not one group transaction", ts[0], ts[1])
			}
		})
	}
}

func TestCommitFailureFailsEveryWrite(t *testing.T) {
	var commits atomic.Int64
	s := open(t, sqlstore.WithCommitHook(func() error {
		if commits.Add(1) == 2 { // the holder's group commits; the next fails
			return errors.New("disk on fire")
		}
		return nil
	}))
	out := queueTogether(t, s, nil, putFn("a"), putFn("b"), putFn("c"))
	for i, id := range []string{"a", "b", "c"} {
		if out[i].err == nil {
			t.Errorf("%s: Write = nil although its COMMIT failed", id)
		}
		if _, err := read(t, s, id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s: visible after a failed COMMIT: %v", id, err)
		}
	}
	if err := s.Write(context.Background(), putFn("d")); err != nil {
		t.Fatalf("Write after a failed COMMIT: %v", err)
	}
	if _, err := read(t, s, "d"); err != nil {
		t.Errorf("d: %v", err)
	}
}

func TestCanceledWhileQueued(t *testing.T) {
	s := open(t)
	ctx, cancel := context.WithCancel(context.Background())
	ran := false
	canceled := func(tx store.Tx) error { ran = true; return putFn("x")(tx) }
	ctxs := []context.Context{context.Background(), ctx, context.Background()}
	// Cancel from inside the first queued fn: the second has not started.
	first := func(tx store.Tx) error { cancel(); return putFn("first")(tx) }
	out := queueTogether(t, s, ctxs, first, canceled, putFn("third"))
	if out[0].err != nil || out[2].err != nil {
		t.Errorf("neighbours of the canceled Write failed: %v, %v", out[0].err, out[2].err)
	}
	if !errors.Is(out[1].err, context.Canceled) || ran {
		t.Errorf("canceled Write = %v (ran %v), want context.Canceled without running", out[1].err, ran)
	}
}

func TestBatchLimits(t *testing.T) {
	tests := []struct {
		name     string
		opt      sqlstore.Option
		maxGroup int
	}{
		{"max bytes", sqlstore.WithMaxBytes(1), 1},
		{"max batch", sqlstore.WithMaxBatch(2), 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t, tc.opt, sqlstore.WithClock(stepClock()))
			var fns []func(store.Tx) error
			for i := range 2 {
				fns = append(fns, putFn(fmt.Sprint("w", i)))
			}
			queueTogether(t, s, nil, fns...)
			var wg sync.WaitGroup
			for i := range 6 { // more than the queue holds with a batch of 2
				wg.Go(func() {
					if err := s.Write(context.Background(), putFn(fmt.Sprint("x", i))); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			perTS := map[time.Time]int{}
			h, err := s.History(context.Background(), store.HistoryQuery{Type: "Observation"})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range h {
				perTS[r.LastUpdated]++
			}
			for ts, n := range perTS {
				if n > tc.maxGroup {
					t.Errorf("%d versions share LastUpdated %v: a group larger than %d", n, ts, tc.maxGroup)
				}
			}
		})
	}
}

func TestLastUpdatedNeverGoesBack(t *testing.T) {
	dir := t.TempDir()
	t0 := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	readings := []time.Time{t0, t0.Add(-time.Hour), t0.Add(time.Second)}
	var n atomic.Int64
	clock := func() time.Time { return readings[min(int(n.Add(1))-1, len(readings)-1)] }
	s, err := sqlite.Open(context.Background(), dir, sqlstore.WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	var got []time.Time
	for i := range 3 {
		var r *store.Resource
		err := s.Write(context.Background(), func(tx store.Tx) error {
			var err error
			r, err = tx.Put(context.Background(), store.Put{Type: "Observation", ID: fmt.Sprint(i), Body: storetest.Observation("x")})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, r.LastUpdated)
	}
	want := []time.Time{t0, t0, t0.Add(time.Second)}
	for i := range want {
		if !got[i].Equal(want[i]) {
			t.Errorf("write %d LastUpdated = %v, want %v", i, got[i], want[i])
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// A store reopened with a clock behind the newest version keeps going
	// from the newest version.
	s, err = sqlite.Open(context.Background(), dir, sqlstore.WithClock(func() time.Time { return t0.Add(-24 * time.Hour) }))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Write(context.Background(), putFn("later")); err != nil {
		t.Fatal(err)
	}
	if r, err := read(t, s, "later"); err != nil || !r.LastUpdated.Equal(t0.Add(time.Second)) {
		t.Errorf("after reopen LastUpdated = %v, %v; want %v", r, err, t0.Add(time.Second))
	}
}

func TestTxUnusableAfterFn(t *testing.T) {
	s := open(t)
	var kept store.Tx
	if err := s.Write(context.Background(), func(tx store.Tx) error { kept = tx; return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := kept.Put(context.Background(), store.Put{Type: "Observation", ID: "late", Body: storetest.Observation("x")}); err == nil {
		t.Error("Put on a Tx after its fn returned succeeded")
	}
	if _, err := kept.Read(context.Background(), "Observation", "late"); err == nil || isCondition(err) {
		t.Errorf("Read on a finished Tx = %v, want a usage error", err)
	}
	if _, err := read(t, s, "late"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("late Put is visible: %v", err)
	}
}

func isCondition(err error) bool {
	return errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrGone)
}

func TestBadInput(t *testing.T) {
	s := open(t)
	for _, tc := range []struct {
		name string
		p    store.Put
	}{
		{"no type", store.Put{ID: "a", Body: []byte(`{}`)}},
		{"no id", store.Put{Type: "Observation", Body: []byte(`{}`)}},
		{"body not JSON", store.Put{Type: "Observation", ID: "a", Body: []byte(`{"resourceType":`)}},
		{"body an array", store.Put{Type: "Observation", ID: "a", Body: []byte(`[]`)}},
		{"body without resourceType", store.Put{Type: "Observation", ID: "a", Body: []byte(`{"status":"final"}`)}},
		{"id not a FHIR id", store.Put{Type: "Observation", ID: "a b/c", Body: storetest.Observation("x")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := s.Write(context.Background(), func(tx store.Tx) error {
				_, err := tx.Put(context.Background(), tc.p)
				return err
			})
			if err == nil {
				t.Error("Write = nil, want an error")
			}
			if tc.p.Type != "" && tc.p.ID != "" {
				if _, err := s.Read(context.Background(), tc.p.Type, tc.p.ID); !errors.Is(err, store.ErrNotFound) {
					t.Errorf("rejected Put is visible: %v", err)
				}
			}
		})
	}
	if _, err := s.History(context.Background(), store.HistoryQuery{ID: "a"}); err == nil {
		t.Error("History by id without type succeeded")
	}
}

// TestClockBehindOtherProcess: a second store on the same file whose clock
// is behind stamps its writes no earlier than the newest version.
func TestClockBehindOtherProcess(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	ahead := time.Date(2031, 6, 1, 12, 0, 0, 0, time.UTC)
	a, err := sqlite.Open(ctx, dir, sqlstore.WithClock(func() time.Time { return ahead }))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := sqlite.Open(ctx, dir, sqlstore.WithClock(func() time.Time { return ahead.Add(-time.Hour) }))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := a.Write(ctx, putFn("from-a")); err != nil {
		t.Fatal(err)
	}
	if err := b.Write(ctx, putFn("from-b")); err != nil {
		t.Fatal(err)
	}
	r, err := b.Read(ctx, "Observation", "from-b")
	if err != nil || !r.LastUpdated.Equal(ahead) {
		t.Errorf("b's write = %+v, %v; want LastUpdated %v (a's, not b's clock)", r, err, ahead)
	}
}
