// Package fhirapi owns carerecord's FHIR R4 REST surface: read, vread,
// create, update, patch, delete, their conditional forms, history,
// transaction and batch Bundles, a minimal type-level search and the
// CapabilityStatement, all as application/fhir+json.
//
// Contract: New returns an http.Handler that serves paths relative to the
// FHIR base (it is mounted with http.StripPrefix, so it sees /Patient/123);
// absolute URLs in responses are built from Options.BaseURL. Every response,
// errors included, is FHIR JSON with Content-Type application/fhir+json;
// every error is an OperationOutcome chosen in one place (errors.go). Stored
// resource bodies are written out byte for byte, never re-marshalled.
//
// The package reaches data only through store.Store, and FHIR rules only
// through package fhir. It is layer 5: only server-level packages (server,
// fhirimport) import it; it never imports web.
package fhirapi

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"carerecord/internal/fhir"
	"carerecord/internal/search"
	"carerecord/internal/store"
)

// DefaultMaxBodyBytes is the request body limit when Options leaves it zero.
const DefaultMaxBodyBytes = 16 << 20

const contentTypeFHIR = "application/fhir+json; charset=utf-8"

// Options configure the API.
type Options struct {
	// BaseURL is the absolute URL of the FHIR base, without a trailing
	// slash, e.g. http://127.0.0.1:8080/fhir.
	BaseURL string
	// MaxBodyBytes limits request bodies (default DefaultMaxBodyBytes).
	MaxBodyBytes int64
	// Logger receives internal errors and recovered panics (default slog.Default()).
	Logger *slog.Logger
	// Version is the software version the CapabilityStatement reports.
	Version string
	// Registry holds the search parameters: those written to the index and
	// those searches may use (default: the R4 parameters).
	Registry *search.Registry
}

// api is the handler New returns.
type api struct {
	st         store.Store
	base       string
	maxBody    int64
	log        *slog.Logger
	capability []byte
	reg        *search.Registry
	mux        *http.ServeMux
}

// New returns the FHIR API over st.
func New(st store.Store, opts Options) http.Handler {
	a := &api{
		st:      st,
		base:    strings.TrimSuffix(opts.BaseURL, "/"),
		maxBody: opts.MaxBodyBytes,
		log:     opts.Logger,
		mux:     http.NewServeMux(),
	}
	if a.maxBody <= 0 {
		a.maxBody = DefaultMaxBodyBytes
	}
	if a.log == nil {
		a.log = slog.Default()
	}
	if a.reg = opts.Registry; a.reg == nil {
		a.reg = search.NewRegistry(search.FHIRPath)
	}
	a.capability = capabilityStatement(a.base, opts.Version, time.Now(), a.reg)
	a.routes()
	return a
}

// handlerFunc is an API handler: it writes a success response or returns an
// error, which writeError turns into an OperationOutcome.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// typedFunc is a handler for a path that starts with a resource type.
type typedFunc func(w http.ResponseWriter, r *http.Request, typ string) error

func (a *api) routes() {
	a.handle("GET /metadata", a.metadata)
	a.handle("POST /{$}", a.bundle)
	a.handle("GET /_history", a.systemHistory)
	a.handle("GET /{$}", a.systemSearch)
	a.handle("POST /_search", a.systemSearch)
	a.typed("POST /{type}/_search", a.searchPost)

	a.typed("GET /{type}", a.search)
	a.typed("POST /{type}", a.create)
	a.typed("PUT /{type}", a.conditionalUpdate)
	a.typed("DELETE /{type}", a.conditionalDelete)
	a.typed("GET /{type}/_history", a.typeHistory)

	a.typed("GET /{type}/{id}", a.read)
	a.typed("PUT /{type}/{id}", a.update)
	a.typed("PATCH /{type}/{id}", a.patch)
	a.typed("DELETE /{type}/{id}", a.delete)
	a.typed("GET /{type}/{id}/_history", a.instanceHistory)
	a.typed("GET /{type}/{id}/_history/{vid}", a.vread)

	a.typed("POST /{type}/$validate", a.validate)
	a.typed("GET /{type}/$validate", a.validate) // 405: a type is validated by POST
	a.typed("POST /{type}/{id}/$validate", a.validate)
	a.typed("GET /{type}/{id}/$validate", a.validate)
	a.operationRoutes()
}

