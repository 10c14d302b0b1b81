package store

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The message log: every inbound message the integration engine applied
// (or recognised as a duplicate, or could not use), with what it became in
// the record. It is written by Tx.LogMessage in the transaction that
// applies the message, so the log never disagrees with the record, searched
// by Store.SearchMessages and Store.Message, and pruned by
// Store.PruneMessages (its retention). It keeps each raw message once more
// than the queue did, for as long as the retention says.

// MessageStatus is what became of a logged message.
type MessageStatus string

const (
	// MessageApplied: the message's entries were applied (Outcome says
	// how each went).
	MessageApplied MessageStatus = "applied"
	// MessageUnsupported: nothing in the message could be applied: a type
	// the mapping does not read, or one the record cannot take yet. It is
	// kept and reported, not dropped.
	MessageUnsupported MessageStatus = "unsupported"
	// MessageDuplicate: the message's key was applied before (a delivery
	// again after a crash, or the same message sent again); nothing in it
	// was looked at.
	MessageDuplicate MessageStatus = "duplicate"
)

// Valid reports whether s is one of the statuses above.
func (s MessageStatus) Valid() bool {
	return s == MessageApplied || s == MessageUnsupported || s == MessageDuplicate
}

// MessageRecord is one logged message.
type MessageRecord struct {
	// ID is the store's number for the record, given by LogMessage.
	ID int64
	// Key is the message's key in the store's inbox (Tx.Once), "" when it
	// was applied without one.
	Key string
	// Feed names the interface the message came in on.
	Feed string
	// ControlID is the sender's control id (MSH-10).
	ControlID string
	// Type is the message type and trigger event, e.g. "ADT^A01".
	Type string
	// Received is when the message was taken in (queued). Zero when
	// logged: the LastUpdated of the logging transaction. Kept to the
	// millisecond.
	Received time.Time
	// EventTime is when the event happened at the source, a FHIR dateTime
	// (EVN-2 or MSH-7); "" when not known.
	EventTime string
	// Patients are the message's patient identifiers as "system|value"
	// (e.g. "https://fhir.nhs.uk/Id/nhs-number|9990000018"), by which
	// SearchMessages finds it.
	Patients []string
	Status   MessageStatus
	// Outcome says what each of the message's entries became, one line
	// each, in the writer's words (ingest: "Type/id/_history/N" and a
	// word when it was not written as the current version). Lines hold no
	// line breaks.
	Outcome []string
	// Body is the raw message, byte for byte; nil in SearchMessages'
	// answers unless MessageFilter.WithBody.
	Body []byte
}

// Cursor is the position just after r in SearchMessages' order.
func (r MessageRecord) Cursor() MessageCursor {
	return MessageCursor{Received: r.Received, ID: r.ID}
}

// MessageFilter selects logged messages. Empty fields select all; the
// fields set must all match.
type MessageFilter struct {
	Feed string
	// Type is a message type ("ADT": every ADT message) or a type and
	// event ("ADT^A01").
	Type      string
	ControlID string
	// Patient is "system|value", "|value" (an identifier without system)
	// or a bare value (of any system).
	Patient string
	Status  MessageStatus
	// Since and Until bound Received: Since <= Received < Until. Zero:
	// unbounded.
	Since, Until time.Time
	// After continues a search after the record it names (Cursor of the
	// last record of the previous page); zero: from the newest.
	After MessageCursor
	// Limit is the most records returned: default 100, at most 1000.
	Limit int
	// WithBody returns each record's raw message too.
	WithBody bool
}

// Message log page sizes.
const (
	DefaultMessageLimit = 100
	MaxMessageLimit     = 1000
)

// MessageCursor is a position in the message log's order: newest Received
// first, and by ID among equal instants. It stays right while messages are
// logged and pruned.
type MessageCursor struct {
	Received time.Time
	ID       int64
}

// IsZero reports whether c is the start of the log.
func (c MessageCursor) IsZero() bool { return c.ID == 0 && c.Received.IsZero() }

// String encodes c for a client to hand back: Unix milliseconds and ID.
func (c MessageCursor) String() string {
	if c.IsZero() {
		return ""
	}
	return strconv.FormatInt(c.Received.UnixMilli(), 10) + "_" + strconv.FormatInt(c.ID, 10)
}

// ErrBadCursor is returned by ParseMessageCursor for text that String did
// not make.
var ErrBadCursor = errors.New("store: not a message log cursor")

// ParseMessageCursor reads what MessageCursor.String wrote ("" is the zero
// cursor).
func ParseMessageCursor(s string) (MessageCursor, error) {
	if s == "" {
		return MessageCursor{}, nil
	}
	ms, id, ok := strings.Cut(s, "_")
	if !ok {
		return MessageCursor{}, ErrBadCursor
	}
	m, err1 := strconv.ParseInt(ms, 10, 64)
	n, err2 := strconv.ParseInt(id, 10, 64)
	if err1 != nil || err2 != nil || n <= 0 {
		return MessageCursor{}, fmt.Errorf("%w: %q", ErrBadCursor, s)
	}
	return MessageCursor{Received: time.UnixMilli(m).UTC(), ID: n}, nil
}
