// Package v2fhir owns the mapping of HL7 version 2 messages to FHIR R4 (UK
// Core) resources, as pure functions: Map takes a parsed *hl7.Message and the
// Feed it came from and returns a Result that says what to do in the record,
// without touching storage. It is layer 1: it imports only internal/hl7,
// internal/fhir, internal/nhsnumber and the standard library; the
// integration engine (ingest) imports it.
//
// The mappings follow the HL7 v2-to-FHIR implementation guide in spirit
// (segment and datatype maps), simplified where a shared care record needs
// less, and the UK Core profiles for identity.
//
// # Feeds
//
// A Feed names its source organisation (ODS code), the base URI of its local
// identifier systems, where its NHS number sits (a PID-3 repetition with a
// configured type code, NH or HN by default, or a configured assigning
// authority, or PID-2 in old v2.2 feeds) and its time zone, in which
// timestamps without a UTC offset are read (Europe/London for NHS feeds; nil
// means UTC).
//
// # Results
//
// A Result lists Entries: one FHIR resource each, as JSON bytes that pass
// fhir.Validate, with the operation intended (OpUpsert, or OpMarkStatus for
// a cancellation or deletion: set the stored resource's status to
// Entry.Status, or store Entry.Resource, which carries that status, if
// nothing is stored yet, so that a late older message cannot resurrect it)
// and the event time the fact came from. The event time is EVN-2 (recorded
// date/time) when the message has an EVN segment, else MSH-7; for results it
// is OBR-22 (status change time) when given, since OBR-7, the observation
// time, is the same for the preliminary and the final report. The applier
// never lets an entry overwrite state whose event time is newer (backload).
//
// Logical ids are deterministic: the first 40 hex digits of a SHA-256 of the
// source organisation, the resource type and the business key, so replaying
// a message gives the same ids and later messages (A08, A11, amended results)
// address the same resources, and no identifier value appears in an id.
// The keys: Patient, the first local identifier (else the NHS number);
// Encounter, the visit number PV1-19 (else patient and admit time PV1-44);
// DiagnosticReport, the filler order number OBR-3 (else placer OBR-2, else
// ORC-3/ORC-2); Observation, its report and OBX-3 code with OBX-4 sub-id (a
// repeated code in one report falls back to the OBX set id, with a warning);
// DocumentReference, TXA-12; Appointment, SCH-2 (else SCH-1);
// MedicationRequest, ORC-2 (else ORC-3); MedicationDispense and
// MedicationAdministration, that order and RXD-1 or RXA-1/RXA-2;
// Immunization, ORC-3 (else vaccine code and RXA-3); AllergyIntolerance,
// Condition and Procedure, the patient and the allergen, diagnosis or
// procedure code (DG1-20/PR1-19 identifiers when given); RelatedPerson, the
// patient and the contact's name.
//
// Resources refer to the patient as Patient/<feed patient id>. Result.Patient
// holds the identity keys (a modulus 11 valid NHS number, never invented, and
// its verification status; the local identifiers with their organisation);
// the patient index resolves them and rewrites those references. Only ADT
// messages emit the Patient resource itself: the PID of an order or result
// often carries stale or partial demographics.
//
// ADT A34 and A40 carry an explicit Merge instruction (survivor keys from PID,
// merged keys from MRG-1, and the logical ids the feed's messages give the
// two Patients) instead of resources.
//
// # Events
//
// A01 admit, A04 register, A06/A07 change class: Encounter in-progress. A05
// pre-admit: planned. A02 transfer: the new location active, PV1-6 completed.
// A03 discharge: finished with its end. A08: finished when PV1-45 is given,
// in-progress when PV1-44 is, else unknown. Cancellations undo what they
// cancel: A11 marks the Encounter entered-in-error, A12 puts the patient back
// in PV1-3 (the location before the transfer), A13 reopens the Encounter
// (in-progress, no end). A28/A31 update the person only. NK1, AL1, DG1 and PR1
// in A01/A04/A05/A08/A28/A31 give RelatedPerson, AllergyIntolerance,
// Condition and Procedure.
//
// ORU R01 gives a DiagnosticReport per OBR and an Observation per OBX: value
// by OBX-2 (NM and SN as Quantity with UCUM units when OBX-6 names UCUM, ST,
// TX and FT as string, CE/CWE as CodeableConcept, DT/TS/DTM as dateTime, ED
// as the report's presentedForm), reference range from OBX-7, interpretation
// from OBX-8, status from OBX-11: F final, C amended, P/R/S preliminary, I
// registered, X cancelled, U final, D and W entered-in-error (OpMarkStatus).
// An OBX with an empty or unknown OBX-11 is not mapped and is reported as a
// warning: storing a result of unknown status is a clinical risk. LOINC vital
// signs get the vital-signs category.
//
// MDM T02/T04/T06/T08 give a DocumentReference with the OBX content as a
// Binary (T06 and T08 relate to the parent document in TXA-13; T08 marks the
// parent superseded). SIU S12–S17 give an Appointment (S15/S16 cancelled, S17
// entered-in-error). RDE O11, RDS O13 and RAS O17 give MedicationRequest,
// MedicationDispense and MedicationAdministration; VXU V04 Immunization.
//
// Any other message type gives a Result with Unsupported set and a warning,
// never an error and never silence: the engine stores it, acknowledges as
// configured and reports it.
//
// # Problems
//
// Things dropped or invalid (an NHS number failing the modulus 11 check, an
// unreadable date, an OBX without status) are Warnings with their location,
// e.g. PID-3[2]. A message that cannot be mapped at all (an ADT without PID,
// no usable patient identifier, a cancellation that cannot address its visit)
// gives an *Error with the segment and field, wrapping a sentinel; neither
// ever contains values from the message.
package v2fhir
