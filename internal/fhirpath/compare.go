package fhirpath

import (
	"encoding/json"
	"errors"
	"math/big"
	"slices"
	"strings"
)

// asQuantity reads a System.Quantity or a FHIR Quantity (and its
// specialisations: Age, Duration...). The FHIR unit is the UCUM code when
// the system is UCUM, else the unit text.
func asQuantity(v Value) (quantity, bool) {
	if v.kind == KindQuantity {
		return *v.q, true
	}
	if v.kind != KindObject || !model().derivesFrom(v.ftype, "Quantity") {
		return quantity{}, false
	}
	var d decimal
	switch n := v.obj["value"].(type) {
	case json.Number:
		var ok bool
		if d, ok = parseJSONNumber(string(n)); !ok {
			return quantity{}, false
		}
	case float64:
		var ok bool
		if d, ok = decimalFromFloat(n); !ok {
			return quantity{}, false
		}
	default:
		return quantity{}, false
	}
	unit, _ := v.obj["unit"].(string)
	if code, ok := v.obj["code"].(string); ok && (v.obj["system"] == ucumSystem || unit == "") {
		unit = code
	}
	if unit == "" {
		unit = "1"
	}
	return quantity{value: d, unit: unit}, true
}

// numeric reads an Integer or Decimal as a decimal.
func numeric(v Value) (decimal, bool) {
	switch v.kind {
	case KindInteger:
		return decimalFromInt(v.i), true
	case KindDecimal:
		return v.d, true
	}
	return decimal{}, false
}

// convertQuantity expresses b in a's unit; ok is false when they are not comparable.
func convertQuantity(a, b quantity) (decimal, bool) {
	if a.unit == b.unit && a.cal == b.cal {
		return b.value, true
	}
	if a.cal != b.cal {
		// calendar durations above a week are not UCUM durations
		if (a.cal && isCalendarMonth(a.unit)) || (b.cal && isCalendarMonth(b.unit)) {
			return decimal{}, false
		}
	}
	ua, oka := quantityUnit(a)
	ub, okb := quantityUnit(b)
	if !oka || !okb || ua.dims != ub.dims {
		return decimal{}, false
	}
	f := new(big.Rat).Quo(ub.factor, ua.factor)
	r := new(big.Rat).Mul(b.value.r, f)
	return decimal{r, max(b.value.scale, naturalScale(r, b.value.scale+6))}, true
}

func isCalendarMonth(u string) bool {
	c := calendarUnits[u]
	return c == "year" || c == "month"
}

// equalValues is = on two items; known is false when the answer is empty
// (dates of different precision, quantities in incomparable units).
func equalValues(a, b Value) (equal, known bool) {
	if x, ok := numeric(a); ok {
		if y, ok := numeric(b); ok {
			return x.cmp(y) == 0, true
		}
		return false, true
	}
	switch a.kind {
	case KindString:
		return b.kind == KindString && a.s == b.s, true
	case KindBoolean:
		return b.kind == KindBoolean && a.b == b.b, true
	case KindDate, KindDateTime, KindTime:
		if !temporalComparable(a, b) {
			return false, true
		}
		c, ok := compareTemporal(*a.t, *b.t)
		return ok && c == 0, ok
	}
	if qa, ok := asQuantity(a); ok {
		if qb, ok := asQuantity(b); ok {
			if a.kind == KindObject && b.kind == KindObject {
				return deepEqual(a.obj, b.obj, false), true
			}
			y, ok := convertQuantity(qa, qb)
			if !ok {
				return false, false
			}
			return qa.value.cmp(y) == 0, true
		}
	}
	if a.kind == KindObject && b.kind == KindObject {
		return deepEqual(a.obj, b.obj, false), true
	}
	return false, true
}

func temporalComparable(a, b Value) bool {
	if b.kind != KindDate && b.kind != KindDateTime && b.kind != KindTime {
		return false
	}
	return (a.kind == KindTime) == (b.kind == KindTime)
}

