package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"carerecord/internal/fhir"
	"carerecord/internal/search"
	"carerecord/internal/store"
	"carerecord/internal/v2fhir"
)

// EventTimeURL is the extension on meta that records the event time (EVN-2,
// MSH-7, OBR-7...) a stored fact came from, so that a message about an
// older event never replaces what a newer one said.
const EventTimeURL = "https://fhir.carerecord.example/StructureDefinition/event-time"

// Outcome counts what Apply did with a message's entries, and the messages
// it skipped whole.
type Outcome struct {
	Written    int // became the current version
	Unchanged  int // the record already said exactly this: nothing written
	Superseded int // from an older event than the stored one: kept in history only
	Duplicate  int // messages whose key was applied before: none of their entries looked at
}

// Applier writes mapped HL7 v2 messages (v2fhir.Result) into the record,
// each message (or batch of messages) in one transaction, so that a message
// is applied whole or not at all. It is what the queue's consumer calls.
//
//   - Exactly once, for keyed messages (ApplyKeyed): the message's key is
//     recorded in the store's inbox (store.Tx.Once) in the transaction that
//     writes its entries, and a message whose key is there already is
//     skipped whole. A message committed but not acknowledged to the queue
//     before a crash, and so delivered again, changes nothing, even when a
//     later message about the same resource was applied meanwhile.
//   - Idempotent without a key: an entry whose resource (with its event
//     time) equals the stored current version writes nothing, so a message
//     delivered twice, or a whole feed replayed, changes nothing the second
//     time unless a later message about the same resource came between.
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

// Keyed is one message's mapped result with the key that names the
// message for exactly-once application.
type Keyed struct {
	// Key is the same for every delivery of one message and differs
	// between messages of every feed, e.g. the feed's name and the
	// message's queue sequence. It is recorded in the store's inbox as
	// KeyPrefix + Key, at most store.MaxOnceKey bytes of UTF-8. Empty: no
	// inbox, as Apply.
	Key    string
	Result *v2fhir.Result
	// Log, when not nil, is the message's record in the store's message
	// log (store.MessageRecord), written with tx.LogMessage in the
	// transaction that applies the message, so that the log never
	// disagrees with the record. The caller sets what only it knows (feed,
	// control id, received time, raw message); ApplyKeyed fills in the
	// rest: Key (the inbox key), Type, EventTime and Patients from Result
	// when empty, Status, Outcome (see Outcome lines) and ID. A message
	// whose Result is unsupported or has no entries is logged unsupported;
	// a duplicate (its key applied before) is logged too, as a duplicate
	// with no outcome, so the log shows every delivery the record took.
	Log *store.MessageRecord
}

// Outcome lines of a logged message, one per entry: "Type/id/_history/N"
// when the entry became version N, the current one; with " unchanged"
// when the record already said it (N is the current version); with
// " superseded" when it came from an older event than the stored one
// (version N keeps it in history, the newer state is current again as
// N+1); "Type/id not stored" for a status change of something the record
// does not hold.
const (
	effectUnchanged  = " unchanged"
	effectSuperseded = " superseded"
	effectNotStored  = " not stored"
)

// KeyPrefix is put before a Keyed.Key in the store's inbox, whose keys
// other writers share.
const KeyPrefix = "v2:"

// Apply writes r in one transaction, without a key.
func (a *Applier) Apply(ctx context.Context, r *v2fhir.Result) (Outcome, error) {
	return a.ApplyAll(ctx, []*v2fhir.Result{r})
}

// ApplyAll is ApplyKeyed without keys: each entry is applied unless the
// record already says the same.
func (a *Applier) ApplyAll(ctx context.Context, rs []*v2fhir.Result) (Outcome, error) {
	ms := make([]Keyed, len(rs))
	for i, r := range rs {
		ms[i].Result = r
	}
	return a.ApplyKeyed(ctx, ms)
}

