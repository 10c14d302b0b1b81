package fhirapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/schollz/progressbar/v3"

	"carerecord/internal/fhir"
	"carerecord/internal/search"
	"carerecord/internal/store"
)

// reindexBatch is how many resources one reindex transaction replaces.
const reindexBatch = 500

// Reindex rebuilds the search index of every current resource (of types,
// or of every type when types is empty) from the parameters in reg: after
// custom SearchParameters change, or for a store written before the index.
// Extraction runs on every core while the previous batch is written. It
// returns how many resources it reindexed.
func Reindex(ctx context.Context, st store.Store, reg *search.Registry, types []string, progress io.Writer) (int64, error) {
	sc, ok1 := st.(store.Scanner)
	rx, ok2 := st.(store.Reindexer)
	if !ok1 || !ok2 {
		return 0, errors.New("this store has no search index to rebuild")
	}
	if len(types) == 0 {
		types = fhir.ResourceTypes()
	}
	var bar *progressbar.ProgressBar
	if progress != nil {
		total := int64(-1)
		if s, ok := st.(store.Stats); ok {
			if n, _, err := s.Count(ctx); err == nil {
				total = n
			}
		}
		bar = progressbar.NewOptions64(total, progressbar.OptionSetWriter(progress),
			progressbar.OptionSetWidth(30), progressbar.OptionSetDescription("reindexing"),
			progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("resources"),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(progress) }))
		defer bar.Finish()
	}
	var done int64
	for _, typ := range types {
		after := ""
		for {
			rs, err := sc.Scan(ctx, typ, after, time.Time{}, reindexBatch)
			if err != nil {
				return done, err
			}
			if len(rs) == 0 {
				break
			}
			puts := make([]store.Put, len(rs))
			for i, r := range rs {
				puts[i] = store.Put{Type: r.Type, ID: r.ID, Body: r.Body}
			}
			if err := IndexEach(reg, puts, false); err != nil {
				return done, err
			}
			xs := make([]*search.Index, len(puts))
			for i := range puts {
				xs[i] = puts[i].Index
			}
			n, err := rx.Reindex(ctx, rs, xs)
			if err != nil {
				return done, fmt.Errorf("reindex %s: %w", typ, err)
			}
			done += int64(n)
			if bar != nil {
				_ = bar.Add(len(rs))
			}
			after = rs[len(rs)-1].ID
			if len(rs) < reindexBatch {
				break
			}
		}
	}
	return done, nil
}

// IndexEach sets the search index of each Put, on every core (the
// parallel of Bundle entries), first validating its body as the API would
// when validate is set. It is for loaders that write around the API (the
// demo population) and for reindexing.
func IndexEach(reg *search.Registry, puts []store.Put, validate bool) error {
	errs := make([]error, len(puts))
	parallel(len(puts), func(i int) {
		p := &puts[i]
		if validate {
			if _, err := fhir.Validate(p.Body); err != nil {
				errs[i] = fmt.Errorf("%s/%s is invalid: %w", p.Type, p.ID, err)
				return
			}
		}
		if p.Index, errs[i] = Index(reg, p.Type, p.Body); errs[i] != nil {
			errs[i] = fmt.Errorf("%s/%s: %w", p.Type, p.ID, errs[i])
		}
	})
	return errors.Join(errs...)
}
