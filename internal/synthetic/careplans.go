package synthetic

import (
	"time"
)

// Episodes of care with their care teams (community nursing, community
// mental health) and care plans.

type episodeKind int

const (
	episodeCommunity episodeKind = iota
	episodeMentalHealth
)

type episode struct {
	kind       episodeKind
	start      time.Time
	lead       *practitioner
	cond       *cond
	id, teamID string
}

func member(p *practitioner, role coding) careTeamParticipant {
	return careTeamParticipant{Role: []concept{{Coding: []coding{role}}}, Member: refD("Practitioner", p.id, p.display),
		OnBehalfOf: refD("Organization", p.org.id, p.org.name)}
}

// startEpisode emits the care team, then the episode of care it serves.
func (g *generator) startEpisode(p *patient, ep *episode) {
	provider := g.w.community
	name := "Community nursing team"
	var members []careTeamParticipant
	var epType *concept
	switch ep.kind {
	case episodeCommunity:
		members = append(members, member(ep.lead, roleNurse), member(pick(g, g.w.districtNurses), roleNurse), member(p.gp, roleGP))
		if p.careHome != nil || p.has(cFrailSevere) {
			members = append(members, member(pick(g, g.w.socialWorkers), roleSocialWorker))
		}
		epType = ccText("Community nursing", coding{System: systemEpisodeType, Code: "hacc", Display: "Home and Community Care"})
	case episodeMentalHealth:
		provider, name = g.w.mh, "Community mental health team"
		members = append(members, member(ep.lead, roleNurse), member(pick(g, g.w.psychiatrists), rolePsychiatrist),
			member(pick(g, g.w.mhSocialWorkers), roleSocialWorker), member(p.gp, roleGP))
		epType = &concept{Text: "Community mental health care"}
	}
	per := &period{Start: fTime(ep.start)}
	status, teamStatus := "active", "active"
	if !p.alive() {
		per.End = fTime(p.end)
		status, teamStatus = "finished", "inactive"
	}
	ep.teamID = g.newID()
	team := careTeamRes{ResourceType: "CareTeam", ID: ep.teamID, Status: teamStatus,
		Category: []concept{{Text: "Longitudinal care coordination"}}, Name: name, Subject: ref("Patient", p.id),
		Period: per, Participant: members, ManagingOrganization: []reference{*refD("Organization", provider.id, provider.name)}}
	if ep.cond != nil && ep.cond.id != "" {
		team.ReasonReference = []reference{*ref("Condition", ep.cond.id)}
	}
	g.put("CareTeam", ep.teamID, team)
	ep.id = g.newID()
	res := episodeOfCareRes{ResourceType: "EpisodeOfCare", ID: ep.id, Status: status, Type: []concept{*epType},
		Patient: ref("Patient", p.id), ManagingOrganization: refD("Organization", provider.id, provider.name),
		Period: per, CareManager: refD("Practitioner", ep.lead.id, ep.lead.display), Team: []reference{*ref("CareTeam", ep.teamID)}}
	if ep.cond != nil && ep.cond.id != "" {
		res.Diagnosis = []episodeDiagnosis{{Condition: ref("Condition", ep.cond.id)}}
	}
	g.put("EpisodeOfCare", ep.id, res)
	if ep.kind == episodeCommunity {
		p.community = ep
	} else {
		p.mental = ep
	}
}

// activity is one care plan activity: a SNOMED CT procedure (optional)
// with what it means for this patient.
type activity struct {
	code coding
	desc string
}

type planDef struct {
	cond     condKey
	category coding
	title    string
	acts     []activity
}

