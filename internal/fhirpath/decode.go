package fhirpath

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/go-json-experiment/json/jsontext"
)

// decodeObject reads one JSON object into the shapes encoding/json's
// UseNumber gives (map[string]any, []any, string, json.Number, bool, nil)
// in one pass with jsontext's token reader, which costs about half of
// encoding/json: decoding was the larger part of extracting a resource's
// search index. As with encoding/json, a repeated member keeps its last
// value.
func decodeObject(b []byte) (map[string]any, error) {
	d := jsontext.NewDecoder(bytes.NewReader(b), jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
	if d.PeekKind() != '{' {
		if _, err := d.ReadToken(); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("not a JSON object")
	}
	v, err := readAny(d)
	if err != nil {
		return nil, err
	}
	return v.(map[string]any), nil
}

func readAny(d *jsontext.Decoder) (any, error) {
	switch d.PeekKind() {
	case '0':
		raw, err := d.ReadValue()
		if err != nil {
			return nil, err
		}
		return json.Number(raw), nil
	case '{':
		if _, err := d.ReadToken(); err != nil {
			return nil, err
		}
		m := make(map[string]any, 8)
		for d.PeekKind() != '}' {
			k, err := d.ReadToken()
			if err != nil {
				return nil, err
			}
			key := k.String() // before the next read voids k
			v, err := readAny(d)
			if err != nil {
				return nil, err
			}
			m[key] = v
		}
		_, err := d.ReadToken()
		return m, err
	case '[':
		if _, err := d.ReadToken(); err != nil {
			return nil, err
		}
		a := make([]any, 0, 2)
		for d.PeekKind() != ']' {
			v, err := readAny(d)
			if err != nil {
				return nil, err
			}
			a = append(a, v)
		}
		_, err := d.ReadToken()
		return a, err
	}
	t, err := d.ReadToken()
	if err != nil {
		return nil, err
	}
	switch t.Kind() {
	case '"':
		return t.String(), nil
	case 't':
		return true, nil
	case 'f':
		return false, nil
	}
	return nil, nil
}
