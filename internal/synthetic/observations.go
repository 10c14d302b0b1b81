package synthetic

import (
	"math"
	"time"
)

// Vital signs, shaped like the FHIR vital signs profiles (LOINC codes, UCUM
// units, category vital-signs), plus the NEWS2 consciousness level. Values
// vary around the patient's baseline; severity (0..1) pushes them the way
// acute illness does, so a severity near 1 gives a high NEWS2 score.

type vitalKind int

const (
	vitalRR vitalKind = iota
	vitalHR
	vitalSpO2
	vitalTemp
	vitalWeight
	vitalHeight
	vitalBMI
	vitalO2
)

var vitalDefs = [...]struct {
	code     []coding
	unit     string
	decimals int
}{
	vitalRR:     {[]coding{vsRespRate}, "/min", 0},
	vitalHR:     {[]coding{vsHeartRate}, "/min", 0},
	vitalSpO2:   {[]coding{vsSpO2, vsSpO2Base}, "%", 0},
	vitalTemp:   {[]coding{vsTemp}, "Cel", 1},
	vitalWeight: {[]coding{vsWeight}, "kg", 1},
	vitalHeight: {[]coding{vsHeight}, "cm", 1},
	vitalBMI:    {[]coding{vsBMI}, "kg/m2", 1},
	vitalO2:     {[]coding{vsO2Flow}, "L/min", 0},
}

var catVitals = []concept{{Coding: []coding{{System: systemObsCategory, Code: "vital-signs", Display: "Vital Signs"}}}}
var catLab = []concept{{Coding: []coding{{System: systemObsCategory, Code: "laboratory", Display: "Laboratory"}}}}
var catSurvey = []concept{{Coding: []coding{{System: systemObsCategory, Code: "survey", Display: "Survey"}}}}

func (g *generator) observation(p *patient, enc string, at time.Time, by *practitioner, cat []concept, code *concept) *observationRes {
	o := &observationRes{ResourceType: "Observation", ID: g.newID(), Status: "final", Category: cat, Code: code,
		Subject: ref("Patient", p.id), EffectiveDateTime: fTime(p.cap(at))}
	if enc != "" {
		o.Encounter = ref("Encounter", enc)
	}
	if by != nil {
		o.Performer = []reference{*refD("Practitioner", by.id, by.display)}
	}
	return o
}

func (g *generator) quantityVital(p *patient, enc string, at time.Time, by *practitioner, k vitalKind, v float64) {
	d := vitalDefs[k]
	o := g.observation(p, enc, at, by, catVitals, &concept{Coding: d.code})
	o.ValueQuantity = ucum(round(v, d.decimals), d.unit)
	g.put("Observation", o.ID, o)
}

func (g *generator) bloodPressure(p *patient, enc string, at time.Time, by *practitioner, sev float64) {
	sbp := clamp(p.base.sbp+g.normal(0, 8)-sev*38, 72, 228)
	dbp := clamp(sbp*0.58+g.normal(4, 5), 38, 128)
	o := g.observation(p, enc, at, by, catVitals, cc(vsBPPanel))
	o.Component = []obsComponent{
		{Code: cc(vsSystolic), ValueQuantity: ucum(math.Round(sbp), "mm[Hg]")},
		{Code: cc(vsDiastolic), ValueQuantity: ucum(math.Round(dbp), "mm[Hg]")},
	}
	g.put("Observation", o.ID, o)
}

func (g *generator) heartRate(p *patient, sev float64) float64 {
	return math.Round(clamp(p.base.hr+g.normal(0, 6)+sev*42, 38, 175))
}

func (g *generator) respRate(p *patient, sev float64) float64 {
	return math.Round(clamp(p.base.rr+g.normal(0, 1.3)+sev*13, 8, 40))
}

func (g *generator) spo2(p *patient, sev float64, resp bool) float64 {
	drop := choose(resp, 11.0, 4.0)
	return math.Round(clamp(p.base.spo2+g.normal(0, 0.8)-sev*drop, 78, 100))
}

func (g *generator) temperature(p *patient, sev float64, infection bool) float64 {
	t := p.base.temp + g.normal(0, 0.2)
	if infection {
		t += sev * g.uniform(1.5, 3.2)
	}
	return clamp(t, 34.8, 41)
}

// weight is the patient's weight in kg at time t.
func (g *generator) weight(p *patient, t time.Time) float64 {
	h := p.heightAt(t) / 100
	return (p.base.bmi + g.normal(0, 0.4)) * h * h
}

