package hl7

import "bytes"

// Message is one parsed HL7 v2 message. It keeps the bytes it was parsed
// from and where each segment starts and ends in them; see the package
// comment for what that promises. A Message is not safe for concurrent use
// when one goroutine calls Set; concurrent reads are safe.
type Message struct {
	raw    []byte
	bom    bool
	delims Delimiters
	first  int // start of the first segment (after the BOM and any blank lines)
	segs   []segment
	edited bool
}

// segment is one segment: its content raw[start:end], without terminator,
// and raw[end:next], the terminator and any blank lines after it. data and
// term replace them once the segment is edited or added.
type segment struct {
	start, end, next int
	name             [3]byte
	data             []byte
	term             []byte
}

// MaxSegments bounds the segments of one message, so a hostile stream of
// line breaks cannot make Parse allocate without limit.
const MaxSegments = 1 << 20

// Parse parses one message. b must start with MSH (after an optional UTF-8
// byte-order mark and blank lines) and hold no other message header; files
// of several messages or FHS/BHS batches go through a Scanner or ParseBatch.
// Segments may end in CR, LF or CRLF. Parse keeps b (see the package
// comment) and checks the syntax a receiver needs to trust: the header and
// its delimiters, and that every segment starts with a valid segment ID
// followed by the field separator. Values are not checked until read.
func Parse(b []byte) (*Message, error) {
	return parse(b, nil, false, false)
}

// ParseHeader parses only the MSH segment of b, so a receiver can still
// acknowledge (with AR or AE) a message whose body Parse rejects. The result
// holds only MSH; its Bytes are the bytes of that segment.
func ParseHeader(b []byte) (*Message, error) {
	return parse(b, nil, false, true)
}

// parse parses a message, or with control set, one batch control segment
// (FHS, BHS, BTS, FTS); BTS and FTS use the delimiters given in inherit.
func parse(b []byte, inherit *Delimiters, control, headerOnly bool) (*Message, error) {
	m := &Message{raw: b}
	pos := 0
	if len(b) >= 2 && (b[0] == 0xFE && b[1] == 0xFF || b[0] == 0xFF && b[1] == 0xFE) {
		return nil, &Error{Offset: 0, Err: ErrUTF16}
	}
	if bytes.HasPrefix(b, bom) {
		m.bom = true
		pos = len(bom)
	}
	for pos < len(b) && (b[pos] == '\r' || b[pos] == '\n') {
		pos++
	}
	m.first = pos
	if pos == len(b) {
		return nil, &Error{Offset: pos, Err: ErrEmpty}
	}
	m.segs = make([]segment, 0, 16)
	lines := lineFinder{b: b, cr: -1, lf: -1}
	for pos < len(b) {
		if len(m.segs) == MaxSegments {
			return nil, &Error{Segment: len(m.segs) + 1, Offset: pos, Err: ErrTooLarge}
		}
		end := lines.next(pos)
		next := end
		if next < len(b) && b[next] == '\r' {
			next++
		}
		if next < len(b) && b[next] == '\n' {
			next++
		}
		for next < len(b) && (b[next] == '\r' || b[next] == '\n') {
			next++
		}
		seg := segment{start: pos, end: end, next: next}
		if err := m.checkSegment(b[pos:end], &seg, inherit, control); err != nil {
			err.Offset = pos
			return nil, err
		}
		m.segs = append(m.segs, seg)
		if headerOnly || control {
			if control && next < len(b) {
				return nil, &Error{Segment: 2, Name: segName(b[next:]), Offset: next, Err: ErrBatchSegment}
			}
			m.raw = b[:next]
			break
		}
		pos = next
	}
	return m, nil
}

var bom = []byte{0xEF, 0xBB, 0xBF}

// lineFinder finds line ends. It remembers the next CR and the next LF, so
// each byte is searched (with the vectorised bytes.IndexByte) at most once
// for each, whatever mix of endings the input has.
type lineFinder struct {
	b      []byte
	cr, lf int // index of the next CR / LF at or after the last position, len(b) if none; -1 before the first search
}

// next returns the index of the first CR or LF at or after pos, or len(b).
func (f *lineFinder) next(pos int) int {
	if f.cr < pos {
		f.cr = indexFrom(f.b, pos, '\r')
	}
	if f.lf < pos {
		f.lf = indexFrom(f.b, pos, '\n')
	}
	return min(f.cr, f.lf)
}

func indexFrom(b []byte, pos int, c byte) int {
	if i := bytes.IndexByte(b[pos:], c); i >= 0 {
		return pos + i
	}
	return len(b)
}

// checkSegment checks segment content s (the n-th segment) and fills in its
// name, and for the first segment the message's delimiters.
func (m *Message) checkSegment(s []byte, seg *segment, inherit *Delimiters, control bool) *Error {
	n := len(m.segs) + 1
	if len(s) < 3 || !validName(s[:3]) {
		if n == 1 {
			return &Error{Segment: 1, Err: ErrNoHeader}
		}
		return &Error{Segment: n, Err: ErrSegmentName}
	}
	copy(seg.name[:], s)
	fail := func(err error, field int) *Error {
		return &Error{Segment: n, Name: string(seg.name[:]), Seq: m.occurrence(seg.name), Field: field, Err: err}
	}
	if n == 1 {
		switch name := string(seg.name[:]); {
		case name == "MSH" && !control, control && (name == "FHS" || name == "BHS"):
			d, field, ok := parseDelimiters(s)
			if !ok {
				return fail(ErrDelimiters, field)
			}
			m.delims = d
			return nil
		case control && (name == "BTS" || name == "FTS") && inherit != nil:
			m.delims = *inherit
		case !control && (name == "FHS" || name == "BHS"):
			return fail(ErrBatchSegment, 0)
		case control:
			return &Error{Segment: 1, Err: ErrBatchStructure}
		default:
			return &Error{Segment: 1, Err: ErrNoHeader}
		}
	} else {
		switch string(seg.name[:]) {
		case "MSH":
			return fail(ErrSecondHeader, 0)
		case "FHS", "BHS", "BTS", "FTS":
			return fail(ErrBatchSegment, 0)
		}
	}
	if len(s) > 3 && s[3] != m.delims.Field {
		return fail(ErrSegmentName, 0)
	}
	return nil
}

// occurrence returns which occurrence of its ID the next segment would be.
func (m *Message) occurrence(name [3]byte) int {
	n := 1
	for _, o := range m.segs {
		if o.name == name {
			n++
		}
	}
	return n
}

// validName reports whether s is a segment ID: an upper-case letter and two
// upper-case letters or digits.
func validName[T string | []byte](s T) bool {
	if len(s) != 3 || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for i := 1; i < 3; i++ {
		if c := s[i]; (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// isHeader reports whether a segment's first two fields are the delimiters.
func isHeader(name [3]byte) bool {
	switch string(name[:]) {
	case "MSH", "FHS", "BHS":
		return true
	}
	return false
}
