package fhirapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"carerecord/internal/fhir"
	"carerecord/internal/store"
	"carerecord/internal/store/sqlite"
)

const testBase = "http://fhir.test/fhir"

// testServer is the API over a real SQLite store in a temporary directory.
type testServer struct {
	t   testing.TB
	h   http.Handler
	st  store.Store
	log *syncBuffer // everything the API logged
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func openStore(t testing.TB) store.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func newTestServer(t testing.TB, opts ...func(*Options)) *testServer {
	t.Helper()
	return newTestServerOn(t, openStore(t), opts...)
}

func newTestServerOn(t testing.TB, st store.Store, opts ...func(*Options)) *testServer {
	t.Helper()
	logs := &syncBuffer{}
	o := Options{BaseURL: testBase, Logger: slog.New(slog.NewTextHandler(logs, nil)), Version: "test"}
	for _, f := range opts {
		f(&o)
	}
	return &testServer{t: t, h: New(st, o), st: st, log: logs}
}

// response is a finished request.
type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends a request; headers come as "Name", "value" pairs. A body sent
// without a Content-Type header gets application/fhir+json.
func (s *testServer) do(method, path, body string, headers ...string) response {
	s.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, rd)
	if body != "" {
		req.Header.Set("Content-Type", "application/fhir+json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	s.h.ServeHTTP(rec, req)
	res := response{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
	if res.status >= 500 {
		s.t.Logf("%s %s: %d; server log:\n%s", method, path, res.status, s.log.String())
	}
	if ct := res.header.Get("Content-Type"); ct != contentTypeFHIR {
		s.t.Errorf("%s %s: Content-Type %q, want %q", method, path, ct, contentTypeFHIR)
	}
	return res
}

// want fails the test unless the response has the status.
func (r response) want(t testing.TB, status int) response {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body: %s", r.status, status, r.body)
	}
	return r
}

// outcome checks the body is an OperationOutcome and returns its issues.
func (r response) outcome(t testing.TB) []fhir.Issue {
	t.Helper()
	var oo struct {
		ResourceType string       `json:"resourceType"`
		Issue        []fhir.Issue `json:"issue"`
	}
	if err := json.Unmarshal(r.body, &oo); err != nil || oo.ResourceType != "OperationOutcome" || len(oo.Issue) == 0 {
		t.Fatalf("body is not an OperationOutcome with issues: %s", r.body)
	}
	return oo.Issue
}

// wantOutcome checks status, and that some issue has the code and (when
// given) the expression.
func (r response) wantOutcome(t testing.TB, status int, code, expression string) []fhir.Issue {
	t.Helper()
	r.want(t, status)
	issues := r.outcome(t)
	for _, is := range issues {
		if is.Code != code {
			continue
		}
		if expression == "" {
			return issues
		}
		for _, e := range is.Expression {
			if e == expression {
				return issues
			}
		}
	}
	t.Fatalf("no issue with code %q and expression %q in %s", code, expression, r.body)
	return nil
}

// bundle is the parts of a Bundle the tests look at.
type bundle struct {
	ResourceType string `json:"resourceType"`
	Type         string `json:"type"`
	Total        *int   `json:"total"`
	Link         []struct {
		Relation string `json:"relation"`
		URL      string `json:"url"`
	} `json:"link"`
	Entry []struct {
		FullURL  string          `json:"fullUrl"`
		Resource json.RawMessage `json:"resource"`
		Search   *struct {
			Mode string `json:"mode"`
		} `json:"search"`
		Request *struct {
			Method string `json:"method"`
			URL    string `json:"url"`
		} `json:"request"`
		Response *struct {
			Status       string          `json:"status"`
			Location     string          `json:"location"`
			Etag         string          `json:"etag"`
			LastModified string          `json:"lastModified"`
			Outcome      json.RawMessage `json:"outcome"`
		} `json:"response"`
	} `json:"entry"`
}

func (r response) bundle(t testing.TB) bundle {
	t.Helper()
	var b bundle
	if err := json.Unmarshal(r.body, &b); err != nil || b.ResourceType != "Bundle" {
		t.Fatalf("body is not a Bundle: %v: %s", err, r.body)
	}
	return b
}

func (b bundle) link(rel string) string {
	for _, l := range b.Link {
		if l.Relation == rel {
			return l.URL
		}
	}
	return ""
}

// entryIDs is the sorted, comma-joined ids of the matched resources.
func entryIDs(t testing.TB, b bundle) string {
	t.Helper()
	var ids []string
	for _, e := range b.Entry {
		if e.Search != nil && e.Search.Mode == "outcome" {
			continue
		}
		ids = append(ids, headerOf(t, e.Resource).ID)
	}
	slices.Sort(ids)
	return strings.Join(ids, ",")
}

// relative turns an absolute URL under testBase into the handler's path.
func relative(t testing.TB, u string) string {
	t.Helper()
	p, ok := strings.CutPrefix(u, testBase)
	if !ok {
		t.Fatalf("URL %q is not under %s", u, testBase)
	}
	return p
}

// resourceHeader is the id and meta of a resource body.
type resourceHeader struct {
	ResourceType string `json:"resourceType"`
	ID           string `json:"id"`
	Meta         struct {
		VersionID   string `json:"versionId"`
		LastUpdated string `json:"lastUpdated"`
	} `json:"meta"`
}

func headerOf(t testing.TB, body []byte) resourceHeader {
	t.Helper()
	var h resourceHeader
	if err := json.Unmarshal(body, &h); err != nil {
		t.Fatalf("not a resource: %v: %s", err, body)
	}
	return h
}

// patient is a small valid UK Core-ish Patient with an NHS number from the
// 999 test range; id may be "".
func patient(id, nhs, family string) string {
	var b strings.Builder
	b.WriteString(`{"resourceType":"Patient"`)
	if id != "" {
		b.WriteString(`,"id":"` + id + `"`)
	}
	if nhs != "" {
		b.WriteString(`,"identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"` + nhs + `"}]`)
	}
	b.WriteString(`,"name":[{"family":"` + family + `","given":["Alex"]}],"gender":"unknown","birthDate":"1970-01-01"}`)
	return b.String()
}

// Valid NHS numbers (modulus 11) from the 999 test range.
const (
	nhs1 = "9990000018"
	nhs2 = "9990000026"
	nhs3 = "9990000034"
)
