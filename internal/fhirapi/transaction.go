package fhirapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"

	"carerecord/internal/fhir"
	"carerecord/internal/store"
)

// transaction processes a transaction Bundle all or nothing in one
// store.Write, in the R4 order: DELETE, POST, PUT/PATCH, then GET/HEAD.
// Deletes are applied first, so the criteria of the later entries see them;
// then the targets of the other writes are resolved (conditional creates and
// updates), urn:uuid and conditional references are rewritten everywhere,
// the writes applied and the reads answered. When nothing of that needs
// the store (prepareTransaction), ids and references are settled before the
// store.Write, and only the writes and reads run inside it.
func (a *api) transaction(w http.ResponseWriter, r *http.Request, entries []*txEntry, pref preference) error {
	for _, e := range entries {
		if e.err != nil {
			return e.err
		}
	}
	ctx := r.Context()
	order := processingOrder(entries)
	prepared := prepareTransaction(ctx, order)
	err := a.st.Write(ctx, func(tx store.Tx) error {
		if prepared {
			return a.applyTransaction(ctx, tx, order)
		}
		return a.runTransaction(ctx, tx, entries, order)
	})
	if err != nil {
		return err
	}
	if err := a.searchAfterCommit(ctx, entries); err != nil {
		return err
	}
	a.writeBundleResponse(w, r, "transaction-response", entries, pref)
	return nil
}

func (a *api) runTransaction(ctx context.Context, tx store.Tx, entries, order []*txEntry) error {
	look := newBundleLookup(tx)
	targets := map[string]int{} // Type/id → entry, to refuse two writes to one resource
	claim := func(e *txEntry) error {
		op := e.write
		if op.noop {
			return nil
		}
		key := op.typ + "/" + op.id
		if prev, dup := targets[key]; dup {
			return &entryError{e.index, newError(http.StatusBadRequest, "invalid", "request",
				fmt.Sprintf("entries %d and %d change the same resource", prev, e.index))}
		}
		targets[key] = e.index
		return nil
	}
	var writes []*txEntry
	for _, e := range order {
		switch {
		case e.write == nil:
		case e.method == http.MethodDelete:
			if err := e.write.resolve(ctx, look); err != nil {
				return &entryError{e.index, err}
			}
			if err := claim(e); err != nil {
				return err
			}
			out, err := e.write.apply(ctx, tx)
			if err != nil {
				return &entryError{e.index, err}
			}
			e.out = out
		default:
			if err := e.write.resolve(ctx, look); err != nil {
				return &entryError{e.index, err}
			}
			if err := claim(e); err != nil {
				return err
			}
			look.add(e.write)
			writes = append(writes, e)
		}
	}
	refs := &refResolver{look: look, local: map[string]string{}, cache: map[string]string{}}
	for _, e := range writes {
		if e.fullURL != "" && e.write.id != "" {
			refs.local[e.fullURL] = e.write.typ + "/" + e.write.id
		}
	}
	for _, e := range writes {
		if op := e.write; op.body != nil && !op.noop {
			out, err := refs.rewrite(ctx, op.body)
			if err != nil {
				return &entryError{e.index, err}
			}
			op.out = out
		}
	}
	return a.applyEntries(ctx, tx, writes, order)
}

// applyEntries applies the resolved writes in order, then answers the
// reads of order (GET and HEAD entries).
func (a *api) applyEntries(ctx context.Context, tx store.Tx, writes, order []*txEntry) error {
	for _, e := range writes {
		out, err := e.write.apply(ctx, tx)
		if err != nil {
			return &entryError{e.index, err}
		}
		e.out = out
	}
	for _, e := range order {
		if e.get != nil {
			if err := a.runGet(ctx, tx, false, e); err != nil {
				return &entryError{e.index, err}
			}
		}
	}
	return nil
}

