package fhirapi

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// res is a resource body: type, id and the members after them.
func res(typ, id, members string) string {
	s := `{"resourceType":"` + typ + `","id":"` + id + `"`
	if members != "" {
		s += "," + members
	}
	return s + "}"
}

func obsBody(id, subject, date string) string {
	m := `"status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]}`
	if subject != "" {
		m += `,"subject":{"reference":"` + subject + `"}`
	}
	if date != "" {
		m += `,"effectiveDateTime":"` + date + `"`
	}
	return res("Observation", id, m)
}

// putAll stores bodies with PUT (each has its type and id).
func (s *testServer) putAll(bodies ...string) {
	s.t.Helper()
	for _, b := range bodies {
		h := headerOf(s.t, []byte(b))
		r := s.do("PUT", "/"+h.ResourceType+"/"+h.ID, b)
		if r.status != http.StatusCreated && r.status != http.StatusOK {
			s.t.Fatalf("PUT %s/%s: %d %s", h.ResourceType, h.ID, r.status, r.body)
		}
	}
}

// loadRecord stores the record the $everything tests read: Patient p1 with
// 19 resources in its compartment, the resources they refer to, and
// Patient p2 with resources of its own.
func loadRecord(t *testing.T) *testServer {
	s := newTestServer(t)
	s.putAll(
		res("Organization", "org1", `"name":"Practice"`),
		res("Practitioner", "pr1", `"name":[{"family":"Doctor"}]`),
		res("Medication", "med1", `"code":{"text":"paracetamol"}`),
		res("Location", "loc1", `"name":"Ward 1"`),
		res("Patient", "p1", `"name":[{"family":"One"}],"managingOrganization":{"reference":"Organization/org1"},`+
			`"generalPractitioner":[{"reference":"Practitioner/pr1"}]`),
		res("Patient", "p1link", `"link":[{"other":{"reference":"Patient/p1"},"type":"seealso"}]`),
		res("Patient", "p2", `"name":[{"family":"Two"}]`),
		res("Group", "g1", `"type":"person","actual":true,"member":[{"entity":{"reference":"Patient/p1"}},{"entity":{"reference":"Patient/p2"}}]`),
		res("MedicationRequest", "mr1", `"status":"active","intent":"order","medicationReference":{"reference":"Medication/med1"},"subject":{"reference":"Patient/p1"}`),
		obsBody("q1", "Patient/p2", "2022-01-01"),
		obsBody("q2", "Patient/p2", ""),
	)
	for i := 1; i <= 3; i++ {
		s.putAll(res("Condition", fmt.Sprintf("c%d", i), `"code":{"text":"asthma"},"subject":{"reference":"Patient/p1"}`))
	}
	for i := 1; i <= 4; i++ {
		y := 2019 + i
		s.putAll(res("Encounter", fmt.Sprintf("e%d", i), fmt.Sprintf(`"status":"finished",`+
			`"class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},`+
			`"subject":{"reference":"Patient/p1"},"period":{"start":"%d-03-01","end":"%d-03-02"}`, y, y)))
	}
	for i, d := range []string{"2019-05-01", "2020-05-01", "2021-05-01", "2022-05-01", "2023-05-01", "2024-05-01", "2022-06-15", ""} {
		s.putAll(obsBody(fmt.Sprintf("o%d", i+1), "Patient/p1", d))
	}
	// o1 was performed by pr1.
	s.putAll(strings.TrimSuffix(obsBody("o1", "Patient/p1", "2019-05-01"), "}") + `,"performer":[{"reference":"Practitioner/pr1"}]}`)
	return s
}

var p1Everything = []string{
	"Patient/p1", "Patient/p1link",
	"Condition/c1", "Condition/c2", "Condition/c3",
	"Encounter/e1", "Encounter/e2", "Encounter/e3", "Encounter/e4",
	"Group/g1", "MedicationRequest/mr1",
	"Observation/o1", "Observation/o2", "Observation/o3", "Observation/o4",
	"Observation/o5", "Observation/o6", "Observation/o7", "Observation/o8",
}

