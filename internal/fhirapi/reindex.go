package fhirapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
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
			xs, err := extractAll(reg, rs)
			if err != nil {
				return done, err
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

// extractAll extracts the index of each resource on every core.
func extractAll(reg *search.Registry, rs []store.Resource) ([]*search.Index, error) {
	xs := make([]*search.Index, len(rs))
	workers := runtime.GOMAXPROCS(0)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(rs); i += workers {
				x, err := Index(reg, rs[i].Type, rs[i].Body)
				if err != nil {
					errs[w] = fmt.Errorf("%s/%s: %w", rs[i].Type, rs[i].ID, err)
					return
				}
				xs[i] = x
			}
		})
	}
	wg.Wait()
	return xs, errors.Join(errs...)
}
