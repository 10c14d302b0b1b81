package synthetic

import (
	"fmt"
	"strings"
	"time"

	"carerecord/internal/nhsnumber"
)

// patient is one person's plan: demographics, conditions, medicines and the
// events of their history, before and while it is emitted.
type patient struct {
	id, nhs   string
	verified  bool
	female    bool
	birth     time.Time
	death     time.Time // zero while alive
	start     time.Time // first day of the history window
	end       time.Time // death, or now
	ethnic    *ethnicGroup
	given     []string
	family    string
	prefix    string
	town      int
	practice  int
	gp, nurse *practitioner
	careHome  *org
	line      string
	postcode  string
	acute     *acuteSite
	mrn       string

	conds  [numConds]*cond
	meds   []*med
	base   baseline
	hba1c  float64 // personal HbA1c set point, mmol/mol
	egfr   float64 // personal eGFR set point
	events []event
	plans  []func() // care plans, emitted after the timeline

	community, mental *episode
}

type cond struct {
	key   condKey
	onset time.Time
	id    string // set once emitted
}

type med struct {
	key   medKey
	start time.Time
	cond  *cond
	id    string // MedicationRequest id once emitted
	by    *practitioner
}

type event struct {
	at  time.Time
	run func()
}

func (p *patient) add(at time.Time, run func()) { p.events = append(p.events, event{at, run}) }

func (p *patient) alive() bool { return p.death.IsZero() }

func (p *patient) has(k condKey) bool { return p.conds[k] != nil }

// hadBy reports whether the condition was diagnosed by t.
func (p *patient) hadBy(k condKey, t time.Time) bool {
	return p.conds[k] != nil && !p.conds[k].onset.After(t)
}

func (p *patient) ageAt(t time.Time) int { return ageAt(p.birth, t) }

// fullName is the name as letters print it: "Mrs Margaret Ann SMITH".
func (p *patient) fullName() string {
	s := strings.Join(p.given, " ") + " " + strings.ToUpper(p.family)
	if p.prefix != "" {
		s = p.prefix + " " + s
	}
	return s
}

// ltcCount counts long-term conditions with an annual review.
func (p *patient) ltcCount() int {
	n := 0
	for k, c := range p.conds {
		if c != nil && condDefs[k].review {
			n++
		}
	}
	return n
}

// ageBands are the population shares (per cent) of five-year age bands,
// roughly England's.
var ageBands = []float64{5.4, 5.9, 6.0, 5.6, 6.0, 6.6, 6.9, 6.7, 6.3, 6.6, 7.0, 6.9, 6.0, 5.2, 5.1, 3.8, 2.6, 1.6, 0.7, 0.2}

// patient plans and emits patient i.
func (g *generator) patient(i int) {
	p := g.demographics(i)
	g.planConditions(p)
	g.planBaseline(p)
	g.planHome(p)
	g.planMeds(p)
	g.planHistory(p)
	g.emitPatient(p)
	g.emitAllergies(p)
	g.emitPreWindow(p)
	sortEvents(p.events)
	for _, e := range p.events {
		e.run()
	}
	for _, cp := range p.plans {
		cp()
	}
}

func (g *generator) demographics(i int) *patient {
	p := &patient{id: g.newID()}
	p.nhs = nhsnumber.Test((g.nhsBase + i*g.nhsStride) % nhsnumber.TestCount)
	p.verified = !g.chance(0.04)
	band := g.weighted(ageBands)
	age := band*5 + g.r.IntN(5)
	b := g.now.AddDate(-age, 0, -g.intIn(1, 364))
	p.birth = time.Date(b.Year(), b.Month(), b.Day(), 0, 0, 0, 0, time.UTC)
	age = ageAt(p.birth, g.now)
	femaleShare := 0.5
	if age >= 80 {
		femaleShare = 0.6
	}
	p.female = g.chance(femaleShare)
	p.end = g.now
	if g.chance(deathRisk(age)) {
		from := later(p.birth.Add(day), g.now.AddDate(-3, 0, 0))
		p.death = g.between(from, g.now.Add(-day))
		p.end = p.death
	}
	p.start = later(p.birth, yearsBefore(g.now, historyYears))
	weights := make([]float64, len(ethnicGroups))
	for j, e := range ethnicGroups {
		weights[j] = e.weight
		if age >= 65 && e.code == "A" {
			weights[j] *= 1.8
		}
	}
	p.ethnic = &ethnicGroups[g.weighted(weights)]
	given, family := g.personName(p.ethnic.names, p.female, p.birth.Year())
	p.given, p.family = []string{given}, family
	if g.chance(0.4) {
		second, _ := g.personName(p.ethnic.names, p.female, p.birth.Year())
		if second != given {
			p.given = append(p.given, second)
		}
	}
	p.prefix = g.namePrefix(p.female, age)
	tw := make([]float64, len(towns))
	for j, t := range towns {
		tw[j] = float64(t.weight)
	}
	p.town = g.weighted(tw)
	p.practice = pick(g, g.w.townPractices[p.town])
	p.gp = pick(g, g.w.gps[p.practice])
	p.nurse = pick(g, g.w.practiceNurses[p.practice])
	p.acute = &g.w.acute[towns[p.town].acute]
	p.line = fmt.Sprintf("%d %s %s", g.intIn(1, 180), pick(g, streetNames), pick(g, streetKinds))
	p.postcode = g.postcode(p.town)
	p.mrn = fmt.Sprintf("%c%07d", p.acute.trust.name[0], g.r.IntN(10000000))
	return p
}

// deathRisk is the chance that someone of this age died in the last three
// years (and so is recorded as deceased).
func deathRisk(age int) float64 {
	switch {
	case age >= 90:
		return 0.25
	case age >= 80:
		return 0.12
	case age >= 70:
		return 0.04
	case age >= 50:
		return 0.008
	}
	return 0.001
}

