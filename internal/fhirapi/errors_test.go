package fhirapi

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"

	"carerecord/internal/search"
	"carerecord/internal/store"
)

// scriptCase is one request of a testdata/*.script file and what it must produce.
type scriptCase struct {
	name, method, path, body string
	headers                  []string
	status                   int
	code, expression         string
	line                     int
}

func parseScript(t *testing.T, path string) []scriptCase {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var (
		cases []scriptCase
		cur   *scriptCase
		state int // 0 request line, 1 headers, 2 body
		body  []string
	)
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "#") && cur == nil:
		case strings.HasPrefix(line, "=== "):
			cases = append(cases, scriptCase{name: line[4:], line: n})
			cur, state, body = &cases[len(cases)-1], 0, nil
		case cur == nil:
		case strings.HasPrefix(line, "--- "):
			f := strings.Fields(line[4:])
			cur.status, _ = strconv.Atoi(f[0])
			if len(f) > 1 {
				cur.code = f[1]
			}
			if len(f) > 2 {
				cur.expression = f[2]
			}
			cur.body = strings.Join(body, "\n")
			cur = nil
		case state == 0:
			cur.method, cur.path, _ = strings.Cut(line, " ")
			state = 1
		case state == 1 && line == "":
			state = 2
		case state == 1:
			k, v, _ := strings.Cut(line, ":")
			cur.headers = append(cur.headers, k, strings.TrimSpace(v))
		default:
			body = append(body, line)
		}
	}
	if cur != nil {
		t.Fatalf("%s: case %q has no --- line", path, cur.name)
	}
	return cases
}

func TestErrorScript(t *testing.T) {
	s := newTestServer(t)
	for _, c := range parseScript(t, "testdata/errors.script") {
		t.Run(c.name, func(t *testing.T) {
			req := httptest.NewRequest(c.method, c.path, strings.NewReader(c.body))
			for i := 0; i+1 < len(c.headers); i += 2 {
				req.Header.Set(c.headers[i], c.headers[i+1])
			}
			rec := httptest.NewRecorder()
			s.h.ServeHTTP(rec, req)
			res := response{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
			if ct := res.header.Get("Content-Type"); ct != contentTypeFHIR {
				t.Errorf("Content-Type %q", ct)
			}
			if c.code == "" {
				res.want(t, c.status)
				return
			}
			res.wantOutcome(t, c.status, c.code, c.expression)
		})
	}
}

func TestBodyTooLarge(t *testing.T) {
	s := newTestServer(t, func(o *Options) { o.MaxBodyBytes = 100 })
	big := patient("", "", strings.Repeat("x", 200))
	for _, path := range []string{"/Patient", "/"} {
		is := s.do("POST", path, big).wantOutcome(t, http.StatusRequestEntityTooLarge, "too-long", "")
		if !strings.Contains(is[0].Diagnostics, "100 bytes") {
			t.Errorf("diagnostics do not give the limit: %q", is[0].Diagnostics)
		}
	}
	s.do("POST", "/Patient", `{"resourceType":"Patient"}`).want(t, http.StatusCreated)
}

// faultStore is the real store with one injected fault, to reach the
// internal-error and panic paths that no request can cause.
type faultStore struct {
	store.Store
	fault func()
}

var errDisk = errors.New("disk on fire at /var/lib/carerecord")

func (f faultStore) Read(ctx context.Context, typ, id string) (*store.Resource, error) {
	f.fault()
	return f.Store.Read(ctx, typ, id)
}

func TestInternalErrors(t *testing.T) {
	tests := []struct {
		name  string
		fault func()
	}{
		{"panic with an error", func() { panic(errDisk) }},
		{"panic with a string", func() { panic(fmt.Sprint("bad state ", 42)) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestServerOn(t, faultStore{Store: openStore(t), fault: tc.fault})
			is := s.do("GET", "/Patient/p1", "").wantOutcome(t, http.StatusInternalServerError, "exception", "")
			diag := is[0].Diagnostics
			id := diag[strings.LastIndex(diag, " ")+1:]
			if len(id) != 16 || strings.Contains(diag, "fire") || strings.Contains(diag, "bad state") {
				t.Errorf("client sees %q: want a generic message and an error id", diag)
			}
			if logs := s.log.String(); !strings.Contains(logs, id) || !strings.Contains(logs, "panic") {
				t.Errorf("error id %s and panic not in the log:\n%s", id, logs)
			}
			// The server survived: the next request is answered.
			s.do("GET", "/metadata", "").want(t, http.StatusOK)
		})
	}
	t.Run("store error returned", func(t *testing.T) {
		s := newTestServerOn(t, errStore{openStore(t)})
		s.do("PUT", "/Patient/p1", patient("p1", nhs1, "E")).want(t, http.StatusCreated)
		is := s.do("GET", "/Patient?"+nhsQuery(nhs1), "").wantOutcome(t, http.StatusInternalServerError, "exception", "")
		logs := s.log.String()
		if strings.Contains(is[0].Diagnostics, "fire") || !strings.Contains(logs, "disk on fire") {
			t.Errorf("detail must be logged, not sent: %q", is[0].Diagnostics)
		}
		if strings.Contains(logs, nhs1) {
			t.Errorf("the log carries the NHS number from the query:\n%s", logs)
		}
	})
}

// errStore fails every Read with an internal error.
type errStore struct{ store.Store }

func (errStore) Read(context.Context, string, string) (*store.Resource, error) {
	return nil, fmt.Errorf("sqlstore: read: %w", errDisk)
}

func (errStore) Search(context.Context, *search.Query, store.SearchOptions) (*store.Page, error) {
	return nil, fmt.Errorf("sqlstore: search: %w", errDisk)
}

func TestClientOutcome(t *testing.T) {
	tests := []struct {
		name   string
		err    error
		status int
		code   string
	}{
		{"not found", fmt.Errorf("x: %w", store.ErrNotFound), 404, "not-found"},
		{"gone", fmt.Errorf("x: %w", store.ErrGone), 410, "deleted"},
		{"version conflict without If-Match", fmt.Errorf("x: %w", store.ErrVersionConflict), 409, "conflict"},
		{"closed", store.ErrClosed, 503, "transient"},
		{"deadline", context.DeadlineExceeded, 503, "timeout"},
		{"body limit", &http.MaxBytesError{Limit: 7}, 413, "too-long"},
		{"entry", &entryError{2, fmt.Errorf("x: %w", store.ErrGone)}, 410, "deleted"},
		{"internal", errDisk, 0, ""},
		{"internal inside an entry", &entryError{1, errDisk}, 0, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, issues := clientOutcome(tc.err)
			if status != tc.status {
				t.Fatalf("status %d, want %d", status, tc.status)
			}
			if status != 0 && issues[0].Code != tc.code {
				t.Errorf("code %q, want %q", issues[0].Code, tc.code)
			}
		})
	}
}

func TestReroot(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Patient.identifier[0].value", "Bundle.entry[3].resource.identifier[0].value"},
		{"Patient", "Bundle.entry[3].resource"},
		{"resourceType", "Bundle.entry[3].resource.resourceType"},
		{"request.url", "Bundle.entry[3].request.url"},
		{"resource.data", "Bundle.entry[3].resource.data"},
		{"Bundle.type", "Bundle.type"},
	}
	for _, tc := range tests {
		if got := reroot("Bundle.entry[3]", tc.in); got != tc.want {
			t.Errorf("reroot(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
