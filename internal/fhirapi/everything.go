package fhirapi

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"carerecord/internal/search"
	"carerecord/internal/store"
)

// Patient/[id]/$everything (http://hl7.org/fhir/R4/patient-operation-everything.html)
// answers a searchset Bundle of:
//
//   - matches: the Patient (and the Patients that link to it), then every
//     resource in its compartment, type by type in name order and by id
//     within a type. A resource is in the compartment when one of its
//     type's compartment parameters (search.PatientCompartment) refers to
//     the Patient; each is on exactly one page.
//   - includes: the resources those matches refer to whose types are never
//     in a Patient compartment (Practitioner, PractitionerRole,
//     Organization, Location, Medication, Device, Substance...), on the
//     page of the match that refers to them, so one may repeat on later
//     pages. Resources of compartment types that a match refers to are not
//     included: they are matches when they are this Patient's, and another
//     patient's data otherwise. Binaries named by attachment URLs are not
//     followed.
//
// Parameters: start and end (the clinical date range, tested with the
// type's "date" search parameter; a resource without a date is kept, and
// types without a date parameter are not filtered), _since (meta.lastUpdated,
// matches only: includes are context for the page's matches), _type (the
// types of matches and includes to return; naming only non-compartment
// types returns nothing, as they come only with the matches that refer to
// them), _count (page size, default 100, at most 500) and _total (accurate
// or estimate count on every page; otherwise total is given only when the
// first page holds everything).
//
// Paging never drops a resource: _cursor names the type the next page
// starts in and the store's own keyset cursor within it, so pages stay
// right while resources are added and removed.

// everythingParams are the parameters $everything understands.
var everythingParams = map[string]bool{
	"start": true, "end": true, "_since": true, "_type": true, "_count": true,
	"_cursor": true, "_total": true, "_format": true, "_pretty": true,
}

// everythingRequest is a parsed $everything.
type everythingRequest struct {
	patient    string
	types      []string        // compartment types to search, in page order
	only       map[string]bool // _type: the types to return (nil: any)
	includes   bool            // some type to return is never in a compartment
	start, end string          // the clinical date range, as given
	since      time.Time       // _since (zero: none)
	count      int
	countAll   bool // _total=accurate or estimate
	cursor     everythingCursor
}

// everythingCursor is a paging position: the type a page starts in and
// the store's cursor within that type ("" for its first match).
type everythingCursor struct{ typ, store string }

func (c everythingCursor) String() string { return c.typ + "." + c.store }

// everythingPage is one page of matches and their includes.
type everythingPage struct {
	matches, included []store.Resource
	seen              map[string]bool // included, by Type/id
	next              everythingCursor
}

// everything: GET /Patient/{id}/$everything.
func (a *api) everything(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	srch, err := a.searcher()
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	if _, err := a.st.Read(ctx, "Patient", id); err != nil {
		return err // 404 or 410
	}
	req, err := a.parseEverything(r.URL.Query(), id, parsePrefer(r.Header).strict)
	if err != nil {
		return err
	}
	pg, err := a.everythingPage(ctx, srch, req)
	if err != nil {
		return err
	}
	b := bundleOut{typ: "searchset", total: -1, links: []bundleLink{{"self", a.selfURL(r)}}}
	switch {
	case pg.next != everythingCursor{}:
		b.links = append(b.links, bundleLink{"next", a.pageURL(r, pg.next.String())})
		if req.countAll {
			if b.total, err = a.everythingTotal(ctx, srch, req); err != nil {
				return err
			}
		}
	case req.cursor == everythingCursor{}:
		b.total = len(pg.matches) // the first page holds everything
	case req.countAll:
		if b.total, err = a.everythingTotal(ctx, srch, req); err != nil {
			return err
		}
	}
	b.entries = make([]entryOut, 0, len(pg.matches)+len(pg.included))
	for _, res := range pg.matches {
		b.entries = append(b.entries, entryOut{fullURL: a.resourceURL(res.Type, res.ID), resource: res.Body, search: "match"})
	}
	for _, res := range pg.included {
		b.entries = append(b.entries, entryOut{fullURL: a.resourceURL(res.Type, res.ID), resource: res.Body, search: "include"})
	}
	w.WriteHeader(http.StatusOK)
	w.Write(b.marshal())
	return nil
}

func (a *api) parseEverything(q url.Values, patient string, strict bool) (*everythingRequest, error) {
	if err := checkParams(q, everythingParams, strict); err != nil {
		return nil, err
	}
	req := &everythingRequest{patient: patient, start: q.Get("start"), end: q.Get("end")}
	var err error
	if req.count, err = parseCount(q.Get("_count")); err != nil {
		return nil, err
	}
	for name, v := range map[string]string{"start": req.start, "end": req.end} {
		if v == "" {
			continue
		}
		if _, err := a.clause("Encounter", "date", "eq"+v); err != nil {
			return nil, newError(http.StatusBadRequest, "invalid", "", name+" must be a date such as 2024-01-31")
		}
	}
	if req.since, err = parseSince(q.Get("_since")); err != nil {
		return nil, err
	}
	switch q.Get("_total") {
	case "", string(search.TotalNone):
	case string(search.TotalAccurate), string(search.TotalEstimate):
		req.countAll = true
	default:
		return nil, newError(http.StatusBadRequest, "invalid", "", "_total must be none, estimate or accurate")
	}
	only, err := parseTypes(q["_type"])
	if err != nil {
		return nil, err
	}
	req.includes = only == nil
	if only != nil {
		req.only = map[string]bool{}
		for _, t := range only {
			req.only[t] = true
			req.includes = req.includes || !inCompartment(t)
		}
	}
	for _, t := range compartmentTypes() {
		if req.only == nil || req.only[t] {
			req.types = append(req.types, t)
		}
	}
	if c := q.Get("_cursor"); c != "" {
		typ, rest, ok := strings.Cut(c, ".")
		if !ok || !slices.Contains(req.types, typ) {
			return nil, newError(http.StatusBadRequest, "invalid", "", "_cursor is not a cursor this server issued")
		}
		req.cursor = everythingCursor{typ, rest}
	}
	return req, nil
}

