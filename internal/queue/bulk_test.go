package queue_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"carerecord/internal/queue"
)

// backload publishes n bulk messages for keys patients, numbered per key.
func backload(t *testing.T, fx *fixture, feed string, n, patients int) {
	t.Helper()
	var batch []queue.Message
	for i := range n {
		k := i % patients
		batch = append(batch, queue.Message{Feed: feed, Key: fmt.Sprint("bk-", k), ID: strconv.Itoa(i), Body: []byte(strconv.Itoa(i / patients))})
		if len(batch) == 1000 || i == n-1 {
			if err := fx.q.PublishBulk(context.Background(), batch); err != nil {
				t.Fatalf("publish bulk: %v", err)
			}
			batch = batch[:0]
		}
	}
}

// With a backlog of 10,000 bulk messages, a live message published after it
// is handled before the backlog is drained; the backload keeps order per
// patient.
func TestBulkDoesNotDelayLive(t *testing.T) {
	forEach(t, queue.Config{Partitions: 2, BulkPartitions: 2}, func(t *testing.T, fx *fixture) {
		const n, patients = 10_000, 50
		backload(t, fx, "backload", n, patients)
		var bulkDone atomic.Int64
		var bulkAtLive atomic.Int64
		firstBulk := make(chan struct{})
		liveDone := make(chan struct{})
		var mu sync.Mutex
		next := map[string]int{}
		var orderErr error
		fx.consume(func(_ context.Context, d queue.Delivery) error {
			if d.Lane == queue.Live {
				bulkAtLive.Store(bulkDone.Load())
				close(liveDone)
				return nil
			}
			mu.Lock()
			if got := string(d.Body); got != strconv.Itoa(next[d.Key]) && orderErr == nil {
				orderErr = fmt.Errorf("%s: got %s, want %d", d.Key, got, next[d.Key])
			}
			next[d.Key]++
			mu.Unlock()
			if bulkDone.Add(1) == 1 {
				close(firstBulk)
			}
			return nil
		}, fastRetry)
		recv(t, firstBulk, "the backload to start")
		fx.publish(msg("adt", "live-patient", "L1", "live"))
		recv(t, liveDone, "the live message")
		if got := bulkAtLive.Load(); got >= n {
			t.Errorf("the live message waited for the whole backload (%d bulk messages first)", got)
		}
		t.Logf("live message handled after %d of %d bulk messages", bulkAtLive.Load(), n)
		eventually(t, "the backload", func() bool { return bulkDone.Load() == n })
		mu.Lock()
		defer mu.Unlock()
		if orderErr != nil {
			t.Error(orderErr)
		}
	})
}

// A bulk batch is acknowledged only after Flush succeeds; a failed Flush
// has the batch delivered again, so every message is committed exactly once.
func TestBulkFlush(t *testing.T) {
	forEach(t, queue.Config{BulkPartitions: 1}, func(t *testing.T, fx *fixture) {
		const n = 600
		backload(t, fx, "backload", n, 7)
		var mu sync.Mutex
		var pending, committed []string
		flushes := 0
		opts := fastRetry
		opts.BulkBatch = 100
		opts.Flush = func(context.Context, queue.Lane, int) error {
			mu.Lock()
			defer mu.Unlock()
			flushes++
			if flushes == 2 {
				pending = nil // the transaction rolled back
				return errors.New("commit failed")
			}
			committed = append(committed, pending...)
			pending = nil
			return nil
		}
		fx.consume(func(_ context.Context, d queue.Delivery) error {
			mu.Lock()
			pending = append(pending, d.Message.ID)
			mu.Unlock()
			return nil
		}, opts)
		eventually(t, "every message committed", func() bool {
			mu.Lock()
			defer mu.Unlock()
			return len(committed) >= n
		})
		mu.Lock()
		defer mu.Unlock()
		seen := map[string]bool{}
		for _, id := range committed {
			if seen[id] {
				t.Fatalf("message %s committed twice", id)
			}
			seen[id] = true
		}
		if len(seen) != n || flushes < n/100+1 {
			t.Errorf("committed %d distinct in %d flushes", len(seen), flushes)
		}
	})
}

