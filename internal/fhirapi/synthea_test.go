package fhirapi

import (
	"bytes"
	"carerecord/internal/shareddata"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"carerecord/internal/store"
)

// syntheaBundles returns the Synthea transaction bundles in the shared test
// data, skipping the test when they are absent.
func syntheaBundles(t testing.TB) []string {
	t.Helper()
	shared := shareddata.Path()
	if shared == "" {
		t.Skip("shared test data not found")
	}
	files, _ := filepath.Glob(filepath.Join(shared, "testdata", "synthea", "bundles", "*.json.gz"))
	if len(files) == 0 {
		t.Skip("no Synthea bundles in the shared test data")
	}
	slices.Sort(files)
	return files
}

func gunzip(t testing.TB, path string) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSyntheaTransactions loads Synthea patients as transactions: every
// entry is created, and no urn:uuid reference survives into the store.
func TestSyntheaTransactions(t *testing.T) {
	files := syntheaBundles(t)
	if testing.Short() {
		files = files[:3]
	}
	s := newTestServer(t)
	var entries, biggest int
	var slowest time.Duration
	for _, f := range files {
		body := gunzip(t, f)
		start := time.Now()
		res := s.do("POST", "/", string(body), "Prefer", "return=minimal")
		took := time.Since(start)
		if res.status != http.StatusOK {
			t.Fatalf("%s: status %d: %.1000s", filepath.Base(f), res.status, res.body)
		}
		b := res.bundle(t)
		for i, e := range b.Entry {
			if e.Response.Status != "201 Created" {
				t.Fatalf("%s entry %d: %s", filepath.Base(f), i, e.Response.Status)
			}
		}
		entries += len(b.Entry)
		if len(b.Entry) > biggest {
			biggest, slowest = len(b.Entry), took
		}
	}
	t.Logf("%d bundles, %d resources; the biggest (%d entries) took %v", len(files), entries, biggest, slowest)

	var after int64
	total := 0
	for {
		feed, err := s.st.Changes(context.Background(), after, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(feed) == 0 {
			break
		}
		for _, v := range feed {
			if bytes.Contains(v.Body, []byte(`"urn:uuid:`)) {
				t.Fatalf("%s/%s keeps a urn:uuid reference", v.Type, v.ID)
			}
		}
		total += len(feed)
		after = feed[len(feed)-1].Seq
	}
	if total != entries {
		t.Errorf("%d versions stored, want %d", total, entries)
	}
	// References now resolve: an Encounter's subject is a stored Patient.
	rows, err := s.st.History(context.Background(), store.HistoryQuery{Type: "Encounter", Count: 1})
	if err != nil || len(rows) == 0 {
		t.Fatalf("no Encounter: %v", err)
	}
	subject := reference(t, rows[0].Body, "subject")
	if !strings.HasPrefix(subject, "Patient/") {
		t.Fatalf("Encounter.subject %q", subject)
	}
	s.do("GET", "/"+subject, "").want(t, http.StatusOK)
}
