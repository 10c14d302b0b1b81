package hl7

import (
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
)

// AckCode is MSA-1, the acknowledgement code (HL7 table 0008).
type AckCode string

// Application acknowledgements (original mode, and enhanced-mode
// application acks) and commit acknowledgements (enhanced mode only).
const (
	AA AckCode = "AA" // application accept
	AE AckCode = "AE" // application error
	AR AckCode = "AR" // application reject
	CA AckCode = "CA" // commit accept: the message is safely stored
	CE AckCode = "CE" // commit error
	CR AckCode = "CR" // commit reject
)

// Commit reports whether c is an enhanced-mode accept (commit) code.
func (c AckCode) Commit() bool { return c == CA || c == CE || c == CR }

func (c AckCode) positive() bool { return c == AA || c == CA }

// ErrorCode is an HL7 error condition code, table 0357 (ERR-3).
type ErrorCode int

// The codes of table 0357.
const (
	CodeAccepted                ErrorCode = 0
	CodeSegmentSequence         ErrorCode = 100
	CodeRequiredField           ErrorCode = 101
	CodeDataType                ErrorCode = 102
	CodeTableValue              ErrorCode = 103
	CodeValueTooLong            ErrorCode = 104
	CodeUnsupportedMessageType  ErrorCode = 200
	CodeUnsupportedEvent        ErrorCode = 201
	CodeUnsupportedProcessingID ErrorCode = 202
	CodeUnsupportedVersion      ErrorCode = 203
	CodeUnknownKey              ErrorCode = 204
	CodeDuplicateKey            ErrorCode = 205
	CodeRecordLocked            ErrorCode = 206
	CodeInternalError           ErrorCode = 207
)

var codeText = map[ErrorCode]string{
	CodeAccepted: "Message accepted", CodeSegmentSequence: "Segment sequence error",
	CodeRequiredField: "Required field missing", CodeDataType: "Data type error",
	CodeTableValue: "Table value not found", CodeValueTooLong: "Value too long",
	CodeUnsupportedMessageType: "Unsupported message type", CodeUnsupportedEvent: "Unsupported event code",
	CodeUnsupportedProcessingID: "Unsupported processing id", CodeUnsupportedVersion: "Unsupported version id",
	CodeUnknownKey: "Unknown key identifier", CodeDuplicateKey: "Duplicate key identifier",
	CodeRecordLocked: "Application record locked", CodeInternalError: "Application internal error",
}

// Text returns the code's description in table 0357.
func (c ErrorCode) Text() string { return codeText[c] }

// Severity is ERR-4 (table 0516).
type Severity string

// The severities of table 0516.
const (
	SeverityError   Severity = "E"
	SeverityWarning Severity = "W"
	SeverityInfo    Severity = "I"
	SeverityFatal   Severity = "F"
)

// Location is where a problem is, as ERR-2 (ERL) writes it: segment ID and
// occurrence, field, repetition, component, subcomponent. Zero means not
// given.
type Location struct {
	Segment                         string
	Seq, Field, Rep, Component, Sub int
}

// ErrDetail is one ERR segment: where, what (table 0357), how bad, and a
// message for the sender's operators. Text goes back to the sender, never to
// our logs.
type ErrDetail struct {
	Location Location
	Code     ErrorCode
	Severity Severity
	Text     string
}

// AckRequested reports whether msg asks for an acknowledgement with code.
// In original mode (MSH-15 and MSH-16 empty) every application ack is sent
// and commit acks are not used. In enhanced mode MSH-15 governs commit acks
// and MSH-16 application acks: AL always, NE never, ER only on error or
// reject, SU only on success; an empty or unknown value means always.
func AckRequested(msg *Message, code AckCode) bool {
	accept, app := msg.AcceptAckType(), msg.AppAckType()
	if accept == "" && app == "" {
		return !code.Commit()
	}
	rule := app
	if code.Commit() {
		rule = accept
	}
	switch rule {
	case "NE":
		return false
	case "ER":
		return !code.positive()
	case "SU":
		return code.positive()
	}
	return true
}

// Acker builds acknowledgements. The zero value uses the clock and random
// control IDs; tests set Now and ControlID.
type Acker struct {
	Now       func() time.Time // when the ack is made (MSH-7); nil means time.Now
	ControlID func() string    // MSH-10 of the ack; nil means 20 random hex digits
}

// ACK builds an acknowledgement of msg with the zero Acker; see Acker.ACK.
func ACK(msg *Message, code AckCode, errs ...ErrDetail) []byte {
	return Acker{}.ACK(msg, code, errs...)
}

