package v2fhir

import (
	"strconv"
	"strings"

	"carerecord/internal/hl7"
)

// seg is a segment with its occurrence among segments of its name, for
// locations such as OBX[3]-11.
type seg struct {
	hl7.Segment
	seq int
}

// loc names a field (and repetition, when rep > 0) of the segment.
func (s seg) loc(field, rep int) string {
	b := make([]byte, 0, 16)
	b = append(b, s.Name()...)
	if s.seq > 1 {
		b = append(b, '[')
		b = strconv.AppendInt(b, int64(s.seq), 10)
		b = append(b, ']')
	}
	if field > 0 {
		b = append(b, '-')
		b = strconv.AppendInt(b, int64(field), 10)
	}
	if rep > 0 {
		b = append(b, '[')
		b = strconv.AppendInt(b, int64(rep), 10)
		b = append(b, ']')
	}
	return string(b)
}

// get returns field n, repetition rep (0 means 1), component comp, subcomponent sub.
func (s seg) get(n, rep, comp, sub int) string {
	if s.Segment == (hl7.Segment{}) {
		return ""
	}
	b := make([]byte, 0, 16)
	b = strconv.AppendInt(b, int64(n), 10)
	if rep > 1 {
		b = append(b, '[')
		b = strconv.AppendInt(b, int64(rep), 10)
		b = append(b, ']')
	}
	if comp > 0 {
		b = append(b, '.')
		b = strconv.AppendInt(b, int64(comp), 10)
		if sub > 0 {
			b = append(b, '.')
			b = strconv.AppendInt(b, int64(sub), 10)
		}
	}
	return strings.TrimSpace(s.Get(string(b)))
}

// f is field n's first component.
func (s seg) f(n int) string { return s.get(n, 1, 1, 0) }

// reps is how many repetitions field n has.
func (s seg) reps(n int) int {
	if s.Segment == (hl7.Segment{}) {
		return 0
	}
	return s.Reps(n)
}

// fld is one repetition of one field of a segment, read by component.
type fld struct {
	s      seg
	n, rep int
}

func (s seg) fld(n, rep int) fld { return fld{s, n, rep} }
func (f fld) c(comp int) string  { return f.s.get(f.n, f.rep, comp, 0) }
func (f fld) loc() string        { return f.s.loc(f.n, f.rep) }
func (s seg) repsOf(n int) []fld {
	k := s.reps(n)
	out := make([]fld, 0, k)
	for r := 1; r <= k; r++ {
		out = append(out, fld{s, n, r})
	}
	return out
}

// codeSystem maps an HL7 coding system name to a FHIR system URI.
func (m *mapper) codeSystem(name string) string {
	switch strings.ToUpper(name) {
	case "LN", "LOINC":
		return "http://loinc.org"
	case "SCT", "SNM", "SNM3", "SCT2", "SNOMED", "SNOMEDCT":
		return "http://snomed.info/sct"
	case "I10", "I10C", "ICD10", "ICD-10":
		return "http://hl7.org/fhir/sid/icd-10"
	case "I9", "I9C", "I9CM", "I9M":
		return "http://hl7.org/fhir/sid/icd-9-cm"
	case "CVX":
		return "http://hl7.org/fhir/sid/cvx"
	case "NDC":
		return "http://hl7.org/fhir/sid/ndc"
	case "UCUM":
		return "http://unitsofmeasure.org"
	case "DCM":
		return "http://dicom.nema.org/resources/ontology/DCM"
	}
	u := strings.ToUpper(name)
	if len(u) == 7 && strings.HasPrefix(u, "HL7") && isDigits(u[3:]) {
		return "http://terminology.hl7.org/CodeSystem/v2-" + u[3:]
	}
	if name == "" {
		name = "local"
	}
	return m.localBase + "/CodeSystem/" + slug(name)
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// slug keeps letters, digits, '.' and '-', lower-cased, for URI paths.
func slug(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z':
			b = append(b, c+'a'-'A')
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '.', c == '-':
			b = append(b, c)
		default:
			b = append(b, '-')
		}
	}
	return string(b)
}

func (m *mapper) coding(code, display, system string) *object {
	if code == "" {
		return nil
	}
	return obj("system", m.codeSystem(system), "code", code, "display", display)
}

// cwe maps a CE/CWE to a CodeableConcept: the primary and alternate codings,
// and the original text (CWE-9) or the primary text.
func (m *mapper) cwe(f fld) *object {
	c1 := m.coding(f.c(1), f.c(2), f.c(3))
	c2 := m.coding(f.c(4), f.c(5), f.c(6))
	text := f.c(9)
	if text == "" {
		text = f.c(2)
	}
	if c1 == nil && c2 == nil {
		if text == "" {
			text = f.c(5)
		}
		return obj("text", text)
	}
	return obj("coding", []*object{c1, c2}, "text", text)
}

