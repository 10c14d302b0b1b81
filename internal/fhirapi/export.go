package fhirapi

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"carerecord/internal/fhir"
	"carerecord/internal/search"
)

// FHIR Bulk Data $export (https://hl7.org/fhir/uv/bulkdata/export.html):
//
//	GET [base]/$export              every current resource
//	GET [base]/Patient/$export      every Patient, and the resources in the compartment of one that exists
//	GET [base]/Group/[id]/$export   the Group's active Patient members and the resources in their compartments
//
// Resources that are never in a Patient compartment (Practitioner,
// Organization, Medication...) are only in system-level exports.
//
// A kick-off needs Prefer: respond-async and answers 202 with the status
// URL in Content-Location. The job runs in its own goroutine
// (exportwrite.go) and writes one or more NDJSON files per type in a
// folder of its own; polling the status URL answers 202 with X-Progress
// while it runs and 200 with the manifest when it is done. DELETE on the
// status URL cancels the job and removes its files. Finished jobs and their
// files are removed after ExportConfig.Retention.
//
// The status URL and the file URLs carry the job id as a query parameter
// (/$export-poll-status?_jobId=..., /$export-file?_jobId=...&file=...):
// a path segment would collide in the mux with /{type}/_history and
// /{type}/{id}/_history. Every access to a job goes through
// authorizeExport. These are the only responses of the package that are
// not FHIR JSON: the manifest is application/json and the files are
// application/fhir+ndjson.

const (
	exportStatusPath = "/$export-poll-status"
	exportFilePath   = "/$export-file"

	exportPageSize    = 1000 // resources per store read
	maxRunningExports = 4    // kick-offs beyond this get 429

	exportJobIDLen            = 26 // rand.Text
	defaultExportRetention    = time.Hour
	defaultExportMaxFileBytes = 256 << 20
)

// ExportConfig configures the bulk $export of one API.
type ExportConfig struct {
	// Dir holds one folder per job (default: carerecord-export under
	// os.TempDir()). Folders older than Retention that no job of this
	// process owns (left by a process that stopped) are removed.
	Dir string
	// Retention is how long a finished job's manifest and files are kept
	// (default one hour).
	Retention time.Duration
	// MaxFileBytes starts a further file for a type once one has reached
	// this size (default 256 MiB).
	MaxFileBytes int64
}

func (c ExportConfig) withDefaults() ExportConfig {
	if c.Dir == "" {
		c.Dir = filepath.Join(os.TempDir(), "carerecord-export")
	}
	if c.Retention <= 0 {
		c.Retention = defaultExportRetention
	}
	if c.MaxFileBytes <= 0 {
		c.MaxFileBytes = defaultExportMaxFileBytes
	}
	return c
}

// ConfigureExport sets the export configuration of h, a handler New
// returned. Jobs already started keep the folder they were started in.
func ConfigureExport(h http.Handler, c ExportConfig) error {
	a, ok := h.(*api)
	if !ok {
		return errors.New("fhirapi: ConfigureExport needs a handler returned by New")
	}
	// The exporter is reached through its status route (until Options
	// carries the configuration, when New can hand it over directly).
	route, _ := a.mux.Handler(&http.Request{Method: http.MethodGet, URL: &url.URL{Path: exportStatusPath}})
	rt, ok := route.(exportRoute)
	if !ok {
		return errors.New("fhirapi: export routes are not registered")
	}
	rt.ex.mu.Lock()
	rt.ex.cfg = c.withDefaults()
	rt.ex.mu.Unlock()
	return nil
}

// authorizeExport decides whether the request may start, poll, cancel or
// read the files of job. Today it allows everything; the access issue
// implements it (the job's requester against the request's identity, and
// the scopes the job's types need).
func (a *api) authorizeExport(r *http.Request, job *exportJob) error {
	return nil
}

type exportLevel int

const (
	exportSystem exportLevel = iota
	exportPatient
	exportGroup
)

