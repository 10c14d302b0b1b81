package queue

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// One worker per partition, and order after a crash.
//
// A worker takes a batch of its partition's messages at a time, so two
// workers on one partition (two processes in one group) would apply a
// patient's messages side by side, and after a crash the messages its dead
// predecessor held come back only after AckWait, behind newer ones. So:
//
//   - a worker owns its partition through a lease, a key in a JetStream
//     key-value bucket that expires unless renewed (LeaseTTL); processes in
//     a group take partitions over from one that dies, never share one. The
//     embedded server has no other process, so it needs no lease;
//   - a worker that takes a partition over recreates the partition's
//     consumer. The lanes are work queues, so everything still in the
//     stream is unacknowledged, and the new consumer delivers all of it
//     again from the oldest, in order, before anything newer. The Applier's
//     inbox makes the second application of a message already committed a
//     no-op.

// lease is a worker's hold on its partition.
type lease struct {
	kv    jetstream.KeyValue // nil: no lease needed (embedded server)
	key   string
	owner string
	rev   uint64
	ttl   time.Duration
}

// leaseBucket names the group's lease bucket.
func (q *Queue) leaseBucket() string { return strings.ToUpper(q.prefix) + "_LEASES" }

// openLeases opens (or creates) the lease bucket; nil for the embedded
// server.
func (q *Queue) openLeases(ctx context.Context, ttl time.Duration) (jetstream.KeyValue, error) {
	if q.srv != nil {
		return nil, nil
	}
	kv, err := q.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      q.leaseBucket(),
		Description: "carerecord queue: which process works each partition",
		History:     1,
		TTL:         ttl,
		Storage:     jetstream.FileStorage,
		Replicas:    q.cfg.Replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("queue: lease bucket: %w", err)
	}
	return kv, nil
}

func newOwner() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// acquire waits until the worker holds its partition's lease, or ctx ends.
func (w *worker) acquire(ctx context.Context) (*lease, error) {
	l := &lease{kv: w.leases, key: consumerName(w.o.Group, w.lane, w.part), owner: w.owner, ttl: w.o.LeaseTTL}
	if l.kv == nil {
		return l, nil
	}
	for {
		rev, err := l.kv.Create(ctx, l.key, []byte(l.owner))
		if err == nil {
			l.rev = rev
			return l, nil
		}
		if !errors.Is(err, jetstream.ErrKeyExists) {
			w.log.Warn("lease", "err", err)
		}
		if err := sleep(ctx, l.ttl/4); err != nil {
			return nil, err
		}
	}
}

// keep renews the lease every third of its TTL until ctx ends, and calls
// lost when it cannot: the worker must stop, since another may take over.
func (l *lease) keep(ctx context.Context, lost func()) {
	if l.kv == nil {
		return
	}
	t := time.NewTicker(l.ttl / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		rctx, cancel := context.WithTimeout(ctx, l.ttl/3)
		rev, err := l.kv.Update(rctx, l.key, []byte(l.owner), l.rev)
		cancel()
		if err != nil {
			if ctx.Err() == nil {
				lost()
			}
			return
		}
		l.rev = rev
	}
}

// release gives the lease up at once, so that a restarted process (or
// another) takes the partition without waiting for the TTL.
func (l *lease) release() {
	if l.kv == nil || l.rev == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = l.kv.Delete(ctx, l.key, jetstream.LastRevision(l.rev))
}

// reset recreates the partition's consumer, so that everything left in its
// stream is delivered again from the oldest, in order.
func (w *worker) reset(ctx context.Context) error {
	name := consumerName(w.o.Group, w.lane, w.part)
	stream := w.q.live
	if w.lane == Bulk {
		stream = w.q.bulk
	}
	if err := stream.DeleteConsumer(ctx, name); err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
		return fmt.Errorf("queue: reset consumer %s: %w", name, err)
	}
	cons, err := w.q.consumer(ctx, w.lane, w.part, w.o)
	if err != nil {
		return err
	}
	w.cons = cons
	return nil
}
