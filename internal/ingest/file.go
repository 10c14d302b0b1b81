package ingest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"carerecord/internal/hl7"
	"carerecord/internal/queue"
)

// FileQueue is what QueueFile needs of the queue; *queue.Queue has it.
type FileQueue interface {
	Queue
	// PublishBulk stores a batch of messages durably on the bulk lane.
	PublishBulk(ctx context.Context, msgs []queue.Message) error
}

var _ FileQueue = (*queue.Queue)(nil)

// ErrRead means the file (or request body) of messages could not be read to
// its end: an I/O error, or an item larger than hl7.DefaultMaxSize, after
// which the reader cannot find the next message. What came before it was
// queued. The error also wraps the cause.
var ErrRead = errors.New("ingest: cannot read the messages")

// Bulk-lane chunks: messages are handed to PublishBulk this many (or this
// many bytes) at a time, so queuing a file of any size holds one chunk in
// memory.
const (
	chunkMessages = 1000
	chunkBytes    = 8 << 20
)

// FileReport says what QueueFile did with one file of messages. It is also
// the JSON answer of the engine's endpoint that takes files
// (POST /engine/feeds/{feed}/messages) and what `carerecord ingest` reads.
type FileReport struct {
	Feed string `json:"feed"`
	Lane string `json:"lane"`
	// Messages counts the messages read (batch control segments are not
	// messages).
	Messages int `json:"messages"`
	// Queued counts the messages the queue stored durably. A message the
	// queue already held (the same feed, control id and content, within its
	// de-duplication window) counts as queued: the queue does not say.
	Queued int `json:"queued"`
	// Rejected are the messages that did not parse, in file order.
	Rejected []Rejection `json:"rejected"`
	// Warnings name batch envelope problems (FHS/BHS/BTS/FTS out of order,
	// a trailer's count that does not match). The messages inside the
	// envelope are queued all the same: each stands alone.
	Warnings []string `json:"warnings,omitempty"`
	// Error, when set, says why queuing stopped before the end of the file;
	// the counts cover what came before. Whoever reports the file sets it.
	Error string `json:"error,omitempty"`
}

// Rejection is one message of a file that did not parse.
type Rejection struct {
	// Index is the message's 1-based position among the file's messages.
	Index int `json:"index"`
	// Offset is where it starts in the file, in bytes.
	Offset int64 `json:"offset"`
	// ControlID is its MSH-10, when its header could be read.
	ControlID string `json:"controlId,omitempty"`
	// Reason is the parser's error, which names positions, never values.
	Reason string `json:"reason"`
	// Location is where in the message, e.g. "PID-3" or "OBX[2]".
	Location string `json:"location,omitempty"`
	// DeadLettered reports whether the raw message is in the dead-letter
	// store, to be fixed and reprocessed there; it is false only for a
	// message too large for the store, which stays in the file alone.
	DeadLettered bool `json:"deadLettered"`
}

// QueueFile reads the HL7 v2 messages in r as a file holds them (segments
// ending in CR, LF or CRLF; messages one after another, separated by blank
// lines or not; optionally in FHS/BHS batch envelopes) and queues each for
// feed on lane, as the MLLP listener would have: keyed, identified and
// dated by QueueMessage, in wire form (hl7.Message.Encode). A message that
// does not parse goes to the dead-letter store with its reason and location
// (queue.Reject) and is reported in FileReport.Rejected; none is dropped.
//
// r is read as a stream: on the bulk lane messages are published in chunks
// (PublishBulk), on the live lane one at a time (Publish), so memory stays
// bounded by a chunk whatever the size of the file. QueueFile stops at the
// first error: one wrapping ErrRead when r cannot be read to its end, else
// the queue's error (queue.ErrFull, a cancelled ctx...). The report then
// counts what was done before it. Queuing the same file again is safe: the
// queue drops duplicates within its de-duplication window, and the record
// side recognises a message it has applied.
func QueueFile(ctx context.Context, q FileQueue, feed FeedConfig, r io.Reader, lane queue.Lane) (FileReport, error) {
	fq := fileQueuer{ctx: ctx, q: q, feed: feed, lane: lane,
		rep: FileReport{Feed: feed.Name, Lane: lane.String(), Rejected: []Rejection{}}}
	sc := hl7.NewScanner(r)
	for sc.Scan() {
		if err := fq.item(sc); err != nil {
			return fq.rep, err
		}
	}
	if err := fq.flush(); err != nil {
		return fq.rep, err
	}
	if err := sc.Err(); err != nil {
		return fq.rep, fmt.Errorf("%w after message %d: %w", ErrRead, fq.rep.Messages, err)
	}
	return fq.rep, nil
}

// fileQueuer is the state of one QueueFile call.
type fileQueuer struct {
	ctx  context.Context
	q    FileQueue
	feed FeedConfig
	lane queue.Lane
	rep  FileReport
	at   int64 // offset of the current item in the file

	chunk []queue.Message
	where []position // of each message in chunk
	size  int        // bytes in chunk
}

// position is where a message is in its file.
type position struct {
	index  int
	offset int64
}