// exporter holds an API's export jobs.
type exporter struct {
	a    *api
	mu   sync.Mutex
	cfg  ExportConfig
	jobs map[string]*exportJob
}

func newExporter(a *api) *exporter {
	return &exporter{a: a, cfg: ExportConfig{}.withDefaults(), jobs: map[string]*exportJob{}}
}

// exportRoute is one export endpoint. It is a named type (not a closure)
// so that ConfigureExport can find the exporter through the mux.
type exportRoute struct {
	ex *exporter
	fn handlerFunc
}

func (ex *exporter) handle(pattern string, fn handlerFunc) {
	ex.a.mux.Handle(pattern, exportRoute{ex, fn})
}

func (rt exportRoute) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if rw, ok := w.(*responseWriter); ok {
		rw.routed = true
	}
	if err := rt.fn(w, r); err != nil {
		rt.ex.a.writeError(w, r, err)
	}
}

type exportState int

const (
	exportRunning exportState = iota
	exportComplete
	exportFailed
)

// exportJob is one export: what it writes, fixed at kick-off, and how far
// it has got.
type exportJob struct {
	id       string
	dir      string
	request  string      // the kick-off URL
	level    exportLevel // system, patient or group
	group    string      // the Group's id (group level)
	members  []string    // the Group's Patient ids, sorted, each once
	types    []string    // in the order written
	since    time.Time   // _since (zero: all)
	filters  map[string][]url.Values
	txTime   time.Time // transactionTime: later changes are not written
	maxBytes int64
	cancel   context.CancelFunc
	done     chan struct{} // closed when the job's goroutine ends

	mu       sync.Mutex
	progress exportProgress
	timer    *time.Timer // removes the job after retention
}

// exportProgress is how far a job has got.
type exportProgress struct {
	state   exportState
	current int   // index in types of the type being written
	written int64 // resources written so far
	files   []exportFile
	errorID string // failed: the id under which the cause was logged
	expires time.Time
}

// exportFile is one NDJSON file of a job.
type exportFile struct {
	typ, name string
	count     int64
}

// exportParams are the kick-off parameters this server understands.
var exportParams = map[string]bool{"_outputFormat": true, "_type": true, "_since": true, "_typeFilter": true, "_format": true}

// kickOff starts an export at level.
func (ex *exporter) kickOff(level exportLevel) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		async, lenient := exportPrefer(r.Header)
		if !async {
			return newError(http.StatusBadRequest, "invalid", "", "$export needs the header Prefer: respond-async")
		}
		job, err := ex.a.parseExport(r, level, lenient)
		if err != nil {
			return err
		}
		if err := ex.a.authorizeExport(r, job); err != nil {
			return err
		}
		if err := ex.start(job); err != nil {
			return err
		}
		w.Header().Set("Content-Location", ex.a.base+exportStatusPath+"?_jobId="+job.id)
		w.WriteHeader(http.StatusAccepted)
		w.Write(fhir.Outcome(fhir.Issue{Severity: "information", Code: "informational",
			Diagnostics: "export started; poll the Content-Location URL for its status"}))
		return nil
	}
}

// exportPrefer reads respond-async and handling=lenient from Prefer. The
// bulk export refuses parameters it does not support unless lenient.
func exportPrefer(h http.Header) (async, lenient bool) {
	for _, line := range h.Values("Prefer") {
		for _, part := range strings.FieldsFunc(line, func(r rune) bool { return r == ',' || r == ';' }) {
			k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
			switch strings.ToLower(strings.TrimSpace(k)) {
			case "respond-async":
				async = true
			case "handling":
				lenient = strings.EqualFold(strings.Trim(strings.TrimSpace(v), `"`), "lenient")
			}
		}
	}
	return async, lenient
}

