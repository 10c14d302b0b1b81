package synthetic

import (
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"carerecord/internal/nhsnumber"
)

// Letters: discharge summaries after hospital stays and clinic letters after
// outpatient appointments, as short plain-text documents.

// hospitalCourse says how each acute illness was treated.
var hospitalCourse = map[string]string{
	"233604007": "Treated with antibiotics and oxygen; inflammatory markers fell and oxygen was weaned off.",
	"91302008":  "Treated on the sepsis pathway with intravenous fluids and antibiotics, then oral antibiotics.",
	"195951007": "Treated with nebulisers, oral prednisolone and antibiotics; back to baseline breathlessness.",
	"84114007":  "Offloaded with intravenous furosemide; weight down and oedema improving.",
	"49436004":  "Rate controlled; anticoagulation reviewed and continued.",
	"68566005":  "Treated with antibiotics according to urine culture; confusion resolved.",
	"128045006": "Treated with intravenous then oral antibiotics; erythema receding.",
	"5913000":   "Underwent surgical fixation; mobilising with a frame with physiotherapy.",
	"14669001":  "Treated with intravenous fluids; nephrotoxic medicines held; renal function recovering.",
}

var clinicPlans = map[condKey]string{
	cT2DM:        "HbA1c reviewed; diet and exercise advice reinforced. Please continue current therapy.",
	cCOPD:        "Inhaler technique reviewed and a rescue pack discussed. Pulmonary rehabilitation offered.",
	cAsthma:      "Asthma well controlled on current inhalers; personalised asthma action plan updated.",
	cIHD:         "No angina on current treatment. Continue secondary prevention.",
	cAF:          "Rate well controlled. Continue anticoagulation; no changes made.",
	cHF:          "Euvolaemic today. Continue current heart failure medicines; please check renal function and potassium in two weeks.",
	cOA:          "Offered physiotherapy; we will consider joint replacement if symptoms progress.",
	cDementia:    "Cognition broadly stable. Carers are coping; memory service will continue to follow up.",
	cEpilepsy:    "No seizures since last review. Continue current treatment; driving advice given.",
	cRA:          "Disease activity low. Continue current treatment with blood monitoring.",
	cFrailSevere: "Comprehensive geriatric assessment completed; falls prevention and medicines review advised.",
}

func pronoun(p *patient) string { return choose(p.female, "She", "He") }

// salutation is how a letter refers to the patient: "Mrs Smith", or a
// child's first name.
func salutation(p *patient) string {
	if p.prefix == "" {
		return p.given[0]
	}
	return p.prefix + " " + p.family
}

func (g *generator) letterHeader(b *strings.Builder, p *patient, site string) {
	practice := g.w.practices[p.practice]
	fmt.Fprintf(b, "%s\n\n", site)
	fmt.Fprintf(b, "Patient: %s\nNHS number: %s    Date of birth: %s\nHospital number: %s\nGP practice: %s\n\n",
		p.fullName(), nhsnumber.Format(p.nhs), fUK(p.birth), p.mrn, practice.name)
}

func (g *generator) medicineList(b *strings.Builder, p *patient, at time.Time, extra string) {
	b.WriteString("Medicines:\n")
	n := 0
	for _, m := range p.meds {
		if !m.start.After(at) {
			d := &medDefs[m.key]
			fmt.Fprintf(b, "- %s: %s\n", d.display, d.instructions)
			n++
		}
	}
	if extra != "" {
		fmt.Fprintf(b, "- %s (new, complete the course)\n", extra)
		n++
	}
	if n == 0 {
		b.WriteString("- None\n")
	}
}

func (p *patient) comorbidities(at time.Time) string {
	var names []string
	for k, c := range p.conds {
		if c != nil && !c.onset.After(at) {
			names = append(names, condDefs[k].display)
		}
	}
	if len(names) == 0 {
		return "None recorded"
	}
	return strings.Join(names, "; ")
}

