package hl7

import (
	"bytes"
	"strconv"
)

// Segment is one segment of a Message. It stays valid while the message
// lives; edits through it change the message.
type Segment struct {
	m *Message
	i int
}

// Name returns the segment ID, e.g. "PID".
func (s Segment) Name() string { return string(s.m.segs[s.i].name[:]) }

// Index returns the segment's 1-based position in the message.
func (s Segment) Index() int { return s.i + 1 }

// String names the segment without its content (patient data stays out of
// logs): "segment 3 (PID)".
func (s Segment) String() string {
	if s.m == nil {
		return "no segment"
	}
	return "segment " + strconv.Itoa(s.i+1) + " (" + s.Name() + ")"
}

// Bytes returns the segment's encoded text without its terminator. The
// caller must not modify it.
func (s Segment) Bytes() []byte { return s.m.content(s.i) }

// NumFields returns the number of fields present, counting as the standard
// does (MSH-1 is a field).
func (s Segment) NumFields() int {
	n := bytes.Count(s.m.content(s.i), []byte{s.m.delims.Field})
	if s.header() {
		n++
	}
	return n
}

// Reps returns how many repetitions field n has (0 when it is empty).
func (s Segment) Reps(n int) int {
	f := s.field(n)
	switch {
	case len(f) == 0:
		return 0
	case s.header() && n <= 2:
		return 1
	}
	return bytes.Count(f, []byte{s.m.delims.Repetition}) + 1
}

// Get returns the unescaped value at path, which is relative to the segment
// ("5", "3[2].1") or names it ("PID-3[2].1"); see Message.Get.
func (s Segment) Get(path string) string {
	p, ok := s.rel(path)
	if !ok {
		return ""
	}
	return s.get(p)
}

// Raw returns the still-encoded text at a relative path; see Message.Raw.
func (s Segment) Raw(path string) string {
	p, ok := s.rel(path)
	if !ok {
		return ""
	}
	return string(s.raw(p, false))
}

// Set escapes value and writes it at a relative path; see Message.Set.
func (s Segment) Set(path, value string) error {
	p, ok := s.rel(path)
	if !ok {
		return &Error{Segment: s.i + 1, Name: s.Name(), Offset: -1, Err: ErrPath}
	}
	return s.set(p, value, false)
}

func (s Segment) rel(path string) (Path, bool) {
	p, err := ParsePath(path)
	if err != nil || p.Field == 0 || p.Segment != "" && p.Segment != s.Name() {
		return p, false
	}
	return p, true
}

func (s Segment) header() bool { return isHeader(s.m.segs[s.i].name) }

// field returns field n of the segment, nil when absent.
func (s Segment) field(n int) []byte {
	c := s.m.content(s.i)
	if s.header() {
		if n == 1 {
			return c[3:min(4, len(c))]
		}
		return nth(c, s.m.delims.Field, n)
	}
	return nth(c, s.m.delims.Field, n+1)
}

// nth returns the n-th (1-based) element of s split by sep, nil when absent.
func nth(s []byte, sep byte, n int) []byte {
	for k := 1; k < n; k++ {
		j := bytes.IndexByte(s, sep)
		if j < 0 {
			return nil
		}
		s = s[j+1:]
	}
	if j := bytes.IndexByte(s, sep); j >= 0 {
		s = s[:j]
	}
	return s
}

func one(n int) int { return max(n, 1) }

// raw returns the encoded element at p. With leaf set, missing levels mean 1
// down to the subcomponent; otherwise the element stops at the deepest level
// p gives.
func (s Segment) raw(p Path, leaf bool) []byte {
	f := s.field(p.Field)
	if s.header() && p.Field <= 2 {
		if one(p.Rep) > 1 || one(p.Component) > 1 || one(p.Sub) > 1 {
			return nil
		}
		return f
	}
	d := &s.m.delims
	if leaf || p.Rep > 0 || p.Component > 0 {
		f = nth(f, d.Repetition, one(p.Rep))
	}
	if leaf || p.Component > 0 {
		f = nth(f, d.Component, one(p.Component))
	}
	if leaf || p.Sub > 0 {
		f = nth(f, d.Subcomponent, one(p.Sub))
	}
	return f
}

func (s Segment) get(p Path) string {
	v := s.raw(p, true)
	if s.header() && p.Field <= 2 {
		return string(v)
	}
	if isNull(v) {
		return ""
	}
	return unescape(v, &s.m.delims)
}

// appendAll appends the value at p from every repetition of the field (or
// the one p names).
func (s Segment) appendAll(out []string, p Path) []string {
	f := s.field(p.Field)
	if len(f) == 0 {
		return out
	}
	if s.header() && p.Field <= 2 {
		return append(out, string(f))
	}
	d := &s.m.delims
	for r := 1; ; r++ {
		rep := nth(f, d.Repetition, r)
		if rep == nil {
			return out
		}
		if p.Rep == 0 || p.Rep == r {
			v := nth(nth(rep, d.Component, one(p.Component)), d.Subcomponent, one(p.Sub))
			if isNull(v) {
				out = append(out, "")
			} else {
				out = append(out, unescape(v, d))
			}
		}
	}
}

// set writes value at p: escaped down to the leaf, or raw at the level p
// names.
func (s Segment) set(p Path, value string, raw bool) error {
	e := &Error{Segment: s.i + 1, Name: s.Name(), Field: p.Field, Rep: p.Rep, Component: p.Component, Sub: p.Sub, Offset: -1}
	if s.header() && p.Field <= 2 {
		e.Err = ErrReadOnly
		return e
	}
	d := &s.m.delims
	elem := p.Field + 1
	if s.header() {
		elem = p.Field
	}
	seps := []byte{d.Field, d.Repetition, d.Component, d.Subcomponent}
	idx := []int{elem, one(p.Rep), one(p.Component), one(p.Sub)}
	var val []byte
	if raw {
		depth := 1
		switch {
		case p.Sub > 0:
			depth = 4
		case p.Component > 0:
			depth = 3
		case p.Rep > 0:
			depth = 2
		}
		seps, idx = seps[:depth], idx[:depth]
		forbidden := append([]byte{'\r', '\n'}, seps...)
		if bytes.ContainsAny([]byte(value), string(forbidden)) {
			e.Err = ErrDelimiters
			return e
		}
		val = []byte(value)
	} else {
		val = []byte(escape(value, d))
	}
	seg := &s.m.segs[s.i]
	seg.data = splice(s.m.content(s.i), seps, idx, val)
	s.m.edited = true
	return nil
}

// splice returns s with the element at idx (one index per level, split by
// seps) replaced by val, adding separators where s has too few elements.
func splice(s []byte, seps []byte, idx []int, val []byte) []byte {
	if len(seps) == 0 {
		return val
	}
	sep, n := seps[0], idx[0]
	start, pad := 0, 0
	for k := 1; k < n; k++ {
		j := bytes.IndexByte(s[start:], sep)
		if j < 0 {
			pad, start = n-k, len(s)
			break
		}
		start += j + 1
	}
	end := len(s)
	if pad == 0 {
		if j := bytes.IndexByte(s[start:], sep); j >= 0 {
			end = start + j
		}
	}
	inner := splice(s[start:end], seps[1:], idx[1:], val)
	out := make([]byte, 0, len(s)+pad+len(inner)-(end-start))
	out = append(out, s[:start]...)
	for range pad {
		out = append(out, sep)
	}
	out = append(out, inner...)
	return append(out, s[end:]...)
}
