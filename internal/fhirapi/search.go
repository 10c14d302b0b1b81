package fhirapi

import (
	"context"
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"net/url"

	"carerecord/internal/fhir"
	"carerecord/internal/search"
	"carerecord/internal/store"
)

// Search: GET [base]/T?params, POST [base]/T/_search (form body), and the
// system level GET [base]?params / POST [base]/_search. The request is
// parsed against the registry's parameters (search.Parse) and answered by
// the store in one query per page (store.Searcher). Unknown or invalid
// parameters are dropped with a warning in the Bundle's OperationOutcome
// under Prefer: handling=lenient (the default), and refused with 400 under
// handling=strict.

// Search page sizes.
const (
	searchDefaultCount = 50
	searchMaxCount     = 1000
)

// searchRequest is a parsed search.
type searchRequest struct {
	typ   string // "" at system level
	query *search.Query
	warn  []search.Warning
	path  string     // absolute URL of the search's base (…/T or the base)
	raw   url.Values // the parameters as given, for links
}

// parseSearch parses the parameters of a search of typ ("" for system).
func (a *api) parseSearch(typ string, q url.Values, strict bool) (*searchRequest, error) {
	params := url.Values{}
	for k, v := range q {
		switch k {
		case "_format", "_pretty":
			continue
		}
		params[k] = v
	}
	query, warn, err := search.Parse(a.reg, typ, params, strict)
	if err != nil {
		return nil, searchError(err)
	}
	path := a.base
	if typ != "" {
		path += "/" + typ
	}
	return &searchRequest{typ: typ, query: query, warn: warn, path: path, raw: params}, nil
}

func searchError(err error) error {
	var se *search.Error
	if errors.As(err, &se) {
		msg := se.Reason
		if se.Param != "" {
			msg = "search parameter " + se.Param + ": " + se.Reason
		}
		return newError(http.StatusBadRequest, "invalid", "", msg)
	}
	return err
}

// search: GET /T?params.
func (a *api) search(w http.ResponseWriter, r *http.Request, typ string) error {
	return a.answerSearch(w, r, typ, r.URL.Query())
}

// searchPost: POST /T/_search with parameters in the form body (and URL).
func (a *api) searchPost(w http.ResponseWriter, r *http.Request, typ string) error {
	q, err := a.formParams(w, r)
	if err != nil {
		return err
	}
	return a.answerSearch(w, r, typ, q)
}

// systemSearch: GET /?params and POST /_search.
func (a *api) systemSearch(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if r.Method == http.MethodPost {
		var err error
		if q, err = a.formParams(w, r); err != nil {
			return err
		}
	}
	return a.answerSearch(w, r, "", q)
}

// formParams merges an application/x-www-form-urlencoded body into the
// URL's parameters.
func (a *api) formParams(w http.ResponseWriter, r *http.Request) (url.Values, error) {
	q := r.URL.Query()
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if r.ContentLength == 0 && ct == "" {
		return q, nil
	}
	if ct != "application/x-www-form-urlencoded" {
		return nil, newError(http.StatusUnsupportedMediaType, "not-supported", "",
			"POST _search takes application/x-www-form-urlencoded parameters")
	}
	r.Body = http.MaxBytesReader(w, r.Body, a.maxBody)
	if err := r.ParseForm(); err != nil {
		return nil, newError(http.StatusBadRequest, "invalid", "", "the form body could not be read")
	}
	for k, v := range r.PostForm {
		q[k] = append(q[k], v...)
	}
	return q, nil
}

func (a *api) answerSearch(w http.ResponseWriter, r *http.Request, typ string, q url.Values) error {
	s, err := a.parseSearch(typ, q, parsePrefer(r.Header).strict)
	if err != nil {
		return err
	}
	body, err := a.runSearch(r.Context(), s)
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	w.Write(body)
	return nil
}

