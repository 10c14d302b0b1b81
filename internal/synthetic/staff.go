package synthetic

import (
	"fmt"
	"strings"
)

// Staff of the shared world, and emitting the shared resources.

func (g *generator) buildStaff() {
	w := &g.w
	for _, p := range w.practices {
		gps := make([]*practitioner, g.intIn(3, 5))
		for j := range gps {
			gps[j] = g.newStaff(p, p.site, true, roleGP, specGP)
		}
		nurses := make([]*practitioner, g.intIn(1, 2))
		for j := range nurses {
			nurses[j] = g.newStaff(p, p.site, false, roleNurse, specGP)
		}
		w.gps = append(w.gps, gps)
		w.practiceNurses = append(w.practiceNurses, nurses)
	}
	specs := []specialty{specGenMed, specGenMed, specCardiology, specDiabetes, specRespiratory, specGeriatrics,
		specRheumatol, specNeurology, specNephrology, specOrthopaedic}
	for i := range w.acute {
		a := &w.acute[i]
		for _, s := range specs {
			role := choose(s == specOrthopaedic, roleDoctor, rolePhysician)
			a.consultants = append(a.consultants, g.newStaff(a.trust, a.outpatients, true, role, s))
		}
		for range 3 {
			a.edDoctors = append(a.edDoctors, g.newStaff(a.trust, a.ed, true, roleDoctor, specEmergency))
			a.wardNurses = append(a.wardNurses, g.newStaff(a.trust, a.amu, false, roleNurse, specGenMed))
		}
		for range 2 {
			a.edNurses = append(a.edNurses, g.newStaff(a.trust, a.ed, false, roleNurse, specEmergency))
		}
	}
	for range 2 {
		w.psychiatrists = append(w.psychiatrists, g.newStaff(w.mh, w.cmht, true, rolePsychiatrist, specPsychiatry))
	}
	for range 3 {
		w.cpns = append(w.cpns, g.newStaff(w.mh, w.cmht, false, roleNurse, specPsychiatry))
	}
	w.mhSocialWorkers = append(w.mhSocialWorkers, g.newStaff(w.mh, w.cmht, false, roleSocialWorker, specPsychiatry))
	for range 4 {
		w.districtNurses = append(w.districtNurses, g.newStaff(w.community, w.hub, false, roleNurse, specGeriatrics))
	}
	for range 2 {
		w.matrons = append(w.matrons, g.newStaff(w.community, w.hub, false, roleNurse, specGeriatrics))
	}
	for range 3 {
		w.socialWorkers = append(w.socialWorkers, g.newStaff(w.council, nil, false, roleSocialWorker, specialty{}))
	}
}

// consultant returns a consultant of an acute trust in a specialty (general
// medicine when the trust has none).
func (a *acuteSite) consultant(g *generator, s specialty) *practitioner {
	var found []*practitioner
	for _, c := range a.consultants {
		if c.spec == s {
			found = append(found, c)
		}
	}
	if len(found) == 0 {
		return a.consultant(g, specGenMed)
	}
	return pick(g, found)
}

func (g *generator) newStaff(o *org, loc *location, doctor bool, role coding, spec specialty) *practitioner {
	femaleShare := 0.5
	if !doctor {
		femaleShare = 0.85
	}
	female := g.chance(femaleShare)
	given, family := g.personName(pick(g, staffPools), female, g.now.Year()-g.intIn(26, 64))
	p := &practitioner{id: g.newID(), roleID: g.newID(), given: given, family: family, doctor: doctor,
		role: role, spec: spec, org: o, loc: loc, gender: "male"}
	if female {
		p.gender = "female"
	}
	p.display = given + " " + family
	if doctor {
		p.display = "Dr " + p.display
	}
	g.w.staff = append(g.w.staff, p)
	return p
}

// personName draws a given name and a surname from a pool. British given
// names follow the birth year.
func (g *generator) personName(pool *namePool, female bool, birthYear int) (given, family string) {
	names := pool.male
	if female {
		names = pool.female
	}
	if pool.british || len(names) == 0 {
		cohort := 3
		switch {
		case birthYear < 1950:
			cohort = 0
		case birthYear < 1975:
			cohort = 1
		case birthYear < 2000:
			cohort = 2
		}
		names = britishMale[cohort]
		if female {
			names = britishFemale[cohort]
		}
	}
	i := g.r.IntN(len(pool.surnames))
	family = pool.surnames[i]
	if female && pool.femaleSurnames != nil {
		family = pool.femaleSurnames[i]
	}
	return pick(g, names), family
}

// registration returns the professional register identifier of a member of
// staff: GMC for doctors, NMC for nurses, HCPC for social workers. Values
// start with 99 so they cannot be mistaken for real registrations.
func (g *generator) registration(p *practitioner) identifier {
	switch {
	case p.doctor:
		return identifier{System: systemGMC, Value: fmt.Sprintf("99%05d", g.r.IntN(100000))}
	case p.role.Code == roleSocialWorker.Code:
		return identifier{System: systemHCPC, Value: fmt.Sprintf("SW99%04d", g.r.IntN(10000))}
	}
	return identifier{System: systemNMC, Value: fmt.Sprintf("99%c%04d%c", 'A'+rune(g.r.IntN(26)), g.r.IntN(10000), 'A'+rune(g.r.IntN(26)))}
}

