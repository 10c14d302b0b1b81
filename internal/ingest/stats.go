package ingest

import (
	"context"
	"errors"

	"carerecord/internal/queue"
)

// Stats is told what happens at a feed's door, for whoever watches the
// feeds (the server's /engine/status and /metrics): senders connecting and
// leaving, and each message taken with what became of it. Set
// FeedConfig.Stats to receive it from Serve; CountFiles does the same for
// files of messages. The methods are called from every connection's
// goroutine at once and on the way to the acknowledgement, so an
// implementation must be safe for concurrent use and quick.
type Stats interface {
	// Connected is called when a sender's connection is accepted, and
	// Disconnected when it ends. Connections refused over MaxConns are
	// neither.
	Connected()
	Disconnected()
	// Received counts n messages taken at the door and what became of them.
	Received(fate Fate, n int)
}

// Fate is what became of a message taken at the door.
type Fate int

const (
	// Queued: stored durably on the queue (and acknowledged AA or CA).
	Queued Fate = iota
	// DeadLettered: it did not parse and is kept in the dead-letter store
	// with the reason (AR or CR).
	DeadLettered
	// NotStored: nothing kept, because the queue refused it (too large) or
	// failed; the sender was told so (AE, AR or no acknowledgement).
	NotStored
)

func (f Fate) String() string {
	switch f {
	case Queued:
		return "queued"
	case DeadLettered:
		return "dead-lettered"
	default:
		return "not stored"
	}
}

// countingQueue tells Stats what each Publish and Reject did. Every
// message the listener takes goes through one of them exactly once, so the
// counts follow the acknowledgements without touching the protocol code.
type countingQueue struct {
	q Queue
	s Stats
}

func (c countingQueue) Publish(ctx context.Context, m queue.Message) error {
	err := c.q.Publish(ctx, m)
	c.s.Received(fate(err, Queued), 1)
	return err
}

func (c countingQueue) Reject(ctx context.Context, m queue.Message, reason, location string) error {
	err := c.q.Reject(ctx, m, reason, location)
	c.s.Received(fate(err, DeadLettered), 1)
	return err
}

func fate(err error, ok Fate) Fate {
	if err != nil {
		return NotStored
	}
	return ok
}

// countingFileQueue adds PublishBulk to countingQueue.
type countingFileQueue struct {
	countingQueue
	bulk FileQueue
}

// PublishBulk counts a chunk that QueueFile will not try again one by one:
// a chunk it splits (one message in it is too large) is counted as its
// messages are published alone.
func (c countingFileQueue) PublishBulk(ctx context.Context, msgs []queue.Message) error {
	err := c.bulk.PublishBulk(ctx, msgs)
	if errors.Is(err, queue.ErrInvalid) && len(msgs) > 1 {
		return err
	}
	c.s.Received(fate(err, Queued), len(msgs))
	return err
}

// CountFiles returns q telling s what becomes of each message that
// QueueFile takes from a file through it; s nil returns q.
func CountFiles(q FileQueue, s Stats) FileQueue {
	if s == nil {
		return q
	}
	return countingFileQueue{countingQueue{q, s}, q}
}

// counted returns q telling s what becomes of each message; s nil returns q.
func counted(q Queue, s Stats) Queue {
	if s == nil {
		return q
	}
	return countingQueue{q, s}
}

var (
	_ Queue     = countingQueue{}
	_ FileQueue = countingFileQueue{}
)
