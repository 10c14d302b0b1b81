package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"carerecord/internal/config"
	"carerecord/internal/fhir"
	"carerecord/internal/ingest"
	"carerecord/internal/queue"
	"carerecord/internal/v2fhir"
)

// FHIR resources into the engine, for source systems that send FHIR R4
// rather than HL7 v2:
//
//	POST /engine/feeds/{feed}/fhir?lane=live|bulk
//
// The body is a Bundle of type transaction, batch or collection
// (application/fhir+json; a single resource is taken as a Bundle of one) or
// NDJSON, one resource a line (application/fhir+ndjson). Each resource
// becomes one queued message and from there takes the HL7 v2 path: ordered
// per patient (Key "Patient/<id>", from the resource itself or its
// subject, patient or beneficiary), de-duplicated by feed, "<type>/<id>"
// and content, and applied by ingest.Applier as an upsert at its event time
// (meta.lastUpdated, else when the queue stored it): idempotent, an older
// version never becomes current, exactly once. The live lane is the
// default.
//
// A resource that is not valid FHIR R4 (fhir.Validate) or has no id is not
// queued: it goes to the dead-letter store with the reason and its
// FHIRPath location, to be fixed and reprocessed. Transaction entries that
// DELETE (or GET, PATCH) are refused and reported, not kept. The answer is
// a fhirReport: 202 when the whole body was read, 400 for a body that is
// not a Bundle or NDJSON, 413 too large, 415 another content type, 503 the
// queue refused (what was queued stays queued; sending again is safe).

// fhirReport is the answer to a post of FHIR resources.
type fhirReport struct {
	Feed string `json:"feed"`
	Lane string `json:"lane"`
	// Resources counts the Bundle's entries or the NDJSON's lines.
	Resources int `json:"resources"`
	// Queued counts the resources stored durably on the queue (a duplicate
	// the queue already held counts as queued).
	Queued   int             `json:"queued"`
	Rejected []fhirRejection `json:"rejected"`
	Error    string          `json:"error,omitempty"`
}

// fhirRejection is one entry that was not queued.
type fhirRejection struct {
	// Index is the entry's 1-based position in the Bundle, or its NDJSON
	// line number.
	Index    int    `json:"index"`
	Resource string `json:"resource,omitempty"` // "<type>/<id>" when known
	Reason   string `json:"reason"`             // names paths, never values
	Location string `json:"location,omitempty"` // FHIRPath-like, e.g. Observation.status
	// DeadLettered: the resource is kept in the dead-letter store.
	DeadLettered bool `json:"deadLettered"`
}

// fhirItem is one resource of a posted body, or why its entry is refused.
type fhirItem struct {
	index    int
	body     []byte
	refusal  string // set: refused as it is, not dead-lettered
	location string // of the refusal
}

func (s *Server) ingestFHIR(w http.ResponseWriter, r *http.Request) {
	e, f, lane, ok := s.feedAndLane(w, r, "live")
	if !ok {
		return
	}
	rep := fhirReport{Feed: f.Name, Lane: lane.String(), Rejected: []fhirRejection{}}
	ndjson, ok := fhirMediaType(r.Header.Get("Content-Type"))
	if !ok {
		rep.Error = "Content-Type: want application/fhir+json (a Bundle) or application/fhir+ndjson"
		writeJSON(w, http.StatusUnsupportedMediaType, rep)
		return
	}
	if r.ContentLength > MaxIngestBytes {
		rep.Error = tooLargeBody
		writeJSON(w, http.StatusRequestEntityTooLarge, rep)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxIngestBytes))
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		rep.Error = tooLargeBody
		writeJSON(w, http.StatusRequestEntityTooLarge, rep)
		return
	case err != nil:
		rep.Error = "the body could not be read to its end"
		writeJSON(w, http.StatusBadRequest, rep)
		return
	}
	var items []fhirItem
	if ndjson {
		items = ndjsonItems(body)
	} else if items, err = bundleItems(body); err != nil {
		rep.Error = err.Error()
		writeJSON(w, http.StatusBadRequest, rep)
		return
	}
	rep.Resources = len(items)
	err = e.queueFHIR(r.Context(), f, lane, items, &rep)
	log := s.opts.Logger.With("feed", f.Name, "lane", lane.String(), "resources", rep.Resources, "queued", rep.Queued, "rejected", len(rep.Rejected))
	if err != nil {
		rep.Error = "the queue is not answering (sending again is safe)"
		if errors.Is(err, queue.ErrFull) {
			rep.Error = "the queue is full (sending again is safe)"
		}
		log.Warn("FHIR resources: stopped", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, rep)
		return
	}
	log.Info("FHIR resources queued")
	writeJSON(w, http.StatusAccepted, rep)
}

