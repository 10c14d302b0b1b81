package hl7

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// adt is a synthetic ADT^A01 (NHS test number, made-up names), segments
// joined by CR.
var adt = strings.Join([]string{
	`MSH|^~\&|PAS|RXX01|CARERECORD|ICS|20260314093000+0000||ADT^A01^ADT_A01|MSG0001|P|2.5.1|||AL|NE||UNICODE UTF-8`,
	`EVN|A01|20260314092900`,
	`PID|1||RXX1234567^^^RXX^MR~9990000018^^^NHS^NH||TESTPATIENT^ALEX^J^^MX||19800102|U|||1 Test Street^^Leeds^^LS1 1AA^GBR`,
	`PV1|1|I|WARD1^BAY2^BED3^RXX01||||C123^DOCTOR^TEST|||MED`,
	`OBX|1|NM|8867-4^Heart rate^LN||72|/min|||||F`,
	`OBX|2|ST|TEXT^Note^L||Line one\.br\Line two \T\ more \F\ and \S\||||||F`,
	`OBX|3|ST|NULL^Nothing^L||""||||||F`,
	`ZZZ`,
}, "\r") + "\r"

func mustParse(t testing.TB, s string) *Message {
	t.Helper()
	m, err := Parse([]byte(s))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return m
}

func TestGet(t *testing.T) {
	m := mustParse(t, adt)
	tests := []struct{ path, want string }{
		{"MSH-1", "|"},
		{"MSH-2", `^~\&`},
		{"MSH-3", "PAS"},
		{"MSH-9", "ADT"},
		{"MSH-9.2", "A01"},
		{"MSH-9.3", "ADT_A01"},
		{"MSH-10", "MSG0001"},
		{"MSH-18", "UNICODE UTF-8"},
		{"PID-3", "RXX1234567"},
		{"PID-3[2]", "9990000018"},
		{"PID-3[2].1", "9990000018"},
		{"PID-3[2].5", "NH"},
		{"PID-3[3].1", ""},
		{"PID-5.2", "ALEX"},
		{"PID-11.3", "Leeds"},
		{"PID-99", ""},
		{"PV1-3.3", "BED3"},
		{"OBX-5", "72"},
		{"OBX[2]-5", "Line one\nLine two & more | and ^"},
		{"OBX[3]-5", ""},
		{"OBX[4]-5", ""},
		{"ZZZ-1", ""},
		{"NTE-1", ""},
		{"bad path", ""},
	}
	for _, tt := range tests {
		if got := m.Get(tt.path); got != tt.want {
			t.Errorf("Get(%q) = %q, want %q", tt.path, got, tt.want)
		}
	}
	if !m.IsNull("OBX[3]-5") || m.IsNull("OBX[2]-5") || m.IsNull("OBX[3]-6") {
		t.Error("IsNull: the null is OBX[3]-5 only")
	}
	if got := m.Raw("PID-3"); got != "RXX1234567^^^RXX^MR~9990000018^^^NHS^NH" {
		t.Errorf("Raw(PID-3) = %q", got)
	}
	if got := m.Raw("PID-3[2]"); got != "9990000018^^^NHS^NH" {
		t.Errorf("Raw(PID-3[2]) = %q", got)
	}
	if got := m.GetAll("OBX-3.1"); strings.Join(got, ",") != "8867-4,TEXT,NULL" {
		t.Errorf("GetAll(OBX-3.1) = %q", got)
	}
	if got := m.GetAll("PID-3.1"); strings.Join(got, ",") != "RXX1234567,9990000018" {
		t.Errorf("GetAll(PID-3.1) = %q", got)
	}
	obx := m.Segments("OBX")
	if len(obx) != 3 || obx[1].Get("5") != m.Get("OBX[2]-5") || obx[1].Index() != 6 || obx[0].Get("OBX-3.2") != "Heart rate" {
		t.Errorf("Segments(OBX) = %v", obx)
	}
	pid, _ := m.Find("PID", 1)
	if pid.NumFields() != 11 || pid.Reps(3) != 2 || pid.Reps(4) != 0 || pid.Reps(5) != 1 {
		t.Errorf("PID: %d fields, reps %d %d %d", pid.NumFields(), pid.Reps(3), pid.Reps(4), pid.Reps(5))
	}
	if msh := m.Segment(1); msh.NumFields() != 18 {
		t.Errorf("MSH has %d fields, want 18", msh.NumFields())
	}
	if m.String() != "ADT^A01^ADT_A01 message, 8 segments" {
		t.Errorf("String() = %q", m.String())
	}
}

