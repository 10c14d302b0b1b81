package queue

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// DeadLetter is a message the handler could not process, kept with what
// went wrong so that an operator can inspect it, fix it and reprocess it.
// It holds patient data: show it only to those allowed to see the feed.
type DeadLetter struct {
	// ID identifies the dead letter (its position in the dead-letter
	// store); ids only grow.
	ID        uint64 `json:"-"`
	Message   Message
	Lane      Lane
	Partition int
	Seq       uint64 // the message's position in its lane when it failed
	Error     string // the handler's error text
	Location  string // where in the message, from At (e.g. "PID-3")
	Attempts  int
	Queued    time.Time // when the message was first queued
	Failed    time.Time // when it was dead-lettered
}

// DeadLetterFilter selects dead letters; the zero value is every feed, up
// to 1,000.
type DeadLetterFilter struct {
	Feed  string // "" for every feed
	After uint64 // only ids greater than this (for paging)
	Limit int    // at most this many (default 1,000)
}

func (q *Queue) dlqSubject(feed string) string { return q.prefix + ".dlq." + feed }

// deadLetter stores the failed message and acknowledges it on its lane, so
// the partition moves on. It reports false (and hands the message back for a
// later retry) when the dead-letter store refuses it: the partition then
// waits rather than lose the message. The error text is stored, never
// logged: it may quote the message.
func (w *worker) deadLetter(ctx context.Context, m jetstream.Msg, d Delivery, herr error) bool {
	dl := DeadLetter{
		Message: d.Message, Lane: d.Lane, Partition: d.Partition, Seq: d.Seq,
		Error: herr.Error(), Location: location(herr), Attempts: d.Attempt,
		Queued: d.Queued, Failed: time.Now().UTC(),
	}
	body, err := json.Marshal(dl)
	if err != nil {
		w.log.Error("dead letter: encode", "seq", d.Seq, "err", err)
		w.nak(m, w.o.MaxBackoff)
		return false
	}
	nm := nats.NewMsg(w.q.dlqSubject(d.Feed))
	nm.Data = body
	// A crash between storing the dead letter and the ack redelivers the
	// message; the same id makes the second dead letter a duplicate.
	nm.Header.Set(hdrMsgID, "dl:"+d.Lane.String()+":"+strconv.FormatUint(d.Seq, 10))
	pctx, cancel := ackCtx(ctx)
	defer cancel()
	ack, err := w.q.js.PublishMsg(pctx, nm)
	if err != nil {
		w.log.Error("dead letter store refused a message; the partition waits", "feed", d.Feed, "seq", d.Seq, "err", publishErr(nm.Subject, err))
		w.nak(m, w.o.MaxBackoff)
		return false
	}
	if err := w.q.durable(pctx, ack.Stream); err != nil {
		w.log.Error("dead letter not flushed; the partition waits", "feed", d.Feed, "seq", d.Seq, "err", err)
		w.nak(m, w.o.MaxBackoff)
		return false
	}
	w.log.Warn("message dead-lettered", "feed", d.Feed, "seq", d.Seq, "dead_letter", ack.Sequence,
		"location", dl.Location, "attempts", d.Attempt, "permanent", errors.Is(herr, ErrPermanent))
	w.ack(ctx, m)
	return true
}

// DeadLetters lists dead letters in id order.
func (q *Queue) DeadLetters(ctx context.Context, f DeadLetterFilter) ([]DeadLetter, error) {
	if f.Limit <= 0 {
		f.Limit = 1000
	}
	subj := q.prefix + ".dlq.*"
	if f.Feed != "" {
		if !tokenRE.MatchString(f.Feed) {
			return nil, fmt.Errorf("%w: feed %q", ErrInvalid, f.Feed)
		}
		subj = q.dlqSubject(f.Feed)
	}
	var out []DeadLetter
	for seq := f.After + 1; len(out) < f.Limit; {
		raw, err := q.dlq.GetMsg(ctx, seq, jetstream.WithGetMsgSubject(subj))
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("queue: list dead letters: %w", err)
		}
		dl, err := decodeDeadLetter(raw)
		if err != nil {
			return nil, err
		}
		out = append(out, dl)
		seq = raw.Sequence + 1
	}
	return out, nil
}

// DeadLetter returns one dead letter, or ErrNotFound.
func (q *Queue) DeadLetter(ctx context.Context, id uint64) (DeadLetter, error) {
	raw, err := q.dlq.GetMsg(ctx, id)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return DeadLetter{}, fmt.Errorf("%w: dead letter %d", ErrNotFound, id)
	}
	if err != nil {
		return DeadLetter{}, fmt.Errorf("queue: dead letter %d: %w", id, err)
	}
	return decodeDeadLetter(raw)
}

