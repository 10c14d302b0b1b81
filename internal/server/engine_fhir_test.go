package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"carerecord/internal/config"
	"carerecord/internal/server/servertest"
)

// fhirPatient is a Patient with a test NHS number, updated at lastUpdated.
func fhirPatient(id, family, lastUpdated string) string {
	return `{"resourceType":"Patient","id":"` + id + `","meta":{"lastUpdated":"` + lastUpdated + `"},` +
		`"identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000026"}],` +
		`"name":[{"family":"` + family + `","given":["JANE"]}],"gender":"female","birthDate":"1980-02-14"}`
}

func fhirObservation(id, status, patient string) string {
	return `{"resourceType":"Observation","id":"` + id + `","status":"` + status + `",` +
		`"code":{"coding":[{"system":"http://snomed.info/sct","code":"27113001","display":"Body weight"}]},` +
		`"subject":{"reference":"Patient/` + patient + `"},"valueQuantity":{"value":72.5,"unit":"kg"}}`
}

// bundleOf is a Bundle of type typ with a PUT entry for each resource.
func bundleOf(typ string, resources ...string) string {
	entries := make([]string, len(resources))
	for i, r := range resources {
		entries[i] = `{"resource":` + r + `,"request":{"method":"PUT","url":"x"}}`
	}
	return `{"resourceType":"Bundle","type":"` + typ + `","entry":[` + strings.Join(entries, ",") + `]}`
}

type fhirReport struct {
	Feed, Lane string
	Resources  int
	Queued     int
	Rejected   []struct {
		Index                      int
		Resource, Reason, Location string
		DeadLettered               bool
	}
	Error string
}

