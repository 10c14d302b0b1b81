package fhirpath

import (
	"fmt"
	"math"
	"math/big"
	"strings"
)

// arithmetic applies + - * / div mod & to two single items.
func (ev *evaluator) arithmetic(n *node, a, b Value) (Collection, error) {
	bad := func() (Collection, error) {
		return nil, ev.errorf(n, ErrExecution, "cannot apply %s to %s and %s", n.name, a.TypeName(), b.TypeName())
	}
	if (n.name == "&" || n.name == "+") && a.kind == KindString && b.kind == KindString {
		if len(a.s)+len(b.s) > maxString {
			return nil, ev.errorf(n, ErrExecution, "string longer than %d bytes", maxString)
		}
		return Collection{stringValue(a.s + b.s)}, nil
	}
	if n.name == "&" {
		return bad()
	}
	if x, ok := numeric(a); ok {
		y, ok := numeric(b)
		if !ok {
			if q, ok := asQuantity(b); ok && (n.name == "*" || n.name == "/") {
				return quantityArith(n.name, quantity{value: x, unit: "1"}, q)
			}
			return bad()
		}
		if a.kind == KindInteger && b.kind == KindInteger && n.name != "/" {
			return integerArith(n.name, a.i, b.i)
		}
		return decimalArith(n.name, x, y)
	}
	switch a.kind {
	case KindString:
		return bad()
	case KindDate, KindDateTime, KindTime:
		q, ok := asQuantity(b)
		if !ok || (n.name != "+" && n.name != "-") {
			return bad()
		}
		t, err := addQuantity(*a.t, q, n.name == "-")
		if err != nil {
			return nil, ev.errorf(n, ErrExecution, "%v", err)
		}
		return Collection{temporalValue(t)}, nil
	}
	qa, ok := asQuantity(a)
	if !ok {
		return bad()
	}
	if y, ok := numeric(b); ok && (n.name == "*" || n.name == "/") {
		return quantityArith(n.name, qa, quantity{value: y, unit: "1"})
	}
	qb, ok := asQuantity(b)
	if !ok {
		return bad()
	}
	return quantityArith(n.name, qa, qb)
}

func integerArith(op string, a, b int64) (Collection, error) {
	var r int64
	switch op {
	case "+":
		r = a + b
		if (r > a) != (b > 0) {
			return nil, nil
		}
	case "-":
		r = a - b
		if (r < a) != (b > 0) {
			return nil, nil
		}
	case "*":
		r = a * b
		if a != 0 && (r/a != b || (a == -1 && b == math.MinInt64)) {
			return nil, nil
		}
	case "div":
		if b == 0 {
			return nil, nil
		}
		r = a / b
	case "mod":
		if b == 0 {
			return nil, nil
		}
		r = a % b
	default:
		return nil, fmt.Errorf("unknown operator %s", op)
	}
	return Collection{intValue(r)}, nil
}

func decimalArith(op string, a, b decimal) (Collection, error) {
	switch op {
	case "+":
		return Collection{decimalValue(a.add(b))}, nil
	case "-":
		return Collection{decimalValue(a.sub(b))}, nil
	case "*":
		return Collection{decimalValue(a.mul(b))}, nil
	case "/":
		q, ok := a.div(b)
		if !ok {
			return nil, nil
		}
		return Collection{decimalValue(q)}, nil
	case "div", "mod":
		if b.sign() == 0 {
			return nil, nil
		}
		q := new(big.Rat).Quo(a.r, b.r)
		t := new(big.Int).Quo(q.Num(), q.Denom())
		if op == "div" {
			return Collection{intValue(t.Int64())}, nil
		}
		m := new(big.Rat).Sub(a.r, new(big.Rat).Mul(b.r, new(big.Rat).SetInt(t)))
		return Collection{decimalValue(decimal{m, max(a.scale, b.scale)})}, nil
	}
	return nil, fmt.Errorf("unknown operator %s", op)
}

// quantityArith: + and - need comparable units (the result is in the
// left unit); * and / combine the units.
func quantityArith(op string, a, b quantity) (Collection, error) {
	switch op {
	case "+", "-":
		y, ok := convertQuantity(a, b)
		if !ok {
			return nil, nil
		}
		r := a.value.add(y)
		if op == "-" {
			r = a.value.sub(y)
		}
		return Collection{quantityValue(r, a.unit, a.cal)}, nil
	case "*", "/":
		ua, ub := ucumUnitOf(a), ucumUnitOf(b)
		if ua == "" || ub == "" {
			return nil, nil
		}
		if op == "*" {
			return Collection{quantityValue(a.value.mul(b.value), joinUnits(ua, ub, "."), false)}, nil
		}
		q, ok := a.value.div(b.value)
		if !ok {
			return nil, nil
		}
		return Collection{quantityValue(q, joinUnits(ua, ub, "/"), false)}, nil
	}
	return nil, fmt.Errorf("cannot apply %s to quantities", op)
}

// ucumUnitOf is a quantity's unit as UCUM ("" for years and months).
func ucumUnitOf(q quantity) string {
	if !q.cal {
		return q.unit
	}
	return calendarToUCUM[calendarUnits[q.unit]]
}

func joinUnits(a, b, op string) string {
	switch {
	case b == "1":
		return a
	case a == "1" && op == ".":
		return b
	case a == "1":
		return "/" + paren(b)
	case a == b && op == "/":
		return "1"
	}
	return paren(a) + op + paren(b)
}

func paren(u string) string {
	if strings.ContainsAny(u, "./") {
		return "(" + u + ")"
	}
	return u
}

// ucumDurations are the UCUM units date arithmetic accepts; 'a' and 'mo'
// are not calendar years and months, so they are refused.
var ucumDurations = map[string]string{
	"wk": "week", "d": "day", "h": "hour", "min": "minute", "s": "second", "ms": "millisecond",
}

// addQuantity adds (or subtracts) a time-valued quantity to a date, date-time
// or time. Decimal amounts are truncated to whole units.
func addQuantity(t temporal, q quantity, subtract bool) (temporal, error) {
	unit, ok := calendarUnits[q.unit]
	if !ok {
		if unit, ok = ucumDurations[q.unit]; !ok {
			return t, fmt.Errorf("cannot add a quantity in '%s' to a date or time", q.unit)
		}
	}
	n, ok := q.value.toInt()
	if !ok {
		return t, fmt.Errorf("quantity %s is too large", q.value)
	}
	if subtract {
		n = -n
	}
	return addDuration(t, n, unit)
}
