package fhirpath

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Precisions of a date, date-time or time, coarsest first. A time starts at
// precHour.
const (
	precYear = iota + 1
	precMonth
	precDay
	precHour
	precMinute
	precSecond
	precMilli
)

// temporal is a FHIRPath Date, DateTime or Time with partial precision.
// Fields beyond the precision are zero (month and day are 1).
type temporal struct {
	kind                        Kind // KindDate, KindDateTime or KindTime
	prec                        int
	year, month, day            int
	hour, minute, second, milli int
	tz                          bool // an offset was given
	offset                      int  // minutes east of UTC, when tz
}

// fixedInt reads exactly n digits at s[i:].
func fixedInt(s string, i, n int) (int, bool) {
	if i+n > len(s) {
		return 0, false
	}
	v := 0
	for _, c := range s[i : i+n] {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

// parseDatePart reads YYYY(-MM(-DD)?)? from the start of s and returns the rest.
func parseDatePart(s string, t *temporal) (string, bool) {
	var ok bool
	if t.year, ok = fixedInt(s, 0, 4); !ok {
		return "", false
	}
	t.prec, t.month, t.day = precYear, 1, 1
	s = s[4:]
	if len(s) >= 3 && s[0] == '-' {
		if t.month, ok = fixedInt(s, 1, 2); !ok || t.month < 1 || t.month > 12 {
			return "", false
		}
		t.prec, s = precMonth, s[3:]
		if len(s) >= 3 && s[0] == '-' {
			if t.day, ok = fixedInt(s, 1, 2); !ok || t.day < 1 || t.day > daysIn(t.year, t.month) {
				return "", false
			}
			t.prec, s = precDay, s[3:]
		}
	}
	return s, true
}

// parseTimePart reads HH(:mm(:ss(.f+)?)?)? and returns the rest.
func parseTimePart(s string, t *temporal) (string, bool) {
	var ok bool
	if t.hour, ok = fixedInt(s, 0, 2); !ok || t.hour > 23 {
		return "", false
	}
	t.prec, s = precHour, s[2:]
	if len(s) >= 3 && s[0] == ':' {
		if t.minute, ok = fixedInt(s, 1, 2); !ok || t.minute > 59 {
			return "", false
		}
		t.prec, s = precMinute, s[3:]
		if len(s) >= 3 && s[0] == ':' {
			if t.second, ok = fixedInt(s, 1, 2); !ok || t.second > 59 {
				return "", false
			}
			t.prec, s = precSecond, s[3:]
			if len(s) >= 2 && s[0] == '.' {
				n := 1
				for n < len(s) && s[n] >= '0' && s[n] <= '9' {
					n++
				}
				if n == 1 {
					return "", false
				}
				frac := (s[1:n] + "00")[:3]
				t.milli, _ = strconv.Atoi(frac)
				t.prec, s = precMilli, s[n:]
			}
		}
	}
	return s, true
}

func parseZone(s string, t *temporal) bool {
	switch {
	case s == "":
		return true
	case s == "Z":
		t.tz = true
		return true
	case len(s) == 6 && (s[0] == '+' || s[0] == '-') && s[3] == ':':
		h, ok1 := fixedInt(s, 1, 2)
		m, ok2 := fixedInt(s, 4, 2)
		if !ok1 || !ok2 || h > 14 || m > 59 {
			return false
		}
		t.tz, t.offset = true, h*60+m
		if s[0] == '-' {
			t.offset = -t.offset
		}
		return true
	}
	return false
}

func parseDate(s string) (temporal, bool) {
	t := temporal{kind: KindDate}
	rest, ok := parseDatePart(s, &t)
	return t, ok && rest == ""
}

// parseDateTime reads a FHIRPath or FHIR date-time; a date alone is a
// date-time of that precision.
func parseDateTime(s string) (temporal, bool) {
	t := temporal{kind: KindDateTime}
	rest, ok := parseDatePart(s, &t)
	if !ok {
		return t, false
	}
	if rest == "" || rest == "T" {
		return t, true
	}
	if rest[0] != 'T' || t.prec != precDay {
		return t, false
	}
	if rest, ok = parseTimePart(rest[1:], &t); !ok {
		return t, false
	}
	return t, parseZone(rest, &t)
}

func parseTime(s string) (temporal, bool) {
	t := temporal{kind: KindTime}
	rest, ok := parseTimePart(s, &t)
	return t, ok && rest == ""
}

func daysIn(year, month int) int {
	return time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// String formats without the @ of a literal.
func (t temporal) String() string {
	var b strings.Builder
	if t.kind != KindTime {
		fmt.Fprintf(&b, "%04d", t.year)
		if t.prec >= precMonth {
			fmt.Fprintf(&b, "-%02d", t.month)
		}
		if t.prec >= precDay {
			fmt.Fprintf(&b, "-%02d", t.day)
		}
		if t.kind == KindDate || t.prec < precHour {
			return b.String()
		}
		b.WriteByte('T')
	}
	fmt.Fprintf(&b, "%02d", t.hour)
	if t.prec >= precMinute {
		fmt.Fprintf(&b, ":%02d", t.minute)
	}
	if t.prec >= precSecond {
		fmt.Fprintf(&b, ":%02d", t.second)
	}
	if t.prec >= precMilli {
		fmt.Fprintf(&b, ".%03d", t.milli)
	}
	if t.tz && t.kind == KindDateTime {
		if t.offset == 0 {
			b.WriteByte('Z')
		} else {
			sign, off := '+', t.offset
			if off < 0 {
				sign, off = '-', -off
			}
			fmt.Fprintf(&b, "%c%02d:%02d", sign, off/60, off%60)
		}
	}
	return b.String()
}

func (t temporal) goTime() time.Time {
	loc := time.UTC
	if t.tz {
		loc = time.FixedZone("", t.offset*60)
	}
	return time.Date(t.year, time.Month(t.month), t.day, t.hour, t.minute, t.second, t.milli*1e6, loc)
}

func fromGoTime(kind Kind, prec int, g time.Time, tz bool) temporal {
	t := temporal{kind: kind, prec: prec, year: g.Year(), month: int(g.Month()), day: g.Day(),
		hour: g.Hour(), minute: g.Minute(), second: g.Second(), milli: g.Nanosecond() / 1e6, tz: tz}
	if tz {
		_, off := g.Zone()
		t.offset = off / 60
	}
	return t
}

// utc converts a date-time with an offset and a time of day to UTC.
func (t temporal) utc() temporal {
	if !t.tz || t.kind != KindDateTime || t.prec < precHour {
		return t
	}
	u := fromGoTime(t.kind, t.prec, t.goTime().UTC(), true)
	return u
}

// compareTemporal orders two values. ok is false when the answer is
// unknown because their precisions differ where they agree.
func compareTemporal(a, b temporal) (c int, ok bool) {
	if a.prec >= precHour && b.prec >= precHour && a.kind == KindDateTime && b.kind == KindDateTime {
		if a.tz != b.tz {
			return 0, false
		}
		a, b = a.utc(), b.utc()
	}
	pa, pb := min(a.prec, precSecond), min(b.prec, precSecond)
	first := precYear
	if a.kind == KindTime {
		first = precHour
	}
	fa, fb := a.fields(), b.fields()
	for p := first; p <= min(pa, pb); p++ {
		x, y := fa[p], fb[p]
		if x != y {
			if x < y {
				return -1, true
			}
			return 1, true
		}
	}
	if pa != pb {
		return 0, false
	}
	return 0, true
}

// fields indexes the components by precision; seconds carry milliseconds.
func (t temporal) fields() [precSecond + 1]int {
	return [...]int{0, t.year, t.month, t.day, t.hour, t.minute, t.second*1000 + t.milli}
}

// temporalPrecision is the FHIRPath precision() of a value: its digits.
func temporalPrecision(t temporal) int {
	if t.kind == KindTime {
		return [...]int{0, 0, 0, 0, 2, 4, 6, 9}[t.prec]
	}
	return [...]int{0, 4, 6, 8, 10, 12, 14, 17}[t.prec]
}

// precFromDigits maps a precision() number back to a precision level.
func precFromDigits(kind Kind, digits int) (int, bool) {
	table := map[int]int{4: precYear, 6: precMonth, 8: precDay, 10: precHour, 12: precMinute, 14: precSecond, 17: precMilli}
	if kind == KindTime {
		table = map[int]int{2: precHour, 4: precMinute, 6: precSecond, 9: precMilli}
	}
	p, ok := table[digits]
	if kind == KindDate && p > precDay {
		return 0, false
	}
	return p, ok
}

// temporalBoundary is lowBoundary/highBoundary of a date, date-time or time.
func temporalBoundary(t temporal, digits int, high bool) (temporal, bool) {
	p, ok := precFromDigits(t.kind, digits)
	if !ok {
		return t, false
	}
	if t.kind == KindDateTime && t.prec == precHour {
		// FHIR has no hour-only date-time: T08 is read as T08:00, as the
		// official suite's highBoundary cases expect.
		t.prec = precMinute
	}
	r := t
	if high {
		if t.prec < precMonth {
			r.month = 12
		}
		if t.prec < precDay {
			r.day = daysIn(r.year, r.month)
		}
		if t.prec < precHour {
			r.hour = 23
		}
		if t.prec < precMinute {
			r.minute = 59
		}
		if t.prec < precSecond {
			r.second = 59
		}
		if t.prec < precMilli {
			r.milli = 999
		}
	}
	r.prec = p
	if r.kind == KindDateTime && p >= precHour && !r.tz {
		r.tz, r.offset = true, 14*60
		if high {
			r.offset = -12 * 60
		}
	}
	r.clearBeyond()
	return r, true
}

// clearBeyond zeroes the fields finer than the precision.
func (t *temporal) clearBeyond() {
	if t.prec < precMonth && t.kind != KindTime {
		t.month = 1
	}
	if t.prec < precDay && t.kind != KindTime {
		t.day = 1
	}
	if t.prec < precHour {
		t.hour = 0
		if t.kind == KindDateTime {
			t.tz, t.offset = false, 0
		}
	}
	if t.prec < precMinute {
		t.minute = 0
	}
	if t.prec < precSecond {
		t.second = 0
	}
	if t.prec < precMilli {
		t.milli = 0
	}
}

// addDuration adds n of a calendar unit (year ... millisecond).
func addDuration(t temporal, n int64, unit string) (temporal, error) {
	switch unit {
	case "year", "month":
		months := n
		if unit == "year" {
			months = n * 12
		}
		if t.kind == KindTime {
			return t, fmt.Errorf("cannot add %ss to a time", unit)
		}
		total := int64(t.year)*12 + int64(t.month-1) + months
		r := t
		r.year, r.month = int(total/12), int(total%12)+1
		r.day = min(r.day, daysIn(r.year, r.month))
		return r, nil
	}
	var d time.Duration
	switch unit {
	case "week":
		d = 7 * 24 * time.Hour
	case "day":
		d = 24 * time.Hour
	case "hour":
		d = time.Hour
	case "minute":
		d = time.Minute
	case "second":
		d = time.Second
	case "millisecond":
		d = time.Millisecond
	default:
		return t, fmt.Errorf("unit %q cannot be added to a date or time", unit)
	}
	g := t.goTime()
	if t.kind == KindTime {
		g = time.Date(2000, 1, 1, t.hour, t.minute, t.second, t.milli*1e6, time.UTC)
	}
	g = g.Add(time.Duration(n) * d)
	r := fromGoTime(t.kind, t.prec, g, t.tz)
	if t.kind == KindTime {
		r.year, r.month, r.day = 0, 0, 0
	}
	r.clearBeyond()
	return r, nil
}