func (a *api) handle(pattern string, fn handlerFunc) {
	a.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		if rw, ok := w.(*responseWriter); ok {
			rw.routed = true
		}
		if err := fn(w, r); err != nil {
			a.writeError(w, r, err)
		}
	})
}

func (a *api) typed(pattern string, fn typedFunc) {
	a.handle(pattern, func(w http.ResponseWriter, r *http.Request) error {
		typ := r.PathValue("type")
		if !fhir.IsResourceType(typ) {
			if typ == "metadata" || typ == "_history" { // GET-only system paths
				w.Header().Set("Allow", "GET, HEAD")
				return errMethodNotAllowed(r.Method)
			}
			return errUnknownType()
		}
		return fn(w, r, typ)
	})
}

// ServeHTTP sets the FHIR content type, checks _format, recovers panics and
// turns the mux's own 404 and 405 answers into OperationOutcomes.
func (a *api) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rw := &responseWriter{ResponseWriter: w, api: a, req: r}
	defer a.recoverPanic(rw, r)
	rw.Header().Set("Content-Type", contentTypeFHIR)
	if r.URL.Path == "" { // the bare base under http.StripPrefix
		r2 := *r
		u := *r.URL
		u.Path, u.RawPath = "/", ""
		r2.URL = &u
		r = &r2
	}
	if err := checkFormat(r); err != nil {
		rw.routed = true
		a.writeError(rw, r, err)
		return
	}
	a.mux.ServeHTTP(rw, r)
}

// responseWriter remembers whether a response has started (so a recovered
// panic can still answer) and whether one of our handlers ran (so that the
// mux's plain-text 404 and 405 answers can be replaced).
type responseWriter struct {
	http.ResponseWriter
	api      *api
	req      *http.Request
	routed   bool // one of our handlers took the request
	started  bool // WriteHeader has been called
	swallow  bool // discard the mux's plain-text body
	override bool // writing our replacement outcome
}

func (w *responseWriter) WriteHeader(code int) {
	if w.started {
		return
	}
	if !w.routed && !w.override {
		switch {
		case code == http.StatusNotFound || code == http.StatusMethodNotAllowed:
			w.swallow, w.override = true, true
			w.Header().Del("X-Content-Type-Options")
			err := errNoRoute()
			if code == http.StatusMethodNotAllowed {
				err = errMethodNotAllowed(w.req.Method)
			}
			w.api.writeError(w, w.req, err)
			w.override = false
			return
		case code >= 300 && code < 400:
			// The mux cleaning a path ("//Patient"): point the client at
			// the clean path under the FHIR base, without the HTML body.
			if loc := w.Header().Get("Location"); strings.HasPrefix(loc, "/") {
				w.Header().Set("Location", w.api.base+loc)
			}
			w.swallow = true
		}
	}
	w.started = true
	w.ResponseWriter.WriteHeader(code)
}

func (w *responseWriter) Write(p []byte) (int, error) {
	if w.swallow && !w.override {
		return len(p), nil
	}
	if !w.started {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// recoverPanic turns a handler panic into a 500 OperationOutcome (when no
// response has started) and logs the detail under an error id.
func (a *api) recoverPanic(w *responseWriter, r *http.Request) {
	v := recover()
	if v == nil {
		return
	}
	if v == http.ErrAbortHandler {
		panic(v)
	}
	id := newErrorID()
	a.log.Error("fhirapi: panic in handler", "error_id", id, "method", r.Method, "path", r.URL.Path,
		"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
	if w.started {
		return
	}
	w.routed = true
	w.Header().Set("Content-Type", contentTypeFHIR)
	writeOutcome(w, http.StatusInternalServerError, internalIssue(id))
}
