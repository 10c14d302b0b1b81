package queue_test

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"carerecord/internal/queue"
)

// Two processes consuming with one group never work a partition at the same
// time, so order per key holds across them; when one stops, the other takes
// its partitions over and finishes the backlog. (External NATS only: the
// embedded server has no second process.)
func TestGroupSharesPartitions(t *testing.T) {
	forEach(t, queue.Config{Partitions: 4}, func(t *testing.T, fx *fixture) {
		if fx.cfg.URL == "" {
			t.Skip("one process only with the embedded server")
		}
		other, err := queue.Open(context.Background(), fx.cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer other.Close()

		const keys, perKey = 8, 60
		var (
			mu      sync.Mutex
			next    = map[string]int{}
			busy    = map[int]*atomic.Int32{}
			by      = map[string]int{}
			orderOK = true
			overlap atomic.Bool
			total   atomic.Int64
		)
		for p := range 4 {
			busy[p] = &atomic.Int32{}
		}
		handler := func(name string) queue.Handler {
			return func(_ context.Context, d queue.Delivery) error {
				if busy[d.Partition].Add(1) > 1 {
					overlap.Store(true)
				}
				time.Sleep(200 * time.Microsecond) // widen the window two workers would share
				busy[d.Partition].Add(-1)
				mu.Lock()
				if string(d.Body) != strconv.Itoa(next[d.Key]) {
					orderOK = false
				}
				next[d.Key]++
				by[name]++
				mu.Unlock()
				total.Add(1)
				return nil
			}
		}
		opts := fastRetry
		opts.LeaseTTL = 2 * time.Second
		publish := func(i int) {
			for k := range keys {
				fx.publish(msg("adt", fmt.Sprint("patient-", k), fmt.Sprint(k, "-", i), strconv.Itoa(i)))
			}
		}
		// a takes every partition first; b starts beside it.
		stopA := fx.consume(handler("a"), opts)
		publish(0)
		eventually(t, "the first process to start", func() bool { return total.Load() == keys })
		ctxB, cancelB := context.WithCancel(context.Background())
		doneB := make(chan error, 1)
		go func() { doneB <- other.Consume(ctxB, handler("b"), opts) }()
		defer func() { cancelB(); <-doneB }()
		for i := 1; i < perKey; i++ {
			publish(i)
			if i == perKey/2 {
				stopA() // b takes a's partitions over
			}
		}
		eventually(t, "every message handled", func() bool { return total.Load() == keys*perKey })
		mu.Lock()
		defer mu.Unlock()
		if !orderOK {
			t.Error("a key's messages were handled out of order")
		}
		if overlap.Load() {
			t.Error("two workers handled one partition at the same time")
		}
		t.Logf("handled by process: %v", by)
		if by["a"] == 0 || by["b"] == 0 {
			t.Error("one process handled nothing: the test shows no hand-over")
		}
	})
}
