package queue_test

import (
	"context"
	"errors"
	"testing"

	"carerecord/internal/queue"
)

// A message refused before queueing is stored as a dead letter with its
// reason and location, once however often it is rejected, and can be
// reprocessed like any other.
func TestReject(t *testing.T) {
	forEach(t, queue.Config{}, func(t *testing.T, fx *fixture) {
		ctx := context.Background()
		body := []byte("MSH|^~\\&|bad")
		for range 2 {
			if err := fx.q.Reject(ctx, queue.Message{Feed: "adt", ID: "C1", Body: body}, "invalid segment name", "ZZ1"); err != nil {
				t.Fatalf("reject: %v", err)
			}
		}
		dls, err := fx.q.DeadLetters(ctx, queue.DeadLetterFilter{Feed: "adt"})
		if err != nil || len(dls) != 1 {
			t.Fatalf("dead letters: %d, %v", len(dls), err)
		}
		dl := dls[0]
		if string(dl.Message.Body) != string(body) || dl.Error != "invalid segment name" || dl.Location != "ZZ1" || dl.Message.Feed != "adt" || dl.Message.ID != "C1" || dl.Failed.IsZero() {
			t.Errorf("dead letter %+v", dl)
		}
		if err := fx.q.Reject(ctx, queue.Message{Feed: "no spaces", Body: body}, "x", ""); !errors.Is(err, queue.ErrInvalid) {
			t.Errorf("bad feed: %v", err)
		}
		if err := fx.q.Reprocess(ctx, dl.ID, []byte("MSH|fixed")); err != nil {
			t.Fatalf("reprocess: %v", err)
		}
		if _, err := fx.q.DeadLetter(ctx, dl.ID); !errors.Is(err, queue.ErrNotFound) {
			t.Errorf("reprocessed dead letter still there: %v", err)
		}
	})
}