// equivalentValues is ~ on two items.
func equivalentValues(a, b Value) bool {
	if x, ok := numeric(a); ok {
		if y, ok := numeric(b); ok {
			return equivalentDecimal(x, y)
		}
		return false
	}
	switch a.kind {
	case KindString:
		return b.kind == KindString && normalizeString(a.s) == normalizeString(b.s)
	case KindBoolean:
		return b.kind == KindBoolean && a.b == b.b
	case KindDate, KindDateTime, KindTime:
		if !temporalComparable(a, b) || a.t.prec != b.t.prec && min(a.t.prec, b.t.prec) < precSecond {
			return false
		}
		c, ok := compareTemporal(*a.t, *b.t)
		return ok && c == 0
	}
	if qa, ok := asQuantity(a); ok {
		if qb, ok := asQuantity(b); ok {
			y, ok := convertQuantity(qa, qb)
			if !ok {
				return false
			}
			return equivalentDecimal(qa.value, decimal{y.r, min(y.scale, qb.value.scale)})
		}
	}
	if a.kind == KindObject && b.kind == KindObject {
		return deepEqual(a.obj, b.obj, true)
	}
	return false
}

func normalizeString(s string) string {
	return strings.ToLower(strings.Join(strings.Fields(s), " "))
}

// deepEqual compares decoded JSON; equivalent compares strings as ~ does
// and ignores element ids.
func deepEqual(a, b any, equivalent bool) bool {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok {
			return false
		}
		n := 0
		for k, xv := range x {
			if equivalent && k == "id" {
				continue
			}
			n++
			yv, ok := y[k]
			if !ok || !deepEqual(xv, yv, equivalent) {
				return false
			}
		}
		m := len(y)
		if _, ok := y["id"]; ok && equivalent {
			m--
		}
		return n == m
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !deepEqual(x[i], y[i], equivalent) {
				return false
			}
		}
		return true
	case string:
		y, ok := b.(string)
		if equivalent {
			return ok && normalizeString(x) == normalizeString(y)
		}
		return ok && x == y
	case json.Number:
		y, ok := b.(json.Number)
		if !ok {
			return false
		}
		dx, ok1 := parseJSONNumber(string(x))
		dy, ok2 := parseJSONNumber(string(y))
		return ok1 && ok2 && dx.cmp(dy) == 0
	}
	return a == b
}

// equalCollections is = on collections: item by item, in order.
func equalCollections(a, b Collection) (equal, known bool) {
	if len(a) == 0 || len(b) == 0 {
		return false, false
	}
	if len(a) != len(b) {
		return false, true
	}
	known = true
	for i := range a {
		eq, k := equalValues(a[i], b[i])
		if k && !eq {
			return false, true
		}
		known = known && k
	}
	return known, known
}

// equivalentCollections is ~ on collections: the same items in any order.
func equivalentCollections(a, b Collection) bool {
	if len(a) != len(b) {
		return false
	}
	used := make([]bool, len(b))
	for _, x := range a {
		found := false
		for j, y := range b {
			if !used[j] && equivalentValues(x, y) {
				used[j], found = true, true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func containsValue(c Collection, v Value) bool {
	for _, w := range c {
		if eq, known := equalValues(w, v); eq && known {
			return true
		}
	}
	return false
}

// distinct removes repeated items (by =), keeping the first of each.
func distinct(c Collection) Collection {
	var out Collection
	for _, v := range c {
		if !containsValue(out, v) {
			out = append(out, v)
		}
	}
	return out
}

func union(a, b Collection) Collection {
	return distinct(append(slices.Clip(a), b...))
}

var errIncomparable = errors.New("incomparable")

// compareValues orders two items for < <= > >= and sort(); known is false
// when the answer is empty; err when the types cannot be ordered.
func compareValues(a, b Value) (c int, known bool, err error) {
	if x, ok := numeric(a); ok {
		if y, ok := numeric(b); ok {
			return x.cmp(y), true, nil
		}
		return 0, false, errIncomparable
	}
	switch a.kind {
	case KindString:
		if b.kind != KindString {
			return 0, false, errIncomparable
		}
		return strings.Compare(a.s, b.s), true, nil
	case KindDate, KindDateTime, KindTime:
		if !temporalComparable(a, b) {
			return 0, false, errIncomparable
		}
		c, ok := compareTemporal(*a.t, *b.t)
		return c, ok, nil
	}
	if qa, ok := asQuantity(a); ok {
		if qb, ok := asQuantity(b); ok {
			y, ok := convertQuantity(qa, qb)
			if !ok {
				return 0, false, nil
			}
			return qa.value.cmp(y), true, nil
		}
	}
	return 0, false, errIncomparable
}
