package fhirapi

import (
	"context"
	"errors"
	"mime"
	"net/http"
	"strings"

	jsonpatch "github.com/evanphx/json-patch/v5"

	"carerecord/internal/fhir"
	"carerecord/internal/store"
)

// patch: PATCH /T/id with a JSON Patch (RFC 6902) document. The patched
// resource is validated before it is written; If-Match is honoured.
func (a *api) patch(w http.ResponseWriter, r *http.Request, typ string) error {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if !strings.EqualFold(mt, mediaJSONPatch) {
		return newError(http.StatusUnsupportedMediaType, "not-supported", "",
			"PATCH accepts only application/json-patch+json")
	}
	ifMatch, err := parseETag(r.Header.Get("If-Match"), "If-Match")
	if err != nil {
		return err
	}
	body, err := a.readBody(w, r)
	if err != nil {
		return err
	}
	p, err := decodePatch(body)
	if err != nil {
		return err
	}
	op := &writeOp{method: http.MethodPatch, typ: typ, urlID: r.PathValue("id"), ifMatch: ifMatch, patch: p, reg: a.reg}
	res, err := a.runWrite(r.Context(), op)
	if err != nil {
		return err
	}
	a.respondWrite(w, r, res)
	return nil
}

func decodePatch(body []byte) (jsonpatch.Patch, error) {
	p, err := jsonpatch.DecodePatch(body)
	if err != nil || len(p) == 0 {
		return nil, newError(http.StatusBadRequest, "structure", "",
			"the body is not a JSON Patch document (an array of operations)")
	}
	for _, o := range p {
		switch o.Kind() {
		case "add", "remove", "replace", "move", "copy", "test":
		default:
			return nil, newError(http.StatusBadRequest, "invalid", "", "unknown JSON Patch operation")
		}
	}
	return p, nil
}

// applyPatch reads the current version in tx, patches, validates and writes it.
func (op *writeOp) applyPatch(ctx context.Context, tx store.Tx) (result, error) {
	cur, err := tx.Read(ctx, op.typ, op.id)
	if err != nil {
		return result{}, err
	}
	if op.ifMatch != 0 && cur.Version != op.ifMatch {
		return result{}, op.conflict(store.ErrVersionConflict)
	}
	opts := jsonpatch.NewApplyOptions()
	opts.AccumulatedCopySizeLimit = int64(len(cur.Body)) + 1<<20
	opts.EscapeHTML = false
	patched, err := op.patch.ApplyWithOptions(cur.Body, opts)
	if err != nil {
		return result{}, patchError(err)
	}
	hdr, err := fhir.Validate(patched)
	if err != nil {
		var fe *fhir.Error
		if errors.As(err, &fe) {
			return result{}, withStatus(http.StatusUnprocessableEntity, err)
		}
		return result{}, newError(http.StatusUnprocessableEntity, "structure", "", "the patched resource is not valid")
	}
	if hdr.ResourceType != op.typ || hdr.ID != op.id {
		return result{}, newError(http.StatusBadRequest, "invalid", op.typ+".id",
			"a patch may not change the resource type or id")
	}
	x, err := extractIndex(op.reg, op.typ, patched)
	if err != nil {
		return result{}, err
	}
	res, err := tx.Put(ctx, store.Put{Type: op.typ, ID: op.id, Body: patched,
		IfMatch: cur.Version, Index: x})
	if err != nil {
		return result{}, err
	}
	return result{http.StatusOK, res}, nil
}

// patchError maps a failed patch without echoing the library's text, which
// may quote resource values.
func patchError(err error) error {
	switch {
	case errors.Is(err, jsonpatch.ErrTestFailed):
		return newError(http.StatusUnprocessableEntity, "processing", "", "a JSON Patch test operation failed")
	case errors.Is(err, jsonpatch.ErrMissing), errors.Is(err, jsonpatch.ErrInvalidIndex):
		return newError(http.StatusUnprocessableEntity, "processing", "",
			"a JSON Patch path does not exist in the current version")
	}
	return newError(http.StatusUnprocessableEntity, "processing", "",
		"the JSON Patch could not be applied to the current version")
}
