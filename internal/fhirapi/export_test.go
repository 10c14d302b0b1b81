package fhirapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"carerecord/internal/store"
)

// newExportServer is loadRecord's store plus resources the exports tell
// apart, with exports written under a temporary folder.
func newExportServer(t *testing.T, cfg ExportConfig) (*testServer, string) {
	s := loadRecord(t)
	if cfg.Dir == "" {
		cfg.Dir = t.TempDir()
	}
	if err := ConfigureExport(s.h, cfg); err != nil {
		t.Fatal(err)
	}
	s.putAll(
		res("Patient", "p3", `"name":[{"family":"Three"}]`),
		obsBody("r1", "Patient/p3", "2021-01-01"),
		obsBody("nosubject", "", ""),
		obsBody("ghost", "Patient/ghost", ""), // refers to a Patient that does not exist
		obsBody("deleted", "Patient/p1", ""),  // deleted below
		res("Group", "g2", `"type":"person","actual":true,"member":[{"entity":{"reference":"Patient/p1"}},`+
			`{"entity":{"reference":"`+testBase+`/Patient/p3"}},{"entity":{"reference":"Patient/p2"},"inactive":true},`+
			`{"entity":{"reference":"Practitioner/pr1"}}]`),
		// In the compartments of both p1 (subject) and p3 (performer).
		strings.TrimSuffix(obsBody("shared", "Patient/p1", ""), "}")+`,"performer":[{"reference":"Patient/p3"}]}`,
	)
	s.do("DELETE", "/Observation/deleted", "").want(t, http.StatusNoContent)
	// A body with line breaks: each NDJSON line must still be one resource.
	s.do("PUT", "/Observation/pretty", "{\n  \"resourceType\": \"Observation\",\n  \"id\": \"pretty\",\n  \"status\": \"final\",\n"+
		"  \"code\": {\"text\": \"pulse\"},\n  \"subject\": {\"reference\": \"Patient/p1\"}\n}\n").want(t, http.StatusCreated)
	return s, cfg.Dir
}

// startExport kicks off an export and returns the status URL's path.
func startExport(t *testing.T, s *testServer, path string) string {
	t.Helper()
	r := s.do("GET", path, "", "Prefer", "respond-async", "Accept", "application/fhir+json").want(t, http.StatusAccepted)
	loc := r.header.Get("Content-Location")
	if !strings.HasPrefix(loc, testBase+exportStatusPath+"?_jobId=") {
		t.Fatalf("Content-Location %q", loc)
	}
	return relative(t, loc)
}

type exportManifest struct {
	TransactionTime     string `json:"transactionTime"`
	Request             string `json:"request"`
	RequiresAccessToken *bool  `json:"requiresAccessToken"`
	Output              []struct {
		Type  string `json:"type"`
		URL   string `json:"url"`
		Count int    `json:"count"`
	} `json:"output"`
	Error []json.RawMessage `json:"error"`
}

// waitExport polls the status URL until the job is done.
func waitExport(t testing.TB, h http.Handler, status string) exportManifest {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		rec := serve(h, "GET", status, nil)
		switch rec.Code {
		case http.StatusAccepted:
			if rec.Header().Get("X-Progress") == "" {
				t.Fatalf("202 without X-Progress")
			}
			if time.Now().After(deadline) {
				t.Fatalf("export still running: %s", rec.Header().Get("X-Progress"))
			}
			time.Sleep(2 * time.Millisecond)
			continue
		case http.StatusOK:
		default:
			t.Fatalf("status %d: %s", rec.Code, rec.Body.Bytes())
		}
		if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
			t.Errorf("manifest Content-Type %q", ct)
		}
		if rec.Header().Get("Expires") == "" {
			t.Errorf("manifest without Expires")
		}
		var m exportManifest
		if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
			t.Fatalf("manifest: %v: %s", err, rec.Body.Bytes())
		}
		if !bytes.Contains(rec.Body.Bytes(), []byte(`"error":[]`)) {
			t.Errorf("manifest error is not an empty array: %s", rec.Body.Bytes())
		}
		if _, err := time.Parse(time.RFC3339, m.TransactionTime); err != nil {
			t.Errorf("transactionTime %q: %v", m.TransactionTime, err)
		}
		if m.RequiresAccessToken == nil || *m.RequiresAccessToken {
			t.Errorf("requiresAccessToken %v, want false", m.RequiresAccessToken)
		}
		return m
	}
}

