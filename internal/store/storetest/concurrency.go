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

var errBoom = errors.New("storetest: fn failed on purpose")

func testAtomicityFnError(t *testing.T, s store.Store) {
	ctx := context.Background()
	keep := put(t, s, store.Put{Type: "Observation", ID: "keep", Body: Observation("kept")})
	err := s.Write(ctx, func(tx store.Tx) error {
		for _, p := range []store.Put{
			{Type: "Observation", ID: "a", Body: Observation("a")},
			{Type: "Patient", ID: "p", Body: Patient("9990000077", "Atomic"),
				Index: Identifiers(Ident(nhsSystem, "9990000077"))},
			{Type: "Observation", ID: "keep", Body: Observation("overwritten")},
		} {
			if _, err := tx.Put(ctx, p); err != nil {
				return err
			}
		}
		if _, err := tx.Delete(ctx, "Observation", "keep", 0); err != nil {
			return err
		}
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("Write = %v, want fn's error", err)
	}
	for _, id := range []string{"Observation/a", "Patient/p"} {
		typ, rid, _ := strings.Cut(id, "/")
		if _, err := s.Read(ctx, typ, rid); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Read %s after failed Write = %v, want ErrNotFound", id, err)
		}
	}
	r, err := s.Read(ctx, "Observation", "keep")
	if err != nil || r.Version != 1 || marker(t, r.Body) != "kept" {
		t.Errorf("Read keep = %+v, %v; want version 1 untouched", r, err)
	}
	if ids, err := s.FindByToken(ctx, "Patient", "identifier", "", "9990000077"); err != nil || len(ids) != 0 {
		t.Errorf("tokens of a failed Write are visible: %v, %v", ids, err)
	}
	if ch := readAllChanges(t, s, keep.Seq, 100); len(ch) != 0 {
		t.Errorf("change feed lists %d versions of a failed Write", len(ch))
	}
}

// holdWriter starts a Write whose fn blocks until the returned release is
// called, so that Writes started meanwhile queue up and (in a backend with
// group commit) run together in the next group.
func holdWriter(t *testing.T, s store.Store) (release func()) {
	started, gate, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		done <- s.Write(context.Background(), func(tx store.Tx) error {
			close(started)
			<-gate
			_, err := tx.Put(context.Background(), store.Put{Type: "Observation", ID: "holder", Body: Observation("holder")})
			return err
		})
	}()
	<-started
	return func() {
		close(gate)
		if err := <-done; err != nil {
			t.Errorf("holding Write: %v", err)
		}
	}
}

// testAtomicityInGroup runs succeeding and failing Writes that are queued
// together: each keeps its own atomicity.
func testAtomicityInGroup(t *testing.T, s store.Store, failStatement func(context.Context, store.Tx) error) {
	ctx := context.Background()
	type outcome struct {
		id   string
		fail bool
		err  error
	}
	const n = 12
	release := holdWriter(t, s)
	results := make(chan outcome, n+1)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			id, fail := fmt.Sprint("w", i), i%3 == 1
			err := s.Write(ctx, func(tx store.Tx) error {
				for j := range 2 {
					if _, err := tx.Put(ctx, store.Put{Type: "Observation", ID: fmt.Sprint(id, "-", j), Body: Observation(id)}); err != nil {
						return err
					}
				}
				if fail {
					return errBoom
				}
				return nil
			})
			results <- outcome{id, fail, err}
		})
	}
	if failStatement != nil {
		wg.Go(func() {
			err := s.Write(ctx, func(tx store.Tx) error {
				_, _ = tx.Put(ctx, store.Put{Type: "Observation", ID: "stmt-0", Body: Observation("stmt")})
				if err := failStatement(ctx, tx); err == nil {
					t.Error("the failing statement did not fail")
				}
				_, _ = tx.Put(ctx, store.Put{Type: "Observation", ID: "stmt-1", Body: Observation("stmt")})
				return nil // ignore the failure: the Write must fail anyway
			})
			results <- outcome{"stmt", true, err}
		})
	}
	waitAWhile()
	release()
	wg.Wait()
	close(results)
	for o := range results {
		switch {
		case o.fail && o.err == nil:
			t.Errorf("Write %s should have failed", o.id)
		case !o.fail && o.err != nil:
			t.Errorf("Write %s = %v, want success", o.id, o.err)
		case o.id != "stmt" && o.fail && !errors.Is(o.err, errBoom):
			t.Errorf("Write %s = %v, want its own error", o.id, o.err)
		}
		for j := range 2 {
			r, err := s.Read(ctx, "Observation", fmt.Sprint(o.id, "-", j))
			switch {
			case o.fail && !errors.Is(err, store.ErrNotFound):
				t.Errorf("failed Write %s left %s-%d behind: %v", o.id, o.id, j, err)
			case !o.fail && (err != nil || marker(t, r.Body) != o.id):
				t.Errorf("committed Write %s: Read %s-%d = %v", o.id, o.id, j, err)
			}
		}
	}
}

