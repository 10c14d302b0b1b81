package fhir

import (
	"bytes"
	"fmt"
	"slices"

	"github.com/go-json-experiment/json/jsontext"
)

// This file holds the validator's walk over the token stream: resources,
// objects, members, arrays and values. Each function is entered with the
// decoder positioned before the value it handles and leaves it after it.

// resource validates a JSON object that is a resource, typed by its
// resourceType member. The common case has resourceType first, which is
// read straight from the stream; otherwise the object is read whole and
// validated from a second decoder once its type is known.
func (v *validator) resource() error {
	typ, ok := leadingResourceType(v.d.UnreadBuffer())
	if !ok {
		return v.resourceAnyOrder()
	}
	t := v.m.resources[string(typ)]
	if t == nil {
		return v.skip(v.unknownType())
	}
	if _, err := v.d.ReadToken(); err != nil { // '{'
		return err
	}
	for range 2 { // "resourceType" and its value
		if _, err := v.d.ReadValue(); err != nil {
			return err
		}
	}
	v.enterResource(t)
	return v.object(t, true)
}

func (v *validator) resourceAnyOrder() error {
	raw, err := v.d.ReadValue()
	if err != nil {
		return err
	}
	obj := bytes.Clone(raw)
	typ, found := findResourceType(obj)
	if !found {
		return v.issue("invalid", suffix(v.path, "resourceType"), "resource has no resourceType (a JSON string)")
	}
	t := v.m.resources[typ]
	if t == nil {
		return v.unknownType()
	}
	saved := v.d
	v.d = jsontext.NewDecoder(bytes.NewBuffer(obj), decOpts...)
	defer func() { v.d = saved }()
	if _, err := v.d.ReadToken(); err != nil {
		return err
	}
	v.enterResource(t)
	return v.object(t, false)
}

func (v *validator) unknownType() error {
	return v.issue("code-invalid", suffix(v.path, "resourceType"), "unknown R4 resourceType")
}

// suffix is the path suffix for a member name: "name" at the top level,
// ".name" below it.
func suffix(path []byte, name string) string {
	if len(path) == 0 {
		return name
	}
	return "." + name
}

func (v *validator) enterResource(t *typeInfo) {
	if len(v.frames) == 0 {
		v.hdr.ResourceType = t.name
	}
	if len(v.path) == 0 {
		v.path = append(v.path, t.name...)
	}
}

// leadingResourceType returns the value of resourceType if it is the first
// member of the object at the start of raw (after separators), written
// without escapes.
func leadingResourceType(raw []byte) ([]byte, bool) {
	const key = `"resourceType"`
	i := skipSep(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return nil, false
	}
	i = skipSep(raw, i+1)
	if !bytes.HasPrefix(raw[i:], []byte(key)) {
		return nil, false
	}
	i = skipSep(raw, i+len(key)) // also skips the ':'
	if i >= len(raw) || raw[i] != '"' {
		return nil, false
	}
	i++
	j := i
	for j < len(raw) && raw[j] != '"' && raw[j] != '\\' && raw[j] >= 0x20 {
		j++
	}
	if j >= len(raw) || raw[j] != '"' {
		return nil, false
	}
	return raw[i:j], true
}

// skipSep skips JSON whitespace and the separators ':' and ','.
func skipSep(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\r', '\n', ':', ',':
			i++
		default:
			return i
		}
	}
	return i
}

// object validates the members of an object of type t; the '{' has been
// read. rtSeen says the resourceType member was already read.
func (v *validator) object(t *typeInfo, rtSeen bool) error {
	if len(v.frames) >= maxDepth {
		_ = v.issue("structure", "", fmt.Sprintf("objects nested deeper than %d", maxDepth))
		return errStop
	}
	fi := v.pushFrame(t)
	if rtSeen {
		v.frames[fi].members = 1
	}
	for {
		k, err := v.peek()
		if err != nil {
			return err
		}
		if k == '}' {
			break
		}
		raw, err := v.d.ReadValue()
		if err != nil {
			return err
		}
		if err := v.member(fi, raw, &rtSeen); err != nil {
			return err
		}
	}
	if _, err := v.d.ReadToken(); err != nil {
		return err
	}
	err := v.endFrame(fi)
	v.popFrame(fi)
	return err
}

func (v *validator) pushFrame(t *typeInfo) int {
	off, n := len(v.bits), 3*t.words
	v.bits = slices.Grow(v.bits, n)[:off+n]
	clear(v.bits[off:])
	v.frames = append(v.frames, frame{t: t, bits: off, arrs: len(v.arrs)})
	return len(v.frames) - 1
}

func (v *validator) popFrame(fi int) {
	f := &v.frames[fi]
	v.bits = v.bits[:f.bits]
	v.arrs = v.arrs[:f.arrs]
	v.frames = v.frames[:fi]
}

func (v *validator) bit(off, i int) bool { return v.bits[off+i>>6]&(1<<(i&63)) != 0 }
func (v *validator) setBit(off, i int)   { v.bits[off+i>>6] |= 1 << (i & 63) }

// member validates one member; raw is its name as read.
func (v *validator) member(fi int, raw jsontext.Value, rtSeen *bool) error {
	v.frames[fi].members++
	name, err := v.unquote(raw)
	if err != nil {
		return err
	}
	mark := len(v.path)
	v.path = append(v.path, '.')
	v.path = append(v.path, name...)
	err = v.memberValue(fi, name, rtSeen)
	v.path = v.path[:mark]
	return err
}

