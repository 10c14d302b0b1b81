package fhirpath

import (
	"math"
	"regexp"
	"strconv"
	"strings"
)

// Conversion functions (toX, convertsToX) and math.
func init() {
	conversion("Boolean", toBoolean)
	conversion("Integer", toInteger)
	conversion("Decimal", toDecimal)
	conversion("String", toStringValue)
	conversion("Date", toTemporal(KindDate))
	conversion("DateTime", toTemporal(KindDateTime))
	conversion("Time", toTemporal(KindTime))
	conversionWithUnit("Quantity", toQuantity)

	register("abs", 0, 0, func(c *call) (Collection, error) {
		return mathFunc(c, func(v Value) (Collection, error) {
			switch v.kind {
			case KindInteger:
				return one(intValue(max(v.i, -v.i)))
			case KindDecimal:
				return one(decimalValue(v.d.abs()))
			}
			q, _ := asQuantity(v)
			return one(quantityValue(q.value.abs(), q.unit, q.cal))
		}, true)
	})
	register("ceiling", 0, 0, func(c *call) (Collection, error) { return intRounding(c, ceilDecimal) })
	register("floor", 0, 0, func(c *call) (Collection, error) { return intRounding(c, floorDecimal) })
	register("truncate", 0, 0, func(c *call) (Collection, error) {
		return intRounding(c, func(d decimal, s int) decimal { return roundDecimal(d, s, true) })
	})
	register("round", 0, 1, func(c *call) (Collection, error) {
		p, _, err := c.argInt(0)
		if err != nil {
			return nil, err
		}
		if p < 0 {
			return nil, c.errorf("precision must not be negative")
		}
		return mathFunc(c, func(v Value) (Collection, error) {
			d, _ := numeric(v)
			return one(decimalValue(roundDecimal(d, int(p), false)))
		}, false)
	})
	floatFunc("exp", math.Exp)
	floatFunc("ln", math.Log)
	floatFunc("sqrt", math.Sqrt)
	register("log", 1, 1, func(c *call) (Collection, error) {
		base, ok, err := c.argSingle(0)
		b, isNum := numeric(base)
		if err != nil || !ok || !isNum {
			return nil, err
		}
		return mathFunc(c, func(v Value) (Collection, error) {
			d, _ := numeric(v)
			return floatResult(math.Log(d.float()) / math.Log(b.float()))
		}, false)
	})
	register("power", 1, 1, func(c *call) (Collection, error) {
		exp, ok, err := c.argSingle(0)
		e, isNum := numeric(exp)
		if err != nil || !ok || !isNum {
			return nil, err
		}
		return mathFunc(c, func(v Value) (Collection, error) {
			if v.kind == KindInteger && exp.kind == KindInteger && exp.i >= 0 {
				r := math.Pow(float64(v.i), float64(exp.i))
				if math.Abs(r) < 1<<53 {
					return one(intValue(int64(r)))
				}
			}
			d, _ := numeric(v)
			return floatResult(math.Pow(d.float(), e.float()))
		}, false)
	})
}

// conversion registers toX and convertsToX for a converter.
func conversion(name string, conv func(v Value) (Value, bool)) {
	conversionWithUnit(name, func(v Value, _ string, _ bool) (Value, bool) { return conv(v) })
}

func conversionWithUnit(name string, conv func(v Value, unit string, hasUnit bool) (Value, bool)) {
	maxArgs := 0
	if name == "Quantity" {
		maxArgs = 1
	}
	run := func(c *call) (Value, bool, bool, error) {
		v, ok, err := c.input()
		if err != nil || !ok {
			return Value{}, false, false, err
		}
		unit, hasUnit, err := c.argString(0)
		if err != nil {
			return Value{}, false, false, err
		}
		r, ok := conv(v, unit, hasUnit)
		return r, ok, true, nil
	}
	register("to"+name, 0, maxArgs, func(c *call) (Collection, error) {
		r, ok, _, err := run(c)
		if err != nil || !ok {
			return nil, err
		}
		return one(r)
	})
	register("convertsTo"+name, 0, maxArgs, func(c *call) (Collection, error) {
		_, ok, present, err := run(c)
		if err != nil || !present {
			return nil, err
		}
		return boolResult(ok)
	})
}

// system drops the FHIR type of a primitive: toX results are System values.
func system(v Value) Value {
	v.ftype, v.ext = "", nil
	return v
}

func toBoolean(v Value) (Value, bool) {
	switch v.kind {
	case KindBoolean:
		return system(v), true
	case KindInteger:
		if v.i == 0 || v.i == 1 {
			return boolValue(v.i == 1), true
		}
	case KindDecimal:
		if v.d.sign() == 0 || v.d.cmp(decimalFromInt(1)) == 0 {
			return boolValue(v.d.sign() != 0), true
		}
	case KindString:
		switch strings.ToLower(v.s) {
		case "true", "t", "yes", "y", "1", "1.0":
			return boolValue(true), true
		case "false", "f", "no", "n", "0", "0.0":
			return boolValue(false), true
		}
	}
	return Value{}, false
}

var integerPattern = regexp.MustCompile(`^[+-]?[0-9]+$`)

func parseInteger(s string) (int64, bool) {
	if !integerPattern.MatchString(s) {
		return 0, false
	}
	i, err := strconv.ParseInt(s, 10, 64)
	return i, err == nil
}

