package hl7

import (
	"errors"
	"strconv"
	"strings"
)

// Sentinel errors wrapped by *Error. Callers branch on them with errors.Is.
var (
	ErrEmpty          = errors.New("no segments")
	ErrNoHeader       = errors.New("message does not start with an MSH segment")
	ErrDelimiters     = errors.New("invalid delimiters")
	ErrSegmentName    = errors.New("invalid segment name")
	ErrSecondHeader   = errors.New("a second message header; use a Scanner or ParseBatch for files of several messages")
	ErrBatchSegment   = errors.New("batch control segment inside a message; use a Scanner or ParseBatch")
	ErrBatchStructure = errors.New("batch envelope out of order")
	ErrBatchCount     = errors.New("batch trailer count does not match")
	ErrUTF16          = errors.New("UTF-16 input is not supported")
	ErrTooLarge       = errors.New("message larger than the limit")
	ErrPath           = errors.New("invalid path")
	ErrNotFound       = errors.New("no such segment")
	ErrReadOnly       = errors.New("MSH-1 and MSH-2 cannot be set")
	ErrTime           = errors.New("invalid date/time")
)

// Error is a syntax or access error with where it happened. Fields that do
// not apply are zero (Offset is -1 when unknown). It never holds values from
// the message, so it is safe to log.
type Error struct {
	Segment   int    // 1-based index of the segment in the message
	Name      string // segment ID, when it is a valid one
	Seq       int    // 1-based occurrence of segments with this ID (the second OBX is 2)
	Field     int    // field position as the standard counts it (MSH-1 is the separator)
	Rep       int    // field repetition
	Component int
	Sub       int
	Offset    int // byte offset in the input, -1 if unknown
	Err       error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("hl7: ")
	if e.Segment > 0 {
		b.WriteString("segment ")
		b.WriteString(strconv.Itoa(e.Segment))
		if e.Name != "" {
			b.WriteString(" (" + e.Name + ")")
		}
	} else if e.Name != "" {
		b.WriteString(e.Name)
	}
	if e.Field > 0 {
		b.WriteString(" field " + strconv.Itoa(e.Field))
		if e.Rep > 1 {
			b.WriteString(" repetition " + strconv.Itoa(e.Rep))
		}
		if e.Component > 0 {
			b.WriteString(" component " + strconv.Itoa(e.Component))
		}
		if e.Sub > 0 {
			b.WriteString(" subcomponent " + strconv.Itoa(e.Sub))
		}
	}
	if b.Len() > len("hl7: ") {
		b.WriteString(": ")
	}
	b.WriteString(e.Err.Error())
	if e.Offset >= 0 {
		b.WriteString(" (byte " + strconv.Itoa(e.Offset) + ")")
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Detail turns the error into an ERR segment detail for a negative
// acknowledgement: the location it names and the table 0357 code that fits.
func (e *Error) Detail() ErrDetail {
	code := CodeSegmentSequence
	switch {
	case errors.Is(e.Err, ErrTime), errors.Is(e.Err, ErrDelimiters):
		code = CodeDataType
	}
	seq := e.Seq
	if seq == 0 && e.Name != "" {
		seq = 1
	}
	return ErrDetail{
		Location: Location{Segment: e.Name, Seq: seq, Field: e.Field, Rep: e.Rep, Component: e.Component, Sub: e.Sub},
		Code:     code,
		Severity: SeverityError,
		Text:     e.Error(),
	}
}

// segName returns the segment ID at s for error reports, or "" when the bytes
// there are not a valid segment ID (then they may be patient data).
func segName(s []byte) string {
	if len(s) < 3 || !validName(s[:3]) {
		return ""
	}
	return string(s[:3])
}
