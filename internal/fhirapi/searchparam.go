package fhirapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"carerecord/internal/search"
	"carerecord/internal/store"
)

// Custom search parameters: a SearchParameter resource written through the
// API (create or update) is checked before it is stored (code, base, type,
// targets, and an expression the FHIRPath engine compiles; 400 otherwise),
// registered once stored, and the resources of its base types are
// reindexed in the background, after which searches by it find them.
// Stored SearchParameters are registered again when a server starts
// (LoadSearchParameters).

// checkSearchParameter refuses a SearchParameter the registry cannot use.
func (a *api) checkSearchParameter(body []byte) error {
	if err := a.reg.CheckParameter(body); err != nil {
		return newError(http.StatusBadRequest, "invalid", "SearchParameter", err.Error())
	}
	return nil
}

// addSearchParameter registers a stored SearchParameter and reindexes its
// base types in the background.
func (a *api) addSearchParameter(body []byte) {
	p, err := a.reg.Add(body)
	if err != nil {
		a.log.Warn("fhirapi: stored SearchParameter not registered", "err", err)
		return
	}
	var types []string
	if !slices.Contains(p.Base, "Resource") && !slices.Contains(p.Base, "DomainResource") {
		types = p.Base
	}
	go func() {
		start := time.Now()
		n, err := Reindex(context.Background(), a.st, a.reg, types, nil)
		if err != nil && !errors.Is(err, store.ErrClosed) {
			a.log.Error("fhirapi: reindex for a new search parameter", "code", p.Code, "err", err)
			return
		}
		a.log.Info("fhirapi: reindexed for a new search parameter", "code", p.Code, "resources", n,
			"elapsed", time.Since(start).Round(time.Millisecond))
	}()
}

// LoadSearchParameters registers the SearchParameter resources stored in
// st with reg: a server calls it on start, so that custom parameters added
// earlier keep working. A stored one that no longer registers is logged
// and skipped.
func LoadSearchParameters(ctx context.Context, st store.Store, reg *search.Registry, log *slog.Logger) (int, error) {
	sc, ok := st.(store.Scanner)
	if !ok {
		return 0, nil
	}
	n := 0
	after := ""
	for {
		rs, err := sc.Scan(ctx, "SearchParameter", after, time.Time{}, 500)
		if err != nil {
			return n, fmt.Errorf("load search parameters: %w", err)
		}
		for _, r := range rs {
			if _, err := reg.Add(r.Body); err != nil {
				log.Warn("stored SearchParameter not registered", "id", r.ID, "err", err)
				continue
			}
			n++
		}
		if len(rs) < 500 {
			return n, nil
		}
		after = rs[len(rs)-1].ID
	}
}
