package synthetic

import "carerecord/internal/fhir"

// Code systems and the UK Core extension URLs the generator uses.
const (
	systemSNOMED = "http://snomed.info/sct"
	systemLOINC  = "http://loinc.org"
	systemUCUM   = "http://unitsofmeasure.org"

	systemNHSNumber = fhir.NHSNumberSystem
	systemODS       = "https://fhir.nhs.uk/Id/ods-organization-code"
	systemODSSite   = "https://fhir.nhs.uk/Id/ods-site-code"
	systemGMC       = "https://fhir.hl7.org.uk/Id/gmc-number"
	systemNMC       = "https://fhir.hl7.org.uk/Id/nmc-number"
	systemHCPC      = "https://fhir.hl7.org.uk/Id/hcpc-number"

	urlNHSVerification    = "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSNumberVerificationStatus"
	systemNHSVerification = "https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatusEngland"
	urlEthnicCategory     = "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-EthnicCategory"
	systemEthnicCategory  = "https://fhir.hl7.org.uk/CodeSystem/UKCore-EthnicCategoryEngland"

	systemActCode           = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
	systemParticipationType = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
	systemObsCategory       = "http://terminology.hl7.org/CodeSystem/observation-category"
	systemInterpretation    = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
	systemCondClinical      = "http://terminology.hl7.org/CodeSystem/condition-clinical"
	systemCondVerification  = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
	systemCondCategory      = "http://terminology.hl7.org/CodeSystem/condition-category"
	systemAllergyClinical   = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
	systemAllergyVerif      = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"
	systemOrgType           = "http://terminology.hl7.org/CodeSystem/organization-type"
	systemRoleCode          = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
	systemLocPhysicalType   = "http://terminology.hl7.org/CodeSystem/location-physical-type"
	systemAdmitSource       = "http://terminology.hl7.org/CodeSystem/admit-source"
	systemDischargeDisp     = "http://terminology.hl7.org/CodeSystem/discharge-disposition"
	systemApptType          = "http://terminology.hl7.org/CodeSystem/v2-0276"
	systemApptCancel        = "http://terminology.hl7.org/CodeSystem/appointment-cancellation-reason"
	systemEpisodeType       = "http://terminology.hl7.org/CodeSystem/episodeofcare-type"
	systemMaritalStatus     = "http://terminology.hl7.org/CodeSystem/v3-MaritalStatus"
	systemContactRole       = "http://terminology.hl7.org/CodeSystem/v2-0131"
	systemIdentifierType    = "http://terminology.hl7.org/CodeSystem/v2-0203"
	systemPerformerFunction = "http://terminology.hl7.org/CodeSystem/v2-0443"
	systemMedReqCategory    = "http://terminology.hl7.org/CodeSystem/medicationrequest-category"
	systemCourseOfTherapy   = "http://terminology.hl7.org/CodeSystem/medicationrequest-course-of-therapy"
	systemDiagnosisRole     = "http://terminology.hl7.org/CodeSystem/diagnosis-role"
)

// specialty is a clinical specialty from the FHIR practice setting value set
// (SNOMED CT).
type specialty struct{ code, display string }

var (
	specGP          = specialty{"394814009", "General practice"}
	specGenMed      = specialty{"394802001", "General medicine"}
	specCardiology  = specialty{"394579002", "Cardiology"}
	specDiabetes    = specialty{"408475000", "Diabetic medicine"}
	specRespiratory = specialty{"418112009", "Pulmonary medicine"}
	specGeriatrics  = specialty{"394811001", "Geriatric medicine"}
	specEmergency   = specialty{"773568002", "Emergency medicine"}
	specRheumatol   = specialty{"394810000", "Rheumatology"}
	specPsychiatry  = specialty{"394587001", "Psychiatry"}
	specNephrology  = specialty{"394589003", "Nephrology"}
	specNeurology   = specialty{"394591006", "Neurology"}
	specOrthopaedic = specialty{"394801008", "Trauma and orthopedics"}
)

func (s specialty) coding() coding { return sct(s.code, s.display) }

// Occupation codes (SNOMED CT) for PractitionerRole and CareTeam roles.
var (
	roleGP           = sct("62247001", "General practitioner")
	roleDoctor       = sct("158965000", "Medical practitioner")
	rolePhysician    = sct("309343006", "Physician")
	roleNurse        = sct("224535009", "Registered nurse")
	roleSocialWorker = sct("106328005", "Social worker")
	rolePsychiatrist = sct("80584001", "Psychiatrist")
)