// v2Coding is a coding in an HL7 table's FHIR code system.
func v2Coding(table, code, display string) *object {
	if code == "" {
		return nil
	}
	return obj("system", "http://terminology.hl7.org/CodeSystem/v2-"+table, "code", code, "display", display)
}

// xpn maps an XPN to a HumanName.
func xpn(f fld) *object {
	var given []string
	for _, g := range []string{f.c(2), f.c(3)} {
		given = append(given, strings.Fields(g)...)
	}
	use := map[string]string{"L": "official", "D": "usual", "M": "maiden", "N": "nickname", "A": "anonymous", "U": "usual"}[f.c(7)]
	var prefix, suffix []string
	if p := f.c(5); p != "" {
		prefix = []string{p}
	}
	if s := f.c(4); s != "" {
		suffix = []string{s}
	}
	if s := f.c(6); s != "" {
		suffix = append(suffix, s)
	}
	return obj("use", use, "family", f.c(1), "given", given, "prefix", prefix, "suffix", suffix)
}

// xad maps an XAD to an Address.
func xad(f fld) *object {
	var line []string
	for _, l := range []string{f.c(1), f.c(2)} {
		if l != "" {
			line = append(line, l)
		}
	}
	if len(line) == 0 && f.c(3) == "" && f.c(4) == "" && f.c(5) == "" && f.c(6) == "" {
		return nil
	}
	var use, typ string
	switch f.c(7) {
	case "H", "L", "P":
		use = "home"
	case "B", "O":
		use = "work"
	case "C":
		use = "temp"
	case "M":
		typ = "postal"
	case "BA", "BAD", "OLD":
		use = "old"
	}
	return obj("use", use, "type", typ).set("line", line).set("city", f.c(3)).set("district", f.c(4)).
		set("postalCode", f.c(5)).set("country", f.c(6))
}

// xtn maps an XTN to a ContactPoint.
func xtn(f fld) *object {
	useCode, equip := f.c(2), f.c(3)
	system, value := "phone", f.c(1)
	switch {
	case equip == "Internet" || equip == "X.400" || useCode == "NET" || (value == "" && f.c(4) != ""):
		system, value = "email", f.c(4)
		if value == "" {
			value = f.c(1)
		}
	case equip == "FX":
		system = "fax"
	case equip == "BP" || useCode == "BPN":
		system = "pager"
	}
	if value == "" {
		value = strings.TrimSpace(strings.Join(nonEmpty(f.c(5), f.c(6), f.c(7)), " "))
		if x := f.c(8); x != "" && value != "" {
			value += " ext. " + x
		}
	}
	if value == "" {
		return nil
	}
	use := map[string]string{"PRN": "home", "ORN": "home", "WPN": "work", "VHN": "temp", "EMR": ""}[useCode]
	if equip == "CP" || equip == "MD" {
		use = "mobile"
	}
	return obj("system", system, "value", value, "use", use)
}

func nonEmpty(ss ...string) []string {
	out := ss[:0:0]
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// xcn maps an XCN (a clinician) to a Reference by identifier and display.
func (m *mapper) xcn(f fld) *object {
	id := f.c(1)
	name := strings.Join(nonEmpty(f.c(6), f.c(3), f.c(4), f.c(2)), " ")
	if id == "" && name == "" {
		return nil
	}
	var ident *object
	if id != "" {
		sys := f.c(9)
		if sys == "" {
			sys = f.c(13)
		}
		if sys == "" {
			sys = "practitioner"
		}
		ident = obj("system", m.localBase+"/"+slug(sys), "value", id)
	}
	return obj("identifier", ident, "display", name)
}

// pl maps a PL (ward^room^bed^facility) to a Location reference.
func (m *mapper) pl(f fld) *object {
	parts := nonEmpty(f.c(1), f.c(2), f.c(3))
	if len(parts) == 0 {
		return nil
	}
	return obj("identifier", obj("system", m.localBase+"/location", "value", strings.Join(parts, "^")),
		"display", strings.Join(nonEmpty(f.c(4), f.c(1), f.c(2), f.c(3)), " "))
}

// ref is a Reference to a resource by type and id.
func ref(typ, id string) *object {
	if id == "" {
		return nil
	}
	return obj("reference", typ+"/"+id)
}
