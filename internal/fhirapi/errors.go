package fhirapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"carerecord/internal/fhir"
	"carerecord/internal/store"
)

// apiError is a client-facing failure: the HTTP status and the issues of the
// OperationOutcome to send. Its text never carries resource content.
type apiError struct {
	status int
	issues []fhir.Issue
	cause  error // underlying error, for errors.Is; never sent
}

func (e *apiError) Error() string {
	return fmt.Sprintf("HTTP %d: %s", e.status, (&fhir.Error{Issues: e.issues}).Error())
}

func (e *apiError) Unwrap() error { return e.cause }

// newError is a one-issue apiError with severity "error".
func newError(status int, code, expression, diagnostics string) *apiError {
	return &apiError{status: status, issues: fhir.Errorf(code, expression, diagnostics).Issues}
}

// withStatus gives a fhir.Error (or any error) a status other than its default.
func withStatus(status int, err error) *apiError {
	var fe *fhir.Error
	if errors.As(err, &fe) {
		return &apiError{status: status, issues: fe.Issues, cause: err}
	}
	st, issues := clientOutcome(err)
	if st == 0 {
		issues = []fhir.Issue{{Severity: "error", Code: "exception", Diagnostics: "request failed"}}
	}
	return &apiError{status: status, issues: issues, cause: err}
}

// Errors shared by several handlers.
func errUnknownType() error {
	return newError(http.StatusNotFound, "not-supported", "", "unknown or unsupported resource type")
}

func errNoRoute() error {
	return newError(http.StatusNotFound, "not-found", "", "no FHIR interaction at this path")
}

func errMethodNotAllowed(method string) error {
	return newError(http.StatusMethodNotAllowed, "not-supported", "",
		fmt.Sprintf("method %s is not allowed at this path", method))
}

func errPrecondition(diagnostics string) error {
	return newError(http.StatusPreconditionFailed, "conflict", "", diagnostics)
}

// clientOutcome maps the errors a client can cause to a status and issues.
// It returns status 0 for anything else: an internal failure.
func clientOutcome(err error) (int, []fhir.Issue) {
	var (
		ee  *entryError
		ae  *apiError
		fe  *fhir.Error
		mbe *http.MaxBytesError
	)
	issue := func(code, diag string) []fhir.Issue {
		return []fhir.Issue{{Severity: "error", Code: code, Diagnostics: diag}}
	}
	switch {
	case errors.As(err, &ee):
		status, issues := clientOutcome(ee.err)
		if status == 0 {
			return 0, nil
		}
		return status, prefixIssues(ee.index, issues)
	case errors.As(err, &ae):
		return ae.status, ae.issues
	case errors.As(err, &fe):
		return http.StatusBadRequest, fe.Issues
	case errors.As(err, &mbe):
		return http.StatusRequestEntityTooLarge, issue("too-long",
			fmt.Sprintf("request body is larger than the limit of %d bytes", mbe.Limit))
	case errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound, issue("not-found", "resource not found")
	case errors.Is(err, store.ErrGone):
		return http.StatusGone, issue("deleted", "resource has been deleted")
	case errors.Is(err, store.ErrVersionConflict):
		return http.StatusConflict, issue("conflict", "version conflict: the resource changed or already exists")
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusServiceUnavailable, issue("timeout", "request timed out")
	case errors.Is(err, context.Canceled):
		return http.StatusServiceUnavailable, issue("timeout", "request cancelled")
	case errors.Is(err, store.ErrClosed):
		return http.StatusServiceUnavailable, issue("transient", "the record store is shutting down")
	}
	return 0, nil
}

// outcomeFor is the one place an error becomes a status and issues. An
// internal failure is logged with its detail under a fresh error id; the
// client sees only the id.
func (a *api) outcomeFor(r *http.Request, err error) (int, []fhir.Issue) {
	if status, issues := clientOutcome(err); status != 0 {
		return status, issues
	}
	id := newErrorID()
	a.log.ErrorContext(r.Context(), "fhirapi: internal error", "error_id", id,
		"method", r.Method, "path", r.URL.Path, "err", err)
	return http.StatusInternalServerError, internalIssue(id)
}

func internalIssue(id string) []fhir.Issue {
	return []fhir.Issue{{Severity: "fatal", Code: "exception",
		Diagnostics: "internal server error; error id " + id}}
}

// writeError sends err as an OperationOutcome.
func (a *api) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status, issues := a.outcomeFor(r, err)
	writeOutcome(w, status, issues)
}

func writeOutcome(w http.ResponseWriter, status int, issues []fhir.Issue) {
	h := w.Header()
	h.Set("Content-Type", contentTypeFHIR)
	for _, k := range []string{"ETag", "Last-Modified", "Location", "Content-Location"} {
		h.Del(k)
	}
	w.WriteHeader(status)
	w.Write(fhir.Outcome(issues...))
}

// newErrorID returns a short random id that ties a client's error to a log line.
func newErrorID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// entryError names the bundle entry an error came from.
type entryError struct {
	index int
	err   error
}

func (e *entryError) Error() string { return fmt.Sprintf("entry %d: %v", e.index, e.err) }
func (e *entryError) Unwrap() error { return e.err }

// prefixIssues points issues at a bundle entry: diagnostics gain the entry
// number and expressions are re-rooted at Bundle.entry[i].resource.
func prefixIssues(index int, issues []fhir.Issue) []fhir.Issue {
	root := fmt.Sprintf("Bundle.entry[%d]", index)
	out := make([]fhir.Issue, len(issues))
	for i, is := range issues {
		is.Diagnostics = root + ": " + is.Diagnostics
		if len(is.Expression) > 0 {
			exprs := make([]string, len(is.Expression))
			for j, e := range is.Expression {
				exprs[j] = reroot(root, e)
			}
			is.Expression = exprs
		}
		out[i] = is
	}
	return out
}

// reroot turns "Patient.name[0]" into "Bundle.entry[3].resource.name[0]".
// Expressions about the entry itself ("request.url", "resource") are
// entry-relative; an expression already rooted at Bundle is kept.
func reroot(root, expr string) string {
	switch {
	case strings.HasPrefix(expr, "Bundle."):
		return expr
	case expr == "request" || strings.HasPrefix(expr, "request.") ||
		expr == "resource" || strings.HasPrefix(expr, "resource."):
		return root + "." + expr
	case expr != "" && isUpper(expr[0]):
		if i := strings.IndexByte(expr, '.'); i > 0 {
			return root + ".resource" + expr[i:]
		}
		return root + ".resource"
	}
	return root + ".resource." + expr
}

func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }
