package synthetic

// JSON shapes of the resources the generator emits: only the elements it
// fills, in FHIR's element order.

type organizationRes struct {
	ResourceType string         `json:"resourceType"`
	ID           string         `json:"id"`
	Identifier   []identifier   `json:"identifier,omitempty"`
	Active       bool           `json:"active"`
	Type         []concept      `json:"type,omitempty"`
	Name         string         `json:"name"`
	Telecom      []contactPoint `json:"telecom,omitempty"`
	Address      []address      `json:"address,omitempty"`
	PartOf       *reference     `json:"partOf,omitempty"`
}

type locationRes struct {
	ResourceType         string         `json:"resourceType"`
	ID                   string         `json:"id"`
	Identifier           []identifier   `json:"identifier,omitempty"`
	Status               string         `json:"status"`
	Name                 string         `json:"name"`
	Mode                 string         `json:"mode"`
	Type                 []concept      `json:"type,omitempty"`
	Telecom              []contactPoint `json:"telecom,omitempty"`
	Address              *address       `json:"address,omitempty"`
	PhysicalType         *concept       `json:"physicalType,omitempty"`
	ManagingOrganization *reference     `json:"managingOrganization,omitempty"`
	PartOf               *reference     `json:"partOf,omitempty"`
}

type practitionerRes struct {
	ResourceType string         `json:"resourceType"`
	ID           string         `json:"id"`
	Identifier   []identifier   `json:"identifier,omitempty"`
	Active       bool           `json:"active"`
	Name         []humanName    `json:"name"`
	Telecom      []contactPoint `json:"telecom,omitempty"`
	Gender       string         `json:"gender,omitempty"`
}

type practitionerRoleRes struct {
	ResourceType string         `json:"resourceType"`
	ID           string         `json:"id"`
	Active       bool           `json:"active"`
	Practitioner *reference     `json:"practitioner"`
	Organization *reference     `json:"organization"`
	Code         []concept      `json:"code,omitempty"`
	Specialty    []concept      `json:"specialty,omitempty"`
	Location     []reference    `json:"location,omitempty"`
	Telecom      []contactPoint `json:"telecom,omitempty"`
}

type patientContact struct {
	Relationship []concept      `json:"relationship,omitempty"`
	Name         *humanName     `json:"name,omitempty"`
	Telecom      []contactPoint `json:"telecom,omitempty"`
}

type patientRes struct {
	ResourceType         string           `json:"resourceType"`
	ID                   string           `json:"id"`
	Extension            []extension      `json:"extension,omitempty"`
	Identifier           []identifier     `json:"identifier"`
	Active               bool             `json:"active"`
	Name                 []humanName      `json:"name"`
	Telecom              []contactPoint   `json:"telecom,omitempty"`
	Gender               string           `json:"gender"`
	BirthDate            string           `json:"birthDate"`
	DeceasedDateTime     string           `json:"deceasedDateTime,omitempty"`
	Address              []address        `json:"address,omitempty"`
	MaritalStatus        *concept         `json:"maritalStatus,omitempty"`
	Contact              []patientContact `json:"contact,omitempty"`
	GeneralPractitioner  []reference      `json:"generalPractitioner,omitempty"`
	ManagingOrganization *reference       `json:"managingOrganization,omitempty"`
}

type encounterParticipant struct {
	Type       []concept  `json:"type,omitempty"`
	Period     *period    `json:"period,omitzero"`
	Individual *reference `json:"individual,omitempty"`
}

type encounterHospitalization struct {
	AdmitSource          *concept `json:"admitSource,omitempty"`
	DischargeDisposition *concept `json:"dischargeDisposition,omitempty"`
}

type encounterDiagnosis struct {
	Condition *reference `json:"condition"`
	Use       *concept   `json:"use,omitempty"`
	Rank      int        `json:"rank,omitzero"`
}

type encounterLocation struct {
	Location *reference `json:"location"`
	Status   string     `json:"status,omitempty"`
	Period   *period    `json:"period,omitzero"`
}

