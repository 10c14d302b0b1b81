package fhirapi

import (
	"net/http"
)

// conditionalUpdate: PUT /T?criteria. No match creates (with the body's id
// if it has one), one match is updated, several are 412.
func (a *api) conditionalUpdate(w http.ResponseWriter, r *http.Request, typ string) error {
	if r.URL.RawQuery == "" {
		return newError(http.StatusBadRequest, "required", "",
			"an update needs an id in the URL or search criteria")
	}
	crit, err := parseConditional(r.URL.Query(), "conditional update")
	if err != nil {
		return err
	}
	ifMatch, err := parseETag(r.Header.Get("If-Match"), "If-Match")
	if err != nil {
		return err
	}
	body, err := a.readResourceBody(w, r)
	if err != nil {
		return err
	}
	op, err := a.indexedOp(http.MethodPut, typ, "", body)
	if err != nil {
		return err
	}
	op.criteria, op.ifMatch = crit, ifMatch
	res, err := a.runWrite(r.Context(), op)
	if err != nil {
		return err
	}
	a.respondWrite(w, r, res)
	return nil
}

// conditionalDelete: DELETE /T?criteria. No match succeeds with nothing
// deleted, one match is deleted, several are 412 (conditionalDelete: single).
func (a *api) conditionalDelete(w http.ResponseWriter, r *http.Request, typ string) error {
	if r.URL.RawQuery == "" {
		return newError(http.StatusBadRequest, "required", "",
			"a delete needs an id in the URL or search criteria")
	}
	crit, err := parseConditional(r.URL.Query(), "conditional delete")
	if err != nil {
		return err
	}
	ifMatch, err := parseETag(r.Header.Get("If-Match"), "If-Match")
	if err != nil {
		return err
	}
	op := &writeOp{method: http.MethodDelete, typ: typ, criteria: crit, ifMatch: ifMatch}
	res, err := a.runWrite(r.Context(), op)
	if err != nil {
		return err
	}
	a.respondWrite(w, r, res)
	return nil
}