// writeLoad runs writers goroutines doing perWriter Writes each. Every
// third Write of a writer updates one of a few hot resources all writers
// share; the others update the writer's own resource, and every fifth Write
// also deletes (and so later resurrects) it. Own resources are named after
// prefix and the writer. It returns the acknowledged versions.
func writeLoad(t *testing.T, s store.Store, writers, perWriter int, prefix string) map[key]string {
	ctx := context.Background()
	acks := newAckLog()
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range perWriter {
				id := fmt.Sprint(prefix, "w", w)
				own := true
				if i%3 == 0 {
					own = false
					id = fmt.Sprint("hot", (w+i)%4)
				}
				m := fmt.Sprintf("w%d-i%d", w, i)
				var got []*store.Resource
				err := s.Write(ctx, func(tx store.Tx) error {
					got = got[:0]
					r, err := tx.Put(ctx, store.Put{Type: "Observation", ID: id, Body: Observation(m)})
					if err != nil {
						return err
					}
					got = append(got, r)
					if i%5 == 4 && own {
						d, err := tx.Delete(ctx, "Observation", id, 0)
						if err != nil {
							return err
						}
						got = append(got, d)
					}
					return nil
				})
				if err != nil {
					t.Errorf("Write %s: %v", m, err)
					continue
				}
				for _, r := range got {
					acks.add(r, m)
				}
			}
		})
	}
	wg.Wait()
	return acks.acks
}

// follow reads the change feed from 0 in pages of limit, resuming from the
// last seq it saw, until stop is closed and the feed is drained.
func follow(t *testing.T, s store.Store, limit int, stop <-chan struct{}) []store.Resource {
	var got []store.Resource
	var after int64
	for {
		select {
		case <-stop:
			return append(got, readAllChanges(t, s, after, limit)...)
		default:
		}
		page, err := s.Changes(context.Background(), after, limit)
		if err != nil {
			t.Errorf("Changes: %v", err)
			return got
		}
		if len(page) > limit {
			t.Errorf("Changes gave %d versions, limit was %d", len(page), limit)
		}
		if len(page) == 0 {
			time.Sleep(time.Millisecond)
			continue
		}
		got = append(got, page...)
		after = page[len(page)-1].Seq
	}
}

// checkFeed checks a change feed read against the acknowledged versions:
// seq strictly increasing, each acknowledged version exactly once, and each
// resource's versions in order with no gaps.
func checkFeed(t *testing.T, feed []store.Resource, acks map[key]string) {
	t.Helper()
	seen := map[key]bool{}
	last := map[[2]string]int64{}
	for i, r := range feed {
		k := keyOf(r)
		if i > 0 && r.Seq <= feed[i-1].Seq {
			t.Fatalf("feed seq %d after %d", r.Seq, feed[i-1].Seq)
		}
		if seen[k] {
			t.Errorf("feed lists %v twice", k)
		}
		seen[k] = true
		if _, ok := acks[k]; !ok {
			t.Errorf("feed lists %v, which no Write acknowledged", k)
		}
		rk := [2]string{r.Type, r.ID}
		if r.Version != last[rk]+1 {
			t.Errorf("feed lists %v after version %d", k, last[rk])
		}
		last[rk] = r.Version
		if !r.Deleted && marker(t, r.Body) != acks[k] {
			t.Errorf("feed body of %v has marker %q, want %q", k, marker(t, r.Body), acks[k])
		}
	}
	for k := range acks {
		if !seen[k] {
			t.Errorf("feed misses acknowledged %v", k)
		}
	}
}