// readExport reads every file of m and returns, per type, the sorted ids
// it holds; every line must be one resource of the file's type, and each
// file's count must be its number of lines.
func readExport(t *testing.T, s *testServer, m exportManifest) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, o := range m.Output {
		rec := serve(s.h, "GET", relative(t, o.URL), nil, "Accept", "application/fhir+ndjson")
		if rec.Code != http.StatusOK {
			t.Fatalf("GET %s: %d %s", o.URL, rec.Code, rec.Body.Bytes())
		}
		if ct := rec.Header().Get("Content-Type"); ct != "application/fhir+ndjson" {
			t.Errorf("file Content-Type %q", ct)
		}
		body := rec.Body.Bytes()
		if !bytes.HasSuffix(body, []byte("\n")) {
			t.Errorf("%s does not end with a line break", o.URL)
		}
		lines := bytes.Split(bytes.TrimSuffix(body, []byte("\n")), []byte("\n"))
		if len(lines) != o.Count {
			t.Errorf("%s: %d lines, manifest count %d", o.URL, len(lines), o.Count)
		}
		for _, line := range lines {
			h := headerOf(t, line)
			if h.ResourceType != o.Type {
				t.Errorf("%s holds a %s", o.URL, h.ResourceType)
			}
			out[o.Type] = append(out[o.Type], h.ID)
		}
	}
	for typ, ids := range out {
		slices.Sort(ids)
		if len(slices.Compact(slices.Clone(ids))) != len(ids) {
			t.Errorf("%s exported twice: %v", typ, ids)
		}
	}
	return out
}

func ids(s string) []string { return strings.Split(s, ",") }

var (
	allObservations = ids("deleted,ghost,nosubject,o1,o2,o3,o4,o5,o6,o7,o8,pretty,q1,q2,r1,shared")
	liveObservation = slices.DeleteFunc(slices.Clone(allObservations), func(id string) bool { return id == "deleted" })
)

func TestExportLevels(t *testing.T) {
	s, _ := newExportServer(t, ExportConfig{})
	compartment := map[string][]string{
		"Condition":         ids("c1,c2,c3"),
		"Encounter":         ids("e1,e2,e3,e4"),
		"Group":             ids("g1,g2"),
		"MedicationRequest": ids("mr1"),
	}
	for _, tc := range []struct {
		name, path string
		want       map[string][]string
	}{
		{"system", "/$export", map[string][]string{
			"Condition": compartment["Condition"], "Encounter": compartment["Encounter"], "Group": compartment["Group"],
			"MedicationRequest": compartment["MedicationRequest"],
			"Location":          ids("loc1"), "Medication": ids("med1"), "Organization": ids("org1"), "Practitioner": ids("pr1"),
			"Patient":     ids("p1,p1link,p2,p3"),
			"Observation": liveObservation,
		}},
		{"patient", "/Patient/$export", map[string][]string{
			"Condition": compartment["Condition"], "Encounter": compartment["Encounter"], "Group": compartment["Group"],
			"MedicationRequest": compartment["MedicationRequest"],
			"Patient":           ids("p1,p1link,p2,p3"),
			"Observation":       ids("o1,o2,o3,o4,o5,o6,o7,o8,pretty,q1,q2,r1,shared"),
		}},
		{"group", "/Group/g2/$export", map[string][]string{
			"Condition": compartment["Condition"], "Encounter": compartment["Encounter"], "Group": compartment["Group"],
			"MedicationRequest": compartment["MedicationRequest"],
			"Patient":           ids("p1,p3"), // p2 is an inactive member
			"Observation":       ids("o1,o2,o3,o4,o5,o6,o7,o8,pretty,r1,shared"),
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := waitExport(t, s.h, startExport(t, s, tc.path))
			if m.Request != testBase+tc.path {
				t.Errorf("request %q", m.Request)
			}
			got := readExport(t, s, m)
			for typ, want := range tc.want {
				if !slices.Equal(got[typ], want) {
					t.Errorf("%s: %v\nwant %v", typ, got[typ], want)
				}
			}
			for typ := range got {
				if tc.want[typ] == nil {
					t.Errorf("unexpected %s: %v", typ, got[typ])
				}
			}
		})
	}

	t.Run("group in small batches", func(t *testing.T) {
		defer func(n int) { exportUnionTerms = n }(exportUnionTerms)
		exportUnionTerms = 1 // p1 and p3 in separate searches: "shared" matches both
		got := readExport(t, s, waitExport(t, s.h, startExport(t, s, "/Group/g2/$export?_type=Observation,Patient")))
		if want := ids("o1,o2,o3,o4,o5,o6,o7,o8,pretty,r1,shared"); !slices.Equal(got["Observation"], want) {
			t.Errorf("Observation %v\nwant %v", got["Observation"], want)
		}
		if want := ids("p1,p3"); !slices.Equal(got["Patient"], want) {
			t.Errorf("Patient %v", got["Patient"])
		}
	})
}

