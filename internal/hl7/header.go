package hl7

import (
	"errors"
	"fmt"
	"time"
)

// MessageType is MSH-9: message code, trigger event and message structure,
// e.g. ADT, A01, ADT_A01. Structure is "" when the sender leaves it out (as
// versions before 2.3.1 do).
type MessageType struct {
	Code, Event, Structure string
}

// String returns the type as MSH-9 writes it with default delimiters.
func (t MessageType) String() string {
	s := t.Code + "^" + t.Event
	if t.Structure != "" {
		s += "^" + t.Structure
	}
	return s
}

// HD is a hierarchic designator, as in MSH-3 to MSH-6: a local namespace ID
// and, optionally, a universal ID and its type.
type HD struct {
	NamespaceID, UniversalID, UniversalIDType string
}

func (m *Message) hd(field string) HD {
	return HD{m.Get("MSH-" + field + ".1"), m.Get("MSH-" + field + ".2"), m.Get("MSH-" + field + ".3")}
}

// Type returns MSH-9.
func (m *Message) Type() MessageType {
	return MessageType{m.Get("MSH-9.1"), m.Get("MSH-9.2"), m.Get("MSH-9.3")}
}

// ControlID returns MSH-10, the sender's unique ID of this message, which
// acknowledgements echo in MSA-2.
func (m *Message) ControlID() string { return m.Get("MSH-10") }

// ProcessingID returns MSH-11.1: P production, T training, D debugging.
func (m *Message) ProcessingID() string { return m.Get("MSH-11") }

// Version returns MSH-12.1, e.g. "2.5.1".
func (m *Message) Version() string { return m.Get("MSH-12") }

// SendingApplication returns MSH-3.
func (m *Message) SendingApplication() HD { return m.hd("3") }

// SendingFacility returns MSH-4.
func (m *Message) SendingFacility() HD { return m.hd("4") }

// ReceivingApplication returns MSH-5.
func (m *Message) ReceivingApplication() HD { return m.hd("5") }

// ReceivingFacility returns MSH-6.
func (m *Message) ReceivingFacility() HD { return m.hd("6") }

// AcceptAckType returns MSH-15 (AL, NE, ER, SU, or "" in original mode).
func (m *Message) AcceptAckType() string { return m.Get("MSH-15") }

// AppAckType returns MSH-16 (AL, NE, ER, SU, or "" in original mode).
func (m *Message) AppAckType() string { return m.Get("MSH-16") }

// Charset returns MSH-18.1, the character set ("" means ASCII).
func (m *Message) Charset() string { return m.Get("MSH-18") }

// Time returns MSH-7, when the sender made the message. A value without a
// UTC offset is read in loc, the sending feed's zone.
func (m *Message) Time(loc *time.Location) (Time, error) {
	t, err := ParseTime(m.Get("MSH-7"), loc)
	if err != nil {
		return Time{}, &Error{Segment: 1, Name: "MSH", Seq: 1, Field: 7, Offset: -1, Err: errors.Unwrap(err)}
	}
	return t, nil
}

// String describes the message without patient data, for logs:
// "ADT^A01 message, 7 segments".
func (m *Message) String() string {
	return fmt.Sprintf("%s message, %d segments", m.Type(), len(m.segs))
}