type encounterRes struct {
	ResourceType    string                    `json:"resourceType"`
	ID              string                    `json:"id"`
	Status          string                    `json:"status"`
	Class           coding                    `json:"class"`
	Type            []concept                 `json:"type,omitempty"`
	ServiceType     *concept                  `json:"serviceType,omitempty"`
	Subject         *reference                `json:"subject"`
	EpisodeOfCare   []reference               `json:"episodeOfCare,omitempty"`
	Participant     []encounterParticipant    `json:"participant,omitempty"`
	Appointment     []reference               `json:"appointment,omitempty"`
	Period          *period                   `json:"period"`
	ReasonCode      []concept                 `json:"reasonCode,omitempty"`
	ReasonReference []reference               `json:"reasonReference,omitempty"`
	Diagnosis       []encounterDiagnosis      `json:"diagnosis,omitempty"`
	Hospitalization *encounterHospitalization `json:"hospitalization,omitempty"`
	Location        []encounterLocation       `json:"location,omitempty"`
	ServiceProvider *reference                `json:"serviceProvider,omitempty"`
}

type conditionRes struct {
	ResourceType       string       `json:"resourceType"`
	ID                 string       `json:"id"`
	ClinicalStatus     *concept     `json:"clinicalStatus"`
	VerificationStatus *concept     `json:"verificationStatus"`
	Category           []concept    `json:"category"`
	Code               *concept     `json:"code"`
	Subject            *reference   `json:"subject"`
	Encounter          *reference   `json:"encounter,omitempty"`
	OnsetDateTime      string       `json:"onsetDateTime,omitempty"`
	AbatementDateTime  string       `json:"abatementDateTime,omitempty"`
	RecordedDate       string       `json:"recordedDate,omitempty"`
	Recorder           *reference   `json:"recorder,omitempty"`
	Note               []annotation `json:"note,omitempty"`
}

type referenceRange struct {
	Low  *quantity `json:"low,omitempty"`
	High *quantity `json:"high,omitempty"`
	Text string    `json:"text,omitempty"`
}

type obsComponent struct {
	Code          *concept  `json:"code"`
	ValueQuantity *quantity `json:"valueQuantity,omitempty"`
}

type observationRes struct {
	ResourceType         string           `json:"resourceType"`
	ID                   string           `json:"id"`
	Status               string           `json:"status"`
	Category             []concept        `json:"category"`
	Code                 *concept         `json:"code"`
	Subject              *reference       `json:"subject"`
	Encounter            *reference       `json:"encounter,omitempty"`
	EffectiveDateTime    string           `json:"effectiveDateTime"`
	Issued               string           `json:"issued,omitempty"`
	Performer            []reference      `json:"performer,omitempty"`
	ValueQuantity        *quantity        `json:"valueQuantity,omitempty"`
	ValueCodeableConcept *concept         `json:"valueCodeableConcept,omitempty"`
	Interpretation       []concept        `json:"interpretation,omitempty"`
	ReferenceRange       []referenceRange `json:"referenceRange,omitempty"`
	Component            []obsComponent   `json:"component,omitempty"`
}

type timingRepeat struct {
	Frequency  int     `json:"frequency,omitzero"`
	Period     float64 `json:"period,omitzero"`
	PeriodUnit string  `json:"periodUnit,omitempty"`
}

type timing struct {
	Repeat *timingRepeat `json:"repeat,omitempty"`
}

type doseAndRate struct {
	DoseQuantity *quantity `json:"doseQuantity,omitempty"`
}

type dosage struct {
	Text         string        `json:"text,omitempty"`
	Timing       *timing       `json:"timing,omitempty"`
	AsNeededBool bool          `json:"asNeededBoolean,omitzero"`
	Route        *concept      `json:"route,omitempty"`
	DoseAndRate  []doseAndRate `json:"doseAndRate,omitempty"`
}

type dispenseRequest struct {
	NumberOfRepeatsAllowed int       `json:"numberOfRepeatsAllowed,omitzero"`
	Quantity               *quantity `json:"quantity,omitempty"`
	ExpectedSupplyDuration *quantity `json:"expectedSupplyDuration,omitempty"`
}

