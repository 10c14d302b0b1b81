package v2fhir

import (
	"strconv"
	"strings"
)

// vitalSigns are the LOINC codes of the FHIR vital signs panel.
var vitalSigns = map[string]bool{
	"85353-1": true, "9279-1": true, "8867-4": true, "2708-6": true, "59408-5": true,
	"8310-5": true, "8302-2": true, "9843-4": true, "29463-7": true, "39156-5": true,
	"85354-9": true, "8480-6": true, "8462-4": true,
}

// obxStatus maps OBX-11 (table 0085) to Observation.status.
var obxStatus = map[string]string{
	"F": "final", "U": "final", "C": "amended", "P": "preliminary", "R": "preliminary",
	"S": "preliminary", "I": "registered", "X": "cancelled", "N": "cancelled",
	"D": "entered-in-error", "W": "entered-in-error",
}

// obrStatus maps OBR-25 (table 0123) to DiagnosticReport.status.
var obrStatus = map[string]string{
	"O": "registered", "I": "registered", "S": "registered", "A": "partial", "P": "preliminary",
	"R": "preliminary", "C": "corrected", "F": "final", "X": "cancelled", "Y": "final", "Z": "final",
}

// oru maps ORU^R01: a DiagnosticReport per OBR, an Observation per OBX.
func (m *mapper) oru() error {
	if _, err := m.common(); err != nil {
		return err
	}
	if _, err := m.need("OBR"); err != nil {
		return err
	}
	var orc seg
	for i := 0; i < len(m.segs); i++ {
		s := m.segs[i]
		switch s.Name() {
		case "ORC":
			orc = s
		case "OBR":
			j := i + 1
			for j < len(m.segs) && m.segs[j].Name() != "OBR" && m.segs[j].Name() != "ORC" {
				j++
			}
			if err := m.report(orc, s, m.segs[i+1:j]); err != nil {
				return err
			}
			i = j - 1
		}
	}
	return nil
}

// report maps one OBR and the segments that follow it.
func (m *mapper) report(orc, obr seg, group []seg) error {
	key := obr.f(3)
	if key == "" {
		key = obr.f(2)
	}
	if key == "" {
		key = orc.f(3)
	}
	if key == "" {
		key = orc.f(2)
	}
	if key == "" {
		return &Error{obr.loc(3, 0), ErrMissingField}
	}
	event := m.dateTime(obr.f(22), obr.loc(22, 0))
	if event == "" {
		event = m.event
	}
	rid := m.id("DiagnosticReport", key)
	r := resource("DiagnosticReport", rid)
	var ids []*object
	if v := obr.f(3); v != "" {
		ids = append(ids, obj("type", obj("coding", []*object{v2Coding("0203", "FILL", "Filler Identifier")}),
			"system", m.localBase+"/filler-order", "value", v))
	}
	if v := obr.f(2); v != "" {
		ids = append(ids, obj("type", obj("coding", []*object{v2Coding("0203", "PLAC", "Placer Identifier")}),
			"system", m.localBase+"/placer-order", "value", v))
	}
	r.set("identifier", ids)
	status := obrStatus[obr.f(25)]
	if status == "" {
		status = "final"
		if obr.f(25) != "" {
			m.warn(obr.loc(25, 0), "unknown result status; final assumed")
		}
	}
	r.set("status", status)
	if sect := obr.f(24); sect != "" {
		r.set("category", []*object{obj("coding", []*object{v2Coding("0074", sect, "")})})
	}
	code := m.cwe(obr.fld(4, 1))
	if code.empty() {
		code = obj("text", "unspecified")
		m.warn(obr.loc(4, 0), "no service identifier")
	}
	r.set("code", code).set("subject", m.patientRef()).set("encounter", m.encounterRef())
	r.set("effectiveDateTime", m.dateTime(obr.f(7), obr.loc(7, 0)))
	r.set("issued", m.instant(obr.f(22), obr.loc(22, 0)))
	var results, forms []*object
	seen := map[string]bool{}
	for i, s := range group {
		if s.Name() != "OBX" {
			continue
		}
		var notes []string
		for _, n := range group[i+1:] {
			if n.Name() != "NTE" {
				break
			}
			for _, f := range n.repsOf(3) {
				notes = append(notes, f.c(1))
			}
		}
		if s.f(2) == "ED" {
			if a := m.attachment(s); a != nil {
				forms = append(forms, a)
			}
			continue
		}
		okey := s.f(3) + "^" + s.f(4)
		if s.f(3) == "" || seen[okey] {
			if s.f(3) != "" {
				m.warn(s.loc(3, 0), "repeated observation code in one report; set id used")
			}
			okey = "set:" + s.f(1) + "^" + strconv.Itoa(s.seq)
		}
		seen[okey] = true
		if o := m.observation(rid, okey, obr, s, notes, event); o != "" {
			results = append(results, ref("Observation", o))
		}
	}
	r.set("result", results).set("presentedForm", forms)
	if status == "cancelled" {
		m.add(OpMarkStatus, "DiagnosticReport", rid, status, event, r)
	} else {
		m.add(OpUpsert, "DiagnosticReport", rid, "", event, r)
	}
	return nil
}