func (g *generator) dischargeSummary(p *patient, enc string, e emergency, from, to time.Time, consultant *practitioner, ward *location) {
	d := e.def
	var b strings.Builder
	g.letterHeader(&b, p, p.acute.trust.site.name+"\nDISCHARGE SUMMARY")
	dest := choose(p.careHome != nil, "back to "+p.careHome.nameOr(), "to usual residence")
	fmt.Fprintf(&b, "Admitted: %s via the Emergency Department\nDischarged: %s %s\nWard: %s\nConsultant: %s (%s)\n\n",
		fUK(from), fUK(to), dest, ward.name, consultant.display, consultant.spec.display)
	fmt.Fprintf(&b, "Diagnosis: %s\nComorbidities: %s\n\n", d.text, p.comorbidities(from))
	course := hospitalCourse[d.code]
	if course == "" {
		course = "Observations settled with supportive treatment."
	}
	fmt.Fprintf(&b, "Summary: Presented with %s. %s\n\n", strings.ToLower(d.complaint.Display), course)
	extra := ""
	if d.infection && d.respiratory {
		extra = medDefs[mAmoxicillin].display
	}
	g.medicineList(&b, p, from, extra)
	fmt.Fprintf(&b, "\nActions for GP: please review %s in one to two weeks", salutation(p))
	if d.code == "14669001" || d.code == "84114007" {
		b.WriteString(" and repeat urea and electrolytes")
	}
	fmt.Fprintf(&b, ".\n\nElectronically signed by %s, Consultant in %s.\n", consultant.display, consultant.spec.display)
	g.document(p, enc, docDischarge, "Discharge summary", "Discharge summary: "+d.text, to, from, to, consultant, d.spec, b.String())
}

func (g *generator) clinicLetter(p *patient, enc string, t time.Time, consultant *practitioner, k condKey, first bool) {
	var b strings.Builder
	s := consultant.spec.display
	g.letterHeader(&b, p, p.acute.trust.site.name+"\n"+s+" outpatient clinic, "+fUK(t))
	gp := g.w.gps[p.practice][0]
	if p.gp != nil {
		gp = p.gp
	}
	fmt.Fprintf(&b, "Dear %s,\n\nDiagnosis: %s\n\n", gp.display, condDefs[k].display)
	seen := choose(first, "for the first time, following your referral", "for review")
	status := pick(g, []string{"reports feeling well with no new symptoms", "describes stable symptoms",
		"has had a difficult few months but is now more settled", "reports some increase in symptoms recently"})
	fmt.Fprintf(&b, "I saw %s in clinic today %s. %s %s.\n\n", salutation(p), seen, pronoun(p), status)
	g.medicineList(&b, p, t, "")
	plan := clinicPlans[k]
	if plan == "" {
		plan = "No changes to treatment today."
	}
	fmt.Fprintf(&b, "\nPlan: %s We will see %s again in %d months.\n\nYours sincerely,\n\n%s\nConsultant, %s\n",
		plan, choose(p.female, "her", "him"), g.intIn(3, 12), consultant.display, s)
	date := p.cap(t.Add(day * time.Duration(g.intIn(1, 7))))
	g.document(p, enc, docClinicNote, "Clinic letter", s+" clinic letter", date, t, t.Add(minutes(20)), consultant, consultant.spec, b.String())
}

func (o *org) nameOr() string {
	if o == nil {
		return "usual residence"
	}
	return o.name
}

// document emits a DocumentReference holding the letter as text/plain.
func (g *generator) document(p *patient, enc string, typ []coding, typText, desc string, date, from, to time.Time,
	author *practitioner, s specialty, text string) {
	id := g.newID()
	trust := author.org
	date = p.cap(date)
	res := documentReferenceRes{ResourceType: "DocumentReference", ID: id, Status: "current", DocStatus: "final",
		Type: &concept{Coding: typ, Text: typText}, Subject: ref("Patient", p.id), Date: fTime(date),
		Author:      []reference{*refD("Practitioner", author.id, author.display), *refD("Organization", trust.id, trust.name)},
		Custodian:   refD("Organization", trust.id, trust.name),
		Description: desc,
		Content: []docContent{{Attachment: attachment{ContentType: "text/plain", Language: "en-GB",
			Data: base64.StdEncoding.EncodeToString([]byte(text)), Title: desc, Creation: fTime(date)}}},
		Context: &docContext{Encounter: []reference{*ref("Encounter", enc)},
			Period: &period{Start: fTime(from), End: fTime(p.cap(to))}, PracticeSetting: cc(s.coding())},
	}
	g.put("DocumentReference", id, res)
}