type medicationRequestRes struct {
	ResourceType              string           `json:"resourceType"`
	ID                        string           `json:"id"`
	Status                    string           `json:"status"`
	Intent                    string           `json:"intent"`
	Category                  []concept        `json:"category,omitempty"`
	MedicationCodeableConcept *concept         `json:"medicationCodeableConcept"`
	Subject                   *reference       `json:"subject"`
	Encounter                 *reference       `json:"encounter,omitempty"`
	AuthoredOn                string           `json:"authoredOn"`
	Requester                 *reference       `json:"requester,omitempty"`
	ReasonReference           []reference      `json:"reasonReference,omitempty"`
	CourseOfTherapyType       *concept         `json:"courseOfTherapyType,omitempty"`
	DosageInstruction         []dosage         `json:"dosageInstruction,omitempty"`
	DispenseRequest           *dispenseRequest `json:"dispenseRequest,omitempty"`
}

type medicationStatementRes struct {
	ResourceType              string      `json:"resourceType"`
	ID                        string      `json:"id"`
	Status                    string      `json:"status"`
	MedicationCodeableConcept *concept    `json:"medicationCodeableConcept"`
	Subject                   *reference  `json:"subject"`
	Context                   *reference  `json:"context,omitempty"`
	EffectivePeriod           *period     `json:"effectivePeriod,omitempty"`
	DateAsserted              string      `json:"dateAsserted,omitempty"`
	InformationSource         *reference  `json:"informationSource,omitempty"`
	DerivedFrom               []reference `json:"derivedFrom,omitempty"`
	ReasonReference           []reference `json:"reasonReference,omitempty"`
	Dosage                    []dosage    `json:"dosage,omitempty"`
}

type allergyReaction struct {
	Manifestation []concept `json:"manifestation"`
	Severity      string    `json:"severity,omitempty"`
}

type allergyRes struct {
	ResourceType       string            `json:"resourceType"`
	ID                 string            `json:"id"`
	ClinicalStatus     *concept          `json:"clinicalStatus"`
	VerificationStatus *concept          `json:"verificationStatus"`
	Type               string            `json:"type,omitempty"`
	Category           []string          `json:"category,omitempty"`
	Criticality        string            `json:"criticality,omitempty"`
	Code               *concept          `json:"code"`
	Patient            *reference        `json:"patient"`
	OnsetDateTime      string            `json:"onsetDateTime,omitempty"`
	RecordedDate       string            `json:"recordedDate,omitempty"`
	Recorder           *reference        `json:"recorder,omitempty"`
	Reaction           []allergyReaction `json:"reaction,omitempty"`
}

type immunizationPerformer struct {
	Function *concept   `json:"function,omitempty"`
	Actor    *reference `json:"actor"`
}

type protocolApplied struct {
	DoseNumberPositiveInt int `json:"doseNumberPositiveInt"`
}

type immunizationRes struct {
	ResourceType       string                  `json:"resourceType"`
	ID                 string                  `json:"id"`
	Status             string                  `json:"status"`
	VaccineCode        *concept                `json:"vaccineCode"`
	Patient            *reference              `json:"patient"`
	OccurrenceDateTime string                  `json:"occurrenceDateTime"`
	Recorded           string                  `json:"recorded,omitempty"`
	PrimarySource      bool                    `json:"primarySource"`
	Location           *reference              `json:"location,omitempty"`
	LotNumber          string                  `json:"lotNumber,omitempty"`
	Site               *concept                `json:"site,omitempty"`
	Route              *concept                `json:"route,omitempty"`
	DoseQuantity       *quantity               `json:"doseQuantity,omitempty"`
	Performer          []immunizationPerformer `json:"performer,omitempty"`
	ProtocolApplied    []protocolApplied       `json:"protocolApplied,omitempty"`
}

type docContent struct {
	Attachment attachment `json:"attachment"`
}

type docContext struct {
	Encounter       []reference `json:"encounter,omitempty"`
	Period          *period     `json:"period,omitzero"`
	PracticeSetting *concept    `json:"practiceSetting,omitempty"`
}

