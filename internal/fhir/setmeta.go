package fhir

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/go-json-experiment/json/jsontext"
)

// SetMeta sets the top-level id and meta.versionId and meta.lastUpdated of
// a resource, keeping every other member and the member order. A missing
// id, and a missing meta, are inserted after resourceType; missing
// versionId and lastUpdated go first in meta. lastUpdated is written in
// UTC with millisecond precision (2026-11-23T09:00:00.123Z).
func SetMeta(body []byte, id string, version int64, lastUpdated time.Time) ([]byte, error) {
	if !validID(id) {
		return nil, fmt.Errorf("fhir: set meta: %w", ErrInvalidID)
	}
	ver := strconv.FormatInt(version, 10)
	ts := lastUpdated.UTC().Format("2006-01-02T15:04:05.000Z")
	out := make([]byte, 0, len(body)+len(id)+len(ts)+64)
	out = append(out, '{')
	insertAt := -1 // where a missing id goes: after resourceType
	idEnd := -1    // where a missing meta goes if id is present: after it
	var idDone, metaDone bool
	err := topMembers(body, func(name []byte, d *jsontext.Decoder) (bool, error) {
		switch string(name) {
		case "id":
			if idDone {
				return true, d.SkipValue() // drop a duplicate
			}
			idDone = true
			out = appendMember(out, "id")
			out, _ = jsontext.AppendQuote(out, id)
			idEnd = len(out)
			return true, d.SkipValue()
		case "meta":
			if metaDone {
				return true, d.SkipValue()
			}
			metaDone = true
			out = appendMember(out, "meta")
			var err error
			out, err = appendMeta(out, d, ver, ts)
			return true, err
		}
		out = appendMember(out, string(name))
		raw, err := d.ReadValue()
		out = append(out, raw...)
		if string(name) == "resourceType" && insertAt < 0 {
			insertAt = len(out)
		}
		return true, err
	})
	if err != nil {
		return nil, fmt.Errorf("fhir: set meta: %w: %s", ErrNotResource, errText(err))
	}
	if insertAt < 0 {
		return nil, fmt.Errorf("fhir: set meta: %w: no resourceType", ErrNotResource)
	}
	var ins []byte
	if !idDone {
		ins = append(ins, `,"id":`...)
		ins, _ = jsontext.AppendQuote(ins, id)
	} else {
		insertAt = idEnd
	}
	if !metaDone {
		ins = append(ins, `,"meta":{`...)
		ins = appendVersion(ins, ver, ts)
		ins = append(ins, '}')
	}
	out = append(out, '}')
	return slices.Insert(out, insertAt, ins...), nil
}

// appendMember appends a member name (and the comma before it if needed).
func appendMember(out []byte, name string) []byte {
	if out[len(out)-1] != '{' {
		out = append(out, ',')
	}
	out, _ = jsontext.AppendQuote(out, name)
	return append(out, ':')
}

func appendVersion(out []byte, ver, ts string) []byte {
	out = append(out, `"versionId":"`...)
	out = append(out, ver...)
	out = append(out, `","lastUpdated":"`...)
	out = append(out, ts...)
	return append(out, '"')
}

// appendMeta copies the meta object from d with versionId and lastUpdated
// replaced (or added first).
func appendMeta(out []byte, d *jsontext.Decoder, ver, ts string) ([]byte, error) {
	if d.PeekKind() != '{' {
		return out, fmt.Errorf("meta is not an object: %w", ErrNotResource)
	}
	out = append(out, '{')
	out = appendVersion(out, ver, ts)
	err := objectMembers(d, func(name []byte) error {
		if string(name) == "versionId" || string(name) == "lastUpdated" {
			return d.SkipValue()
		}
		out = appendMember(out, string(name))
		raw, err := d.ReadValue()
		out = append(out, raw...)
		return err
	})
	return append(out, '}'), err
}
