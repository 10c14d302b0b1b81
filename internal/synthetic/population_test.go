package synthetic

import (
	"strings"
	"testing"
	"time"

	"carerecord/internal/nhsnumber"
)

var sharedTypes = []string{"Organization", "Location", "Practitioner", "PractitionerRole"}

func TestSharedResourcesComeFirstInOrder(t *testing.T) {
	rs := population()
	stage := 0
	for i, r := range rs {
		if r.Type == "Patient" {
			break
		}
		for stage < len(sharedTypes) && r.Type != sharedTypes[stage] {
			stage++
		}
		if stage == len(sharedTypes) {
			t.Fatalf("resource %d: %s out of order among the shared resources", i, r.Type)
		}
	}
	inPatients := false
	for _, r := range rs {
		inPatients = inPatients || r.Type == "Patient"
		for _, s := range sharedTypes {
			if inPatients && r.Type == s {
				t.Errorf("shared %s/%s emitted after the first patient", r.Type, r.ID)
			}
		}
	}
}

func TestReferencesPointBackwards(t *testing.T) {
	emitted := map[string]bool{}
	n := 0
	for _, r := range population() {
		for _, ref := range references(r.v) {
			n++
			typ, id, ok := strings.Cut(ref, "/")
			if !ok || typ == "" || strings.Contains(id, "/") {
				t.Errorf("%s/%s: reference %q is not Type/id", r.Type, r.ID, ref)
				continue
			}
			if !emitted[ref] {
				t.Errorf("%s/%s: reference %q does not point at an earlier resource", r.Type, r.ID, ref)
			}
		}
		emitted[r.Type+"/"+r.ID] = true
	}
	if n < 1000 {
		t.Errorf("only %d references checked", n)
	}
}

func TestRecordsStayInTheirPatient(t *testing.T) {
	for _, g := range groups(population()) {
		self := "Patient/" + g.patient.ID
		for _, r := range g.rest {
			mentions := 0
			for _, ref := range references(r.v) {
				if strings.HasPrefix(ref, "Patient/") {
					if ref != self {
						t.Errorf("%s/%s in the record of %s refers to %s", r.Type, r.ID, self, ref)
					}
					mentions++
				}
			}
			if mentions == 0 {
				t.Errorf("%s/%s in the record of %s does not refer to its patient", r.Type, r.ID, self)
			}
		}
	}
}

func TestNHSNumbers(t *testing.T) {
	seen := map[string]bool{}
	status := map[string]int{}
	for _, g := range groups(population()) {
		ids, _ := g.patient.v["identifier"].([]any)
		nhs := ""
		for _, x := range ids {
			id := x.(map[string]any)
			if str(id, "system") != systemNHSNumber {
				continue
			}
			nhs = str(id, "value")
			if str(id, "extension", "url") != urlNHSVerification {
				t.Errorf("%s: NHS number without the verification status extension", g.patient.ID)
			}
			status[str(id, "extension", "valueCodeableConcept", "coding", "code")]++
		}
		switch {
		case !nhsnumber.Valid(nhs):
			t.Errorf("%s: NHS number %q fails modulus 11", g.patient.ID, nhs)
		case !strings.HasPrefix(nhs, "999"):
			t.Errorf("%s: NHS number %q outside the 999 test range", g.patient.ID, nhs)
		case seen[nhs]:
			t.Errorf("NHS number %s given to two patients", nhs)
		}
		seen[nhs] = true
	}
	if status["01"] < len(seen)*8/10 || status["02"] == 0 || status["01"]+status["02"] != len(seen) {
		t.Errorf("verification statuses %v for %d patients; want mostly 01, some 02", status, len(seen))
	}
}

func TestCountsScaleWithPatients(t *testing.T) {
	count := func(n int) map[string]int {
		c := map[string]int{}
		for _, r := range generate(t, Options{Seed: 9, Patients: n, Now: testNow}) {
			c[r.Type]++
			c[""]++
		}
		return c
	}
	small, large := count(40), count(160)
	if small["Patient"] != 40 || large["Patient"] != 160 {
		t.Fatalf("patients: %d and %d, want 40 and 160", small["Patient"], large["Patient"])
	}
	shared := small["Organization"] + small["Location"] + small["Practitioner"] + small["PractitionerRole"]
	perSmall := float64(small[""]-shared) / 40
	perLarge := float64(large[""]-shared) / 160
	if perSmall < 30 || perLarge < 30 || perLarge > 400 || perLarge/perSmall > 2 || perSmall/perLarge > 2 {
		t.Errorf("resources per patient: %.0f for 40 patients, %.0f for 160", perSmall, perLarge)
	}
	for _, typ := range []string{"Encounter", "Condition", "Observation", "MedicationRequest", "MedicationStatement",
		"AllergyIntolerance", "Immunization", "DocumentReference", "Appointment", "CarePlan", "EpisodeOfCare", "CareTeam"} {
		if large[typ] == 0 {
			t.Errorf("no %s among 160 patients", typ)
		}
		if large[typ] < small[typ] {
			t.Errorf("%s: %d for 160 patients, fewer than %d for 40", typ, large[typ], small[typ])
		}
	}
}

// FHIR date, dateTime and instant values as the generator writes them.
func parseFHIRTime(s string) (t time.Time, dateOnly, ok bool) {
	if len(s) < 10 || s[4] != '-' || s[7] != '-' {
		return time.Time{}, false, false
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, true, true
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, false, true
	}
	return time.Time{}, false, false
}

func TestNoEventBeforeBirthOrAfterDeath(t *testing.T) {
	deceased, checked := checkTimelines(t, groups(population()), testNow)
	if deceased == 0 || checked < 10000 {
		t.Errorf("checked %d dates for %d deceased patients; want both", checked, deceased)
	}
}

// checkTimelines reports any date in a patient's record before their birth,
// after their death, or after now (booked appointments aside). It returns
// how many patients were deceased and how many dates it checked.
func checkTimelines(t *testing.T, gs []patientGroup, now time.Time) (deceased, checked int) {
	t.Helper()
	for _, g := range gs {
		birth, _, _ := parseFHIRTime(str(g.patient.v, "birthDate"))
		death, _, dead := parseFHIRTime(str(g.patient.v, "deceasedDateTime"))
		last := now
		if dead {
			deceased++
			last = death
		}
		lastDay := time.Date(last.Year(), last.Month(), last.Day(), 0, 0, 0, 0, time.UTC)
		for _, r := range g.rest {
			booked := r.Type == "Appointment" && str(r.v, "status") == "booked"
			if dead && booked {
				t.Errorf("deceased patient has booked %s/%s", r.Type, r.ID)
			}
			walk(r.v, "", func(k string, x any) {
				s, ok := x.(string)
				if !ok {
					return
				}
				at, dateOnly, ok := parseFHIRTime(s)
				if !ok {
					return
				}
				checked++
				limit := choose(dateOnly, lastDay, last)
				switch {
				case at.Before(birth):
					t.Errorf("%s/%s %s %s is before birth %s", r.Type, r.ID, k, s, birth.Format("2006-01-02"))
				case dead && at.After(limit):
					t.Errorf("%s/%s %s %s is after death %s", r.Type, r.ID, k, s, death.Format(time.RFC3339))
				case at.After(limit) && !(booked && (k == "start" || k == "end")):
					t.Errorf("%s/%s %s %s is after now", r.Type, r.ID, k, s)
				}
			})
		}
	}
	return deceased, checked
}
