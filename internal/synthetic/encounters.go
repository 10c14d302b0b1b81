package synthetic

import (
	"time"
)

// Emitting contacts: each function writes one contact's Encounter and the
// resources it produced (appointment, observations, diagnoses, medicines,
// letters), in an order where references only point backwards.

var (
	classAmb  = coding{System: systemActCode, Code: "AMB", Display: "ambulatory"}
	classEmer = coding{System: systemActCode, Code: "EMER", Display: "emergency"}
	classImp  = coding{System: systemActCode, Code: "IMP", Display: "inpatient encounter"}
	classHome = coding{System: systemActCode, Code: "HH", Display: "home health"}
	classVirt = coding{System: systemActCode, Code: "VR", Display: "virtual"}
)

var participationDisplay = map[string]string{
	"PPRF": "primary performer", "ATND": "attender", "ADM": "admitter", "DIS": "discharger", "PART": "Participation",
}

func participation(code string) []concept {
	return []concept{{Coding: []coding{{System: systemParticipationType, Code: code, Display: participationDisplay[code]}}}}
}

type encSpec struct {
	class      coding
	typ        coding
	typText    string
	start, end time.Time // zero end: still in progress
	reasons    []coding
	reasonRefs []string // Condition ids
	diagnosis  string   // admission diagnosis: a Condition id
	provider   *org
	loc        *location
	staff      *practitioner
	role       string // participation type of staff
	others     []*practitioner
	otherRole  string
	appt       string
	episode    string
	hosp       *encounterHospitalization
}

func (g *generator) encounter(p *patient, s encSpec) string {
	id := g.newID()
	res := encounterRes{ResourceType: "Encounter", ID: id, Status: "finished", Class: s.class,
		Type:            []concept{{Coding: []coding{s.typ}, Text: s.typText}},
		Subject:         ref("Patient", p.id),
		Period:          &period{Start: fTime(s.start)},
		ServiceProvider: refD("Organization", s.provider.id, s.provider.name),
		Hospitalization: s.hosp,
	}
	if s.end.IsZero() {
		res.Status = "in-progress"
	} else {
		res.Period.End = fTime(s.end)
	}
	if s.staff != nil {
		res.Participant = append(res.Participant, encounterParticipant{Type: participation(s.role), Individual: refD("Practitioner", s.staff.id, s.staff.display)})
	}
	for _, o := range s.others {
		res.Participant = append(res.Participant, encounterParticipant{Type: participation(s.otherRole), Individual: refD("Practitioner", o.id, o.display)})
	}
	for _, r := range s.reasons {
		res.ReasonCode = append(res.ReasonCode, concept{Coding: []coding{r}})
	}
	for _, id := range s.reasonRefs {
		res.ReasonReference = append(res.ReasonReference, *ref("Condition", id))
	}
	if s.diagnosis != "" {
		res.Diagnosis = []encounterDiagnosis{{Condition: ref("Condition", s.diagnosis), Rank: 1,
			Use: cc(coding{System: systemDiagnosisRole, Code: "AD", Display: "Admission diagnosis"})}}
	}
	if s.appt != "" {
		res.Appointment = []reference{*ref("Appointment", s.appt)}
	}
	if s.episode != "" {
		res.EpisodeOfCare = []reference{*ref("EpisodeOfCare", s.episode)}
	}
	if s.loc != nil {
		status := "completed"
		if s.end.IsZero() {
			status = "active"
		}
		res.Location = []encounterLocation{{Location: refD("Location", s.loc.id, s.loc.name), Status: status, Period: res.Period}}
	}
	g.put("Encounter", id, res)
	return id
}

func minutes(n int) time.Duration { return time.Duration(n) * time.Minute }

type consultKind int

const (
	consultRoutine consultKind = iota
	consultDiagnosis
	consultFollowUp
)

// gpReason is a reason to see the GP, with what it usually turns out to be.
type gpReason struct {
	complaint      coding
	dx             *coding
	antibiotic     bool
	minAge, maxAge int
	femaleOnly     bool
	weight         float64
}