func TestExportParameters(t *testing.T) {
	s, _ := newExportServer(t, ExportConfig{})
	cut := time.Now().UTC()
	time.Sleep(5 * time.Millisecond)
	s.putAll(obsBody("o2", "Patient/p1", "2020-05-02"), res("Patient", "p3", `"name":[{"family":"Three-Smith"}]`))

	filterA := url.QueryEscape("Observation?date=ge2022")
	filterB := url.QueryEscape("Observation?subject=Patient/p2,Patient/p3")
	for _, tc := range []struct {
		name, path string
		want       map[string][]string
	}{
		{"_type", "/$export?_type=Patient,Observation&_outputFormat=application/fhir%2Bndjson", map[string][]string{
			"Patient": ids("p1,p1link,p2,p3"), "Observation": liveObservation,
		}},
		{"_type repeated", "/Patient/$export?_type=Patient&_type=Encounter&_outputFormat=ndjson", map[string][]string{
			"Patient": ids("p1,p1link,p2,p3"), "Encounter": ids("e1,e2,e3,e4"),
		}},
		{"_since", "/$export?_since=" + url.QueryEscape(cut.Format(time.RFC3339Nano)), map[string][]string{
			"Patient": ids("p3"), "Observation": ids("o2"),
		}},
		{"_since, patient level", "/Patient/$export?_outputFormat=application/fhir+ndjson&_type=Observation&_since=" + url.QueryEscape(cut.Format(time.RFC3339Nano)), map[string][]string{
			"Observation": ids("o2"),
		}},
		// q1 (2022, p2) matches both filters and is written once.
		{"_typeFilter repeated", "/$export?_type=Observation,Patient&_typeFilter=" + filterA + "&_typeFilter=" + filterB, map[string][]string{
			"Observation": ids("o4,o5,o6,o7,q1,q2,r1"), "Patient": ids("p1,p1link,p2,p3"),
		}},
		{"_typeFilter comma-separated", "/$export?_typeFilter=" + filterA + "," + filterB, map[string][]string{
			"Observation": ids("o4,o5,o6,o7,q1,q2,r1"), "Condition": ids("c1,c2,c3"), "Encounter": ids("e1,e2,e3,e4"),
			"Group": ids("g1,g2"), "Location": ids("loc1"), "Medication": ids("med1"), "MedicationRequest": ids("mr1"),
			"Organization": ids("org1"), "Patient": ids("p1,p1link,p2,p3"), "Practitioner": ids("pr1"),
		}},
		{"_typeFilter, group level", "/Group/g2/$export?_type=Observation&_typeFilter=" + filterA, map[string][]string{
			"Observation": ids("o4,o5,o6,o7"),
		}},
		{"_typeFilter with _since", "/$export?_type=Observation&_typeFilter=" + url.QueryEscape("Observation?subject=Patient/p1") +
			"&_since=" + url.QueryEscape(cut.Format(time.RFC3339Nano)), map[string][]string{
			"Observation": ids("o2"),
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := readExport(t, s, waitExport(t, s.h, startExport(t, s, tc.path)))
			if len(got) != len(tc.want) {
				t.Errorf("types %v, want %v", got, tc.want)
			}
			for typ, want := range tc.want {
				if !slices.Equal(got[typ], want) {
					t.Errorf("%s: %v\nwant %v", typ, got[typ], want)
				}
			}
		})
	}

	t.Run("split files", func(t *testing.T) {
		s2 := newTestServerOn(t, s.st)
		if err := ConfigureExport(s2.h, ExportConfig{Dir: t.TempDir(), MaxFileBytes: 1}); err != nil {
			t.Fatal(err)
		}
		m := waitExport(t, s2.h, startExport(t, s2, "/$export?_type=Condition"))
		if len(m.Output) != 3 {
			t.Fatalf("%d files, want one per Condition: %+v", len(m.Output), m.Output)
		}
		if got := readExport(t, s2, m)["Condition"]; !slices.Equal(got, ids("c1,c2,c3")) {
			t.Errorf("Condition %v", got)
		}
	})
}