// prepareTransaction does, before the store.Write, what runTransaction
// would do first inside it, when none of it needs the store: every write
// targets a given id or creates a new one (no conditional create, update,
// patch or delete), no two change the same resource, and every reference is
// to the Bundle's own entries or plain (no conditional reference). The
// store runs Write functions one at a time, so resolving ids and rewriting
// references here, in the request's goroutine, keeps them off that single
// line. It reports whether it did; if not (also when the Bundle has an
// error), runTransaction does everything inside the Write as before, so
// errors and their order do not change.
func prepareTransaction(ctx context.Context, order []*txEntry) bool {
	targets := map[string]bool{}
	var writes []*txEntry
	for _, e := range order {
		op := e.write
		if op == nil {
			continue
		}
		if op.criteria != nil || op.ifNoneExist != nil {
			return false
		}
		if err := op.resolve(ctx, nil); err != nil {
			return false
		}
		key := op.typ + "/" + op.id
		if targets[key] {
			return false
		}
		targets[key] = true
		if e.method != http.MethodDelete {
			writes = append(writes, e)
		}
	}
	refs := &refResolver{local: map[string]string{}, cache: map[string]string{}}
	for _, e := range writes {
		if e.fullURL != "" && e.write.id != "" {
			refs.local[e.fullURL] = e.write.typ + "/" + e.write.id
		}
	}
	for _, e := range writes {
		if op := e.write; op.body != nil {
			out, err := refs.rewrite(ctx, op.body)
			if err != nil {
				return false // a conditional reference (no store here) or a bad one
			}
			op.out = out
		}
	}
	failed := atomic.Bool{}
	parallel(len(writes), func(i int) {
		if op := writes[i].write; op.out != nil {
			if _, err := op.indexed(op.out); err != nil {
				failed.Store(true)
			}
		}
	})
	return !failed.Load()
}

// applyTransaction is runTransaction for a prepared Bundle: the writes in
// processing order, then the reads.
func (a *api) applyTransaction(ctx context.Context, tx store.Tx, order []*txEntry) error {
	writes := make([]*txEntry, 0, len(order))
	for _, e := range order {
		if e.write != nil {
			writes = append(writes, e)
		}
	}
	return a.applyEntries(ctx, tx, writes, order)
}

// errNeedsStore stops prepareTransaction at a conditional reference.
var errNeedsStore = errors.New("fhirapi: a conditional reference needs the store")

// batch processes each entry on its own (each write in its own
// store.Write), in the same order as a transaction, and reports each
// entry's outcome. Entries of a batch may not refer to each other.
func (a *api) batch(w http.ResponseWriter, r *http.Request, entries []*txEntry, pref preference) error {
	ctx := r.Context()
	for _, e := range processingOrder(entries) {
		if e.err != nil {
			continue
		}
		var err error
		if e.get != nil {
			err = a.runGet(ctx, a.st, true, e)
		} else {
			err = a.batchWrite(ctx, e)
		}
		if err != nil {
			e.err = &entryError{e.index, err}
		}
	}
	a.writeBundleResponse(w, r, "batch-response", entries, pref)
	return nil
}

// batchWrite runs one batch entry's write in its own store.Write.
func (a *api) batchWrite(ctx context.Context, e *txEntry) error {
	op := e.write
	return a.st.Write(ctx, func(tx store.Tx) error {
		if err := op.resolve(ctx, tx); err != nil {
			return err
		}
		if op.body != nil && !op.noop {
			refs := &refResolver{look: tx, cache: map[string]string{}}
			out, err := refs.rewrite(ctx, op.body)
			if err != nil {
				return err
			}
			op.out = out
		}
		var err error
		e.out, err = op.apply(ctx, tx)
		return err
	})
}

// processingOrder is the entries sorted (stably) by method rank.
func processingOrder(entries []*txEntry) []*txEntry {
	rank := func(m string) int {
		switch m {
		case http.MethodDelete:
			return 0
		case http.MethodPost:
			return 1
		case http.MethodPut, http.MethodPatch:
			return 2
		}
		return 3
	}
	order := slices.Clone(entries)
	slices.SortStableFunc(order, func(x, y *txEntry) int { return rank(x.method) - rank(y.method) })
	return order
}