var orgTypes = map[orgKind]concept{
	kindICB:          {Coding: []coding{{System: systemOrgType, Code: "govt", Display: "Government"}}, Text: "Integrated care board"},
	kindAcute:        {Coding: []coding{{System: systemOrgType, Code: "prov", Display: "Healthcare Provider"}}, Text: "NHS trust (acute)"},
	kindMentalHealth: {Coding: []coding{{System: systemOrgType, Code: "prov", Display: "Healthcare Provider"}}, Text: "NHS trust (mental health)"},
	kindCommunity:    {Coding: []coding{{System: systemOrgType, Code: "prov", Display: "Healthcare Provider"}}, Text: "NHS trust (community)"},
	kindPractice:     {Coding: []coding{{System: systemOrgType, Code: "prov", Display: "Healthcare Provider"}}, Text: "GP practice"},
	kindCareHome:     {Coding: []coding{{System: systemOrgType, Code: "prov", Display: "Healthcare Provider"}}, Text: "Care home"},
	kindCouncil:      {Coding: []coding{{System: systemOrgType, Code: "govt", Display: "Government"}}, Text: "Local authority adult social care"},
}

// emitWorld emits the shared resources: organisations, locations,
// practitioners, then their roles.
func (g *generator) emitWorld() {
	g.emitOrganizations()
	g.emitLocations()
	g.emitStaff()
}

func (g *generator) emitOrganizations() {
	w := &g.w
	for _, o := range w.orgs {
		res := organizationRes{ResourceType: "Organization", ID: o.id, Active: true, Name: o.name,
			Identifier: []identifier{{System: systemODS, Value: o.ods}},
			Type:       []concept{orgTypes[o.kind]},
			Telecom: []contactPoint{{System: "phone", Value: o.phone, Use: "work"},
				{System: "email", Value: "enquiries@" + o.domain, Use: "work"}},
			Address: []address{o.addr},
		}
		if o.kind == kindPractice {
			res.PartOf = refD("Organization", w.icb.id, w.icb.name)
		}
		g.put("Organization", o.id, res)
	}
}

func (g *generator) emitLocations() {
	w := &g.w
	for _, l := range w.locs {
		res := locationRes{ResourceType: "Location", ID: l.id, Status: "active", Name: l.name, Mode: "instance",
			Type:                 []concept{{Coding: []coding{l.kind}}},
			PhysicalType:         cc(l.physical),
			ManagingOrganization: refD("Organization", l.org.id, l.org.name),
		}
		if l.parent != nil {
			res.PartOf = refD("Location", l.parent.id, l.parent.name)
		} else {
			addr := l.org.addr
			res.Address = &addr
			res.Telecom = []contactPoint{{System: "phone", Value: l.org.phone, Use: "work"}}
			if l.org.kind == kindAcute {
				res.Identifier = []identifier{{System: systemODSSite, Value: l.org.ods + "01"}}
			}
		}
		g.put("Location", l.id, res)
	}
}

func (g *generator) emitStaff() {
	w := &g.w
	for _, p := range w.staff {
		name := humanName{Use: "official", Family: p.family, Given: []string{p.given}}
		if p.doctor {
			name.Prefix = []string{"Dr"}
		}
		email := strings.ToLower(strings.ReplaceAll(p.given+"."+p.family, " ", "")) + "@" + p.org.domain
		g.put("Practitioner", p.id, practitionerRes{ResourceType: "Practitioner", ID: p.id, Active: true,
			Identifier: []identifier{g.registration(p)},
			Name:       []humanName{name},
			Telecom:    []contactPoint{{System: "email", Value: emailSafe(email), Use: "work"}},
			Gender:     p.gender,
		})
	}
	for _, p := range w.staff {
		res := practitionerRoleRes{ResourceType: "PractitionerRole", ID: p.roleID, Active: true,
			Practitioner: refD("Practitioner", p.id, p.display),
			Organization: refD("Organization", p.org.id, p.org.name),
			Code:         []concept{{Coding: []coding{p.role}}},
			Telecom:      []contactPoint{{System: "phone", Value: p.org.phone, Use: "work"}},
		}
		if p.spec.code != "" {
			res.Specialty = []concept{{Coding: []coding{p.spec.coding()}}}
		}
		if p.loc != nil {
			res.Location = []reference{*refD("Location", p.loc.id, p.loc.name)}
		}
		g.put("PractitionerRole", p.roleID, res)
	}
}

// emailSafe drops characters an e-mail local part should not carry
// (apostrophes, accents).
func emailSafe(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '.', r == '@', r == '-':
			b.WriteRune(r)
		case r > 127:
			b.WriteRune(asciiFold(r))
		}
	}
	return b.String()
}

// asciiFold maps the accented letters the name lists use to plain ones.
func asciiFold(r rune) rune {
	switch r {
	case 'ś', 'š':
		return 's'
	case 'ó', 'ò':
		return 'o'
	case 'ń':
		return 'n'
	case 'ė', 'é':
		return 'e'
	case 'ł':
		return 'l'
	}
	return 'x'
}