// everythingPages follows next links from path and returns the matches
// and includes of every page (as Type/id) and the pages.
func everythingPages(t *testing.T, s *testServer, path string) (matches, includes []string, pages []bundle) {
	t.Helper()
	for path != "" {
		b := s.do("GET", path, "").want(t, http.StatusOK).bundle(t)
		if b.Type != "searchset" {
			t.Fatalf("Bundle.type %q", b.Type)
		}
		pages = append(pages, b)
		for _, e := range b.Entry {
			h := headerOf(t, e.Resource)
			key := h.ResourceType + "/" + h.ID
			if e.FullURL != testBase+"/"+key {
				t.Errorf("fullUrl %q for %s", e.FullURL, key)
			}
			switch e.Search.Mode {
			case "match":
				matches = append(matches, key)
			case "include":
				includes = append(includes, key)
			default:
				t.Errorf("%s: search.mode %q", key, e.Search.Mode)
			}
		}
		path = ""
		if next := b.link("next"); next != "" {
			path = relative(t, next)
		}
		if len(pages) > 100 {
			t.Fatal("more than 100 pages")
		}
	}
	return matches, includes, pages
}

func sortedSet(keys []string) []string {
	out := slices.Clone(keys)
	slices.Sort(out)
	return slices.Compact(out)
}

func TestEverythingPaging(t *testing.T) {
	s := loadRecord(t)

	t.Run("one page", func(t *testing.T) {
		matches, includes, pages := everythingPages(t, s, "/Patient/p1/$everything")
		if len(pages) != 1 {
			t.Fatalf("%d pages", len(pages))
		}
		if got, want := sortedSet(matches), sortedSet(p1Everything); !slices.Equal(got, want) || len(matches) != len(want) {
			t.Errorf("matches %v\nwant %v", matches, want)
		}
		if got := sortedSet(includes); !slices.Equal(got, []string{"Medication/med1", "Organization/org1", "Practitioner/pr1"}) {
			t.Errorf("includes %v", includes)
		}
		if tot := pages[0].Total; tot == nil || *tot != len(p1Everything) {
			t.Errorf("total %v, want %d", tot, len(p1Everything))
		}
		// Types come in compartment order: Patient first, then by name.
		order := func(key string) int {
			typ, _, _ := strings.Cut(key, "/")
			return slices.Index(compartmentTypes(), typ)
		}
		if !slices.IsSortedFunc(matches, func(a, b string) int { return order(a) - order(b) }) {
			t.Errorf("matches not in type order: %v", matches)
		}
	})

	for _, count := range []int{1, 4, 7, 18, 19} {
		t.Run(fmt.Sprintf("_count=%d", count), func(t *testing.T) {
			matches, includes, pages := everythingPages(t, s, fmt.Sprintf("/Patient/p1/$everything?_count=%d", count))
			if got, want := sortedSet(matches), sortedSet(p1Everything); !slices.Equal(got, want) || len(matches) != len(want) {
				t.Errorf("matches (each exactly once) %v\nwant %v", matches, want)
			}
			if want := (len(p1Everything) + count - 1) / count; len(pages) != want {
				t.Errorf("%d pages, want %d", len(pages), want)
			}
			for i, p := range pages {
				n := 0
				for _, e := range p.Entry {
					if e.Search.Mode == "match" {
						n++
					}
				}
				if n == 0 || n > count {
					t.Errorf("page %d has %d matches", i, n)
				}
				if p.Total != nil && len(pages) > 1 {
					t.Errorf("page %d has total %d without _total", i, *p.Total)
				}
			}
			for _, want := range []string{"Medication/med1", "Organization/org1", "Practitioner/pr1"} {
				if !slices.Contains(includes, want) {
					t.Errorf("%s never included", want)
				}
			}
		})
	}

	t.Run("_total=accurate", func(t *testing.T) {
		_, _, pages := everythingPages(t, s, "/Patient/p1/$everything?_count=5&_total=accurate")
		for i, p := range pages {
			if p.Total == nil || *p.Total != len(p1Everything) {
				t.Errorf("page %d: total %v, want %d", i, p.Total, len(p1Everything))
			}
		}
	})

	t.Run("other patient", func(t *testing.T) {
		matches, _, _ := everythingPages(t, s, "/Patient/p2/$everything")
		if want := []string{"Group/g1", "Observation/q1", "Observation/q2", "Patient/p2"}; !slices.Equal(sortedSet(matches), want) {
			t.Errorf("p2 matches %v, want %v", matches, want)
		}
	})
}

