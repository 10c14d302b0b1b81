package fhir

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/go-json-experiment/json/jsontext"
)

// RewriteReferences calls fn for the string value of every member named
// "reference", in any object at any depth, and replaces the value with
// fn's result. All other bytes are kept as they are. An error from fn
// stops the rewrite and is returned wrapped.
func RewriteReferences(body []byte, fn func(ref string) (string, error)) ([]byte, error) {
	p := getDecoder(body)
	defer p.release()
	d := &p.Decoder
	out := make([]byte, 0, len(body)+64)
	last := 0
	isRef := false // the next value is the value of a "reference" member
	for {
		k := d.PeekKind()
		if k == 0 {
			if d.InputOffset() == 0 {
				_, err := d.ReadToken()
				if err == io.EOF {
					err = io.ErrUnexpectedEOF
				}
				return nil, fmt.Errorf("fhir: rewrite references: %w", err)
			}
			break
		}
		kind, n := d.StackIndex(d.StackDepth())
		if kind == '{' && n%2 == 0 && k == '"' { // a member name
			raw, err := d.ReadValue()
			if err != nil {
				return nil, fmt.Errorf("fhir: rewrite references: %w", err)
			}
			name := []byte(raw)
			if bytes.IndexByte(raw, '\\') >= 0 {
				if name, err = jsontext.AppendUnquote(nil, raw); err != nil {
					return nil, fmt.Errorf("fhir: rewrite references: %w", err)
				}
			} else {
				name = name[1 : len(name)-1]
			}
			isRef = string(name) == "reference"
			continue
		}
		if k == '{' || k == '[' || k == '}' || k == ']' {
			isRef = false
			if _, err := d.ReadToken(); err != nil {
				return nil, fmt.Errorf("fhir: rewrite references: %w", err)
			}
			continue
		}
		raw, err := d.ReadValue()
		if err != nil {
			return nil, fmt.Errorf("fhir: rewrite references: %w", err)
		}
		if !isRef || k != '"' {
			continue
		}
		isRef = false
		old, err := jsontext.AppendUnquote(nil, raw)
		if err != nil {
			return nil, fmt.Errorf("fhir: rewrite references: %w", err)
		}
		repl, err := fn(string(old))
		if err != nil {
			return nil, fmt.Errorf("fhir: rewrite references: %w", err)
		}
		if repl == string(old) {
			continue
		}
		end := int(d.InputOffset())
		out = append(out, body[last:end-len(raw)]...)
		out, _ = jsontext.AppendQuote(out, repl)
		last = end
	}
	if _, err := d.ReadToken(); err != io.EOF {
		if err == nil {
			err = errors.New("unexpected data after the JSON value")
		}
		return nil, fmt.Errorf("fhir: rewrite references: %w", err)
	}
	return append(out, body[last:]...), nil
}