func testConcurrency(t *testing.T, s store.Store) {
	ctx := context.Background()
	stop := make(chan struct{})
	feedc := make(chan []store.Resource)
	go func() { feedc <- follow(t, s, 7, stop) }()
	acks := writeLoad(t, s, 32, 12, "")
	close(stop)
	feed := <-feedc

	newest := map[[2]string]int64{}
	for k, m := range acks {
		rk := [2]string{k.typ, k.id}
		newest[rk] = max(newest[rk], k.version)
		v, err := s.VRead(ctx, k.typ, k.id, k.version)
		if err != nil {
			t.Errorf("acknowledged %v: VRead: %v", k, err)
			continue
		}
		if !v.Deleted && marker(t, v.Body) != m {
			t.Errorf("acknowledged %v: marker %q, want %q", k, marker(t, v.Body), m)
		}
	}
	for rk, n := range newest {
		for v := int64(1); v <= n; v++ {
			if _, ok := acks[key{rk[0], rk[1], v}]; !ok {
				t.Errorf("%s/%s: version %d of %d was never acknowledged: a gap", rk[0], rk[1], v, n)
			}
		}
		h := history(t, s, store.HistoryQuery{Type: rk[0], ID: rk[1], Count: 1000})
		if int64(len(h)) != n || h[0].Version != n {
			t.Errorf("%s/%s: history has %d versions, want %d", rk[0], rk[1], len(h), n)
		}
		r, err := s.Read(ctx, rk[0], rk[1])
		if r == nil || r.Version != n {
			t.Errorf("%s/%s: Read = %+v, %v; want version %d", rk[0], rk[1], r, err, n)
		}
	}
	checkFeed(t, feed, acks)
}

// testChangesPaging follows the feed in small pages from saved positions
// while writers run, then checks the follower saw what a reader starting
// afterwards sees, each version exactly once.
func testChangesPaging(t *testing.T, s store.Store) {
	start := put(t, s, store.Put{Type: "Observation", ID: "before", Body: Observation("before")})
	stop := make(chan struct{})
	feedc := make(chan []store.Resource)
	go func() {
		// Resume from the position saved after the first write.
		var got []store.Resource
		after := start.Seq
		for done := false; !done; {
			select {
			case <-stop:
				done = true
			default:
			}
			page := readAllChanges(t, s, after, 3)
			if len(page) > 0 {
				after = page[len(page)-1].Seq
			} else {
				time.Sleep(time.Millisecond)
			}
			got = append(got, page...)
		}
		feedc <- got
	}()
	acks := writeLoad(t, s, 8, 10, "")
	close(stop)
	feed := <-feedc
	checkFeed(t, feed, acks)
	again := readAllChanges(t, s, start.Seq, 1000)
	if len(again) != len(feed) {
		t.Fatalf("feed read afterwards has %d versions, the follower saw %d", len(again), len(feed))
	}
	for i := range again {
		if again[i].Seq != feed[i].Seq || keyOf(again[i]) != keyOf(feed[i]) {
			t.Fatalf("feed entry %d: follower saw %v at seq %d, afterwards %v at seq %d",
				i, keyOf(feed[i]), feed[i].Seq, keyOf(again[i]), again[i].Seq)
		}
	}
}

