package fhirapi

import (
	"context"
	"net/http"
	"slices"

	"carerecord/internal/fhir"
	"carerecord/internal/store"
)

// bundleLookup is a transaction's view for criteria: the store as the
// transaction sees it, plus the resources the Bundle itself creates or
// updates (already resolved to their ids), so that a conditional reference
// or ifNoneExist can name a resource that arrives in the same Bundle.
type bundleLookup struct {
	tx     lookup
	byType map[string][]*writeOp
}

func newBundleLookup(tx lookup) *bundleLookup {
	return &bundleLookup{tx: tx, byType: map[string][]*writeOp{}}
}

// add registers a resolved POST or PUT.
func (b *bundleLookup) add(op *writeOp) {
	if op.id != "" && op.body != nil && (op.method == http.MethodPost || op.method == http.MethodPut) {
		b.byType[op.typ] = append(b.byType[op.typ], op)
	}
}

func (b *bundleLookup) Read(ctx context.Context, typ, id string) (*store.Resource, error) {
	for _, op := range b.byType[typ] {
		if op.id == id {
			return &store.Resource{Type: typ, ID: id, Body: op.body}, nil
		}
	}
	return b.tx.Read(ctx, typ, id)
}

func (b *bundleLookup) FindByToken(ctx context.Context, typ, param, system, value string) ([]string, error) {
	ids, err := b.tx.FindByToken(ctx, typ, param, system, value)
	if err != nil || param != paramIdentifier {
		return ids, err
	}
	for _, op := range b.byType[typ] {
		for _, ident := range op.idents {
			if ident.Value == value && (system == "" || ident.System == system) && !slices.Contains(ids, op.id) {
				ids = append(ids, op.id)
			}
		}
	}
	return ids, nil
}

// writeBundleResponse sends a transaction-response or batch-response with
// one entry per request entry, in request order.
func (a *api) writeBundleResponse(w http.ResponseWriter, r *http.Request, typ string, entries []*txEntry, pref preference) {
	b := bundleOut{typ: typ, total: -1, entries: make([]entryOut, len(entries))}
	for i, e := range entries {
		b.entries[i] = a.responseEntry(r, e, pref)
	}
	w.WriteHeader(http.StatusOK)
	w.Write(b.marshal())
}

func (a *api) responseEntry(r *http.Request, e *txEntry, pref preference) entryOut {
	if e.err != nil {
		status, issues := a.outcomeFor(r, e.err)
		return entryOut{response: &entryResponseOut{status: statusLine(status), outcome: fhir.Outcome(issues...)}}
	}
	if e.get != nil {
		out := entryOut{response: &entryResponseOut{status: statusLine(http.StatusOK)}}
		if e.res != nil {
			out.fullURL = a.resourceURL(e.res.Type, e.res.ID)
			out.response.etag = etag(e.res.Version)
			out.response.lastModified = instant(e.res.LastUpdated)
			out.resource = e.res.Body
		} else {
			out.resource = e.got
		}
		if e.method == http.MethodHead {
			out.resource = nil
		}
		return out
	}
	res := e.out.res
	out := entryOut{response: &entryResponseOut{status: statusLine(e.out.status)}}
	if res != nil {
		out.response.etag = etag(res.Version)
		out.response.lastModified = instant(res.LastUpdated)
		if !res.Deleted {
			out.fullURL = a.resourceURL(res.Type, res.ID)
			out.response.location = versionPath(res.Type, res.ID, res.Version)
		}
	}
	switch pref.ret {
	case "representation":
		if res != nil && !res.Deleted {
			out.resource = res.Body
		}
	case "OperationOutcome":
		out.response.outcome = fhir.Outcome(fhir.Issue{Severity: "information", Code: "informational",
			Diagnostics: outcomeText(e.method, e.out)})
	}
	return out
}