// parseExport reads a kick-off request into a job (not yet started).
func (a *api) parseExport(r *http.Request, level exportLevel, lenient bool) (*exportJob, error) {
	q := r.URL.Query()
	if err := checkParams(q, exportParams, !lenient); err != nil {
		return nil, err
	}
	// An unencoded "+" arrives as a space.
	switch strings.ToLower(strings.ReplaceAll(q.Get("_outputFormat"), " ", "+")) {
	case "", "application/fhir+ndjson", "application/ndjson", "ndjson":
	default:
		return nil, newError(http.StatusBadRequest, "not-supported", "",
			"_outputFormat must be application/fhir+ndjson, application/ndjson or ndjson")
	}
	job := &exportJob{request: a.selfURL(r), level: level, filters: map[string][]url.Values{}}
	var err error
	if job.since, err = parseSince(q.Get("_since")); err != nil {
		return nil, err
	}
	if job.types, err = exportTypes(q["_type"], level, lenient); err != nil {
		return nil, err
	}
	for _, v := range q["_typeFilter"] {
		for _, f := range splitTypeFilters(v) {
			if err := a.addTypeFilter(job, f); err != nil {
				return nil, err
			}
		}
	}
	if level == exportGroup {
		job.group = r.PathValue("id")
		if job.members, err = a.groupMembers(r.Context(), job.group); err != nil {
			return nil, err
		}
	}
	return job, nil
}

// exportTypes is the types a job writes: those of _type, or every type the
// level covers.
func exportTypes(values []string, level exportLevel, lenient bool) ([]string, error) {
	all := fhir.ResourceTypes()
	if level != exportSystem {
		all = compartmentTypes()
	}
	asked, err := parseTypes(values)
	if err != nil || asked == nil {
		return all, err
	}
	var out []string
	for _, t := range asked {
		switch {
		case slices.Contains(all, t):
			out = append(out, t)
		case !lenient:
			return nil, newError(http.StatusBadRequest, "invalid", "",
				fmt.Sprintf("_type: %s is never in a Patient compartment, so a Patient or Group export has none", t))
		}
	}
	return out, nil
}

// typeFilterStart finds where the next query of a comma-separated
// _typeFilter list starts: a comma followed by "Type?". Commas inside a
// query (code=a,b) are values.
var typeFilterStart = regexp.MustCompile(`,[A-Z][A-Za-z]+\?`)

func splitTypeFilters(v string) []string {
	var out []string
	for {
		loc := typeFilterStart.FindStringIndex(v)
		if loc == nil {
			return append(out, v)
		}
		out = append(out, v[:loc[0]])
		v = v[loc[0]+1:]
	}
}

// addTypeFilter reads one _typeFilter query, Type?params. Several for one
// type select the resources any of them matches.
func (a *api) addTypeFilter(job *exportJob, f string) error {
	if !strings.Contains(f, "?") && strings.Contains(f, "%3F") { // encoded once more than needed
		if u, err := url.QueryUnescape(f); err == nil {
			f = u
		}
	}
	typ, query, ok := strings.Cut(f, "?")
	bad := func(reason string) error {
		return newError(http.StatusBadRequest, "invalid", "", "_typeFilter "+strconv.Quote(f)+": "+reason)
	}
	if !ok || !fhir.IsResourceType(typ) {
		return bad("not a search such as Observation?category=vital-signs")
	}
	if !slices.Contains(job.types, typ) {
		return bad("this export does not include " + typ)
	}
	vals, err := url.ParseQuery(query)
	if err != nil {
		return bad("not a query string")
	}
	sq, _, err := search.Parse(a.reg, typ, vals, true)
	if err != nil {
		return bad(err.Error())
	}
	if len(sq.And) == 0 || sq.Count >= 0 || sq.Cursor != "" || sq.Offset > 0 || len(sq.Sort) > 0 ||
		len(sq.Include) > 0 || len(sq.RevInclude) > 0 || sq.Summary != "" || len(sq.Elements) > 0 || sq.Total != "" {
		return bad("only search criteria are allowed (no _count, _sort, _include, _summary, _elements...)")
	}
	job.filters[typ] = append(job.filters[typ], vals)
	return nil
}