type documentReferenceRes struct {
	ResourceType string       `json:"resourceType"`
	ID           string       `json:"id"`
	Status       string       `json:"status"`
	DocStatus    string       `json:"docStatus,omitempty"`
	Type         *concept     `json:"type"`
	Subject      *reference   `json:"subject"`
	Date         string       `json:"date"`
	Author       []reference  `json:"author,omitempty"`
	Custodian    *reference   `json:"custodian,omitempty"`
	Description  string       `json:"description,omitempty"`
	Content      []docContent `json:"content"`
	Context      *docContext  `json:"context,omitempty"`
}

type appointmentParticipant struct {
	Actor    *reference `json:"actor"`
	Required string     `json:"required,omitempty"`
	Status   string     `json:"status"`
}

type appointmentRes struct {
	ResourceType      string                   `json:"resourceType"`
	ID                string                   `json:"id"`
	Status            string                   `json:"status"`
	CancelationReason *concept                 `json:"cancelationReason,omitempty"`
	Specialty         []concept                `json:"specialty,omitempty"`
	AppointmentType   *concept                 `json:"appointmentType,omitempty"`
	ReasonCode        []concept                `json:"reasonCode,omitempty"`
	Description       string                   `json:"description,omitempty"`
	Start             string                   `json:"start"`
	End               string                   `json:"end"`
	MinutesDuration   int                      `json:"minutesDuration"`
	Created           string                   `json:"created,omitempty"`
	Participant       []appointmentParticipant `json:"participant"`
}

type carePlanDetail struct {
	Code        *concept    `json:"code,omitempty"`
	Status      string      `json:"status"`
	Performer   []reference `json:"performer,omitempty"`
	Description string      `json:"description,omitempty"`
}

type carePlanActivity struct {
	Detail *carePlanDetail `json:"detail"`
}

type carePlanRes struct {
	ResourceType string             `json:"resourceType"`
	ID           string             `json:"id"`
	Status       string             `json:"status"`
	Intent       string             `json:"intent"`
	Category     []concept          `json:"category,omitempty"`
	Title        string             `json:"title,omitempty"`
	Description  string             `json:"description,omitempty"`
	Subject      *reference         `json:"subject"`
	Period       *period            `json:"period,omitzero"`
	Created      string             `json:"created,omitempty"`
	Author       *reference         `json:"author,omitempty"`
	CareTeam     []reference        `json:"careTeam,omitempty"`
	Addresses    []reference        `json:"addresses,omitempty"`
	Activity     []carePlanActivity `json:"activity,omitempty"`
}

type careTeamParticipant struct {
	Role       []concept  `json:"role,omitempty"`
	Member     *reference `json:"member"`
	OnBehalfOf *reference `json:"onBehalfOf,omitempty"`
}

type careTeamRes struct {
	ResourceType         string                `json:"resourceType"`
	ID                   string                `json:"id"`
	Status               string                `json:"status"`
	Category             []concept             `json:"category,omitempty"`
	Name                 string                `json:"name,omitempty"`
	Subject              *reference            `json:"subject"`
	Period               *period               `json:"period,omitzero"`
	Participant          []careTeamParticipant `json:"participant,omitempty"`
	ReasonReference      []reference           `json:"reasonReference,omitempty"`
	ManagingOrganization []reference           `json:"managingOrganization,omitempty"`
}

type episodeDiagnosis struct {
	Condition *reference `json:"condition"`
}

type episodeOfCareRes struct {
	ResourceType         string             `json:"resourceType"`
	ID                   string             `json:"id"`
	Status               string             `json:"status"`
	Type                 []concept          `json:"type,omitempty"`
	Diagnosis            []episodeDiagnosis `json:"diagnosis,omitempty"`
	Patient              *reference         `json:"patient"`
	ManagingOrganization *reference         `json:"managingOrganization,omitempty"`
	Period               *period            `json:"period,omitzero"`
	CareManager          *reference         `json:"careManager,omitempty"`
	Team                 []reference        `json:"team,omitempty"`
}
