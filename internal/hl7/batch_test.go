package hl7

import (
	"errors"
	"strings"
	"testing"
	"testing/iotest"
)

func lines(sep string, ls ...string) string { return strings.Join(ls, sep) + sep }

func TestParseBatch(t *testing.T) {
	in := lines("\r",
		`FHS|^~\&|LAB|RXX01|||20260314`,
		`BHS|^~\&|LAB|RXX01|||20260314`,
		`MSH|^~\&|LAB|RXX01|||20260314||ORU^R01|1|P|2.4`,
		`PID|1||9990000018^^^NHS^NH`,
		`MSH|^~\&|LAB|RXX01|||20260314||ORU^R01|2|P|2.4`,
		`PID|1||9990000026^^^NHS^NH`,
		`BTS|2`,
		`FTS|1`,
	)
	b, err := ParseBatch([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Items) != 6 || len(b.Messages()) != 2 {
		t.Fatalf("%d items, %d messages", len(b.Items), len(b.Messages()))
	}
	if string(b.Bytes()) != in {
		t.Error("Bytes() differs from the input")
	}
	if got := b.Messages()[1].Get("PID-3.1"); got != "9990000026" {
		t.Errorf("second message PID-3.1 = %q", got)
	}
	if fhs := b.Items[0]; !fhs.Control() || fhs.Get("FHS-3") != "LAB" || fhs.Get("FHS-2") != `^~\&` {
		t.Errorf("FHS: control %v, FHS-3 %q", fhs.Control(), fhs.Get("FHS-3"))
	}
	if bts := b.Items[4]; bts.Get("BTS-1") != "2" {
		t.Errorf("BTS-1 = %q", bts.Get("BTS-1"))
	}

	for _, tt := range []struct {
		name string
		in   string
		err  error
	}{
		{"BTS count", strings.Replace(in, "BTS|2", "BTS|3", 1), ErrBatchCount},
		{"FTS count", strings.Replace(in, "FTS|1", "FTS|2", 1), ErrBatchCount},
		{"BTS without BHS", lines("\r", `MSH|^~\&|A`, `BTS|1`), ErrBatchStructure},
		{"FTS without FHS", lines("\r", `BHS|^~\&`, `BTS`, `FTS`), ErrBatchStructure},
		{"FHS not first", lines("\r", `MSH|^~\&|A`, `FHS|^~\&`), ErrBatchStructure},
		{"message after FTS", in + "MSH|^~\\&|A\r", ErrBatchStructure},
		{"segment after BHS", lines("\r", `BHS|^~\&`, `PID|1`), ErrNoHeader},
		{"bad message", lines("\r", `MSH|^~\&|A`, `PID|1`, `bad`), ErrSegmentName},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseBatch([]byte(tt.in))
			var ie *ItemError
			if !errors.Is(err, tt.err) || !errors.As(err, &ie) {
				t.Errorf("err = %v, want %v", err, tt.err)
			}
		})
	}
	if _, err := ParseBatch([]byte(lines("\r", `BHS|^~\&`, `MSH|^~\&|A`))); err == nil {
		t.Error("unclosed batch accepted")
	}
}

func TestScanner(t *testing.T) {
	in := "\xEF\xBB\xBF" + lines("\n", `MSH|^~\&|A||||||ADT^A01|1|P|2.4`, `PID|1`) + "\n\r\n" +
		lines("\r\n", `MSH|^~\&|A||||||ADT^A02|2|P|2.4`, `PID|2`) +
		lines("\r", `MSH|^~\&|A||||||ADT^A03|3|P|2.4`, `garbage line`) +
		`MSH|^~\&|A||||||ADT^A04|4|P|2.4`
	for name, r := range map[string]func() *Scanner{
		"whole":        func() *Scanner { return NewScanner(strings.NewReader(in)) },
		"byte by byte": func() *Scanner { return NewScanner(iotest.OneByteReader(strings.NewReader(in))) },
	} {
		t.Run(name, func(t *testing.T) {
			sc := r()
			var got []byte
			var ids []string
			var bad []int
			for sc.Scan() {
				got = append(got, sc.Bytes()...)
				if err := sc.ItemErr(); err != nil {
					var ie *ItemError
					if !errors.As(err, &ie) || !errors.Is(err, ErrSegmentName) {
						t.Errorf("item error %v", err)
					}
					bad = append(bad, ie.Item)
					continue
				}
				ids = append(ids, sc.Message().ControlID())
			}
			if sc.Err() != nil {
				t.Fatal(sc.Err())
			}
			if string(got) != in {
				t.Errorf("items do not add up to the input")
			}
			if strings.Join(ids, ",") != "1,2,4" || len(bad) != 1 || bad[0] != 3 {
				t.Errorf("ids %v, bad items %v", ids, bad)
			}
		})
	}

	sc := NewScanner(strings.NewReader(lines("\r", `MSH|^~\&|A`, strings.Repeat("x", 100))))
	sc.SetMaxSize(50)
	if sc.Scan() || !errors.Is(sc.Err(), ErrTooLarge) {
		t.Errorf("oversize: err = %v", sc.Err())
	}
	if sc := NewScanner(strings.NewReader("")); sc.Scan() || sc.Err() != nil {
		t.Error("empty input gave an item or an error")
	}
	sc = NewScanner(iotest.ErrReader(errors.New("disk on fire")))
	if sc.Scan() || sc.Err() == nil {
		t.Error("read error not reported")
	}
}