// groupMembers reads the ids of the Patients a Group has as active members.
func (a *api) groupMembers(ctx context.Context, id string) ([]string, error) {
	res, err := a.st.Read(ctx, "Group", id)
	if err != nil {
		return nil, err // 404 or 410
	}
	var g struct {
		Member []struct {
			Entity struct {
				Reference string `json:"reference"`
			} `json:"entity"`
			Inactive bool `json:"inactive"`
		} `json:"member"`
	}
	if err := json.Unmarshal(res.Body, &g); err != nil {
		return nil, fmt.Errorf("read Group/%s members: %w", id, err)
	}
	var ids []string
	for _, m := range g.Member {
		ref := strings.TrimPrefix(m.Entity.Reference, a.base+"/")
		if typ, pid, _, _ := search.ParseReference(ref); typ == "Patient" && pid != "" && !m.Inactive {
			ids = append(ids, pid)
		}
	}
	slices.Sort(ids)
	return slices.Compact(ids), nil
}

// start registers job and runs it in a goroutine of its own.
func (ex *exporter) start(job *exportJob) error {
	ex.mu.Lock()
	defer ex.mu.Unlock()
	running := 0
	for _, j := range ex.jobs {
		if j.snapshot().state == exportRunning {
			running++
		}
	}
	if running >= maxRunningExports {
		return newError(http.StatusTooManyRequests, "throttled", "",
			"too many exports are running; try again later")
	}
	job.id = rand.Text()
	job.dir = filepath.Join(ex.cfg.Dir, job.id)
	job.maxBytes = ex.cfg.MaxFileBytes
	if err := os.MkdirAll(job.dir, 0o700); err != nil {
		return fmt.Errorf("export folder: %w", err)
	}
	job.txTime = time.Now().UTC().Truncate(time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	job.cancel, job.done = cancel, make(chan struct{})
	ex.jobs[job.id] = job
	retention := ex.cfg.Retention
	go func() {
		defer close(job.done)
		ex.sweep()
		err := ex.run(ctx, job)
		job.finish(err, retention, func() { ex.remove(job.id) })
		if err != nil && ctx.Err() == nil {
			ex.a.log.Error("fhirapi: export failed", "job", job.id, "error_id", job.snapshot().errorID, "err", err)
		}
	}()
	return nil
}

// snapshot copies the job's progress.
func (job *exportJob) snapshot() exportProgress {
	job.mu.Lock()
	defer job.mu.Unlock()
	p := job.progress
	p.files = slices.Clone(p.files)
	return p
}

// describe is the X-Progress text of a running job.
func (job *exportJob) describe(p exportProgress) string {
	if p.current >= len(job.types) {
		return fmt.Sprintf("%d resources written", p.written)
	}
	return fmt.Sprintf("%d resources written; type %d of %d (%s)",
		p.written, p.current+1, len(job.types), job.types[p.current])
}

// finish records how the job ended and schedules its removal.
func (job *exportJob) finish(err error, retention time.Duration, remove func()) {
	job.mu.Lock()
	defer job.mu.Unlock()
	job.progress.state = exportComplete
	if err != nil {
		job.progress.state, job.progress.errorID = exportFailed, newErrorID()
	}
	job.progress.expires = time.Now().Add(retention)
	job.timer = time.AfterFunc(retention, remove)
}

// remove forgets a job and deletes its files.
func (ex *exporter) remove(id string) {
	ex.mu.Lock()
	job := ex.jobs[id]
	delete(ex.jobs, id)
	ex.mu.Unlock()
	if job == nil {
		return
	}
	job.mu.Lock()
	if job.timer != nil {
		job.timer.Stop()
	}
	job.mu.Unlock()
	if err := os.RemoveAll(job.dir); err != nil {
		ex.a.log.Error("fhirapi: remove export files", "job", id, "err", err)
	}
}

// sweep removes job folders that no job here owns and that have not
// changed for longer than the retention: left by a process that stopped.
func (ex *exporter) sweep() {
	ex.mu.Lock()
	dir, retention := ex.cfg.Dir, ex.cfg.Retention
	owned := map[string]bool{}
	for id := range ex.jobs {
		owned[id] = true
	}
	ex.mu.Unlock()
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !e.IsDir() || owned[e.Name()] || len(e.Name()) != exportJobIDLen {
			continue
		}
		if info, err := e.Info(); err == nil && time.Since(info.ModTime()) > retention {
			os.RemoveAll(filepath.Join(dir, e.Name()))
		}
	}
}

