package synthetic

import (
	"time"
)

// Problems, allergies and medicines.

var (
	clinicalActive   = cc(coding{System: systemCondClinical, Code: "active", Display: "Active"})
	clinicalResolved = cc(coding{System: systemCondClinical, Code: "resolved", Display: "Resolved"})
	verifConfirmed   = cc(coding{System: systemCondVerification, Code: "confirmed", Display: "Confirmed"})
	catProblem       = []concept{{Coding: []coding{{System: systemCondCategory, Code: "problem-list-item", Display: "Problem List Item"}}}}
	catDiagnosis     = []concept{{Coding: []coding{{System: systemCondCategory, Code: "encounter-diagnosis", Display: "Encounter Diagnosis"}}}}
	allergyActive    = cc(coding{System: systemAllergyClinical, Code: "active", Display: "Active"})
	allergyConfirmed = cc(coding{System: systemAllergyVerif, Code: "confirmed", Display: "Confirmed"})
)

// condition emits a long-term condition, recorded at a contact (enc) or,
// for conditions older than the history window, from the GP record.
func (g *generator) condition(p *patient, c *cond, enc string, recorded time.Time, by *practitioner) {
	c.id = g.newID()
	res := conditionRes{ResourceType: "Condition", ID: c.id, ClinicalStatus: clinicalActive, VerificationStatus: verifConfirmed,
		Category: catProblem, Code: cc(condCoding(c.key)), Subject: ref("Patient", p.id),
		OnsetDateTime: fDate(c.onset), RecordedDate: fTime(p.cap(recorded)), Recorder: refD("Practitioner", by.id, by.display)}
	if enc != "" {
		res.Encounter = ref("Encounter", enc)
	}
	g.put("Condition", c.id, res)
}

// acuteCondition emits an encounter diagnosis; it is resolved if it ended
// (resolved) before the end of the history.
func (g *generator) acuteCondition(p *patient, code coding, text, enc string, at time.Time, by *practitioner, resolved time.Time) string {
	id := g.newID()
	at = p.cap(at)
	res := conditionRes{ResourceType: "Condition", ID: id, ClinicalStatus: clinicalActive, VerificationStatus: verifConfirmed,
		Category: catDiagnosis, Code: ccText(text, code), Subject: ref("Patient", p.id), Encounter: ref("Encounter", enc),
		OnsetDateTime: fTime(at), RecordedDate: fTime(at), Recorder: refD("Practitioner", by.id, by.display)}
	if !resolved.IsZero() && resolved.Before(p.end) {
		res.ClinicalStatus = clinicalResolved
		res.AbatementDateTime = fDate(resolved)
	}
	g.put("Condition", id, res)
	return id
}

// emitAllergies records allergies, or that the patient has none known.
func (g *generator) emitAllergies(p *patient) {
	n := 0
	if g.chance(0.2) {
		n = 1 + choose(g.chance(0.2), 1, 0)
	}
	age := p.ageAt(p.end)
	if n == 0 {
		if g.chance(choose(age < 16, 0.4, 0.75)) {
			id := g.newID()
			g.put("AllergyIntolerance", id, allergyRes{ResourceType: "AllergyIntolerance", ID: id, ClinicalStatus: allergyActive,
				VerificationStatus: allergyConfirmed, Code: cc(noKnownAllergy), Patient: ref("Patient", p.id),
				RecordedDate: fTime(g.between(p.start, p.end)), Recorder: refD("Practitioner", p.gp.id, p.gp.display)})
		}
		return
	}
	w := make([]float64, len(allergyDefs))
	for i, a := range allergyDefs {
		w[i] = float64(a.weight)
	}
	seen := map[int]bool{}
	for range n {
		i := g.weighted(w)
		if seen[i] {
			continue
		}
		seen[i] = true
		g.allergy(p, &allergyDefs[i])
	}
}

func (g *generator) allergy(p *patient, a *allergyDef) {
	var onset time.Time
	if a.childhood {
		onset = g.between(p.birth.AddDate(0, 6, 0), earlier(p.birth.AddDate(10, 0, 0), p.end))
	} else {
		onset = g.between(p.birth.AddDate(2, 0, 0), p.end)
	}
	onset = p.cap(later(onset, p.birth))
	recorded := p.cap(onset.Add(day * time.Duration(g.intIn(0, 30))))
	reaction := pick(g, a.reactions)
	crit, severity := "low", "mild"
	switch reaction.Code {
	case rxAnaphylax.Code:
		crit, severity = "high", "severe"
	case rxAngioedema.Code:
		crit, severity = "high", "moderate"
	}
	id := g.newID()
	g.put("AllergyIntolerance", id, allergyRes{ResourceType: "AllergyIntolerance", ID: id,
		ClinicalStatus: allergyActive, VerificationStatus: allergyConfirmed, Type: "allergy", Category: []string{a.category},
		Criticality: crit, Code: cc(sct(a.code, a.display)), Patient: ref("Patient", p.id),
		OnsetDateTime: fDate(onset), RecordedDate: fTime(recorded), Recorder: refD("Practitioner", p.gp.id, p.gp.display),
		Reaction: []allergyReaction{{Manifestation: []concept{{Coding: []coding{reaction}}}, Severity: severity}}})
}