// ACK builds the acknowledgement of msg with code and one ERR segment per
// detail, in msg's delimiters and version, segments ended by CR, ready for
// MLLP. It returns nil when msg's MSH-15/MSH-16 say no such ack is wanted
// (see AckRequested). The header swaps sender and receiver; MSA-2 echoes
// msg's control ID. From version 2.5, each ERR gives the location in ERR-2,
// the code in ERR-3, the severity in ERR-4 and the text in ERR-8; before
// 2.5, one ERR lists them in ERR-1 (segment^sequence^field^code&text) and
// MSA-3 carries the first text.
func (a Acker) ACK(msg *Message, code AckCode, errs ...ErrDetail) []byte {
	if !AckRequested(msg, code) {
		return nil
	}
	now := time.Now
	if a.Now != nil {
		now = a.Now
	}
	id := a.ControlID
	if id == nil {
		id = randomID
	}
	d := msg.delims
	v25 := versionAtLeast(msg.Version(), "2.5")
	w := ackWriter{d: d}

	w.field("MSH")
	w.b.WriteByte(d.Field)
	w.b.WriteString(d.EncodingCharacters())
	msh9 := "ACK"
	if ev := msg.Raw("MSH-9.2"); ev != "" {
		msh9 += string(d.Component) + ev
		if versionAtLeast(msg.Version(), "2.3.1") {
			msh9 += string(d.Component) + "ACK"
		}
	}
	w.fields(msg.Raw("MSH-5"), msg.Raw("MSH-6"), msg.Raw("MSH-3"), msg.Raw("MSH-4"),
		FormatTime(now(), PrecisionSecond), "", msh9, escape(id(), &d), msg.Raw("MSH-11"), msg.Raw("MSH-12"))
	if cs := msg.Raw("MSH-18"); cs != "" {
		w.fields("", "", "", "", "", cs)
	}
	w.end()

	w.field("MSA")
	w.fields(string(code), msg.Raw("MSH-10"))
	if !v25 && len(errs) > 0 {
		text := errs[0].Text
		if text == "" {
			text = errs[0].Code.Text()
		}
		w.fields(escape(text, &d))
	}
	w.end()

	if len(errs) > 0 && !v25 {
		w.field("ERR")
		w.b.WriteByte(d.Field)
		for i, e := range errs {
			if i > 0 {
				w.b.WriteByte(d.Repetition)
			}
			w.b.WriteString(e.Location.eld(d, e.Code))
		}
		w.end()
	}
	for _, e := range errs {
		if !v25 {
			break
		}
		sev := e.Severity
		if sev == "" {
			sev = SeverityError
		}
		c := string(d.Component)
		cwe := strconv.Itoa(int(e.Code)) + c + escape(e.Code.Text(), &d) + c + "HL70357"
		w.field("ERR")
		w.fields("", e.Location.erl(d), cwe, string(sev), "", "", "", escape(e.Text, &d))
		w.end()
	}
	return []byte(w.b.String())
}

type ackWriter struct {
	b strings.Builder
	d Delimiters
}

func (w *ackWriter) field(s string) { w.b.WriteString(s) }

func (w *ackWriter) fields(fs ...string) {
	for _, f := range fs {
		w.b.WriteByte(w.d.Field)
		w.b.WriteString(f)
	}
}

func (w *ackWriter) end() { w.b.WriteByte('\r') }

// parts returns the location's numbers as ERL writes them: occurrence 1 when
// a segment is named, repetition 1 when a field is.
func (l Location) parts() []string {
	if l.Segment == "" {
		return nil
	}
	p := []string{l.Segment, strconv.Itoa(max(l.Seq, 1))}
	if l.Field > 0 {
		p = append(p, strconv.Itoa(l.Field), strconv.Itoa(max(l.Rep, 1)))
		if l.Component > 0 {
			p = append(p, strconv.Itoa(l.Component))
			if l.Sub > 0 {
				p = append(p, strconv.Itoa(l.Sub))
			}
		}
	}
	return p
}

// erl writes the location as ERR-2 (v2.5+).
func (l Location) erl(d Delimiters) string {
	return strings.Join(l.parts(), string(d.Component))
}

// eld writes the location and code as ERR-1 (before v2.5): segment ID,
// sequence, field position, then the code as code&text&HL70357.
func (l Location) eld(d Delimiters, code ErrorCode) string {
	p := l.parts()
	if len(p) > 3 {
		p = p[:3]
	}
	for len(p) < 3 {
		p = append(p, "")
	}
	s := string(d.Subcomponent)
	p = append(p, strconv.Itoa(int(code))+s+escape(code.Text(), &d)+s+"HL70357")
	return strings.Join(p, string(d.Component))
}

func randomID() string {
	var b [10]byte
	_, _ = rand.Read(b[:])
	return strings.ToUpper(hex.EncodeToString(b[:]))
}

// versionAtLeast compares HL7 version IDs such as "2.3.1" numerically. An
// empty or unreadable version counts as the newest.
func versionAtLeast(v, least string) bool {
	vs, ms := strings.Split(v, "."), strings.Split(least, ".")
	for i, m := range ms {
		mn, _ := strconv.Atoi(m)
		if i >= len(vs) {
			return mn == 0
		}
		vn, err := strconv.Atoi(vs[i])
		if err != nil {
			return true
		}
		if vn != mn {
			return vn > mn
		}
	}
	return true
}
