package queue_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"carerecord/internal/queue"
)

// A dead letter can be listed, inspected, fixed and reprocessed; the fixed
// message is handled and the dead letter is gone.
func TestDeadLetterFixAndReprocess(t *testing.T) {
	forEach(t, queue.Config{}, func(t *testing.T, fx *fixture) {
		ctx := context.Background()
		var l log
		fx.consume(func(_ context.Context, d queue.Delivery) error {
			if strings.Contains(string(d.Body), "BAD") {
				return queue.Permanent(queue.At("PID-3", errBad))
			}
			l.add(d)
			return nil
		}, fastRetry)
		fx.publish(msg("adt", "p1", "c1", "PID|BAD"))
		fx.publish(msg("lab", "p2", "c2", "OBX|BAD"))
		fx.publish(msg("adt", "p3", "c3", "PID|BAD2"))
		eventually(t, "three dead letters", func() bool {
			dls, err := fx.q.DeadLetters(ctx, queue.DeadLetterFilter{})
			return err == nil && len(dls) == 3
		})

		adt, err := fx.q.DeadLetters(ctx, queue.DeadLetterFilter{Feed: "adt"})
		if err != nil || len(adt) != 2 {
			t.Fatalf("adt dead letters: %d, %v", len(adt), err)
		}
		page, err := fx.q.DeadLetters(ctx, queue.DeadLetterFilter{After: adt[0].ID, Limit: 1})
		if err != nil || len(page) != 1 || page[0].ID <= adt[0].ID {
			t.Fatalf("second page: %+v, %v", page, err)
		}
		first := adt[0]
		if first.Message.ID != "c1" {
			first = adt[1]
		}
		one, err := fx.q.DeadLetter(ctx, first.ID)
		if err != nil || string(one.Message.Body) != "PID|BAD" || one.Location != "PID-3" || one.Message.ID != "c1" {
			t.Fatalf("inspect: %+v, %v", one, err)
		}

		if err := fx.q.Reprocess(ctx, one.ID, []byte("PID|FIXED")); err != nil {
			t.Fatalf("reprocess: %v", err)
		}
		eventually(t, "the fixed message", func() bool { return l.len() == 1 })
		if got := l.all()[0]; string(got.Body) != "PID|FIXED" || got.Key != "p1" || got.Feed != "adt" {
			t.Errorf("handled %+v", got)
		}
		if _, err := fx.q.DeadLetter(ctx, one.ID); !errors.Is(err, queue.ErrNotFound) {
			t.Errorf("reprocessed dead letter still there: %v", err)
		}

		// Reprocessing as-is fails again: a new dead letter each.
		n, err := fx.q.ReprocessAll(ctx, "adt")
		if err != nil || n != 1 {
			t.Fatalf("reprocess all adt: %d, %v", n, err)
		}
		eventually(t, "the adt message dead-lettered again", func() bool {
			dls, err := fx.q.DeadLetters(ctx, queue.DeadLetterFilter{Feed: "adt"})
			return err == nil && len(dls) == 1 && dls[0].ID > 3 // ids 1-3 were the first failures
		})

		lab, err := fx.q.DeadLetters(ctx, queue.DeadLetterFilter{Feed: "lab"})
		if err != nil || len(lab) != 1 {
			t.Fatalf("lab dead letters: %d, %v", len(lab), err)
		}
		if err := fx.q.Discard(ctx, lab[0].ID); err != nil {
			t.Fatalf("discard: %v", err)
		}
		if err := fx.q.Discard(ctx, lab[0].ID); !errors.Is(err, queue.ErrNotFound) {
			t.Errorf("discard twice: %v", err)
		}
		st, err := fx.q.Stats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.DeadLetters.Messages != 1 || st.DeadLetters.ByFeed["adt"] != 1 || st.DeadLetters.ByFeed["lab"] != 0 {
			t.Errorf("dead letter stats %+v", st.DeadLetters)
		}
	})
}

// Fixing the handler and reprocessing every dead letter in bulk.
func TestReprocessAll(t *testing.T) {
	forEach(t, queue.Config{}, func(t *testing.T, fx *fixture) {
		ctx := context.Background()
		var l log
		fixed := make(chan struct{})
		fx.consume(func(_ context.Context, d queue.Delivery) error {
			select {
			case <-fixed:
			default:
				return queue.Permanent(errBad)
			}
			l.add(d)
			return nil
		}, fastRetry)
		for _, b := range []string{"a", "b", "c", "d"} {
			fx.publish(msg("adt", "p-"+b, b, b))
		}
		eventually(t, "four dead letters", func() bool {
			st, err := fx.q.Stats(ctx)
			return err == nil && st.DeadLetters.Messages == 4
		})
		close(fixed)
		n, err := fx.q.ReprocessAll(ctx, "")
		if err != nil || n != 4 {
			t.Fatalf("reprocess all: %d, %v", n, err)
		}
		eventually(t, "every message", func() bool { return l.len() == 4 })
		got := l.bodies()
		slices.Sort(got)
		if !slices.Equal(got, []string{"a", "b", "c", "d"}) {
			t.Errorf("handled %v", got)
		}
		if dls, err := fx.q.DeadLetters(ctx, queue.DeadLetterFilter{}); err != nil || len(dls) != 0 {
			t.Errorf("dead letters left: %d, %v", len(dls), err)
		}
	})
}