// emitPreWindow records what the GP record already held when the history
// window opens: older diagnoses and the regular medicines started for them.
func (g *generator) emitPreWindow(p *patient) {
	for _, c := range p.conds {
		if c != nil && c.onset.Before(p.start) {
			g.condition(p, c, "", c.onset.Add(day*time.Duration(g.intIn(0, 14))), p.gp)
		}
	}
	for _, m := range p.meds {
		if m.start.Before(p.start) {
			g.prescribe(p, m, m.start, "")
		}
	}
}

func (m *medDef) dosage() dosage {
	d := dosage{Text: m.instructions, AsNeededBool: m.asNeeded, Route: cc(m.route),
		DoseAndRate: []doseAndRate{{DoseQuantity: &quantity{Value: m.dose, Unit: m.unit}}}}
	if m.perDay > 0 {
		d.Timing = &timing{Repeat: &timingRepeat{Frequency: m.perDay, Period: 1, PeriodUnit: "d"}}
	}
	return d
}

var (
	courseContinuous = cc(coding{System: systemCourseOfTherapy, Code: "continuous", Display: "Continuous long term therapy"})
	courseAcute      = cc(coding{System: systemCourseOfTherapy, Code: "acute", Display: "Short course (acute) therapy"})
	medCategories    = map[string]coding{
		"community": {System: systemMedReqCategory, Code: "community", Display: "Community"},
		"inpatient": {System: systemMedReqCategory, Code: "inpatient", Display: "Inpatient"},
	}
)

// prescribe issues the repeat prescription of a regular medicine.
func (g *generator) prescribe(p *patient, m *med, at time.Time, enc string) {
	d := &medDefs[m.key]
	m.id = g.newID()
	res := medicationRequestRes{ResourceType: "MedicationRequest", ID: m.id, Status: "active", Intent: "order",
		Category:                  []concept{{Coding: []coding{medCategories["community"]}}},
		MedicationCodeableConcept: cc(sct(d.code, d.display)), Subject: ref("Patient", p.id),
		AuthoredOn: fTime(at), Requester: refD("Practitioner", m.by.id, m.by.display),
		CourseOfTherapyType: courseContinuous, DosageInstruction: []dosage{d.dosage()},
		DispenseRequest: &dispenseRequest{NumberOfRepeatsAllowed: 5, Quantity: &quantity{Value: float64(d.pack), Unit: d.unit}},
	}
	if !p.alive() {
		res.Status = "stopped"
	}
	if d.perDay > 0 {
		res.DispenseRequest.ExpectedSupplyDuration = ucum(float64(d.pack)/(d.dose*float64(d.perDay)), "d")
	}
	if enc != "" {
		res.Encounter = ref("Encounter", enc)
	}
	if m.cond != nil && m.cond.id != "" {
		res.ReasonReference = []reference{*ref("Condition", m.cond.id)}
	}
	g.put("MedicationRequest", m.id, res)
}

// acutePrescription is a short course, such as an antibiotic.
func (g *generator) acutePrescription(p *patient, k medKey, enc string, at time.Time, by *practitioner, reason, category string) {
	d := &medDefs[k]
	id := g.newID()
	at = p.cap(at)
	res := medicationRequestRes{ResourceType: "MedicationRequest", ID: id, Status: "completed", Intent: "order",
		Category:                  []concept{{Coding: []coding{medCategories[category]}}},
		MedicationCodeableConcept: cc(sct(d.code, d.display)), Subject: ref("Patient", p.id), Encounter: ref("Encounter", enc),
		AuthoredOn: fTime(at), Requester: refD("Practitioner", by.id, by.display),
		CourseOfTherapyType: courseAcute, DosageInstruction: []dosage{d.dosage()},
		DispenseRequest: &dispenseRequest{Quantity: &quantity{Value: float64(d.pack), Unit: d.unit}, ExpectedSupplyDuration: ucum(5, "d")},
	}
	if at.Add(5 * day).After(p.end) {
		res.Status = choose(p.alive(), "active", "stopped")
	}
	if reason != "" {
		res.ReasonReference = []reference{*ref("Condition", reason)}
	}
	g.put("MedicationRequest", id, res)
}

// medicinesReconciliation records, on admission, the regular medicines the
// patient says they take.
func (g *generator) medicinesReconciliation(p *patient, enc string, at time.Time) {
	at = p.cap(at)
	for _, m := range p.meds {
		if m.start.After(at) {
			continue
		}
		d := &medDefs[m.key]
		id := g.newID()
		res := medicationStatementRes{ResourceType: "MedicationStatement", ID: id, Status: "active",
			MedicationCodeableConcept: cc(sct(d.code, d.display)), Subject: ref("Patient", p.id), Context: ref("Encounter", enc),
			EffectivePeriod: &period{Start: fDate(m.start)}, DateAsserted: fTime(at), InformationSource: ref("Patient", p.id),
			Dosage: []dosage{{Text: d.instructions}}}
		if m.id != "" {
			res.DerivedFrom = []reference{*ref("MedicationRequest", m.id)}
		}
		if m.cond != nil && m.cond.id != "" {
			res.ReasonReference = []reference{*ref("Condition", m.cond.id)}
		}
		g.put("MedicationStatement", id, res)
	}
}