func TestLineEndingsAndBOM(t *testing.T) {
	base := strings.Split(strings.TrimSuffix(adt, "\r"), "\r")
	for _, tt := range []struct {
		name, prefix, sep, suffix string
		bom                       bool
	}{
		{"CR", "", "\r", "\r", false},
		{"LF", "", "\n", "\n", false},
		{"CRLF", "", "\r\n", "\r\n", false},
		{"no final terminator", "", "\r", "", false},
		{"BOM", "\xEF\xBB\xBF", "\n", "\n", true},
		{"blank lines", "\r\n", "\n\n", "\n\n\n", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			in := []byte(tt.prefix + strings.Join(base, tt.sep) + tt.suffix)
			m := mustParse(t, string(in))
			if m.NumSegments() != len(base) || m.HasBOM() != tt.bom {
				t.Fatalf("%d segments, BOM %v", m.NumSegments(), m.HasBOM())
			}
			if !bytes.Equal(m.Bytes(), in) {
				t.Errorf("Bytes() changed the input")
			}
			if got := string(m.Encode()); got != adt {
				t.Errorf("Encode() = %q", got)
			}
			if m.Get("PID-3[2].1") != "9990000018" {
				t.Error("PID-3[2].1")
			}
		})
	}
}

func TestCustomDelimiters(t *testing.T) {
	in := "MSH#$*!%#PAS#RXX01#####ADT$A01#ID1#P#2.4\rPID#1##9990000018$$$NHS$NH*OTHER$$$X##A!F!B$C%D\r"
	m := mustParse(t, in)
	d := m.Delimiters()
	if d != (Delimiters{Field: '#', Component: '$', Repetition: '*', Escape: '!', Subcomponent: '%'}) {
		t.Fatalf("delimiters = %+v", d)
	}
	for p, want := range map[string]string{
		"MSH-1": "#", "MSH-2": "$*!%", "MSH-3": "PAS", "MSH-9.2": "A01", "MSH-12": "2.4",
		"PID-3[2].1": "OTHER", "PID-3.5": "NH", "PID-5": "A#B", "PID-5.2": "C", "PID-5.2.2": "D",
	} {
		if got := m.Get(p); got != want {
			t.Errorf("Get(%q) = %q, want %q", p, got, want)
		}
	}
	if err := m.Set("PID-5.2", "x#y$z"); err != nil {
		t.Fatal(err)
	}
	if got := m.Raw("PID-5"); got != "A!F!B$x!F!y!S!z%D" {
		t.Errorf("after Set, Raw(PID-5) = %q", got)
	}

	// v2.7 truncation character
	m = mustParse(t, "MSH|^~\\&#|A|B\rNTE|1||cut\\P\\here\r")
	if m.Delimiters().Truncation != '#' || m.Get("NTE-3") != "cut#here" || m.Get("MSH-2") != `^~\&#` {
		t.Errorf("truncation: %+v %q", m.Delimiters(), m.Get("NTE-3"))
	}
}

func TestEmptyNullAndTruncated(t *testing.T) {
	m := mustParse(t, "MSH|^~\\&|A\rPID|1||\"\"|||\"\"^X\rPV1\rNK1|\r")
	for _, tt := range []struct {
		path       string
		want       string
		null, raw0 bool
	}{
		{"PID-3", "", true, false},
		{"PID-4", "", false, true},
		{"PID-6", "", true, false},
		{"PID-6.2", "X", false, false},
		{"PID-40", "", false, true},
		{"PV1-1", "", false, true},
		{"NK1-1", "", false, true},
		{"NK1-2", "", false, true},
	} {
		if got := m.Get(tt.path); got != tt.want {
			t.Errorf("Get(%q) = %q, want %q", tt.path, got, tt.want)
		}
		if m.IsNull(tt.path) != tt.null {
			t.Errorf("IsNull(%q) = %v", tt.path, !tt.null)
		}
		if (m.Raw(tt.path) == "") != tt.raw0 {
			t.Errorf("Raw(%q) = %q", tt.path, m.Raw(tt.path))
		}
	}
	if pv1, _ := m.Find("PV1", 1); pv1.NumFields() != 0 {
		t.Errorf("PV1 fields = %d", pv1.NumFields())
	}
}

