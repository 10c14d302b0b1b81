package queue

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
)

// Message is one inbound message as the queue keeps it.
type Message struct {
	// Feed names the sending interface, e.g. "pas-adt"; letters, digits,
	// - and _ (it is a subject token).
	Feed string
	// Key orders messages: those with the same key are handled one at a
	// time in publish order. Use the patient's identifier.
	Key string
	// ID is the sender's control id (MSH-10); with Feed and the content it
	// forms the de-duplication id.
	ID string
	// Body is the raw message, kept byte for byte.
	Body []byte
	// EventTime is when the event happened at the source (optional); the
	// record side uses it to apply a late backload without overwriting newer
	// data.
	EventTime time.Time
}

// Lane is the live or the bulk (backload) lane.
type Lane int

const (
	Live Lane = iota
	Bulk
)

func (l Lane) String() string {
	if l == Bulk {
		return "bulk"
	}
	return "live"
}

// token is the lane's subject token.
func (l Lane) token() string {
	if l == Bulk {
		return "bulk"
	}
	return "in"
}

// Delivery is a message handed to a handler.
type Delivery struct {
	Message
	Lane      Lane
	Partition int
	// Seq is the message's position in its lane's stream.
	Seq uint64
	// Attempt counts deliveries of this message, from 1.
	Attempt int
	// Queued is when the queue stored the message.
	Queued time.Time
}

// Header names carried with each message.
const (
	hdrKey       = "Cr-Key"
	hdrID        = "Cr-Id"
	hdrEventTime = "Cr-Event-Time"
	hdrMsgID     = "Nats-Msg-Id" // jetstream's de-duplication header
)

func validate(m Message) error {
	if !tokenRE.MatchString(m.Feed) {
		return fmt.Errorf("%w: feed %q: use letters, digits, - and _", ErrInvalid, m.Feed)
	}
	if len(m.Body) == 0 {
		return fmt.Errorf("%w: empty body", ErrInvalid)
	}
	return nil
}

// partition maps a key to one of n partitions (FNV-1a, stable across
// releases: changing it reorders in-flight messages).
func partition(key string, n int) int {
	h := fnv.New32a()
	h.Write([]byte(key))
	return int(h.Sum32() % uint32(n))
}

// DedupID is feed, control id and a hash of the content: the same message
// sent twice has the same id; a corrected message under a reused control id
// does not. The queue drops a second copy within its de-duplication window;
// the record side can use it to recognise a message it has applied.
func (m Message) DedupID() string {
	sum := sha256.Sum256(m.Body)
	return m.Feed + ":" + m.ID + ":" + hex.EncodeToString(sum[:16])
}

func (q *Queue) subject(l Lane, feed string, part int) string {
	return q.prefix + "." + l.token() + "." + feed + "." + strconv.Itoa(part)
}

// natsMsg builds the stored form of m on lane l.
func (q *Queue) natsMsg(l Lane, m Message, msgID string) *nats.Msg {
	n := q.cfg.Partitions
	if l == Bulk {
		n = q.cfg.BulkPartitions
	}
	nm := nats.NewMsg(q.subject(l, m.Feed, partition(m.Key, n)))
	nm.Data = m.Body
	nm.Header.Set(hdrKey, m.Key)
	if m.ID != "" {
		nm.Header.Set(hdrID, m.ID)
	}
	if !m.EventTime.IsZero() {
		nm.Header.Set(hdrEventTime, m.EventTime.UTC().Format(time.RFC3339Nano))
	}
	nm.Header.Set(hdrMsgID, msgID)
	return nm
}

// parseSubject splits "<prefix>.<lane>.<feed>.<partition>"; partition is -1
// when the subject has none (dead letters).
func parseSubject(subj string) (feed string, part int, ok bool) {
	parts := strings.Split(subj, ".")
	switch len(parts) {
	case 3:
		return parts[2], -1, true
	case 4:
		p, err := strconv.Atoi(parts[3])
		return parts[2], p, err == nil
	}
	return "", 0, false
}

// messageOf rebuilds a Message from a stored subject, header and body.
func messageOf(subj string, h nats.Header, body []byte) Message {
	feed, _, _ := parseSubject(subj)
	m := Message{Feed: feed, Key: h.Get(hdrKey), ID: h.Get(hdrID), Body: body}
	if t := h.Get(hdrEventTime); t != "" {
		m.EventTime, _ = time.Parse(time.RFC3339Nano, t)
	}
	return m
}
