package queue_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"carerecord/internal/queue"
)

func msg(feed, key, id, body string) queue.Message {
	return queue.Message{Feed: feed, Key: key, ID: id, Body: []byte(body)}
}

// Messages published concurrently for many keys are handled in publish
// order per key, across several partitions.
func TestOrderPerKey(t *testing.T) {
	forEach(t, queue.Config{Partitions: 4}, func(t *testing.T, fx *fixture) {
		const keys, perKey = 12, 40
		var l log
		fx.consume(func(_ context.Context, d queue.Delivery) error { l.add(d); return nil }, fastRetry)
		var wg sync.WaitGroup
		for k := range keys {
			wg.Go(func() {
				for i := range perKey {
					fx.publish(msg("adt", fmt.Sprint("patient-", k), fmt.Sprint(k, "-", i), strconv.Itoa(i)))
				}
			})
		}
		wg.Wait()
		eventually(t, "every message handled", func() bool { return l.len() == keys*perKey })
		next := map[string]int{}
		parts := map[int]bool{}
		for _, d := range l.all() {
			if got := string(d.Body); got != strconv.Itoa(next[d.Key]) {
				t.Fatalf("%s: got message %s, want %d", d.Key, got, next[d.Key])
			}
			next[d.Key]++
			parts[d.Partition] = true
		}
		if len(parts) < 2 {
			t.Errorf("all keys landed in %d partition(s); the test needs several", len(parts))
		}
	})
}

// twoPartitionKeys returns two keys in different partitions of n.
func twoPartitionKeys(n int) (string, string) {
	a := "patient-a"
	for i := 0; ; i++ {
		if b := fmt.Sprint("patient-b", i); queue.Partition(b, n) != queue.Partition(a, n) {
			return a, b
		}
	}
}

