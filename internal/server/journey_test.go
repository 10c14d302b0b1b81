package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"carerecord/internal/ingest"
	"carerecord/internal/server/servertest"
	"carerecord/internal/shareddata"
)

// A journey replays one of UCLH's patient journeys (public GPL-3.0 sample
// messages, read where they lie in ../shared and never copied here) through
// the real engine, and checks what the record says after chosen messages.
// The expectations, in testdata/journeys/<name>.json, are ours: what HL7 v2
// says the record should hold, written from the messages' meaning.
type journey struct {
	About string `json:"about"`
	// Folder is under ../shared/testdata/hl7v2.
	Folder string `json:"folder"`
	// Files in the order they are sent; empty means every .txt file of the
	// folder, by name (01_A01.txt, 02_A11.txt...).
	Files []string `json:"files,omitempty"`
	// Patient is the identifier ("system|value") of the patient whose
	// encounter the steps check.
	Patient string `json:"patient"`
	Steps   []step `json:"steps"`
}

// step is what the record says once every message up to and including
// After has been applied or dead-lettered.
type step struct {
	After string `json:"after"`
	Why   string `json:"why"`
	// DeadLetters is how many of the journey's messages so far are
	// dead-lettered (usually none).
	DeadLetters int            `json:"deadLetters,omitempty"`
	Encounter   *encounterWant `json:"encounter,omitempty"`
	Patients    []patientWant  `json:"patients,omitempty"`
	// KnownDefect, when set, says why the record does not yet say what it
	// should: the step's differences are logged, not failed, and the step
	// fails once it passes, so that the note is removed with the defect.
	KnownDefect string `json:"knownDefect,omitempty"`
}

// encounterWant is the state of the patient's one Encounter.
type encounterWant struct {
	Status string `json:"status"`
	// Class is the v3 ActCode of Encounter.class (IMP, EMER...).
	Class string `json:"class"`
	// Location is where the patient is (or was last, once discharged):
	// PV1-3 as the mapper renders it, ward^bay^bed.
	Location    string `json:"location"`
	PeriodStart bool   `json:"periodStart"`
	PeriodEnd   bool   `json:"periodEnd"`
	// LocationHistory, when given, is where the patient has been: the
	// location of each version of the Encounter, oldest first, a repeat of
	// the one before left out.
	LocationHistory []string `json:"locationHistory,omitempty"`
}

// patientWant is the state of one Patient, found by Identifier.
type patientWant struct {
	Identifier string `json:"identifier"`
	// Identifiers are all its identifiers, "system|value" (use "old" ones
	// as "old:system|value"), in any order.
	Identifiers []string `json:"identifiers,omitempty"`
	Active      *bool    `json:"active,omitempty"`
	// Links are "type identifier": the link's type and an identifier of
	// the patient linked to, e.g. "replaced-by urn:...|123"; none when
	// empty.
	Links []string `json:"links"`
	// Encounters is how many encounters it has.
	Encounters *int `json:"encounters,omitempty"`
}

// UCLH's replayable journeys (admit, transfer, cancel, discharge, merge)
// sent over MLLP to a feed set up as their Epic sends leave the patient and
// the encounter in the states HL7 v2 says they should be in.
func TestUCLHJourneys(t *testing.T) {
	files, err := filepath.Glob("testdata/journeys/*.json")
	if err != nil || len(files) == 0 {
		t.Fatal("no journeys in testdata/journeys", err)
	}
	journeys := make([]journey, len(files))
	for i, file := range files {
		journeys[i] = loadJourney(t, file) // checked even without the corpus
	}
	root := shareddata.Require(t, "testdata", "hl7v2")
	for i, file := range files {
		j := journeys[i]
		t.Run(strings.TrimSuffix(filepath.Base(file), ".json"), func(t *testing.T) {
			dir := filepath.Join(root, filepath.FromSlash(j.Folder))
			if _, err := os.Stat(dir); err != nil {
				t.Skipf("skipping: %s is not in the shared corpus", j.Folder)
			}
			replay(t, j, dir)
		})
	}
}

func loadJourney(t *testing.T, file string) journey {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var j journey
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(&j); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	if j.Folder == "" || j.Patient == "" || len(j.Steps) == 0 {
		t.Fatalf("%s: want folder, patient and steps", file)
	}
	for _, s := range j.Steps {
		if s.After == "" || s.Why == "" || s.Encounter == nil && len(s.Patients) == 0 {
			t.Fatalf("%s: step %q: want after, why and something to check", file, s.After)
		}
	}
	return j
}