// fhirMediaType reads the Content-Type: ndjson, or a JSON Bundle; ok false
// for anything else.
func fhirMediaType(ct string) (ndjson, ok bool) {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false, false
	}
	switch mt {
	case "application/fhir+ndjson", "application/ndjson", "application/x-ndjson":
		return true, true
	case "application/fhir+json", "application/json":
		return false, true
	}
	return false, false
}

// queueFHIR queues each resource of items for feed f on lane, dead-letters
// those that are not valid, and reports both in rep. An error is the queue
// failing: rep covers what was done before.
func (e *engine) queueFHIR(ctx context.Context, f config.Feed, lane queue.Lane, items []fhirItem, rep *fhirReport) error {
	q := ingest.CountFiles(e.q, e.beat.door(f.Name))
	var msgs []queue.Message
	var at []int // index of each of msgs
	for _, it := range items {
		if it.refusal != "" {
			rep.Rejected = append(rep.Rejected, fhirRejection{Index: it.index, Reason: it.refusal, Location: it.location})
			continue
		}
		m, err := fhirMessage(f.Name, it.body)
		if err != nil {
			var re *resourceError
			errors.As(err, &re)
			rj := fhirRejection{Index: it.index, Resource: m.ID, Reason: re.reason, Location: re.location}
			if err := q.Reject(ctx, queue.Message{Feed: f.Name, ID: m.ID, Body: it.body}, re.reason, re.location); err != nil {
				if !errors.Is(err, queue.ErrInvalid) {
					return err
				}
				rj.Reason += " (too large to keep as a dead letter)"
			} else {
				rj.DeadLettered = true
			}
			rep.Rejected = append(rep.Rejected, rj)
			continue
		}
		msgs, at = append(msgs, m), append(at, it.index)
	}
	if lane == queue.Bulk {
		err := q.PublishBulk(ctx, msgs)
		if err == nil {
			rep.Queued += len(msgs)
			return nil
		}
		if !errors.Is(err, queue.ErrInvalid) {
			return err
		}
		// One is too large for the queue: the others go on their own.
	}
	for i, m := range msgs {
		var err error
		if lane == queue.Bulk {
			err = q.PublishBulk(ctx, msgs[i:i+1])
		} else {
			err = q.Publish(ctx, m)
		}
		switch {
		case errors.Is(err, queue.ErrInvalid):
			rep.Rejected = append(rep.Rejected, fhirRejection{Index: at[i], Resource: m.ID, Reason: "too large for the queue: " + err.Error()})
		case err != nil:
			return err
		default:
			rep.Queued++
		}
	}
	return nil
}