// job finds the job the request names in _jobId and checks access to it.
func (ex *exporter) job(r *http.Request) (*exportJob, error) {
	id := r.URL.Query().Get("_jobId")
	ex.mu.Lock()
	job := ex.jobs[id]
	ex.mu.Unlock()
	if job == nil {
		return nil, newError(http.StatusNotFound, "not-found", "", "no export job with this id (it may have expired or been cancelled)")
	}
	if err := ex.a.authorizeExport(r, job); err != nil {
		return nil, err
	}
	return job, nil
}

// status: GET /$export-poll-status?_jobId=id.
func (ex *exporter) status(w http.ResponseWriter, r *http.Request) error {
	job, err := ex.job(r)
	if err != nil {
		return err
	}
	snap := job.snapshot()
	switch snap.state {
	case exportFailed:
		return &apiError{status: http.StatusInternalServerError, issues: internalIssue(snap.errorID)}
	case exportRunning:
		progress := job.describe(snap)
		w.Header().Set("X-Progress", progress)
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusAccepted)
		w.Write(fhir.Outcome(fhir.Issue{Severity: "information", Code: "informational", Diagnostics: progress}))
		return nil
	}
	type output struct {
		Type  string `json:"type"`
		URL   string `json:"url"`
		Count int64  `json:"count"`
	}
	m := struct {
		TransactionTime     string   `json:"transactionTime"`
		Request             string   `json:"request"`
		RequiresAccessToken bool     `json:"requiresAccessToken"`
		Output              []output `json:"output"`
		Error               []output `json:"error"`
	}{instant(job.txTime), job.request, false, []output{}, []output{}}
	for _, f := range snap.files {
		u := ex.a.base + exportFilePath + "?" + url.Values{"_jobId": {job.id}, "file": {f.name}}.Encode()
		m.Output = append(m.Output, output{f.typ, u, f.count})
	}
	body, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("export manifest: %w", err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Expires", snap.expires.UTC().Format(http.TimeFormat))
	w.WriteHeader(http.StatusOK)
	w.Write(body)
	return nil
}

// cancel: DELETE /$export-poll-status?_jobId=id stops the job (if it is
// still running), then removes it and its files.
func (ex *exporter) cancel(w http.ResponseWriter, r *http.Request) error {
	job, err := ex.job(r)
	if err != nil {
		return err
	}
	job.cancel()
	<-job.done
	ex.remove(job.id)
	w.WriteHeader(http.StatusAccepted)
	w.Write(fhir.Outcome(fhir.Issue{Severity: "information", Code: "informational",
		Diagnostics: "export cancelled and its files removed"}))
	return nil
}

// file: GET /$export-file?_jobId=id&file=name, one NDJSON output file.
func (ex *exporter) file(w http.ResponseWriter, r *http.Request) error {
	job, err := ex.job(r)
	if err != nil {
		return err
	}
	snap := job.snapshot()
	name := r.URL.Query().Get("file")
	i := slices.IndexFunc(snap.files, func(f exportFile) bool { return f.name == name })
	if snap.state != exportComplete || i < 0 {
		return newError(http.StatusNotFound, "not-found", "", "this export has no such file")
	}
	f, err := os.Open(filepath.Join(job.dir, snap.files[i].name))
	if errors.Is(err, os.ErrNotExist) {
		return newError(http.StatusNotFound, "not-found", "", "this export's files have been removed")
	}
	if err != nil {
		return fmt.Errorf("export file: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return fmt.Errorf("export file: %w", err)
	}
	w.Header().Set("Content-Type", "application/fhir+ndjson")
	http.ServeContent(w, r, "", info.ModTime(), f)
	return nil
}
