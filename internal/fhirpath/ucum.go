package fhirpath

import (
	"math/big"
	"strconv"
	"strings"
	"sync"
)

// A small UCUM: enough of the unit grammar (prefixes, products, quotients,
// exponents, annotations, 10*n) and of the common clinical atoms to compare
// and convert the quantities found in health records. Units outside it are
// only comparable with the identical unit string.

// dims is a dimension vector: length, mass, time, temperature, amount,
// current, luminosity, arbitrary (IU), calendar month.
type dims [9]int8

const dimCalendar = 8

// unitDef is a unit as a factor of the base units and its dimensions.
type unitDef struct {
	factor *big.Rat
	dims   dims
}

func rat(s string) *big.Rat {
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		panic("fhirpath: bad rational " + s)
	}
	return r
}

type atomDef struct {
	factor string
	dims   dims
	metric bool // takes SI prefixes
}

var ucumAtoms = map[string]atomDef{
	"1":          {"1", dims{}, false},
	"m":          {"1", dims{1}, true},
	"g":          {"1", dims{0, 1}, true},
	"s":          {"1", dims{0, 0, 1}, true},
	"K":          {"1", dims{0, 0, 0, 1}, true},
	"mol":        {"1", dims{0, 0, 0, 0, 1}, true},
	"A":          {"1", dims{0, 0, 0, 0, 0, 1}, true},
	"cd":         {"1", dims{0, 0, 0, 0, 0, 0, 1}, true},
	"[IU]":       {"1", dims{0, 0, 0, 0, 0, 0, 0, 1}, true},
	"[iU]":       {"1", dims{0, 0, 0, 0, 0, 0, 0, 1}, true},
	"U":          {"1/60000000", dims{0, 0, -1, 0, 1}, true},
	"kat":        {"1", dims{0, 0, -1, 0, 1}, true},
	"eq":         {"1", dims{0, 0, 0, 0, 1}, true},
	"L":          {"1/1000", dims{3}, true},
	"l":          {"1/1000", dims{3}, true},
	"Hz":         {"1", dims{0, 0, -1}, true},
	"N":          {"1000", dims{1, 1, -2}, true},
	"Pa":         {"1000", dims{-1, 1, -2}, true},
	"J":          {"1000", dims{2, 1, -2}, true},
	"W":          {"1000", dims{2, 1, -3}, true},
	"bar":        {"100000000", dims{-1, 1, -2}, true},
	"m[Hg]":      {"133322000", dims{-1, 1, -2}, true},
	"m[H2O]":     {"9806650", dims{-1, 1, -2}, true},
	"Cel":        {"1", dims{0, 0, 0, 1}, true},
	"cal":        {"4184", dims{2, 1, -2}, true},
	"min":        {"60", dims{0, 0, 1}, false},
	"h":          {"3600", dims{0, 0, 1}, false},
	"d":          {"86400", dims{0, 0, 1}, false},
	"wk":         {"604800", dims{0, 0, 1}, false},
	"mo":         {"2629800", dims{0, 0, 1}, false},
	"a":          {"31557600", dims{0, 0, 1}, false},
	"%":          {"1/100", dims{}, false},
	"[ppm]":      {"1/1000000", dims{}, false},
	"[in_i]":     {"127/5000", dims{1}, false},
	"[ft_i]":     {"381/1250", dims{1}, false},
	"[yd_i]":     {"1143/1250", dims{1}, false},
	"[mi_i]":     {"201168/125", dims{1}, false},
	"[lb_av]":    {"45359237/100000", dims{0, 1}, false},
	"[oz_av]":    {"45359237/1600000", dims{0, 1}, false},
	"[stone_av]": {"317514659/50000", dims{0, 1}, false},
	"[gr]":       {"6479891/100000000", dims{0, 1}, false},
	"[pi]":       {"314159265358979323846/100000000000000000000", dims{}, false},
	"[degF]":     {"5/9", dims{0, 0, 0, 1}, false},
	"[drp]":      {"1/20000000", dims{3}, false},
	"[ph]":       {"1", dims{}, false},
}

var ucumPrefixes = map[string]string{
	"Y": "1000000000000000000000000", "Z": "1000000000000000000000", "E": "1000000000000000000",
	"P": "1000000000000000", "T": "1000000000000", "G": "1000000000", "M": "1000000", "k": "1000",
	"h": "100", "da": "10", "d": "1/10", "c": "1/100", "m": "1/1000", "u": "1/1000000",
	"n": "1/1000000000", "p": "1/1000000000000", "f": "1/1000000000000000", "a": "1/1000000000000000000",
	"z": "1/1000000000000000000000", "y": "1/1000000000000000000000000",
}

var unitCache sync.Map // string -> *unitDef (nil entry: not a unit we know)

// lookupUnit parses a UCUM unit, or reports that it is unknown.
func lookupUnit(u string) (*unitDef, bool) {
	if v, ok := unitCache.Load(u); ok {
		d := v.(*unitDef)
		return d, d != nil
	}
	p := &ucumParser{s: u}
	d, ok := p.term()
	if !ok || p.i != len(p.s) {
		d = nil
	}
	unitCache.Store(u, d)
	return d, d != nil
}

type ucumParser struct {
	s string
	i int
}