// item handles the scanner's current item.
func (fq *fileQueuer) item(sc *hl7.Scanner) error {
	raw, msg, ierr := sc.Bytes(), sc.Message(), sc.ItemErr()
	at := fq.at
	fq.at += int64(len(raw)) // the items' bytes add up to the file's
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil // blank lines at the end of a file
	}
	if sc.Control() {
		if ierr != nil {
			fq.rep.Warnings = append(fq.rep.Warnings, "batch envelope: "+ierr.Error())
		}
		return nil
	}
	fq.rep.Messages++
	if msg == nil {
		return fq.reject(raw, at, ierr)
	}
	if ierr != nil {
		fq.rep.Warnings = append(fq.rep.Warnings, "message "+strconv.Itoa(fq.rep.Messages)+": "+ierr.Error())
	}
	m := QueueMessage(fq.feed, msg, msg.Encode())
	pos := position{fq.rep.Messages, at}
	if fq.lane == queue.Live {
		return fq.publish(m, pos)
	}
	fq.chunk = append(fq.chunk, m)
	fq.where = append(fq.where, pos)
	fq.size += len(m.Body)
	if len(fq.chunk) >= chunkMessages || fq.size >= chunkBytes {
		return fq.flush()
	}
	return nil
}

// publish queues one message on the live lane.
func (fq *fileQueuer) publish(m queue.Message, pos position) error {
	pctx, cancel := context.WithTimeout(fq.ctx, publishTimeout)
	err := fq.q.Publish(pctx, m)
	cancel()
	if errors.Is(err, queue.ErrInvalid) {
		fq.tooLarge(pos, m, err)
		return nil
	}
	if err != nil {
		return err
	}
	fq.rep.Queued++
	return nil
}

// flush publishes the pending bulk chunk. The queue refuses a whole chunk
// when one message in it cannot be queued (too large); the chunk is then
// published message by message to find which (the part already stored is
// dropped as duplicates).
func (fq *fileQueuer) flush() error {
	chunk, where := fq.chunk, fq.where
	fq.chunk, fq.where, fq.size = fq.chunk[:0], fq.where[:0], 0
	if len(chunk) == 0 {
		return nil
	}
	err := fq.q.PublishBulk(fq.ctx, chunk)
	if err == nil {
		fq.rep.Queued += len(chunk)
		return nil
	}
	if !errors.Is(err, queue.ErrInvalid) {
		return err
	}
	for i, m := range chunk {
		err := fq.q.PublishBulk(fq.ctx, chunk[i:i+1])
		switch {
		case errors.Is(err, queue.ErrInvalid):
			fq.tooLarge(where[i], m, err)
		case err != nil:
			return err
		default:
			fq.rep.Queued++
		}
	}
	return nil
}

// tooLarge reports a message the queue refused as it is. It is too large
// for the dead-letter store too.
func (fq *fileQueuer) tooLarge(pos position, m queue.Message, err error) {
	fq.rep.Rejected = append(fq.rep.Rejected, Rejection{
		Index: pos.index, Offset: pos.offset, ControlID: m.ID,
		Reason: "the queue cannot store this message: " + err.Error(),
	})
}

// reject dead-letters a message that did not parse.
func (fq *fileQueuer) reject(raw []byte, offset int64, perr error) error {
	if perr == nil {
		perr = errors.New("hl7: not a message") // a scanner always says why; be safe
	}
	detail := errDetail(perr)
	rj := Rejection{Index: fq.rep.Messages, Offset: offset, Reason: detail.Text, Location: location(detail.Location)}
	if hdr, err := hl7.ParseHeader(raw); err == nil {
		rj.ControlID = hdr.ControlID()
	}
	pctx, cancel := context.WithTimeout(fq.ctx, publishTimeout)
	err := fq.q.Reject(pctx, queue.Message{Feed: fq.feed.Name, ID: rj.ControlID, Body: raw}, rj.Reason, rj.Location)
	cancel()
	switch {
	case err == nil:
		rj.DeadLettered = true
	case errors.Is(err, queue.ErrInvalid):
		rj.Reason += " (too large for the dead-letter store: " + err.Error() + ")"
	default:
		return err
	}
	fq.rep.Rejected = append(fq.rep.Rejected, rj)
	return nil
}

// errDetail is the ERR detail of a parse error: where it is and what, in
// the parser's words, which name positions and never values.
func errDetail(perr error) hl7.ErrDetail {
	var he *hl7.Error
	if errors.As(perr, &he) {
		return he.Detail()
	}
	return hl7.ErrDetail{Code: hl7.CodeSegmentSequence, Severity: hl7.SeverityError, Text: perr.Error()}
}

// QueueMessage builds the queue's form of msg, received on feed with body
// as its bytes: keyed by the patient (Key, with the feed's NHS number type
// codes), with MSH-10 as its id and the event time EVN-2, else MSH-7. The
// MLLP listener and QueueFile both use it, so a message is queued the same
// way whichever door it came in by.
func QueueMessage(feed FeedConfig, msg *hl7.Message, body []byte) queue.Message {
	codes := feed.NHSNumberTypeCodes
	if len(codes) == 0 {
		codes = DefaultNHSNumberTypeCodes
	}
	return queue.Message{
		Feed: feed.Name, Key: Key(msg, codes), ID: msg.ControlID(),
		Body: body, EventTime: eventTime(msg),
	}
}

// eventTime is EVN-2 (the recorded date/time of the event) when given, else
// MSH-7, else zero.
func eventTime(msg *hl7.Message) time.Time {
	if s := msg.Get("EVN-2"); s != "" {
		if t, err := hl7.ParseTime(s, time.UTC); err == nil {
			return t.Time
		}
	}
	if t, err := msg.Time(time.UTC); err == nil {
		return t.Time
	}
	return time.Time{}
}

// ParseLane reads a lane's name, "live" or "bulk".
func ParseLane(s string) (queue.Lane, bool) {
	switch s {
	case "live":
		return queue.Live, true
	case "bulk":
		return queue.Bulk, true
	}
	return queue.Live, false
}