func decodeDeadLetter(raw *jetstream.RawStreamMsg) (DeadLetter, error) {
	var dl DeadLetter
	if err := json.Unmarshal(raw.Data, &dl); err != nil {
		return DeadLetter{}, fmt.Errorf("queue: dead letter %d: decode: %w", raw.Sequence, err)
	}
	dl.ID = raw.Sequence
	return dl, nil
}

// Reprocess queues a dead letter again on the live lane, with fixedBody in
// place of the original if it is not nil, and removes it from the store. It
// joins the back of its partition (the record side orders by event time and
// control id, not arrival). If it fails again it becomes a new dead letter.
func (q *Queue) Reprocess(ctx context.Context, id uint64, fixedBody []byte) error {
	dl, err := q.DeadLetter(ctx, id)
	if err != nil {
		return err
	}
	m := dl.Message
	if fixedBody != nil {
		m.Body = fixedBody
	}
	if err := q.validate(m); err != nil {
		return err
	}
	// Not the original de-duplication id, which may still be in the window;
	// a repeated Reprocess of the same fix is still a duplicate.
	sum := sha256.Sum256(m.Body)
	msgID := "rp:" + strconv.FormatUint(id, 10) + ":" + hex.EncodeToString(sum[:16])
	if _, err := q.publish(ctx, q.natsMsg(Live, m, msgID)); err != nil {
		return err
	}
	return q.Discard(ctx, id)
}

// ReprocessAll reprocesses, as they are, the dead letters of a feed ("" for
// all feeds) present when it starts, and returns how many it queued. Those
// that fail again become new dead letters, which it leaves alone.
func (q *Queue) ReprocessAll(ctx context.Context, feed string) (int, error) {
	info, err := q.dlq.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("queue: reprocess all: %w", err)
	}
	last := info.State.LastSeq
	n := 0
	var after uint64
	for {
		dls, err := q.DeadLetters(ctx, DeadLetterFilter{Feed: feed, After: after})
		if err != nil || len(dls) == 0 {
			return n, err
		}
		for _, dl := range dls {
			if dl.ID > last {
				return n, nil
			}
			if err := q.Reprocess(ctx, dl.ID, nil); err != nil {
				return n, err
			}
			n++
			after = dl.ID
		}
	}
}

// Discard removes a dead letter for good, overwriting it on disk.
func (q *Queue) Discard(ctx context.Context, id uint64) error {
	err := q.dlq.SecureDeleteMsg(ctx, id)
	if errors.Is(err, jetstream.ErrMsgDeleteUnsuccessful) {
		// The client keeps only the server's text; ask whether it is there.
		if _, gerr := q.dlq.GetMsg(ctx, id); errors.Is(gerr, jetstream.ErrMsgNotFound) {
			err = gerr
		}
	}
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return fmt.Errorf("%w: dead letter %d", ErrNotFound, id)
	}
	if err != nil {
		return fmt.Errorf("queue: discard dead letter %d: %w", id, err)
	}
	return nil
}

// Reject stores a message that was refused before it could be queued (it
// did not parse, so no handler will ever see it) straight in the
// dead-letter store of feed, with the reason and where in the message the
// problem lies, so that an operator can inspect it, fix it and Reprocess it.
// m gives the feed, the body and, when its header could be read, the
// control id (ID); its key and event time are not used. The same body
// rejected twice within the de-duplication window is stored once. Like
// every dead letter it holds patient data: the reason must not be logged.
func (q *Queue) Reject(ctx context.Context, m Message, reason, location string) error {
	feed, body := m.Feed, m.Body
	if !tokenRE.MatchString(feed) {
		return fmt.Errorf("%w: feed %q: use letters, digits, - and _", ErrInvalid, feed)
	}
	now := time.Now().UTC()
	dl := DeadLetter{
		Message: Message{Feed: feed, ID: m.ID, Body: body},
		Lane:    Live, Error: reason, Location: location, Queued: now, Failed: now,
	}
	data, err := json.Marshal(dl)
	if err != nil {
		return fmt.Errorf("queue: reject: encode: %w", err)
	}
	if int64(len(data)) > q.nc.MaxPayload()-headroom {
		return fmt.Errorf("%w: rejected message of %d bytes", ErrTooLarge, len(body))
	}
	nm := nats.NewMsg(q.dlqSubject(feed))
	nm.Data = data
	sum := sha256.Sum256(body)
	nm.Header.Set(hdrMsgID, "rj:"+feed+":"+hex.EncodeToString(sum[:16]))
	if _, err := q.publish(ctx, nm); err != nil {
		return err
	}
	return nil
}