var (
	dxLRTI      = sct("50417007", "Lower respiratory tract infection")
	dxURTI      = sct("54150009", "Upper respiratory infection")
	dxTonsil    = sct("90176007", "Tonsillitis")
	dxOtitis    = sct("65363002", "Otitis media")
	dxUTI       = sct("68566005", "Urinary tract infectious disease")
	rcDysuria   = sct("49650001", "Dysuria")
	rcEarache   = sct("16001004", "Otalgia")
	noGPReason  = gpReason{}
	gpReasonSet = []gpReason{
		{rcCough, &dxLRTI, true, 16, 120, false, 2},
		{rcCough, &dxURTI, false, 0, 120, false, 4},
		{rcSoreThroat, &dxTonsil, false, 2, 60, false, 2},
		{rcEarache, &dxOtitis, false, 0, 12, false, 4},
		{rcDysuria, &dxUTI, false, 16, 120, true, 2},
		{rcBackPain, nil, false, 18, 120, false, 3},
		{rcJointPain, nil, false, 30, 120, false, 2},
		{rcFatigue, nil, false, 16, 120, false, 2},
		{rcHeadache, nil, false, 10, 120, false, 1.5},
		{rcDizziness, nil, false, 40, 120, false, 1},
		{rcRash, nil, false, 0, 120, false, 1.5},
		{rcAbdoPain, nil, false, 5, 120, false, 1.5},
		{rcFever, nil, false, 0, 10, false, 3},
	}
)

func (g *generator) pickReason(p *patient, age int) gpReason {
	w := make([]float64, len(gpReasonSet))
	for i, r := range gpReasonSet {
		if age >= r.minAge && age <= r.maxAge && (!r.femaleOnly || p.female) {
			w[i] = r.weight
		}
	}
	return gpReasonSet[g.weighted(w)]
}

func condCoding(k condKey) coding { return sct(condDefs[k].code, condDefs[k].display) }

// gpConsult is a GP consultation: to diagnose a condition, to follow up a
// hospital stay, or for whatever brings the patient in.
func (g *generator) gpConsult(p *patient, t time.Time, kind consultKind, c *cond, after *acuteDef) {
	age := p.ageAt(t)
	practice := g.w.practices[p.practice]
	reason := noGPReason
	typ := encSymptom
	var reasons []coding
	switch {
	case kind == consultDiagnosis:
		typ, reasons = encProblem, []coding{condCoding(c.key)}
	case kind == consultFollowUp:
		typ, reasons = encFollowUp, []coding{sct(after.code, after.display)}
	case len(p.reviewDue(t)) > 0 && g.chance(0.35):
		typ, reasons = encProblem, []coding{condCoding(pick(g, p.reviewDue(t)))}
	default:
		reason = g.pickReason(p, age)
		reasons = []coding{reason.complaint}
	}
	phone := kind != consultDiagnosis && g.chance(choose(t.Year() >= 2020, 0.35, 0.1))
	clinician := p.gp
	if g.chance(0.3) {
		clinician = pick(g, g.w.gps[p.practice])
	}
	spec := encSpec{class: classAmb, typ: typ, start: t, end: p.cap(t.Add(minutes(g.intIn(8, 20)))), reasons: reasons,
		provider: practice, loc: practice.site, staff: clinician, role: "PPRF"}
	if phone {
		spec.class, spec.typ, spec.loc = classVirt, encTelephone, nil
	} else if g.chance(0.8) {
		spec.appt = g.appointment(p, apptSpec{status: "fulfilled", start: t, mins: 10, who: clinician, where: practice.site,
			kind: "ROUTINE", spec: specGP, reason: reasons[0]})
	}
	enc := g.encounter(p, spec)
	if c != nil {
		g.condition(p, c, enc, t, clinician)
	}
	dxID := ""
	if reason.dx != nil {
		dxID = g.acuteCondition(p, *reason.dx, "", enc, t, clinician, t.Add(14*day))
	}
	if !phone {
		g.consultVitals(p, enc, t.Add(minutes(3)), clinician, reason)
	}
	if reason.antibiotic && g.chance(0.7) {
		g.acutePrescription(p, mAmoxicillin, enc, t.Add(minutes(8)), clinician, dxID, "community")
	}
}