// Presenting complaints (SNOMED CT findings) used as Encounter.reasonCode.
var (
	rcChestPain   = sct("29857009", "Chest pain")
	rcDyspnoea    = sct("267036007", "Dyspnoea")
	rcAbdoPain    = sct("21522001", "Abdominal pain")
	rcFever       = sct("386661006", "Fever")
	rcVomiting    = sct("422400008", "Vomiting")
	rcCough       = sct("49727002", "Cough")
	rcHeadache    = sct("25064002", "Headache")
	rcDizziness   = sct("404640003", "Dizziness")
	rcBackPain    = sct("279039007", "Low back pain")
	rcSoreThroat  = sct("162397003", "Pain in throat")
	rcPalpitation = sct("80313002", "Palpitations")
	rcFatigue     = sct("84229001", "Fatigue")
	rcJointPain   = sct("57676002", "Pain of joint")
	rcConfusion   = sct("286933003", "Confusional state")
	rcFall        = sct("1912002", "Fall")
	rcAnklePain   = sct("247373008", "Ankle pain")
	rcRash        = sct("271807003", "Eruption of skin")
)

// Vital sign codes (LOINC, as the FHIR vital signs profiles require) and the
// NEWS2 consciousness observable (SNOMED CT, UK).
var (
	vsRespRate   = loinc("9279-1", "Respiratory rate")
	vsHeartRate  = loinc("8867-4", "Heart rate")
	vsSpO2       = loinc("59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry")
	vsSpO2Base   = loinc("2708-6", "Oxygen saturation in Arterial blood")
	vsTemp       = loinc("8310-5", "Body temperature")
	vsBPPanel    = loinc("85354-9", "Blood pressure panel with all children optional")
	vsSystolic   = loinc("8480-6", "Systolic blood pressure")
	vsDiastolic  = loinc("8462-4", "Diastolic blood pressure")
	vsHeight     = loinc("8302-2", "Body height")
	vsWeight     = loinc("29463-7", "Body weight")
	vsBMI        = loinc("39156-5", "Body mass index (BMI) [Ratio]")
	vsO2Flow     = loinc("3151-8", "Inhaled oxygen flow rate")
	vsACVPU      = sct("1104441000000107", "ACVPU (Alert Confusion Voice Pain Unresponsive) scale score")
	acvpuAlert   = sct("248234008", "Mentally alert")
	acvpuConfuse = sct("130987000", "Acute confusion")
	acvpuVoice   = sct("300202002", "Responds to voice")
	acvpuPain    = sct("450847001", "Responds to pain")
)

// Routes of administration.
var (
	routeOral    = sct("26643006", "Oral route")
	routeInhaled = sct("447694001", "Respiratory tract route")
	routeIM      = sct("78421000", "Intramuscular route")
	siteLeftArm  = sct("368208006", "Left upper arm structure")
)

// Document types: SNOMED CT record artefacts with the matching LOINC
// document code alongside.
var (
	docDischarge  = []coding{sct("373942005", "Discharge summary"), loinc("18842-5", "Discharge summary")}
	docClinicNote = []coding{sct("371531000", "Report of clinical encounter"), loinc("11488-4", "Consult note")}
)

// Encounter types (SNOMED CT procedures).
var (
	encSymptom   = sct("185345009", "Encounter for symptom")
	encProblem   = sct("185347001", "Encounter for problem")
	encCheckUp   = sct("185349003", "Encounter for check up")
	encTelephone = sct("185317003", "Telephone encounter")
	encED        = sct("4525004", "Emergency department patient visit")
	encAdmission = sct("183452005", "Emergency hospital admission")
	encConsult   = sct("11429006", "Consultation")
	encFollowUp  = sct("390906007", "Follow-up encounter")
	encHomeVisit = sct("439708006", "Home visit")
)

// Vaccines (SNOMED CT vaccine products).
var (
	vaxFlu    = sct("836377006", "Vaccine product containing only Influenza virus antigen")
	vaxCovid  = sct("1119349007", "Vaccine product containing only Severe acute respiratory syndrome coronavirus 2 messenger ribonucleic acid")
	vaxPneumo = sct("836398006", "Vaccine product containing only Streptococcus pneumoniae antigen")
)