func TestEverythingFilters(t *testing.T) {
	s := loadRecord(t)
	cut := time.Now().UTC()
	time.Sleep(5 * time.Millisecond)
	s.putAll(obsBody("o2", "Patient/p1", "2020-05-02"))

	for _, tc := range []struct {
		name, query      string
		matches, include []string
	}{
		{
			name:  "start and end",
			query: "start=2021-01-01&end=2022-12-31",
			matches: []string{"Condition/c1", "Condition/c2", "Condition/c3", "Encounter/e2", "Encounter/e3",
				"Group/g1", "MedicationRequest/mr1", "Observation/o3", "Observation/o4", "Observation/o7",
				"Observation/o8", "Patient/p1", "Patient/p1link"},
			include: []string{"Medication/med1", "Organization/org1", "Practitioner/pr1"},
		},
		{
			name:    "start only",
			query:   "start=2023&_type=Observation,Encounter",
			matches: []string{"Encounter/e4", "Observation/o5", "Observation/o6", "Observation/o8"},
		},
		{
			name:    "end only",
			query:   "end=2019-12-31&_type=Observation",
			matches: []string{"Observation/o1", "Observation/o8"},
		},
		{
			name:    "_type without includes",
			query:   "_type=Observation",
			matches: []string{"Observation/o1", "Observation/o2", "Observation/o3", "Observation/o4", "Observation/o5", "Observation/o6", "Observation/o7", "Observation/o8"},
		},
		{
			name:    "_type with an included type",
			query:   "_type=Observation&_type=Practitioner",
			matches: []string{"Observation/o1", "Observation/o2", "Observation/o3", "Observation/o4", "Observation/o5", "Observation/o6", "Observation/o7", "Observation/o8"},
			include: []string{"Practitioner/pr1"},
		},
		{
			name:  "_type of only non-compartment types",
			query: "_type=Practitioner",
		},
		{
			name:    "_since",
			query:   "_since=" + url.QueryEscape(cut.Format(time.RFC3339Nano)),
			matches: []string{"Observation/o2"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			matches, includes, _ := everythingPages(t, s, "/Patient/p1/$everything?_count=3&"+tc.query)
			if got := sortedSet(matches); !slices.Equal(got, tc.matches) || len(got) != len(matches) {
				t.Errorf("matches %v\nwant %v", matches, tc.matches)
			}
			if got := sortedSet(includes); !slices.Equal(got, tc.include) {
				t.Errorf("includes %v, want %v", got, tc.include)
			}
		})
	}
}

func TestEverythingErrors(t *testing.T) {
	s := loadRecord(t)
	s.putAll(res("Patient", "gone", ""))
	s.do("DELETE", "/Patient/gone", "").want(t, http.StatusNoContent)

	for _, tc := range []struct {
		name, path string
		headers    []string
		status     int
		code       string
	}{
		{"missing patient", "/Patient/nobody/$everything", nil, http.StatusNotFound, "not-found"},
		{"deleted patient", "/Patient/gone/$everything", nil, http.StatusGone, "deleted"},
		{"bad cursor type", "/Patient/p1/$everything?_cursor=Nonsense.abc", nil, http.StatusBadRequest, "invalid"},
		{"bad store cursor", "/Patient/p1/$everything?_cursor=Observation.%21%21", nil, http.StatusBadRequest, "invalid"},
		{"bad start", "/Patient/p1/$everything?start=yesterday", nil, http.StatusBadRequest, "invalid"},
		{"bad _since", "/Patient/p1/$everything?_since=2024", nil, http.StatusBadRequest, "invalid"},
		{"bad _type", "/Patient/p1/$everything?_type=Nonsense", nil, http.StatusBadRequest, "invalid"},
		{"bad _count", "/Patient/p1/$everything?_count=many", nil, http.StatusBadRequest, "invalid"},
		{"unknown parameter, strict", "/Patient/p1/$everything?colour=red", []string{"Prefer", "handling=strict"}, http.StatusBadRequest, "not-supported"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s.do("GET", tc.path, "", tc.headers...).wantOutcome(t, tc.status, tc.code, "")
		})
	}
	// Lenient (the default) ignores what it does not know.
	s.do("GET", "/Patient/p1/$everything?colour=red", "").want(t, http.StatusOK)
}

