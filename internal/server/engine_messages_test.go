package server_test

import (
	"context"
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

// messageList is the answer of GET /engine/messages.
type messageList struct {
	Messages []loggedMessage `json:"messages"`
	Next     string          `json:"next"`
}

type loggedMessage struct {
	ID        int64     `json:"id"`
	Feed      string    `json:"feed"`
	ControlID string    `json:"controlId"`
	Type      string    `json:"type"`
	Received  time.Time `json:"received"`
	EventTime string    `json:"eventTime"`
	Status    string    `json:"status"`
	Patients  []string  `json:"patients"`
	Became    []struct {
		Reference string `json:"reference"`
		Result    string `json:"result"`
	} `json:"became"`
	Message string `json:"message"`
}

// controlIDs lists the control ids of GET /engine/messages?query, in order.
func controlIDs(t *testing.T, srv *servertest.Server, query url.Values) []string {
	t.Helper()
	var l messageList
	getJSON(t, srv.URL()+"/engine/messages?"+query.Encode(), &l)
	ids := []string{}
	for _, m := range l.Messages {
		if m.Message != "" {
			t.Errorf("the list carries the raw message of %s", m.ControlID)
		}
		ids = append(ids, m.ControlID)
	}
	return ids
}

// Messages sent over MLLP are logged with what each became, and found by
// feed, type, control id, patient and time; the unsupported ones are
// logged as unsupported; one message shows its raw text; pruning past the
// retention empties the log.
func TestMessageLog(t *testing.T) {
	srv := servertest.Start(t, servertest.WithConfig(func(c *config.Config) {
		c.Feeds = []config.Feed{{Name: "pas", MLLP: "127.0.0.1:0"}, {Name: "lab", MLLP: "127.0.0.1:0"}}
	}))
	start := time.Now().UTC()
	seg := func(s ...string) []byte { return []byte(strings.Join(s, "\r") + "\r") }
	pid := `PID|1||RZZ100001^^^RZZMRN^MR~9990000018^^^NHS^NH||SMITH^JANE^^^MRS^^L||19800214|F`
	pas := [][]byte{
		seg(`MSH|^~\&|PAS|RZZ|CARERECORD|ICS|20240312093000||ADT^A01^ADT_A01|LOG-A01|P|2.4`, `EVN|A01|20240312093000`,
			pid, `PV1|1|I|WARD7^BAY2^BED3^LGI||||||||||||||||V0001`),
		seg(`MSH|^~\&|PAS|RZZ|CARERECORD|ICS|20240312093500||QRY^A19^QRY_A19|LOG-QRY|P|2.4`, `QRD|20240312093500|R|I|Q1|||1^RD|9990000018|DEM`),
		seg(`MSH|^~\&|PAS|RZZ|CARERECORD|ICS|20240312094000||ZZZ^Z01|LOG-ZZZ|P|2.4`, pid),
	}
	lab := [][]byte{seg(`MSH|^~\&|LAB|RZZ|CARERECORD|ICS|20240312110000||ORU^R01^ORU_R01|LOG-ORU|P|2.4`, pid,
		`PV1|1|I|WARD7||||||||||||||||V0001`, `OBR|1|PL1001|FL2002|UE^Urea and electrolytes^LOCALLAB|||20240312080000`,
		`OBX|1|NM|2951-2^Sodium^LN||140|mmol/L^mmol/L^UCUM|133-146|N|||F|||20240312080000`)}
	addrs := srv.Server.MLLPAddrs()
	for i, msgs := range [][][]byte{pas, lab} {
		if sum, err := ingest.Send(context.Background(), addrs[i], slices.Values(msgs), ingest.SendOptions{}); err != nil || sum.Accepted != len(msgs) {
			t.Fatalf("send: %+v, %v", sum, err)
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for len(controlIDs(t, srv, nil)) < 4 {
		if time.Now().After(deadline) {
			t.Fatalf("logged: %v, want 4 messages", controlIDs(t, srv, nil))
		}
		time.Sleep(50 * time.Millisecond)
	}

	nhs := "https://fhir.nhs.uk/Id/nhs-number|9990000018"
	tests := []struct {
		name  string
		query url.Values
		want  []string // sorted
	}{
		{"feed", url.Values{"feed": {"pas"}}, []string{"LOG-A01", "LOG-QRY", "LOG-ZZZ"}},
		{"type", url.Values{"type": {"ADT"}}, []string{"LOG-A01"}},
		{"type and event", url.Values{"type": {"ORU^R01"}}, []string{"LOG-ORU"}},
		{"control id", url.Values{"controlId": {"LOG-QRY"}}, []string{"LOG-QRY"}},
		{"patient NHS number", url.Values{"patient": {nhs}}, []string{"LOG-A01", "LOG-ORU", "LOG-ZZZ"}},
		{"patient bare value", url.Values{"patient": {"RZZ100001"}}, []string{"LOG-A01", "LOG-ORU"}},
		{"unsupported", url.Values{"status": {"unsupported"}}, []string{"LOG-QRY", "LOG-ZZZ"}},
		{"since the start", url.Values{"since": {start.Add(-time.Second).Format(time.RFC3339Nano)}}, []string{"LOG-A01", "LOG-ORU", "LOG-QRY", "LOG-ZZZ"}},
		{"until the start", url.Values{"until": {start.Add(-time.Second).Format(time.RFC3339)}}, []string{}},
		{"since tomorrow", url.Values{"since": {start.Add(24 * time.Hour).Format(time.DateOnly)}}, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := controlIDs(t, srv, tt.query)
			slices.Sort(got)
			if !slices.Equal(got, tt.want) {
				t.Errorf("%s: %v, want %v", tt.query.Encode(), got, tt.want)
			}
		})
	}

	// What each became is in the record; the unsupported became nothing.
	var all messageList
	getJSON(t, srv.URL()+"/engine/messages", &all)
	byControl := map[string]loggedMessage{}
	for i, m := range all.Messages {
		byControl[m.ControlID] = m
		if i > 0 && m.Received.After(all.Messages[i-1].Received) {
			t.Errorf("not newest first: %v", all.Messages)
		}
	}
	for _, c := range []string{"LOG-A01", "LOG-ORU"} {
		m := byControl[c]
		if m.Status != "applied" || len(m.Became) == 0 || m.Received.Before(start.Add(-time.Second)) || !slices.Contains(m.Patients, nhs) {
			t.Errorf("%s: %+v", c, m)
		}
		types := map[string]bool{}
		for _, b := range m.Became {
			types[strings.Split(b.Reference, "/")[0]] = true
			if b.Result != "written" {
				t.Errorf("%s: %s %s, want written", c, b.Reference, b.Result)
			}
			resp, err := http.Get(srv.FHIR + "/" + b.Reference)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("%s became %s, which answers %s", c, b.Reference, resp.Status)
			}
		}
		want := map[string][2]string{"LOG-A01": {"Patient", "Encounter"}, "LOG-ORU": {"Observation", "DiagnosticReport"}}[c]
		if !types[want[0]] || !types[want[1]] {
			t.Errorf("%s became %v, want a %s and a %s", c, m.Became, want[0], want[1])
		}
	}
	for _, c := range []string{"LOG-QRY", "LOG-ZZZ"} {
		if m := byControl[c]; m.Status != "unsupported" || len(m.Became) != 0 || m.Feed != "pas" || m.Type == "" {
			t.Errorf("%s: %+v", c, m)
		}
	}
	// The feed's status reports them too, apart from what was applied.
	var status struct {
		Feeds []struct {
			Name        string `json:"name"`
			Applied     int    `json:"applied"`
			Unsupported int    `json:"unsupported"`
			LastMinute  struct {
				Unsupported int `json:"unsupported"`
			} `json:"lastMinute"`
		} `json:"feeds"`
	}
	getJSON(t, srv.URL()+"/engine/status", &status)
	if len(status.Feeds) == 0 || status.Feeds[0].Name != "pas" || status.Feeds[0].Unsupported != 2 || status.Feeds[0].LastMinute.Unsupported != 2 || status.Feeds[0].Applied != 3 {
		t.Errorf("feed status %+v, want pas with 3 applied of which 2 unsupported", status.Feeds)
	}

	// Paging by cursor walks the same list.
	var paged []string
	q := url.Values{"_count": {"1"}}
	for range 10 {
		var l messageList
		getJSON(t, srv.URL()+"/engine/messages?"+q.Encode(), &l)
		for _, m := range l.Messages {
			paged = append(paged, m.ControlID)
		}
		if l.Next == "" {
			break
		}
		q.Set("cursor", l.Next)
	}
	if want := controlIDs(t, srv, nil); !slices.Equal(paged, want) {
		t.Errorf("paged %v, want %v", paged, want)
	}

	// One message, with its raw text as received.
	var one loggedMessage
	getJSON(t, srv.URL()+"/engine/messages/"+strconv.FormatInt(byControl["LOG-ZZZ"].ID, 10), &one)
	if one.Message != string(pas[2]) || one.Type != "ZZZ^Z01" {
		t.Errorf("GET one: %+v", one)
	}
	for path, want := range map[string]int{"/engine/messages/999999": 404, "/engine/messages/x": 400,
		"/engine/messages?_count=0": 400, "/engine/messages?since=yesterday": 400, "/engine/messages?cursor=x": 400,
		"/engine/messages?status=lost": 400} {
		resp, err := http.Get(srv.URL() + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s: %s, want %d", path, resp.Status, want)
		}
	}

	// Retention: a cut-off past every message prunes them all.
	n, err := srv.Store().PruneMessages(context.Background(), time.Now().Add(time.Hour))
	if err != nil || n != 4 {
		t.Fatalf("PruneMessages = %d, %v; want 4", n, err)
	}
	if got := controlIDs(t, srv, nil); len(got) != 0 {
		t.Errorf("after pruning: %v", got)
	}
}
