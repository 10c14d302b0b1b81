package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"

	"carerecord/internal/search"
	"carerecord/internal/store"
	"carerecord/internal/v2fhir"
)

// EventTimeURL is the extension on meta that records the event time (EVN-2,
// MSH-7, OBR-7...) a stored fact came from, so that a message about an
// older event never replaces what a newer one said.
const EventTimeURL = "https://fhir.carerecord.example/StructureDefinition/event-time"

// Outcome counts what Apply did with a message's entries.
type Outcome struct {
	Written    int // became the current version
	Unchanged  int // the record already said exactly this: nothing written
	Superseded int // from an older event than the stored one: kept in history only
}

// Applier writes mapped HL7 v2 messages (v2fhir.Result) into the record,
// each message (or batch of messages) in one transaction, so that a message
// is applied whole or not at all. It is what the queue's consumer calls.
//
//   - Idempotent: an entry whose resource (with its event time) equals the
//     stored current version writes nothing, so a message delivered twice,
//     or a whole feed replayed, changes nothing the second time.
//   - Ordered by event time, not arrival: an upsert from an older event
//     than the stored version's is recorded in the resource's history and
//     the newer content written again as current (a backload never rolls a
//     patient's address back). Equal event times: the later message wins.
//   - mark-status sets the stored resource's status (from an older event:
//     history only, as above); with nothing stored it stores the entry's
//     resource.
//
// Every write carries the resource's search index, as the API's do.
type Applier struct {
	st  store.Store
	reg *search.Registry
}

// NewApplier returns an Applier writing to st, indexing with reg.
func NewApplier(st store.Store, reg *search.Registry) *Applier {
	return &Applier{st: st, reg: reg}
}

// Apply writes r in one transaction.
func (a *Applier) Apply(ctx context.Context, r *v2fhir.Result) (Outcome, error) {
	return a.ApplyAll(ctx, []*v2fhir.Result{r})
}

// ApplyAll writes several messages' results, in order, in one transaction:
// all or none. The queue's consumer applies each partition's waiting
// messages this way, so a busy feed pays for one commit per batch instead
// of one per message. The search index is extracted before the
// transaction opens, so the writer is held only for the writes.
func (a *Applier) ApplyAll(ctx context.Context, rs []*v2fhir.Result) (Outcome, error) {
	type prepared struct {
		e    v2fhir.Entry
		body []byte
		x    *search.Index
	}
	var entries []prepared
	for _, r := range rs {
		for _, e := range r.Entries {
			p := prepared{e: e}
			if len(e.Resource) > 0 {
				body, err := withEventTime(e.Resource, e.EventTime)
				if err != nil {
					return Outcome{}, fmt.Errorf("ingest: %s/%s: %w", e.Type, e.ID, err)
				}
				if p.x, err = a.reg.Extract(e.Type, body); err != nil {
					return Outcome{}, fmt.Errorf("ingest: index %s/%s: %w", e.Type, e.ID, err)
				}
				p.body = body
			}
			entries = append(entries, p)
		}
	}
	// A Write function may run more than once, so it counts into a fresh
	// Outcome each time.
	var out Outcome
	err := a.st.Write(ctx, func(tx store.Tx) error {
		out = Outcome{}
		for _, p := range entries {
			if err := a.applyEntry(ctx, tx, p.e, p.body, p.x, &out); err != nil {
				return fmt.Errorf("ingest: apply %s/%s: %w", p.e.Type, p.e.ID, err)
			}
		}
		return nil
	})
	return out, err
}

func (a *Applier) applyEntry(ctx context.Context, tx store.Tx, e v2fhir.Entry, body []byte, x *search.Index, out *Outcome) error {
	cur, err := tx.Read(ctx, e.Type, e.ID)
	switch {
	case errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrGone):
		if body == nil {
			return nil // a status change for something never stored, with nothing to store
		}
		out.Written++
		return a.put(ctx, tx, e.Type, e.ID, body, x)
	case err != nil:
		return err
	}
	if e.Op == v2fhir.OpMarkStatus {
		if body, err = withStatus(cur.Body, e.Status, e.EventTime); err != nil {
			return err
		}
		if x, err = a.reg.Extract(e.Type, body); err != nil {
			return err
		}
	}
	if body == nil {
		return nil
	}
	same, err := sameResource(cur.Body, body)
	if err != nil || same {
		if same {
			out.Unchanged++
		}
		return err
	}
	if older(e.EventTime, eventTimeOf(cur.Body)) {
		// Record the older fact, then the newer state again as current.
		out.Superseded++
		if err := a.put(ctx, tx, e.Type, e.ID, body, x); err != nil {
			return err
		}
		curX, err := a.reg.Extract(e.Type, cur.Body)
		if err != nil {
			return err
		}
		return a.put(ctx, tx, e.Type, e.ID, cur.Body, curX)
	}
	out.Written++
	return a.put(ctx, tx, e.Type, e.ID, body, x)
}