// everythingLoad is a transaction of one Patient and n resources in its
// compartment (Observations, Encounters, Conditions, MedicationRequests,
// Procedures) that refer to a Practitioner and an Organization.
func everythingLoad(patientID string, n int) []byte {
	var sb strings.Builder
	sb.WriteString(`{"resourceType":"Bundle","type":"transaction","entry":[`)
	put := func(body string) {
		h := struct{ typ, id string }{}
		h.typ = body[len(`{"resourceType":"`):strings.Index(body, `","id"`)]
		rest := body[strings.Index(body, `"id":"`)+6:]
		h.id = rest[:strings.IndexByte(rest, '"')]
		if sb.Len() > 80 {
			sb.WriteByte(',')
		}
		sb.WriteString(`{"resource":` + body + `,"request":{"method":"PUT","url":"` + h.typ + "/" + h.id + `"}}`)
	}
	subj := `"subject":{"reference":"Patient/` + patientID + `"}`
	put(res("Organization", patientID+"-org", `"name":"Practice"`))
	put(res("Practitioner", patientID+"-gp", `"name":[{"family":"Doctor"}]`))
	put(res("Patient", patientID, `"managingOrganization":{"reference":"Organization/`+patientID+`-org"}`))
	for i := range n {
		id := fmt.Sprintf("%s-%04d", patientID, i)
		day := fmt.Sprintf("20%02d-%02d-%02d", 10+i%15, 1+i%12, 1+i%28)
		switch i % 10 {
		case 0, 1, 2, 3, 4, 5:
			put(strings.TrimSuffix(obsBody(id, "Patient/"+patientID, day+"T10:00:00Z"), "}") +
				`,"performer":[{"reference":"Practitioner/` + patientID + `-gp"}],"valueQuantity":{"value":72,"unit":"/min"}}`)
		case 6:
			put(res("Encounter", id, `"status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},`+
				subj+`,"period":{"start":"`+day+`"},"serviceProvider":{"reference":"Organization/`+patientID+`-org"}`))
		case 7:
			put(res("Condition", id, `"code":{"text":"asthma"},`+subj+`,"recordedDate":"`+day+`"`))
		case 8:
			put(res("MedicationRequest", id, `"status":"active","intent":"order","medicationCodeableConcept":{"text":"salbutamol"},`+
				subj+`,"requester":{"reference":"Practitioner/`+patientID+`-gp"}`))
		case 9:
			put(res("Procedure", id, `"status":"completed","code":{"text":"spirometry"},`+subj+`,"performedDateTime":"`+day+`"`))
		}
	}
	sb.WriteString(`]}`)
	return []byte(sb.String())
}

// BenchmarkEverything measures the first page (100 entries and their
// includes) of $everything for a Patient with 1,000 resources, in a store
// that holds two other such records; "total" asks for _total=accurate too
// (a count per compartment type).
func BenchmarkEverything(b *testing.B) {
	s := newTestServer(b)
	for _, id := range []string{"bench-a", "bench", "bench-z"} {
		if rec := serve(s.h, "POST", "/", everythingLoad(id, 1000), "Prefer", "return=minimal"); rec.Code != http.StatusOK {
			b.Fatalf("load: %d %.300s", rec.Code, rec.Body.Bytes())
		}
	}
	for _, bc := range []struct{ name, path string }{
		{"first-page", "/Patient/bench/$everything"},
		{"first-page-total", "/Patient/bench/$everything?_total=accurate"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				rec := serve(s.h, "GET", bc.path, nil)
				if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"relation":"next"`) {
					b.Fatalf("status %d: %.300s", rec.Code, rec.Body.Bytes())
				}
			}
		})
	}
}