func TestParseErrors(t *testing.T) {
	for _, tt := range []struct {
		name, in string
		err      error
		seg      int
		segName  string
		field    int
		offset   int
	}{
		{"empty", "", ErrEmpty, 0, "", 0, 0},
		{"only blank lines", "\r\n\r\n", ErrEmpty, 0, "", 0, 4},
		{"no MSH", "PID|1\r", ErrNoHeader, 1, "", 0, 0},
		{"lower-case msh", "msh|^~\\&|\r", ErrNoHeader, 1, "", 0, 0},
		{"batch", "FHS|^~\\&\rMSH|^~\\&\r", ErrBatchSegment, 1, "FHS", 0, 0},
		{"UTF-16", "\xFF\xFEM\x00", ErrUTF16, 0, "", 0, 0},
		{"short MSH", "MSH", ErrDelimiters, 1, "MSH", 1, 0},
		{"alnum field separator", "MSHA^~\\&", ErrDelimiters, 1, "MSH", 1, 0},
		{"3 encoding chars", "MSH|^~\\|A\r", ErrDelimiters, 1, "MSH", 2, 0},
		{"6 encoding chars", "MSH|^~\\&#!|A\r", ErrDelimiters, 1, "MSH", 2, 0},
		{"duplicate delimiter", "MSH|^^\\&|A\r", ErrDelimiters, 1, "MSH", 2, 0},
		{"escape and subcomponent the same", "MSH|^~\\\\|A\r", ErrDelimiters, 1, "MSH", 2, 0},
		{"separator as encoding char", "MSH|^~\\|&|A\r", ErrDelimiters, 1, "MSH", 2, 0},
		{"bad segment name", "MSH|^~\\&|A\rPID|1\rsecret text\r", ErrSegmentName, 3, "", 0, 17},
		{"continuation line", "MSH|^~\\&|A\rOBX|1|TX|||first\n  sekrit line\r", ErrSegmentName, 3, "", 0, 28},
		{"name without separator", "MSH|^~\\&|A\rOBX|1\rOBX^2\r", ErrSegmentName, 3, "OBX", 0, 17},
		{"second MSH", "MSH|^~\\&|A\rPID\rMSH|^~\\&|B\r", ErrSecondHeader, 3, "MSH", 0, 15},
		{"BTS inside", "MSH|^~\\&|A\rBTS|1\r", ErrBatchSegment, 2, "BTS", 0, 11},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.in))
			var e *Error
			if !errors.Is(err, tt.err) || !errors.As(err, &e) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if e.Segment != tt.seg || e.Name != tt.segName || e.Field != tt.field || e.Offset != tt.offset {
				t.Errorf("err = %v: segment %d %q field %d offset %d", err, e.Segment, e.Name, e.Field, e.Offset)
			}
			for _, secret := range []string{"secret", "sekrit", "first"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error text %q leaks message content", err)
				}
			}
		})
	}
	_, err := Parse([]byte("MSH|^~\\&|A\rOBX|1\rOBX|2\rOBX^3\r"))
	if got := err.Error(); got != "hl7: segment 4 (OBX): invalid segment name (byte 23)" {
		t.Errorf("message = %q", got)
	}
	var e *Error
	if errors.As(err, &e); e.Seq != 3 {
		t.Errorf("Seq = %d, want 3 (the third OBX)", e.Seq)
	}
}

func TestParseHeader(t *testing.T) {
	m, err := ParseHeader([]byte("MSH|^~\\&|A|B|C|D|||ORU^R01|X1|P|2.3\rOBX|1\rbad line\r"))
	if err != nil {
		t.Fatal(err)
	}
	if m.NumSegments() != 1 || m.ControlID() != "X1" || string(m.Bytes()) != "MSH|^~\\&|A|B|C|D|||ORU^R01|X1|P|2.3\r" {
		t.Errorf("ParseHeader: %d segments, %q", m.NumSegments(), m.Bytes())
	}
}

func TestPath(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Path
	}{
		{"PID", Path{Segment: "PID"}},
		{"PID-3", Path{Segment: "PID", Field: 3}},
		{"PID-3[2].1", Path{Segment: "PID", Field: 3, Rep: 2, Component: 1}},
		{"OBX[12]-5.1.2", Path{Segment: "OBX", SegRep: 12, Field: 5, Component: 1, Sub: 2}},
		{"5[2].1", Path{Field: 5, Rep: 2, Component: 1}},
		{"ZX1-1", Path{Segment: "ZX1", Field: 1}},
	} {
		got, err := ParsePath(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParsePath(%q) = %+v, %v", tt.in, got, err)
		}
		if got.String() != tt.in {
			t.Errorf("String() = %q, want %q", got.String(), tt.in)
		}
	}
	for _, bad := range []string{"", "PI", "PID-", "PID-0", "PID-3[0]", "PID-3[", "PID-3[2", "PID-3.", "PID-3.1.2.3", "PID.3", "pid-3", "PID-x", "PID-3]", "PID-1234567"} {
		if _, err := ParsePath(bad); !errors.Is(err, ErrPath) {
			t.Errorf("ParsePath(%q) err = %v", bad, err)
		}
	}
}

// MSH-2 with the escape character written twice (a message pasted from a
// program's source) is read as ^~\& and kept byte for byte.
func TestDoubledEscapeInMSH2(t *testing.T) {
	raw := "MSH|^~\\\\&|PAS|RZZ|||20240312093000||ADT^A01|C1|P|2.6\rPID|1||X1^^^A&B&ISO\r"
	m, err := Parse([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if d := m.Delimiters(); d != DefaultDelimiters {
		t.Errorf("delimiters %+v, want %+v", d, DefaultDelimiters)
	}
	if got := m.Get("PID-3.4.2"); got != "B" {
		t.Errorf("PID-3.4.2 = %q, want B (& still separates subcomponents)", got)
	}
	if string(m.Bytes()) != raw {
		t.Errorf("not kept byte for byte: %q", m.Bytes())
	}
}