// bundleItems takes the resources of a transaction, batch or collection
// Bundle (or one resource that is not a Bundle).
func bundleItems(body []byte) ([]fhirItem, error) {
	var b struct {
		ResourceType string `json:"resourceType"`
		Type         string `json:"type"`
		Entry        []struct {
			Resource json.RawMessage `json:"resource"`
			Request  *struct {
				Method string `json:"method"`
			} `json:"request"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(body, &b); err != nil {
		return nil, errors.New("the body is not a FHIR JSON Bundle")
	}
	if b.ResourceType != "Bundle" {
		return []fhirItem{{index: 1, body: body}}, nil
	}
	switch b.Type {
	case "transaction", "batch", "collection":
	default:
		return nil, errors.New("the Bundle.type must be transaction, batch or collection")
	}
	items := make([]fhirItem, len(b.Entry))
	for i, en := range b.Entry {
		loc := fmt.Sprintf("Bundle.entry[%d]", i)
		it := fhirItem{index: i + 1, body: en.Resource}
		switch {
		case en.Request != nil && en.Request.Method == http.MethodDelete:
			it.refusal, it.location = "DELETE is not supported: the engine creates and updates resources only", loc+".request.method"
		case en.Request != nil && en.Request.Method != http.MethodPut && en.Request.Method != http.MethodPost:
			it.refusal, it.location = "request.method: want PUT or POST", loc+".request.method"
		case len(en.Resource) == 0 || string(en.Resource) == "null":
			it.refusal, it.location = "the entry has no resource", loc+".resource"
		}
		items[i] = it
	}
	return items, nil
}

// ndjsonItems takes one resource a line; blank lines are skipped.
func ndjsonItems(body []byte) []fhirItem {
	var items []fhirItem
	for n, line := range bytes.Split(body, []byte("\n")) {
		if line = bytes.TrimSpace(line); len(line) > 0 {
			items = append(items, fhirItem{index: n + 1, body: line})
		}
	}
	return items
}

// resourceError is a resource the engine will not upsert, with where.
type resourceError struct {
	reason, location string
}

func (e *resourceError) Error() string { return e.reason }

// checkResource validates a resource to upsert: FHIR R4 (fhir.Validate)
// with a valid id. The error is a *resourceError.
func checkResource(body []byte) (fhir.Header, error) {
	h, err := fhir.Validate(body)
	if err != nil {
		re := &resourceError{reason: "not a valid FHIR R4 resource"}
		var fe *fhir.Error
		if errors.As(err, &fe) && len(fe.Issues) > 0 {
			re.reason = strings.TrimPrefix(fe.Error(), "fhir: ")
			if x := fe.Issues[0].Expression; len(x) > 0 {
				re.location = x[0]
			}
		}
		return h, re
	}
	if !fhir.ValidID(h.ID) {
		return h, &resourceError{reason: "the resource has no valid id: the engine must know which resource to upsert", location: h.ResourceType + ".id"}
	}
	return h, nil
}

// fhirFacts are the members of a resource the engine orders and times it by.
type fhirFacts struct {
	Meta struct {
		LastUpdated string `json:"lastUpdated"`
	} `json:"meta"`
	Subject     *fhirRef `json:"subject"`
	Patient     *fhirRef `json:"patient"`
	Beneficiary *fhirRef `json:"beneficiary"`
}

type fhirRef struct {
	Reference string `json:"reference"`
}

// fhirMessage makes a valid resource with an id one queued message:
// keyed by its patient, named "<type>/<id>", at meta.lastUpdated. m.ID is
// set whenever the type and id could be read, even with an error.
func fhirMessage(feed string, body []byte) (queue.Message, error) {
	h, err := checkResource(body)
	m := queue.Message{Feed: feed, Body: body}
	if h.ResourceType != "" && h.ID != "" {
		m.ID = h.ResourceType + "/" + h.ID
	}
	if err != nil {
		return m, err
	}
	var facts fhirFacts
	_ = json.Unmarshal(body, &facts) // valid: it decodes
	m.Key = m.ID
	if h.ResourceType != "Patient" {
		for _, r := range []*fhirRef{facts.Subject, facts.Patient, facts.Beneficiary} {
			if id, ok := patientID(r); ok {
				m.Key = "Patient/" + id
				break
			}
		}
	}
	m.EventTime, _ = time.Parse(time.RFC3339Nano, facts.Meta.LastUpdated)
	return m, nil
}

// patientID is the id in a relative reference "Patient/<id>[/_history/n]".
func patientID(r *fhirRef) (string, bool) {
	if r == nil {
		return "", false
	}
	rest, ok := strings.CutPrefix(r.Reference, "Patient/")
	id, _, _ := strings.Cut(rest, "/")
	return id, ok && id != ""
}

// isFHIR reports whether a queued body is a FHIR resource (JSON) rather
// than an HL7 v2 message.
func isFHIR(body []byte) bool {
	b := bytes.TrimLeft(body, " \t\r\n")
	return len(b) > 0 && b[0] == '{'
}

// mapFHIR maps a queued FHIR resource: one upsert at its event time,
// meta.lastUpdated or else when the queue stored it. A resource that is not
// valid, or has no id, is a permanent failure with its location.
func mapFHIR(d queue.Delivery) (*v2fhir.Result, error) {
	h, err := checkResource(d.Body)
	if err != nil {
		var re *resourceError
		if errors.As(err, &re) && re.location != "" {
			err = queue.At(re.location, err)
		}
		return nil, queue.Permanent(err)
	}
	var facts fhirFacts
	_ = json.Unmarshal(d.Body, &facts)
	at := facts.Meta.LastUpdated
	if at == "" {
		at = d.Queued.UTC().Format("2006-01-02T15:04:05.000Z")
	}
	return &v2fhir.Result{MessageType: "FHIR " + h.ResourceType, EventTime: at,
		Entries: []v2fhir.Entry{{Op: v2fhir.OpUpsert, Type: h.ResourceType, ID: h.ID, EventTime: at, Resource: d.Body}}}, nil
}