// attachment maps an ED value (OBX-5: source^type^subtype^encoding^data).
func (m *mapper) attachment(obx seg) *object {
	f := obx.fld(5, 1)
	if !strings.EqualFold(f.c(4), "Base64") || f.c(5) == "" {
		m.warn(obx.loc(5, 0), "encapsulated data not in Base64 or empty; dropped")
		return nil
	}
	data := strings.Map(func(r rune) rune {
		if r == ' ' || r == '\n' || r == '\r' || r == '\t' || r == '\\' {
			return -1
		}
		return r
	}, obx.Raw("5.5"))
	return obj("contentType", mimeType(f.c(2), f.c(3)), "data", data)
}

func mimeType(typ, sub string) string {
	t, s := strings.ToLower(typ), strings.ToLower(sub)
	switch {
	case s == "pdf":
		return "application/pdf"
	case s == "rtf":
		return "application/rtf"
	case s == "html":
		return "text/html"
	case s == "jpeg" || s == "jpg":
		return "image/jpeg"
	case s == "png":
		return "image/png"
	case t == "text" || t == "tx":
		return "text/plain"
	}
	return "application/octet-stream"
}

// observation maps one OBX; it returns the Observation's id, "" if dropped.
func (m *mapper) observation(reportID, key string, obr, obx seg, notes []string, event string) string {
	code := obx.f(11)
	status, ok := obxStatus[code]
	if !ok {
		m.warn(obx.loc(11, 0), "missing or unknown result status; observation not mapped")
		return ""
	}
	id := m.id("Observation", reportID, key)
	o := resource("Observation", id).set("status", status)
	if c := obx.get(3, 1, 1, 0); vitalSigns[c] && m.codeSystem(obx.get(3, 1, 3, 0)) == "http://loinc.org" {
		o.set("category", []*object{obj("coding", []*object{obj("system",
			"http://terminology.hl7.org/CodeSystem/observation-category", "code", "vital-signs", "display", "Vital Signs")})})
	}
	cc := m.cwe(obx.fld(3, 1))
	if cc.empty() {
		cc = obj("text", "unspecified")
		m.warn(obx.loc(3, 0), "no observation identifier")
	}
	o.set("code", cc).set("subject", m.patientRef()).set("encounter", m.encounterRef())
	eff := m.dateTime(obx.f(14), obx.loc(14, 0))
	if eff == "" {
		eff = m.dateTime(obr.f(7), obr.loc(7, 0))
	}
	o.set("effectiveDateTime", eff)
	o.set("issued", m.instant(obr.f(22), obr.loc(22, 0)))
	var perf []*object
	for _, f := range obx.repsOf(16) {
		perf = append(perf, m.xcn(f))
	}
	o.set("performer", perf)
	if status != "entered-in-error" && status != "cancelled" {
		m.value(o, obx)
	}
	var interp []*object
	for _, f := range obx.repsOf(8) {
		if c := f.c(1); c != "" {
			interp = append(interp, obj("coding", []*object{interpretation(c)}))
		}
	}
	o.set("interpretation", interp)
	var ns []*object
	for _, n := range notes {
		ns = append(ns, obj("text", n))
	}
	o.set("note", ns)
	if rr := obx.f(7); rr != "" {
		o.set("referenceRange", []*object{m.referenceRange(rr, obx)})
	}
	if status == "entered-in-error" {
		m.add(OpMarkStatus, "Observation", id, status, event, o)
	} else {
		m.add(OpUpsert, "Observation", id, "", event, o)
	}
	return id
}

// interpretation maps an OBX-8 flag (table 0078); most codes are the same in
// the v3 ObservationInterpretation code system.
func interpretation(c string) *object {
	switch c {
	case "H", "HH", "L", "LL", "A", "AA", "N", "S", "R", "I", "U", "D", "B", "W", "<", ">",
		"NEG", "POS", "IND", "HU", "LU", "NR", "E", "EX", "HX", "LX", "ND", "DET", "CAR":
		return obj("system", "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation", "code", c)
	}
	return v2Coding("0078", c, "")
}