// noScanner is a store without the optional store.Scanner.
type noScanner struct {
	store.Store
	store.Searcher
}

// TestExportWithoutScanner reads every type through the Searcher, with
// overlapping selections that must still write each resource once.
func TestExportWithoutScanner(t *testing.T) {
	s, _ := newExportServer(t, ExportConfig{})
	s2 := newTestServerOn(t, noScanner{s.st, s.st.(store.Searcher)})
	if err := ConfigureExport(s2.h, ExportConfig{Dir: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	filters := "&_typeFilter=" + url.QueryEscape("Observation?date=ge2022") + "&_typeFilter=" + url.QueryEscape("Observation?subject=Patient/p2,Patient/p3")
	for _, tc := range []struct {
		name, path string
		want       map[string][]string
	}{
		{"system", "/$export?_type=Patient,Observation", map[string][]string{
			"Patient": ids("p1,p1link,p2,p3"), "Observation": liveObservation,
		}},
		{"system, _typeFilter", "/$export?_type=Observation" + filters, map[string][]string{
			"Observation": ids("o4,o5,o6,o7,q1,q2,r1"),
		}},
		{"patient, _typeFilter", "/Patient/$export?_type=Observation,Encounter" + filters, map[string][]string{
			"Observation": ids("o4,o5,o6,o7,q1,q2,r1"), "Encounter": ids("e1,e2,e3,e4"),
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := readExport(t, s2, waitExport(t, s2.h, startExport(t, s2, tc.path)))
			if len(got) != len(tc.want) {
				t.Errorf("types %v, want %v", got, tc.want)
			}
			for typ, want := range tc.want {
				if !slices.Equal(got[typ], want) {
					t.Errorf("%s: %v\nwant %v", typ, got[typ], want)
				}
			}
		})
	}
}

// gatedScanner is a store whose Scan waits until open is closed (or its
// context ends): an export on it stays running until the test lets it go.
type gatedScanner struct {
	store.Store
	store.Searcher
	open chan struct{}
}

func (g gatedScanner) Scan(ctx context.Context, typ, afterID string, since time.Time, limit int) ([]store.Resource, error) {
	select {
	case <-g.open:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return g.Store.(store.Scanner).Scan(ctx, typ, afterID, since, limit)
}

func TestExportRunning(t *testing.T) {
	s, _ := newExportServer(t, ExportConfig{})
	gate := gatedScanner{s.st, s.st.(store.Searcher), make(chan struct{})}
	s2 := newTestServerOn(t, gate)
	dir := t.TempDir()
	if err := ConfigureExport(s2.h, ExportConfig{Dir: dir}); err != nil {
		t.Fatal(err)
	}

	// A running job answers 202 with its progress, and can be cancelled.
	status := startExport(t, s2, "/$export?_type=Location,Patient")
	r := s2.do("GET", status, "").want(t, http.StatusAccepted)
	if got, want := r.header.Get("X-Progress"), "0 resources written; type 1 of 2 (Location)"; got != want {
		t.Errorf("X-Progress %q, want %q", got, want)
	}
	if r.header.Get("Retry-After") == "" {
		t.Errorf("no Retry-After")
	}
	job := strings.TrimPrefix(status, exportStatusPath+"?_jobId=")
	file := exportFilePath + "?" + url.Values{"_jobId": {job}, "file": {"Location-1.ndjson"}}.Encode()
	s2.do("GET", file, "").wantOutcome(t, http.StatusNotFound, "not-found", "")
	s2.do("DELETE", status, "").want(t, http.StatusAccepted)
	s2.do("GET", status, "").wantOutcome(t, http.StatusNotFound, "not-found", "")
	if _, err := os.Stat(dir + "/" + job); !os.IsNotExist(err) {
		t.Errorf("cancelled job's folder still there: %v", err)
	}

	// At most maxRunningExports run at once; then they run to the end.
	status = startExport(t, s2, "/$export?_type=Location,Patient")
	s2.do("GET", status, "").want(t, http.StatusAccepted)
	var others []string
	for range maxRunningExports - 1 {
		others = append(others, startExport(t, s2, "/$export?_type=Location"))
	}
	s2.do("GET", "/$export", "", "Prefer", "respond-async").wantOutcome(t, http.StatusTooManyRequests, "throttled", "")
	close(gate.open)
	for _, o := range others {
		waitExport(t, s2.h, o)
	}
	got := readExport(t, s2, waitExport(t, s2.h, status))
	if !slices.Equal(got["Location"], ids("loc1")) || !slices.Equal(got["Patient"], ids("p1,p1link,p2,p3")) {
		t.Errorf("got %v", got)
	}
}

func TestExportRequests(t *testing.T) {
	s, dir := newExportServer(t, ExportConfig{})
	for _, tc := range []struct {
		name, path string
		headers    []string
		status     int
		code       string
	}{
		{"no Prefer", "/$export", nil, http.StatusBadRequest, "invalid"},
		{"Prefer without respond-async", "/$export", []string{"Prefer", "return=minimal"}, http.StatusBadRequest, "invalid"},
		{"bad _outputFormat", "/$export?_outputFormat=text/csv", []string{"Prefer", "respond-async"}, http.StatusBadRequest, "not-supported"},
		{"unknown parameter", "/$export?includeAssociatedData=x", []string{"Prefer", "respond-async"}, http.StatusBadRequest, "not-supported"},
		{"bad _type", "/$export?_type=Nonsense", []string{"Prefer", "respond-async"}, http.StatusBadRequest, "invalid"},
		{"bad _since", "/$export?_since=yesterday", []string{"Prefer", "respond-async"}, http.StatusBadRequest, "invalid"},
		{"non-compartment _type at patient level", "/Patient/$export?_type=Practitioner", []string{"Prefer", "respond-async"}, http.StatusBadRequest, "invalid"},
		{"_typeFilter not a query", "/$export?_typeFilter=Observation", []string{"Prefer", "respond-async"}, http.StatusBadRequest, "invalid"},
		{"_typeFilter of a type not exported", "/$export?_type=Patient&_typeFilter=" + url.QueryEscape("Observation?code=1"), []string{"Prefer", "respond-async"}, http.StatusBadRequest, "invalid"},
		{"_typeFilter unknown parameter", "/$export?_typeFilter=" + url.QueryEscape("Observation?colour=red"), []string{"Prefer", "respond-async"}, http.StatusBadRequest, "invalid"},
		{"_typeFilter with _count", "/$export?_typeFilter=" + url.QueryEscape("Observation?code=1&_count=5"), []string{"Prefer", "respond-async"}, http.StatusBadRequest, "invalid"},
		{"missing Group", "/Group/nogroup/$export", []string{"Prefer", "respond-async"}, http.StatusNotFound, "not-found"},
		{"unknown job", exportStatusPath + "?_jobId=nosuchjob", nil, http.StatusNotFound, "not-found"},
		{"cancel unknown job", exportStatusPath + "?_jobId=nosuchjob", nil, http.StatusNotFound, "not-found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			method := "GET"
			if strings.HasPrefix(tc.name, "cancel") {
				method = "DELETE"
			}
			s.do(method, tc.path, "", tc.headers...).wantOutcome(t, tc.status, tc.code, "")
		})
	}

	t.Run("file names are checked", func(t *testing.T) {
		status := startExport(t, s, "/$export?_type=Condition")
		waitExport(t, s.h, status)
		job := strings.TrimPrefix(status, exportStatusPath+"?_jobId=")
		for _, name := range []string{"../Condition-1.ndjson", "Patient-1.ndjson", ""} {
			path := exportFilePath + "?" + url.Values{"_jobId": {job}, "file": {name}}.Encode()
			s.do("GET", path, "").wantOutcome(t, http.StatusNotFound, "not-found", "")
		}
	})

	t.Run("cancel", func(t *testing.T) {
		status := startExport(t, s, "/$export")
		job := strings.TrimPrefix(status, exportStatusPath+"?_jobId=")
		s.do("DELETE", status, "").want(t, http.StatusAccepted)
		s.do("GET", status, "").wantOutcome(t, http.StatusNotFound, "not-found", "")
		if _, err := os.Stat(dir + "/" + job); !os.IsNotExist(err) {
			t.Errorf("job folder still there: %v", err)
		}
	})

	t.Run("cancel after completion removes the files", func(t *testing.T) {
		status := startExport(t, s, "/$export?_type=Patient")
		m := waitExport(t, s.h, status)
		s.do("DELETE", status, "").want(t, http.StatusAccepted)
		s.do("GET", relative(t, m.Output[0].URL), "").wantOutcome(t, http.StatusNotFound, "not-found", "")
		job := strings.TrimPrefix(status, exportStatusPath+"?_jobId=")
		if _, err := os.Stat(dir + "/" + job); !os.IsNotExist(err) {
			t.Errorf("job folder still there: %v", err)
		}
	})
}

func TestExportLenient(t *testing.T) {
	s, _ := newExportServer(t, ExportConfig{})
	for path, want := range map[string]map[string][]string{
		"/Patient/$export?includeAssociatedData=x&_type=Practitioner,Patient": {"Patient": ids("p1,p1link,p2,p3")},
		"/Patient/$export?_type=Practitioner":                                 {},
	} {
		r := s.do("GET", path, "", "Prefer", "respond-async, handling=lenient").want(t, http.StatusAccepted)
		m := waitExport(t, s.h, relative(t, r.header.Get("Content-Location")))
		if got := readExport(t, s, m); len(got) != len(want) || !slices.Equal(got["Patient"], want["Patient"]) {
			t.Errorf("%s: got %v, want %v", path, got, want)
		}
	}
}

func TestExportRetention(t *testing.T) {
	s, dir := newExportServer(t, ExportConfig{Retention: 100 * time.Millisecond})
	status := startExport(t, s, "/$export?_type=Patient")
	m := waitExport(t, s.h, status)
	deadline := time.Now().Add(10 * time.Second)
	for serve(s.h, "GET", status, nil).Code != http.StatusNotFound {
		if time.Now().After(deadline) {
			t.Fatal("job not removed after its retention")
		}
		time.Sleep(10 * time.Millisecond)
	}
	s.do("GET", relative(t, m.Output[0].URL), "").wantOutcome(t, http.StatusNotFound, "not-found", "")
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("%d folders left after retention", len(entries))
	}
}

func TestExportSplitTypeFilters(t *testing.T) {
	for in, want := range map[string][]string{
		"Observation?code=a":                        {"Observation?code=a"},
		"Observation?code=a,b":                      {"Observation?code=a,b"},
		"Observation?code=a,b,Condition?code=c":     {"Observation?code=a,b", "Condition?code=c"},
		"Observation?code=a&x=B?c,Observation?id=1": {"Observation?code=a&x=B?c", "Observation?id=1"},
	} {
		if got := splitTypeFilters(in); !slices.Equal(got, want) {
			t.Errorf("splitTypeFilters(%q) = %q, want %q", in, got, want)
		}
	}
}

// BenchmarkExport exports a store of 20,000 resources (20 records of one
// Patient and 1,000 resources) at system and patient level, reporting the
// resources written per second and the largest heap seen while it runs.
func BenchmarkExport(b *testing.B) {
	s := newTestServer(b)
	if err := ConfigureExport(s.h, ExportConfig{Dir: b.TempDir()}); err != nil {
		b.Fatal(err)
	}
	const records, perRecord = 20, 1000
	for i := range records {
		if rec := serve(s.h, "POST", "/", everythingLoad(fmt.Sprintf("exp%02d", i), perRecord-3), "Prefer", "return=minimal"); rec.Code != http.StatusOK {
			b.Fatalf("load: %d %.300s", rec.Code, rec.Body.Bytes())
		}
	}
	for _, bc := range []struct{ name, path string }{
		{"system", "/$export"},
		{"patient", "/Patient/$export"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			peak := watchHeap()
			written := 0
			for b.Loop() {
				rec := serve(s.h, "GET", bc.path, nil, "Prefer", "respond-async")
				if rec.Code != http.StatusAccepted {
					b.Fatalf("kick-off: %d %s", rec.Code, rec.Body.Bytes())
				}
				status := strings.TrimPrefix(rec.Header().Get("Content-Location"), testBase)
				for _, o := range waitExport(b, s.h, status).Output {
					written += o.Count
				}
				serve(s.h, "DELETE", status, nil)
			}
			b.ReportMetric(float64(written)/b.Elapsed().Seconds(), "resources/s")
			b.ReportMetric(float64(peak())/(1<<20), "peak-heap-MiB")
		})
	}
}

// watchHeap samples the heap until the benchmark ends; the function it
// returns stops sampling and gives the largest HeapAlloc seen.
func watchHeap() func() uint64 {
	var (
		mu   sync.Mutex
		peak uint64
		stop = make(chan struct{})
		done = make(chan struct{})
	)
	go func() {
		defer close(done)
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			mu.Lock()
			peak = max(peak, ms.HeapAlloc)
			mu.Unlock()
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	return func() uint64 {
		close(stop)
		<-done
		mu.Lock()
		defer mu.Unlock()
		return peak
	}
}
