package synthetic_test

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"carerecord/internal/fhir"
	"carerecord/internal/hl7"
	"carerecord/internal/synthetic"
	"carerecord/internal/v2fhir"
)

// Every message of the live feeds maps with v2fhir, as the demo's engine
// maps it, without error or warning, to valid FHIR of the expected types;
// every message about a person refers to the same Patient id, and the
// Patient an ADT message gives carries the NHS number and the MRN with the
// very identifier systems of the generated Patient.
func TestFeedMessagesMap(t *testing.T) {
	now := time.Date(2025, 6, 2, 10, 0, 0, 0, time.UTC)
	people, err := synthetic.People(synthetic.Options{Seed: 5, Patients: 30, Now: now}, 30)
	if err != nil {
		t.Fatal(err)
	}
	f, err := synthetic.NewFeed(synthetic.FeedOptions{Seed: 5, People: people, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	feed := v2fhir.Feed{Organisation: synthetic.FeedTrust, LocalSystem: synthetic.LocalSystem(synthetic.FeedTrust)}
	want := map[synthetic.MessageKind][]string{
		synthetic.KindADT:          {"Patient", "Encounter"},
		synthetic.KindResults:      {"DiagnosticReport", "Observation"},
		synthetic.KindDocuments:    {"DocumentReference", "Binary"},
		synthetic.KindAppointments: {"Appointment"},
	}
	patientIDs := map[string]string{} // NHS number -> Patient id
	mapped := map[synthetic.MessageKind]int{}
	for i := range 120 {
		at := now.Add(time.Duration(i) * 2 * time.Second)
		for _, k := range synthetic.MessageKinds {
			b := f.Next(k, at)
			if b == nil {
				continue
			}
			msg, err := hl7.Parse(b)
			if err != nil {
				t.Fatal(err)
			}
			feed.Name = k.String()
			res, err := v2fhir.Map(msg, feed)
			if err != nil {
				t.Fatalf("%s: %v\n%s", k, err, b)
			}
			if res.Unsupported || len(res.Warnings) > 0 {
				t.Errorf("%s %s: unsupported %v, warnings %v", k, res.MessageType, res.Unsupported, res.Warnings)
			}
			nhs := res.Patient.NHSNumber
			if id, ok := patientIDs[nhs]; ok && id != res.PatientID {
				t.Errorf("%s: Patient/%s for %s, earlier Patient/%s", k, res.PatientID, nhs, id)
			}
			patientIDs[nhs] = res.PatientID
			var types []string
			for _, e := range res.Entries {
				types = append(types, e.Type)
				if _, err := fhir.Validate(e.Resource); err != nil {
					t.Errorf("%s: %s/%s is not valid FHIR: %v", k, e.Type, e.ID, err)
				}
				if e.Type == "Patient" {
					checkPatient(t, e.Resource, nhs, people)
				}
			}
			for _, typ := range want[k] {
				if !slices.Contains(types, typ) && !(k == synthetic.KindAppointments && res.MessageType == "SIU^S15") {
					t.Errorf("%s %s gave %v, want a %s", k, res.MessageType, types, typ)
				}
			}
			mapped[k]++
		}
	}
	for _, k := range synthetic.MessageKinds {
		if mapped[k] == 0 {
			t.Errorf("no %s message mapped", k)
		}
	}
}

// checkPatient compares the identifiers of a mapped Patient with the
// person's.
func checkPatient(t *testing.T, body []byte, nhs string, people []synthetic.Person) {
	t.Helper()
	var p struct {
		Identifier []struct{ System, Value string } `json:"identifier"`
		BirthDate  string                           `json:"birthDate"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(people, func(x synthetic.Person) bool { return x.NHSNumber == nhs })
	if i < 0 {
		t.Fatalf("Patient with NHS number %s is no one of the population", nhs)
	}
	person := people[i]
	got := map[string]string{}
	for _, id := range p.Identifier {
		got[id.System] = id.Value
	}
	mrnSystem := synthetic.LocalSystem(person.Trust) + "/local-patient-identifier"
	if got[fhir.NHSNumberSystem] != nhs || got[mrnSystem] != person.MRN || p.BirthDate != person.BirthDate.Format("2006-01-02") {
		t.Errorf("mapped Patient %v born %s, want NHS number %s, %s %s, born %s", got, p.BirthDate, nhs, mrnSystem, person.MRN,
			person.BirthDate.Format("2006-01-02"))
	}
}
