package synthetic

// The clinical catalogue: long-term conditions, acute presentations,
// medicines, laboratory tests and allergies, each with its codes. Displays
// follow the UK (en-GB) preferred terms where they differ.

type condKey int

const (
	cAsthma condKey = iota
	cHypertension
	cT2DM
	cPrediabetes
	cHyperchol
	cCOPD
	cIHD
	cAF
	cHF
	cCKD3
	cStroke
	cDepression
	cAnxiety
	cHypothyroid
	cOA
	cDementia
	cSchizophrenia
	cBipolar
	cEpilepsy
	cRA
	cObesity
	cFrailMild
	cFrailModerate
	cFrailSevere
	numConds
)

// condDef describes a long-term condition.
type condDef struct {
	code, display string
	minOnset      int        // youngest age at diagnosis
	spec          *specialty // hospital clinic that follows some patients; nil: primary care only
	review        bool       // has an annual review in primary care
}

var condDefs = [numConds]condDef{
	cAsthma:        {"195967001", "Asthma", 2, &specRespiratory, true},
	cHypertension:  {"38341003", "Hypertension", 25, nil, true},
	cT2DM:          {"44054006", "Type 2 diabetes mellitus", 25, &specDiabetes, true},
	cPrediabetes:   {"714628002", "Prediabetes", 30, nil, false},
	cHyperchol:     {"13644009", "Hypercholesterolaemia", 30, nil, false},
	cCOPD:          {"13645005", "Chronic obstructive pulmonary disease", 40, &specRespiratory, true},
	cIHD:           {"414545008", "Ischaemic heart disease", 40, &specCardiology, true},
	cAF:            {"49436004", "Atrial fibrillation", 45, &specCardiology, true},
	cHF:            {"84114007", "Heart failure", 45, &specCardiology, true},
	cCKD3:          {"433144002", "Chronic kidney disease stage 3", 45, nil, true},
	cStroke:        {"230690007", "Cerebrovascular accident", 45, nil, true},
	cDepression:    {"35489007", "Depressive disorder", 16, nil, false},
	cAnxiety:       {"197480006", "Anxiety disorder", 16, nil, false},
	cHypothyroid:   {"40930008", "Hypothyroidism", 20, nil, true},
	cOA:            {"396275006", "Osteoarthritis", 45, &specOrthopaedic, false},
	cDementia:      {"52448006", "Dementia", 65, &specGeriatrics, true},
	cSchizophrenia: {"58214004", "Schizophrenia", 18, nil, true},
	cBipolar:       {"13746004", "Bipolar disorder", 18, nil, true},
	cEpilepsy:      {"84757009", "Epilepsy", 2, &specNeurology, true},
	cRA:            {"69896004", "Rheumatoid arthritis", 30, &specRheumatol, true},
	cObesity:       {"414916001", "Obesity", 18, nil, false},
	cFrailMild:     {"925791000000100", "Mild frailty", 65, nil, false},
	cFrailModerate: {"925831000000107", "Moderate frailty", 65, nil, false},
	cFrailSevere:   {"925861000000102", "Severe frailty", 65, &specGeriatrics, false},
}

// acuteDef is an acute illness or injury that brings someone to the
// emergency department.
type acuteDef struct {
	code, display, text string
	complaint           coding
	severity            float64 // 0..1: how far the first vital signs stray
	infection           bool
	respiratory         bool
	admit               float64 // chance of admission from the emergency department
	minStay, maxStay    int     // days
	needs               condKey // -1: anyone; otherwise only patients with this condition
	flare               bool    // an exacerbation of needs, recorded against it rather than as a new condition
	minAge              int
	weight              func(age int) float64
	spec                specialty
}

func elderly(age int) float64 { return float64(max(age-50, 0)) / 30 }

var acuteDefs = []acuteDef{
	{code: "233604007", display: "Pneumonia", text: "Community-acquired pneumonia", complaint: rcCough,
		severity: 0.6, infection: true, respiratory: true, admit: 0.7, minStay: 3, maxStay: 8,
		needs: -1, flare: false, minAge: 1, spec: specGenMed, weight: func(a int) float64 { return 0.12 + elderly(a)*0.6 }},
	{code: "91302008", display: "Sepsis", text: "Sepsis, likely urinary source", complaint: rcConfusion,
		severity: 0.9, infection: true, respiratory: false, admit: 1, minStay: 5, maxStay: 12,
		needs: -1, flare: false, minAge: 50, spec: specGenMed, weight: func(a int) float64 { return elderly(a) * 0.25 }},
	{code: "195951007", display: "Acute exacerbation of chronic obstructive airways disease", text: "Infective exacerbation of COPD", complaint: rcDyspnoea,
		severity: 0.55, infection: true, respiratory: true, admit: 0.6, minStay: 2, maxStay: 7,
		needs: cCOPD, flare: false, minAge: 40, spec: specRespiratory, weight: func(int) float64 { return 2.5 }},
	{code: "84114007", display: "Heart failure", text: "Decompensated heart failure", complaint: rcDyspnoea,
		severity: 0.5, infection: false, respiratory: true, admit: 0.8, minStay: 4, maxStay: 10,
		needs: cHF, flare: true, minAge: 45, spec: specCardiology, weight: func(int) float64 { return 2 }},
	{code: "49436004", display: "Atrial fibrillation", text: "Atrial fibrillation with fast ventricular response", complaint: rcPalpitation,
		severity: 0.4, infection: false, respiratory: false, admit: 0.4, minStay: 1, maxStay: 4,
		needs: cAF, flare: true, minAge: 45, spec: specCardiology, weight: func(int) float64 { return 1 }},
	{code: "68566005", display: "Urinary tract infectious disease", text: "Urinary tract infection", complaint: rcFever,
		severity: 0.35, infection: true, respiratory: false, admit: 0.35, minStay: 2, maxStay: 5,
		needs: -1, flare: false, minAge: 16, spec: specGenMed, weight: func(a int) float64 { return 0.2 + elderly(a)*0.5 }},
	{code: "128045006", display: "Cellulitis", text: "Cellulitis of lower leg", complaint: rcRash,
		severity: 0.3, infection: true, respiratory: false, admit: 0.3, minStay: 2, maxStay: 6,
		needs: -1, flare: false, minAge: 16, spec: specGenMed, weight: func(int) float64 { return 0.3 }},
	{code: "5913000", display: "Fracture of neck of femur", text: "Fractured neck of femur after a fall", complaint: rcFall,
		severity: 0.3, infection: false, respiratory: false, admit: 1, minStay: 7, maxStay: 16,
		needs: -1, flare: false, minAge: 65, spec: specOrthopaedic, weight: func(a int) float64 { return elderly(a) * 0.25 }},
	{code: "14669001", display: "Acute kidney injury", text: "Acute kidney injury", complaint: rcVomiting,
		severity: 0.4, infection: false, respiratory: false, admit: 0.8, minStay: 3, maxStay: 8,
		needs: cCKD3, flare: false, minAge: 45, spec: specGenMed, weight: func(int) float64 { return 0.4 }},
	{code: "29857009", display: "Chest pain", text: "Non-cardiac chest pain", complaint: rcChestPain,
		severity: 0.15, infection: false, respiratory: false, admit: 0.15, minStay: 1, maxStay: 2,
		needs: -1, flare: false, minAge: 25, spec: specCardiology, weight: func(int) float64 { return 0.7 }},
	{code: "21522001", display: "Abdominal pain", text: "Non-specific abdominal pain", complaint: rcAbdoPain,
		severity: 0.15, infection: false, respiratory: false, admit: 0.2, minStay: 1, maxStay: 3,
		needs: -1, flare: false, minAge: 5, spec: specGenMed, weight: func(int) float64 { return 0.6 }},
	{code: "25374005", display: "Gastroenteritis", text: "Viral gastroenteritis", complaint: rcVomiting,
		severity: 0.2, infection: true, respiratory: false, admit: 0.08, minStay: 1, maxStay: 3,
		needs: -1, flare: false, minAge: 0, spec: specGenMed, weight: func(int) float64 { return 0.4 }},
	{code: "82271004", display: "Injury of head", text: "Minor head injury", complaint: rcFall,
		severity: 0.05, infection: false, respiratory: false, admit: 0.05, minStay: 1, maxStay: 2,
		needs: -1, flare: false, minAge: 0, spec: specEmergency, weight: func(a int) float64 { return 0.6 }},
	{code: "271594007", display: "Syncope", text: "Simple faint", complaint: rcDizziness,
		severity: 0.1, infection: false, respiratory: false, admit: 0.15, minStay: 1, maxStay: 2,
		needs: -1, flare: false, minAge: 12, spec: specGenMed, weight: func(int) float64 { return 0.3 }},
	{code: "279039007", display: "Low back pain", text: "Mechanical low back pain", complaint: rcBackPain,
		severity: 0, infection: false, respiratory: false, admit: 0.02, minStay: 1, maxStay: 3,
		needs: -1, flare: false, minAge: 18, spec: specEmergency, weight: func(int) float64 { return 0.4 }},
	{code: "44465007", display: "Sprain of ankle", text: "Inversion injury, sprain of ankle", complaint: rcAnklePain,
		severity: 0, infection: false, respiratory: false, admit: 0, minStay: 0, maxStay: 0,
		needs: -1, flare: false, minAge: 8, spec: specEmergency, weight: func(a int) float64 { return 0.9 - elderly(a)*0.6 }},
	{code: "54150009", display: "Upper respiratory infection", text: "Viral upper respiratory tract infection", complaint: rcFever,
		severity: 0.15, infection: true, respiratory: true, admit: 0.02, minStay: 1, maxStay: 2,
		needs: -1, flare: false, minAge: 0, spec: specEmergency, weight: func(a int) float64 { return choose(a < 16, 1.2, 0.4) - elderly(a)*0.3 }},
}

