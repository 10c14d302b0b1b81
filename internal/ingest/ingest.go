// Package ingest is the front door of the integration engine: MLLP listeners
// that take HL7 v2 messages from a hospital's feeds, put each durably on the
// queue and only then acknowledge it, files of messages put on the queue the
// same way, and the MLLP client behind "carerecord send".
//
// # Contract
//
// Each feed (FeedConfig) has its own listener. For every frame it reads,
// Serve parses the message with hl7.Parse and:
//
//   - when it parses, publishes it to the queue's live lane, keyed by the
//     patient (see Key), with MSH-10 as its id, and answers AA (CA in
//     enhanced mode) only after Publish returned nil; when Publish fails it
//     answers AE (CE): nothing was stored, the sender must resend. A sender
//     is never told AA for a message the queue does not hold.
//   - when it does not parse, stores the raw message in the dead-letter store
//     with the reason (queue.Reject) and answers AR (CR) with an ERR segment
//     locating the problem; when not even MSH can be read, there is no one to
//     address an acknowledgement to, and the connection is closed instead.
//
// Files of messages take the same path: QueueFile reads a file (or an HTTP
// body) as a stream, in any of the shapes senders write (CR, LF or CRLF
// segment endings, messages back to back or between blank lines, FHS/BHS
// batches), queues each message as the listener would (QueueMessage: the
// key, MSH-10 and the event time are chosen in one place for both doors),
// on the bulk lane in chunks or on the live lane one by one, and
// dead-letters each that does not parse, reporting it (FileReport). The
// server's POST /engine/feeds/{feed}/messages, its drop folders and
// `carerecord ingest` use it.
//
// A feed's Stats (FeedConfig.Stats; CountFiles for files) is told of each
// connection and of what became of each message taken, for the server's
// feed figures (/engine/status, /metrics).
//
// Acknowledgements honour MSH-15 and MSH-16 (hl7.AckRequested). Framing
// errors (bytes between frames, a frame cut short) are logged and skipped;
// an oversized frame closes the connection. Each connection has an idle
// timeout and each feed a bound on concurrent connections, so a flood of
// connections opened and dropped cannot exhaust the server. Logs carry the
// feed, remote address, control id and message type, never field values.
//
// Applier is the other end: it writes a mapped message (v2fhir.Result)
// into the record in one transaction, idempotently and ordered by event
// time (see Applier). The queue consumer that calls it from `carerecord
// serve` is not wired yet.
//
// Package ingest is layer 4: it imports config, hl7, mllp, queue, v2fhir,
// search and store, and only server and the command line import it.
package ingest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"carerecord/internal/config"
	"carerecord/internal/queue"
)

// FeedConfig describes one inbound feed: where it listens, whose messages it
// carries and where they put the patient's identifiers. Zero values take the
// defaults.
type FeedConfig struct {
	// Name of the feed, e.g. "pas-adt": letters, digits, - and _.
	Name string
	// Listen is the TCP address, e.g. ":2575".
	Listen string
	// SourceODS is the ODS code of the sending organisation, e.g. "RRV".
	SourceODS string
	// NHSNumberTypeCodes are the PID-3 CX-5 identifier type codes that mark
	// the NHS number (default NH and HN).
	NHSNumberTypeCodes []string
	// MaxFrameBytes is the largest message accepted (default 16 MiB).
	MaxFrameBytes int
	// IdleTimeout closes a connection that sends nothing for this long
	// (default 5 minutes); it also bounds the time to send one message.
	IdleTimeout time.Duration
	// MaxConns bounds the feed's concurrent connections (default 64); more
	// are accepted and closed at once.
	MaxConns int
	// Stats, if set, is told of connections and of each message taken
	// (see Stats).
	Stats Stats
}

// Defaults.
const (
	DefaultMaxFrameBytes = 16 << 20
	DefaultIdleTimeout   = 5 * time.Minute
	DefaultMaxConns      = 64
)

// DefaultNHSNumberTypeCodes are the PID-3 type codes of the NHS number that
// NHS feeds use.
var DefaultNHSNumberTypeCodes = []string{"NH", "HN"}

// ErrConfig means a FeedConfig cannot be used as given.
var ErrConfig = errors.New("ingest: invalid feed configuration")

// withDefaults returns c with its zero values defaulted, or an error.
func (c FeedConfig) withDefaults() (FeedConfig, error) {
	if !config.ValidFeedName(c.Name) {
		return c, fmt.Errorf("%w: feed name %q: use letters, digits, - and _", ErrConfig, c.Name)
	}
	if c.MaxFrameBytes < 0 || c.IdleTimeout < 0 || c.MaxConns < 0 {
		return c, fmt.Errorf("%w: feed %s: negative limit", ErrConfig, c.Name)
	}
	if len(c.NHSNumberTypeCodes) == 0 {
		c.NHSNumberTypeCodes = DefaultNHSNumberTypeCodes
	}
	if c.MaxFrameBytes == 0 {
		c.MaxFrameBytes = DefaultMaxFrameBytes
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	if c.MaxConns == 0 {
		c.MaxConns = DefaultMaxConns
	}
	return c, nil
}

// Queue is what a listener needs of the queue; *queue.Queue has it.
type Queue interface {
	// Publish stores a message durably on the live lane.
	Publish(ctx context.Context, m queue.Message) error
	// Reject stores a message that did not parse in the dead-letter store.
	Reject(ctx context.Context, m queue.Message, reason, location string) error
}

var _ Queue = (*queue.Queue)(nil)