// review is a long-term condition review with the practice nurse (or the
// six-monthly diabetes check when mid is set).
func (g *generator) review(p *patient, t time.Time, mid bool) {
	practice := g.w.practices[p.practice]
	ks := p.reviewDue(t)
	var reasons []coding
	for _, k := range ks {
		reasons = append(reasons, condCoding(k))
	}
	text := "Long-term condition annual review"
	if mid {
		text, reasons = "Diabetes six-monthly check", []coding{condCoding(cT2DM)}
	}
	appt := ""
	if g.chance(0.85) {
		appt = g.appointment(p, apptSpec{status: "fulfilled", start: t, mins: 20, who: p.nurse, where: practice.site,
			kind: "CHECKUP", spec: specGP, reason: reasons[0], desc: text})
	}
	enc := g.encounter(p, encSpec{class: classAmb, typ: encCheckUp, typText: text, start: t, end: p.cap(t.Add(minutes(20))),
		reasons: reasons, provider: practice, loc: practice.site, staff: p.nurse, role: "PPRF", appt: appt})
	at := t.Add(minutes(5))
	g.bloodPressure(p, enc, at, p.nurse, 0)
	g.quantityVital(p, enc, at, p.nurse, vitalHR, g.heartRate(p, 0))
	if !mid {
		g.bodyMeasures(p, enc, at, p.nurse)
	}
	if p.hadBy(cCOPD, t) || p.hadBy(cAsthma, t) || p.hadBy(cHF, t) {
		g.quantityVital(p, enc, at, p.nurse, vitalSpO2, g.spo2(p, 0, false))
		g.quantityVital(p, enc, at, p.nurse, vitalRR, g.respRate(p, 0))
	}
	g.labs(p, enc, t.Add(minutes(15)), g.reviewLabs(p, t, mid), labState{})
}

// reviewLabs chooses the blood tests of a review.
func (g *generator) reviewLabs(p *patient, t time.Time, mid bool) []labKey {
	if mid {
		return []labKey{lHbA1c}
	}
	var ks []labKey
	has := func(cs ...condKey) bool {
		for _, c := range cs {
			if p.hadBy(c, t) {
				return true
			}
		}
		return false
	}
	if has(cT2DM, cPrediabetes) {
		ks = append(ks, lHbA1c)
	}
	if has(cT2DM, cHypertension, cCKD3, cHF, cAF) || p.onMed(mRamipril, t) || p.onMed(mLosartan, t) {
		ks = append(ks, panelUE...)
	}
	if has(cT2DM, cIHD, cHyperchol, cStroke) || p.onMed(mAtorvastatin, t) || p.onMed(mSimvastatin, t) {
		ks = append(ks, panelLipid...)
	}
	if has(cCKD3, cHF, cAF, cRA) {
		ks = append(ks, panelFBC...)
	}
	if has(cHypothyroid) {
		ks = append(ks, lTSH)
	}
	if has(cHF) && g.chance(0.5) {
		ks = append(ks, lNTproBNP)
	}
	return ks
}

// healthCheck is an NHS Health Check for an adult without long-term
// conditions.
func (g *generator) healthCheck(p *patient, t time.Time) {
	practice := g.w.practices[p.practice]
	appt := g.appointment(p, apptSpec{status: "fulfilled", start: t, mins: 30, who: p.nurse, where: practice.site,
		kind: "CHECKUP", spec: specGP, desc: "NHS Health Check"})
	enc := g.encounter(p, encSpec{class: classAmb, typ: encCheckUp, typText: "NHS Health Check", start: t, end: p.cap(t.Add(minutes(30))),
		provider: practice, loc: practice.site, staff: p.nurse, role: "PPRF", appt: appt})
	at := t.Add(minutes(5))
	g.bloodPressure(p, enc, at, p.nurse, 0)
	g.quantityVital(p, enc, at, p.nurse, vitalHR, g.heartRate(p, 0))
	g.bodyMeasures(p, enc, at, p.nurse)
	g.labs(p, enc, t.Add(minutes(20)), []labKey{lCholesterol, lHDL, lHbA1c}, labState{})
}

