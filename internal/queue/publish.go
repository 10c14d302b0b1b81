package queue

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Publish queues m on the live lane and returns once the queue has stored it
// durably (JetStream's PubAck). Only then may the sender be acknowledged. A
// duplicate within the de-duplication window returns nil and is not queued
// again. ErrFull: the lane is at its limit and nothing was stored.
func (q *Queue) Publish(ctx context.Context, m Message) error {
	if err := q.validate(m); err != nil {
		return err
	}
	_, err := q.publish(ctx, q.natsMsg(Live, m, m.DedupID()))
	return err
}

// headroom is room left in a NATS message for subject and headers.
const headroom = 4 << 10

func (q *Queue) validate(m Message) error {
	if err := validate(m); err != nil {
		return err
	}
	if int64(len(m.Body)) > q.nc.MaxPayload()-headroom {
		return fmt.Errorf("%w: %d bytes, at most %d", ErrTooLarge, len(m.Body), q.nc.MaxPayload()-headroom)
	}
	return nil
}

// publish sends one message synchronously and reports whether it was a
// duplicate.
func (q *Queue) publish(ctx context.Context, nm *nats.Msg) (dup bool, err error) {
	ack, err := q.js.PublishMsg(ctx, nm)
	if err != nil {
		return false, publishErr(nm.Subject, err)
	}
	if err := q.durable(ctx, ack.Stream); err != nil {
		return false, err
	}
	return ack.Duplicate, nil
}

// PublishBulk queues a batch of backload messages on the bulk lane, in order,
// with asynchronous publishing, and returns once every one is stored (or at
// the first error, when an unknown prefix of the batch may be stored: publish
// the batch again, duplicates are dropped). Bulk messages are consumed
// beside the live lane, never ahead of it.
func (q *Queue) PublishBulk(ctx context.Context, msgs []Message) error {
	for _, m := range msgs {
		if err := q.validate(m); err != nil {
			return err
		}
	}
	for len(msgs) > 0 {
		n := min(len(msgs), bulkWindow)
		if err := q.publishAsync(ctx, msgs[:n]); err != nil {
			return err
		}
		msgs = msgs[n:]
	}
	return nil
}

// bulkWindow is how many bulk messages are in flight at once, below the
// client's limit of pending asynchronous publishes.
const bulkWindow = 1024

func (q *Queue) publishAsync(ctx context.Context, msgs []Message) error {
	futures := make([]jetstream.PubAckFuture, 0, len(msgs))
	for _, m := range msgs {
		f, err := q.js.PublishMsgAsync(q.natsMsg(Bulk, m, m.DedupID()))
		if err != nil {
			return publishErr("bulk", err)
		}
		futures = append(futures, f)
	}
	for _, f := range futures {
		select {
		case <-f.Ok():
		case err := <-f.Err():
			return publishErr(f.Msg().Subject, err)
		case <-ctx.Done():
			return fmt.Errorf("queue: publish bulk: %w", ctx.Err())
		}
	}
	return q.durable(ctx, q.streamName("bulk"))
}

// errCodeStoreFailed is JetStream's "storing the message failed" error
// code; with discard-new limits its description says which limit was hit.
const errCodeStoreFailed jetstream.ErrorCode = 10077

// publishErr maps a refusal at a stream limit to ErrFull; the subject names
// feed and partition, never patient data.
func publishErr(subject string, err error) error {
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) && apiErr.ErrorCode == errCodeStoreFailed && strings.Contains(apiErr.Description, "maximum") {
		return fmt.Errorf("%w: publish %s: %w", ErrFull, subject, err)
	}
	return fmt.Errorf("queue: publish %s: %w", subject, err)
}
