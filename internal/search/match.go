package search

import (
	"math"
	"time"
)

// The prefix rules of R4 search on ranges, as pure functions: the
// reference the store's SQL must agree with (a conformance test can run
// both). A search value and a stored value are both ranges (their
// implicit precision, or a Period or Range); "target" is the stored one.
//
//	eq  the search range contains the target range
//	ne  not eq
//	gt  the target range reaches above the search range (tHigh > sHigh)
//	lt  the target range reaches below the search range (tLow < sLow)
//	ge  gt or eq
//	le  lt or eq
//	sa  the target starts after the search range ends (tLow > sHigh)
//	eb  the target ends before the search range starts (tHigh < sLow)
//	ap  the target range overlaps the search range widened by 10% of the
//	    value (numbers, quantities) or of the gap between the value and
//	    now (dates)

// MatchNumber reports whether the stored range [tLow, tHigh] satisfies
// prefix p against the search number s (Number.Low, High and Value).
func MatchNumber(p Prefix, s Number, tLow, tHigh float64) bool {
	if p == PrefixAp {
		d := math.Abs(s.Value) / 10
		return overlaps(s.Low-d, s.High+d, tLow, tHigh)
	}
	return matchRange(p, s.Low, s.High, tLow, tHigh)
}

// MatchDate reports whether the stored range t satisfies prefix p against
// the search range s; now is the clock for ap.
func MatchDate(p Prefix, s, t DateRange, now time.Time) bool {
	if p == PrefixAp {
		mid := s.Low/2 + s.High/2
		d := now.UnixMilli() - mid
		if d < 0 {
			d = -d
		}
		d /= 10
		return overlaps(satSub(s.Low, d), satAdd(s.High, d), t.Low, t.High)
	}
	return matchRange(p, s.Low, s.High, t.Low, t.High)
}

func matchRange[T int64 | float64](p Prefix, sLow, sHigh, tLow, tHigh T) bool {
	eq := sLow <= tLow && tHigh <= sHigh
	switch p {
	case PrefixEq, "":
		return eq
	case PrefixNe:
		return !eq
	case PrefixGt:
		return tHigh > sHigh
	case PrefixLt:
		return tLow < sLow
	case PrefixGe:
		return tHigh > sHigh || eq
	case PrefixLe:
		return tLow < sLow || eq
	case PrefixSa:
		return tLow > sHigh
	case PrefixEb:
		return tHigh < sLow
	}
	return false
}

func overlaps[T int64 | float64](aLow, aHigh, bLow, bHigh T) bool {
	return aLow <= bHigh && bLow <= aHigh
}

func satAdd(a, b int64) int64 {
	if a > OpenHigh-b {
		return OpenHigh
	}
	return a + b
}

func satSub(a, b int64) int64 {
	if a < OpenLow+b {
		return OpenLow
	}
	return a - b
}
