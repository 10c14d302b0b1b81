package synthetic

import (
	"slices"
	"time"
)

// Planning a patient's history: which contacts happen when. Emergencies are
// planned first so nothing else is booked while the patient is in hospital.

type stay struct{ from, to time.Time }

// emergency is a planned emergency department attendance, perhaps with an
// admission.
type emergency struct {
	at       time.Time
	def      *acuteDef
	admitted bool
	days     int
	died     bool // the patient dies at the end of the stay
	ongoing  bool // still in hospital now
	edHours  float64
}

func (e emergency) edDeparture() time.Time {
	return e.at.Add(time.Duration(e.edHours * float64(time.Hour)))
}

func (e emergency) discharge() time.Time {
	edOut := e.edDeparture()
	if !e.admitted {
		return edOut
	}
	return edOut.Add(time.Duration(e.days)*day + time.Duration(e.days%5)*time.Hour)
}

func (g *generator) planHistory(p *patient) {
	var busy []stay
	for _, e := range g.planEmergencies(p) {
		busy = append(busy, stay{e.at.Add(-2 * day), e.discharge().Add(day)})
		p.add(e.at, func() { g.emergencyCare(p, e) })
		if e.admitted && !e.died && !e.ongoing {
			if t := e.discharge().Add(day * time.Duration(g.intIn(7, 14))); t.Before(p.end) {
				at := g.slot(p, t)
				p.add(at, func() { g.gpConsult(p, at, consultFollowUp, nil, e.def) })
			}
		}
	}
	free := func(t time.Time) bool {
		for _, s := range busy {
			if !t.Before(s.from) && !t.After(s.to) {
				return false
			}
		}
		return !t.Before(p.start) && !t.After(p.end)
	}
	g.planDiagnoses(p)
	g.planConsults(p, free)
	g.planReviews(p, free)
	g.planClinics(p, free)
	g.planCommunity(p, free)
	g.planMentalHealth(p, free)
	g.planImmunisations(p, free)
	g.planMedStarts(p)
	g.planFuture(p)
	g.planCarePlans(p)
}

// slot is a working-hours time on or after t. A t within the patient's
// history gives a slot within it too; a later t stays later, so the
// planners' free check rejects it.
func (g *generator) slot(p *patient, t time.Time) time.Time {
	s := g.clinicTime(t)
	if s.After(p.end) && !t.After(p.end) {
		return t
	}
	return s
}

// cap keeps t within the patient's lifetime (and not after now).
func (p *patient) cap(t time.Time) time.Time { return earlier(t, p.end) }

func (p *patient) years() float64 { return p.end.Sub(p.start).Hours() / (365.25 * 24) }

func (g *generator) planEmergencies(p *patient) []emergency {
	age := p.ageAt(p.end)
	rate := byAge(age, []int{5, 16, 65, 80}, 0.35, 0.2, 0.18, 0.35, 0.6) + 0.12*float64(p.ltcCount())
	if p.has(cFrailSevere) {
		rate += 0.3
	}
	n := min(g.poisson(rate*p.years()), 6)
	var out []emergency
	for range n {
		e := emergency{at: g.between(p.start, p.end)}
		if !g.fillEmergency(p, &e) || e.edDeparture().After(p.end) {
			continue
		}
		if e.admitted && e.discharge().After(p.end) {
			if !p.alive() {
				continue // would outlast the patient; the final admission is planned below
			}
			e.ongoing = true
		}
		out = append(out, e)
	}
	if !p.alive() && age >= 60 && g.chance(0.5) {
		e := emergency{}
		if g.fillEmergency(p, &e) && e.def.admit > 0 {
			e.admitted, e.died = true, true
			e.days = g.intIn(2, 12)
			e.at = p.death.Add(-time.Duration(e.days)*day - time.Duration(e.days%5)*time.Hour - time.Duration(e.edHours*float64(time.Hour)))
			if !e.at.Before(p.start) && (e.def.needs < 0 || p.hadBy(e.def.needs, e.at)) {
				out = append(out, e)
			}
		}
	}
	if p.alive() && g.chance(0.002+0.012*elderly(age)+0.002*float64(p.ltcCount())) {
		e := emergency{at: g.now.Add(-time.Duration(g.intIn(6, 140)) * time.Hour)}
		if !e.at.Before(p.start) && g.fillEmergency(p, &e) && e.def.admit > 0 {
			e.admitted, e.ongoing = true, true
			out = append(out, e)
		}
	}
	return dropOverlaps(out)
}

