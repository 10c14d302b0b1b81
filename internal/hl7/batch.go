package hl7

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"
)

// DefaultMaxSize is the largest message (or batch control segment) a
// Scanner accepts unless told otherwise.
const DefaultMaxSize = 16 << 20

// Scanner reads messages from a stream that holds several of them, as files
// do: messages one after another, optionally wrapped in FHS/BHS batch
// envelopes with BTS/FTS trailers. Each Scan yields one item: a message, or
// one batch control segment on its own (Control reports which). An item that
// does not parse is reported by ItemErr and the scanner goes on with the
// next one; Err reports what stopped it (nil at the end of the input).
// Concatenating the Bytes of every item gives back the input exactly.
type Scanner struct {
	r       *bufio.Reader
	maxSize int
	buf     []byte // the current item as read so far; between items, the line that starts the next
	started bool
	offset  int64 // of the current item in the stream
	next    int64 // stream offset just after what has been read
	n       int   // items so far

	msg     *Message
	raw     []byte
	control bool
	itemErr error
	err     error

	delims       *Delimiters
	inFile       bool
	inBatch      bool
	fileDone     bool
	batchCount   int // messages in the open batch
	batchesInFHS int
}

// NewScanner returns a Scanner reading r.
func NewScanner(r io.Reader) *Scanner {
	return &Scanner{r: bufio.NewReaderSize(r, 64<<10), maxSize: DefaultMaxSize}
}

// SetMaxSize sets the largest item accepted, DefaultMaxSize by default. A
// larger one stops the scanner with ErrTooLarge.
func (s *Scanner) SetMaxSize(n int) { s.maxSize = n }

// Message returns the current item: a message, or a batch control segment
// parsed alone. It is nil when the item did not parse.
func (s *Scanner) Message() *Message { return s.msg }

// Control reports whether the current item is a batch control segment (FHS,
// BHS, BTS or FTS).
func (s *Scanner) Control() bool { return s.control }

// Bytes returns the current item's bytes, valid until the next Scan.
func (s *Scanner) Bytes() []byte { return s.raw }

// ItemErr returns why the current item is wrong: it did not parse, or a
// batch envelope around it is out of order or miscounted.
func (s *Scanner) ItemErr() error { return s.itemErr }

// Err returns the error that stopped the scanner, nil at the end of input.
func (s *Scanner) Err() error { return s.err }

// ItemError says which item of a stream an error is in.
type ItemError struct {
	Item   int   // 1-based
	Offset int64 // where the item starts in the stream
	Err    error
}

func (e *ItemError) Error() string {
	return "hl7: item " + strconv.Itoa(e.Item) + " at byte " + strconv.FormatInt(e.Offset, 10) + ": " +
		strings.TrimPrefix(e.Err.Error(), "hl7: ")
}

func (e *ItemError) Unwrap() error { return e.Err }

// Scan advances to the next item and reports whether there is one.
func (s *Scanner) Scan() bool {
	s.msg, s.raw, s.control, s.itemErr = nil, nil, false, nil
	if s.err != nil {
		return false
	}
	// s.buf holds the pending line that starts this item, if any; lines are
	// read onto its end until one starts the next item.
	kind := ""
	s.offset = s.next - int64(len(s.buf))
	if len(s.buf) > 0 {
		kind = s.lineKind(s.buf)
	}
	var err error
	for {
		start := len(s.buf)
		s.buf, err = s.readLine(s.buf)
		if line := s.buf[start:]; len(line) > 0 {
			s.next += int64(len(line))
			k := s.lineKind(line)
			if kind != "" && k != "" && (k != "SEG" || kind != "MSH" && kind != "SEG") {
				s.raw = bytes.Clone(s.buf[:start])
				s.buf = append(s.buf[:0], line...)
				break
			}
			if kind == "" {
				kind = k
			}
			if len(s.buf) > s.maxSize {
				s.err = &ItemError{Item: s.n + 1, Offset: s.offset, Err: &Error{Offset: -1, Err: ErrTooLarge}}
				return false
			}
		}
		if err != nil {
			if err != io.EOF {
				s.err = err
				return false
			}
			if len(s.buf) == 0 {
				return false
			}
			s.raw = bytes.Clone(s.buf)
			s.buf = s.buf[:0]
			break
		}
	}
	s.n++
	s.item(s.raw, kind)
	return true
}

// lineKind classifies a line: "MSH", a batch control segment name, "SEG"
// for any other line, "" for a blank one.
func (s *Scanner) lineKind(line []byte) string {
	if !s.started {
		s.started = true
		line = bytes.TrimPrefix(line, bom)
	}
	if blank(line) {
		return ""
	}
	if len(line) >= 3 {
		switch string(line[:3]) {
		case "MSH":
			return "MSH"
		case "FHS":
			return "FHS"
		case "BHS":
			return "BHS"
		case "BTS":
			return "BTS"
		case "FTS":
			return "FTS"
		}
	}
	return "SEG"
}

