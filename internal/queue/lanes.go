package queue

import (
	"context"
	"errors"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// run handles one partition of one lane in batches: what is waiting, up to
// the lane's batch size, in stream order, then Flush, then the
// acknowledgements. The consumer allows no more unacknowledged messages
// than one batch, so the next batch comes only after this one is settled,
// which keeps the order per patient. A live batch holds the gate, so bulk
// workers yield to it.
//
// Before it consumes, the worker takes its partition's lease and recreates
// the partition's consumer (lease.go); it gives the lease up when it stops.
func (w *worker) run(ctx context.Context) {
	for ctx.Err() == nil {
		l, err := w.acquire(ctx)
		if err != nil {
			return
		}
		if err := w.reset(ctx); err != nil {
			w.log.Warn("take over partition", "err", err)
			l.release()
			sleep(ctx, w.o.Backoff)
			continue
		}
		lctx, lost := context.WithCancel(ctx)
		kept := make(chan struct{})
		go func() { defer close(kept); l.keep(lctx, lost) }()
		w.consume(lctx)
		lost()
		<-kept
		l.release()
	}
}

// consume handles batches until ctx ends.
func (w *worker) consume(ctx context.Context) {
	for ctx.Err() == nil {
		msgs, err := w.fetch(ctx)
		if err != nil && ctx.Err() == nil {
			w.log.Warn("fetch", "err", err)
			sleep(ctx, w.o.Backoff)
		}
		if len(msgs) > 0 {
			w.handleBatch(ctx, msgs)
		}
	}
}

// pullWait bounds one idle pull request.
const pullWait = 5 * time.Second

// fetch returns what is waiting, or waits (a few seconds at most) for one
// message and then takes whatever else is waiting.
//
// It never leaves a pull request of its own waiting on the server when it
// returns (older servers deliver to such a request even after the client
// has gone, and the message then waits for AckWait).
func (w *worker) fetch(ctx context.Context) ([]jetstream.Msg, error) {
	size := w.o.batchSize(w.lane)
	batch, err := w.cons.FetchNoWait(size)
	if err != nil {
		return nil, err
	}
	msgs, err := collect(batch, nil)
	if len(msgs) > 0 || err != nil {
		return msgs, err
	}
	fctx, cancel := context.WithTimeout(ctx, pullWait)
	defer cancel()
	if batch, err = w.cons.Fetch(1, jetstream.FetchContext(fctx)); err != nil {
		return nil, ignoreTimeout(err)
	}
	if msgs, err = collect(batch, msgs); len(msgs) == 0 || err != nil {
		return msgs, ignoreTimeout(err)
	}
	if batch, err = w.cons.FetchNoWait(size - 1); err != nil {
		return msgs, err
	}
	return collect(batch, msgs)
}

func collect(b jetstream.MessageBatch, msgs []jetstream.Msg) ([]jetstream.Msg, error) {
	for m := range b.Messages() {
		msgs = append(msgs, m)
	}
	return msgs, ignoreTimeout(b.Error())
}

func ignoreTimeout(err error) error {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) || errors.Is(err, jetstream.ErrNoMessages) || errors.Is(err, nats.ErrTimeout) {
		return nil
	}
	return err
}

func (w *worker) handleBatch(ctx context.Context, msgs []jetstream.Msg) {
	stop := w.keepAlive(msgs...)
	defer stop()
	if w.lane == Live {
		w.q.gate.enter()
		defer w.q.gate.leave()
	}
	var done []jetstream.Msg
	for i, m := range msgs {
		if w.lane == Bulk && w.q.gate.waitIdle(ctx) != nil {
			w.handBackAll(ctx, msgs[i:])
			break
		}
		d := w.delivery(m)
		err := w.callWithRetries(ctx, &d)
		if err == nil {
			done = append(done, m)
			continue
		}
		if ctx.Err() != nil {
			w.handBackAll(ctx, msgs[i:])
			break
		}
		if !w.deadLetter(ctx, m, d, err) {
			w.nakAll(msgs[i+1:], w.o.MaxBackoff)
			break
		}
	}
	if len(done) == 0 {
		return
	}
	if err := w.flush(ctx); err != nil {
		// Find the message the batch failed on: each again on its own.
		w.log.Warn("flush failed; the batch is applied again message by message", "messages", len(done), "err", err)
		for i, m := range done {
			if !w.handleAlone(ctx, m) {
				w.handBackAll(ctx, done[i+1:])
				return
			}
		}
		return
	}
	w.ackAll(ctx, done)
}

// handleAlone handles and flushes one message, retrying in place, and
// acknowledges or dead-letters it. It reports false when the worker is
// stopping or the message could not be settled.
func (w *worker) handleAlone(ctx context.Context, m jetstream.Msg) bool {
	d := w.delivery(m)
	for {
		err := w.call(ctx, d)
		if err == nil {
			err = w.flush(ctx)
		}
		switch {
		case err == nil:
			w.ack(ctx, m)
			return true
		case ctx.Err() != nil:
			w.handBack(ctx, m)
			return false
		case errors.Is(err, ErrPermanent) || d.Attempt >= w.o.MaxAttempts:
			return w.deadLetter(ctx, m, d, err)
		}
		if sleep(ctx, w.o.backoff(d.Attempt)) != nil {
			w.handBack(ctx, m)
			return false
		}
		d.Attempt++
	}
}

// flush calls Flush for the worker's lane and partition, finishing even
// while the worker stops (what was handled is committed, not thrown away).
func (w *worker) flush(ctx context.Context) error {
	if w.o.Flush == nil {
		return nil
	}
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), w.o.AckWait)
	defer cancel()
	return w.o.Flush(fctx, w.lane, w.part)
}

// ackAll acknowledges a batch, waiting for the server's confirmation of the
// last one only (acknowledgements are processed in order).
func (w *worker) ackAll(ctx context.Context, done []jetstream.Msg) {
	for _, m := range done[:len(done)-1] {
		if err := m.Ack(); err != nil {
			w.log.Warn("ack failed; the message will be delivered again", "err", err)
		}
	}
	w.ack(ctx, done[len(done)-1])
}

// callWithRetries retries a transient failure in place (keeping the batch's
// order) until MaxAttempts.
func (w *worker) callWithRetries(ctx context.Context, d *Delivery) error {
	for {
		err := w.call(ctx, *d)
		if err == nil || ctx.Err() != nil || errors.Is(err, ErrPermanent) || d.Attempt >= w.o.MaxAttempts {
			return err
		}
		if sleep(ctx, w.o.backoff(d.Attempt)) != nil {
			return err
		}
		d.Attempt++
	}
}

func (w *worker) nakAll(msgs []jetstream.Msg, delay time.Duration) {
	for _, m := range msgs {
		w.nak(m, delay)
	}
}

func (w *worker) handBackAll(ctx context.Context, msgs []jetstream.Msg) {
	for _, m := range msgs {
		w.handBack(ctx, m)
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
