package server_test

import (
	"context"
	"encoding/json"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"carerecord/internal/config"
	"carerecord/internal/server/servertest"
	"carerecord/internal/synthetic"
)

// TestOutsideMLLPClient sends HL7 v2 to a feed with node-hl7-client, an
// MLLP client from npm that knows nothing of carerecord
// (interop/hl7client/send.mjs): an admission and a result for a synthetic
// patient are acknowledged AA and reach the record, found by NHS number;
// a malformed message is answered AR (or AE) and kept in the dead-letter
// store. It needs Node and `npm ci --prefix interop/hl7client`; .ci/run
// provides both, and under CI=true their absence fails the test instead of
// skipping it.
func TestOutsideMLLPClient(t *testing.T) {
	node, dir := npmClient(t, "interop/hl7client", "node-hl7-client")
	people, err := synthetic.People(synthetic.Options{Seed: 7, Patients: 1, Now: time.Now().UTC()}, 1)
	if err != nil || len(people) != 1 {
		t.Fatalf("a synthetic patient: %v", err)
	}
	p := people[0]
	sex := "M"
	if p.Female {
		sex = "F"
	}
	patient, _ := json.Marshal(map[string]string{"nhs": p.NHSNumber, "mrn": p.MRN, "family": p.Family, "given": p.Given[0],
		"birthDate": p.BirthDate.Format("20060102"), "sex": sex})

	srv := servertest.Start(t, servertest.WithConfig(func(c *config.Config) {
		c.Feeds = []config.Feed{{Name: "outside", MLLP: "127.0.0.1:0", ODS: "RZ9"}}
	}))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "send.mjs")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "MLLP_ADDR="+srv.Server.MLLPAddrs()[0], "PATIENT="+string(patient))
	out, err := cmd.CombinedOutput()
	t.Logf("node-hl7-client against %s:\n%s", srv.Server.MLLPAddrs()[0], out)
	if err != nil {
		t.Fatalf("node-hl7-client run failed: %v", err)
	}

	byNHS := url.QueryEscape("https://fhir.nhs.uk/Id/nhs-number|" + p.NHSNumber)
	deadline := time.Now().Add(20 * time.Second)
	var patients, observations struct {
		Total int `json:"total"`
	}
	var dls []struct {
		ID    uint64 `json:"id"`
		Feed  string `json:"feed"`
		Error string `json:"error"`
	}
	for {
		getJSON(t, srv.FHIR+"/Patient?_total=accurate&identifier="+byNHS, &patients)
		getJSON(t, srv.FHIR+"/Observation?_total=accurate&subject:Patient.identifier="+byNHS, &observations)
		getJSON(t, srv.URL()+"/engine/dead-letters", &dls)
		if patients.Total == 1 && observations.Total == 1 && len(dls) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 20 s: %d Patients, %d Observations by NHS number; dead letters %+v", patients.Total, observations.Total, dls)
		}
		time.Sleep(50 * time.Millisecond)
	}
	var dl struct {
		Message string `json:"message"`
	}
	getJSON(t, srv.URL()+"/engine/dead-letters/"+strconv.FormatUint(dls[0].ID, 10), &dl)
	if dls[0].Feed != "outside" || dls[0].Error == "" || !strings.Contains(dl.Message, "|NODEBAD01|") {
		t.Errorf("dead letter %+v holding %q, want the malformed message NODEBAD01 of feed outside with its reason", dls[0], dl.Message)
	}
}
