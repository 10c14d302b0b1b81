package hl7

import (
	"bytes"
	"strings"
)

// Unescape decodes the escape sequences of an encoded value (using d's
// escape character, \ in what follows):
//
//	\F\ \S\ \T\ \R\ \E\   field, component, subcomponent, repetition separator, escape
//	\P\                   truncation character (v2.7+, when MSH-2 has one)
//	\Xhh..\               the bytes hh.. in hexadecimal
//	\.br\                 a line break, "\n"
//
// Every other sequence is kept verbatim, escape characters and all, so that
// nothing is lost: highlighting (\H\ \N\), the other formatted-text commands
// (\.sp\, \.in+4\, \.ce\ ...), character-set escapes (\Cxxyy\, \Mxxyyzz\),
// locally defined ones (\Zxx..\), and malformed ones (an escape character
// with no closing one, a \X..\ with odd or non-hex digits).
func Unescape(s string, d Delimiters) string {
	if strings.IndexByte(s, d.Escape) < 0 {
		return s
	}
	return unescape([]byte(s), &d)
}

func unescape(v []byte, d *Delimiters) string {
	i := bytes.IndexByte(v, d.Escape)
	if i < 0 {
		return string(v)
	}
	out := make([]byte, 0, len(v))
	out = append(out, v[:i]...)
	for i < len(v) {
		c := v[i]
		if c != d.Escape {
			out = append(out, c)
			i++
			continue
		}
		j := bytes.IndexByte(v[i+1:], d.Escape)
		if j < 0 {
			out = append(out, v[i:]...)
			break
		}
		seq := v[i+1 : i+1+j]
		out = appendEscape(out, seq, v[i:i+2+j], d)
		i += j + 2
	}
	return string(out)
}

// appendEscape appends the meaning of escape sequence seq (without its
// escape characters), or whole, the sequence as written, when it is kept.
func appendEscape(out, seq, whole []byte, d *Delimiters) []byte {
	if len(seq) == 1 {
		switch seq[0] {
		case 'F':
			return append(out, d.Field)
		case 'S':
			return append(out, d.Component)
		case 'T':
			return append(out, d.Subcomponent)
		case 'R':
			return append(out, d.Repetition)
		case 'E':
			return append(out, d.Escape)
		case 'P':
			if d.Truncation != 0 {
				return append(out, d.Truncation)
			}
		}
		return append(out, whole...)
	}
	if string(seq) == ".br" {
		return append(out, '\n')
	}
	if len(seq) >= 3 && seq[0] == 'X' && len(seq)%2 == 1 {
		hex := seq[1:]
		n := len(out)
		for k := 0; k < len(hex); k += 2 {
			hi, ok1 := unhex(hex[k])
			lo, ok2 := unhex(hex[k+1])
			if !ok1 || !ok2 {
				return append(out[:n], whole...)
			}
			out = append(out, hi<<4|lo)
		}
		return out
	}
	return append(out, whole...)
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

// Escape encodes text for a field value: each delimiter becomes its escape
// sequence, a line feed becomes \.br\ (\X0A\ when '.' is a delimiter) and a
// carriage return \X0D\ (neither may appear raw, they end segments). Unescape(Escape(s, d), d) == s for
// every s.
func Escape(s string, d Delimiters) string { return escape(s, &d) }

func escape(s string, d *Delimiters) string {
	special := func(c byte) bool {
		return c == d.Field || c == d.Component || c == d.Subcomponent || c == d.Repetition ||
			c == d.Escape || c == '\r' || c == '\n' || d.Truncation != 0 && c == d.Truncation
	}
	i := 0
	for i < len(s) && !special(s[i]) {
		i++
	}
	if i == len(s) {
		return s
	}
	out := make([]byte, 0, len(s)+8)
	out = append(out, s[:i]...)
	for ; i < len(s); i++ {
		c := s[i]
		var code string
		switch {
		case !special(c):
			out = append(out, c)
			continue
		case c == d.Field:
			code = "F"
		case c == d.Component:
			code = "S"
		case c == d.Subcomponent:
			code = "T"
		case c == d.Repetition:
			code = "R"
		case c == d.Escape:
			code = "E"
		case c == '\r':
			code = "X0D"
		case c == '\n' && !d.has('.'):
			code = ".br"
		case c == '\n':
			code = "X0A" // \.br\ would hold a delimiter
		default:
			code = "P"
		}
		out = append(out, d.Escape)
		out = append(out, code...)
		out = append(out, d.Escape)
	}
	return string(out)
}

// has reports whether c is one of the delimiters.
func (d *Delimiters) has(c byte) bool {
	return c == d.Field || c == d.Component || c == d.Repetition || c == d.Escape ||
		c == d.Subcomponent || d.Truncation != 0 && c == d.Truncation
}
