package hl7

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzRoundTrip checks the parser's promises on any input: it never panics;
// when Parse succeeds, Bytes gives back the input exactly, the wire form
// (Encode) parses to the same segments, and an edit reads back; the Scanner
// splits any input into items that add up to it.
func FuzzRoundTrip(f *testing.F) {
	for _, s := range []string{
		adt,
		"MSH|^~\\&|A\nPID|1||\"\"\n\nOBX|1|TX|||a\\.br\\b\\X0D\\c\\F\\\n",
		"\xEF\xBB\xBFMSH|^~\\&#|A\r\nNTE|1||\\P\\\r\n",
		"MSH#$*!%#A#B\rPID#1##x$y*z\r",
		"FHS|^~\\&\rBHS|^~\\&\rMSH|^~\\&|A\rBTS|1\rFTS|1\r",
		"MSH|^~\\&|A\rMSH|^~\\&|B\r",
		"MSH",
	} {
		f.Add([]byte(s))
	}
	files, _ := loadCorpus() // seeds when the shared corpus is present
	for _, b := range files {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		in := bytes.Clone(b)
		sc := NewScanner(bytes.NewReader(b))
		var items []byte
		for sc.Scan() {
			items = append(items, sc.Bytes()...)
		}
		if sc.Err() == nil && !bytes.Equal(items, b) {
			t.Fatalf("scanner items do not add up to the input")
		}

		m, err := Parse(b)
		if !bytes.Equal(in, b) {
			t.Fatalf("Parse modified its input")
		}
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v is not an *Error", err)
			}
			return
		}
		if !bytes.Equal(m.Bytes(), b) {
			t.Fatalf("Bytes() != input")
		}
		m2, err := Parse(m.Encode())
		if err != nil {
			t.Fatalf("re-parse of Encode(): %v", err)
		}
		if m2.NumSegments() != m.NumSegments() || m2.Delimiters() != m.Delimiters() {
			t.Fatalf("re-parse: %d segments, want %d", m2.NumSegments(), m.NumSegments())
		}
		for i := 1; i <= m.NumSegments(); i++ {
			s1, s2 := m.Segment(i), m2.Segment(i)
			if !bytes.Equal(s1.Bytes(), s2.Bytes()) {
				t.Fatalf("%v differs after re-parse", s1)
			}
			for fld := 1; fld <= min(s1.NumFields(), 30); fld++ {
				p := Path{Field: fld, Rep: 1, Component: 2}.String()
				if s1.Get(p) != s2.Get(p) {
					t.Fatalf("%v %s differs after re-parse", s1, p)
				}
			}
		}
		if m.NumSegments() >= 2 {
			const v = "v|^&~\\\r\n#x"
			s := m.Segment(2)
			if err := s.Set("3[2].2", v); err != nil {
				t.Fatalf("Set: %v", err)
			}
			m3, err := Parse(m.Bytes())
			if err != nil {
				t.Fatalf("re-parse after Set: %v", err)
			}
			if got := m3.Segment(2).Get("3[2].2"); got != v {
				t.Fatalf("after Set, Get = %q", got)
			}
		}
	})
}