// runSearch answers s with a searchset Bundle.
func (a *api) runSearch(ctx context.Context, s *searchRequest) ([]byte, error) {
	sr, ok := a.st.(store.Searcher)
	if !ok {
		return nil, newError(http.StatusNotImplemented, "not-supported", "", "this store cannot search")
	}
	page, err := sr.Search(ctx, s.query, store.SearchOptions{
		DefaultCount: searchDefaultCount, MaxCount: searchMaxCount, Registry: a.reg,
	})
	if err != nil {
		return nil, searchError(err)
	}
	b := bundleOut{typ: "searchset", total: int(page.Total), links: []bundleLink{{"self", s.link("")}}}
	if s.query.Cursor != "" {
		b.links = append(b.links, bundleLink{"first", s.link("-")})
	}
	if page.Previous != "" {
		b.links = append(b.links, bundleLink{"previous", s.link(page.Previous)})
	}
	if page.Next != "" {
		b.links = append(b.links, bundleLink{"next", s.link(page.Next)})
	}
	for i := range page.Matches {
		m := &page.Matches[i]
		b.entries = append(b.entries, entryOut{fullURL: a.resourceURL(m.Type, m.ID), resource: shape(m.Body, s.query), search: "match"})
	}
	for i := range page.Included {
		m := &page.Included[i]
		b.entries = append(b.entries, entryOut{fullURL: a.resourceURL(m.Type, m.ID), resource: shape(m.Body, s.query), search: "include"})
	}
	var issues []fhir.Issue
	for _, w := range s.warn {
		issues = append(issues, fhir.Issue{Severity: "warning", Code: "not-supported",
			Diagnostics: "search parameter " + w.Param + " was ignored: " + w.Reason})
	}
	if page.IncludeCapped {
		issues = append(issues, fhir.Issue{Severity: "warning", Code: "too-costly",
			Diagnostics: "_include and _revinclude stopped at the server's limit of included resources for one page"})
	}
	if s.query.Summary == search.SummaryTrue {
		issues = append(issues, fhir.Issue{Severity: "information", Code: "informational",
			Diagnostics: "_summary=true returns the resource without its narrative and contained resources"})
	}
	if len(issues) > 0 {
		b.entries = append(b.entries, entryOut{resource: fhir.Outcome(issues...), search: "outcome"})
	}
	return b.marshal(), nil
}

// link is the URL of the page at cursor ("" for this one, "-" for the
// first), with the search's own parameters.
func (s *searchRequest) link(cursor string) string {
	q := url.Values{}
	for k, v := range s.raw {
		if k != "_cursor" {
			q[k] = v
		}
	}
	switch cursor {
	case "":
		if c := s.raw.Get("_cursor"); c != "" {
			q.Set("_cursor", c)
		}
	case "-":
	default:
		q.Set("_cursor", cursor)
	}
	if len(q) == 0 {
		return s.path
	}
	return s.path + "?" + q.Encode()
}

// shape applies _summary and _elements to a resource body. Bodies are
// written out untouched unless one of them asks for less.
func shape(body []byte, q *search.Query) []byte {
	if len(q.Elements) == 0 && (q.Summary == search.SummaryNone || q.Summary == search.SummaryFalse) {
		return body
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return body
	}
	keep := func(k string) bool { return true }
	switch {
	case len(q.Elements) > 0:
		want := map[string]bool{"resourceType": true, "id": true, "meta": true}
		for _, e := range q.Elements {
			want[e] = true
		}
		keep = func(k string) bool { return want[k] }
	case q.Summary == search.SummaryText:
		keep = func(k string) bool {
			return k == "resourceType" || k == "id" || k == "meta" || k == "text" || mandatoryTop(body, k)
		}
	case q.Summary == search.SummaryData:
		keep = func(k string) bool { return k != "text" }
	case q.Summary == search.SummaryTrue:
		keep = func(k string) bool { return k != "text" && k != "contained" }
	}
	for k := range m {
		if !keep(k) {
			delete(m, k)
		}
	}
	m["meta"] = subsetted(m["meta"])
	out, err := json.Marshal(m)
	if err != nil {
		return body
	}
	return out
}

// mandatoryTop reports whether a top-level element is required (min 1) in
// the resource's definition: _summary=text keeps those.
func mandatoryTop(body []byte, k string) bool {
	hdr, err := fhir.Peek(body)
	if err != nil {
		return false
	}
	return fhir.Required(hdr.ResourceType, k)
}

// subsetted adds the SUBSETTED tag to meta.
func subsetted(meta json.RawMessage) json.RawMessage {
	var m map[string]any
	if len(meta) == 0 || json.Unmarshal(meta, &m) != nil {
		m = map[string]any{}
	}
	tags, _ := m["tag"].([]any)
	tags = append(tags, map[string]any{
		"system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue", "code": "SUBSETTED",
	})
	m["tag"] = tags
	out, _ := json.Marshal(m)
	return out
}
