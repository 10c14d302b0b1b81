package server_test

// Helpers shared by the replayed UCLH journeys (journey_test.go) and the
// corpus run through the engine (journey_corpus_test.go): a server with a
// feed set up as UCLH's Epic sends, waiting for the engine to settle, and
// reading what the record says through the FHIR API.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"testing"
	"time"

	"carerecord/internal/config"
	"carerecord/internal/server/servertest"
)

// uclhFeed is a feed as UCLH's Epic sends: ODS code RRV, MRNs with
// assigning authority MRENTR, the NHS number in a PID-3 repetition with
// type code HN. config.Feed has no setting for the NHS number's type codes
// (nor the feed's time zone); the engine uses its defaults (NH and HN).
func uclhFeed(mllp string) config.Feed {
	return config.Feed{Name: "uclh", MLLP: mllp, ODS: "RRV"}
}

// uclhMRN is the identifier system of UCLH's MRNs in the record: the feed's
// local system (default urn:carerecord:local:<ods>) and the assigning
// authority.
const uclhMRN = "urn:carerecord:local:rrv/mrentr"

// journeyServer starts a server with the given feeds.
func journeyServer(t testing.TB, feeds ...config.Feed) *servertest.Server {
	t.Helper()
	return servertest.Start(t, servertest.WithConfig(func(c *config.Config) { c.Feeds = feeds }))
}

// engineStatus is what GET /engine/status says, in the parts these tests
// read.
type engineStatus struct {
	Feeds []struct {
		Name        string `json:"name"`
		Applied     int    `json:"applied"`
		DeadLetters int    `json:"deadLetters"`
		Waiting     int    `json:"waiting"`
	} `json:"feeds"`
	Live        []uint64 `json:"liveWaitingByPartition"`
	Bulk        []uint64 `json:"bulkWaitingByPartition"`
	DeadLetters int      `json:"deadLetters"`
}

// feedCounts returns a feed's applied and dead-lettered counts and the
// messages still waiting anywhere in the queue.
func (s engineStatus) feedCounts(feed string) (applied, dead, waiting int) {
	for _, f := range s.Feeds {
		if f.Name == feed {
			applied, dead, waiting = f.Applied, f.DeadLetters, f.Waiting
		}
	}
	for _, n := range slices.Concat(s.Live, s.Bulk) {
		waiting += int(n)
	}
	return applied, dead, waiting
}

// waitSettled polls the engine's status until the feed has applied or
// dead-lettered exactly want messages and nothing waits in the queue. More
// than want is a failure at once: a message counted twice.
func waitSettled(t testing.TB, srv *servertest.Server, feed string, want int) engineStatus {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var st engineStatus
		getJSON(t, srv.URL()+"/engine/status", &st)
		applied, dead, waiting := st.feedCounts(feed)
		switch {
		case applied+dead > want:
			t.Fatalf("feed %s: %d applied + %d dead-lettered, more than the %d messages sent", feed, applied, dead, want)
		case applied+dead == want && waiting == 0:
			return st
		case time.Now().After(deadline):
			t.Fatalf("feed %s: after 30s %d applied + %d dead-lettered of %d, %d waiting", feed, applied, dead, want, waiting)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// resource is a FHIR resource as decoded JSON.
type resource map[string]any

// str reads a string member by path of object keys and array indexes.
func (r resource) str(path ...any) string {
	s, _ := walk(map[string]any(r), path...).(string)
	return s
}

func walk(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			a, _ := v.([]any)
			if k >= len(a) {
				return nil
			}
			v = a[k]
		}
	}
	return v
}

func (r resource) list(name string) []resource {
	a, _ := r[name].([]any)
	out := make([]resource, 0, len(a))
	for _, v := range a {
		m, _ := v.(map[string]any)
		out = append(out, m)
	}
	return out
}

// fhirBundle fetches a search or history Bundle and returns its resources.
func fhirBundle(t testing.TB, u string) []resource {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", u, resp.Status)
	}
	var b struct {
		Entry []struct {
			Resource resource `json:"resource"`
		} `json:"entry"`
		Link []struct {
			Relation string `json:"relation"`
		} `json:"link"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&b); err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	for _, l := range b.Link {
		if l.Relation == "next" {
			t.Fatalf("GET %s: more than one page", u)
		}
	}
	out := make([]resource, 0, len(b.Entry))
	for _, e := range b.Entry {
		if e.Resource != nil {
			out = append(out, e.Resource)
		}
	}
	return out
}

// patientsByIdentifier returns the patients holding identifier
// "system|value" as one of their own, current identifiers (not use "old":
// a merge survivor keeps the merged record's as old ones).
func patientsByIdentifier(t testing.TB, srv *servertest.Server, identifier string) []resource {
	t.Helper()
	var out []resource
	for _, p := range fhirBundle(t, srv.FHIR+"/Patient?identifier="+url.QueryEscape(identifier)) {
		for _, id := range p.list("identifier") {
			if id.str("system")+"|"+id.str("value") == identifier && id.str("use") != "old" {
				out = append(out, p)
				break
			}
		}
	}
	return out
}

// encountersOf returns the patient's encounters.
func encountersOf(t testing.TB, srv *servertest.Server, patientID string) []resource {
	t.Helper()
	return fhirBundle(t, srv.FHIR+"/Encounter?_count=100&subject="+url.QueryEscape("Patient/"+patientID))
}

// versionsOf returns every version of a resource, oldest first.
func versionsOf(t testing.TB, srv *servertest.Server, typ, id string) []resource {
	t.Helper()
	vs := fhirBundle(t, srv.FHIR+"/"+typ+"/"+id+"/_history?_count=500")
	version := func(r resource) int {
		n, err := strconv.Atoi(r.str("meta", "versionId"))
		if err != nil {
			t.Fatalf("%s/%s: a version without a numeric versionId", typ, id)
		}
		return n
	}
	slices.SortFunc(vs, func(a, b resource) int { return version(a) - version(b) })
	return vs
}

// currentLocation is where an Encounter puts the patient, as the mapper
// renders PV1-3 (ward^bay^bed): its active location, else (a finished
// encounter) its first.
func currentLocation(enc resource) string {
	locs := enc.list("location")
	for _, l := range locs {
		if l.str("status") == "active" {
			return l.str("location", "identifier", "value")
		}
	}
	if len(locs) > 0 {
		return locs[0].str("location", "identifier", "value")
	}
	return ""
}

// idOf is "Type/id" of a resource, for messages.
func idOf(r resource) string { return fmt.Sprintf("%s/%s", r.str("resourceType"), r.str("id")) }
