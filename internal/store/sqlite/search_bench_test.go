package sqlite_test

import (
	"context"
	"net/url"
	"testing"
	"time"

	"carerecord/internal/search"
	"carerecord/internal/store"
	"carerecord/internal/store/sqlite"
	"carerecord/internal/synthetic"
)

// BenchmarkSearch times the store's side of a clinician's patient view
// (no HTTP): the three patient-compartment searches of the search issue
// over a synthetic population, each parsed and answered with one page.
// `carerecord bench search` measures the same through the API.
func BenchmarkSearch(b *testing.B) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	reg := search.NewRegistry(search.FHIRPath)
	var patients []string
	var puts []store.Put
	err = synthetic.Generate(synthetic.Options{Seed: 3, Patients: 50, Now: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)},
		func(r synthetic.Resource) error {
			x, err := reg.Extract(r.Type, r.Body)
			if err != nil {
				return err
			}
			if r.Type == "Patient" {
				patients = append(patients, r.ID)
			}
			puts = append(puts, store.Put{Type: r.Type, ID: r.ID, Body: r.Body, Index: x})
			return nil
		})
	if err != nil {
		b.Fatal(err)
	}
	err = st.Write(ctx, func(tx store.Tx) error {
		for _, p := range puts {
			if _, err := tx.Put(ctx, p); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	queries := []struct{ typ, q string }{
		{"Observation", "category=vital-signs&_sort=-date&_count=50&patient=Patient/"},
		{"Condition", "clinical-status=active&patient=Patient/"},
		{"MedicationRequest", "status=active&patient=Patient/"},
	}
	for _, qq := range queries {
		b.Run(qq.typ, func(b *testing.B) {
			found := 0
			i := 0
			for b.Loop() {
				vals, err := url.ParseQuery(qq.q + patients[i%len(patients)])
				if err != nil {
					b.Fatal(err)
				}
				q, _, err := search.Parse(reg, qq.typ, vals, true)
				if err != nil {
					b.Fatal(err)
				}
				page, err := st.Search(ctx, q, store.SearchOptions{Registry: reg})
				if err != nil {
					b.Fatal(err)
				}
				found += len(page.Matches)
				i++
			}
			b.ReportMetric(float64(found)/float64(i), "matches/op")
		})
	}
}
