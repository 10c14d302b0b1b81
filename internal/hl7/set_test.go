package hl7

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestSet(t *testing.T) {
	const in = "MSH|^~\\&|A|B\nPID|1||X1^^^RXX^MR\n\nPV1\nOBX|1\nOBX|2|ST"
	for _, tt := range []struct {
		path, value string
		raw         bool
		seg         string // the changed segment afterwards
	}{
		{"PID-3[2].1", "9990000018", false, "PID|1||X1^^^RXX^MR~9990000018"},
		{"PID-3[2].5", "NH", false, "PID|1||X1^^^RXX^MR~^^^^NH"},
		{"PID-3.4", "R|X", false, "PID|1||X1^^^R\\F\\X^MR"},
		{"PID-3", "Y", false, "PID|1||Y^^^RXX^MR"},
		{"PID-5.1.2", "van", false, "PID|1||X1^^^RXX^MR||&van"},
		{"PID-8", Null, false, `PID|1||X1^^^RXX^MR|||||""`},
		{"PID-1", "", false, "PID|||X1^^^RXX^MR"},
		{"PID-3", "A^B~C", true, "PID|1||A^B~C"},
		{"PID-3[2]", "A^B", true, "PID|1||X1^^^RXX^MR~A^B"},
		{"PV1-3.3", "BED 1", false, "PV1|||^^BED 1"},
		{"OBX[2]-5", "line1\nline2", false, "OBX|2|ST|||line1\\.br\\line2"},
		{"MSH-3", "NEW^APP", false, "MSH|^~\\&|NEW\\S\\APP|B"},
		{"MSH-12", "2.5", false, "MSH|^~\\&|A|B||||||||2.5"},
	} {
		t.Run(tt.path, func(t *testing.T) {
			m := mustParse(t, in)
			set := m.Set
			if tt.raw {
				set = m.SetRaw
			}
			if err := set(tt.path, tt.value); err != nil {
				t.Fatal(err)
			}
			p, _ := ParsePath(tt.path)
			s, _ := m.Find(p.Segment, p.SegRep)
			if got := string(s.Bytes()); got != tt.seg {
				t.Errorf("segment = %q, want %q", got, tt.seg)
			}
			if !tt.raw && tt.value != Null {
				if got := m.Get(tt.path); got != tt.value {
					t.Errorf("Get after Set = %q, want %q", got, tt.value)
				}
			}
			// Only the changed segment differs; terminators and blank lines stay.
			want := strings.Replace(in, string(mustParse(t, in).content(s.i)), tt.seg, 1)
			if p.Segment == "OBX" {
				want = strings.TrimSuffix(in, "OBX|2|ST") + tt.seg
			}
			if got := string(m.Bytes()); got != want {
				t.Errorf("Bytes() = %q, want %q", got, want)
			}
			if _, err := Parse(m.Bytes()); err != nil {
				t.Errorf("re-parse: %v", err)
			}
		})
	}
}

func TestSetErrors(t *testing.T) {
	m := mustParse(t, "MSH|^~\\&|A\rPID|1\r")
	for _, tt := range []struct {
		path, value string
		raw         bool
		err         error
	}{
		{"MSH-1", "#", false, ErrReadOnly},
		{"MSH-2", "$", false, ErrReadOnly},
		{"NK1-1", "x", false, ErrNotFound},
		{"PID[2]-1", "x", false, ErrNotFound},
		{"PID", "x", false, ErrPath},
		{"PID-x", "x", false, ErrPath},
		{"PID-3", "a|b", true, ErrDelimiters},
		{"PID-3", "a\rb", true, ErrDelimiters},
		{"PID-3[1]", "a~b", true, ErrDelimiters},
		{"PID-3.1", "a^b", true, ErrDelimiters},
		{"PID-3.1.1", "a&b", true, ErrDelimiters},
	} {
		set := m.Set
		if tt.raw {
			set = m.SetRaw
		}
		if err := set(tt.path, tt.value); !errors.Is(err, tt.err) {
			t.Errorf("Set(%q, %q) err = %v, want %v", tt.path, tt.value, err, tt.err)
		}
	}
	if !bytes.Equal(m.Bytes(), []byte("MSH|^~\\&|A\rPID|1\r")) {
		t.Errorf("failed Sets changed the message: %q", m.Bytes())
	}
}

func TestAddSegment(t *testing.T) {
	m := mustParse(t, "MSH|^~\\&|A\r\nPID|1")
	nte, err := m.AddSegment("NTE")
	if err != nil {
		t.Fatal(err)
	}
	if err := nte.Set("3", "note"); err != nil {
		t.Fatal(err)
	}
	if got := string(m.Bytes()); got != "MSH|^~\\&|A\r\nPID|1\r\nNTE|||note\r\n" {
		t.Errorf("Bytes() = %q", got)
	}
	if got := string(m.Encode()); got != "MSH|^~\\&|A\rPID|1\rNTE|||note\r" {
		t.Errorf("Encode() = %q", got)
	}
	if _, err := m.AddSegment("MSH"); !errors.Is(err, ErrSegmentName) {
		t.Errorf("AddSegment(MSH) err = %v", err)
	}
}
