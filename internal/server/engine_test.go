package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"carerecord/internal/config"
	"carerecord/internal/ingest"
	"carerecord/internal/server/servertest"
)

// An HL7 v2 admission sent over MLLP to `serve --mllp` is acknowledged,
// queued, mapped and written: the patient is found through the FHIR API by
// NHS number, with the encounter in their compartment.
func TestMLLPFeedIntoTheRecord(t *testing.T) {
	srv := servertest.Start(t, servertest.WithConfig(func(c *config.Config) { c.SetMLLP("127.0.0.1:0") }))
	addrs := srv.Server.MLLPAddrs()
	if len(addrs) != 1 {
		t.Fatalf("MLLP listeners: %v", addrs)
	}
	adt := strings.Join([]string{
		`MSH|^~\&|PAS|RZZ|CARERECORD|ICS|20240312093000||ADT^A01^ADT_A01|MLLP01|P|2.4|||AL|NE`,
		`EVN|A01|20240312093000`,
		`PID|1||RZZ100001^^^RZZMRN^MR~9990000018^^^NHS^NH||SMITH^JANE^ANN^^MRS^^L||19800214|F|||12 HIGH STREET^^LEEDS^^LS1 4AB^GBR^H`,
		`PV1|1|I|WARD7^BAY2^BED3^LGI||||C1234567^WHO^JOHN^^^DR^^^GMC||||||||||||V0001|||||||||||||||||||||||||20240312090000|`,
	}, "\r") + "\r"
	sum, err := ingest.Send(context.Background(), addrs[0], slices.Values([][]byte{[]byte(adt)}), ingest.SendOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Accepted != 1 {
		t.Fatalf("send: %+v", sum)
	}
	q := url.Values{"identifier": {"https://fhir.nhs.uk/Id/nhs-number|9990000018"}, "_revinclude": {"Encounter:patient"}}
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(srv.FHIR + "/Patient?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		var b struct {
			Entry []struct {
				Resource struct {
					ResourceType string `json:"resourceType"`
				} `json:"resource"`
			} `json:"entry"`
		}
		json.NewDecoder(resp.Body).Decode(&b)
		resp.Body.Close()
		var types []string
		for _, e := range b.Entry {
			types = append(types, e.Resource.ResourceType)
		}
		if slices.Contains(types, "Patient") && slices.Contains(types, "Encounter") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the admission did not reach the record: %v", types)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
