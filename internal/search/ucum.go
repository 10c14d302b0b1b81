package search

import (
	"strings"
	"unicode"
)

// UCUMSystem is the code system of UCUM units.
const UCUMSystem = "http://unitsofmeasure.org"

// ucumUnit is a UCUM unit as a multiple of a base unit.
type ucumUnit struct {
	base   string
	factor float64
}

// ucumUnits converts the UCUM units common in clinical data to a base
// unit by a simple factor (no offsets: Cel and [degF] are not converted).
// Units of one dimension share a base: mass g, length m, volume L, time s,
// amount concentration mol/L, mass concentration g/L, pressure Pa,
// frequency /s, body mass index g/m2. A unit not here is not converted.
var ucumUnits = map[string]ucumUnit{
	// mass
	"kg": {"g", 1e3}, "g": {"g", 1}, "mg": {"g", 1e-3}, "ug": {"g", 1e-6}, "ng": {"g", 1e-9}, "pg": {"g", 1e-12},
	"[lb_av]": {"g", 453.59237}, "[oz_av]": {"g", 28.349523125},
	// length
	"km": {"m", 1e3}, "m": {"m", 1}, "cm": {"m", 1e-2}, "mm": {"m", 1e-3}, "um": {"m", 1e-6}, "nm": {"m", 1e-9},
	"[in_i]": {"m", 0.0254}, "[ft_i]": {"m", 0.3048},
	// volume
	"L": {"L", 1}, "dL": {"L", 1e-1}, "mL": {"L", 1e-3}, "uL": {"L", 1e-6}, "fL": {"L", 1e-15},
	"l": {"L", 1}, "dl": {"L", 1e-1}, "ml": {"L", 1e-3},
	// time
	"s": {"s", 1}, "ms": {"s", 1e-3}, "min": {"s", 60}, "h": {"s", 3600}, "d": {"s", 86400},
	"wk": {"s", 604800}, "mo": {"s", 2629800}, "a": {"s", 31557600},
	// amount of substance concentration
	"mol/L": {"mol/L", 1}, "mmol/L": {"mol/L", 1e-3}, "umol/L": {"mol/L", 1e-6}, "nmol/L": {"mol/L", 1e-9}, "pmol/L": {"mol/L", 1e-12},
	// mass concentration
	"g/L": {"g/L", 1}, "g/dL": {"g/L", 10}, "mg/dL": {"g/L", 1e-2}, "mg/L": {"g/L", 1e-3}, "mg/mL": {"g/L", 1},
	"ug/mL": {"g/L", 1e-3}, "ug/L": {"g/L", 1e-6}, "ug/dL": {"g/L", 1e-5}, "ng/mL": {"g/L", 1e-6}, "ng/L": {"g/L", 1e-9}, "pg/mL": {"g/L", 1e-9},
	// pressure
	"Pa": {"Pa", 1}, "kPa": {"Pa", 1e3}, "mm[Hg]": {"Pa", 133.322387415}, "cm[H2O]": {"Pa", 98.0665},
	// frequency (heart and respiratory rates)
	"/s": {"/s", 1}, "/min": {"/s", 1.0 / 60}, "/h": {"/s", 1.0 / 3600},
	// body mass index, body surface area
	"kg/m2": {"g/m2", 1e3}, "g/m2": {"g/m2", 1},
	"m2": {"m2", 1}, "cm2": {"m2", 1e-4},
}

// Canonical converts a quantity in the UCUM unit code (with system UCUM or
// no system) to its base unit: Canonical(UCUMSystem, "mmol/L", 5.4) is
// "mol/L", 0.0054 with the precision range scaled alike. Annotations
// ({beats}/min is /min) are ignored. ok is false when the unit is not in
// the table; the stored and searched values are then compared as given.
func Canonical(system, code string, n Number) (base string, canon Number, ok bool) {
	if system != UCUMSystem && system != "" || code == "" {
		return "", Number{}, false
	}
	u, found := ucumUnits[code]
	if !found && strings.Contains(code, "{") {
		u, found = ucumUnits[stripAnnotations(code)]
	}
	if !found {
		return "", Number{}, false
	}
	f := u.factor
	return u.base, Number{Text: "", Value: n.Value * f, Low: n.Low * f, High: n.High * f}, true
}

// stripAnnotations removes {...} annotations from a UCUM code; an
// annotation standing alone ("{beats}/min") reads as 1.
func stripAnnotations(code string) string {
	var b strings.Builder
	depth := 0
	for _, r := range code {
		switch {
		case r == '{':
			depth++
		case r == '}':
			depth--
		case depth == 0 && !unicode.IsSpace(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}