var planDefs = []planDef{
	{cT2DM, sct("698360004", "Diabetes self management plan"), "Diabetes care plan", []activity{
		{sct("160670007", "Diabetic diet"), "Structured education and dietary advice"},
		{sct("229065009", "Exercise therapy"), "Aim for 150 minutes of moderate activity a week"},
		{coding{}, "Annual foot check and retinal screening"},
		{coding{}, "HbA1c every six months; target agreed at 53 mmol/mol"},
	}},
	{cAsthma, sct("699728000", "Asthma self management"), "Asthma action plan", []activity{
		{sct("710818004", "Inhaled steroid therapy"), "Use the preventer inhaler every day"},
		{coding{}, "If the reliever is needed more than three times a week, book a review"},
	}},
	{cHF, sct("735984001", "Heart failure self management plan"), "Heart failure care plan", []activity{
		{coding{}, "Weigh daily; call the heart failure nurse if weight rises by 2 kg in three days"},
		{coding{}, "Fluid and salt advice"},
		{coding{}, "Renal function and potassium after any dose change"},
	}},
	{cDementia, sct("386257007", "Dementia management"), "Living well with dementia plan", []activity{
		{sct("850261000000100", "Education about dementia"), "Information for the patient and carers"},
		{sct("710125008", "Promotion of use of memory skills"), "Memory aids and a daily routine"},
		{sct("315043002", "Long term social support"), "Carer's assessment offered"},
	}},
}

var (
	catCarePlan      = sct("734163000", "Care plan")
	anticipatoryActs = []activity{{coding{}, "Falls risk assessment and home hazards review"}, {coding{}, "Structured medication review"}, {coding{}, "Treatment escalation and resuscitation preferences discussed and recorded"}, {coding{}, "Named care co-ordinator in the community team"}}
	mentalHealthActs = []activity{{coding{}, "Care co-ordinator contact at least monthly"}, {coding{}, "Annual physical health check"}, {coding{}, "Crisis plan shared with the patient and GP"}}
)

// planCarePlans queues the care plans, emitted after the timeline so that
// every condition and care team they point at exists.
func (g *generator) planCarePlans(p *patient) {
	for i := range planDefs {
		d := &planDefs[i]
		if c := p.conds[d.cond]; c != nil && (d.cond != cAsthma || g.chance(0.5)) {
			author := choose(d.cond == cDementia, p.gp, p.nurse)
			created := g.slot(p, g.between(later(c.onset, p.start), p.end))
			p.plans = append(p.plans, func() { g.carePlan(p, d.category, d.title, d.acts, author, created, []*cond{c}, nil) })
		}
	}
	if c := frailty(p); c != nil && c.key != cFrailMild {
		created := g.slot(p, g.between(later(c.onset, p.start), p.end))
		p.plans = append(p.plans, func() {
			g.carePlan(p, catCarePlan, "Anticipatory care plan", anticipatoryActs, p.gp, created, []*cond{c}, p.community)
		})
	}
	p.plans = append(p.plans, func() {
		if ep := p.mental; ep != nil {
			g.carePlan(p, catCarePlan, "Care programme approach care plan", mentalHealthActs, ep.lead, ep.start, []*cond{ep.cond}, ep)
		}
	})
}

func frailty(p *patient) *cond {
	for _, k := range []condKey{cFrailSevere, cFrailModerate, cFrailMild} {
		if p.conds[k] != nil {
			return p.conds[k]
		}
	}
	return nil
}

func (g *generator) carePlan(p *patient, category coding, title string, acts []activity, author *practitioner,
	created time.Time, conds []*cond, ep *episode) {
	created = p.cap(created)
	id := g.newID()
	status, actStatus := "active", "in-progress"
	per := &period{Start: fDate(created)}
	if !p.alive() {
		status, actStatus = "completed", "stopped"
		per.End = fDate(p.end)
	}
	res := carePlanRes{ResourceType: "CarePlan", ID: id, Status: status, Intent: "plan", Category: []concept{{Coding: []coding{category}}},
		Title: title, Subject: ref("Patient", p.id), Period: per, Created: fTime(created),
		Author: refD("Practitioner", author.id, author.display)}
	if ep != nil && ep.teamID != "" {
		res.CareTeam = []reference{*ref("CareTeam", ep.teamID)}
	}
	for _, c := range conds {
		if c != nil && c.id != "" {
			res.Addresses = append(res.Addresses, *ref("Condition", c.id))
		}
	}
	for _, a := range acts {
		d := &carePlanDetail{Status: actStatus, Description: a.desc}
		if a.code.Code != "" {
			d.Code = cc(a.code)
		}
		res.Activity = append(res.Activity, carePlanActivity{Detail: d})
	}
	g.put("CarePlan", id, res)
}