// Stats count the backlog per feed and partition; a lane at its byte limit
// refuses new messages with ErrFull instead of growing.
func TestStatsAndLimits(t *testing.T) {
	forEach(t, queue.Config{Partitions: 4, MaxBytes: 16 << 10}, func(t *testing.T, fx *fixture) {
		ctx := context.Background()
		want := make([]uint64, 4)
		for i := range 6 {
			key := fmt.Sprint("p", i)
			fx.publish(msg("adt", key, key, "x"))
			want[queue.Partition(key, 4)]++
		}
		fx.publish(msg("lab", "p0", "l0", "x"))
		want[queue.Partition("p0", 4)]++
		st, err := fx.q.Stats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.Live.Messages != 7 || st.Live.ByFeed["adt"] != 6 || st.Live.ByFeed["lab"] != 1 || fmt.Sprint(st.Live.ByPartition) != fmt.Sprint(want) {
			t.Errorf("live stats %+v, want by partition %v", st.Live, want)
		}
		if st.Live.MaxBytes != 16<<10 || st.Live.Bytes == 0 || st.Live.Full() {
			t.Errorf("live size %+v", st.Live)
		}

		big := bytes.Repeat([]byte("OBX|"), 256) // 1 KiB
		var full error
		for i := 0; i < 100 && full == nil; i++ {
			full = fx.q.Publish(ctx, queue.Message{Feed: "lab", Key: "p1", ID: strconv.Itoa(i), Body: big})
		}
		if !errors.Is(full, queue.ErrFull) {
			t.Fatalf("publishing past the limit: %v, want ErrFull", full)
		}
		if strings.Contains(full.Error(), "OBX") {
			t.Errorf("error text quotes the message: %v", full)
		}
		if st, err = fx.q.Stats(ctx); err != nil || !st.Live.Full() {
			t.Errorf("stats at the limit: %+v, %v", st.Live, err)
		}
		var handled atomic.Int64
		fx.consume(func(context.Context, queue.Delivery) error { handled.Add(1); return nil }, fastRetry)
		eventually(t, "the backlog to drain", func() bool {
			st, err := fx.q.Stats(ctx)
			return err == nil && st.Live.Messages == 0
		})
		if err := fx.q.Publish(ctx, queue.Message{Feed: "lab", Key: "p1", ID: "after", Body: big}); err != nil {
			t.Errorf("publish after draining: %v", err)
		}
	})
}

// A message as large as a result carrying a document goes through; one past
// the server's limit is refused with ErrTooLarge.
func TestLargeMessage(t *testing.T) {
	forEach(t, queue.Config{}, func(t *testing.T, fx *fixture) {
		ctx := context.Background()
		doc := bytes.Repeat([]byte("JVBERi0xLjQK"), 512<<10/12) // 512 KiB of base64 PDF
		fx.publish(queue.Message{Feed: "results", Key: "p1", ID: "doc", Body: doc})
		err := fx.q.Publish(ctx, queue.Message{Feed: "results", Key: "p1", ID: "huge", Body: make([]byte, queue.MaxMessageBytes+1)})
		if !errors.Is(err, queue.ErrTooLarge) || !errors.Is(err, queue.ErrInvalid) {
			t.Fatalf("oversized message: %v, want ErrTooLarge", err)
		}
		for _, bad := range []queue.Message{{Feed: "a.b", Body: doc}, {Feed: "", Body: doc}, {Feed: "adt"}} {
			if err := fx.q.Publish(ctx, bad); !errors.Is(err, queue.ErrInvalid) {
				t.Errorf("publish feed %q, %d bytes: %v, want ErrInvalid", bad.Feed, len(bad.Body), err)
			}
		}
		got := make(chan []byte, 1)
		fx.consume(func(_ context.Context, d queue.Delivery) error { got <- d.Body; return nil }, fastRetry)
		if b := recv(t, got, "the large message"); !bytes.Equal(b, doc) {
			t.Errorf("body changed: %d bytes, want %d", len(b), len(doc))
		}
	})
}

// A live batch whose commit fails is applied again message by message: the
// message at fault is retried and dead-lettered, the others are committed
// once each and in order, even when they sat behind it in the batch.
func TestFlushFailureIsolated(t *testing.T) {
	forEach(t, queue.Config{Partitions: 1}, func(t *testing.T, fx *fixture) {
		var mu sync.Mutex
		var pending, committed []string
		opts := queue.ConsumeOptions{MaxAttempts: 2, Backoff: fastRetry.Backoff, MaxBackoff: fastRetry.MaxBackoff}
		opts.Flush = func(_ context.Context, lane queue.Lane, part int) error {
			mu.Lock()
			defer mu.Unlock()
			batch := pending
			pending = nil
			if lane != queue.Live || part != 0 {
				return fmt.Errorf("flush of %v partition %d", lane, part)
			}
			if slices.Contains(batch, "bad") {
				return errors.New("constraint failed") // the whole transaction rolls back
			}
			committed = append(committed, batch...)
			return nil
		}
		// Publish before consuming, so the messages share one batch.
		ids := []string{"m1", "m2", "bad", "m3", "m4"}
		for _, id := range ids {
			fx.publish(msg("adt", "p1", id, id))
		}
		fx.consume(func(_ context.Context, d queue.Delivery) error {
			mu.Lock()
			pending = append(pending, d.Message.ID)
			mu.Unlock()
			return nil
		}, opts)
		eventually(t, "the good messages committed", func() bool {
			mu.Lock()
			defer mu.Unlock()
			return len(committed) >= 4
		})
		eventually(t, "the bad message dead-lettered", func() bool {
			dls, err := fx.q.DeadLetters(context.Background(), queue.DeadLetterFilter{})
			return err == nil && len(dls) == 1 && dls[0].Message.ID == "bad" && strings.Contains(dls[0].Error, "constraint failed")
		})
		mu.Lock()
		defer mu.Unlock()
		if want := []string{"m1", "m2", "m3", "m4"}; !slices.Equal(committed, want) {
			t.Errorf("committed %v, want %v", committed, want)
		}
	})
}