// bodyMeasures records height, weight and BMI.
func (g *generator) bodyMeasures(p *patient, enc string, at time.Time, by *practitioner) {
	h := p.heightAt(at)
	w := round(g.weight(p, at), 1)
	g.quantityVital(p, enc, at, by, vitalHeight, h)
	g.quantityVital(p, enc, at, by, vitalWeight, w)
	g.quantityVital(p, enc, at, by, vitalBMI, w/((h/100)*(h/100)))
}

// consultVitals records what a GP usually measures in a consultation.
func (g *generator) consultVitals(p *patient, enc string, at time.Time, by *practitioner, r gpReason) {
	age := p.ageAt(at)
	infection := r.dx != nil || r.complaint.Code == rcFever.Code
	if infection {
		sev := g.uniform(0, 0.35)
		g.quantityVital(p, enc, at, by, vitalTemp, g.temperature(p, sev, true))
		g.quantityVital(p, enc, at, by, vitalHR, g.heartRate(p, sev))
		if r.complaint.Code == rcCough.Code {
			g.quantityVital(p, enc, at, by, vitalRR, g.respRate(p, sev))
			g.quantityVital(p, enc, at, by, vitalSpO2, g.spo2(p, sev, true))
		}
		return
	}
	if age >= 16 && g.chance(choose(p.hadBy(cHypertension, at), 0.85, 0.45)) {
		g.bloodPressure(p, enc, at, by, 0)
	}
	if age >= 16 && g.chance(0.15) {
		g.quantityVital(p, enc, at, by, vitalWeight, g.weight(p, at))
	}
}

// vitalSet records a full NEWS2 set: respiration rate, SpO2 (and oxygen if
// given), blood pressure, pulse, consciousness and temperature.
func (g *generator) vitalSet(p *patient, enc string, at time.Time, by *practitioner, sev float64, infection, resp bool) {
	sat := g.spo2(p, sev, resp)
	onOxygen := resp && sev > 0.4 && sat < 92
	if onOxygen {
		sat = math.Round(g.uniform(93, 97))
	}
	g.quantityVital(p, enc, at, by, vitalRR, g.respRate(p, sev))
	g.quantityVital(p, enc, at, by, vitalSpO2, sat)
	if onOxygen {
		g.quantityVital(p, enc, at, by, vitalO2, float64(g.intIn(1, 4)*choose(sev > 0.75, 2, 1)))
	}
	g.bloodPressure(p, enc, at, by, choose(infection, sev, sev*0.3))
	g.quantityVital(p, enc, at, by, vitalHR, g.heartRate(p, sev))
	level := acvpuAlert
	switch {
	case sev > 0.8 && (p.ageAt(at) >= 70 || p.has(cDementia)) && g.chance(0.6):
		level = acvpuConfuse
	case sev > 0.92 && g.chance(0.3):
		level = pick(g, []coding{acvpuVoice, acvpuPain})
	}
	o := g.observation(p, enc, at, by, catSurvey, cc(vsACVPU))
	o.ValueCodeableConcept = cc(level)
	g.put("Observation", o.ID, o)
	g.quantityVital(p, enc, at, by, vitalTemp, g.temperature(p, sev, infection))
}

// labState is what an acute illness does to blood results.
type labState struct {
	severity  float64
	infection bool
	kidney    bool // acute kidney injury
}

var interpretations = map[string]coding{
	"H": {System: systemInterpretation, Code: "H", Display: "High"},
	"L": {System: systemInterpretation, Code: "L", Display: "Low"},
	"N": {System: systemInterpretation, Code: "N", Display: "Normal"},
}

// labs records blood results taken at a contact, reported by the pathology
// laboratory of the patient's acute trust.
func (g *generator) labs(p *patient, enc string, at time.Time, keys []labKey, st labState) {
	if len(keys) == 0 {
		return
	}
	issued := p.cap(at.Add(minutes(g.intIn(90, 1500))))
	if st.severity > 0 {
		issued = p.cap(at.Add(minutes(g.intIn(40, 120))))
	}
	egfr := p.egfr * g.normal(1, 0.05)
	if st.kidney {
		egfr *= g.uniform(0.35, 0.65)
	}
	for _, k := range keys {
		if k == lEGFR && p.ageAt(at) < 18 {
			continue
		}
		g.labResult(p, enc, at, issued, k, g.labValue(p, k, at, st, egfr))
	}
}

