package v2fhir

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // Europe/London without the system zone database

	"carerecord/internal/fhir"
	"carerecord/internal/hl7"
)

var update = flag.Bool("update", false, "rewrite the expected output of testdata/*.txt")

const separator = "\n----\n"

func london(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// testFeed is the feed of the testdata cases.
func testFeed(t testing.TB) Feed {
	return Feed{
		Name:                "test",
		Organisation:        "RZZ",
		LocalSystem:         "https://fhir.example-trust.nhs.uk/Id",
		NHSNumber:           NHSNumberRule{TypeCodes: []string{"NH"}},
		DefaultVerification: "",
		Location:            london(t),
	}
}

// parseCase turns the message part of a case file into a message: one
// segment a line, ended by CR as on the wire.
func parseCase(t testing.TB, text string) *hl7.Message {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(text), "\n")
	msg, err := hl7.Parse([]byte(strings.Join(lines, "\r") + "\r"))
	if err != nil {
		t.Fatal(err)
	}
	return msg
}

// render is the normalised output of a mapping: the Result as indented JSON,
// or the error.
func render(t testing.TB, res *Result, err error) string {
	t.Helper()
	if err != nil {
		return "error: " + err.Error() + "\n"
	}
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b) + "\n"
}

// checkValid fails t for any entry whose resource does not pass fhir.Validate
// or whose type and id disagree with the entry.
func checkValid(t testing.TB, name string, res *Result) {
	t.Helper()
	for i, e := range res.Entries {
		if e.Resource == nil {
			if e.Op != OpMarkStatus {
				t.Errorf("%s: entry %d (%s) has no resource", name, i, e.Type)
			}
			continue
		}
		h, err := fhir.Validate(e.Resource)
		if err != nil {
			t.Errorf("%s: entry %d (%s) invalid: %v", name, i, e.Type, err)
			continue
		}
		if h.ResourceType != e.Type || h.ID != e.ID {
			t.Errorf("%s: entry %d is %s/%s, resource is %s/%s", name, i, e.Type, e.ID, h.ResourceType, h.ID)
		}
	}
}

func TestCases(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatal("no test cases", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txt"), func(t *testing.T) {
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			input, want, ok := strings.Cut(string(b), separator)
			if !ok && !*update {
				t.Fatalf("no %q separator", strings.TrimSpace(separator))
			}
			res, err := Map(parseCase(t, input), testFeed(t))
			got := render(t, res, err)
			if err == nil {
				checkValid(t, file, res)
				again, _ := Map(parseCase(t, input), testFeed(t))
				if render(t, again, nil) != got {
					t.Error("mapping the same message twice differs")
				}
			}
			if *update {
				out := strings.TrimRight(input, "\n") + separator + got
				if err := os.WriteFile(file, []byte(out), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if got != want {
				t.Errorf("output differs; run go test -update and review the diff\n--- got\n%s", got)
			}
		})
	}
}

func TestErrorsHoldNoPatientData(t *testing.T) {
	msg := parseCase(t, "MSH|^~\\&|PAS|RZZ|||20240101120000||ADT^A01|1|P|2.4\nEVN|A01|20240101120000\nPID|1||^^^^MR||SECRETNAME^ALICE")
	_, err := Map(msg, testFeed(t))
	var e *Error
	if !errors.As(err, &e) || !errors.Is(err, ErrNoPatientIdentifier) {
		t.Fatalf("err = %v, want ErrNoPatientIdentifier", err)
	}
	if strings.Contains(err.Error(), "SECRET") {
		t.Errorf("error text holds patient data: %v", err)
	}
	if e.Location != "PID-3" {
		t.Errorf("location %q, want PID-3", e.Location)
	}
}

func TestUnknownTypeReported(t *testing.T) {
	msg := parseCase(t, "MSH|^~\\&|X|RZZ|||20240101120000||ZZZ^Z01|1|P|2.4")
	res, err := Map(msg, testFeed(t))
	if err != nil || !res.Unsupported || len(res.Warnings) == 0 {
		t.Fatalf("got %+v, %v; want an unsupported result with a warning", res, err)
	}
}

func TestJSONString(t *testing.T) {
	got := string(appendString(nil, "a\"b\\c\nd\x01e\xff"))
	if want := `"a\"b\\c\nde` + "\ufffd" + `"`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	var s string
	if err := json.Unmarshal([]byte(got), &s); err != nil {
		t.Error(err)
	}
	if !bytes.Equal(obj("a", "", "b", []*object{nil}).bytes(), []byte("{}")) {
		t.Error("empty members not left out")
	}
}

// A feed that names no NHS number type codes takes NH and HN, the codes the
// engine keys messages by; one that names its codes takes only those.
func TestNHSNumberTypeCodes(t *testing.T) {
	const pid = "PID|1||RZZ100001^^^RZZMRN^MR~9990000018^^^NHS^"
	tests := []struct {
		name, typ string
		codes     []string
		nhs       string // want Result.Patient.NHSNumber
		local     int    // want local identifiers
	}{
		{"default takes NH", "NH", nil, "9990000018", 1},
		{"default takes HN", "HN", nil, "9990000018", 1},
		{"default leaves other codes local", "MR", nil, "", 2},
		{"named codes only", "HN", []string{"NH"}, "", 2},
		{"named HN", "HN", []string{"HN"}, "9990000018", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := parseCase(t, "MSH|^~\\&|PAS|RZZ|||20240101120000||ADT^A28|1|P|2.4\nEVN|A28|20240101120000\n"+pid+tt.typ+"||SMITH^JANE")
			feed := testFeed(t)
			feed.NHSNumber.TypeCodes = tt.codes
			res, err := Map(msg, feed)
			if err != nil {
				t.Fatal(err)
			}
			if res.Patient.NHSNumber != tt.nhs || len(res.Patient.Local) != tt.local {
				t.Errorf("NHS number %q and %d local identifiers, want %q and %d", res.Patient.NHSNumber, len(res.Patient.Local), tt.nhs, tt.local)
			}
		})
	}
}

// A merge names the Patients by the ids the feed's other messages give
// them, so that whoever applies it finds both records.
func TestMergeIDsAddressThePatients(t *testing.T) {
	patientID := func(pid string) string {
		res, err := Map(parseCase(t, "MSH|^~\\&|PAS|RZZ|||20240101120000||ADT^A28|1|P|2.4\nEVN|A28|20240101120000\n"+pid), testFeed(t))
		if err != nil {
			t.Fatal(err)
		}
		return res.PatientID
	}
	survivor := patientID("PID|1||RZZ100001^^^RZZMRN^MR~9990000018^^^NHS^NH||SMITH^JANE")
	merged := patientID("PID|1||RZZ100010^^^RZZMRN^MR||SMITH^JANE")
	res, err := Map(parseCase(t, "MSH|^~\\&|PAS|RZZ|||20240102120000||ADT^A40|2|P|2.4\nEVN|A40|20240102120000\n"+
		"PID|1||RZZ100001^^^RZZMRN^MR~9990000018^^^NHS^NH||SMITH^JANE\nMRG|RZZ100010^^^RZZMRN^MR"), testFeed(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Merges) != 1 || res.Merges[0].SurvivorID != survivor || res.Merges[0].MergedID != merged || survivor == merged {
		t.Errorf("merges %+v, want survivor %s and merged %s", res.Merges, survivor, merged)
	}
}