func (a *Applier) put(ctx context.Context, tx store.Tx, typ, id string, body []byte, x *search.Index) error {
	_, err := tx.Put(ctx, store.Put{Type: typ, ID: id, Body: body, Index: x})
	return err
}

// older reports whether event time a is strictly before b (FHIR dateTimes,
// compared by the start of their precision); unknown times are never older.
func older(a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	ra, err1 := search.ParseDate(a)
	rb, err2 := search.ParseDate(b)
	return err1 == nil && err2 == nil && ra.Low < rb.Low
}

// withEventTime returns the resource with meta.extension event-time set.
// The mapper's resources carry no meta, and for them the extension is
// appended as the last member without decoding the resource (a third of
// the applier's own cost before); anything else is decoded and re-encoded.
func withEventTime(resource []byte, eventTime string) ([]byte, error) {
	body := bytes.TrimSpace(resource)
	if eventTime != "" && !bytes.Contains(body, []byte(`"meta"`)) && len(body) > 2 && body[0] == '{' && body[len(body)-1] == '}' &&
		len(bytes.TrimSpace(body[1:len(body)-1])) > 0 && json.Valid(body) {
		et, err := json.Marshal(eventTime)
		if err != nil {
			return nil, err
		}
		out := make([]byte, 0, len(body)+len(EventTimeURL)+len(et)+64)
		out = append(out, body[:len(body)-1]...)
		out = append(out, `,"meta":{"extension":[{"url":"`+EventTimeURL+`","valueDateTime":`...)
		out = append(out, et...)
		return append(out, "}]}}"...), nil
	}
	m, err := decodeObject(resource)
	if err != nil {
		return nil, err
	}
	setEventTime(m, eventTime)
	return json.Marshal(m)
}

func setEventTime(m map[string]any, eventTime string) {
	meta, _ := m["meta"].(map[string]any)
	if meta == nil {
		meta = map[string]any{}
	}
	var exts []any
	if old, ok := meta["extension"].([]any); ok {
		for _, x := range old {
			if xm, ok := x.(map[string]any); ok && xm["url"] == EventTimeURL {
				continue
			}
			exts = append(exts, x)
		}
	}
	if eventTime != "" {
		exts = append(exts, map[string]any{"url": EventTimeURL, "valueDateTime": eventTime})
	}
	if len(exts) > 0 {
		meta["extension"] = exts
	} else {
		delete(meta, "extension")
	}
	if len(meta) > 0 {
		m["meta"] = meta
	}
}

// eventTimeOf reads the event-time extension of a stored resource.
func eventTimeOf(resource []byte) string {
	var r struct {
		Meta struct {
			Extension []struct {
				URL           string `json:"url"`
				ValueDateTime string `json:"valueDateTime"`
			} `json:"extension"`
		} `json:"meta"`
	}
	if json.Unmarshal(resource, &r) != nil {
		return ""
	}
	for _, x := range r.Meta.Extension {
		if x.URL == EventTimeURL {
			return x.ValueDateTime
		}
	}
	return ""
}

// withStatus returns the stored resource with status and the event time
// set.
func withStatus(resource []byte, status, eventTime string) ([]byte, error) {
	m, err := decodeObject(resource)
	if err != nil {
		return nil, err
	}
	m["status"] = status
	setEventTime(m, eventTime)
	if meta, ok := m["meta"].(map[string]any); ok {
		delete(meta, "versionId")
		delete(meta, "lastUpdated")
	}
	return json.Marshal(m)
}

// sameResource reports whether two resource bodies say the same, ignoring
// meta.versionId and meta.lastUpdated (which the store sets).
func sameResource(a, b []byte) (bool, error) {
	ma, err := decodeObject(a)
	if err != nil {
		return false, err
	}
	mb, err := decodeObject(b)
	if err != nil {
		return false, err
	}
	for _, m := range []map[string]any{ma, mb} {
		if meta, ok := m["meta"].(map[string]any); ok {
			delete(meta, "versionId")
			delete(meta, "lastUpdated")
			if len(meta) == 0 {
				delete(m, "meta")
			}
		}
	}
	return reflect.DeepEqual(ma, mb), nil
}

// decodeObject decodes a JSON object keeping numbers exact.
func decodeObject(b []byte) (map[string]any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		return nil, fmt.Errorf("decode resource: %w", err)
	}
	if m == nil {
		return nil, errors.New("decode resource: not a JSON object")
	}
	return m, nil
}
