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

// once runs Tx.Once for each key in one Write of its own and returns what
// each reported.
func once(t *testing.T, s store.Store, keys ...string) []bool {
	t.Helper()
	var got []bool
	err := s.Write(context.Background(), func(tx store.Tx) error {
		got = got[:0]
		for _, k := range keys {
			first, err := tx.Once(context.Background(), k)
			if err != nil {
				return err
			}
			got = append(got, first)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Write with Once %q: %v", keys, err)
	}
	return got
}

func sameBools(got []bool, want ...bool) bool {
	return fmt.Sprint(got) == fmt.Sprint(want)
}

// A key is new once: in the same transaction and in every later one.
func testOnceFirst(t *testing.T, s store.Store) {
	if got := once(t, s, "v2:feed:1", "v2:feed:1", "v2:feed:2"); !sameBools(got, true, false, true) {
		t.Errorf("first transaction: Once = %v, want [true false true]", got)
	}
	if got := once(t, s, "v2:feed:2", "v2:feed:3", "v2:feed:1"); !sameBools(got, false, true, false) {
		t.Errorf("later transaction: Once = %v, want [false true false]", got)
	}
	long := strings.Repeat("k", store.MaxOnceKey)
	if got := once(t, s, long, long); !sameBools(got, true, false) {
		t.Errorf("key of MaxOnceKey bytes: Once = %v, want [true false]", got)
	}
	for _, bad := range []string{"", long + "k", "nul\x00key"} {
		err := s.Write(context.Background(), func(tx store.Tx) error {
			_, err := tx.Once(context.Background(), bad)
			return err
		})
		if err == nil {
			t.Errorf("Once(%d-byte bad key) succeeded, want an error", len(bad))
		}
	}
}

// A Write that fails leaves no key, whether it fails alone or in a group
// with Writes that commit (the same key, or another).
func testOnceRolledBack(t *testing.T, s store.Store, failStatement func(context.Context, store.Tx) error) {
	ctx := context.Background()
	err := s.Write(ctx, func(tx store.Tx) error {
		if first, err := tx.Once(ctx, "alone"); err != nil || !first {
			t.Errorf("Once = %v, %v; want true", first, err)
		}
		_, _ = tx.Put(ctx, store.Put{Type: "Observation", ID: "alone", Body: Observation("alone")})
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("Write = %v, want fn's error", err)
	}
	if got := once(t, s, "alone"); !sameBools(got, true) {
		t.Errorf("after a failed Write: Once = %v, want [true]", got)
	}

	// In one group: failing Writes record keys that committing Writes
	// record too (and keys of their own), queued in both orders.
	type write struct {
		key  string
		fail func(tx store.Tx) error // nil: commits
	}
	returnErr := func(store.Tx) error { return errBoom }
	writes := []write{
		{"group-a", returnErr}, {"group-a", nil},
		{"group-b", nil}, {"group-b", returnErr},
		{"group-c", returnErr},
	}
	if failStatement != nil {
		ignore := func(tx store.Tx) error {
			_ = failStatement(ctx, tx)
			return nil // the Write must fail anyway
		}
		writes = append(writes, write{"group-d", ignore}, write{"group-d", nil}, write{"group-e", ignore})
	}
	firsts := make([]bool, len(writes))
	errs := make([]error, len(writes))
	release := holdWriter(t, s)
	var wg sync.WaitGroup
	for i, w := range writes {
		wg.Go(func() {
			errs[i] = s.Write(ctx, func(tx store.Tx) error {
				first, err := tx.Once(ctx, w.key)
				firsts[i] = first
				if err != nil || w.fail == nil {
					return err
				}
				return w.fail(tx)
			})
		})
		waitAWhile() // queue them in this order
	}
	release()
	wg.Wait()
	committed := map[string]bool{}
	for i, w := range writes {
		switch {
		case w.fail != nil && errs[i] == nil:
			t.Errorf("Write %d (%s) should have failed", i, w.key)
		case w.fail == nil && errs[i] != nil:
			t.Errorf("Write %d (%s) = %v, want success", i, w.key, errs[i])
		case w.fail == nil && !firsts[i]:
			t.Errorf("Write %d (%s) committed with Once = false: a failed Write's key was kept", i, w.key)
		case w.fail == nil:
			committed[w.key] = true
		}
	}
	for _, k := range []string{"group-a", "group-b", "group-c", "group-d", "group-e"} {
		if got := once(t, s, k); !sameBools(got, !committed[k]) {
			t.Errorf("after the group: Once(%s) = %v, want [%v]", k, got, !committed[k])
		}
	}
}

// Concurrent Writes recording the same key: exactly one sees it new.
func testOnceConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	const keys, perKey = 8, 4
	var mu sync.Mutex
	firsts := map[string]int{}
	var wg sync.WaitGroup
	for i := range keys * perKey {
		key := fmt.Sprint("race-", i%keys)
		wg.Go(func() {
			var first bool
			err := s.Write(ctx, func(tx store.Tx) error {
				var err error
				first, err = tx.Once(ctx, key)
				return err
			})
			if err != nil {
				t.Errorf("Write: %v", err)
				return
			}
			if first {
				mu.Lock()
				firsts[key]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	for i := range keys {
		if k := fmt.Sprint("race-", i); firsts[k] != 1 {
			t.Errorf("%s: %d Writes saw it first, want exactly 1", k, firsts[k])
		}
	}
}

// PruneOnce forgets the keys recorded before its instant and only those.
func testPruneOnce(t *testing.T, s store.Store) {
	ctx := context.Background()
	once(t, s, "old-1", "old-2")
	time.Sleep(3 * time.Millisecond) // keys carry millisecond instants
	cut := time.Now()
	time.Sleep(3 * time.Millisecond)
	once(t, s, "new-1")
	if n, err := s.PruneOnce(ctx, time.Time{}); err != nil || n != 0 {
		t.Errorf("PruneOnce(zero time) = %d, %v; want 0", n, err)
	}
	if n, err := s.PruneOnce(ctx, cut); err != nil || n != 2 {
		t.Errorf("PruneOnce = %d, %v; want 2", n, err)
	}
	if got := once(t, s, "old-1", "old-2", "new-1"); !sameBools(got, true, true, false) {
		t.Errorf("after PruneOnce: Once = %v, want [true true false]", got)
	}
	if n, err := s.PruneOnce(ctx, cut); err != nil || n != 0 {
		t.Errorf("PruneOnce again = %d, %v; want 0 (the old keys were recorded again after it)", n, err)
	}
}
