package v2fhir

// adt maps the ADT events that carry one patient and perhaps a visit.
func (m *mapper) adt(event string) error {
	pid, err := m.common()
	if err != nil {
		return err
	}
	pv1, hasPV1 := m.first("PV1")
	switch event {
	case "A11", "A12", "A13":
		if !hasPV1 {
			return &Error{"PV1", ErrMissingSegment}
		}
		if m.encID == "" {
			return &Error{"PV1-19", ErrMissingField}
		}
	}
	if event != "A11" {
		m.add(OpUpsert, "Patient", m.patientID, "", "", m.patient(pid))
	}
	switch event {
	case "A28", "A31":
		// the person only
	default:
		if hasPV1 {
			m.encounter(event, pv1)
		}
	}
	switch event {
	case "A01", "A04", "A05", "A08", "A28", "A31":
		for _, s := range m.all("NK1") {
			rp := m.relatedPerson(s)
			m.add(OpUpsert, "RelatedPerson", rp.get("id").(string), "", "", rp)
		}
		for _, s := range m.all("AL1") {
			m.allergy(s)
		}
		for _, s := range m.all("DG1") {
			m.condition(s)
		}
		for _, s := range m.all("PR1") {
			m.procedure(s)
		}
	}
	return nil
}

// encounter maps PV1/PV2 for an event.
func (m *mapper) encounter(event string, pv1 seg) {
	if m.encID == "" {
		m.warn("PV1-19", "no visit number or admit time; no Encounter")
		return
	}
	pv2, _ := m.first("PV2")
	status := "in-progress"
	switch event {
	case "A03":
		status = "finished"
	case "A05":
		status = "planned"
	case "A08":
		switch {
		case pv1.f(45) != "":
			status = "finished"
		case pv1.f(44) != "":
		default:
			status = "unknown"
		}
	case "A11":
		status = "entered-in-error"
	}
	e := resource("Encounter", m.encID)
	if v := pv1.f(19); v != "" {
		e.set("identifier", []*object{obj("system", m.localBase+"/visit-number", "value", v)})
	}
	e.set("status", status)
	e.set("class", encounterClass(pv1.f(2)))
	if t := pv1.fld(4, 1); t.c(1) != "" {
		e.set("type", []*object{obj("coding", []*object{v2Coding("0007", t.c(1), t.c(2))})})
	}
	e.set("subject", m.patientRef())
	var parts []*object
	for _, p := range []struct {
		field int
		code  string
	}{{7, "ATND"}, {8, "REF"}, {9, "CON"}, {17, "ADM"}} {
		for _, f := range pv1.repsOf(p.field) {
			if r := m.xcn(f); r != nil {
				typ := obj("coding", []*object{obj("system",
					"http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "code", p.code)})
				parts = append(parts, obj("type", []*object{typ}, "individual", r))
			}
		}
	}
	e.set("participant", parts)
	start := m.dateTime(pv1.f(44), "PV1-44")
	end := ""
	if event != "A13" {
		end = m.dateTime(pv1.f(45), "PV1-45")
	}
	if event == "A03" && end == "" {
		end = m.event
	}
	e.set("period", obj("start", start, "end", end))
	if r := pv2.fld(3, 1); r.c(1) != "" || r.c(2) != "" {
		e.set("reasonCode", []*object{m.cwe(r)})
	}
	var locs []*object
	if l := m.pl(pv1.fld(3, 1)); l != nil {
		st := "active"
		if status == "finished" {
			st = "completed"
		}
		locs = append(locs, obj("location", l, "status", st))
	}
	if event == "A02" {
		if l := m.pl(pv1.fld(6, 1)); l != nil {
			locs = append(locs, obj("location", l, "status", "completed"))
		}
	}
	e.set("location", locs)
	e.set("serviceProvider", m.odsRef(m.feed.Organisation, ""))
	switch event {
	case "A11":
		m.add(OpMarkStatus, "Encounter", m.encID, "entered-in-error", "", e)
	case "A12":
		m.add(OpCancelTransfer, "Encounter", m.encID, "", "", e)
	case "A13":
		m.add(OpCancelDischarge, "Encounter", m.encID, "in-progress", "", e)
	default:
		m.add(OpUpsert, "Encounter", m.encID, "", "", e)
	}
}

// encounterClass maps PV1-2 (table 0004) to a v3 ActCode.
func encounterClass(code string) *object {
	c, d := "", ""
	switch code {
	case "I":
		c, d = "IMP", "inpatient encounter"
	case "O", "R", "B":
		c, d = "AMB", "ambulatory"
	case "E":
		c, d = "EMER", "emergency"
	case "P":
		c, d = "PRENC", "pre-admission"
	}
	if c == "" {
		return obj("system", "http://terminology.hl7.org/CodeSystem/v3-NullFlavor", "code", "UNK", "display", "unknown")
	}
	return obj("system", "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code", c, "display", d)
}

// allergy maps an AL1 segment.
func (m *mapper) allergy(al1 seg) {
	code := al1.fld(3, 1)
	key := code.c(1)
	if key == "" {
		key = code.c(2)
	}
	if key == "" {
		m.warn(al1.loc(3, 0), "allergy without allergen; dropped")
		return
	}
	id := m.id("AllergyIntolerance", m.patientID, key)
	a := resource("AllergyIntolerance", id)
	a.set("clinicalStatus", obj("coding", []*object{obj("system",
		"http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "code", "active")}))
	a.set("category", map[string][]string{"DA": {"medication"}, "FA": {"food"}, "EA": {"environment"},
		"LA": {"environment"}, "PA": {"environment"}, "AA": {"environment"}, "MA": nil}[al1.f(2)])
	a.set("criticality", map[string]string{"SV": "high", "MO": "low", "MI": "low", "U": "unable-to-assess"}[al1.f(4)])
	a.set("code", m.cwe(code))
	a.set("patient", m.patientRef())
	a.set("recordedDate", m.dateTime(al1.f(6), al1.loc(6, 0)))
	var man []*object
	for _, f := range al1.repsOf(5) {
		if t := f.c(1); t != "" {
			man = append(man, obj("text", t))
		}
	}
	if len(man) > 0 {
		a.set("reaction", []*object{obj("manifestation", man)})
	}
	m.add(OpUpsert, "AllergyIntolerance", id, "", "", a)
}

// condition maps a DG1 segment to an encounter diagnosis.
func (m *mapper) condition(dg1 seg) {
	code := dg1.fld(3, 1)
	key := dg1.f(20)
	if key == "" {
		key = code.c(1)
	}
	if key == "" {
		key = dg1.f(4)
	}
	if key == "" {
		m.warn(dg1.loc(3, 0), "diagnosis without code; dropped")
		return
	}
	id := m.id("Condition", m.patientID, m.encID, key)
	c := resource("Condition", id)
	c.set("category", []*object{obj("coding", []*object{obj("system",
		"http://terminology.hl7.org/CodeSystem/condition-category", "code", "encounter-diagnosis")})})
	cc := m.cwe(code)
	if cc.empty() {
		cc = obj("text", dg1.f(4))
	}
	c.set("code", cc).set("subject", m.patientRef()).set("encounter", m.encounterRef())
	c.set("onsetDateTime", m.dateTime(dg1.f(5), dg1.loc(5, 0)))
	c.set("recordedDate", m.dateTime(dg1.f(19), dg1.loc(19, 0)))
	m.add(OpUpsert, "Condition", id, "", "", c)
}

// procedure maps a PR1 segment.
func (m *mapper) procedure(pr1 seg) {
	code := pr1.fld(3, 1)
	key := pr1.f(19)
	if key == "" {
		key = code.c(1) + "^" + pr1.f(5)
	}
	if key == "^" {
		m.warn(pr1.loc(3, 0), "procedure without code; dropped")
		return
	}
	id := m.id("Procedure", m.patientID, key)
	p := resource("Procedure", id).set("status", "completed")
	cc := m.cwe(code)
	if cc.empty() {
		cc = obj("text", pr1.f(4))
	}
	p.set("code", cc).set("subject", m.patientRef()).set("encounter", m.encounterRef())
	p.set("performedDateTime", m.dateTime(pr1.f(5), pr1.loc(5, 0)))
	var perf []*object
	for _, f := range pr1.repsOf(11) {
		if r := m.xcn(f); r != nil {
			perf = append(perf, obj("actor", r))
		}
	}
	p.set("performer", perf)
	m.add(OpUpsert, "Procedure", id, "", "", p)
}

// merge maps A34/A40: each PID/MRG pair is one Merge.
func (m *mapper) merge() error {
	if err := m.eventTime(); err != nil {
		return err
	}
	pids, mrgs := m.all("PID"), m.all("MRG")
	if len(pids) == 0 {
		return &Error{"PID", ErrMissingSegment}
	}
	if len(mrgs) == 0 {
		return &Error{"MRG", ErrMissingSegment}
	}
	for i, pid := range pids {
		if i >= len(mrgs) {
			m.warn(pid.loc(0, 0), "PID without MRG; ignored")
			continue
		}
		surv, err := m.keysFrom(pid, 3, 2, 32)
		if err != nil {
			return err
		}
		merged, err := m.keysFrom(mrgs[i], 1, 4, 0)
		if err != nil {
			return err
		}
		m.res.Merges = append(m.res.Merges, Merge{Survivor: surv, Merged: merged,
			SurvivorID: m.patientIDOf(surv), MergedID: m.patientIDOf(merged)})
	}
	return nil
}

// encounterID derives the visit's Encounter id from PV1-19, else from the
// patient and the admit time PV1-44; "" when neither is given.
func (m *mapper) encounterID(pv1 seg) string {
	if v := pv1.f(19); v != "" {
		return m.id("Encounter", "visit", v)
	}
	if a := pv1.f(44); a != "" {
		return m.id("Encounter", m.patientID, "admit", a)
	}
	return ""
}