// ApplyKeyed writes several messages' results, in order, in one
// transaction: all or none. The queue's consumer applies each partition's
// waiting messages this way, so a busy feed pays for one commit per batch
// instead of one per message. A message with a key already recorded, by an
// earlier transaction or earlier in ms, is skipped whole and counted in
// Outcome.Duplicate. Each message with a Log is logged in the same
// transaction (see Keyed.Log). The search index is extracted before the
// transaction opens, so the writer is held only for the writes.
func (a *Applier) ApplyKeyed(ctx context.Context, ms []Keyed) (Outcome, error) {
	msgs := make([]prepared, len(ms))
	for i, m := range ms {
		if err := msgs[i].prepare(a.reg, m); err != nil {
			return Outcome{}, err
		}
	}
	// A Write function may run more than once, so it counts into a fresh
	// Outcome each time.
	var out Outcome
	err := a.st.Write(ctx, func(tx store.Tx) error {
		out = Outcome{}
		for _, m := range msgs {
			first := true
			if m.key != "" {
				var err error
				if first, err = tx.Once(ctx, m.key); err != nil {
					return fmt.Errorf("ingest: record message key: %w", err)
				}
			}
			if !first {
				out.Duplicate++
				if err := m.logAs(ctx, tx, store.MessageDuplicate, nil); err != nil {
					return err
				}
				continue
			}
			var effects []string // what each entry became, for the log
			var ep *[]string
			if m.log != nil {
				ep = &effects
			}
			for _, p := range m.entries {
				if err := a.applyEntry(ctx, tx, p.e, p.body, p.x, &out, ep); err != nil {
					return fmt.Errorf("ingest: apply %s/%s: %w", p.e.Type, p.e.ID, err)
				}
			}
			for _, mg := range m.merges {
				if err := a.applyMerge(ctx, tx, mg, m.eventTime, &out, ep); err != nil {
					return fmt.Errorf("ingest: merge Patient/%s into Patient/%s: %w", mg.MergedID, mg.SurvivorID, err)
				}
			}
			status := store.MessageApplied
			if m.unsupported {
				status = store.MessageUnsupported
			}
			if err := m.logAs(ctx, tx, status, effects); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// prepared is one message ready for the transaction: its inbox key and its
// entries with their event times set and search indexes extracted.
type prepared struct {
	key         string
	entries     []preparedEntry
	unsupported bool                 // nothing in the message can be applied
	log         *store.MessageRecord // Keyed.Log
	merges      []v2fhir.Merge       // A34/A40 merges with both Patient ids
	eventTime   string
}

type preparedEntry struct {
	e    v2fhir.Entry
	body []byte // nil: the entry has no resource
	x    *search.Index
}

// errBadKey is returned for a Keyed.Key the inbox cannot hold.
var errBadKey = fmt.Errorf("ingest: message key must be at most %d bytes of UTF-8 without NUL", store.MaxOnceKey-len(KeyPrefix))

// logAs writes the message's log record, if it has one, with its status
// and outcome, and keeps the ID it was given.
func (p *prepared) logAs(ctx context.Context, tx store.Tx, status store.MessageStatus, outcome []string) error {
	if p.log == nil {
		return nil
	}
	p.log.Status, p.log.Outcome = status, outcome
	id, err := tx.LogMessage(ctx, *p.log)
	if err != nil {
		return fmt.Errorf("ingest: log message: %w", err)
	}
	p.log.ID = id
	return nil
}

func (p *prepared) prepare(reg *search.Registry, m Keyed) error {
	if m.Key != "" {
		p.key = KeyPrefix + m.Key
		if len(p.key) > store.MaxOnceKey || !utf8.ValidString(m.Key) || strings.IndexByte(m.Key, 0) >= 0 {
			return errBadKey
		}
	}
	p.unsupported = m.Result == nil || m.Result.Unsupported || len(m.Result.Entries)+len(m.Result.Merges) == 0
	if p.log = m.Log; p.log != nil {
		fillLog(p.log, p.key, m.Result)
	}
	if m.Result == nil {
		return nil
	}
	for _, mg := range m.Result.Merges {
		if mg.SurvivorID != "" && mg.MergedID != "" && mg.SurvivorID != mg.MergedID {
			p.merges = append(p.merges, mg)
		}
	}
	p.eventTime = m.Result.EventTime
	p.entries = make([]preparedEntry, 0, len(m.Result.Entries))
	for _, e := range m.Result.Entries {
		pe := preparedEntry{e: e}
		if len(e.Resource) > 0 {
			body, err := withEventTime(e.Resource, e.EventTime)
			if err != nil {
				return fmt.Errorf("ingest: %s/%s: %w", e.Type, e.ID, err)
			}
			if pe.x, err = reg.Extract(e.Type, body); err != nil {
				return fmt.Errorf("ingest: index %s/%s: %w", e.Type, e.ID, err)
			}
			pe.body = body
		}
		p.entries = append(p.entries, pe)
	}
	return nil
}

// applyEntry applies one entry, counts it in out and, when effects is not
// nil, adds what it became to it (an Outcome line).
func (a *Applier) applyEntry(ctx context.Context, tx store.Tx, e v2fhir.Entry, body []byte, x *search.Index, out *Outcome, effects *[]string) error {
	note := func(r *store.Resource, what string) {
		if effects != nil {
			*effects = append(*effects, effect(e, r, what))
		}
	}
	cur, err := tx.Read(ctx, e.Type, e.ID)
	switch {
	case errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrGone):
		if body == nil {
			note(nil, effectNotStored)
			return nil // a status change for something never stored, with nothing to store
		}
		out.Written++
		r, err := a.put(ctx, tx, e.Type, e.ID, body, x)
		note(r, "")
		return err
	case err != nil:
		return err
	}
	correction := false
	switch e.Op {
	case v2fhir.OpMarkStatus:
		if body, err = withStatus(cur.Body, e.Status, e.EventTime); err != nil {
			return err
		}
		if x, err = a.reg.Extract(e.Type, body); err != nil {
			return err
		}
	case v2fhir.OpCancelTransfer, v2fhir.OpCancelDischarge:
		if body, err = cancelled(cur.Body, e.Op); err != nil {
			return err
		}
		if x, err = a.reg.Extract(e.Type, body); err != nil {
			return err
		}
		correction = true
	}
	if body == nil {
		note(cur, effectUnchanged)
		return nil
	}
	same, err := sameResource(cur.Body, body)
	if err != nil || same {
		if same {
			out.Unchanged++
			note(cur, effectUnchanged)
		}
		return err
	}
	if !correction && older(e.EventTime, eventTimeOf(cur.Body)) {
		// Record the older fact, then the newer state again as current.
		out.Superseded++
		r, err := a.put(ctx, tx, e.Type, e.ID, body, x)
		if err != nil {
			return err
		}
		note(r, effectSuperseded)
		curX, err := a.reg.Extract(e.Type, cur.Body)
		if err != nil {
			return err
		}
		_, err = a.put(ctx, tx, e.Type, e.ID, cur.Body, curX)
		return err
	}
	out.Written++
	r, err := a.put(ctx, tx, e.Type, e.ID, body, x)
	note(r, "")
	return err
}

func (a *Applier) put(ctx context.Context, tx store.Tx, typ, id string, body []byte, x *search.Index) (*store.Resource, error) {
	return tx.Put(ctx, store.Put{Type: typ, ID: id, Body: body, Index: x})
}

// effect is an Outcome line: what entry e became (r: the version).
func effect(e v2fhir.Entry, r *store.Resource, what string) string {
	if r == nil {
		return e.Type + "/" + e.ID + what
	}
	return e.Type + "/" + e.ID + "/_history/" + strconv.FormatInt(r.Version, 10) + what
}

// fillLog sets the parts of a message's log record that ApplyKeyed knows
// before the transaction: the inbox key, and from the mapping the type,
// the event time and the patient identifiers, where the caller left them
// empty.
func fillLog(m *store.MessageRecord, key string, r *v2fhir.Result) {
	m.Key = key
	if r == nil {
		return
	}
	if m.Type == "" {
		m.Type = r.MessageType
	}
	if m.EventTime == "" {
		m.EventTime = r.EventTime
	}
	if m.Patients != nil {
		return
	}
	add := func(k *v2fhir.PatientKeys) {
		if k == nil {
			return
		}
		if k.NHSNumber != "" {
			m.Patients = append(m.Patients, fhir.NHSNumberSystem+"|"+k.NHSNumber)
		}
		for _, l := range k.Local {
			m.Patients = append(m.Patients, l.System+"|"+l.Value)
		}
	}
	add(r.Patient)
	for i := range r.Merges {
		add(&r.Merges[i].Survivor)
		add(&r.Merges[i].Merged)
	}
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

// Merges (ADT A34, A40).
//
// A merge links, it never deletes: the merged Patient (the record of the
// identifier that was merged away) becomes inactive with a replaced-by
// link to the survivor, and the survivor gets a replaces link back. Every
// fact stays on the Patient it was recorded against, both records keep
// their history, and undoing the merge is removing the two links (a new
// version each). A merge is applied whatever its event time: it is a
// statement about identity, not a newer or older state. A merged Patient
// the record has never seen is created from the merge's identifiers, so
// that a later message under the old identifier finds where it went.
// Moving facts onto a single golden record is the patient index's work.

func (a *Applier) applyMerge(ctx context.Context, tx store.Tx, mg v2fhir.Merge, eventTime string, out *Outcome, effects *[]string) error {
	if err := a.link(ctx, tx, mg.MergedID, mg.SurvivorID, "replaced-by", mg.Merged, eventTime, out, effects); err != nil {
		return err
	}
	return a.link(ctx, tx, mg.SurvivorID, mg.MergedID, "replaces", mg.Survivor, eventTime, out, effects)
}

// link adds Patient.link {other: Patient/other, type} to Patient/id (and,
// for replaced-by, sets active false), writing a version only when
// something changes.
func (a *Applier) link(ctx context.Context, tx store.Tx, id, other, typ string, keys v2fhir.PatientKeys, eventTime string, out *Outcome, effects *[]string) error {
	e := v2fhir.Entry{Type: "Patient", ID: id}
	cur, err := tx.Read(ctx, "Patient", id)
	var p map[string]any
	switch {
	case errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrGone):
		p = map[string]any{"resourceType": "Patient", "id": id, "identifier": identifiersOf(keys)}
	case err != nil:
		return err
	default:
		if p, err = decodeObject(cur.Body); err != nil {
			return err
		}
		if meta, ok := p["meta"].(map[string]any); ok {
			delete(meta, "versionId")
			delete(meta, "lastUpdated")
		}
	}
	changed := cur == nil
	ref := "Patient/" + other
	links, _ := p["link"].([]any)
	found := false
	for _, l := range links {
		if lm, ok := l.(map[string]any); ok && lm["type"] == typ {
			if o, ok := lm["other"].(map[string]any); ok && o["reference"] == ref {
				found = true
			}
		}
	}
	if !found {
		p["link"] = append(links, map[string]any{"other": map[string]any{"reference": ref}, "type": typ})
		changed = true
	}
	if typ == "replaced-by" && p["active"] != false {
		p["active"] = false
		changed = true
	}
	if !changed {
		out.Unchanged++
		if effects != nil {
			*effects = append(*effects, effect(e, cur, " unchanged"))
		}
		return nil
	}
	if cur == nil && eventTime != "" {
		setEventTime(p, eventTime)
	}
	body, err := json.Marshal(p)
	if err != nil {
		return err
	}
	x, err := a.reg.Extract("Patient", body)
	if err != nil {
		return err
	}
	out.Written++
	r, err := a.put(ctx, tx, "Patient", id, body, x)
	if effects != nil && err == nil {
		*effects = append(*effects, effect(e, r, ""))
	}
	return err
}

// identifiersOf renders a merge's patient keys as FHIR identifiers (NHS
// number first).
func identifiersOf(k v2fhir.PatientKeys) []any {
	var ids []any
	if k.NHSNumber != "" {
		ids = append(ids, map[string]any{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": k.NHSNumber})
	}
	for _, l := range k.Local {
		ids = append(ids, map[string]any{"system": l.System, "value": l.Value})
	}
	return ids
}

// cancelled returns the stored Encounter with a transfer (A12) or a
// discharge (A13) undone, keeping everything else it says and its event
// time (the correction is of that state). A transfer is undone by making
// the location it moved the patient from (the one the A02 recorded as
// completed) current again and dropping the one it moved them to; with no
// earlier location on record the Encounter is left as it is.
func cancelled(stored []byte, op v2fhir.Op) ([]byte, error) {
	m, err := decodeObject(stored)
	if err != nil {
		return nil, err
	}
	if meta, ok := m["meta"].(map[string]any); ok {
		delete(meta, "versionId")
		delete(meta, "lastUpdated")
	}
	locs, _ := m["location"].([]any)
	switch op {
	case v2fhir.OpCancelDischarge:
		m["status"] = "in-progress"
		if p, ok := m["period"].(map[string]any); ok {
			delete(p, "end")
		}
		for i, l := range locs {
			if lm, ok := l.(map[string]any); ok && i == 0 {
				lm["status"] = "active"
			}
		}
	case v2fhir.OpCancelTransfer:
		var kept []any
		restored := false
		for _, l := range locs {
			lm, ok := l.(map[string]any)
			if !ok {
				continue
			}
			switch {
			case lm["status"] == "active":
				// the location the cancelled transfer moved the patient to
			case lm["status"] == "completed" && !restored:
				lm["status"] = "active"
				kept = append([]any{lm}, kept...)
				restored = true
			default:
				kept = append(kept, lm)
			}
		}
		if restored {
			m["location"] = kept
		}
	}
	return json.Marshal(m)
}
