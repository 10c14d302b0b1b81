package synthetic

import (
	"math"
	"time"
)

// Planning a patient's long-term conditions, physiology and regular
// medicines. Prevalences are rough figures for England by age.

// byAge returns vals[i] for the first cut above age; vals has one entry
// more than cuts.
func byAge(age int, cuts []int, vals ...float64) float64 {
	for i, c := range cuts {
		if age < c {
			return vals[i]
		}
	}
	return vals[len(cuts)]
}

func (p *patient) southAsian() bool {
	switch p.ethnic.code {
	case "H", "J", "K", "L":
		return true
	}
	return false
}

func (p *patient) black() bool {
	switch p.ethnic.code {
	case "D", "E", "M", "N", "P":
		return true
	}
	return false
}

func (g *generator) planConditions(p *patient) {
	age := p.ageAt(p.end)
	try := func(k condKey, prob float64) {
		if age >= condDefs[k].minOnset && g.chance(prob) {
			g.diagnose(p, k, age)
		}
	}
	ethnicRisk := 1.0
	if p.southAsian() || p.black() {
		ethnicRisk = 1.6
	}
	sexRisk := choose(p.female, 0.7, 1.4)
	try(cAsthma, 0.09)
	try(cT2DM, byAge(age, []int{30, 45, 60, 75}, 0.003, 0.03, 0.08, 0.14, 0.17)*ethnicRisk)
	htn := byAge(age, []int{30, 45, 60, 75}, 0.01, 0.06, 0.2, 0.4, 0.6)
	if p.has(cT2DM) {
		htn *= 1.6
	}
	try(cHypertension, htn*choose(p.black(), 1.3, 1.0))
	if !p.has(cT2DM) {
		try(cPrediabetes, byAge(age, []int{40, 60}, 0.01, 0.06, 0.1)*ethnicRisk)
	}
	try(cHyperchol, byAge(age, []int{40}, 0.02, 0.1))
	try(cCOPD, byAge(age, []int{40, 60, 75}, 0, 0.02, 0.06, 0.09))
	try(cIHD, byAge(age, []int{50, 65, 75}, 0.005, 0.03, 0.08, 0.14)*sexRisk*choose(p.has(cT2DM), 1.5, 1.0))
	try(cAF, byAge(age, []int{55, 65, 75, 85}, 0.002, 0.015, 0.05, 0.1, 0.16))
	hf := byAge(age, []int{60, 75, 85}, 0.003, 0.02, 0.06, 0.12)
	if p.has(cIHD) || p.has(cAF) {
		hf *= 2.5
	}
	try(cHF, hf)
	ckd := byAge(age, []int{50, 65, 75}, 0.005, 0.03, 0.08, 0.2)
	if p.has(cT2DM) || p.has(cHypertension) {
		ckd *= 1.8
	}
	try(cCKD3, ckd)
	try(cStroke, byAge(age, []int{60, 75}, 0.003, 0.02, 0.06)*choose(p.has(cAF), 2.0, 1.0))
	try(cDepression, 0.11)
	try(cAnxiety, 0.07)
	try(cHypothyroid, choose(p.female, 0.05, 0.01))
	try(cOA, byAge(age, []int{60, 75}, 0.08, 0.2, 0.32))
	try(cDementia, byAge(age, []int{75, 85}, 0.015, 0.06, 0.18))
	try(cSchizophrenia, 0.006)
	if !p.has(cSchizophrenia) {
		try(cBipolar, 0.005)
	}
	try(cEpilepsy, 0.008)
	try(cRA, 0.008*choose(p.female, 1.5, 0.6))
	g.planFrailty(p, age)
}

// planFrailty scores older people roughly as an electronic frailty index
// would: by age and the number of long-term conditions.
func (g *generator) planFrailty(p *patient, age int) {
	if age < 65 {
		return
	}
	score := float64(p.ltcCount()) + float64(age-65)/8 + g.normal(0, 1)
	if p.has(cDementia) {
		score += 2
	}
	var k condKey
	switch {
	case score >= 6:
		k = cFrailSevere
	case score >= 4:
		k = cFrailModerate
	case score >= 2.5:
		k = cFrailMild
	default:
		return
	}
	from := later(p.birth.AddDate(65, 0, 0), p.end.AddDate(-4, 0, 0))
	if !from.Before(p.end.Add(-day)) {
		return
	}
	p.conds[k] = &cond{key: k, onset: g.between(from, p.end.Add(-day))}
}

// diagnose gives the patient condition k with an onset between the
// condition's youngest age and their age now.
func (g *generator) diagnose(p *patient, k condKey, age int) {
	lo := max(condDefs[k].minOnset, age-35)
	onsetAge := g.intIn(lo, age)
	onset := p.birth.AddDate(onsetAge, 0, g.r.IntN(365))
	if !onset.Before(p.end) {
		onset = g.between(later(p.birth.Add(day), p.end.AddDate(-1, 0, 0)), p.end.Add(-day))
	}
	p.conds[k] = &cond{key: k, onset: onset}
}

// baseline is a patient's usual physiology, around which readings vary.
type baseline struct {
	sbp, dbp, hr, rr, spo2, temp float64
	height, bmi                  float64 // adult height in cm; current BMI
}

