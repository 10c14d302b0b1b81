package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
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

// A message that cannot be mapped (no PID) is acknowledged, since it was
// queued, and lands in the dead-letter store with where it failed; fixed
// and reprocessed through the operator endpoints, it reaches the record.
func TestDeadLetterFixAndReprocess(t *testing.T) {
	srv := servertest.Start(t, servertest.WithConfig(func(c *config.Config) { c.SetMLLP("127.0.0.1:0") }))
	broken := "MSH|^~\\&|PAS|RZZ|CARERECORD|ICS|20240312093000||ADT^A01^ADT_A01|DL01|P|2.4|||AL|NE\rEVN|A01|20240312093000\rPV1|1|I|WARD7\r"
	if sum, err := ingest.Send(context.Background(), srv.Server.MLLPAddrs()[0], slices.Values([][]byte{[]byte(broken)}), ingest.SendOptions{}); err != nil || sum.Accepted != 1 {
		t.Fatalf("send: %+v, %v", sum, err)
	}
	var dls []struct {
		ID       uint64 `json:"id"`
		Feed     string `json:"feed"`
		Location string `json:"location"`
		Error    string `json:"error"`
	}
	deadline := time.Now().Add(20 * time.Second)
	for len(dls) == 0 {
		getJSON(t, srv.URL()+"/engine/dead-letters", &dls)
		if time.Now().After(deadline) {
			t.Fatal("the unmappable message never reached the dead-letter store")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if dls[0].Feed != "default" || dls[0].Location != "PID" || !strings.Contains(dls[0].Error, "PID") {
		t.Fatalf("dead letter: %+v", dls[0])
	}
	var status struct {
		Feeds []struct {
			Name        string `json:"name"`
			DeadLetters uint64 `json:"deadLetters"`
		} `json:"feeds"`
	}
	getJSON(t, srv.URL()+"/engine/status", &status)
	if len(status.Feeds) != 1 || status.Feeds[0].DeadLetters != 1 {
		t.Errorf("status: %+v", status)
	}
	fixed := strings.Replace(broken, "PV1|", "PID|1||RZZ100009^^^RZZMRN^MR~9990000034^^^NHS^NH||JONES^SAM||19900101|M\rPV1|", 1)
	resp, err := http.Post(srv.URL()+"/engine/dead-letters/"+strconv.FormatUint(dls[0].ID, 10)+"/reprocess", "application/hl7-v2", strings.NewReader(fixed))
	if err != nil || resp.StatusCode != http.StatusAccepted {
		t.Fatalf("reprocess: %v %v", resp.Status, err)
	}
	resp.Body.Close()
	for {
		var b struct {
			Total int `json:"total"`
		}
		getJSON(t, srv.FHIR+"/Patient?identifier="+url.QueryEscape("https://fhir.nhs.uk/Id/nhs-number|9990000034"), &b)
		if b.Total == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the fixed message did not reach the record")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func getJSON(t testing.TB, u string, v any) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("%s: %v", u, err)
	}
}

// A feed's timestamps without an offset are read in its time zone: Europe/
// London by default, so a summer admission at 10:00 local time starts at
// 10:00+01:00, and a feed configured for UTC reads the same digits as UTC.
func TestFeedTimeZone(t *testing.T) {
	for _, tc := range []struct{ zone, want string }{{"", "2024-07-12T10:00:00+01:00"}, {"UTC", "2024-07-12T10:00:00Z"}} {
		srv := servertest.Start(t, servertest.WithConfig(func(c *config.Config) {
			c.Feeds = []config.Feed{{Name: "pas", MLLP: "127.0.0.1:0", TimeZone: tc.zone}}
		}))
		adt := strings.Join([]string{
			`MSH|^~\&|PAS|RZZ|CARERECORD|ICS|20240712100500||ADT^A01^ADT_A01|TZ01|P|2.4|||AL|NE`,
			`EVN|A01|20240712100500`,
			`PID|1||RZZ100002^^^RZZMRN^MR~9990000026^^^NHS^NH||JONES^AMY||19800214|F`,
			`PV1|1|I|WARD7^BAY2^BED3^LGI||||||||||||||||V0002|||||||||||||||||||||||||20240712100000|`,
		}, "\r") + "\r"
		if sum, err := ingest.Send(context.Background(), srv.Server.MLLPAddrs()[0], slices.Values([][]byte{[]byte(adt)}), ingest.SendOptions{}); err != nil || sum.Accepted != 1 {
			t.Fatalf("send: %+v %v", sum, err)
		}
		var got string
		deadline := time.Now().Add(20 * time.Second)
		for got == "" && time.Now().Before(deadline) {
			var b struct {
				Entry []struct {
					Resource struct {
						Period struct{ Start string } `json:"period"`
					} `json:"resource"`
				} `json:"entry"`
			}
			getJSON(t, srv.FHIR+"/Encounter", &b)
			if len(b.Entry) > 0 {
				got = b.Entry[0].Resource.Period.Start
			}
			time.Sleep(10 * time.Millisecond)
		}
		if got != tc.want {
			t.Errorf("time zone %q: Encounter.period.start %q, want %q", tc.zone, got, tc.want)
		}
	}
}
