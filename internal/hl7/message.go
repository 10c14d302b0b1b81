package hl7

import (
	"bytes"
	"iter"
)

// Delimiters returns the message's delimiters (from MSH-1 and MSH-2).
func (m *Message) Delimiters() Delimiters { return m.delims }

// HasBOM reports whether the input began with a UTF-8 byte-order mark.
func (m *Message) HasBOM() bool { return m.bom }

// NumSegments returns the number of segments (blank lines are not segments).
func (m *Message) NumSegments() int { return len(m.segs) }

// Segment returns the i-th segment, 1-based as in error messages. It panics
// when i is out of range, like indexing a slice.
func (m *Message) Segment(i int) Segment {
	if i < 1 || i > len(m.segs) {
		panic("hl7: segment index out of range")
	}
	return Segment{m: m, i: i - 1}
}

// Segments returns the segments with the given ID in order, or every segment
// when name is "".
func (m *Message) Segments(name string) []Segment {
	var out []Segment
	for i := range m.segs {
		if name == "" || string(m.segs[i].name[:]) == name {
			out = append(out, Segment{m: m, i: i})
		}
	}
	return out
}

// All yields every segment in order.
func (m *Message) All() iter.Seq[Segment] {
	return func(yield func(Segment) bool) {
		for i := range m.segs {
			if !yield(Segment{m: m, i: i}) {
				return
			}
		}
	}
}

// Find returns the n-th (1-based) segment with the given ID.
func (m *Message) Find(name string, n int) (Segment, bool) {
	if n < 1 {
		n = 1
	}
	for i := range m.segs {
		if string(m.segs[i].name[:]) == name {
			if n--; n == 0 {
				return Segment{m: m, i: i}, true
			}
		}
	}
	return Segment{}, false
}

// Get returns the unescaped value at path, "" when the path names nothing,
// holds the HL7 null ("") or is not a valid path. Missing repetition,
// component and subcomponent numbers mean 1 (see the package comment).
func (m *Message) Get(path string) string {
	s, p, ok := m.lookup(path)
	if !ok {
		return ""
	}
	return s.get(p)
}

// GetAll returns the values at path from every repetition of the field, and
// from every occurrence of the segment when the path gives no occurrence:
// GetAll("PID-3.1") lists each identifier of the first PID, GetAll("OBX-3.1")
// each observation code. Fields that are empty give no values.
func (m *Message) GetAll(path string) []string {
	p, err := ParsePath(path)
	if err != nil || p.Segment == "" || p.Field == 0 {
		return nil
	}
	var out []string
	n := 0
	for i := range m.segs {
		if string(m.segs[i].name[:]) != p.Segment {
			continue
		}
		if n++; p.SegRep > 0 && n != p.SegRep {
			continue
		}
		out = Segment{m: m, i: i}.appendAll(out, p)
	}
	return out
}

// Raw returns the still-encoded text at path: all of the element it names,
// so Raw("PID-3") is every repetition of PID-3 with its delimiters.
func (m *Message) Raw(path string) string {
	s, p, ok := m.lookup(path)
	if !ok {
		return ""
	}
	return string(s.raw(p, false))
}

// IsNull reports whether the value at path is the HL7 null, two double
// quotes, which tells the receiver to delete what it holds.
func (m *Message) IsNull(path string) bool {
	s, p, ok := m.lookup(path)
	return ok && isNull(s.raw(p, true))
}

// Null is the HL7 null value: Set(path, Null) tells the receiver to delete.
const Null = `""`

func isNull(b []byte) bool { return len(b) == 2 && b[0] == '"' && b[1] == '"' }

func (m *Message) lookup(path string) (Segment, Path, bool) {
	p, err := ParsePath(path)
	if err != nil || p.Segment == "" || p.Field == 0 {
		return Segment{}, p, false
	}
	s, ok := m.Find(p.Segment, p.SegRep)
	return s, p, ok
}

// Set escapes value and writes it at path, adding the separators needed when
// the field, repetition or component does not yet exist. Like Get, missing
// repetition, component and subcomponent numbers mean 1. Only the segment
// changed is re-encoded.
func (m *Message) Set(path, value string) error {
	s, p, err := m.setTarget(path)
	if err != nil {
		return err
	}
	return s.set(p, value, false)
}

// SetRaw writes already-encoded text at path, replacing all of the element
// the path names (as Raw reads it). raw must not hold line breaks or the
// delimiters of higher levels than the element's own.
func (m *Message) SetRaw(path, raw string) error {
	s, p, err := m.setTarget(path)
	if err != nil {
		return err
	}
	return s.set(p, raw, true)
}

func (m *Message) setTarget(path string) (Segment, Path, error) {
	p, err := ParsePath(path)
	if err != nil {
		return Segment{}, p, err
	}
	if p.Segment == "" || p.Field == 0 {
		return Segment{}, p, &Error{Offset: -1, Err: ErrPath}
	}
	s, ok := m.Find(p.Segment, p.SegRep)
	if !ok {
		return Segment{}, p, &Error{Name: p.Segment, Offset: -1, Err: ErrNotFound}
	}
	return s, p, nil
}

// AddSegment appends an empty segment with the given ID, ended like the
// message's first segment, and returns it for Set.
func (m *Message) AddSegment(name string) (Segment, error) {
	if !validName(name) || name == "MSH" {
		return Segment{}, &Error{Offset: -1, Err: ErrSegmentName}
	}
	term := m.terminator()
	last := &m.segs[len(m.segs)-1]
	if len(m.gap(len(m.segs)-1)) == 0 {
		last.term = term
	}
	seg := segment{start: -1, data: []byte(name), term: term}
	copy(seg.name[:], name)
	m.segs = append(m.segs, seg)
	m.edited = true
	return Segment{m: m, i: len(m.segs) - 1}, nil
}

// terminator returns the first segment's line ending (CR when it has none).
func (m *Message) terminator() []byte {
	g := m.gap(0)
	switch {
	case bytes.HasPrefix(g, []byte("\r\n")):
		return []byte("\r\n")
	case len(g) > 0 && g[0] == '\n':
		return []byte("\n")
	}
	return []byte("\r")
}

// content returns segment i's text without its terminator.
func (m *Message) content(i int) []byte {
	if s := &m.segs[i]; s.data != nil {
		return s.data
	} else {
		return m.raw[s.start:s.end]
	}
}

// gap returns what follows segment i: its terminator and blank lines.
func (m *Message) gap(i int) []byte {
	if s := &m.segs[i]; s.term != nil || s.start < 0 {
		return s.term
	} else {
		return m.raw[s.end:s.next]
	}
}

// Bytes returns the message as it was parsed, byte for byte, with any edits
// made since. For an unmodified message it returns the parsed slice itself,
// which the caller must not modify.
func (m *Message) Bytes() []byte {
	if !m.edited {
		return m.raw
	}
	n := m.first
	for i := range m.segs {
		n += len(m.content(i)) + len(m.gap(i))
	}
	out := make([]byte, 0, n)
	out = append(out, m.raw[:m.first]...)
	for i := range m.segs {
		out = append(out, m.content(i)...)
		out = append(out, m.gap(i)...)
	}
	return out
}

// Encode returns the message in wire form: no byte-order mark, no blank
// lines, each segment followed by one CR. This is what MLLP carries.
func (m *Message) Encode() []byte {
	n := 0
	for i := range m.segs {
		n += len(m.content(i)) + 1
	}
	out := make([]byte, 0, n)
	for i := range m.segs {
		out = append(out, m.content(i)...)
		out = append(out, '\r')
	}
	return out
}