func testCloseDrains(t *testing.T, s store.Store) {
	ctx := context.Background()
	release := holdWriter(t, s)
	const n = 10
	results := make(chan error, n)
	for i := range n {
		go func() {
			results <- s.Write(ctx, func(tx store.Tx) error {
				_, err := tx.Put(ctx, store.Put{Type: "Observation", ID: fmt.Sprint("q", i), Body: Observation("queued")})
				return err
			})
		}()
	}
	waitAWhile()
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	waitAWhile()
	select {
	case err := <-closed:
		t.Fatalf("Close returned (%v) while a Write was still running", err)
	default:
	}
	release()
	if err := <-closed; err != nil {
		t.Fatalf("Close: %v", err)
	}
	for range n {
		select {
		case err := <-results:
			if err != nil {
				t.Errorf("Write queued before Close = %v, want it committed", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("a Write queued before Close never returned")
		}
	}
	err := s.Write(ctx, func(tx store.Tx) error { return nil })
	if !errors.Is(err, store.ErrClosed) {
		t.Errorf("Write after Close = %v, want ErrClosed", err)
	}
	if _, err := s.Read(ctx, "Observation", "q0"); err == nil {
		t.Error("Read after Close succeeded")
	}
}

// testCreatesInGroup queues create-only Writes (IfNoneExist) together, some
// failing, some finding the resource already there, one deleting and
// creating a resource again. The feed must list exactly the acknowledged
// versions, each with the Seq its Put returned, in increasing order, as
// after any other Writes: backends that number versions themselves must
// give a failed Write's numbers back cleanly.
func testCreatesInGroup(t *testing.T, s store.Store) {
	ctx := context.Background()
	existing := put(t, s, store.Put{Type: "Observation", ID: "taken", Body: Observation("before")})
	gone := put(t, s, store.Put{Type: "Observation", ID: "gone", Body: Observation("before")})
	if _, err := del(t, s, "Observation", "gone", 0); err != nil {
		t.Fatal(err)
	}
	const n = 9
	release := holdWriter(t, s)
	var (
		mu   sync.Mutex
		acks []*store.Resource
		wg   sync.WaitGroup
	)
	create := func(tx store.Tx, id, marker string) (*store.Resource, error) {
		return tx.Put(ctx, store.Put{Type: "Observation", ID: id, IfNoneExist: true, Body: Observation(marker),
			Index: Identifiers(Ident("", id))})
	}
	for i := range n {
		wg.Go(func() {
			var got []*store.Resource
			err := s.Write(ctx, func(tx store.Tx) error {
				got = got[:0]
				for j := range 3 {
					r, err := create(tx, fmt.Sprint("c", i, "-", j), fmt.Sprint("c", i))
					if err != nil {
						return err
					}
					got = append(got, r)
				}
				// An existing resource and one created earlier in this
				// Write conflict; the Write carries on without them.
				for _, id := range []string{"taken", fmt.Sprint("c", i, "-0")} {
					if _, err := create(tx, id, "again"); !errors.Is(err, store.ErrVersionConflict) {
						return fmt.Errorf("create of existing %s = %v, want ErrVersionConflict", id, err)
					}
				}
				if i%3 == 1 {
					return errBoom
				}
				if i == 3 {
					r, err := create(tx, "gone", "back")
					if err != nil {
						return err
					}
					got = append(got, r)
				}
				return nil
			})
			switch {
			case i%3 == 1 && !errors.Is(err, errBoom):
				t.Errorf("Write %d = %v, want its own error", i, err)
			case i%3 != 1 && err != nil:
				t.Errorf("Write %d = %v", i, err)
			case err == nil:
				mu.Lock()
				acks = append(acks, got...)
				mu.Unlock()
			}
		})
	}
	waitAWhile()
	release()
	wg.Wait()
	feed := readAllChanges(t, s, existing.Seq, 100)
	bySeq := map[int64]*store.Resource{}
	for _, r := range acks {
		bySeq[r.Seq] = r
	}
	var created int
	for i, r := range feed {
		if i > 0 && r.Seq <= feed[i-1].Seq {
			t.Fatalf("feed seq %d after %d", r.Seq, feed[i-1].Seq)
		}
		if r.Seq <= gone.Seq+1 || r.ID == "holder" {
			continue // the delete of "gone", holdWriter's Write
		}
		created++
		a, ok := bySeq[r.Seq]
		if !ok || a.Type != r.Type || a.ID != r.ID || a.Version != r.Version {
			t.Errorf("feed has %s/%s/%d at seq %d; the Put there returned %+v", r.Type, r.ID, r.Version, r.Seq, a)
		}
	}
	if created != len(acks) {
		t.Errorf("feed has %d created versions, %d were acknowledged", created, len(acks))
	}
	for i := range n {
		id := fmt.Sprint("c", i, "-1")
		_, err := s.Read(ctx, "Observation", id)
		if failed := i%3 == 1; failed != errors.Is(err, store.ErrNotFound) {
			t.Errorf("Read %s after Write %d (failed: %v) = %v", id, i, failed, err)
		}
		want := 1
		if i%3 == 1 {
			want = 0
		}
		ids, err := s.FindByToken(ctx, "Observation", "identifier", "", id)
		if err != nil || len(ids) != want {
			t.Errorf("FindByToken %s = %v, %v; want %d", id, ids, err, want)
		}
	}
	if r, err := s.Read(ctx, "Observation", "gone"); err != nil || r.Version != 3 || marker(t, r.Body) != "back" {
		t.Errorf("Read gone = %+v, %v; want version 3 created again", r, err)
	}
	if r, err := s.Read(ctx, "Observation", "taken"); err != nil || r.Version != 1 || marker(t, r.Body) != "before" {
		t.Errorf("Read taken = %+v, %v; want version 1 untouched", r, err)
	}
}
