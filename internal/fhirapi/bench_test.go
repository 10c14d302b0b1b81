package fhirapi

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// serve sends one request straight to the handler.
func serve(h http.Handler, method, path string, body []byte, headers ...string) *httptest.ResponseRecorder {
	var req *http.Request
	if body != nil {
		req = httptest.NewRequest(method, path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/fhir+json")
	} else {
		req = httptest.NewRequest(method, path, nil)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func BenchmarkRead(b *testing.B) {
	s := newTestServer(b)
	s.do("PUT", "/Patient/bench", patient("bench", nhs1, "Bench")).want(b, http.StatusCreated)
	b.ReportAllocs()
	for b.Loop() {
		if rec := serve(s.h, "GET", "/Patient/bench", nil); rec.Code != http.StatusOK {
			b.Fatalf("status %d", rec.Code)
		}
	}
}

func BenchmarkCreate(b *testing.B) {
	s := newTestServer(b)
	body := []byte(patient("", nhs1, "Bench"))
	b.ReportAllocs()
	for b.Loop() {
		if rec := serve(s.h, "POST", "/Patient", body); rec.Code != http.StatusCreated {
			b.Fatalf("status %d: %s", rec.Code, rec.Body.Bytes())
		}
	}
}

// BenchmarkCreateParallel shows what group commit gives concurrent clients.
func BenchmarkCreateParallel(b *testing.B) {
	s := newTestServer(b)
	body := []byte(patient("", nhs1, "Bench"))
	b.ReportAllocs()
	b.SetParallelism(8)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if rec := serve(s.h, "POST", "/Patient", body); rec.Code != http.StatusCreated {
				b.Errorf("status %d", rec.Code)
				return
			}
		}
	})
}

// syntheticTransaction is a transaction of one Patient and n Observations
// that refer to it by urn:uuid, like a small Synthea record.
func syntheticTransaction(n int) []byte {
	var sb strings.Builder
	sb.WriteString(`{"resourceType":"Bundle","type":"transaction","entry":[`)
	sb.WriteString(`{"fullUrl":"urn:uuid:00000000-0000-4000-8000-000000000000","resource":` + patient("", nhs1, "Bulk") +
		`,"request":{"method":"POST","url":"Patient"}}`)
	for i := range n {
		fmt.Fprintf(&sb, `,{"fullUrl":"urn:uuid:00000000-0000-4000-8000-%012d","resource":{"resourceType":"Observation",`+
			`"status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},`+
			`"subject":{"reference":"urn:uuid:00000000-0000-4000-8000-000000000000"},`+
			`"effectiveDateTime":"2024-01-01T10:%02d:00Z","valueQuantity":{"value":%d,"unit":"/min"}},`+
			`"request":{"method":"POST","url":"Observation"}}`, i+1, i%60, 60+i%40)
	}
	sb.WriteString(`]}`)
	return []byte(sb.String())
}

// BenchmarkTransaction1000 posts a 1001-entry transaction per iteration.
func BenchmarkTransaction1000(b *testing.B) {
	s := newTestServer(b)
	body := syntheticTransaction(1000)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if rec := serve(s.h, "POST", "/", body, "Prefer", "return=minimal"); rec.Code != http.StatusOK {
			b.Fatalf("status %d: %.500s", rec.Code, rec.Body.Bytes())
		}
	}
	b.ReportMetric(float64(b.N*1001)/b.Elapsed().Seconds(), "resources/s")
}
