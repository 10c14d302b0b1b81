package search

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"time"

	"carerecord/internal/fhir"
)

func isResourceTypeName(s string) bool { return fhir.IsResourceType(s) }

var errBadDate = errors.New("not a FHIR date, dateTime or instant")

// ParseDate reads a FHIR date, dateTime or instant (YYYY, YYYY-MM,
// YYYY-MM-DD, YYYY-MM-DDThh:mm[:ss[.fff...]][Z|±hh:mm]) as the inclusive
// range of milliseconds it covers at its precision, in UTC. A value
// without a time zone is taken as UTC; digits beyond milliseconds are
// truncated.
func ParseDate(s string) (DateRange, error) {
	num := func(i, n int) (int, bool) {
		if i+n > len(s) {
			return 0, false
		}
		v, err := strconv.Atoi(s[i : i+n])
		return v, err == nil && s[i] != '+' && s[i] != '-'
	}
	year, ok := num(0, 4)
	if !ok || len(s) != 4 && s[4] != '-' {
		return DateRange{}, errBadDate
	}
	if len(s) == 4 {
		return span(time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC), 0, 0, 1)
	}
	month, ok := num(5, 2)
	if !ok || month < 1 || month > 12 {
		return DateRange{}, errBadDate
	}
	if len(s) == 7 {
		return span(time.Date(year, time.Month(month), 1, 0, 0, 0, 0, time.UTC), 0, 1, 0)
	}
	day, ok := num(8, 2)
	if !ok || s[7] != '-' || day < 1 || day > daysIn(year, month) {
		return DateRange{}, errBadDate
	}
	if len(s) == 10 {
		return span(time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC), 1, 0, 0)
	}
	if s[10] != 'T' {
		return DateRange{}, errBadDate
	}
	return parseTime(s, year, month, day)
}

// parseTime reads the time part of a dateTime from s[11:].
func parseTime(s string, year, month, day int) (DateRange, error) {
	rest := s[11:]
	zone := ""
	if i := strings.IndexAny(rest, "Z+-"); i >= 0 {
		rest, zone = rest[:i], rest[i:]
	}
	var hh, mm, ss, ms int
	var unit time.Duration
	var err error
	switch {
	case len(rest) == 5 && rest[2] == ':':
		hh, mm, err = atoi2(rest[0:2], rest[3:5])
		unit = time.Minute
	case len(rest) >= 8 && rest[2] == ':' && rest[5] == ':':
		hh, mm, err = atoi2(rest[0:2], rest[3:5])
		if err == nil {
			ss, err = strconv.Atoi(rest[6:8])
		}
		unit = time.Second
		if len(rest) > 8 {
			frac := rest[9:]
			if rest[8] != '.' || frac == "" || strings.Trim(frac, "0123456789") != "" {
				return DateRange{}, errBadDate
			}
			frac = (frac + "00")[:3]
			ms, _ = strconv.Atoi(frac)
			unit = time.Millisecond
		}
	default:
		return DateRange{}, errBadDate
	}
	if err != nil || hh > 24 || mm > 59 || ss > 60 {
		return DateRange{}, errBadDate
	}
	loc := time.UTC
	if zone != "" && zone != "Z" {
		if len(zone) != 6 || zone[3] != ':' {
			return DateRange{}, errBadDate
		}
		zh, zm, err := atoi2(zone[1:3], zone[4:6])
		if err != nil || zh > 14 || zm > 59 {
			return DateRange{}, errBadDate
		}
		off := zh*3600 + zm*60
		if zone[0] == '-' {
			off = -off
		}
		loc = time.FixedZone("", off)
	}
	t := time.Date(year, time.Month(month), day, hh, mm, ss, ms*int(time.Millisecond), loc)
	return DateRange{t.UnixMilli(), t.Add(unit).UnixMilli() - 1}, nil
}

func atoi2(a, b string) (int, int, error) {
	x, err := strconv.Atoi(a)
	if err != nil || a[0] == '+' || a[0] == '-' {
		return 0, 0, errBadDate
	}
	y, err := strconv.Atoi(b)
	if err != nil || b[0] == '+' || b[0] == '-' {
		return 0, 0, errBadDate
	}
	return x, y, nil
}

// span is [t, t + days/months/years) as an inclusive millisecond range.
func span(t time.Time, days, months, years int) (DateRange, error) {
	end := t.AddDate(years, months, days)
	return DateRange{t.UnixMilli(), end.UnixMilli() - 1}, nil
}

func daysIn(year, month int) int {
	return time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

var errBadNumber = errors.New("not a decimal number")

// ParseNumber reads a decimal ("100", "-0.25", "1.5e3") with the range its
// precision implies: half a unit of its last significant digit either
// side, so "100" is [99.5, 100.5], "100.00" [99.995, 100.005] and "1e2"
// [50, 150].
func ParseNumber(s string) (Number, error) {
	if s == "" || len(s) > 64 {
		return Number{}, errBadNumber
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) || strings.ContainsAny(s, "xXpP_nN") {
		return Number{}, errBadNumber
	}
	mant, exp := s, 0
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		mant = s[:i]
		if exp, err = strconv.Atoi(s[i+1:]); err != nil {
			return Number{}, errBadNumber
		}
	}
	if _, frac, ok := strings.Cut(mant, "."); ok {
		exp -= len(frac)
	}
	half := math.Pow10(exp) / 2
	return Number{Text: s, Value: v, Low: v - half, High: v + half}, nil
}
