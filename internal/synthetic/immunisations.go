package synthetic

import (
	"fmt"
	"time"
)

// Immunisations given at the GP practice: seasonal influenza, COVID-19 from
// December 2020, and pneumococcal at 65.

type vaccine struct {
	code  coding
	text  string
	lot   string // lot number prefix
	route coding
}

var (
	fluVaccine    = vaccine{vaxFlu, "Seasonal influenza vaccine", "FL", routeIM}
	covidVaccine  = vaccine{vaxCovid, "COVID-19 mRNA vaccine", "CV", routeIM}
	pneumoVaccine = vaccine{vaxPneumo, "Pneumococcal polysaccharide vaccine", "PN", routeIM}
)

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// atRisk reports a condition that makes someone eligible for the NHS flu
// and COVID-19 programmes by time t.
func (p *patient) atRisk(t time.Time) bool {
	for _, k := range []condKey{cAsthma, cCOPD, cT2DM, cHF, cIHD, cCKD3, cStroke, cDementia} {
		if p.hadBy(k, t) {
			return true
		}
	}
	return false
}

func (g *generator) planImmunisations(p *patient, free func(time.Time) bool) {
	give := func(t time.Time, v vaccine, dose int) bool {
		at := g.slot(p, t)
		if !free(at) {
			return false
		}
		p.add(at, func() { g.immunisation(p, at, v, dose) })
		return true
	}
	for y := p.start.Year(); y <= p.end.Year(); y++ {
		t := g.between(date(y, time.September, 15), date(y, time.December, 15))
		age := p.ageAt(t)
		uptake := 0.0
		switch {
		case age >= 65:
			uptake = 0.75
		case age >= 18 && p.atRisk(t):
			uptake = 0.5
		}
		if g.chance(uptake) {
			give(t, fluVaccine, 1)
		}
	}
	g.planCovid(p, give)
	if turned := p.birth.AddDate(65, 0, 0); g.chance(0.7) {
		give(turned.Add(day*time.Duration(g.intIn(7, 180))), pneumoVaccine, 1)
	}
}

// planCovid follows the shape of the English programme: two primary doses
// in 2021 (the oldest first), a booster that winter, then seasonal boosters
// for the older and more vulnerable.
func (g *generator) planCovid(p *patient, give func(time.Time, vaccine, int) bool) {
	age := p.ageAt(date(2021, time.January, 1))
	if age < 18 {
		return
	}
	uptake := byAge(age, []int{50, 70}, 0.6, 0.78, 0.9)
	if !g.chance(uptake) {
		return
	}
	first := date(2021, time.June, 1)
	switch {
	case age >= 80:
		first = date(2020, time.December, 15)
	case age >= 70:
		first = date(2021, time.February, 1)
	case age >= 50:
		first = date(2021, time.March, 10)
	}
	first = first.Add(day * time.Duration(g.r.IntN(35)))
	dose := 0
	next := func(t time.Time) {
		if give(t, covidVaccine, dose+1) {
			dose++
		}
	}
	next(first)
	next(first.Add(day * time.Duration(g.intIn(56, 84))))
	if age >= 40 && g.chance(0.8) {
		next(g.between(date(2021, time.October, 1), date(2021, time.December, 31)))
	}
	seasons := []struct {
		from   time.Time
		minAge int
	}{
		{date(2022, time.September, 5), 50}, {date(2023, time.April, 10), 75}, {date(2023, time.September, 11), 65},
		{date(2024, time.April, 15), 75}, {date(2024, time.October, 3), 75}, {date(2025, time.April, 1), 75},
		{date(2025, time.October, 1), 75},
	}
	for _, s := range seasons {
		a := p.ageAt(s.from)
		if (a >= s.minAge || p.atRisk(s.from)) && g.chance(0.7) {
			next(s.from.Add(day * time.Duration(g.r.IntN(60))))
		}
	}
}

func (g *generator) immunisation(p *patient, t time.Time, v vaccine, dose int) {
	practice := g.w.practices[p.practice]
	id := g.newID()
	g.put("Immunization", id, immunizationRes{ResourceType: "Immunization", ID: id, Status: "completed",
		VaccineCode: ccText(v.text, v.code), Patient: ref("Patient", p.id), OccurrenceDateTime: fTime(t), Recorded: fTime(t),
		PrimarySource: true, Location: refD("Location", practice.site.id, practice.site.name),
		LotNumber: fmt.Sprintf("%s%04d%c", v.lot, g.r.IntN(10000), 'A'+rune(g.r.IntN(26))),
		Site:      cc(siteLeftArm), Route: cc(v.route), DoseQuantity: ucum(0.5, "mL"),
		Performer: []immunizationPerformer{{
			Function: cc(coding{System: systemPerformerFunction, Code: "AP", Display: "Administering Provider"}),
			Actor:    refD("Practitioner", p.nurse.id, p.nurse.display)}},
		ProtocolApplied: []protocolApplied{{DoseNumberPositiveInt: dose}},
	})
}