func postFHIR(t *testing.T, u, contentType, body string) (int, fhirReport) {
	t.Helper()
	resp, err := http.Post(u, contentType, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var rep fhirReport
	if err := json.NewDecoder(resp.Body).Decode(&rep); err != nil {
		t.Fatalf("%s: answer: %v", resp.Status, err)
	}
	return resp.StatusCode, rep
}

// waitForResource polls until the resource at path (under /fhir) satisfies ok.
func waitForResource(t *testing.T, srv *servertest.Server, path, what string, ok func(status int, body map[string]any) bool) map[string]any {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(srv.FHIR + path)
		if err != nil {
			t.Fatal(err)
		}
		var b map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&b)
		resp.Body.Close()
		if ok(resp.StatusCode, b) {
			return b
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: never %s (last %d %v)", path, what, resp.StatusCode, b)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func isFound(status int, _ map[string]any) bool { return status == http.StatusOK }

func historyTotal(n float64) func(int, map[string]any) bool {
	return func(status int, b map[string]any) bool { return status == http.StatusOK && b["total"] == n }
}

func familyOf(b map[string]any) string {
	names, _ := b["name"].([]any)
	if len(names) == 0 {
		return ""
	}
	f, _ := names[0].(map[string]any)["family"].(string)
	return f
}

// A FHIR Bundle posted to a feed takes the HL7 v2 path: queued per
// patient, applied idempotently and in event-time order; an invalid entry
// is a dead letter with its location; NDJSON works too.
func TestPostFHIRIntoTheRecord(t *testing.T) {
	srv := servertest.Start(t, servertest.WithConfig(func(c *config.Config) {
		c.Feeds = []config.Feed{{Name: "gp", Drop: t.TempDir()}}
	}))
	u := srv.URL() + "/engine/feeds/gp/fhir"
	bundle := bundleOf("transaction",
		fhirPatient("fp1", "ASHBY", "2025-03-01T10:00:00Z"),
		fhirObservation("fo1", "final", "fp1"),
		// fhir.Validate does not check required bindings (a status of
		// "nonsense" passes), so the invalid one has a status that is no code.
		strings.Replace(fhirObservation("fo-bad", "final", "fp1"), `"status":"final"`, `"status":5`, 1))
	status, rep := postFHIR(t, u, "application/fhir+json", bundle)
	if status != http.StatusAccepted || rep.Feed != "gp" || rep.Lane != "live" || rep.Resources != 3 || rep.Queued != 2 || len(rep.Rejected) != 1 {
		t.Fatalf("%d %+v", status, rep)
	}
	rj := rep.Rejected[0]
	if rj.Index != 3 || rj.Resource != "Observation/fo-bad" || rj.Location != "Observation.status" || !rj.DeadLettered || rj.Reason == "" {
		t.Fatalf("rejected: %+v", rj)
	}
	waitForResource(t, srv, "/Patient/fp1", "readable", isFound)
	obs := waitForResource(t, srv, "/Observation/fo1", "readable", isFound)
	if obs["status"] != "final" {
		t.Errorf("observation: %v", obs)
	}
	var dls []struct{ Feed, ControlID, Error, Location string }
	getJSON(t, srv.URL()+"/engine/dead-letters?feed=gp", &dls)
	if len(dls) != 1 || dls[0].ControlID != "Observation/fo-bad" || dls[0].Error != rj.Reason || dls[0].Location != "Observation.status" {
		t.Fatalf("dead letters: %+v", dls)
	}

	// The same Bundle again changes nothing. An NDJSON resource of the same
	// patient is queued behind it, in order: once it is in, the repeat has
	// been taken.
	if status, rep = postFHIR(t, u, "application/fhir+json", bundle); status != http.StatusAccepted || rep.Queued != 2 {
		t.Fatalf("again: %d %+v", status, rep)
	}
	ndjson := fhirObservation("fo2", "final", "fp1") + "\n\n{\"resourceType\":\"Observation\",\"status\":\"final\"}\n"
	status, rep = postFHIR(t, u, "application/fhir+ndjson", ndjson)
	if status != http.StatusAccepted || rep.Resources != 2 || rep.Queued != 1 || len(rep.Rejected) != 1 ||
		rep.Rejected[0].Index != 3 || !rep.Rejected[0].DeadLettered || rep.Rejected[0].Location == "" {
		t.Fatalf("ndjson: %d %+v", status, rep)
	}
	waitForResource(t, srv, "/Observation/fo2", "readable", isFound)

	// A dead letter fixed and reprocessed reaches the record.
	var dl []struct {
		ID       int
		Location string
	}
	getJSON(t, srv.URL()+"/engine/dead-letters?feed=gp", &dl)
	if len(dl) != 2 || dl[1].Location != "Observation.code" {
		t.Fatalf("dead letters after the NDJSON: %+v", dl)
	}
	resp, err := http.Post(fmt.Sprintf("%s/engine/dead-letters/%d/reprocess", srv.URL(), dl[1].ID), "application/fhir+json",
		strings.NewReader(fhirObservation("fo3", "final", "fp1")))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		t.Fatalf("reprocess: %s", resp.Status)
	}
	waitForResource(t, srv, "/Observation/fo3", "readable", isFound)
	waitForResource(t, srv, "/Patient/fp1/_history", "one version", historyTotal(1))
	waitForResource(t, srv, "/Observation/fo1/_history", "one version", historyTotal(1))

	// An older version posted after the newer one goes to history only.
	older := bundleOf("collection", fhirPatient("fp1", "OLDNAME", "2025-01-01T10:00:00Z"))
	if status, rep = postFHIR(t, u, "application/fhir+json", older); status != http.StatusAccepted || rep.Queued != 1 {
		t.Fatalf("older: %d %+v", status, rep)
	}
	waitForResource(t, srv, "/Patient/fp1/_history", "the older version in history", historyTotal(3))
	if got := familyOf(waitForResource(t, srv, "/Patient/fp1", "readable", isFound)); got != "ASHBY" {
		t.Errorf("after an older version the current family is %q, want ASHBY", got)
	}
	// A newer one becomes current.
	newer := bundleOf("batch", fhirPatient("fp1", "BARNES", "2025-04-01T10:00:00Z"))
	if status, rep = postFHIR(t, u, "application/fhir+json", newer); status != http.StatusAccepted || rep.Queued != 1 {
		t.Fatalf("newer: %d %+v", status, rep)
	}
	waitForResource(t, srv, "/Patient/fp1", "the newer version", func(status int, b map[string]any) bool { return familyOf(b) == "BARNES" })

	// The message log has each version, the older one superseded.
	var log struct {
		Messages []struct {
			Type, Status, EventTime string
			Became                  []struct{ Reference, Result string }
		}
	}
	getJSON(t, srv.URL()+"/engine/messages?feed=gp&controlId=Patient/fp1", &log)
	superseded := 0
	for _, m := range log.Messages {
		if m.Type != "FHIR Patient" || m.Status != "applied" || len(m.Became) != 1 {
			t.Errorf("logged %+v", m)
			continue
		}
		if m.Became[0].Result == "superseded" {
			superseded++
			if m.EventTime != "2025-01-01T10:00:00Z" {
				t.Errorf("superseded at %q", m.EventTime)
			}
		}
	}
	if len(log.Messages) < 3 || superseded != 1 {
		t.Errorf("message log: %+v", log.Messages)
	}
}

func TestPostFHIRRefusals(t *testing.T) {
	srv := servertest.Start(t, servertest.WithConfig(func(c *config.Config) {
		c.Feeds = []config.Feed{{Name: "gp", Drop: t.TempDir()}}
	}))
	del := `{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"DELETE","url":"Patient/fp1"}}]}`
	noID := bundleOf("transaction", `{"resourceType":"Observation","status":"final","code":{"text":"weight"}}`)
	tests := []struct {
		name, path, contentType, body string
		status                        int
		inError, location             string
		deadLettered                  bool
	}{
		{"unknown feed", "/engine/feeds/nosuch/fhir", "application/fhir+json", del, http.StatusNotFound, `no feed named "nosuch"`, "", false},
		{"unknown lane", "/engine/feeds/gp/fhir?lane=fast", "application/fhir+json", del, http.StatusBadRequest, "lane", "", false},
		{"content type", "/engine/feeds/gp/fhir", "text/plain", del, http.StatusUnsupportedMediaType, "Content-Type", "", false},
		{"not JSON", "/engine/feeds/gp/fhir", "application/fhir+json", "MSH|", http.StatusBadRequest, "not a FHIR JSON Bundle", "", false},
		{"searchset", "/engine/feeds/gp/fhir", "application/fhir+json", bundleOf("searchset"), http.StatusBadRequest, "Bundle.type", "", false},
		{"delete", "/engine/feeds/gp/fhir", "application/fhir+json", del, http.StatusAccepted, "DELETE is not supported", "Bundle.entry[0].request.method", false},
		{"no id", "/engine/feeds/gp/fhir?lane=bulk", "application/fhir+json", noID, http.StatusAccepted, "no valid id", "Observation.id", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, rep := postFHIR(t, srv.URL()+tt.path, tt.contentType, tt.body)
			if status != tt.status {
				t.Fatalf("%d %+v, want %d", status, rep, tt.status)
			}
			if status != http.StatusAccepted {
				if !strings.Contains(rep.Error, tt.inError) {
					t.Errorf("error %q, want %q", rep.Error, tt.inError)
				}
				return
			}
			if rep.Queued != 0 || len(rep.Rejected) != 1 || !strings.Contains(rep.Rejected[0].Reason, tt.inError) ||
				rep.Rejected[0].Location != tt.location || rep.Rejected[0].DeadLettered != tt.deadLettered {
				t.Errorf("%+v", rep)
			}
		})
	}
}