func blank(line []byte) bool {
	for _, c := range line {
		if c != '\r' && c != '\n' {
			return false
		}
	}
	return true
}

// item parses one item and keeps the batch envelope's state.
func (s *Scanner) item(unit []byte, kind string) {
	var m *Message
	var err error
	switch kind {
	case "FHS", "BHS", "BTS", "FTS":
		s.control = true
		m, err = parse(unit, s.delims, true, false)
	default:
		m, err = parse(unit, nil, false, false)
	}
	if err == nil {
		err = s.envelope(m, kind)
	}
	s.msg = m
	if err != nil {
		s.itemErr = &ItemError{Item: s.n, Offset: s.offset, Err: err}
	}
}

func (s *Scanner) envelope(m *Message, kind string) error {
	bad := func(what error) error { return &Error{Segment: 1, Name: kind, Seq: 1, Offset: 0, Err: what} }
	if s.fileDone {
		return bad(ErrBatchStructure)
	}
	switch kind {
	case "FHS":
		if s.inFile || s.n > 1 {
			return bad(ErrBatchStructure)
		}
		s.inFile, s.delims = true, &m.delims
	case "BHS":
		if s.inBatch {
			return bad(ErrBatchStructure)
		}
		s.inBatch, s.batchCount, s.delims = true, 0, &m.delims
		s.batchesInFHS++
	case "BTS":
		if !s.inBatch {
			return bad(ErrBatchStructure)
		}
		s.inBatch = false
		if c := m.Get("BTS-1"); c != "" && c != strconv.Itoa(s.batchCount) {
			return &Error{Segment: 1, Name: kind, Seq: 1, Field: 1, Offset: -1, Err: ErrBatchCount}
		}
	case "FTS":
		if !s.inFile || s.inBatch {
			return bad(ErrBatchStructure)
		}
		s.fileDone = true
		if c := m.Get("FTS-1"); c != "" && c != strconv.Itoa(s.batchesInFHS) {
			return &Error{Segment: 1, Name: kind, Seq: 1, Field: 1, Offset: -1, Err: ErrBatchCount}
		}
	default:
		if s.inBatch {
			s.batchCount++
		}
		if s.delims == nil || !s.inFile && !s.inBatch {
			s.delims = &m.delims
		}
	}
	return nil
}

// readLine appends the next line with its terminator (CR, LF or CRLF) to
// buf; the last line may have none. It stops early, mid-line, once buf is
// over the size limit.
func (s *Scanner) readLine(buf []byte) ([]byte, error) {
	for {
		if _, err := s.r.Peek(1); err != nil {
			return buf, err
		}
		chunk, _ := s.r.Peek(s.r.Buffered())
		i := bytes.IndexAny(chunk, "\r\n")
		if i < 0 {
			buf = append(buf, chunk...)
			_, _ = s.r.Discard(len(chunk))
			if len(buf) > s.maxSize {
				return buf, nil
			}
			continue
		}
		buf = append(buf, chunk[:i+1]...)
		_, _ = s.r.Discard(i + 1)
		if chunk[i] == '\r' {
			if nb, err := s.r.Peek(1); err == nil && nb[0] == '\n' {
				buf = append(buf, '\n')
				_, _ = s.r.Discard(1)
			}
		}
		return buf, nil
	}
}

// Batch is a parsed file of messages: its items in order, messages and
// batch control segments (each parsed alone as a one-segment Message).
type Batch struct {
	Items []*Message
}

// ParseBatch parses every message and batch control segment in b and checks
// the FHS/BHS/BTS/FTS envelope, if any: order, and the counts in BTS-1 and
// FTS-1. It stops at the first error, an *ItemError saying which item.
func ParseBatch(b []byte) (*Batch, error) {
	sc := NewScanner(bytes.NewReader(b))
	sc.SetMaxSize(len(b) + 1)
	out := &Batch{}
	for sc.Scan() {
		if sc.ItemErr() != nil {
			return nil, sc.ItemErr()
		}
		out.Items = append(out.Items, sc.Message())
	}
	if sc.Err() != nil {
		return nil, sc.Err()
	}
	if sc.inBatch || sc.inFile && !sc.fileDone {
		return nil, &ItemError{Item: sc.n, Offset: sc.offset, Err: &Error{Offset: -1, Err: errors.New("batch envelope not closed")}}
	}
	return out, nil
}

// Messages returns the messages of the batch, without control segments.
func (b *Batch) Messages() []*Message {
	var out []*Message
	for _, m := range b.Items {
		if !m.Control() {
			out = append(out, m)
		}
	}
	return out
}

// Bytes returns the batch as parsed (with any edits to its messages).
func (b *Batch) Bytes() []byte {
	var out []byte
	for _, m := range b.Items {
		out = append(out, m.Bytes()...)
	}
	return out
}

// Control reports whether m is a batch control segment (FHS, BHS, BTS, FTS)
// rather than a message.
func (m *Message) Control() bool {
	switch string(m.segs[0].name[:]) {
	case "FHS", "BHS", "BTS", "FTS":
		return true
	}
	return false
}
