package v2fhir

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"time"
)

// Feed is how one sending system's messages are read.
type Feed struct {
	Name         string // the feed's name, for reports
	Organisation string // ODS code of the source organisation, e.g. RRV
	// LocalSystem is the base URI of the organisation's identifier systems:
	// an MRN with assigning authority MRENTR gets LocalSystem + "/mrentr".
	// Empty means "urn:carerecord:local:" + Organisation.
	LocalSystem string
	NHSNumber   NHSNumberRule
	// DefaultVerification is the UK Core NHS number verification status
	// (01–08) used when PID-32 carries none; empty means none is stated.
	DefaultVerification string
	Location            *time.Location // zone of timestamps without offset; nil is UTC
}

// NHSNumberRule says where a feed puts the NHS number.
type NHSNumberRule struct {
	// Field is 3 (PID-3, the default) or 2 (PID-2, old v2.2 feeds).
	Field int
	// TypeCodes are the CX-5 identifier type codes that mark the NHS number
	// repetition of PID-3; nil means DefaultNHSNumberTypeCodes.
	TypeCodes []string
	// Authorities are CX-4.1 assigning authorities that also mark it, e.g. "NHS".
	Authorities []string
}

// DefaultNHSNumberTypeCodes mark the NHS number in PID-3 when a feed names
// none: NH, and HN, which some trusts' Epic sends. They are the codes the
// integration engine keys a feed's messages by (ingest.DefaultNHSNumberTypeCodes),
// so that the message that is ordered by its NHS number is also recorded
// with it. A value with one of them that fails the modulus 11 check is not
// taken as an NHS number (nor kept as another identifier).
var DefaultNHSNumberTypeCodes = []string{"NH", "HN"}

// Op is what the applier should do with an entry.
type Op string

const (
	// OpUpsert creates or replaces the resource, unless the stored one
	// comes from a newer event.
	OpUpsert Op = "upsert"
	// OpMarkStatus sets the stored resource's status to Entry.Status; when
	// nothing is stored it stores Entry.Resource (if any), which carries it.
	OpMarkStatus Op = "mark-status"
	// OpCancelTransfer (A12) undoes the last transfer of the stored
	// Encounter: the location the patient moved from is current again.
	// OpCancelDischarge (A13) undoes its discharge: in progress again, no
	// end. Both correct the stored state whatever its event time (a
	// cancellation is about an event already recorded, however the
	// sender's clocks ran) and keep what the message does not restate;
	// with nothing stored they store Entry.Resource.
	OpCancelTransfer  Op = "cancel-transfer"
	OpCancelDischarge Op = "cancel-discharge"
)

// Entry is one resource to write.
type Entry struct {
	Op        Op              `json:"op"`
	Type      string          `json:"type"`
	ID        string          `json:"id"`
	Status    string          `json:"status,omitempty"` // for OpMarkStatus
	EventTime string          `json:"eventTime"`        // FHIR dateTime the fact came from
	Resource  json.RawMessage `json:"resource,omitempty"`
}

// LocalID is a local patient identifier and the organisation that issued it.
type LocalID struct {
	Organisation string `json:"organisation"`
	System       string `json:"system"`
	Value        string `json:"value"`
}

// PatientKeys are what the patient index resolves a patient by.
type PatientKeys struct {
	NHSNumber    string    `json:"nhsNumber,omitempty"`    // modulus 11 valid, never invented
	Verification string    `json:"verification,omitempty"` // UK Core code 01–08
	Local        []LocalID `json:"local,omitempty"`
}

// Merge is an A34/A40 instruction: the merged patient's identity joins the
// survivor's. SurvivorID and MergedID are the logical ids this feed's
// messages give the two Patients (as Result.PatientID), so that whoever
// applies the merge finds the records to link: in FHIR, the merged Patient
// inactive with a link replaced-by the survivor, the survivor with a link
// that replaces it, and nothing of either deleted.
type Merge struct {
	Survivor   PatientKeys `json:"survivor"`
	Merged     PatientKeys `json:"merged"`
	SurvivorID string      `json:"survivorId"`
	MergedID   string      `json:"mergedId"`
}

// Warning is something dropped or invalid, with where it was.
type Warning struct {
	Location string `json:"location"`
	Message  string `json:"message"`
}

// Result is what one message means for the record.
type Result struct {
	MessageType string       `json:"messageType"` // e.g. ADT^A01
	EventTime   string       `json:"eventTime,omitempty"`
	Unsupported bool         `json:"unsupported,omitempty"` // not mapped: store and report
	Patient     *PatientKeys `json:"patient,omitempty"`
	PatientID   string       `json:"patientId,omitempty"` // the id in Patient/<id> references
	Entries     []Entry      `json:"entries,omitempty"`
	Merges      []Merge      `json:"merges,omitempty"`
	Warnings    []Warning    `json:"warnings,omitempty"`
}

// Sentinels wrapped by *Error.
var (
	ErrMissingSegment      = errors.New("required segment missing")
	ErrMissingField        = errors.New("required field empty")
	ErrInvalidField        = errors.New("field value unreadable")
	ErrNoPatientIdentifier = errors.New("no usable patient identifier")
)

// Error is a message that cannot be mapped. It names where, never what.
type Error struct {
	Location string // e.g. PID, PV1-19
	Err      error
}

func (e *Error) Error() string { return "v2fhir: " + e.Location + ": " + e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// logicalID derives a resource's id from its organisation, type and key.
func logicalID(org, typ string, key ...string) string {
	h := sha256.New()
	h.Write([]byte(org))
	h.Write([]byte{0})
	h.Write([]byte(typ))
	for _, k := range key {
		h.Write([]byte{0})
		h.Write([]byte(k))
	}
	var sum [sha256.Size]byte
	return hex.EncodeToString(h.Sum(sum[:0]))[:40]
}
