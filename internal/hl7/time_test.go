package hl7

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseTime(t *testing.T) {
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Skip("no time zone database:", err)
	}
	for _, tt := range []struct {
		in     string
		want   time.Time
		prec   Precision
		offset bool
	}{
		{"2026", time.Date(2026, 1, 1, 0, 0, 0, 0, london), PrecisionYear, false},
		{"202603", time.Date(2026, 3, 1, 0, 0, 0, 0, london), PrecisionMonth, false},
		{"20260314", time.Date(2026, 3, 14, 0, 0, 0, 0, london), PrecisionDay, false},
		{"2026031409", time.Date(2026, 3, 14, 9, 0, 0, 0, london), PrecisionHour, false},
		{"202607140930", time.Date(2026, 7, 14, 8, 30, 0, 0, time.UTC), PrecisionMinute, false}, // BST
		{"20260114093015", time.Date(2026, 1, 14, 9, 30, 15, 0, time.UTC), PrecisionSecond, false},
		{"20260314093015.1", time.Date(2026, 3, 14, 9, 30, 15, 100e6, london), PrecisionTenth, false},
		{"20260314093015.12", time.Date(2026, 3, 14, 9, 30, 15, 120e6, london), PrecisionHundredth, false},
		{"20260314093015.123", time.Date(2026, 3, 14, 9, 30, 15, 123e6, london), PrecisionMilli, false},
		{"20260314093015.1234+0100", time.Date(2026, 3, 14, 8, 30, 15, 123400e3, time.UTC), PrecisionTenThousandth, true},
		{"20260314-0500", time.Date(2026, 3, 14, 5, 0, 0, 0, time.UTC), PrecisionDay, true},
		{"198908181126+0215", time.Date(1989, 8, 18, 9, 11, 0, 0, time.UTC), PrecisionMinute, true},
		{"20240229", time.Date(2024, 2, 29, 0, 0, 0, 0, london), PrecisionDay, false},
	} {
		got, err := ParseTime(tt.in, london)
		if err != nil {
			t.Errorf("ParseTime(%q): %v", tt.in, err)
			continue
		}
		if !got.Equal(tt.want) || got.Precision != tt.prec || got.HasOffset != tt.offset {
			t.Errorf("ParseTime(%q) = %v %v %v, want %v %v %v", tt.in, got.Time, got.Precision, got.HasOffset, tt.want, tt.prec, tt.offset)
		}
	}
	for _, bad := range []string{"", "20", "202", "20261", "20261301", "20260230", "2026031425", "202603141260", "20260314125960",
		"2026031412.5", "20260314120000.", "20260314120000.12345", "20260314+01", "20260314+2500", "20260314+0160", "2026-03-14", "x2026", "20260314 "} {
		_, err := ParseTime(bad, london)
		if !errors.Is(err, ErrTime) {
			t.Errorf("ParseTime(%q) err = %v, want ErrTime", bad, err)
		} else if bad != "" && strings.Contains(err.Error(), bad) {
			t.Errorf("error %q repeats the value", err)
		}
	}
	got, _ := ParseTime("20260314", nil)
	if got.Location() != time.UTC {
		t.Errorf("nil location gave %v", got.Location())
	}
}

func TestFormatTime(t *testing.T) {
	tm := time.Date(2026, 3, 14, 9, 30, 15, 123456789, time.FixedZone("", 3600))
	for p, want := range map[Precision]string{
		PrecisionYear: "2026", PrecisionDay: "20260314", PrecisionMinute: "202603140930+0100",
		PrecisionSecond: "20260314093015+0100", PrecisionMilli: "20260314093015.123+0100",
	} {
		if got := FormatTime(tm, p); got != want {
			t.Errorf("FormatTime(%v) = %q, want %q", p, got, want)
		}
		if p > PrecisionDay {
			back, err := ParseTime(FormatTime(tm, p), nil)
			if err != nil || back.Precision != p {
				t.Errorf("ParseTime(FormatTime(%v)) = %v, %v", p, back, err)
			}
		}
	}
}

func TestMessageTime(t *testing.T) {
	m := mustParse(t, "MSH|^~\\&|A|B|C|D|20261301||ADT^A01|1|P|2.4\r")
	_, err := m.Time(time.UTC)
	var e *Error
	if !errors.As(err, &e) || e.Field != 7 || e.Name != "MSH" || !errors.Is(err, ErrTime) {
		t.Fatalf("err = %v", err)
	}
	if got := err.Error(); got != "hl7: segment 1 (MSH) field 7: invalid date/time: out of range" {
		t.Errorf("message = %q", got)
	}
	// MSH-7 as a v2.3 TS with a degree of precision component
	m = mustParse(t, "MSH|^~\\&|A|B|C|D|200901021030^M||ADT^A01|1|P|2.3\r")
	if ts, err := m.Time(time.UTC); err != nil || ts.Precision != PrecisionMinute {
		t.Errorf("TS = %v, %v", ts, err)
	}
}
