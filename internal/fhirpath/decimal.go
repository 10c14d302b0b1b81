package fhirpath

import (
	"errors"
	"math/big"
	"strings"
)

// decimal is an exact decimal number: a rational value and the number of
// digits after the point it is written with (its precision). Values are
// immutable: operations return new ones.
type decimal struct {
	r     *big.Rat
	scale int
}

// maxDivScale is the number of decimal places kept by division and by the
// functions that cannot be exact (sqrt, ln, ...).
const maxDivScale = 8

func parseDecimal(s string) (decimal, error) {
	t := strings.TrimPrefix(strings.TrimPrefix(s, "+"), "-")
	if t == "" || strings.ContainsAny(t, "eE+-") || strings.HasPrefix(t, ".") || strings.HasSuffix(t, ".") {
		return decimal{}, errors.New("bad decimal")
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return decimal{}, errors.New("bad decimal")
	}
	scale := 0
	if i := strings.IndexByte(t, '.'); i >= 0 {
		scale = len(t) - i - 1
	}
	return decimal{r, scale}, nil
}

// parseJSONNumber reads a JSON number, which may use an exponent.
func parseJSONNumber(s string) (decimal, bool) {
	if d, err := parseDecimal(s); err == nil {
		return d, true
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return decimal{}, false
	}
	return decimal{r, naturalScale(r, maxDivScale)}, true
}

func decimalFromInt(i int64) decimal { return decimal{new(big.Rat).SetInt64(i), 0} }

func decimalFromFloat(f float64) (decimal, bool) {
	r := new(big.Rat)
	if r.SetFloat64(f) == nil {
		return decimal{}, false
	}
	d := roundDecimal(decimal{r, maxDivScale}, maxDivScale, false)
	d.scale = naturalScale(d.r, maxDivScale)
	return d, true
}

func (d decimal) String() string { return d.r.FloatString(d.scale) }

func (d decimal) sign() int { return d.r.Sign() }

func (d decimal) cmp(o decimal) int { return d.r.Cmp(o.r) }

func (d decimal) float() float64 { f, _ := d.r.Float64(); return f }

func (d decimal) add(o decimal) decimal {
	return decimal{new(big.Rat).Add(d.r, o.r), max(d.scale, o.scale)}
}

func (d decimal) sub(o decimal) decimal {
	return decimal{new(big.Rat).Sub(d.r, o.r), max(d.scale, o.scale)}
}

func (d decimal) mul(o decimal) decimal {
	return decimal{new(big.Rat).Mul(d.r, o.r), d.scale + o.scale}
}

func (d decimal) abs() decimal { return decimal{new(big.Rat).Abs(d.r), d.scale} }

func (d decimal) neg() decimal { return decimal{new(big.Rat).Neg(d.r), d.scale} }

// div divides; ok is false when o is zero.
func (d decimal) div(o decimal) (decimal, bool) {
	if o.sign() == 0 {
		return decimal{}, false
	}
	r := new(big.Rat).Quo(d.r, o.r)
	return roundDecimal(decimal{r, naturalScale(r, maxDivScale)}, naturalScale(r, maxDivScale), false), true
}

// naturalScale is the number of decimal places r needs, at most limit.
func naturalScale(r *big.Rat, limit int) int {
	den := new(big.Int).Set(r.Denom())
	two, five := big.NewInt(2), big.NewInt(5)
	n2, n5 := 0, 0
	m := new(big.Int)
	for {
		q, rem := new(big.Int).QuoRem(den, two, m)
		if rem.Sign() != 0 {
			break
		}
		den, n2 = q, n2+1
	}
	for {
		q, rem := new(big.Int).QuoRem(den, five, m)
		if rem.Sign() != 0 {
			break
		}
		den, n5 = q, n5+1
	}
	if den.Cmp(big.NewInt(1)) != 0 {
		return limit
	}
	return min(max(n2, n5), limit)
}

var bigTen = big.NewInt(10)

func pow10(n int) *big.Int { return new(big.Int).Exp(bigTen, big.NewInt(int64(n)), nil) }

// roundDecimal rounds to scale places: half away from zero, or toward zero
// when truncate is set.
func roundDecimal(d decimal, scale int, truncate bool) decimal {
	p := pow10(scale)
	num := new(big.Int).Mul(d.r.Num(), p)
	q, m := new(big.Int).QuoRem(num, d.r.Denom(), new(big.Int))
	if !truncate && m.Sign() != 0 {
		twice := new(big.Int).Mul(new(big.Int).Abs(m), big.NewInt(2))
		if twice.Cmp(d.r.Denom()) >= 0 {
			if num.Sign() < 0 {
				q.Sub(q, big.NewInt(1))
			} else {
				q.Add(q, big.NewInt(1))
			}
		}
	}
	return decimal{new(big.Rat).SetFrac(q, p), scale}
}

// floorDecimal and ceilDecimal round to scale places toward -inf and +inf.
func floorDecimal(d decimal, scale int) decimal {
	t := roundDecimal(d, scale, true)
	if t.cmp(d) > 0 {
		t = decimal{new(big.Rat).Sub(t.r, new(big.Rat).SetFrac(big.NewInt(1), pow10(scale))), scale}
	}
	return t
}

func ceilDecimal(d decimal, scale int) decimal {
	t := roundDecimal(d, scale, true)
	if t.cmp(d) < 0 {
		t = decimal{new(big.Rat).Add(t.r, new(big.Rat).SetFrac(big.NewInt(1), pow10(scale))), scale}
	}
	return t
}

// toInt returns the integer part, truncated toward zero, if it fits int64.
func (d decimal) toInt() (int64, bool) {
	q := new(big.Int).Quo(d.r.Num(), d.r.Denom())
	if !q.IsInt64() {
		return 0, false
	}
	return q.Int64(), true
}

// equivalentDecimal compares at the precision of the less precise operand.
func equivalentDecimal(a, b decimal) bool {
	s := min(a.scale, b.scale)
	return roundDecimal(a, s, false).cmp(roundDecimal(b, s, false)) == 0
}

// decimalBoundary returns the low or high boundary of d at precision digits
// after the point (lowBoundary/highBoundary of a decimal): the value's range
// of uncertainty (half a unit in its last place either side), cut to
// precision digits. A negative value mirrors the positive one.
func decimalBoundary(d decimal, precision int, high bool) decimal {
	if d.sign() < 0 {
		return decimalBoundary(d.neg(), precision, !high).neg()
	}
	half := decimal{new(big.Rat).SetFrac(big.NewInt(5), pow10(d.scale+1)), d.scale + 1}
	var b decimal
	if high {
		b = d.add(half)
	} else {
		b = d.sub(half)
	}
	if precision >= b.scale {
		return decimal{b.r, precision}
	}
	return roundDecimal(b, precision, !high)
}
