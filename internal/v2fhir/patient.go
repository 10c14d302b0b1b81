package v2fhir

import (
	"slices"
	"strings"

	"carerecord/internal/fhir"
	"carerecord/internal/nhsnumber"
)

const (
	verificationURL    = "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSNumberVerificationStatus"
	verificationSystem = "https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatusEngland"
	ethnicURL          = "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-EthnicCategory"
	ethnicSystem       = "https://fhir.hl7.org.uk/CodeSystem/UKCore-EthnicCategoryEngland"
	odsSystem          = "https://fhir.nhs.uk/Id/ods-organization-code"
	gmpSystem          = "https://fhir.hl7.org.uk/Id/gmp-number"
)

var verificationDisplay = map[string]string{
	"01": "Number present and verified",
	"02": "Number present but not traced",
	"03": "Trace required",
	"04": "Trace attempted - No match or multiple match found",
	"05": "Trace needs to be resolved - (NHS Number or patient detail conflict)",
	"06": "Trace in progress",
	"07": "Number not present and trace not required",
	"08": "Trace postponed (baby under six weeks old)",
}

// identify reads the patient identity keys from a PID (or MRG-like) segment
// and sets the patient's logical id.
func (m *mapper) identify(pid seg) error {
	keys, err := m.keysFrom(pid, 3, 2, 32)
	if err != nil {
		return err
	}
	m.keys = keys
	m.res.Patient = &m.keys
	m.patientID = m.patientIDOf(keys)
	m.res.PatientID = m.patientID
	return nil
}

// patientIDOf is the logical id of the feed's Patient with keys: from its
// first local identifier, else its NHS number.
func (m *mapper) patientIDOf(keys PatientKeys) string {
	if len(keys.Local) > 0 {
		return m.id("Patient", keys.Local[0].System, keys.Local[0].Value)
	}
	return m.id("Patient", fhir.NHSNumberSystem, keys.NHSNumber)
}

// keysFrom reads identity keys from the identifier list in field list of s
// (PID-3, MRG-1), the old-style NHS number field alt (PID-2, MRG-4; 0 for
// none) and the verification status field verif (PID-32; 0 for none).
func (m *mapper) keysFrom(s seg, list, alt, verif int) (PatientKeys, error) {
	var k PatientKeys
	rule := m.feed.NHSNumber
	types := rule.TypeCodes
	if types == nil {
		types = DefaultNHSNumberTypeCodes
	}
	useNHS := func(v, where string) {
		v = strings.ReplaceAll(v, " ", "")
		switch {
		case !nhsnumber.Valid(v):
			m.warn(where, "NHS number fails the modulus 11 check; not used")
		case k.NHSNumber == "":
			k.NHSNumber = v
		case k.NHSNumber != v:
			m.warn(where, "a second, different NHS number; not used")
		}
	}
	if rule.Field == 2 && alt > 0 {
		if v := s.f(alt); v != "" {
			useNHS(v, s.loc(alt, 0))
		}
	}
	for _, f := range s.repsOf(list) {
		v := f.c(1)
		if v == "" {
			continue
		}
		auth, typ := f.c(4), f.c(5)
		if rule.Field != 2 && (slices.Contains(types, typ) || (auth != "" && slices.Contains(rule.Authorities, auth))) {
			useNHS(v, f.loc())
			continue
		}
		ns := auth
		if ns == "" {
			ns = typ
		}
		if ns == "" {
			ns = "id"
		}
		k.Local = append(k.Local, LocalID{Organisation: m.feed.Organisation, System: m.localBase + "/" + slug(ns), Value: v})
	}
	if k.NHSNumber != "" && verif > 0 {
		k.Verification = s.f(verif)
		if _, ok := verificationDisplay[k.Verification]; !ok {
			if k.Verification != "" {
				m.warn(s.loc(verif, 0), "not a UK Core NHS number verification status; feed default used")
			}
			k.Verification = m.feed.DefaultVerification
		}
	}
	if k.NHSNumber == "" && len(k.Local) == 0 {
		return k, &Error{s.loc(list, 0), ErrNoPatientIdentifier}
	}
	return k, nil
}

