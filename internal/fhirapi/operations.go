package fhirapi

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"carerecord/internal/fhir"
	"carerecord/internal/search"
	"carerecord/internal/store"
)

// Patient/[id]/$everything (everything.go) and the Bulk Data $export
// operations (export.go) share what is here: the Patient compartment as
// search clauses, answered by the store's Searcher.

// operationRoutes registers Patient/$everything and the Bulk Data $export
// operations.
func (a *api) operationRoutes() {
	a.handle("GET /Patient/{id}/$everything", a.everything)

	ex := newExporter(a)
	ex.handle("GET /$export", ex.kickOff(exportSystem))
	ex.handle("GET /Patient/$export", ex.kickOff(exportPatient))
	ex.handle("GET /Group/{id}/$export", ex.kickOff(exportGroup))
	ex.handle("GET "+exportStatusPath, ex.status)
	ex.handle("DELETE "+exportStatusPath, ex.cancel)
	ex.handle("GET "+exportFilePath, ex.file)
}

// compartmentTypes are the resource types that can be in a Patient's
// compartment: Patient first, then the others in name order (the order
// $everything pages through them and $export writes them).
var compartmentTypes = sync.OnceValue(func() []string {
	out := []string{"Patient"}
	for _, t := range fhir.ResourceTypes() {
		if t != "Patient" && len(search.PatientCompartment(t)) > 0 {
			out = append(out, t)
		}
	}
	return out
})

// inCompartment reports whether resources of typ can be in a Patient's
// compartment (Patient included).
func inCompartment(typ string) bool {
	return typ == "Patient" || len(search.PatientCompartment(typ)) > 0
}

// searcher is the store's search, which both operations need.
func (a *api) searcher() (store.Searcher, error) {
	s, ok := a.st.(store.Searcher)
	if !ok {
		return nil, newError(http.StatusNotImplemented, "not-supported", "", "this record store cannot search")
	}
	return s, nil
}

// clauses parses search parameters for typ, strictly, into the AND of
// clauses they make.
func (a *api) clauses(typ string, params url.Values) ([]search.Clause, error) {
	q, _, err := search.Parse(a.reg, typ, params, true)
	if err != nil {
		return nil, searchError(err)
	}
	return q.And, nil
}

// clause parses one parameter with one value into a single OR-list.
func (a *api) clause(typ, param, value string) (search.Clause, error) {
	and, err := a.clauses(typ, url.Values{param: {value}})
	if err != nil {
		return nil, err
	}
	var out search.Clause
	for _, cl := range and {
		out = append(out, cl...)
	}
	return out, nil
}

// compartmentClause is the OR-list that puts a resource of typ in the
// compartment of one of patients: for Patient, _id is one of them; for
// other types, one of the type's compartment parameters refers to one of
// them. A parameter the registry does not know is skipped.
func (a *api) compartmentClause(typ string, patients []string) (search.Clause, error) {
	if typ == "Patient" {
		return a.clause(typ, "_id", strings.Join(escapeValues(patients), ","))
	}
	refs := make([]string, len(patients))
	for i, id := range patients {
		refs[i] = "Patient/" + escapeValue(id)
	}
	list := strings.Join(refs, ",")
	var out search.Clause
	for _, p := range search.PatientCompartment(typ) {
		if prm := a.reg.Lookup(typ, p); prm == nil || !prm.TargetsType("Patient") {
			continue
		}
		cl, err := a.clause(typ, p, list)
		if err != nil {
			return nil, err
		}
		out = append(out, cl...)
	}
	return out, nil
}

// anyPatientClause is the OR-list that puts a resource of typ (not
// Patient) in the compartment of some Patient that exists: one of its
// compartment parameters refers to a current Patient.
func (a *api) anyPatientClause(typ string) (search.Clause, error) {
	var out search.Clause
	for _, p := range search.PatientCompartment(typ) {
		if prm := a.reg.Lookup(typ, p); prm == nil || !prm.TargetsType("Patient") {
			continue
		}
		cl, err := a.clause(typ, p+":Patient._id:missing", "false")
		if err != nil {
			return nil, err
		}
		out = append(out, cl...)
	}
	return out, nil
}

// sinceClause is _lastUpdated >= since. meta.lastUpdated has millisecond
// precision, so since is rounded up to a whole millisecond (as the store's
// Scan does): 10:00:00.0005 must not select a resource of 10:00:00.000.
func (a *api) sinceClause(typ string, since time.Time) (search.Clause, error) {
	if t := since.Truncate(time.Millisecond); t.Before(since) {
		since = t.Add(time.Millisecond)
	}
	return a.clause(typ, "_lastUpdated", "ge"+instant(since))
}

// parseTypes reads _type values (each a comma-separated list) into
// resource types, in the order given, each once; nil when there are none.
func parseTypes(values []string) ([]string, error) {
	var out []string
	for _, v := range values {
		for _, t := range strings.Split(v, ",") {
			t = strings.TrimSpace(t)
			if t == "" || slices.Contains(out, t) {
				continue
			}
			if !fhir.IsResourceType(t) {
				return nil, newError(http.StatusBadRequest, "invalid", "",
					fmt.Sprintf("_type: %q is not a resource type", t))
			}
			out = append(out, t)
		}
	}
	return out, nil
}

// escapeValue escapes the characters that separate search values.
func escapeValue(s string) string {
	return strings.NewReplacer(`\`, `\\`, `,`, `\,`, `$`, `\$`, `|`, `\|`).Replace(s)
}

func escapeValues(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = escapeValue(s)
	}
	return out
}