// quantity builds a Quantity from a decimal and OBX-6 units.
func (m *mapper) quantity(v string, obx seg) *object {
	q := obj("value", number(v))
	u := obx.fld(6, 1)
	unit := u.c(2)
	if unit == "" {
		unit = u.c(1)
	}
	q.set("unit", unit)
	if u.c(1) != "" && (strings.EqualFold(u.c(3), "UCUM") || strings.EqualFold(u.c(3), "ANSI+") || strings.EqualFold(u.c(3), "ISO+")) {
		q.set("system", "http://unitsofmeasure.org").set("code", u.c(1))
	}
	return q
}

// value sets Observation.value[x] from OBX-5 by OBX-2.
func (m *mapper) value(o *object, obx seg) {
	if obx.Raw("5") == `""` || obx.reps(5) == 0 {
		return
	}
	where := obx.loc(5, 0)
	typ := obx.f(2)
	switch typ {
	case "NM":
		v := obx.f(5)
		if !isDecimal(v) {
			m.warn(where, "numeric value unreadable; kept as text")
			o.set("valueString", v)
			return
		}
		o.set("valueQuantity", m.quantity(v, obx))
	case "SN":
		f := obx.fld(5, 1)
		cmp, n1, sep, n2 := f.c(1), f.c(2), f.c(3), f.c(4)
		switch {
		case sep == "" && isDecimal(n1) && (cmp == "" || cmp == "<" || cmp == ">" || cmp == "<=" || cmp == ">="):
			q := m.quantity(n1, obx)
			if cmp != "" {
				q = obj("value", q.get("value"), "comparator", cmp).set("unit", q.get("unit")).set("system", q.get("system")).set("code", q.get("code"))
			}
			o.set("valueQuantity", q)
		case (sep == "-" || sep == "+") && isDecimal(n1) && isDecimal(n2) && cmp == "":
			o.set("valueRange", obj("low", m.quantity(n1, obx), "high", m.quantity(n2, obx)))
		case (sep == ":" || sep == "/") && isDecimal(n1) && isDecimal(n2) && cmp == "":
			o.set("valueRatio", obj("numerator", obj("value", number(n1)), "denominator", obj("value", number(n2))))
		default:
			m.warn(where, "structured numeric unreadable; kept as text")
			o.set("valueString", strings.Join(nonEmpty(cmp, n1, sep, n2), " "))
		}
	case "CE", "CWE", "CNE", "CF":
		o.set("valueCodeableConcept", m.cwe(obx.fld(5, 1)))
	case "DT", "DTM", "TS":
		o.set("valueDateTime", m.dateTime(obx.f(5), where))
	case "TM":
		o.set("valueString", obx.f(5))
	default: // ST, TX, FT and anything textual
		var lines []string
		for _, f := range obx.repsOf(5) {
			lines = append(lines, strings.TrimSpace(obx.Get(strconv.Itoa(f.n)+"["+strconv.Itoa(f.rep)+"]")))
		}
		o.set("valueString", strings.Join(lines, "\n"))
		if typ != "ST" && typ != "TX" && typ != "FT" && typ != "" {
			m.warn(obx.loc(2, 0), "value type not mapped; kept as text")
		}
	}
}

// isDecimal reports whether s is a FHIR decimal (and a JSON number).
func isDecimal(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		if s[i] == '+' {
			return false
		}
		i++
	}
	start := i
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == start || (s[start] == '0' && i-start > 1) {
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		d := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == d {
			return false
		}
	}
	return i == len(s)
}

// referenceRange maps OBX-7: "3.5-5.0", "<5", ">5", or text.
func (m *mapper) referenceRange(rr string, obx seg) *object {
	lo, hi, ok := strings.Cut(rr, "-")
	if ok && isDecimal(strings.TrimSpace(lo)) && isDecimal(strings.TrimSpace(hi)) {
		return obj("low", m.quantity(strings.TrimSpace(lo), obx), "high", m.quantity(strings.TrimSpace(hi), obx))
	}
	if v := strings.TrimPrefix(rr, "<"); v != rr && isDecimal(strings.TrimSpace(strings.TrimPrefix(v, "="))) {
		return obj("high", m.quantity(strings.TrimSpace(strings.TrimPrefix(v, "=")), obx), "text", rr)
	}
	if v := strings.TrimPrefix(rr, ">"); v != rr && isDecimal(strings.TrimSpace(strings.TrimPrefix(v, "="))) {
		return obj("low", m.quantity(strings.TrimSpace(strings.TrimPrefix(v, "=")), obx), "text", rr)
	}
	return obj("text", rr)
}
