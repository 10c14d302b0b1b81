package v2fhir

import (
	"strconv"
	"unicode/utf8"
)

// object is a JSON object that keeps its members in the order they were set
// and leaves out empty values, so resources read like the FHIR spec writes
// them and encode deterministically.
type object struct{ members []member }

type member struct {
	name  string
	value any // string, number, bool, int, *object, []*object, []string
}

// number is a JSON number kept as the sender wrote it (FHIR decimals keep
// their precision: 5.0 is not 5).
type number string

func obj(kv ...any) *object {
	o := &object{members: make([]member, 0, len(kv)/2)}
	for i := 0; i+1 < len(kv); i += 2 {
		o.set(kv[i].(string), kv[i+1])
	}
	return o
}

// set adds a member unless v is empty.
func (o *object) set(name string, v any) *object {
	if !isEmpty(v) {
		o.members = append(o.members, member{name, v})
	}
	return o
}

func (o *object) empty() bool { return o == nil || len(o.members) == 0 }

// get returns a member's value, nil if absent.
func (o *object) get(name string) any {
	for _, m := range o.members {
		if m.name == name {
			return m.value
		}
	}
	return nil
}

func isEmpty(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case string:
		return v == ""
	case number:
		return v == ""
	case *object:
		return v.empty()
	case []*object:
		for _, o := range v {
			if !o.empty() {
				return false
			}
		}
		return true
	case []string:
		return len(v) == 0
	}
	return false
}

func (o *object) bytes() []byte { return o.appendJSON(make([]byte, 0, 512)) }

func (o *object) appendJSON(b []byte) []byte {
	b = append(b, '{')
	for i, m := range o.members {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, m.name)
		b = append(b, ':')
		b = appendValue(b, m.value)
	}
	return append(b, '}')
}

func appendValue(b []byte, v any) []byte {
	switch v := v.(type) {
	case string:
		return appendString(b, v)
	case number:
		return append(b, v...)
	case bool:
		return strconv.AppendBool(b, v)
	case int:
		return strconv.AppendInt(b, int64(v), 10)
	case *object:
		return v.appendJSON(b)
	case []*object:
		b = append(b, '[')
		n := 0
		for _, o := range v {
			if o.empty() {
				continue
			}
			if n > 0 {
				b = append(b, ',')
			}
			b = o.appendJSON(b)
			n++
		}
		return append(b, ']')
	case []string:
		b = append(b, '[')
		for i, s := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, s)
		}
		return append(b, ']')
	}
	panic("v2fhir: unexpected JSON value type")
}

// appendString writes s as a JSON string; invalid UTF-8 becomes U+FFFD.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20:
				// dropped: FHIR strings cannot hold other control characters
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, "\ufffd"...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