type medKey int

const (
	mMetformin medKey = iota
	mGliclazide
	mEmpagliflozin
	mAmlodipine
	mRamipril
	mLosartan
	mBisoprolol
	mFurosemide
	mSpironolactone
	mAspirin
	mAtorvastatin
	mSimvastatin
	mApixaban
	mSalbutamol
	mBeclometasone
	mLevothyroxine
	mParacetamol
	mAmoxicillin
	numMeds
)

// medDef is a dm+d virtual medicinal product (coded in SNOMED CT) with the
// usual adult dose.
type medDef struct {
	code, display string
	unit          string // unit of dose and supply: tablet, capsule, dose
	dose          float64
	perDay        int
	asNeeded      bool
	route         coding
	instructions  string
	pack          int // quantity per issue
}

var medDefs = [numMeds]medDef{
	mMetformin:      {"325278007", "Metformin 500mg tablets", "tablet", 1, 2, false, routeOral, "One tablet twice a day with food", 56},
	mGliclazide:     {"325238000", "Gliclazide 80mg tablets", "tablet", 1, 2, false, routeOral, "One tablet twice a day with breakfast and evening meal", 56},
	mEmpagliflozin:  {"703896005", "Empagliflozin 10mg tablets", "tablet", 1, 1, false, routeOral, "One tablet once a day", 28},
	mAmlodipine:     {"319283006", "Amlodipine 5mg tablets", "tablet", 1, 1, false, routeOral, "One tablet once a day", 28},
	mRamipril:       {"318902004", "Ramipril 5mg capsules", "capsule", 1, 1, false, routeOral, "One capsule once a day", 28},
	mLosartan:       {"318956006", "Losartan 50mg tablets", "tablet", 1, 1, false, routeOral, "One tablet once a day", 28},
	mBisoprolol:     {"318590006", "Bisoprolol 5mg tablets", "tablet", 1, 1, false, routeOral, "One tablet each morning", 28},
	mFurosemide:     {"317972000", "Furosemide 40mg tablets", "tablet", 1, 1, false, routeOral, "One tablet each morning", 28},
	mSpironolactone: {"318056008", "Spironolactone 25mg tablets", "tablet", 1, 1, false, routeOral, "One tablet once a day", 28},
	mAspirin:        {"319773006", "Aspirin 75mg dispersible tablets", "tablet", 1, 1, false, routeOral, "One tablet once a day", 28},
	mAtorvastatin:   {"320029006", "Atorvastatin 10mg tablets", "tablet", 1, 1, false, routeOral, "One tablet at night", 28},
	mSimvastatin:    {"320000009", "Simvastatin 40mg tablets", "tablet", 1, 1, false, routeOral, "One tablet at night", 28},
	mApixaban:       {"42206511000001102", "Apixaban 5mg tablets", "tablet", 1, 2, false, routeOral, "One tablet twice a day", 56},
	mSalbutamol:     {"39113611000001102", "Salbutamol 100micrograms/dose inhaler CFC free", "dose", 2, 0, true, routeInhaled, "Two puffs when required for breathlessness or wheeze", 200},
	mBeclometasone:  {"408063002", "Beclometasone 100micrograms/dose inhaler CFC free", "dose", 2, 2, false, routeInhaled, "Two puffs twice a day; rinse mouth after use", 200},
	mLevothyroxine:  {"374296008", "Levothyroxine sodium 100microgram tablets", "tablet", 1, 1, false, routeOral, "One tablet each morning before breakfast", 28},
	mParacetamol:    {"322236009", "Paracetamol 500mg tablets", "tablet", 2, 0, true, routeOral, "One or two tablets up to four times a day when required for pain", 100},
	mAmoxicillin:    {"323510009", "Amoxicillin 500mg capsules", "capsule", 1, 3, false, routeOral, "One capsule three times a day for 5 days", 15},
}

