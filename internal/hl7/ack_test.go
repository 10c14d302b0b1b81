package hl7

import (
	"errors"
	"strings"
	"testing"
	"time"
)

var testAcker = Acker{
	Now:       func() time.Time { return time.Date(2026, 3, 14, 9, 31, 0, 0, time.UTC) },
	ControlID: func() string { return "ACK0001" },
}

func msg(t *testing.T, version, accept, app string) *Message {
	t.Helper()
	return mustParse(t, "MSH|^~\\&|PAS|RXX01|CARERECORD|ICS|20260314093000||ADT^A01^ADT_A01|MSG0001|P|"+version+"|||"+accept+"|"+app+"\rPID|1\r")
}

func TestACKOriginalMode(t *testing.T) {
	m := msg(t, "2.5.1", "", "")
	got := string(testAcker.ACK(m, AA))
	want := "MSH|^~\\&|CARERECORD|ICS|PAS|RXX01|20260314093100+0000||ACK^A01^ACK|ACK0001|P|2.5.1\rMSA|AA|MSG0001\r"
	if got != want {
		t.Errorf("AA =\n%q\nwant\n%q", got, want)
	}
	for _, c := range []AckCode{CA, CE, CR} {
		if b := testAcker.ACK(m, c); b != nil {
			t.Errorf("original mode has no commit acks, got %q", b)
		}
	}

	got = string(testAcker.ACK(m, AE,
		ErrDetail{Location: Location{Segment: "PID", Field: 3}, Code: CodeRequiredField, Text: "patient identifier missing"},
		ErrDetail{Location: Location{Segment: "OBX", Seq: 2, Field: 5, Rep: 1, Component: 2}, Code: CodeDataType, Severity: SeverityWarning, Text: "value|not numeric"},
	))
	want = "MSH|^~\\&|CARERECORD|ICS|PAS|RXX01|20260314093100+0000||ACK^A01^ACK|ACK0001|P|2.5.1\r" +
		"MSA|AE|MSG0001\r" +
		"ERR||PID^1^3^1|101^Required field missing^HL70357|E||||patient identifier missing\r" +
		"ERR||OBX^2^5^1^2|102^Data type error^HL70357|W||||value\\F\\not numeric\r"
	if got != want {
		t.Errorf("AE =\n%q\nwant\n%q", got, want)
	}
	ack := mustParse(t, got)
	if ack.Get("MSA-1") != "AE" || ack.Get("ERR[2]-2.1") != "OBX" || ack.Get("ERR[2]-8") != "value|not numeric" || ack.Type() != (MessageType{"ACK", "A01", "ACK"}) {
		t.Errorf("ACK does not read back: %v", ack)
	}
}

func TestACKOldVersion(t *testing.T) {
	m := msg(t, "2.3", "", "")
	got := string(testAcker.ACK(m, AR, ErrDetail{Location: Location{Segment: "MSH", Field: 9}, Code: CodeUnsupportedMessageType, Text: "no ADT here"}))
	want := "MSH|^~\\&|CARERECORD|ICS|PAS|RXX01|20260314093100+0000||ACK^A01|ACK0001|P|2.3\r" +
		"MSA|AR|MSG0001|no ADT here\r" +
		"ERR|MSH^1^9^200&Unsupported message type&HL70357\r"
	if got != want {
		t.Errorf("AR v2.3 =\n%q\nwant\n%q", got, want)
	}
	got = string(testAcker.ACK(m, AE, ErrDetail{Location: Location{Segment: "PID", Field: 3}, Code: CodeRequiredField}, ErrDetail{Code: CodeInternalError}))
	if !strings.Contains(got, "MSA|AE|MSG0001|Required field missing\rERR|PID^1^3^101&Required field missing&HL70357~^^^207&Application internal error&HL70357\r") {
		t.Errorf("AE v2.3 = %q", got)
	}
}

func TestACKEnhancedMode(t *testing.T) {
	all := []AckCode{CA, CE, CR, AA, AE, AR}
	for _, tt := range []struct {
		accept, app string
		want        []AckCode
	}{
		{"AL", "NE", []AckCode{CA, CE, CR}},
		{"AL", "AL", all},
		{"NE", "AL", []AckCode{AA, AE, AR}},
		{"ER", "SU", []AckCode{CE, CR, AA}},
		{"SU", "ER", []AckCode{CA, AE, AR}},
		{"NE", "NE", nil},
		{"AL", "", all},
		{"", "", []AckCode{AA, AE, AR}}, // original mode
	} {
		m := msg(t, "2.5", tt.accept, tt.app)
		var got []AckCode
		for _, c := range all {
			b := testAcker.ACK(m, c)
			if AckRequested(m, c) != (b != nil) {
				t.Errorf("ACK and AckRequested disagree on %s", c)
			}
			if b != nil {
				got = append(got, c)
				if !strings.Contains(string(b), "\rMSA|"+string(c)+"|MSG0001\r") {
					t.Errorf("%s ack = %q", c, b)
				}
			}
		}
		if strings.Join(codes(got), ",") != strings.Join(codes(tt.want), ",") {
			t.Errorf("MSH-15 %q MSH-16 %q: acks %v, want %v", tt.accept, tt.app, got, tt.want)
		}
	}
}

func codes(cs []AckCode) []string {
	var out []string
	for _, c := range cs {
		out = append(out, string(c))
	}
	return out
}

func TestACKDelimitersAndDefaults(t *testing.T) {
	m := mustParse(t, "MSH#$*!%#APP$X#FAC#ME#US#2026##ORU$R01#C9#T#2.4######8859/1\r")
	got := string(testAcker.ACK(m, CA)) // enhanced? no: MSH-15/16 empty, so no commit ack
	if got != "" {
		t.Errorf("CA in original mode = %q", got)
	}
	got = string(testAcker.ACK(m, AA))
	want := "MSH#$*!%#ME#US#APP$X#FAC#20260314093100+0000##ACK$R01$ACK#ACK0001#T#2.4######8859/1\rMSA#AA#C9\r"
	if got != want {
		t.Errorf("ACK =\n%q\nwant\n%q", got, want)
	}
	// The zero Acker makes a fresh control ID.
	a, b := ACK(m, AA), ACK(m, AA)
	ma, mb := mustParse(t, string(a)), mustParse(t, string(b))
	if ma.ControlID() == mb.ControlID() || len(ma.ControlID()) != 20 {
		t.Errorf("control IDs %q %q", ma.ControlID(), mb.ControlID())
	}
}

func TestACKForParseError(t *testing.T) {
	in := []byte("MSH|^~\\&|PAS|RXX01|CR|ICS|20260314||ORU^R01|M7|P|2.5\rPID|1\rOBX|1\rOBX|2\rOBX^3\r")
	_, err := Parse(in)
	var e *Error
	if !errors.As(err, &e) {
		t.Fatal(err)
	}
	hdr, herr := ParseHeader(in)
	if herr != nil {
		t.Fatal(herr)
	}
	got := string(testAcker.ACK(hdr, AR, e.Detail()))
	if !strings.Contains(got, "\rMSA|AR|M7\rERR||OBX^3|100^Segment sequence error^HL70357|E||||hl7: segment 5 (OBX): invalid segment name (byte 71)\r") {
		t.Errorf("ACK = %q", got)
	}
}