// runGet answers a GET or HEAD entry. Outside a transaction (inStore) look
// is the store; inside one it sees the transaction's writes, and can read
// only current versions.
func (a *api) runGet(ctx context.Context, look lookup, inStore bool, e *txEntry) error {
	g := e.get
	switch {
	case g.search != nil:
		if !inStore {
			return nil // answered after the transaction commits (searchAfterCommit)
		}
		body, err := a.runSearch(ctx, g.search)
		e.got = body
		return err
	case g.vid != 0 && inStore:
		res, err := a.st.VRead(ctx, g.typ, g.id, g.vid)
		if err == nil && res.Deleted {
			err = store.ErrGone
		}
		e.res = res
		return err
	}
	res, err := look.Read(ctx, g.typ, g.id)
	if err == nil && g.vid != 0 && res.Version != g.vid {
		return newError(http.StatusBadRequest, "not-supported", "request.url",
			"a transaction can read only the current version; use a batch for older versions")
	}
	e.res = res
	return err
}

// refResolver rewrites the references of an entry's resource: fullUrls of
// the Bundle's entries become Type/id, and conditional references
// (Type?criteria) become the single resource they match.
type refResolver struct {
	look  lookup            // nil: no store to match criteria in (errNeedsStore)
	local map[string]string // fullUrl → Type/id (transaction only)
	cache map[string]string // conditional reference → Type/id
}

func (rr *refResolver) rewrite(ctx context.Context, body []byte) ([]byte, error) {
	if !bytes.Contains(body, []byte(`"reference"`)) {
		return body, nil
	}
	return fhir.RewriteReferences(body, func(ref string) (string, error) {
		return rr.resolve(ctx, ref)
	})
}

func (rr *refResolver) resolve(ctx context.Context, ref string) (string, error) {
	if to, ok := rr.local[ref]; ok {
		return to, nil
	}
	if strings.HasPrefix(ref, "urn:uuid:") || strings.HasPrefix(ref, "urn:oid:") {
		if rr.local == nil {
			return "", newError(http.StatusBadRequest, "invalid", "",
				"entries of a batch may not refer to each other (urn: reference); use a transaction")
		}
		return "", newError(http.StatusBadRequest, "invalid", "",
			"a urn: reference does not match the fullUrl of any entry")
	}
	typ, query, ok := strings.Cut(ref, "?")
	if !ok || !fhir.IsResourceType(typ) {
		return ref, nil
	}
	if to, ok := rr.cache[ref]; ok {
		return to, nil
	}
	if rr.look == nil {
		return "", errNeedsStore
	}
	crit, err := parseConditionalString(query, "a conditional reference")
	if err != nil {
		return "", err
	}
	ids, err := crit.match(ctx, rr.look, typ)
	if err != nil {
		return "", err
	}
	switch len(ids) {
	case 0:
		return "", newError(http.StatusBadRequest, "not-found", "",
			"a conditional reference to "+typ+" matched no resource")
	case 1:
		to := typ + "/" + ids[0]
		rr.cache[ref] = to
		return to, nil
	}
	return "", errPrecondition(fmt.Sprintf("a conditional reference to %s matched %d resources", typ, len(ids)))
}

// searchAfterCommit answers a transaction's search entries. The store
// searches only what is committed, so they run after the transaction's
// writes are: they see them, as R4's order (reads last) asks, and whatever
// other clients committed meanwhile.
func (a *api) searchAfterCommit(ctx context.Context, entries []*txEntry) error {
	for _, e := range entries {
		if e.get == nil || e.get.search == nil {
			continue
		}
		body, err := a.runSearch(ctx, e.get.search)
		if err != nil {
			return &entryError{e.index, err}
		}
		e.got = body
	}
	return nil
}