func toInteger(v Value) (Value, bool) {
	switch v.kind {
	case KindInteger:
		return system(v), true
	case KindBoolean:
		if v.b {
			return intValue(1), true
		}
		return intValue(0), true
	case KindString:
		if i, ok := parseInteger(v.s); ok {
			return intValue(i), true
		}
	}
	return Value{}, false
}

var decimalPattern = regexp.MustCompile(`^[+-]?[0-9]+(\.[0-9]+)?$`)

func toDecimal(v Value) (Value, bool) {
	switch v.kind {
	case KindInteger:
		return decimalValue(decimalFromInt(v.i)), true
	case KindDecimal:
		return system(v), true
	case KindBoolean:
		if v.b {
			return decimalValue(decimal{decimalFromInt(1).r, 1}), true
		}
		return decimalValue(decimal{decimalFromInt(0).r, 1}), true
	case KindString:
		if decimalPattern.MatchString(v.s) {
			if d, err := parseDecimal(v.s); err == nil {
				return decimalValue(d), true
			}
		}
	}
	return Value{}, false
}

func toStringValue(v Value) (Value, bool) {
	switch v.kind {
	case KindObject:
		if q, ok := asQuantity(v); ok {
			return stringValue(Value{kind: KindQuantity, q: &q}.String()), true
		}
		return Value{}, false
	case KindString:
		return system(v), true
	}
	if v.empty {
		return Value{}, false
	}
	return stringValue(v.String()), true
}

func toTemporal(kind Kind) func(v Value) (Value, bool) {
	return func(v Value) (Value, bool) {
		var t temporal
		var ok bool
		switch v.kind {
		case KindString:
			switch kind {
			case KindDate:
				t, ok = parseDate(v.s)
			case KindDateTime:
				t, ok = parseDateTime(v.s)
			default:
				t, ok = parseTime(strings.TrimPrefix(v.s, "T"))
			}
		case KindDate, KindDateTime:
			if kind == KindTime {
				return Value{}, false
			}
			t, ok = *v.t, true
			if kind == KindDate {
				t.prec = min(t.prec, precDay)
				t.clearBeyond()
			}
			t.kind = kind
		case KindTime:
			t, ok = *v.t, kind == KindTime
		}
		if !ok {
			return Value{}, false
		}
		return temporalValue(t), true
	}
}

var quantityPattern = regexp.MustCompile(`^([+-]?[0-9]+(?:\.[0-9]+)?)\s*(?:'([^']+)'|([a-zA-Z]+))?$`)

func toQuantity(v Value, unit string, hasUnit bool) (Value, bool) {
	var q quantity
	switch v.kind {
	case KindInteger, KindDecimal:
		d, _ := numeric(v)
		q = quantity{value: d, unit: "1"}
	case KindBoolean:
		q = quantity{value: decimalFromInt(0), unit: "1"}
		if v.b {
			q.value = decimalFromInt(1)
		}
		q.value.scale = 1
	case KindString:
		m := quantityPattern.FindStringSubmatch(v.s)
		if m == nil {
			return Value{}, false
		}
		d, err := parseDecimal(m[1])
		if err != nil {
			return Value{}, false
		}
		q = quantity{value: d, unit: "1"}
		switch {
		case m[2] != "":
			q.unit = m[2]
		case m[3] != "":
			if _, ok := calendarUnits[m[3]]; !ok {
				return Value{}, false
			}
			q.unit, q.cal = m[3], true
		}
	default:
		var ok bool
		if q, ok = asQuantity(v); !ok {
			return Value{}, false
		}
	}
	if hasUnit && unit != q.unit {
		target := quantity{value: decimalFromInt(1), unit: unit}
		if _, ok := calendarUnits[unit]; ok {
			target.cal = true
		}
		d, ok := convertQuantity(target, q)
		if !ok {
			return Value{}, false
		}
		q = quantity{value: d, unit: unit, cal: target.cal}
	}
	return quantityValue(q.value, q.unit, q.cal), true
}

// mathFunc applies f to a single numeric input (or Quantity when allowed).
func mathFunc(c *call, f func(v Value) (Collection, error), quantities bool) (Collection, error) {
	v, ok, err := c.input()
	if err != nil || !ok {
		return nil, err
	}
	if _, isNum := numeric(v); !isNum {
		if _, isQ := asQuantity(v); !isQ || !quantities {
			return nil, c.errorf("applies to a number, not %s", v.TypeName())
		}
	}
	return f(v)
}

// intRounding is ceiling, floor and truncate: an Integer result.
func intRounding(c *call, round func(decimal, int) decimal) (Collection, error) {
	return mathFunc(c, func(v Value) (Collection, error) {
		if v.kind == KindInteger {
			return one(system(v))
		}
		i, ok := round(v.d, 0).toInt()
		if !ok {
			return nil, nil
		}
		return one(intValue(i))
	}, false)
}

func floatFunc(name string, f func(float64) float64) {
	register(name, 0, 0, func(c *call) (Collection, error) {
		return mathFunc(c, func(v Value) (Collection, error) {
			d, _ := numeric(v)
			return floatResult(f(d.float()))
		}, false)
	})
}

// floatResult is a Decimal from a float computation; NaN and infinities are empty.
func floatResult(f float64) (Collection, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, nil
	}
	d, ok := decimalFromFloat(f)
	if !ok {
		return nil, nil
	}
	return one(decimalValue(d))
}
