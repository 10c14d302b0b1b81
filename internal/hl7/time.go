package hl7

import (
	"fmt"
	"strconv"
	"time"
)

// Precision says how much of a date/time a sender gave.
type Precision int

// The precisions of an HL7 DTM, from a year alone to ten-thousandths of a
// second.
const (
	PrecisionYear Precision = iota + 1
	PrecisionMonth
	PrecisionDay
	PrecisionHour
	PrecisionMinute
	PrecisionSecond
	PrecisionTenth
	PrecisionHundredth
	PrecisionMilli
	PrecisionTenThousandth
)

// Time is an HL7 date/time (DTM, or the first component of a TS): the
// instant, how precisely it was given, and whether it carried its own UTC
// offset.
type Time struct {
	time.Time
	Precision Precision
	HasOffset bool
}

// ParseTime parses an HL7 DTM or DT, YYYY[MM[DD[HH[MM[SS[.S[S[S[S]]]]]]]]]
// [+/-ZZZZ]. A value without an offset is local time of the sending feed and
// is read in loc (UTC when loc is nil), which is why feeds must be configured
// with their zone (Europe/London for NHS feeds). Missing parts take their
// lowest value. The error never repeats the value.
func ParseTime(s string, loc *time.Location) (Time, error) {
	bad := func(why string) (Time, error) {
		return Time{}, &Error{Offset: -1, Err: fmt.Errorf("%w: %s", ErrTime, why)}
	}
	if loc == nil {
		loc = time.UTC
	}
	var t Time
	body := s
	for i := 0; i < len(s); i++ {
		if s[i] == '+' || s[i] == '-' {
			body = s[:i]
			off := s[i+1:]
			if len(off) != 4 || !digits(off) {
				return bad("offset must be +HHMM or -HHMM")
			}
			h, _ := strconv.Atoi(off[:2])
			mi, _ := strconv.Atoi(off[2:])
			if h > 14 || mi > 59 {
				return bad("offset out of range")
			}
			sec := h*3600 + mi*60
			if s[i] == '-' {
				sec = -sec
			}
			loc = time.FixedZone("", sec)
			t.HasOffset = true
			break
		}
	}
	frac := ""
	for i := 0; i < len(body); i++ {
		if body[i] == '.' {
			body, frac = body[:i], body[i+1:]
			if i != 14 || len(frac) < 1 || len(frac) > 4 || !digits(frac) {
				return bad("fraction must follow seconds and have 1 to 4 digits")
			}
			break
		}
	}
	if !digits(body) {
		return bad("not digits")
	}
	widths := []int{4, 2, 2, 2, 2, 2}
	vals := []int{0, 1, 1, 0, 0, 0}
	rest := body
	for i, w := range widths {
		if rest == "" {
			break
		}
		if len(rest) < w {
			return bad("incomplete component")
		}
		vals[i], _ = strconv.Atoi(rest[:w])
		rest = rest[w:]
		t.Precision = Precision(i + 1)
	}
	if rest != "" || t.Precision == 0 {
		return bad("wrong length")
	}
	year, month, day, hour, minute, sec := vals[0], vals[1], vals[2], vals[3], vals[4], vals[5]
	if month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 23 || minute > 59 || sec > 59 {
		return bad("out of range")
	}
	nsec := 0
	if frac != "" {
		n, _ := strconv.Atoi(frac)
		for range 9 - len(frac) {
			n *= 10
		}
		nsec = n
		t.Precision = PrecisionSecond + Precision(len(frac))
	}
	t.Time = time.Date(year, time.Month(month), day, hour, minute, sec, nsec, loc)
	return t, nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func daysIn(year, month int) int {
	return time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// FormatTime writes t as an HL7 DTM to precision p, with its UTC offset.
func FormatTime(t time.Time, p Precision) string {
	layouts := map[Precision]string{
		PrecisionYear: "2006", PrecisionMonth: "200601", PrecisionDay: "20060102",
		PrecisionHour: "2006010215", PrecisionMinute: "200601021504", PrecisionSecond: "20060102150405",
		PrecisionTenth: "20060102150405.0", PrecisionHundredth: "20060102150405.00",
		PrecisionMilli: "20060102150405.000", PrecisionTenThousandth: "20060102150405.0000",
	}
	layout, ok := layouts[p]
	if !ok {
		layout = layouts[PrecisionSecond]
	}
	if p <= PrecisionDay && ok {
		return t.Format(layout)
	}
	return t.Format(layout + "-0700")
}
