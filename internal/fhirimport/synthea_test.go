package fhirimport

import (
	"carerecord/internal/shareddata"
	"context"
	"io"
	"path/filepath"
	"testing"
)

// The real Synthea transaction Bundles import completely: all 70 files, and
// the count of resources the README of the test data gives (16,121 in the
// patient bundles plus the two shared bundles' Organizations and
// Practitioners).
func TestImportSynthea(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	dir := shareddata.Require(t, "testdata", "synthea", "bundles")
	st := openStore(t)
	sum, err := New(st, Options{Progress: io.Discard}).Import(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range sum.Failed {
		t.Errorf("%s: %v", filepath.Base(f.Path), f.Err)
	}
	if sum.Files != 70 {
		t.Errorf("files = %d, want 70", sum.Files)
	}
	if sum.Resources < 16121 {
		t.Errorf("resources = %d, want at least the 16,121 patient-bundle resources", sum.Resources)
	}
	t.Logf("imported %d resources from %d files in %v (%.0f/s)", sum.Resources, sum.Files, sum.Elapsed, sum.Rate())
}

func BenchmarkImportSynthea(b *testing.B) {
	dir := shareddata.Require(b, "testdata", "synthea", "bundles")
	for b.Loop() {
		b.StopTimer()
		st := openStore(b)
		b.StartTimer()
		sum, err := New(st, Options{}).Import(context.Background(), dir)
		if err != nil || len(sum.Failed) > 0 {
			b.Fatal(err, sum.Failed)
		}
		b.ReportMetric(sum.Rate(), "resources/s")
	}
}