// fillEmergency chooses what happened; false if nothing fits the patient.
func (g *generator) fillEmergency(p *patient, e *emergency) bool {
	t := e.at
	if t.IsZero() {
		t = p.end
	}
	age := p.ageAt(t)
	weights := make([]float64, len(acuteDefs))
	any := false
	for i := range acuteDefs {
		d := &acuteDefs[i]
		if age < d.minAge || (d.needs >= 0 && !p.hadBy(d.needs, t)) {
			continue
		}
		weights[i] = max(d.weight(age), 0)
		any = any || weights[i] > 0
	}
	if !any {
		return false
	}
	e.def = &acuteDefs[g.weighted(weights)]
	admit := e.def.admit * (1 + elderly(age)*0.5)
	e.admitted = g.chance(admit)
	e.days = g.intIn(e.def.minStay, e.def.maxStay) + int(elderly(age)*2)
	e.edHours = g.uniform(1.5, 5.5)
	return true
}

// dropOverlaps keeps emergencies in time order without overlapping stays.
func dropOverlaps(es []emergency) []emergency {
	slices.SortStableFunc(es, func(a, b emergency) int { return a.at.Compare(b.at) })
	var out []emergency
	for _, e := range es {
		if len(out) > 0 && !e.at.After(out[len(out)-1].discharge().Add(2*day)) {
			continue
		}
		out = append(out, e)
	}
	return out
}

// planDiagnoses books the GP consultation at which each condition diagnosed
// during the history window is recorded.
func (g *generator) planDiagnoses(p *patient) {
	for _, c := range p.conds {
		if c == nil || c.onset.Before(p.start) {
			continue
		}
		t := g.slot(p, c.onset)
		p.add(t, func() { g.gpConsult(p, t, consultDiagnosis, c, nil) })
	}
}

func (g *generator) planConsults(p *patient, free func(time.Time) bool) {
	age := p.ageAt(p.end)
	rate := byAge(age, []int{5, 16, 45, 65, 80}, 3, 1.2, choose(p.female, 2.2, 1.2), 2.5, 3.5, 4.5) +
		0.4*float64(p.ltcCount())
	n := min(g.poisson(rate*p.years()), 30)
	for range n {
		t := g.slot(p, g.between(p.start, p.end))
		if !free(t) {
			continue
		}
		if g.chance(0.05) {
			status := choose(g.chance(0.6), "noshow", "cancelled")
			p.add(t, func() { g.missedAppointment(p, t, status) })
			continue
		}
		p.add(t, func() { g.gpConsult(p, t, consultRoutine, nil, nil) })
	}
}

// reviewDue lists the long-term conditions reviewed at time t.
func (p *patient) reviewDue(t time.Time) []condKey {
	var ks []condKey
	for k, c := range p.conds {
		if c != nil && condDefs[k].review && c.onset.Before(t.AddDate(0, -3, 0)) {
			ks = append(ks, condKey(k))
		}
	}
	return ks
}

func (g *generator) planReviews(p *patient, free func(time.Time) bool) {
	month := time.Month(p.birth.Month())
	for y := p.start.Year(); y <= p.end.Year(); y++ {
		t := g.slot(p, time.Date(y, month, 1+g.r.IntN(27), 0, 0, 0, 0, time.UTC))
		if !free(t) || len(p.reviewDue(t)) == 0 {
			continue
		}
		p.add(t, func() { g.review(p, t, false) })
		if p.hadBy(cT2DM, t) {
			if m := g.slot(p, t.AddDate(0, 6, 0)); free(m) {
				p.add(m, func() { g.review(p, m, true) })
			}
		}
	}
	age := p.ageAt(p.end)
	if age >= 40 && age < 75 && len(p.reviewDue(p.end)) == 0 && g.chance(0.35) {
		if t := g.slot(p, g.between(p.start, p.end)); free(t) {
			p.add(t, func() { g.healthCheck(p, t) })
		}
	}
}

// clinicChance is how likely a patient with the condition is under a
// hospital clinic.
var clinicChance = map[condKey]float64{
	cAsthma: 0.05, cT2DM: 0.2, cCOPD: 0.25, cIHD: 0.4, cAF: 0.5, cHF: 0.7, cOA: 0.15,
	cDementia: 0.5, cEpilepsy: 0.6, cRA: 0.9, cFrailSevere: 0.3,
}

