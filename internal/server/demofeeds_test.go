package server_test

import (
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"carerecord/internal/config"
	"carerecord/internal/server"
	"carerecord/internal/server/servertest"
	"carerecord/internal/synthetic"
)

// liveDemo starts a demo server with its live feeds on free ports, sending
// every 50 ms.
func liveDemo(t *testing.T, live bool) *servertest.Server {
	return servertest.Start(t, servertest.WithDemo(20, 1), func(c *config.Config, o *server.Options) {
		c.Demo.LiveFeeds = live
		o.DemoFeed = "127.0.0.1:0"
		o.DemoFeedEvery = 50 * time.Millisecond
	})
}

type feedCounts struct {
	Feeds []struct {
		Name        string `json:"name"`
		ODS         string `json:"ods"`
		Applied     int64  `json:"applied"`
		DeadLetters uint64 `json:"deadLetters"`
	} `json:"feeds"`
}

type bundle struct {
	Entry []bundleEntry `json:"entry"`
}

type bundleEntry struct {
	Search struct {
		Mode string `json:"mode"`
	} `json:"search"`
	Resource struct {
		ResourceType string `json:"resourceType"`
		ID           string `json:"id"`
		Subject      struct {
			Reference string `json:"reference"`
		} `json:"subject"`
	} `json:"resource"`
}

// The demo's four live feeds send into the record: /engine/status counts
// messages applied on each of adt, results, documents and appointments,
// with no dead letters, and the FHIR API finds the Encounters, results,
// documents and appointments they gave, about people the demo population
// already holds (the same NHS number on a generated Patient).
func TestDemoLiveFeeds(t *testing.T) {
	srv := liveDemo(t, true)
	if addrs := srv.Server.MLLPAddrs(); len(addrs) != 4 {
		t.Fatalf("MLLP listeners %v, want four feeds", addrs)
	}
	want := []string{"adt", "results", "documents", "appointments"}
	base := synthetic.LocalSystem(synthetic.FeedTrust)
	searches := map[string]string{
		"Encounter":         "/Encounter?identifier=" + url.QueryEscape(base+"/visit-number|"),
		"DiagnosticReport":  "/DiagnosticReport?_include=DiagnosticReport:result&identifier=" + url.QueryEscape(base+"/filler-order|"),
		"DocumentReference": "/DocumentReference?identifier=" + url.QueryEscape(base+"/document|"),
		"Appointment":       "/Appointment?identifier=" + url.QueryEscape(base+"/appointment|"),
	}
	found := map[string]bundle{}
	deadline := time.Now().Add(60 * time.Second)
	for {
		var st feedCounts
		getJSON(t, srv.URL()+"/engine/status", &st)
		var names, busy []string
		for _, f := range st.Feeds {
			names = append(names, f.Name)
			if f.DeadLetters > 0 {
				t.Fatalf("feed %s: %d dead letters", f.Name, f.DeadLetters)
			}
			if f.ODS != synthetic.FeedTrust {
				t.Errorf("feed %s: ODS %q", f.Name, f.ODS)
			}
			if f.Applied > 0 {
				busy = append(busy, f.Name)
			}
		}
		if !slices.Equal(names, want) {
			t.Fatalf("feeds %v, want %v", names, want)
		}
		for typ, q := range searches {
			if _, ok := found[typ]; ok {
				continue
			}
			var b bundle
			getJSON(t, srv.FHIR+q, &b)
			if len(b.Entry) > 0 && (typ != "DiagnosticReport" || slices.ContainsFunc(b.Entry, func(e bundleEntry) bool {
				return e.Resource.ResourceType == "Observation" && e.Search.Mode == "include"
			})) {
				found[typ] = b
			}
		}
		if len(busy) == len(want) && len(found) == len(searches) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 60 s: feeds with messages applied %v of %v; found %d of %d kinds of resource", busy, want, len(found), len(searches))
		}
		time.Sleep(100 * time.Millisecond)
	}
	// The Encounter's patient is someone of the demo population: a
	// generated Patient (a UUID id) shares the NHS number.
	enc := found["Encounter"].Entry[0].Resource
	var patient struct {
		Identifier []struct{ System, Value string } `json:"identifier"`
	}
	getJSON(t, srv.FHIR+"/"+enc.Subject.Reference, &patient)
	nhs := ""
	for _, id := range patient.Identifier {
		if id.System == "https://fhir.nhs.uk/Id/nhs-number" {
			nhs = id.Value
		}
	}
	if !strings.HasPrefix(nhs, "999") {
		t.Fatalf("%s has NHS number %q, want a 999 test number", enc.Subject.Reference, nhs)
	}
	var same bundle
	getJSON(t, srv.FHIR+"/Patient?identifier="+url.QueryEscape("https://fhir.nhs.uk/Id/nhs-number|"+nhs), &same)
	generated := slices.ContainsFunc(same.Entry, func(e bundleEntry) bool {
		return "Patient/"+e.Resource.ID != enc.Subject.Reference && strings.Count(e.Resource.ID, "-") == 4
	})
	if !generated {
		t.Errorf("no generated Patient of the demo population has NHS number %s: %d Patients", nhs, len(same.Entry))
	}
}

// --demo-feeds=false keeps the demo's one quiet feed, "default".
func TestDemoLiveFeedsOff(t *testing.T) {
	srv := liveDemo(t, false)
	var st feedCounts
	getJSON(t, srv.URL()+"/engine/status", &st)
	if len(st.Feeds) != 1 || st.Feeds[0].Name != "default" {
		t.Fatalf("feeds %+v, want only default", st.Feeds)
	}
}