// A handler blocked on one patient does not hold up another patient.
func TestKeysRunInParallel(t *testing.T) {
	forEach(t, queue.Config{Partitions: 8}, func(t *testing.T, fx *fixture) {
		a, b := twoPartitionKeys(8)
		release := make(chan struct{})
		blocked := make(chan struct{}, 1)
		var l log
		fx.consume(func(ctx context.Context, d queue.Delivery) error {
			if d.Key == a {
				blocked <- struct{}{}
				select {
				case <-release:
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			l.add(d)
			return nil
		}, fastRetry)
		fx.publish(msg("adt", a, "a1", "a1"))
		recv(t, blocked, "the handler to block on patient a")
		for i := 1; i <= 3; i++ {
			fx.publish(msg("adt", b, fmt.Sprint("b", i), fmt.Sprint("b", i)))
		}
		eventually(t, "patient b's messages while a is blocked", func() bool { return l.len() == 3 })
		close(release)
		eventually(t, "patient a's message", func() bool { return l.len() == 4 })
		if got := l.bodies(); !slices.Equal(got, []string{"b1", "b2", "b3", "a1"}) {
			t.Errorf("handled %v", got)
		}
	})
}

// The same message sent twice is queued once; a changed message under the
// same control id is not a duplicate.
func TestDuplicateDropped(t *testing.T) {
	forEach(t, queue.Config{}, func(t *testing.T, fx *fixture) {
		m := msg("adt", "p1", "MSG0001", "MSH|...|A01")
		fx.publish(m)
		fx.publish(m)
		fx.publish(msg("adt", "p1", "MSG0001", "MSH|...|A08"))
		st, err := fx.q.Stats(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if st.Live.Messages != 2 || st.Live.ByFeed["adt"] != 2 {
			t.Fatalf("queued %d (by feed %v), want 2", st.Live.Messages, st.Live.ByFeed)
		}
		var l log
		fx.consume(func(_ context.Context, d queue.Delivery) error { l.add(d); return nil }, fastRetry)
		eventually(t, "both messages", func() bool { return l.len() == 2 })
		if got := l.bodies(); !slices.Equal(got, []string{"MSH|...|A01", "MSH|...|A08"}) {
			t.Errorf("handled %v", got)
		}
	})
}

// A poison message is dead-lettered, and the messages behind it on the same
// patient (so the same partition) are handled.
func TestPoisonMessageDeadLettered(t *testing.T) {
	forEach(t, queue.Config{Partitions: 2}, func(t *testing.T, fx *fixture) {
		var l log
		fx.consume(func(_ context.Context, d queue.Delivery) error {
			switch string(d.Body) {
			case "poison":
				return queue.Permanent(queue.At("PID-3", errBad))
			case "flaky":
				return errors.New("store unavailable")
			}
			l.add(d)
			return nil
		}, queue.ConsumeOptions{MaxAttempts: 3, Backoff: fastRetry.Backoff, MaxBackoff: fastRetry.MaxBackoff})
		for _, body := range []string{"m1", "poison", "m2", "flaky", "m3"} {
			fx.publish(msg("adt", "p1", body, body))
		}
		eventually(t, "the messages behind the poison", func() bool { return l.len() == 3 })
		if got := l.bodies(); !slices.Equal(got, []string{"m1", "m2", "m3"}) {
			t.Errorf("handled %v", got)
		}
		dls, err := fx.q.DeadLetters(context.Background(), queue.DeadLetterFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(dls) != 2 {
			t.Fatalf("%d dead letters, want 2", len(dls))
		}
		p, f := dls[0], dls[1]
		if pm := p.Message; string(pm.Body) != "poison" || pm.Feed != "adt" || pm.Key != "p1" || pm.ID != "poison" ||
			p.Location != "PID-3" || !strings.Contains(p.Error, "bad message") || p.Attempts != 1 || p.Failed.IsZero() {
			t.Errorf("poison dead letter: %+v", p)
		}
		if string(f.Message.Body) != "flaky" || f.Attempts != 3 || f.Location != "" || !strings.Contains(f.Error, "store unavailable") {
			t.Errorf("exhausted dead letter: %+v", f)
		}
	})
}

// A transient failure is retried, and the patient's next message waits for
// it.
func TestTransientErrorRetried(t *testing.T) {
	forEach(t, queue.Config{}, func(t *testing.T, fx *fixture) {
		var l log
		fx.consume(func(_ context.Context, d queue.Delivery) error {
			if string(d.Body) == "m1" && d.Attempt < 3 {
				return errors.New("database busy")
			}
			l.add(d)
			return nil
		}, fastRetry)
		fx.publish(msg("adt", "p1", "1", "m1"))
		fx.publish(msg("adt", "p1", "2", "m2"))
		eventually(t, "both messages", func() bool { return l.len() == 2 })
		got := l.all()
		if string(got[0].Body) != "m1" || got[0].Attempt != 3 || string(got[1].Body) != "m2" || got[1].Attempt != 1 {
			t.Errorf("handled %q attempt %d, %q attempt %d", got[0].Body, got[0].Attempt, got[1].Body, got[1].Attempt)
		}
		dls, err := fx.q.DeadLetters(context.Background(), queue.DeadLetterFilter{})
		if err != nil || len(dls) != 0 {
			t.Errorf("dead letters %v, %v", dls, err)
		}
	})
}

// After a restart (for the embedded backend, of the server on the same data
// folder) unacknowledged messages are delivered and acknowledged ones are
// not.
func TestRestartKeepsPosition(t *testing.T) {
	forEach(t, queue.Config{Partitions: 1}, func(t *testing.T, fx *fixture) {
		for i := 1; i <= 5; i++ {
			fx.publish(msg("adt", "p1", strconv.Itoa(i), fmt.Sprint("m", i)))
		}
		var l log
		third := make(chan struct{}, 1)
		stop := fx.consume(func(ctx context.Context, d queue.Delivery) error {
			if string(d.Body) == "m3" {
				third <- struct{}{}
				<-ctx.Done() // interrupted mid-message by the shutdown
				return ctx.Err()
			}
			l.add(d)
			return nil
		}, fastRetry)
		recv(t, third, "the third message")
		stop()
		if got := l.bodies(); !slices.Equal(got, []string{"m1", "m2"}) {
			t.Fatalf("before restart handled %v", got)
		}
		fx.reopen()
		var after log
		fx.consume(func(_ context.Context, d queue.Delivery) error { after.add(d); return nil }, fastRetry)
		eventually(t, "the unacknowledged messages", func() bool { return after.len() >= 3 })
		if got := after.bodies(); !slices.Equal(got, []string{"m3", "m4", "m5"}) {
			t.Errorf("after restart handled %v, want m3 m4 m5", got)
		}
	})
}

func TestOpenRejectsBadConfig(t *testing.T) {
	for name, cfg := range map[string]queue.Config{
		"embedded without a data folder": {},
		"prefix with a dot":              {DataDir: t.TempDir(), Prefix: "cr.x"},
	} {
		t.Run(name, func(t *testing.T) {
			if q, err := queue.Open(context.Background(), cfg); !errors.Is(err, queue.ErrInvalid) {
				if q != nil {
					q.Close()
				}
				t.Errorf("open: %v, want ErrInvalid", err)
			}
		})
	}
}