type labKey int

const (
	lHbA1c labKey = iota
	lEGFR
	lCreatinine
	lSodium
	lPotassium
	lUrea
	lHaemoglobin
	lWBC
	lPlatelets
	lCRP
	lCholesterol
	lHDL
	lTSH
	lNTproBNP
	numLabs
)

// labDef is a laboratory test with its UCUM unit and reference range (a zero
// bound is open).
type labDef struct {
	code      []coding
	unit      string
	low, high float64
	decimals  int
}

var labDefs = [numLabs]labDef{
	lHbA1c: {[]coding{
		loinc("59261-8", "Hemoglobin A1c/Hemoglobin.total in Blood by IFCC protocol"),
		sct("999791000000106", "Haemoglobin A1c level - International Federation of Clinical Chemistry and Laboratory Medicine standardised"),
	}, "mmol/mol", 20, 41, 0},
	lEGFR:        {[]coding{loinc("62238-1", "Glomerular filtration rate/1.73 sq M.predicted [Volume Rate/Area] in Serum, Plasma or Blood by Creatinine-based formula (CKD-EPI)")}, "mL/min/{1.73_m2}", 90, 0, 0},
	lCreatinine:  {[]coding{loinc("14682-9", "Creatinine [Moles/volume] in Serum or Plasma")}, "umol/L", 49, 104, 0},
	lSodium:      {[]coding{loinc("2951-2", "Sodium [Moles/volume] in Serum or Plasma")}, "mmol/L", 133, 146, 0},
	lPotassium:   {[]coding{loinc("2823-3", "Potassium [Moles/volume] in Serum or Plasma")}, "mmol/L", 3.5, 5.3, 1},
	lUrea:        {[]coding{loinc("22664-7", "Urea [Moles/volume] in Serum or Plasma")}, "mmol/L", 2.5, 7.8, 1},
	lHaemoglobin: {[]coding{loinc("718-7", "Hemoglobin [Mass/volume] in Blood")}, "g/L", 115, 180, 0},
	lWBC:         {[]coding{loinc("6690-2", "Leukocytes [#/volume] in Blood by Automated count")}, "10*9/L", 4, 11, 1},
	lPlatelets:   {[]coding{loinc("777-3", "Platelets [#/volume] in Blood by Automated count")}, "10*9/L", 150, 400, 0},
	lCRP:         {[]coding{loinc("1988-5", "C reactive protein [Mass/volume] in Serum or Plasma")}, "mg/L", 0, 5, 0},
	lCholesterol: {[]coding{loinc("14647-2", "Cholesterol [Moles/volume] in Serum or Plasma")}, "mmol/L", 0, 5, 1},
	lHDL:         {[]coding{loinc("14646-4", "Cholesterol in HDL [Moles/volume] in Serum or Plasma")}, "mmol/L", 1, 0, 1},
	lTSH:         {[]coding{loinc("3016-3", "Thyrotropin [Units/volume] in Serum or Plasma")}, "m[IU]/L", 0.27, 4.2, 2},
	lNTproBNP:    {[]coding{loinc("33762-6", "Natriuretic peptide.B prohormone N-Terminal [Mass/volume] in Serum or Plasma")}, "ng/L", 0, 400, 0},
}

