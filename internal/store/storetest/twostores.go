package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"carerecord/internal/store"
)

// RunTwoStores checks two stores over one database, as two nodes (or two
// processes) have them: writers on both, each also updating resources the
// other updates, while a follower reads the change feed from one of them.
// Every acknowledged version must be in the feed exactly once, in seq order,
// each resource's versions contiguous, and LastUpdated must never go
// backwards along the feed. open returns the two stores; the suite closes
// them.
func RunTwoStores(t *testing.T, open func(t *testing.T) (store.Store, store.Store)) {
	a, b := open(t)
	t.Cleanup(func() {
		_ = a.Close()
		_ = b.Close()
	})
	stop := make(chan struct{})
	feedc := make(chan []store.Resource)
	go func() { feedc <- follow(t, b, 5, stop) }()
	var mu sync.Mutex
	acks := map[key]string{}
	var wg sync.WaitGroup
	for i, s := range []store.Store{a, b, a, b} {
		wg.Go(func() {
			got := writeLoad(t, s, 6, 8, fmt.Sprint("s", i))
			mu.Lock()
			defer mu.Unlock()
			for k, m := range got {
				if _, dup := acks[k]; dup {
					t.Errorf("%v acknowledged twice", k)
				}
				acks[k] = m
			}
		})
	}
	wg.Wait()
	close(stop)
	feed := <-feedc
	checkFeed(t, feed, acks)
	for i := 1; i < len(feed); i++ {
		if feed[i].LastUpdated.Before(feed[i-1].LastUpdated) {
			t.Errorf("LastUpdated went back along the feed: %v (seq %d) after %v (seq %d)",
				feed[i].LastUpdated, feed[i].Seq, feed[i-1].LastUpdated, feed[i-1].Seq)
		}
	}
	if got := once(t, a, "two-stores"); !sameBools(got, true) {
		t.Errorf("Once on one store = %v, want [true]", got)
	}
	if got := once(t, b, "two-stores"); !sameBools(got, false) {
		t.Errorf("Once on the other store after the first committed = %v, want [false]", got)
	}
	for _, s := range []store.Store{a, b} {
		all := readAllChanges(t, s, 0, 1000)
		if len(all) != len(feed) {
			t.Errorf("a store sees %d versions in the feed, the follower saw %d", len(all), len(feed))
		}
		for i := 0; i < 4; i++ {
			id := fmt.Sprint("hot", i)
			r, err := s.Read(context.Background(), "Observation", id)
			if err != nil || int64(len(history(t, s, store.HistoryQuery{Type: "Observation", ID: id, Count: 1000}))) != r.Version {
				t.Errorf("%s: Read = %+v, %v; versions and history disagree", id, r, err)
			}
		}
	}
}
