package synthetic

import (
	"fmt"
	"strings"
)

// The shared world: the invented Wyvern Vale integrated care system, its
// organisations, sites and staff.

type orgKind int

const (
	kindICB orgKind = iota
	kindAcute
	kindMentalHealth
	kindCommunity
	kindPractice
	kindCareHome
	kindCouncil
)

type org struct {
	id, ods, name string
	kind          orgKind
	town          int
	domain        string // e-mail domain (".example")
	addr          address
	phone         string
	site          *location // main site
}

type location struct {
	id, name string
	org      *org
	parent   *location // the site a unit belongs to; nil for a site
	kind     coding    // service delivery location type (v3 RoleCode)
	physical coding
}

type practitioner struct {
	id, roleID    string
	given, family string
	gender        string
	doctor        bool
	role          coding
	spec          specialty
	org           *org
	loc           *location
	display       string
}

// acuteSite is an acute trust with its departments.
type acuteSite struct {
	trust                           *org
	ed, amu, elderly, resp, cardiac *location
	trauma, outpatients             *location
	consultants                     []*practitioner
	edDoctors, wardNurses, edNurses []*practitioner
}

type world struct {
	icb, mh, community, council *org
	acute                       [2]acuteSite
	practices                   []*org
	careHomes                   []*org
	townPractices               [][]int
	gps, practiceNurses         [][]*practitioner
	psychiatrists, cpns         []*practitioner
	mhSocialWorkers             []*practitioner
	districtNurses, matrons     []*practitioner
	socialWorkers               []*practitioner
	cmht, hub                   *location

	orgs  []*org // in emit order, as are locs and staff
	locs  []*location
	staff []*practitioner
}

// buildWorld creates and emits the shared resources.
func (g *generator) buildWorld() {
	w := &g.w
	w.icb = g.newOrg(kindICB, "QZ9", "NHS Wyvern Vale Integrated Care Board", 0, "Vale House, 1 Cathedral Square")
	trusts := [2][4]string{
		{"RZ9", "Wyvernbury University Hospitals NHS Foundation Trust", "Wyvernbury Royal Infirmary", "Infirmary Road"},
		{"RZ8", "Saltmere and Fenmoor Hospitals NHS Trust", "Saltmere General Hospital", "Harbour Road"},
	}
	for i, t := range trusts {
		town := 0
		if i == 1 {
			town = 5
		}
		trust := g.newOrg(kindAcute, t[0], t[1], town, t[3])
		g.acuteSite(i, trust, t[2])
	}
	w.mh = g.newOrg(kindMentalHealth, "RZ7", "Wyvern Vale Mental Health NHS Foundation Trust", 2, "Larkspur House, Mill Lane")
	w.cmht = g.newSite(w.mh, "Hollowford Community Mental Health Team", coding{System: systemRoleCode, Code: "COMM", Display: "Community Location"})
	w.community = g.newOrg(kindCommunity, "RZ6", "Wyvern Vale Community Health NHS Trust", 1, "Ashcombe Community Hub, Station Road")
	w.hub = g.newSite(w.community, "Ashcombe Community Hub", coding{System: systemRoleCode, Code: "COMM", Display: "Community Location"})
	g.buildPractices()
	homes := [][3]string{
		{"VZ001", "Willow Lodge Care Home", "0"},
		{"VZ002", "Meadowbank Nursing Home", "5"},
		{"VZ003", "St Clare's Residential Home", "2"},
	}
	for _, h := range homes {
		t := int(h[2][0] - '0')
		home := g.newOrg(kindCareHome, h[0], h[1], t, "")
		home.site = g.newSite(home, h[1], coding{System: systemRoleCode, Code: "NCCF", Display: "Nursing or custodial care facility"})
		w.careHomes = append(w.careHomes, home)
	}
	w.council = g.newOrg(kindCouncil, "Z9L", "Wyvern Vale Council Adult Social Care", 0, "County Hall, Market Street")
	g.buildStaff()
	g.emitWorld()
}