func (g *generator) labResult(p *patient, enc string, at, issued time.Time, k labKey, v float64) {
	d := labDefs[k]
	lab := p.acute.trust
	o := g.observation(p, enc, at, nil, catLab, &concept{Coding: d.code})
	o.Issued = fTime(issued)
	o.Performer = []reference{*refD("Organization", lab.id, lab.name)}
	low, high := d.low, d.high
	switch k {
	case lHaemoglobin:
		low, high = choose(p.female, 115.0, 130.0), choose(p.female, 165.0, 180.0)
	case lCreatinine:
		low, high = choose(p.female, 45.0, 59.0), choose(p.female, 90.0, 104.0)
	}
	q := ucum(round(v, d.decimals), d.unit)
	flag := "N"
	switch {
	case k == lEGFR && v > 90:
		q.Value, q.Comparator = 90, ">"
	case low > 0 && q.Value < low:
		flag = "L"
	case high > 0 && q.Value > high:
		flag = "H"
	}
	o.ValueQuantity = q
	o.Interpretation = []concept{{Coding: []coding{interpretations[flag]}}}
	rr := referenceRange{}
	if low > 0 {
		rr.Low = ucum(low, d.unit)
	}
	if high > 0 {
		rr.High = ucum(high, d.unit)
	}
	o.ReferenceRange = []referenceRange{rr}
	g.put("Observation", o.ID, o)
}

func (g *generator) labValue(p *patient, k labKey, at time.Time, st labState, egfr float64) float64 {
	age := p.ageAt(at)
	inf := choose(st.infection, st.severity, 0)
	switch k {
	case lHbA1c:
		return clamp(p.hba1c+g.normal(0, 3), 25, 130)
	case lEGFR:
		return clamp(egfr, 5, 140)
	case lCreatinine:
		return creatinineFor(egfr, age, p.female)
	case lSodium:
		return clamp(g.normal(139, 2.2)-choose(p.onMed(mFurosemide, at), 3.0, 0)-inf*5, 118, 152)
	case lPotassium:
		k := g.normal(4.3, 0.35)
		if p.hadBy(cCKD3, at) {
			k += 0.3
		}
		if p.onMed(mRamipril, at) || p.onMed(mSpironolactone, at) {
			k += 0.2
		}
		if st.kidney {
			k += 0.7
		}
		return clamp(k, 2.8, 6.9)
	case lUrea:
		return clamp(4.6*math.Pow(90/math.Max(egfr, 10), 0.8)+g.normal(0, 0.7), 1.5, 45)
	case lHaemoglobin:
		hb := choose(p.female, g.normal(133, 10), g.normal(146, 11))
		if p.hadBy(cCKD3, at) || age >= 80 {
			hb -= 10
		}
		return clamp(hb, 68, 188)
	case lWBC:
		return clamp(g.normal(7, 1.6)+inf*g.uniform(6, 14), 1.8, 32)
	case lPlatelets:
		return clamp(g.normal(265, 55), 90, 620)
	case lCRP:
		if st.infection {
			return clamp(st.severity*g.uniform(90, 260)+g.uniform(3, 20), 1, 420)
		}
		return clamp(math.Exp(g.normal(0.9, 0.7))*choose(p.has(cRA), 3.0, 1.0), 0.5, 120)
	case lCholesterol:
		if p.onMed(mAtorvastatin, at) || p.onMed(mSimvastatin, at) {
			return clamp(g.normal(4.1, 0.6), 2.4, 7)
		}
		return clamp(g.normal(5.3, 0.9), 2.8, 9.8)
	case lHDL:
		return clamp(choose(p.female, g.normal(1.6, 0.3), g.normal(1.3, 0.25)), 0.6, 2.9)
	case lTSH:
		if p.hadBy(cHypothyroid, at) {
			return clamp(math.Exp(g.normal(0.9, 0.65)), 0.05, 45)
		}
		return clamp(math.Exp(g.normal(0.45, 0.4)), 0.3, 6)
	case lNTproBNP:
		if p.hadBy(cHF, at) {
			return clamp(math.Exp(g.normal(7.2, 0.8)), 150, 35000)
		}
		return clamp(math.Exp(g.normal(4.2, 0.7)), 10, 900)
	}
	return 0
}

// creatinineFor inverts the CKD-EPI 2021 equation: the serum creatinine
// (umol/L) that gives this eGFR at this age and sex.
func creatinineFor(egfr float64, age int, female bool) float64 {
	lo, hi := 15.0, 1800.0
	for range 40 {
		mid := (lo + hi) / 2
		if ckdEPI(mid, age, female) > egfr {
			lo = mid
		} else {
			hi = mid
		}
	}
	return (lo + hi) / 2
}

// ckdEPI is the CKD-EPI 2021 (race-free) eGFR for a creatinine in umol/L.
func ckdEPI(creat float64, age int, female bool) float64 {
	kappa, alpha, sexF := 0.9, -0.302, 1.0
	if female {
		kappa, alpha, sexF = 0.7, -0.241, 1.012
	}
	r := creat / 88.4 / kappa
	return 142 * math.Pow(math.Min(r, 1), alpha) * math.Pow(math.Max(r, 1), -1.2) * math.Pow(0.9938, float64(age)) * sexF
}