// everythingQuery is the search for the matches of one type, or nil when
// no parameter of the type can put it in a compartment.
func (a *api) everythingQuery(req *everythingRequest, typ string) (*search.Query, error) {
	comp, err := a.compartmentClause(typ, []string{req.patient})
	if err != nil {
		return nil, err
	}
	if typ == "Patient" {
		linked, err := a.clause(typ, "link", "Patient/"+escapeValue(req.patient))
		if err != nil {
			return nil, err
		}
		comp = append(comp, linked...)
	}
	if len(comp) == 0 {
		return nil, nil
	}
	q := &search.Query{ResourceType: typ, Count: -1, And: []search.Clause{comp}}
	if p := a.reg.Lookup(typ, "date"); p != nil && p.Type == search.TypeDate && (req.start != "" || req.end != "") {
		undated, err := a.clause(typ, "date:missing", "true")
		if err != nil {
			return nil, err
		}
		for _, bound := range []string{"ge" + req.start, "le" + req.end} {
			if len(bound) == 2 {
				continue
			}
			cl, err := a.clause(typ, "date", bound)
			if err != nil {
				return nil, err
			}
			q.And = append(q.And, append(cl, undated...))
		}
	}
	if !req.since.IsZero() {
		cl, err := a.sinceClause(typ, req.since)
		if err != nil {
			return nil, err
		}
		q.And = append(q.And, cl)
	}
	return q, nil
}

// everythingPage fills one page: the types from the cursor's on, in
// order, until count matches are found.
func (a *api) everythingPage(ctx context.Context, srch store.Searcher, req *everythingRequest) (*everythingPage, error) {
	pg := &everythingPage{seen: map[string]bool{}}
	opts := store.SearchOptions{MaxCount: req.count, Registry: a.reg}
	first := max(slices.Index(req.types, req.cursor.typ), 0)
	for i := first; i < len(req.types); i++ {
		typ := req.types[i]
		q, err := a.everythingQuery(req, typ)
		if err != nil {
			return nil, err
		}
		if q == nil {
			continue
		}
		q.Count = req.count - len(pg.matches)
		if i == first {
			q.Cursor = req.cursor.store
		}
		if req.includes {
			q.Include = []search.Include{{SourceType: typ}} // every reference; addIncluded filters
		}
		res, err := srch.Search(ctx, q, opts)
		if err != nil {
			return nil, fmt.Errorf("$everything %s: %w", typ, searchError(err))
		}
		pg.matches = append(pg.matches, res.Matches...)
		pg.addIncluded(res.Included, req)
		if res.Next != "" {
			pg.next = everythingCursor{typ, res.Next}
			return pg, nil
		}
		if len(pg.matches) >= req.count {
			pg.next, err = a.everythingAhead(ctx, srch, req, i+1)
			return pg, err
		}
	}
	return pg, nil
}

// addIncluded keeps the included resources $everything returns: those of
// types never in a compartment, each once per page.
func (pg *everythingPage) addIncluded(found []store.Resource, req *everythingRequest) {
	for _, res := range found {
		key := res.Type + "/" + res.ID
		if inCompartment(res.Type) || (req.only != nil && !req.only[res.Type]) || pg.seen[key] {
			continue
		}
		pg.seen[key] = true
		pg.included = append(pg.included, res)
	}
}

// everythingAhead finds the first type from index i on that has a match,
// so that a full page links to a next page only when there is one.
func (a *api) everythingAhead(ctx context.Context, srch store.Searcher, req *everythingRequest, i int) (everythingCursor, error) {
	for ; i < len(req.types); i++ {
		q, err := a.everythingQuery(req, req.types[i])
		if err != nil {
			return everythingCursor{}, err
		}
		if q == nil {
			continue
		}
		q.Count = 1
		res, err := srch.Search(ctx, q, store.SearchOptions{Registry: a.reg})
		if err != nil {
			return everythingCursor{}, fmt.Errorf("$everything %s: %w", req.types[i], err)
		}
		if len(res.Matches) > 0 {
			return everythingCursor{typ: req.types[i]}, nil
		}
	}
	return everythingCursor{}, nil
}

// everythingTotal counts the matches on all pages: one count per type.
func (a *api) everythingTotal(ctx context.Context, srch store.Searcher, req *everythingRequest) (int, error) {
	total := 0
	for _, typ := range req.types {
		q, err := a.everythingQuery(req, typ)
		if err != nil {
			return 0, err
		}
		if q == nil {
			continue
		}
		q.Count, q.Total = 0, search.TotalAccurate
		res, err := srch.Search(ctx, q, store.SearchOptions{Registry: a.reg})
		if err != nil {
			return 0, fmt.Errorf("$everything count %s: %w", typ, err)
		}
		total += int(res.Total)
	}
	return total, nil
}
