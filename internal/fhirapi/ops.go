package fhirapi

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"

	jsonpatch "github.com/evanphx/json-patch/v5"

	"carerecord/internal/fhir"
	"carerecord/internal/search"
	"carerecord/internal/store"
)

// writeOp is one write interaction — create, update, patch or delete, plain
// or conditional — whether it came as a REST call or as a Bundle entry. It
// runs in two steps inside one store.Write: resolve fixes the target id
// (conditional lookups happen here, so they are atomic with the write), and
// apply writes. A transaction rewrites references between the two; when no
// entry is conditional, it resolves and rewrites before the store.Write
// (prepareTransaction), as resolve then reads nothing.
type writeOp struct {
	method      string // POST, PUT, PATCH or DELETE
	typ         string
	urlID       string    // id from the URL ("" for create and conditional forms)
	criteria    *criteria // conditional update, patch or delete
	ifNoneExist *criteria // conditional create
	ifMatch     int64     // If-Match version, 0 for none
	body        []byte    // validated resource (POST, PUT)
	bodyID      string    // id element of body
	idents      []fhir.Identifier
	patch       jsonpatch.Patch
	reg         *search.Registry
	index       *search.Index // search index of indexOf
	indexOf     []byte        // the body index was extracted from

	// Set by resolve; resolve resets them, so a store may re-run a Write.
	id   string // target id
	noop bool   // POST: If-None-Exist matched id; DELETE: nothing matched
	out  []byte // body to write, after any reference rewriting
}

// result is what a write did.
type result struct {
	status int             // 200, 201 or 204
	res    *store.Resource // the version written or found; nil when nothing existed
}

// newResourceOp validates body as the resource for a POST or PUT of typ.
func newResourceOp(reg *search.Registry, method, typ, urlID string, body []byte) (*writeOp, error) {
	hdr, err := fhir.Validate(body)
	if err != nil {
		var fe *fhir.Error
		if !errors.As(err, &fe) {
			return nil, newError(http.StatusBadRequest, "structure", "", "the body is not a FHIR JSON resource")
		}
		return nil, err
	}
	if hdr.ResourceType != typ {
		return nil, newError(http.StatusBadRequest, "invalid", "",
			fmt.Sprintf("resourceType %s does not match the %s in the URL", hdr.ResourceType, typ))
	}
	if method == http.MethodPut && urlID != "" {
		if hdr.ID == "" {
			return nil, newError(http.StatusBadRequest, "invalid", typ+".id",
				"an update must carry the id given in the URL")
		}
		if hdr.ID != urlID {
			return nil, newError(http.StatusBadRequest, "invalid", typ+".id",
				"the resource id does not match the id in the URL")
		}
	}
	if method == http.MethodPut && hdr.ID != "" && !fhir.ValidID(hdr.ID) {
		return nil, newError(http.StatusBadRequest, "invalid", typ+".id", "invalid resource id")
	}
	return &writeOp{method: method, typ: typ, urlID: urlID, body: body, bodyID: hdr.ID,
		idents: fhir.Identifiers(body), reg: reg}, nil
}

// indexed returns the search index of body (the op's body or what
// reference rewriting made of it), extracting it only when body is not the
// one last extracted. Callers extract before store.Write where they can
// (the create and update handlers, a batch's entries, a prepared
// transaction's after rewriting), so that the work stays off the store's
// committer; apply extracts what is left.
func (op *writeOp) indexed(body []byte) (*search.Index, error) {
	if op.index != nil && len(body) == len(op.indexOf) && (len(body) == 0 || &body[0] == &op.indexOf[0]) {
		return op.index, nil
	}
	x, err := extractIndex(op.reg, op.typ, body)
	if err != nil {
		return nil, err
	}
	op.index, op.indexOf = x, body
	return x, nil
}

// extractIndex is the search index of a validated resource.
func extractIndex(reg *search.Registry, typ string, body []byte) (*search.Index, error) {
	x, err := reg.Extract(typ, body)
	if err != nil {
		return nil, fmt.Errorf("index %s: %w", typ, err)
	}
	return x, nil
}