// Common panels.
var (
	panelUE    = []labKey{lSodium, lPotassium, lUrea, lCreatinine, lEGFR}
	panelFBC   = []labKey{lHaemoglobin, lWBC, lPlatelets}
	panelLipid = []labKey{lCholesterol, lHDL}
)

// allergyDef is an allergy or intolerance with its possible reactions.
type allergyDef struct {
	code, display string
	category      string
	reactions     []coding
	weight        int
	childhood     bool // usually recorded in childhood
}

var (
	rxUrticaria  = sct("126485001", "Urticaria")
	rxRash       = sct("271807003", "Eruption of skin")
	rxAngioedema = sct("41291007", "Angioedema")
	rxAnaphylax  = sct("39579001", "Anaphylaxis")
	rxWheeze     = sct("56018004", "Wheezing")
	rxRhinitis   = sct("61582004", "Allergic rhinitis")
	rxDiarrhoea  = sct("62315008", "Diarrhoea")
	rxNausea     = sct("422587007", "Nausea")

	noKnownAllergy = sct("716186003", "No known allergy")
)

var allergyDefs = []allergyDef{
	{"91936005", "Allergy to penicillin", "medication", []coding{rxRash, rxUrticaria, rxAngioedema, rxAnaphylax}, 12, false},
	{"294505008", "Allergy to amoxicillin", "medication", []coding{rxRash, rxUrticaria, rxDiarrhoea}, 3, false},
	{"293586001", "Allergy to aspirin", "medication", []coding{rxWheeze, rxUrticaria, rxNausea}, 2, false},
	{"91935009", "Allergy to peanut", "food", []coding{rxUrticaria, rxAngioedema, rxAnaphylax}, 3, true},
	{"91930004", "Allergy to eggs", "food", []coding{rxUrticaria, rxRash}, 1, true},
	{"425525006", "Allergy to dairy product", "food", []coding{rxRash, rxDiarrhoea}, 1, true},
	{"300916003", "Latex allergy", "environment", []coding{rxUrticaria, rxRash}, 1, false},
	{"418689008", "Allergy to grass pollen", "environment", []coding{rxRhinitis, rxWheeze}, 3, true},
	{"232350006", "House dust mite allergy", "environment", []coding{rxRhinitis, rxWheeze}, 2, true},
}
