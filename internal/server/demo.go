package server

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"carerecord/internal/fhir"
	"carerecord/internal/fhirapi"
	"carerecord/internal/search"
	"carerecord/internal/store"
	"carerecord/internal/synthetic"
)

// demoBatch is how many generated resources go into one store write.
const demoBatch = 2000

// loadDemo fills an empty store with the synthetic population. A store that
// already holds anything is left alone, so restarting the demo keeps every
// change a user made.
func (s *Server) loadDemo(ctx context.Context) error {
	changes, err := s.store.Changes(ctx, 0, 1)
	if err != nil {
		return fmt.Errorf("demo: look at the store: %w", err)
	}
	if len(changes) > 0 {
		fmt.Fprintf(s.opts.Out, "carerecord: demo store already holds data; not generating a new population\n")
		return nil
	}
	start := time.Now()
	fmt.Fprintf(s.opts.Out, "carerecord: generating %d synthetic patients (seed %d)...\n", s.cfg.Demo.Patients, s.cfg.Demo.Seed)
	n, err := LoadSynthetic(ctx, s.store, s.reg, synthetic.Options{
		Seed:     s.cfg.Demo.Seed,
		Patients: s.cfg.Demo.Patients,
		Now:      time.Now().UTC().Truncate(24 * time.Hour),
	})
	if err != nil {
		return err
	}
	el := time.Since(start)
	fmt.Fprintf(s.opts.Out, "carerecord: loaded %d resources in %.1fs (%.0f/s)\n", n, el.Seconds(), float64(n)/el.Seconds())
	return nil
}

// examplePatient finds a Patient with an NHS number for the hints the demo
// prints and the home page's example searches: one with active conditions
// and active medication requests when the store can search, so that every
// example finds something; otherwise an early one in the change feed. It
// looks at a bounded number of changes and returns "" when none is found.
func examplePatient(ctx context.Context, st store.Store, reg *search.Registry) (id, nhs string) {
	if sr, ok := st.(store.Searcher); ok {
		q, _, err := search.Parse(reg, "Patient", url.Values{
			"_has:Condition:patient:clinical-status": {"active"},
			"_has:MedicationRequest:patient:status":  {"active"},
			"_has:Observation:patient:category":      {"vital-signs"},
			"identifier":                             {fhir.NHSNumberSystem + "|"},
			"_count":                                 {"1"},
		}, true)
		if err == nil {
			if page, err := sr.Search(ctx, q, store.SearchOptions{Registry: reg}); err == nil && len(page.Matches) == 1 {
				r := page.Matches[0]
				for _, ident := range fhir.Identifiers(r.Body) {
					if ident.System == fhir.NHSNumberSystem {
						return r.ID, ident.Value
					}
				}
			}
		}
	}
	var after int64
	for range 20 {
		page, err := st.Changes(ctx, after, 500)
		if err != nil || len(page) == 0 {
			return "", ""
		}
		for _, r := range page {
			after = r.Seq
			if r.Type != "Patient" || r.Deleted {
				continue
			}
			for _, ident := range fhir.Identifiers(r.Body) {
				if ident.System == fhir.NHSNumberSystem {
					return r.ID, ident.Value
				}
			}
		}
	}
	return "", ""
}

// LoadSynthetic generates a population and writes it in batches, each
// resource validated and indexed exactly as the API would. Validation and
// index extraction of a batch run on every core while the previous batch
// is being written. It returns the number of resources written.
func LoadSynthetic(ctx context.Context, st store.Store, reg *search.Registry, opts synthetic.Options) (int, error) {
	type result struct {
		n   int
		err error
	}
	var (
		batch   []store.Put
		total   int
		pending chan result // the Write in flight, if any
	)
	wait := func() error {
		if pending == nil {
			return nil
		}
		r := <-pending
		pending = nil
		total += r.n
		return r.err
	}
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if err := fhirapi.IndexEach(reg, batch, true); err != nil {
			return fmt.Errorf("demo: generated resource: %w", err)
		}
		if err := wait(); err != nil {
			return err
		}
		puts := batch
		batch = nil
		pending = make(chan result, 1)
		go func() {
			err := st.Write(ctx, func(tx store.Tx) error {
				for _, p := range puts {
					if _, err := tx.Put(ctx, p); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				err = fmt.Errorf("demo: write: %w", err)
			}
			pending <- result{len(puts), err}
		}()
		return nil
	}
	err := synthetic.Generate(opts, func(r synthetic.Resource) error {
		batch = append(batch, store.Put{Type: r.Type, ID: r.ID, Body: r.Body})
		if len(batch) >= demoBatch {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	return total, errors.Join(err, wait())
}