// resolve fixes the target id, running conditional criteria against look.
func (op *writeOp) resolve(ctx context.Context, look lookup) error {
	op.id, op.noop, op.out = op.urlID, false, op.body
	switch op.method {
	case http.MethodPost:
		if op.ifNoneExist != nil {
			id, err := op.ifNoneExist.matchOne(ctx, look, op.typ, "If-None-Exist")
			if err != nil || id != "" {
				op.id, op.noop = id, true
				return err
			}
		}
		op.id = newID()
	case http.MethodPut:
		if op.criteria == nil {
			return nil
		}
		id, err := op.criteria.matchOne(ctx, look, op.typ, "conditional update")
		switch {
		case err != nil:
			return err
		case id == "" && op.bodyID != "":
			op.id = op.bodyID
		case id == "":
			op.id = newID()
		case op.bodyID != "" && op.bodyID != id:
			return newError(http.StatusBadRequest, "invalid", op.typ+".id",
				"the resource id does not match the resource the criteria selected")
		default:
			op.id = id
		}
	case http.MethodPatch, http.MethodDelete:
		if op.criteria == nil {
			return nil
		}
		id, err := op.criteria.matchOne(ctx, look, op.typ, "conditional "+methodWord(op.method))
		if err != nil {
			return err
		}
		if id == "" && op.method == http.MethodPatch {
			return newError(http.StatusNotFound, "not-found", "", "conditional patch matched no resource")
		}
		op.id, op.noop = id, id == ""
	}
	return nil
}

// apply performs the resolved write in tx.
func (op *writeOp) apply(ctx context.Context, tx store.Tx) (result, error) {
	switch op.method {
	case http.MethodPost:
		if op.noop {
			res, err := tx.Read(ctx, op.typ, op.id)
			return result{http.StatusOK, res}, err
		}
		x, err := op.indexed(op.out)
		if err != nil {
			return result{}, err
		}
		res, err := tx.Put(ctx, store.Put{Type: op.typ, ID: op.id, Body: op.out,
			IfNoneExist: true, Index: x})
		return result{http.StatusCreated, res}, err
	case http.MethodPut:
		x, err := op.indexed(op.out)
		if err != nil {
			return result{}, err
		}
		res, err := tx.Put(ctx, store.Put{Type: op.typ, ID: op.id, Body: op.out,
			IfMatch: op.ifMatch, Index: x})
		if err != nil {
			return result{}, op.conflict(err)
		}
		if res.Version == 1 {
			return result{http.StatusCreated, res}, nil
		}
		return result{http.StatusOK, res}, nil
	case http.MethodPatch:
		return op.applyPatch(ctx, tx)
	case http.MethodDelete:
		if op.noop {
			return result{http.StatusNoContent, nil}, nil
		}
		res, err := tx.Delete(ctx, op.typ, op.id, op.ifMatch)
		if errors.Is(err, store.ErrNotFound) && op.ifMatch == 0 {
			// Deleting what never existed succeeds: delete is idempotent.
			return result{http.StatusNoContent, nil}, nil
		}
		if err != nil {
			return result{}, op.conflict(err)
		}
		return result{http.StatusNoContent, res}, nil
	}
	return result{}, fmt.Errorf("fhirapi: unexpected write method %q", op.method)
}

// conflict turns a failed If-Match into 412 Precondition Failed.
func (op *writeOp) conflict(err error) error {
	if op.ifMatch != 0 && (errors.Is(err, store.ErrVersionConflict) || errors.Is(err, store.ErrNotFound)) {
		e := newError(http.StatusPreconditionFailed, "conflict", "", "If-Match does not match the current version")
		e.cause = err
		return e
	}
	return err
}

func methodWord(method string) string {
	switch method {
	case http.MethodPost:
		return "create"
	case http.MethodPut:
		return "update"
	case http.MethodPatch:
		return "patch"
	case http.MethodDelete:
		return "delete"
	}
	return "read"
}

// runWrite resolves and applies one op in its own store.Write.
func (a *api) runWrite(ctx context.Context, op *writeOp) (result, error) {
	var out result
	err := a.st.Write(ctx, func(tx store.Tx) error {
		if err := op.resolve(ctx, tx); err != nil {
			return err
		}
		var err error
		out, err = op.apply(ctx, tx)
		return err
	})
	if err == nil && op.typ == "SearchParameter" && out.res != nil && !out.res.Deleted && op.method != http.MethodDelete {
		a.addSearchParameter(out.res.Body)
	}
	return out, err
}

// newID returns a random (version 4) UUID, the id of a created resource.
func newID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	const hexd = "0123456789abcdef"
	out := make([]byte, 36)
	j := 0
	for i, c := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out[j] = '-'
			j++
		}
		out[j], out[j+1] = hexd[c>>4], hexd[c&0x0f]
		j += 2
	}
	return string(out)
}

// indexedOp is newResourceOp for a single write (no reference rewriting):
// the index is extracted here, in the request's goroutine.
func (a *api) indexedOp(method, typ, urlID string, body []byte) (*writeOp, error) {
	op, err := newResourceOp(a.reg, method, typ, urlID, body)
	if err != nil {
		return nil, err
	}
	if typ == "SearchParameter" {
		if err := a.checkSearchParameter(body); err != nil {
			return nil, err
		}
	}
	if _, err := op.indexed(body); err != nil {
		return nil, err
	}
	return op, nil
}
