package hl7

import (
	"fmt"
	"strconv"
)

// Path names a segment, a field or a part of one, as in "PID-3[2].1" or
// "OBX[2]-5". Zero in a number means it was not given.
type Path struct {
	Segment   string // segment ID; "" in a path relative to a segment
	SegRep    int    // occurrence of the segment, [n] after its ID
	Field     int    // field position as the standard counts it
	Rep       int    // field repetition, [n] after the field
	Component int
	Sub       int
}

// ParsePath parses a path: SEG[n]-F[r].C.S, where every part after the
// segment ID is optional. A path relative to a segment (for Segment.Get)
// leaves out "SEG[n]-": "5[2].1".
func ParsePath(s string) (Path, error) {
	var p Path
	bad := func() (Path, error) { return Path{}, fmt.Errorf("hl7: %w %q", ErrPath, s) }
	rest := s
	if len(s) >= 3 && validName(s[:3]) {
		p.Segment, rest = s[:3], s[3:]
		var ok bool
		if p.SegRep, rest, ok = bracket(rest); !ok {
			return bad()
		}
		if rest == "" {
			return p, nil
		}
		if rest[0] != '-' {
			return bad()
		}
		rest = rest[1:]
	}
	var ok bool
	if p.Field, rest, ok = number(rest); !ok {
		return bad()
	}
	if p.Rep, rest, ok = bracket(rest); !ok {
		return bad()
	}
	if rest != "" {
		if rest[0] != '.' {
			return bad()
		}
		if p.Component, rest, ok = number(rest[1:]); !ok {
			return bad()
		}
	}
	if rest != "" {
		if rest[0] != '.' {
			return bad()
		}
		if p.Sub, rest, ok = number(rest[1:]); !ok || rest != "" {
			return bad()
		}
	}
	return p, nil
}

// number reads a positive decimal number at the start of s.
func number(s string) (int, string, bool) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 || i > 6 {
		return 0, s, false
	}
	n, _ := strconv.Atoi(s[:i])
	return n, s[i:], n > 0
}

// bracket reads an optional "[n]" at the start of s.
func bracket(s string) (int, string, bool) {
	if s == "" || s[0] != '[' {
		return 0, s, true
	}
	n, rest, ok := number(s[1:])
	if !ok || rest == "" || rest[0] != ']' {
		return 0, s, false
	}
	return n, rest[1:], true
}

// String writes the path back in the form ParsePath reads.
func (p Path) String() string {
	b := []byte(p.Segment)
	if p.SegRep > 0 {
		b = append(b, '[')
		b = strconv.AppendInt(b, int64(p.SegRep), 10)
		b = append(b, ']')
	}
	if p.Field == 0 {
		return string(b)
	}
	if p.Segment != "" {
		b = append(b, '-')
	}
	b = strconv.AppendInt(b, int64(p.Field), 10)
	if p.Rep > 0 {
		b = append(b, '[')
		b = strconv.AppendInt(b, int64(p.Rep), 10)
		b = append(b, ']')
	}
	if p.Component > 0 {
		b = append(b, '.')
		b = strconv.AppendInt(b, int64(p.Component), 10)
		if p.Sub > 0 {
			b = append(b, '.')
			b = strconv.AppendInt(b, int64(p.Sub), 10)
		}
	}
	return string(b)
}