func (g *generator) acuteSite(i int, trust *org, siteName string) {
	a := &g.w.acute[i]
	a.trust = trust
	site := g.newSite(trust, siteName, coding{System: systemRoleCode, Code: "HOSP", Display: "Hospital"})
	trust.site = site
	ward := coding{System: systemRoleCode, Code: "HU", Display: "Hospital unit"}
	a.ed = g.newUnit(site, "Emergency Department", coding{System: systemRoleCode, Code: "ER", Display: "Emergency room"})
	a.amu = g.newUnit(site, "Acute Medical Unit", ward)
	a.elderly = g.newUnit(site, "Ward 7 (Care of the Elderly)", ward)
	a.resp = g.newUnit(site, "Ward 12 (Respiratory Medicine)", ward)
	a.cardiac = g.newUnit(site, "Ward 4 (Cardiology)", ward)
	a.trauma = g.newUnit(site, "Ward 9 (Trauma and Orthopaedics)", ward)
	a.outpatients = g.newUnit(site, "Outpatients Department", coding{System: systemRoleCode, Code: "HOSP", Display: "Hospital"})
}

func (g *generator) buildPractices() {
	w := &g.w
	names := []struct {
		name, street string
		town         int
	}{
		{"Cathedral View Medical Group", "Minster Street", 0},
		{"Northgate Surgery", "Northgate", 0},
		{"Market Street Medical Practice", "Market Street", 1},
		{"Riverside Health Centre", "Riverside Walk", 2},
		{"Bracken Lane Surgery", "Bracken Lane", 3},
		{"Elmsworth Medical Centre", "Station Road", 4},
		{"The Harbour Surgery", "Quay Street", 5},
		{"Larkhaven and Fenmoor Family Practice", "Church Lane", 6},
	}
	w.townPractices = make([][]int, len(towns))
	for i, n := range names {
		p := g.newOrg(kindPractice, fmt.Sprintf("Z9%04d", i+1), n.name, n.town, fmt.Sprintf("%d %s", g.intIn(1, 120), n.street))
		p.site = g.newSite(p, n.name, coding{System: systemRoleCode, Code: "FMC", Display: "Family Medicine clinic"})
		w.practices = append(w.practices, p)
		w.townPractices[n.town] = append(w.townPractices[n.town], i)
	}
	// Fenmoor has no surgery of its own; Larkhaven's practice serves it.
	w.townPractices[7] = append(w.townPractices[7], 7)
}

func (g *generator) newOrg(kind orgKind, ods, name string, town int, line string) *org {
	o := &org{id: g.newID(), ods: ods, name: name, kind: kind, town: town}
	if line == "" {
		line = fmt.Sprintf("%d %s %s", g.intIn(1, 90), pick(g, streetNames), pick(g, streetKinds))
	}
	o.addr = address{Use: "work", Line: []string{line}, City: towns[town].name, PostalCode: g.postcode(town), Country: "GB"}
	o.domain = strings.ToLower(ods) + ".wyvernvale.example"
	o.phone = fmt.Sprintf("03069 990%03d", g.r.IntN(1000))
	g.w.orgs = append(g.w.orgs, o)
	return o
}

func (g *generator) newSite(o *org, name string, kind coding) *location {
	l := &location{id: g.newID(), name: name, org: o, kind: kind,
		physical: coding{System: systemLocPhysicalType, Code: "bu", Display: "Building"}}
	g.w.locs = append(g.w.locs, l)
	return l
}

func (g *generator) newUnit(site *location, name string, kind coding) *location {
	l := &location{id: g.newID(), name: name, org: site.org, parent: site, kind: kind,
		physical: coding{System: systemLocPhysicalType, Code: "wa", Display: "Ward"}}
	if kind.Code != "HU" {
		l.physical = coding{System: systemLocPhysicalType, Code: "wi", Display: "Wing"}
	}
	g.w.locs = append(g.w.locs, l)
	return l
}

// postcode returns an invented postcode in a town's district.
func (g *generator) postcode(town int) string {
	return fmt.Sprintf("%s %d%c%c", towns[town].district, g.r.IntN(10),
		inwardLetters[g.r.IntN(len(inwardLetters))], inwardLetters[g.r.IntN(len(inwardLetters))])
}