// replay sends the journey's messages over MLLP in order, stopping at each
// step to wait for the engine and check the record.
func replay(t *testing.T, j journey, dir string) {
	files := j.Files
	if len(files) == 0 {
		names, err := filepath.Glob(filepath.Join(dir, "*.txt"))
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range names {
			files = append(files, filepath.Base(n))
		}
		slices.Sort(files)
	}
	srv := journeyServer(t, uclhFeed("127.0.0.1:0"))
	addr := srv.Server.MLLPAddrs()[0]
	next, messages := 0, 0 // the next file to send; the messages sent
	for _, s := range j.Steps {
		n := slices.Index(files, s.After)
		if n < next {
			t.Fatalf("step after %s: not a file of the journey after the last step's", s.After)
		}
		paths := make([]string, 0, n+1-next)
		for _, f := range files[next : n+1] {
			paths = append(paths, filepath.Join(dir, f))
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		sum, err := ingest.SendFiles(ctx, addr, paths, ingest.SendOptions{})
		cancel()
		if err != nil || sum.Invalid > 0 || sum.Errors > 0 || sum.Accepted+sum.Rejected != sum.Sent {
			t.Fatalf("send %v: %+v, %v", files[next:n+1], sum, err)
		}
		next, messages = n+1, messages+sum.Sent
		st := waitSettled(t, srv, "uclh", messages)
		problems := checkStep(t, srv, j.Patient, s)
		if _, dead, _ := st.feedCounts("uclh"); dead != s.DeadLetters {
			problems = append(problems, "dead letters: got "+strconv.Itoa(dead)+", want "+strconv.Itoa(s.DeadLetters))
		}
		report(t, s, problems)
	}
}

// report fails the step for its problems, or, for a step with a known
// defect, logs them (and fails when there are none: the note is stale).
func report(t *testing.T, s step, problems []string) {
	t.Helper()
	switch {
	case s.KnownDefect == "":
		for _, p := range problems {
			t.Errorf("after %s (%s): %s", s.After, s.Why, p)
		}
	case len(problems) == 0:
		t.Errorf("after %s: the record is now right; remove the knownDefect note %q", s.After, s.KnownDefect)
	default:
		t.Logf("after %s: known defect, %s:\n\t%s", s.After, s.KnownDefect, strings.Join(problems, "\n\t"))
	}
}

// checkStep compares the record with the step's expectations and returns
// the differences.
func checkStep(t *testing.T, srv *servertest.Server, patient string, s step) []string {
	var problems []string
	if s.Encounter != nil {
		problems = append(problems, checkEncounter(t, srv, patient, *s.Encounter)...)
	}
	for _, p := range s.Patients {
		problems = append(problems, checkPatient(t, srv, p)...)
	}
	return problems
}

func checkEncounter(t *testing.T, srv *servertest.Server, patient string, want encounterWant) []string {
	ps := patientsByIdentifier(t, srv, patient)
	if len(ps) != 1 {
		return []string{"patients with " + patient + ": got " + strconv.Itoa(len(ps)) + ", want 1"}
	}
	encs := encountersOf(t, srv, ps[0].str("id"))
	if len(encs) != 1 {
		return []string{"encounters of the patient: got " + strconv.Itoa(len(encs)) + ", want 1 (one visit number)"}
	}
	enc := encs[0]
	var problems []string
	differ := func(what, got, want string) {
		if got != want {
			problems = append(problems, idOf(enc)+" "+what+": got "+strconv.Quote(got)+", want "+strconv.Quote(want))
		}
	}
	differ("status", enc.str("status"), want.Status)
	differ("class", enc.str("class", "code"), want.Class)
	differ("location", currentLocation(enc), want.Location)
	differ("period.start present", yesNo(enc.str("period", "start") != ""), yesNo(want.PeriodStart))
	differ("period.end present", yesNo(enc.str("period", "end") != ""), yesNo(want.PeriodEnd))
	if want.LocationHistory != nil {
		var got []string
		for _, v := range versionsOf(t, srv, "Encounter", enc.str("id")) {
			if l := currentLocation(v); len(got) == 0 || got[len(got)-1] != l {
				got = append(got, l)
			}
		}
		differ("location history", strings.Join(got, " > "), strings.Join(want.LocationHistory, " > "))
	}
	return problems
}

func checkPatient(t *testing.T, srv *servertest.Server, want patientWant) []string {
	ps := patientsByIdentifier(t, srv, want.Identifier)
	if len(ps) != 1 {
		return []string{"patients with " + want.Identifier + ": got " + strconv.Itoa(len(ps)) + ", want 1"}
	}
	p := ps[0]
	var problems []string
	differ := func(what, got, want string) {
		if got != want {
			problems = append(problems, idOf(p)+" ("+what+"): got "+strconv.Quote(got)+", want "+strconv.Quote(want))
		}
	}
	if want.Identifiers != nil {
		var got []string
		for _, id := range p.list("identifier") {
			s := id.str("system") + "|" + id.str("value")
			if id.str("use") == "old" {
				s = "old:" + s
			}
			got = append(got, s)
		}
		differ("identifiers", sorted(got), sorted(want.Identifiers))
	}
	if want.Active != nil {
		got := "absent"
		if active, ok := p["active"].(bool); ok {
			got = yesNo(active)
		}
		differ("active", got, yesNo(*want.Active))
	}
	var links []string
	for _, l := range p.list("link") {
		links = append(links, l.str("type")+" "+identifierOf(t, srv, l.str("other", "reference")))
	}
	differ("links", sorted(links), sorted(want.Links))
	if want.Encounters != nil {
		differ("encounters", strconv.Itoa(len(encountersOf(t, srv, p.str("id")))), strconv.Itoa(*want.Encounters))
	}
	return problems
}

// identifierOf names the patient a reference points to by its first
// identifier, as the expectations do; the reference itself if it is not
// in the record.
func identifierOf(t *testing.T, srv *servertest.Server, reference string) string {
	id, ok := strings.CutPrefix(reference, "Patient/")
	if !ok {
		return reference
	}
	ps := fhirBundle(t, srv.FHIR+"/Patient?_id="+id)
	if len(ps) != 1 {
		return reference
	}
	for _, i := range ps[0].list("identifier") {
		if i.str("system") == uclhMRN {
			return i.str("system") + "|" + i.str("value")
		}
	}
	return reference
}

func sorted(s []string) string {
	s = slices.Clone(s)
	slices.Sort(s)
	return strings.Join(s, ", ")
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