func (p *ucumParser) term() (*unitDef, bool) {
	acc := &unitDef{factor: big.NewRat(1, 1)}
	op := byte('.')
	if p.i < len(p.s) && p.s[p.i] == '/' {
		op = '/'
		p.i++
	}
	for {
		c, ok := p.component()
		if !ok {
			return nil, false
		}
		acc = combineUnits(acc, c, op == '/')
		if p.i >= len(p.s) || (p.s[p.i] != '.' && p.s[p.i] != '/') {
			return acc, true
		}
		op = p.s[p.i]
		p.i++
	}
}

func combineUnits(a, b *unitDef, divide bool) *unitDef {
	r := &unitDef{factor: new(big.Rat), dims: a.dims}
	if divide {
		r.factor.Quo(a.factor, b.factor)
	} else {
		r.factor.Mul(a.factor, b.factor)
	}
	for i := range r.dims {
		if divide {
			r.dims[i] -= b.dims[i]
		} else {
			r.dims[i] += b.dims[i]
		}
	}
	return r
}

func (p *ucumParser) annotation() bool {
	if p.i < len(p.s) && p.s[p.i] == '{' {
		end := strings.IndexByte(p.s[p.i:], '}')
		if end < 0 {
			return false
		}
		p.i += end + 1
	}
	return true
}

func (p *ucumParser) component() (*unitDef, bool) {
	if p.i >= len(p.s) {
		return nil, false
	}
	one := &unitDef{factor: big.NewRat(1, 1)}
	switch c := p.s[p.i]; {
	case c == '{':
		return one, p.annotation()
	case c == '(':
		p.i++
		d, ok := p.term()
		if !ok || p.i >= len(p.s) || p.s[p.i] != ')' {
			return nil, false
		}
		p.i++
		return p.exponent(d), p.annotation()
	case c >= '0' && c <= '9':
		start := p.i
		for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
			p.i++
		}
		n := p.s[start:p.i]
		if n == "10" && p.i < len(p.s) && (p.s[p.i] == '*' || p.s[p.i] == '^') {
			p.i++
			e, ok := p.signedInt()
			if !ok {
				return nil, false
			}
			f := new(big.Rat).SetInt(pow10(abs(e)))
			if e < 0 {
				f.Inv(f)
			}
			return &unitDef{factor: f}, p.annotation()
		}
		return &unitDef{factor: rat(n)}, p.annotation()
	}
	start := p.i
	for p.i < len(p.s) {
		c := p.s[p.i]
		if c == '[' {
			end := strings.IndexByte(p.s[p.i:], ']')
			if end < 0 {
				return nil, false
			}
			p.i += end + 1
			continue
		}
		if c == '.' || c == '/' || c == '(' || c == ')' || c == '{' || c == '+' || c == '-' || (c >= '0' && c <= '9') {
			break
		}
		p.i++
	}
	d, ok := atomUnit(p.s[start:p.i])
	if !ok {
		return nil, false
	}
	return p.exponent(d), p.annotation()
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

func (p *ucumParser) signedInt() (int, bool) {
	start := p.i
	if p.i < len(p.s) && (p.s[p.i] == '+' || p.s[p.i] == '-') {
		p.i++
	}
	for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
		p.i++
	}
	n, err := strconv.Atoi(p.s[start:p.i])
	return n, err == nil
}

func (p *ucumParser) exponent(d *unitDef) *unitDef {
	if p.i >= len(p.s) || !(p.s[p.i] == '+' || p.s[p.i] == '-' || (p.s[p.i] >= '0' && p.s[p.i] <= '9')) {
		return d
	}
	e, ok := p.signedInt()
	if !ok || e == 0 || e > 9 || e < -9 {
		return d
	}
	r := &unitDef{factor: big.NewRat(1, 1)}
	for range abs(e) {
		r = combineUnits(r, d, e < 0)
	}
	return r
}

func atomUnit(s string) (*unitDef, bool) {
	if a, ok := ucumAtoms[s]; ok {
		return &unitDef{factor: rat(a.factor), dims: a.dims}, true
	}
	for _, n := range []int{2, 1} {
		if len(s) <= n {
			continue
		}
		f, ok := ucumPrefixes[s[:n]]
		if !ok {
			continue
		}
		if a, ok := ucumAtoms[s[n:]]; ok && a.metric {
			return &unitDef{factor: new(big.Rat).Mul(rat(f), rat(a.factor)), dims: a.dims}, true
		}
	}
	return nil, false
}

// calendarToUCUM maps the calendar keywords with a fixed length to UCUM.
var calendarToUCUM = map[string]string{
	"week": "wk", "day": "d", "hour": "h", "minute": "min", "second": "s", "millisecond": "ms",
}

// quantityUnit returns the definition of a quantity's unit: UCUM, or a
// calendar keyword (years and months are calendar months, comparable only
// with each other).
func quantityUnit(q quantity) (*unitDef, bool) {
	if q.cal {
		u := calendarUnits[q.unit]
		switch u {
		case "year":
			return &unitDef{factor: big.NewRat(12, 1), dims: dims{dimCalendar: 1}}, true
		case "month":
			return &unitDef{factor: big.NewRat(1, 1), dims: dims{dimCalendar: 1}}, true
		}
		return lookupUnit(calendarToUCUM[u])
	}
	return lookupUnit(q.unit)
}