func (g *generator) planBaseline(p *patient) {
	age := p.ageAt(p.end)
	b := &p.base
	adult := choose(p.female, g.normal(162, 6.5), g.normal(176, 7))
	b.height = adult
	b.bmi = clamp(g.normal(27.3, 4.8), 17, 48)
	if p.has(cT2DM) {
		b.bmi = clamp(b.bmi+g.uniform(2, 5), 20, 52)
	}
	if age < 18 {
		b.bmi = clamp(g.normal(15.5+float64(age)*0.3, 1.8), 13, 32)
	}
	b.sbp = 112 + 0.45*float64(max(age-20, 0)) + g.normal(0, 8)
	if p.has(cHypertension) {
		b.sbp += g.uniform(6, 20)
	}
	b.dbp = 0.55*b.sbp + g.normal(8, 4)
	b.hr = g.normal(74, 8)
	b.rr = g.uniform(13, 17)
	b.spo2 = g.uniform(96.5, 99.4)
	b.temp = g.uniform(36.3, 37.0)
	switch {
	case age < 2:
		b.hr, b.rr, b.sbp, b.dbp = g.uniform(110, 140), g.uniform(28, 38), g.uniform(80, 95), g.uniform(45, 58)
	case age < 12:
		b.hr, b.rr, b.sbp, b.dbp = g.uniform(80, 110), g.uniform(18, 26), g.uniform(90, 108), g.uniform(55, 68)
	}
	if p.has(cAF) {
		b.hr = g.normal(86, 10)
	}
	if p.has(cCOPD) {
		b.spo2 = g.uniform(92, 95.5)
		b.rr += 2
	}
	if p.has(cHF) {
		b.spo2 = min(b.spo2, g.uniform(94, 97))
	}
	if age >= 18 && b.bmi >= 30 && g.chance(0.6) {
		p.conds[cObesity] = &cond{key: cObesity, onset: g.between(later(p.birth.AddDate(18, 0, 0), p.end.AddDate(-10, 0, 0)), p.end.Add(-day))}
	}
	switch {
	case p.has(cT2DM):
		p.hba1c = clamp(g.normal(60, 11), 49, 105)
	case p.has(cPrediabetes):
		p.hba1c = g.uniform(42, 47.4)
	default:
		p.hba1c = clamp(g.normal(36, 2.5), 29, 41.4)
	}
	p.egfr = clamp(g.normal(118-0.95*float64(max(age-25, 0)), 9), 62, 130)
	if p.has(cCKD3) {
		p.egfr = g.uniform(31, 58)
	}
}

// heightAt is the patient's height in cm at time t (children grow).
func (p *patient) heightAt(t time.Time) float64 {
	a := float64(t.Sub(p.birth)) / float64(365.25*24*time.Hour)
	switch {
	case a < 2:
		return 50 + a*18 + 0.01
	case a < 18:
		return math.Min(86+(a-2)*6.2, p.base.height)
	}
	return p.base.height
}

// planMeds chooses the patient's regular medicines from their conditions.
func (g *generator) planMeds(p *patient) {
	rx := func(k medKey, c condKey, prob float64) {
		if p.conds[c] == nil || !g.chance(prob) {
			return
		}
		for _, m := range p.meds {
			if m.key == k {
				return
			}
		}
		start := p.conds[c].onset.Add(day * time.Duration(g.intIn(7, 60)))
		if !start.Before(p.end) {
			return
		}
		p.meds = append(p.meds, &med{key: k, start: start, cond: p.conds[c], by: p.gp})
	}
	statin := choose(g.chance(0.7), mAtorvastatin, mSimvastatin)
	rx(mMetformin, cT2DM, 0.9)
	if p.has(cT2DM) && p.conds[cT2DM].onset.Before(p.end.AddDate(-4, 0, 0)) {
		rx(mGliclazide, cT2DM, 0.35)
	}
	rx(mEmpagliflozin, cT2DM, 0.2)
	rx(statin, cT2DM, 0.7)
	if p.black() || g.chance(0.45) {
		rx(mAmlodipine, cHypertension, 0.9)
		rx(mRamipril, cHypertension, 0.3)
	} else {
		rx(mRamipril, cHypertension, 0.9)
		rx(mAmlodipine, cHypertension, 0.35)
	}
	rx(statin, cHyperchol, 0.75)
	rx(mAspirin, cIHD, 0.85)
	rx(statin, cIHD, 0.9)
	rx(mBisoprolol, cIHD, 0.6)
	rx(mApixaban, cAF, 0.85)
	rx(mBisoprolol, cAF, 0.7)
	rx(mRamipril, cHF, 0.75)
	if !p.onMed(mRamipril, p.end) {
		rx(mLosartan, cHF, 0.6) // ARB when an ACE inhibitor is not tolerated; never both
	}
	rx(mBisoprolol, cHF, 0.8)
	rx(mFurosemide, cHF, 0.8)
	rx(mSpironolactone, cHF, 0.4)
	rx(mEmpagliflozin, cHF, 0.3)
	rx(statin, cStroke, 0.85)
	rx(mSalbutamol, cAsthma, 1)
	rx(mBeclometasone, cAsthma, 0.7)
	rx(mSalbutamol, cCOPD, 1)
	rx(mBeclometasone, cCOPD, 0.4)
	rx(mLevothyroxine, cHypothyroid, 1)
	rx(mParacetamol, cOA, 0.6)
}

func (p *patient) onMed(k medKey, t time.Time) bool {
	for _, m := range p.meds {
		if m.key == k && !m.start.After(t) {
			return true
		}
	}
	return false
}