func (g *generator) namePrefix(female bool, age int) string {
	switch {
	case age < 16:
		return ""
	case !female:
		return "Mr"
	case age < 25:
		return pick(g, []string{"Miss", "Ms"})
	}
	return pick(g, []string{"Mrs", "Mrs", "Mrs", "Ms", "Ms", "Miss"})
}

// planHome moves some frail older people into a care home.
func (g *generator) planHome(p *patient) {
	if p.ageAt(p.end) < 75 || !(p.has(cDementia) || p.has(cFrailSevere)) || !g.chance(0.45) {
		return
	}
	p.careHome = pick(g, g.w.careHomes)
	p.town = p.careHome.town
	p.line = p.careHome.addr.Line[0]
	p.postcode = p.careHome.addr.PostalCode
}

var verification = map[bool]coding{
	true:  {System: systemNHSVerification, Code: "01", Display: "Number present and verified"},
	false: {System: systemNHSVerification, Code: "02", Display: "Number present but not traced"},
}

var maritalStatuses = []coding{
	{System: systemMaritalStatus, Code: "M", Display: "Married"},
	{System: systemMaritalStatus, Code: "S", Display: "Never Married"},
	{System: systemMaritalStatus, Code: "W", Display: "Widowed"},
	{System: systemMaritalStatus, Code: "D", Display: "Divorced"},
}

func (g *generator) emitPatient(p *patient) {
	age := p.ageAt(p.end)
	practice := g.w.practices[p.practice]
	res := patientRes{ResourceType: "Patient", ID: p.id, Active: true,
		Extension: []extension{{URL: urlEthnicCategory, ValueCodeableConcept: cc(coding{System: systemEthnicCategory, Code: p.ethnic.code, Display: p.ethnic.display})}},
		Identifier: []identifier{
			{Extension: []extension{{URL: urlNHSVerification, ValueCodeableConcept: cc(verification[p.verified])}},
				System: systemNHSNumber, Value: p.nhs},
			{Use: "usual", Type: cc(coding{System: systemIdentifierType, Code: "MR", Display: "Medical record number"}),
				System:   "https://fhir." + strings.ToLower(p.acute.trust.ods) + ".wyvernvale.example/Id/local-patient-identifier",
				Value:    p.mrn,
				Assigner: refD("Organization", p.acute.trust.id, p.acute.trust.name)},
		},
		Name:      []humanName{{Use: "official", Family: p.family, Given: p.given}},
		Gender:    "male",
		BirthDate: fDate(p.birth),
		Address: []address{{Use: "home", Type: "both", Line: []string{p.line}, City: towns[p.town].name,
			PostalCode: p.postcode, Country: "GB"}},
		GeneralPractitioner:  []reference{*refD("Organization", practice.id, practice.name), *refD("Practitioner", p.gp.id, p.gp.display)},
		ManagingOrganization: refD("Organization", practice.id, practice.name),
	}
	if p.female {
		res.Gender = "female"
	}
	if p.prefix != "" {
		res.Name[0].Prefix = []string{p.prefix}
	}
	if !p.alive() {
		res.DeceasedDateTime = fTime(p.death)
	}
	if p.careHome != nil {
		res.Address[0].Line = append([]string{p.careHome.name}, res.Address[0].Line...)
	}
	res.Telecom = g.patientTelecom(p, age)
	if age >= 18 {
		young := age < 25
		ms := maritalStatuses[g.weighted([]float64{
			choose(young, 5.0, 50), choose(young, 90.0, 25), float64(max(age-60, 0)) * 0.8, choose(young, 1.0, 10)})]
		res.MaritalStatus = cc(ms)
	}
	if age < 16 || age >= 70 || g.chance(0.3) {
		res.Contact = []patientContact{g.nextOfKin(p, age)}
	}
	g.put("Patient", p.id, res)
}

func (g *generator) patientTelecom(p *patient, age int) []contactPoint {
	var t []contactPoint
	if p.careHome != nil {
		return []contactPoint{{System: "phone", Value: p.careHome.phone, Use: "work"}}
	}
	if age >= 12 && g.chance(0.95-float64(max(age-70, 0))/40) {
		t = append(t, contactPoint{System: "phone", Value: fmt.Sprintf("07700 900%03d", g.r.IntN(1000)), Use: "mobile", Rank: 1})
	}
	if g.chance(0.55) {
		t = append(t, contactPoint{System: "phone", Value: fmt.Sprintf("01632 960%03d", g.r.IntN(1000)), Use: "home", Rank: len(t) + 1})
	}
	if age >= 18 && age < 75 && g.chance(0.45) {
		local := emailSafe(strings.ToLower(p.given[0] + "." + p.family))
		t = append(t, contactPoint{System: "email", Value: fmt.Sprintf("%s%d@mail.example", local, g.r.IntN(100)), Use: "home"})
	}
	return t
}

func (g *generator) nextOfKin(p *patient, age int) patientContact {
	female := g.chance(0.6)
	given, _ := g.personName(p.ethnic.names, female, p.birth.Year()+pick(g, []int{-28, 28, 0}))
	name := &humanName{Use: "usual", Family: p.family, Given: []string{given}}
	text := "Next of kin"
	switch {
	case age < 16:
		text = "Parent"
	case age >= 70:
		text = "Next of kin (son or daughter)"
	}
	return patientContact{
		Relationship: []concept{{Coding: []coding{{System: systemContactRole, Code: "N", Display: "Next-of-Kin"}}, Text: text}},
		Name:         name,
		Telecom:      []contactPoint{{System: "phone", Value: fmt.Sprintf("07700 900%03d", g.r.IntN(1000)), Use: "mobile"}},
	}
}
