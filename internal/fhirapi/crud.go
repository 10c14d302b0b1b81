package fhirapi

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"carerecord/internal/fhir"
	"carerecord/internal/store"
)

// read: GET /T/id.
func (a *api) read(w http.ResponseWriter, r *http.Request, typ string) error {
	id := r.PathValue("id")
	if strings.HasPrefix(id, "$") {
		return newError(http.StatusNotFound, "not-supported", "", "operation "+id+" is not supported")
	}
	res, err := a.st.Read(r.Context(), typ, id)
	if err != nil {
		return err
	}
	writeResource(w, http.StatusOK, res)
	return nil
}

// vread: GET /T/id/_history/vid.
func (a *api) vread(w http.ResponseWriter, r *http.Request, typ string) error {
	vid, err := strconv.ParseInt(r.PathValue("vid"), 10, 64)
	if err != nil || vid < 1 {
		return newError(http.StatusNotFound, "not-found", "", "version not found")
	}
	res, err := a.st.VRead(r.Context(), typ, r.PathValue("id"), vid)
	if err != nil {
		return err
	}
	if res.Deleted {
		return store.ErrGone
	}
	writeResource(w, http.StatusOK, res)
	return nil
}

// create: POST /T, conditional with If-None-Exist.
func (a *api) create(w http.ResponseWriter, r *http.Request, typ string) error {
	body, err := a.readResourceBody(w, r)
	if err != nil {
		return err
	}
	op, err := a.indexedOp(http.MethodPost, typ, "", body)
	if err != nil {
		return err
	}
	if h := r.Header.Get("If-None-Exist"); h != "" {
		if op.ifNoneExist, err = parseConditionalString(h, "If-None-Exist"); err != nil {
			return err
		}
	}
	res, err := a.runWrite(r.Context(), op)
	if err != nil {
		return err
	}
	a.respondWrite(w, r, res)
	return nil
}

// update: PUT /T/id, creating the resource when it does not exist.
func (a *api) update(w http.ResponseWriter, r *http.Request, typ string) error {
	id := r.PathValue("id")
	if !fhir.ValidID(id) {
		return newError(http.StatusBadRequest, "invalid", typ+".id", "invalid resource id in the URL")
	}
	ifMatch, err := parseETag(r.Header.Get("If-Match"), "If-Match")
	if err != nil {
		return err
	}
	body, err := a.readResourceBody(w, r)
	if err != nil {
		return err
	}
	op, err := a.indexedOp(http.MethodPut, typ, id, body)
	if err != nil {
		return err
	}
	op.ifMatch = ifMatch
	res, err := a.runWrite(r.Context(), op)
	if err != nil {
		return err
	}
	a.respondWrite(w, r, res)
	return nil
}

// delete: DELETE /T/id. Deleting a deleted or never-existing resource
// succeeds too (204): delete is idempotent, as R4 allows.
func (a *api) delete(w http.ResponseWriter, r *http.Request, typ string) error {
	ifMatch, err := parseETag(r.Header.Get("If-Match"), "If-Match")
	if err != nil {
		return err
	}
	op := &writeOp{method: http.MethodDelete, typ: typ, urlID: r.PathValue("id"), ifMatch: ifMatch}
	res, err := a.runWrite(r.Context(), op)
	if err != nil {
		return err
	}
	a.respondWrite(w, r, res)
	return nil
}

// writeResource sends a stored version as it is, with its version headers.
func writeResource(w http.ResponseWriter, status int, res *store.Resource) {
	versionHeaders(w.Header(), res)
	w.WriteHeader(status)
	w.Write(res.Body)
}

func versionHeaders(h http.Header, res *store.Resource) {
	h.Set("ETag", etag(res.Version))
	h.Set("Last-Modified", res.LastUpdated.UTC().Format(http.TimeFormat))
}

// respondWrite answers a write as the Prefer header asks: the stored
// resource (default), nothing, or an OperationOutcome.
func (a *api) respondWrite(w http.ResponseWriter, r *http.Request, out result) {
	h := w.Header()
	if out.res != nil {
		versionHeaders(h, out.res)
		loc := a.versionURL(out.res.Type, out.res.ID, out.res.Version)
		switch {
		case out.status == http.StatusCreated:
			h.Set("Location", loc)
		case !out.res.Deleted:
			h.Set("Content-Location", loc)
		}
	}
	status := out.status
	switch parsePrefer(r.Header).ret {
	case "OperationOutcome":
		if status == http.StatusNoContent {
			status = http.StatusOK
		}
		w.WriteHeader(status)
		w.Write(fhir.Outcome(fhir.Issue{Severity: "information", Code: "informational",
			Diagnostics: outcomeText(r.Method, out)}))
	case "representation":
		if out.res != nil && out.res.Body != nil && status != http.StatusNoContent {
			w.WriteHeader(status)
			w.Write(out.res.Body)
			return
		}
		fallthrough
	default:
		w.WriteHeader(status)
	}
}

func outcomeText(method string, out result) string {
	switch {
	case out.status == http.StatusCreated:
		return "created"
	case method == http.MethodDelete && out.res == nil:
		return "nothing to delete"
	case method == http.MethodDelete:
		return "deleted"
	case method == http.MethodPost:
		return "a matching resource already exists; nothing created"
	}
	return "updated"
}

// resourceURL is the absolute URL of a resource; versionURL of one version.
func (a *api) resourceURL(typ, id string) string { return a.base + "/" + typ + "/" + id }

func (a *api) versionURL(typ, id string, version int64) string {
	return a.resourceURL(typ, id) + "/_history/" + strconv.FormatInt(version, 10)
}

// instant formats a time as a FHIR instant with millisecond precision.
func instant(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z07:00") }