// patient builds the Patient resource from PID and PD1.
func (m *mapper) patient(pid seg) *object {
	p := resource("Patient", m.patientID)
	var exts []*object
	if code := pid.f(22); code != "" {
		sys := strings.ToUpper(pid.get(22, 1, 3, 0))
		if len(code) == 1 && strings.Contains("ABCDEFGHJKLMNPRSZ", code) && (sys == "" || strings.Contains(sys, "NHS") || strings.Contains(sys, "ETHNIC")) {
			exts = append(exts, obj("url", ethnicURL, "valueCodeableConcept",
				obj("coding", []*object{obj("system", ethnicSystem, "code", code, "display", pid.get(22, 1, 2, 0))})))
		} else {
			m.warn("PID-22", "not an NHS ethnic category code; dropped")
		}
	}
	p.set("extension", exts)
	var ids []*object
	if n := m.keys.NHSNumber; n != "" {
		var ext []*object
		if v := m.keys.Verification; v != "" {
			ext = []*object{obj("url", verificationURL, "valueCodeableConcept",
				obj("coding", []*object{obj("system", verificationSystem, "code", v, "display", verificationDisplay[v])}))}
		}
		ids = append(ids, obj("extension", ext, "system", fhir.NHSNumberSystem, "value", n))
	}
	for _, l := range m.keys.Local {
		ids = append(ids, obj("system", l.System, "value", l.Value, "assigner", m.odsRef(l.Organisation, "")))
	}
	p.set("identifier", ids)
	var names, telecom, addrs []*object
	for _, f := range pid.repsOf(5) {
		names = append(names, xpn(f))
	}
	for _, f := range pid.repsOf(13) {
		telecom = append(telecom, xtn(f))
	}
	for _, f := range pid.repsOf(14) {
		if c := xtn(f); c != nil {
			if c.get("use") == nil {
				c.set("use", "work")
			}
			telecom = append(telecom, c)
		}
	}
	for _, f := range pid.repsOf(11) {
		addrs = append(addrs, xad(f))
	}
	p.set("name", names).set("telecom", telecom)
	p.set("gender", map[string]string{"M": "male", "F": "female", "O": "other", "A": "other", "U": "unknown", "N": "unknown"}[pid.f(8)])
	p.set("birthDate", m.date(pid.f(7), "PID-7"))
	if d := m.dateTime(pid.f(29), "PID-29"); d != "" {
		p.set("deceasedDateTime", d)
	} else if pid.f(30) == "Y" {
		p.set("deceasedBoolean", true)
	}
	p.set("address", addrs)
	if pd1, ok := m.first("PD1"); ok {
		p.set("generalPractitioner", m.generalPractitioners(pd1))
	}
	p.set("managingOrganization", m.odsRef(m.feed.Organisation, ""))
	return p
}

// odsRef refers to an organisation by its ODS code.
func (m *mapper) odsRef(code, display string) *object {
	if code == "" {
		if display == "" {
			return nil
		}
		return obj("display", display)
	}
	return obj("identifier", obj("system", odsSystem, "value", code), "display", display)
}

// generalPractitioners reads the GP practice (PD1-3) and the GP (PD1-4).
func (m *mapper) generalPractitioners(pd1 seg) []*object {
	var out []*object
	for _, f := range pd1.repsOf(3) {
		code := f.c(10)
		if code == "" {
			code = f.c(3)
		}
		if code == "" {
			m.warn(f.loc(), "GP practice without an ODS code; name only")
		}
		out = append(out, m.odsRef(code, f.c(1)))
	}
	for _, f := range pd1.repsOf(4) {
		r := m.xcn(f)
		if code := f.c(1); len(code) == 8 && code[0] == 'G' && isDigits(code[1:]) {
			r = obj("identifier", obj("system", gmpSystem, "value", code), "display", r.get("display"))
		}
		out = append(out, r)
	}
	return out
}

// relatedPerson maps an NK1 segment.
func (m *mapper) relatedPerson(nk1 seg) *object {
	name := nk1.fld(2, 1)
	key := strings.Join([]string{name.c(1), name.c(2), nk1.get(3, 1, 1, 0)}, "^")
	if key == "^^" {
		key = "NK1-" + nk1.f(1)
	}
	id := m.id("RelatedPerson", m.patientID, key)
	r := resource("RelatedPerson", id).set("active", true).set("patient", m.patientRef())
	rel := nk1.fld(3, 1)
	if rel.c(1) != "" && rel.c(3) == "" {
		r.set("relationship", []*object{obj("coding", []*object{v2Coding("0063", rel.c(1), rel.c(2))})})
	} else {
		r.set("relationship", []*object{m.cwe(rel)})
	}
	var names, telecom, addrs []*object
	for _, f := range nk1.repsOf(2) {
		names = append(names, xpn(f))
	}
	for _, f := range nk1.repsOf(5) {
		telecom = append(telecom, xtn(f))
	}
	for _, f := range nk1.repsOf(6) {
		if c := xtn(f); c != nil {
			if c.get("use") == nil {
				c.set("use", "work")
			}
			telecom = append(telecom, c)
		}
	}
	for _, f := range nk1.repsOf(4) {
		addrs = append(addrs, xad(f))
	}
	r.set("name", names).set("telecom", telecom).set("address", addrs)
	return r
}