func (g *generator) planClinics(p *patient, free func(time.Time) bool) {
	for k, c := range p.conds {
		if c == nil || condDefs[k].spec == nil || !g.chance(clinicChance[condKey(k)]) {
			continue
		}
		spec := *condDefs[k].spec
		consultant := p.acute.consultant(g, spec)
		t := later(c.onset.Add(day*time.Duration(g.intIn(40, 90))), p.start.Add(day*time.Duration(g.r.IntN(300))))
		first := c.onset.After(p.start)
		for t.Before(p.end) {
			at := g.slot(p, t)
			if free(at) {
				switch {
				case g.chance(0.07):
					p.add(at, func() { g.missedClinic(p, at, consultant, condKey(k), "noshow") })
				case g.chance(0.05):
					p.add(at, func() { g.missedClinic(p, at, consultant, condKey(k), "cancelled") })
				default:
					isFirst := first
					p.add(at, func() { g.clinic(p, at, consultant, condKey(k), isFirst) })
					first = false
				}
			}
			t = t.Add(day * time.Duration(g.intIn(150, 380)))
		}
		if p.alive() && t.Before(g.now.AddDate(0, 9, 0)) {
			due := g.clinicTime(later(t, g.now.Add(day)))
			p.add(due, func() { g.bookedClinic(p, due, consultant, condKey(k)) })
		}
	}
}

func (g *generator) planCommunity(p *patient, free func(time.Time) bool) {
	age := p.ageAt(p.end)
	eligible := (p.has(cFrailSevere) || p.has(cFrailModerate)) && age >= 75 && g.chance(0.5)
	eligible = eligible || (p.has(cHF) && age >= 80 && g.chance(0.3)) || (p.careHome != nil && g.chance(0.4))
	if !eligible {
		return
	}
	from := p.start
	for _, k := range []condKey{cFrailSevere, cFrailModerate, cHF} {
		if p.has(k) {
			from = later(from, p.conds[k].onset.Add(30*day))
		}
	}
	if !from.Before(p.end.Add(-20 * day)) {
		return
	}
	start := g.slot(p, g.between(later(from, p.end.AddDate(-2, 0, 0)), p.end.Add(-14*day)))
	ep := &episode{kind: episodeCommunity, start: start, lead: pick(g, g.w.matrons)}
	p.add(start, func() { g.startEpisode(p, ep) })
	visits := 0
	for t := start.Add(day * time.Duration(g.intIn(3, 10))); t.Before(p.end) && visits < 12; t = t.Add(day * time.Duration(g.intIn(14, 42))) {
		at := g.slot(p, t)
		if free(at) && at.After(start) {
			nurse := pick(g, g.w.districtNurses)
			p.add(at, func() { g.homeVisit(p, at, ep, nurse) })
			visits++
		}
	}
}

func (g *generator) planMentalHealth(p *patient, free func(time.Time) bool) {
	var c *cond
	for _, k := range []condKey{cSchizophrenia, cBipolar} {
		if p.has(k) {
			c = p.conds[k]
		}
	}
	if c == nil && p.has(cDepression) && p.ageAt(p.end) >= 18 && g.chance(0.1) {
		c = p.conds[cDepression]
	}
	if c == nil {
		return
	}
	from := later(p.start, c.onset.Add(30*day))
	if !from.Before(p.end.Add(-20 * day)) {
		return
	}
	start := g.slot(p, g.between(from, later(from, p.end.AddDate(-1, 0, 0))))
	ep := &episode{kind: episodeMentalHealth, start: start, lead: pick(g, g.w.cpns), cond: c}
	p.add(start, func() { g.startEpisode(p, ep) })
	contacts := 0
	for t := start.Add(day * time.Duration(g.intIn(7, 21))); t.Before(p.end) && contacts < 10; t = t.Add(day * time.Duration(g.intIn(28, 70))) {
		at := g.slot(p, t)
		if free(at) && at.After(start) {
			p.add(at, func() { g.mhContact(p, at, ep) })
			contacts++
		}
	}
}

// planMedStarts issues the first prescription of each regular medicine
// started during the history window.
func (g *generator) planMedStarts(p *patient) {
	for _, m := range p.meds {
		if m.start.Before(p.start) {
			continue
		}
		t := g.slot(p, m.start)
		if t.Before(m.start) {
			t = m.start
		}
		p.add(t, func() { g.prescribe(p, m, t, "") })
	}
}

// planFuture books appointments after today for living patients.
func (g *generator) planFuture(p *patient) {
	if !p.alive() {
		return
	}
	if g.chance(0.25) {
		t := g.clinicTime(g.now.Add(day * time.Duration(g.intIn(1, 21))))
		p.add(t, func() { g.bookedGP(p, t, p.gp, "ROUTINE", "Booked GP appointment") })
	}
	if len(p.reviewDue(g.now)) > 0 && g.chance(0.5) {
		t := g.clinicTime(g.now.Add(day * time.Duration(g.intIn(7, 60))))
		p.add(t, func() { g.bookedGP(p, t, p.nurse, "CHECKUP", "Long-term condition annual review") })
	}
}
