package synthetic

import (
	"math"
	"time"
)

// Emergency care: the emergency department attendance and, when admitted,
// the hospital stay with its observation charts, results, medicines
// reconciliation and discharge summary.

func (g *generator) ward(p *patient, s specialty, at time.Time) *location {
	a := p.acute
	switch s {
	case specRespiratory:
		return a.resp
	case specCardiology:
		return a.cardiac
	case specOrthopaedic:
		return a.trauma
	}
	if p.ageAt(at) >= 75 {
		return a.elderly
	}
	return a.amu
}

var (
	admitFromED   = coding{System: systemAdmitSource, Code: "emd", Display: "From accident/emergency department"}
	dischargeHome = coding{System: systemDischargeDisp, Code: "home", Display: "Home"}
	dischargeLong = coding{System: systemDischargeDisp, Code: "long", Display: "Long-term care"}
	dischargeDied = coding{System: systemDischargeDisp, Code: "exp", Display: "Expired"}
)

func (g *generator) emergencyCare(p *patient, e emergency) {
	a := p.acute
	d := e.def
	doc, nurse := pick(g, a.edDoctors), pick(g, a.edNurses)
	edOut := e.edDeparture()
	sev := clamp(g.normal(d.severity, 0.12), 0, 1)
	if e.died {
		sev = math.Max(sev, 0.6)
	}
	var flared []string
	if d.flare && p.conds[d.needs].id != "" {
		flared = []string{p.conds[d.needs].id}
	}
	edEnc := g.encounter(p, encSpec{class: classEmer, typ: encED, start: e.at, end: p.cap(edOut),
		reasons: []coding{d.complaint}, reasonRefs: flared, provider: a.trust, loc: a.ed, staff: doc, role: "ATND",
		others: []*practitioner{nurse}, otherRole: "PART"})
	g.vitalSet(p, edEnc, e.at.Add(minutes(g.intIn(5, 25))), nurse, sev, d.infection, d.respiratory)
	st := labState{severity: sev, infection: d.infection, kidney: d.code == "14669001"}
	if e.admitted || sev > 0.3 || g.chance(0.3) {
		tests := append(append([]labKey{}, panelFBC...), panelUE...)
		if d.infection {
			tests = append(tests, lCRP)
		}
		g.labs(p, edEnc, e.at.Add(minutes(g.intIn(30, 70))), tests, st)
	}
	resolved := edOut.Add(day * time.Duration(g.intIn(7, 21)))
	if e.admitted {
		resolved = e.discharge().Add(day * time.Duration(g.intIn(7, 21)))
	}
	if e.died || e.ongoing {
		resolved = time.Time{}
	}
	dxID := ""
	if d.flare {
		dxID = p.conds[d.needs].id
	} else {
		dxID = g.acuteCondition(p, sct(d.code, d.display), d.text, edEnc, e.at.Add(minutes(90)), doc, resolved)
	}
	if !e.admitted {
		return
	}
	g.admission(p, e, edOut, sev, st, doc, dxID, flared)
}

func (g *generator) admission(p *patient, e emergency, from time.Time, sev float64, st labState, doc *practitioner, dxID string, flared []string) {
	a, d := p.acute, e.def
	consultant := a.consultant(g, d.spec)
	ward := g.ward(p, d.spec, from)
	to := e.discharge()
	hosp := &encounterHospitalization{AdmitSource: cc(admitFromED)}
	switch {
	case e.ongoing:
		to = time.Time{}
	case e.died:
		to = p.death
		hosp.DischargeDisposition = cc(dischargeDied)
	case p.careHome != nil:
		hosp.DischargeDisposition = cc(dischargeLong)
	default:
		hosp.DischargeDisposition = cc(dischargeHome)
	}
	enc := g.encounter(p, encSpec{class: classImp, typ: encAdmission, start: from, end: to,
		reasons: []coding{d.complaint}, reasonRefs: flared, diagnosis: dxID, provider: a.trust, loc: ward, staff: consultant, role: "ATND",
		others: []*practitioner{doc}, otherRole: "ADM", hosp: hosp})
	g.medicinesReconciliation(p, enc, from.Add(minutes(g.intIn(120, 600))))
	if d.infection && (d.respiratory || g.chance(0.5)) {
		g.acutePrescription(p, mAmoxicillin, enc, from.Add(minutes(45)), consultant, dxID, "inpatient")
	}
	end := to
	if end.IsZero() {
		end = g.now
	}
	g.wardObservations(p, enc, e, from, end, sev)
	if end.Sub(from) > 2*day {
		at := time.Date(from.Year(), from.Month(), from.Day(), 6, 30, 0, 0, time.UTC).Add(2 * day)
		repeat := st
		repeat.severity *= 0.4
		if e.died {
			repeat.severity = math.Min(1, sev+0.2)
		}
		tests := append(append([]labKey{lCRP}, panelFBC...), panelUE...)
		g.labs(p, enc, p.cap(at), tests, repeat)
	}
	if !e.died && !e.ongoing {
		g.dischargeSummary(p, enc, e, from, to, consultant, ward)
	}
}

// wardObservations charts NEWS2 sets through a stay: on arrival, then
// morning and evening; severity settles with treatment, or climbs before a
// death, and is anywhere for someone still in hospital.
func (g *generator) wardObservations(p *patient, enc string, e emergency, from, to time.Time, sev float64) {
	d := e.def
	times := []time.Time{from.Add(minutes(g.intIn(20, 90)))}
	for t := time.Date(from.Year(), from.Month(), from.Day(), 8, 0, 0, 0, time.UTC); t.Before(to); t = t.Add(12 * time.Hour) {
		if t.After(times[0].Add(2 * time.Hour)) {
			times = append(times, t)
		}
	}
	if len(times) > 5 { // a sample of the chart: arrival, then evenly spread
		kept := []time.Time{times[0]}
		for i := 1; i <= 4; i++ {
			kept = append(kept, times[i*(len(times)-1)/4])
		}
		times = kept
	}
	current := g.uniform(0, 1)
	nurses := p.acute.wardNurses
	for i, t := range times {
		if t.After(to) {
			break
		}
		frac := float64(i) / math.Max(float64(len(times)-1), 1)
		s := sev * math.Exp(-2.5*frac)
		switch {
		case e.died:
			s = math.Min(1, sev+(1-sev)*frac)
		case e.ongoing:
			s = sev + (current-sev)*frac
		}
		g.vitalSet(p, enc, t, pick(g, nurses), clamp(s+g.normal(0, 0.05), 0, 1), d.infection, d.respiratory)
	}
}