// clinic is a hospital outpatient appointment that took place.
func (g *generator) clinic(p *patient, t time.Time, consultant *practitioner, k condKey, first bool) {
	a := p.acute
	kind, typ := "FOLLOWUP", encFollowUp
	if first {
		kind, typ = "ROUTINE", encConsult
	}
	appt := g.appointment(p, apptSpec{status: "fulfilled", start: t, mins: choose(first, 30, 20), who: consultant,
		where: a.outpatients, kind: kind, spec: consultant.spec, reason: condCoding(k)})
	enc := g.encounter(p, encSpec{class: classAmb, typ: typ, typText: consultant.spec.display + " outpatient clinic", start: t,
		end: p.cap(t.Add(minutes(choose(first, 30, 20)))), reasons: []coding{condCoding(k)},
		provider: a.trust, loc: a.outpatients, staff: consultant, role: "PPRF", appt: appt})
	at := t.Add(minutes(5))
	g.bloodPressure(p, enc, at, consultant, 0)
	g.quantityVital(p, enc, at, consultant, vitalHR, g.heartRate(p, 0))
	if k == cHF || k == cCOPD || k == cAF {
		g.quantityVital(p, enc, at, consultant, vitalSpO2, g.spo2(p, 0, false))
		g.bodyMeasures(p, enc, at, consultant)
	}
	var tests []labKey
	switch k {
	case cHF:
		tests = append([]labKey{lNTproBNP}, panelUE...)
	case cT2DM:
		tests = []labKey{lHbA1c}
	case cRA:
		tests = append([]labKey{lCRP}, panelFBC...)
	}
	g.labs(p, enc, t.Add(minutes(25)), tests, labState{})
	g.clinicLetter(p, enc, t, consultant, k, first)
}

func (g *generator) missedClinic(p *patient, t time.Time, consultant *practitioner, k condKey, status string) {
	g.appointment(p, apptSpec{status: status, start: t, mins: 20, who: consultant, where: p.acute.outpatients,
		kind: "FOLLOWUP", spec: consultant.spec, reason: condCoding(k)})
}

func (g *generator) bookedClinic(p *patient, t time.Time, consultant *practitioner, k condKey) {
	g.appointment(p, apptSpec{status: "booked", start: t, mins: 20, who: consultant, where: p.acute.outpatients,
		kind: "FOLLOWUP", spec: consultant.spec, reason: condCoding(k), created: g.now.Add(-day * time.Duration(g.intIn(1, 120)))})
}

func (g *generator) missedAppointment(p *patient, t time.Time, status string) {
	practice := g.w.practices[p.practice]
	g.appointment(p, apptSpec{status: status, start: t, mins: 10, who: p.gp, where: practice.site, kind: "ROUTINE", spec: specGP})
}

func (g *generator) bookedGP(p *patient, t time.Time, who *practitioner, kind, desc string) {
	practice := g.w.practices[p.practice]
	g.appointment(p, apptSpec{status: "booked", start: t, mins: choose(kind == "CHECKUP", 20, 10), who: who, where: practice.site,
		kind: kind, spec: specGP, desc: desc, created: g.now.Add(-day * time.Duration(g.intIn(0, 20)))})
}

// homeVisit is a district nurse's visit within a community episode.
func (g *generator) homeVisit(p *patient, t time.Time, ep *episode, nurse *practitioner) {
	enc := g.encounter(p, encSpec{class: classHome, typ: encHomeVisit, typText: "Community nursing visit", start: t,
		end: p.cap(t.Add(minutes(g.intIn(25, 50)))), provider: g.w.community, staff: nurse, role: "PPRF", episode: ep.id})
	sev := 0.0
	if g.chance(0.12) {
		sev = g.uniform(0.2, 0.6)
	}
	g.vitalSet(p, enc, t.Add(minutes(10)), nurse, sev, false, p.has(cCOPD) || p.has(cHF))
	if p.has(cHF) {
		g.quantityVital(p, enc, t.Add(minutes(12)), nurse, vitalWeight, g.weight(p, t))
	}
}

// mhContact is a contact with the community mental health team.
func (g *generator) mhContact(p *patient, t time.Time, ep *episode) {
	who := ep.lead
	if g.chance(0.25) {
		who = pick(g, g.w.psychiatrists)
	}
	s := encSpec{class: classAmb, typ: encFollowUp, typText: "Community mental health team review", start: t,
		end: p.cap(t.Add(minutes(g.intIn(30, 60)))), provider: g.w.mh, loc: g.w.cmht, staff: who, role: "PPRF", episode: ep.id}
	if ep.cond != nil {
		s.reasons = []coding{condCoding(ep.cond.key)}
	}
	if g.chance(0.3) {
		s.class, s.typ, s.loc = classHome, encHomeVisit, nil
	}
	enc := g.encounter(p, s)
	if g.chance(0.2) {
		g.bloodPressure(p, enc, t.Add(minutes(10)), who, 0)
		g.bodyMeasures(p, enc, t.Add(minutes(10)), who)
	}
}