func (v *validator) memberValue(fi int, name []byte, rtSeen *bool) error {
	t := v.frames[fi].t
	ext := len(name) > 1 && name[0] == '_'
	key := name
	if ext {
		key = name[1:]
	}
	idx, ok := t.index[string(key)]
	if !ok {
		if t.isResource && string(name) == "resourceType" && !*rtSeen {
			*rtSeen = true
			return v.d.SkipValue() // checked before the walk began
		}
		if string(name) == "resourceType" && t.isResource {
			return v.skip(v.issue("structure", "", "duplicate element"))
		}
		return v.skip(v.issue("structure", "", "unknown element"))
	}
	e := &t.elems[idx]
	if ext && e.typ.prim == primNone {
		return v.skip(v.issue("structure", "", "unknown element (only primitive elements have _ siblings)"))
	}
	off, w := v.frames[fi].bits, t.words
	seen := off
	if ext {
		seen += w
	}
	if v.bit(seen, idx) {
		return v.skip(v.issue("structure", "", "duplicate element"))
	}
	if e.group >= 0 {
		if v.bit(off+2*w, e.group) && !v.bit(off, idx) && !v.bit(off+w, idx) {
			return v.skip(v.issue("structure", "", "only one of "+e.choice+"[x] may be present"))
		}
		v.setBit(off+2*w, e.group)
	}
	v.setBit(seen, idx)
	if ext {
		return v.primitiveExt(fi, idx, e)
	}
	return v.value(fi, idx, e)
}

// value validates an element's value: an array if it repeats, else one item.
func (v *validator) value(fi, idx int, e *elemInfo) error {
	k, err := v.peek()
	if err != nil {
		return err
	}
	if !e.repeats {
		if k == '[' {
			return v.skip(v.issue("structure", "", "element does not repeat: a JSON array is not allowed"))
		}
		return v.item(fi, e, k)
	}
	if k != '[' {
		return v.skip(v.issue("structure", "", "element repeats: value must be a JSON array"))
	}
	prim := e.typ.prim != primNone
	return v.array(func(k jsontext.Kind) (bool, error) {
		if k == 'n' && prim {
			_, err := v.d.ReadToken()
			return true, err
		}
		return false, v.item(fi, e, k)
	}, func(n int, hasNull bool) {
		if prim {
			v.arrs = append(v.arrs, primArray{elem: idx, n: n, hasNull: hasNull})
		}
	})
}

// array walks a JSON array (not yet opened), calling each for every item
// with the path extended by [i], and done with the count and whether any
// item was an accepted null.
func (v *validator) array(each func(jsontext.Kind) (isNull bool, err error), done func(n int, hasNull bool)) error {
	if _, err := v.d.ReadToken(); err != nil {
		return err
	}
	n, hasNull := 0, false
	for ; ; n++ {
		k, err := v.peek()
		if err != nil {
			return err
		}
		if k == ']' {
			break
		}
		mark := len(v.path)
		v.appendIndex(n)
		isNull, err := each(k)
		v.path = v.path[:mark]
		if err != nil {
			return err
		}
		hasNull = hasNull || isNull
	}
	if _, err := v.d.ReadToken(); err != nil {
		return err
	}
	done(n, hasNull)
	if n == 0 {
		return v.issue("structure", "", "empty array is not allowed (omit the element instead)")
	}
	return nil
}

// item validates one value of element e whose JSON kind is k.
func (v *validator) item(fi int, e *elemInfo, k jsontext.Kind) error {
	switch {
	case k == 'n':
		return v.skip(v.issue("structure", "", "null is not allowed here"))
	case e.typ.prim != primNone:
		return v.primitive(fi, e)
	case k != '{':
		return v.skip(v.issue("structure", "", "value must be a JSON object"))
	case e.typ.anyResource:
		return v.resource()
	}
	if _, err := v.d.ReadToken(); err != nil {
		return err
	}
	return v.object(e.typ, false)
}

// primitiveExt validates the _x sibling of primitive element e: Element
// objects, or an array of Element objects and nulls if e repeats.
func (v *validator) primitiveExt(fi, idx int, e *elemInfo) error {
	k, err := v.peek()
	if err != nil {
		return err
	}
	elem := func(k jsontext.Kind) error {
		if k != '{' {
			return v.skip(v.issue("structure", "", "value must be a JSON object"))
		}
		if _, err := v.d.ReadToken(); err != nil {
			return err
		}
		return v.object(v.m.element, false)
	}
	if !e.repeats {
		if k == '[' {
			return v.skip(v.issue("structure", "", "element does not repeat: a JSON array is not allowed"))
		}
		return elem(k)
	}
	if k != '[' {
		return v.skip(v.issue("structure", "", "element repeats: value must be a JSON array"))
	}
	return v.array(func(k jsontext.Kind) (bool, error) {
		if k == 'n' {
			_, err := v.d.ReadToken()
			return true, err
		}
		return false, elem(k)
	}, func(n int, hasNull bool) {
		v.arrs = append(v.arrs, primArray{elem: idx, ext: true, n: n, hasNull: hasNull})
	})
}

// primitive validates one primitive value of element e.
func (v *validator) primitive(fi int, e *elemInfo) error {
	raw, err := v.d.ReadValue()
	if err != nil {
		return err
	}
	p := e.typ.prim
	want, got := jsonKindOf(p), byte(raw.Kind())
	if got == 'f' {
		got = 't'
	}
	if got != want {
		return v.issue("structure", "", "expected a JSON "+kindName(want)+" for "+e.typ.name)
	}
	switch want {
	case '0':
		if msg := checkNumber(p, raw); msg != "" {
			return v.issue("value", "", msg)
		}
	case '"':
		s, err := v.unquote(raw)
		if err != nil {
			return err
		}
		if msg := checkString(p, s); msg != "" {
			return v.issue("value", "", msg)
		}
		return v.hook(fi, e, s)
	}
	return nil
}

func kindName(k byte) string {
	switch k {
	case 't':
		return "boolean"
	case '0':
		return "number"
	}
	return "string"
}
