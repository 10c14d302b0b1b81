package v2fhir

import (
	"carerecord/internal/hl7"
)

// mapper holds the state of mapping one message.
type mapper struct {
	msg       *hl7.Message
	feed      *Feed
	org       string // source organisation, for ids
	localBase string
	res       *Result
	segs      []seg // every segment, with occurrence numbers
	event     string
	patientID string
	keys      PatientKeys
	encID     string // the visit's Encounter id, "" if none
}

// Map maps one message from feed. It returns an *Error when the message
// cannot be mapped; an unknown message type is not an error but a Result
// with Unsupported set. Map is pure and safe for concurrent use on distinct
// messages.
func Map(msg *hl7.Message, feed Feed) (*Result, error) {
	m := &mapper{msg: msg, feed: &feed, res: &Result{}}
	m.org = feed.Organisation
	if m.org == "" {
		m.org = "feed:" + feed.Name
	}
	m.localBase = feed.LocalSystem
	if m.localBase == "" {
		m.localBase = "urn:carerecord:local:" + slug(m.org)
	}
	seqs := map[string]int{}
	for s := range msg.All() {
		seqs[s.Name()]++
		m.segs = append(m.segs, seg{s, seqs[s.Name()]})
	}
	t := msg.Type()
	m.res.MessageType = t.Code + "^" + t.Event
	var err error
	switch t.Code + "^" + t.Event {
	case "ADT^A01", "ADT^A02", "ADT^A03", "ADT^A04", "ADT^A05", "ADT^A06", "ADT^A07", "ADT^A08",
		"ADT^A11", "ADT^A12", "ADT^A13", "ADT^A28", "ADT^A31":
		err = m.adt(t.Event)
	case "ADT^A34", "ADT^A40":
		err = m.merge()
	case "ORU^R01":
		err = m.oru()
	case "MDM^T02", "MDM^T04", "MDM^T06", "MDM^T08":
		err = m.mdm(t.Event)
	case "SIU^S12", "SIU^S13", "SIU^S14", "SIU^S15", "SIU^S16", "SIU^S17":
		err = m.siu(t.Event)
	case "RDE^O11":
		err = m.rde()
	case "RDS^O13":
		err = m.rds()
	case "RAS^O17":
		err = m.ras()
	case "VXU^V04":
		err = m.vxu()
	default:
		m.res.Unsupported = true
		m.warn("MSH-9", "message type not mapped; store and report it")
	}
	if err != nil {
		return nil, err
	}
	return m.res, nil
}

func (m *mapper) warn(where, what string) {
	m.res.Warnings = append(m.res.Warnings, Warning{where, what})
}

// first returns the first segment with the given name.
func (m *mapper) first(name string) (seg, bool) {
	for _, s := range m.segs {
		if s.Name() == name {
			return s, true
		}
	}
	return seg{}, false
}

func (m *mapper) all(name string) []seg {
	var out []seg
	for _, s := range m.segs {
		if s.Name() == name {
			out = append(out, s)
		}
	}
	return out
}

// eventTime sets the message's event time: EVN-2, else MSH-7.
func (m *mapper) eventTime() error {
	if evn, ok := m.first("EVN"); ok {
		if e := m.dateTime(evn.f(2), "EVN-2"); e != "" {
			m.event = e
			m.res.EventTime = e
			return nil
		}
	}
	msh, _ := m.first("MSH")
	if e := m.dateTime(msh.f(7), "MSH-7"); e != "" {
		m.event = e
		m.res.EventTime = e
		return nil
	}
	return &Error{"MSH-7", ErrMissingField}
}

// add appends an entry for r, whose id member must be set.
func (m *mapper) add(op Op, typ, id, status, event string, r *object) {
	e := Entry{Op: op, Type: typ, ID: id, Status: status, EventTime: event}
	if event == "" {
		e.EventTime = m.event
	}
	if r != nil {
		e.Resource = r.bytes()
	}
	m.res.Entries = append(m.res.Entries, e)
}

// resource starts a resource with its type and id.
func resource(typ, id string) *object { return obj("resourceType", typ, "id", id) }

func (m *mapper) id(typ string, key ...string) string { return logicalID(m.org, typ, key...) }

func (m *mapper) patientRef() *object { return ref("Patient", m.patientID) }

func (m *mapper) encounterRef() *object { return ref("Encounter", m.encID) }

// need returns the first segment with name, or an error naming it.
func (m *mapper) need(name string) (seg, error) {
	s, ok := m.first(name)
	if !ok {
		return seg{}, &Error{name, ErrMissingSegment}
	}
	return s, nil
}

// common reads what most messages share: the event time, the patient keys
// from PID and the visit from PV1 (when present).
func (m *mapper) common() (pid seg, err error) {
	if err := m.eventTime(); err != nil {
		return seg{}, err
	}
	pid, err = m.need("PID")
	if err != nil {
		return seg{}, err
	}
	if err := m.identify(pid); err != nil {
		return seg{}, err
	}
	if pv1, ok := m.first("PV1"); ok {
		m.encID = m.encounterID(pv1)
	}
	return pid, nil
}
