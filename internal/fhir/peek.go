package fhir

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/go-json-experiment/json/jsontext"
)

// Sentinel errors of the byte-level helpers.
var (
	// ErrNotResource: the body is not a JSON object with a resourceType.
	ErrNotResource = errors.New("not a FHIR resource JSON object")
	// ErrInvalidID: an id argument is not a valid FHIR id.
	ErrInvalidID = errors.New("invalid FHIR id")
)

// pooledDecoder is a decoder reading straight from a byte slice.
type pooledDecoder struct {
	jsontext.Decoder
	src bytes.Buffer
}

var decoderPool = sync.Pool{New: func() any { return new(pooledDecoder) }}

func getDecoder(body []byte) *pooledDecoder {
	p := decoderPool.Get().(*pooledDecoder)
	p.src = *bytes.NewBuffer(body)
	p.Reset(&p.src, decOpts...)
	return p
}

// release returns the decoder to the pool, dropping its input.
func (p *pooledDecoder) release() {
	p.src = bytes.Buffer{}
	p.Reset(&p.src)
	decoderPool.Put(p)
}

// topMembers calls fn for each top-level member of the JSON object body,
// with the decoder positioned before the member's value; fn must consume
// the value, and may stop the walk by returning false.
func topMembers(body []byte, fn func(name []byte, d *jsontext.Decoder) (more bool, err error)) error {
	p := getDecoder(body)
	defer p.release()
	d := &p.Decoder
	tok, err := d.ReadToken()
	if err != nil {
		return err
	}
	if tok.Kind() != '{' {
		return ErrNotResource
	}
	var name []byte
	for d.PeekKind() == '"' {
		raw, err := d.ReadValue()
		if err != nil {
			return err
		}
		if name, err = jsontext.AppendUnquote(name[:0], raw); err != nil {
			return err
		}
		more, err := fn(name, d)
		if err != nil || !more {
			return err
		}
	}
	if _, err := d.ReadToken(); err != nil { // '}', or the error that stopped PeekKind
		return err
	}
	if _, err := d.ReadToken(); err != io.EOF {
		if err == nil {
			err = errors.New("unexpected data after the JSON object")
		}
		return err
	}
	return nil
}

// readString reads the next value and returns it unquoted if it is a
// JSON string.
func readString(d *jsontext.Decoder) (string, bool, error) {
	raw, err := d.ReadValue()
	if err != nil || raw.Kind() != '"' {
		return "", false, err
	}
	s, err := jsontext.AppendUnquote(nil, raw)
	return string(s), err == nil, err
}

// findResourceType returns the value of the top-level resourceType member
// of obj, if it has one that is a JSON string.
func findResourceType(obj []byte) (string, bool) {
	var typ string
	var found bool
	_ = topMembers(obj, func(name []byte, d *jsontext.Decoder) (bool, error) {
		if string(name) != "resourceType" {
			return true, d.SkipValue()
		}
		var err error
		typ, found, err = readString(d)
		return false, err
	})
	return typ, found
}

// Peek returns the resourceType and id of a resource without validating
// it. It reads the top-level members only until it has found both. The
// error is an *Error: the body is not a JSON object, or has no
// resourceType string, or names an unknown type. A missing id is not an
// error (ID is then "").
func Peek(body []byte) (Header, error) {
	var h Header
	var typeSeen, idSeen bool
	err := topMembers(body, func(name []byte, d *jsontext.Decoder) (bool, error) {
		var err error
		switch string(name) {
		case "resourceType":
			h.ResourceType, _, err = readString(d)
			typeSeen = true
		case "id":
			h.ID, _, err = readString(d)
			idSeen = true
		default:
			err = d.SkipValue()
		}
		return !typeSeen || !idSeen, err
	})
	switch {
	case err != nil:
		return Header{}, Errorf("structure", "", "body is not a JSON object: "+errText(err))
	case h.ResourceType == "":
		return Header{}, Errorf("invalid", "resourceType", "resource has no resourceType (a JSON string)")
	case !IsResourceType(h.ResourceType):
		return Header{}, Errorf("code-invalid", "resourceType", "unknown R4 resourceType")
	}
	return h, nil
}

// errText describes a decoding error without quoting input.
func errText(err error) string {
	var serr *jsontext.SyntacticError
	if errors.As(err, &serr) {
		return fmt.Sprintf("malformed JSON at byte offset %d: %v", serr.ByteOffset, serr.Err)
	}
	return err.Error()
}

// Identifier is one Identifier of a resource, reduced to system and value.
type Identifier struct {
	System, Value string
}

// Identifiers returns the resource's top-level identifier element(s),
// whether carried as an array or (improperly) as a single object. Items
// that are not objects, and members that are not strings, are ignored; on
// malformed JSON it returns what it read before the problem.
func Identifiers(body []byte) []Identifier {
	var ids []Identifier
	_ = topMembers(body, func(name []byte, d *jsontext.Decoder) (bool, error) {
		if string(name) != "identifier" {
			return true, d.SkipValue()
		}
		var err error
		switch d.PeekKind() {
		case '[':
			if _, err = d.ReadToken(); err != nil {
				return false, err
			}
			for d.PeekKind() != ']' && err == nil {
				ids, err = readIdentifier(d, ids)
			}
			_, err = d.ReadToken()
		default:
			ids, err = readIdentifier(d, ids)
		}
		return true, err
	})
	return ids
}

func readIdentifier(d *jsontext.Decoder, ids []Identifier) ([]Identifier, error) {
	if d.PeekKind() != '{' {
		return ids, d.SkipValue()
	}
	var id Identifier
	err := objectMembers(d, func(name []byte) error {
		var err error
		switch string(name) {
		case "system":
			id.System, _, err = readString(d)
		case "value":
			id.Value, _, err = readString(d)
		default:
			err = d.SkipValue()
		}
		return err
	})
	if err != nil {
		return ids, err
	}
	return append(ids, id), nil
}

// objectMembers reads an object (not yet opened) from d, calling fn with
// each member name; fn must consume the value.
func objectMembers(d *jsontext.Decoder, fn func(name []byte) error) error {
	if _, err := d.ReadToken(); err != nil {
		return err
	}
	var name []byte
	for d.PeekKind() == '"' {
		raw, err := d.ReadValue()
		if err != nil {
			return err
		}
		if name, err = jsontext.AppendUnquote(name[:0], raw); err != nil {
			return err
		}
		if err := fn(name); err != nil {
			return err
		}
	}
	_, err := d.ReadToken()
	return err
}
