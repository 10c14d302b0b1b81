package queue

import (
	"context"
	"errors"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// runLive handles one live partition: the consumer allows one unacknowledged
// message, so the next is delivered only after this one is acknowledged,
// dead-lettered or (for a retry) handed back with a delay. It pulls one
// message per request, so that when it stops no pull request of its own is
// left waiting on the server to swallow a message handed back (older servers
// deliver to such a request even after the client is gone, and the message
// then waits for AckWait).
func (w *worker) runLive(ctx context.Context) {
	for ctx.Err() == nil {
		fctx, cancel := context.WithTimeout(ctx, pullWait)
		m, err := w.cons.Next(jetstream.FetchContext(fctx))
		cancel()
		if err != nil {
			if err = ignoreTimeout(err); err != nil && ctx.Err() == nil {
				w.log.Warn("live fetch", "err", err)
				sleep(ctx, w.o.Backoff)
			}
			continue
		}
		w.handleLive(ctx, m)
	}
}

// pullWait bounds one idle pull request.
const pullWait = 5 * time.Second

func (w *worker) handleLive(ctx context.Context, m jetstream.Msg) {
	d := w.delivery(m)
	stop := w.keepAlive(m)
	err := w.call(ctx, d)
	stop()
	switch {
	case err == nil:
		w.ack(ctx, m)
	case ctx.Err() != nil:
		w.handBack(ctx, m) // shutting down: not the message's fault
	case errors.Is(err, ErrPermanent) || d.Attempt >= w.o.MaxAttempts:
		w.deadLetter(ctx, m, d, err)
	default:
		w.nak(m, w.o.backoff(d.Attempt))
	}
}

// runBulk handles one bulk partition in batches: up to BulkBatch messages
// in stream order, then Flush, then the acknowledgements.
func (w *worker) runBulk(ctx context.Context) {
	for ctx.Err() == nil {
		msgs, err := w.fetch(ctx)
		if err != nil && ctx.Err() == nil {
			w.log.Warn("bulk fetch", "err", err)
			sleep(ctx, w.o.Backoff)
		}
		if len(msgs) > 0 {
			w.handleBatch(ctx, msgs)
		}
	}
}

// fetch returns what is waiting, or waits (a few seconds at most) for one
// message and then takes whatever else is waiting.
func (w *worker) fetch(ctx context.Context) ([]jetstream.Msg, error) {
	batch, err := w.cons.FetchNoWait(w.o.BulkBatch)
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
	if batch, err = w.cons.FetchNoWait(w.o.BulkBatch - 1); err != nil {
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
	var done []jetstream.Msg
	for i, m := range msgs {
		if w.q.gate.waitIdle(ctx) != nil {
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
	if w.o.Flush != nil {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), w.o.AckWait)
		err := w.o.Flush(fctx)
		cancel()
		if err != nil {
			w.log.Warn("bulk flush failed; the batch will be delivered again", "messages", len(done), "err", err)
			w.nakAll(done, w.o.Backoff)
			return
		}
	}
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
