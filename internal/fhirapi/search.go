package fhirapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"carerecord/internal/fhir"
	"carerecord/internal/store"
)

// The minimal type-level search: _id and identifier, or every current
// resource of a type, with _count and a _cursor for paging. Other parameters
// are refused under Prefer: handling=strict and ignored, with a warning in
// the Bundle, otherwise. The search issue replaces this with the full engine.

// searchRequest is a parsed search.
type searchRequest struct {
	typ    string
	crit   *criteria
	warn   []string // parameters ignored (lenient handling)
	count  int
	cursor string
	self   string                     // absolute URL of this page
	next   func(cursor string) string // absolute URL of the page after cursor
}

func parseSearch(typ string, q url.Values, strict bool) (*searchRequest, error) {
	count, err := parseCount(q.Get("_count"))
	if err != nil {
		return nil, err
	}
	s := &searchRequest{typ: typ, count: count, cursor: q.Get("_cursor")}
	crit := url.Values{}
	for k, v := range q {
		if k != "_count" && k != "_cursor" {
			crit[k] = v
		}
	}
	if s.crit, s.warn, err = parseCriteria(crit); err != nil {
		return nil, err
	}
	if strict && len(s.warn) > 0 {
		return nil, errUnsupportedParams(s.warn)
	}
	return s, nil
}

// search: GET /T?params.
func (a *api) search(w http.ResponseWriter, r *http.Request, typ string) error {
	s, err := parseSearch(typ, r.URL.Query(), parsePrefer(r.Header).strict)
	if err != nil {
		return err
	}
	s.self = a.selfURL(r)
	s.next = func(cursor string) string { return a.pageURL(r, cursor) }
	body, err := a.runSearch(r.Context(), a.st, true, s)
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	w.Write(body)
	return nil
}

// runSearch returns the searchset Bundle. Listing a whole type walks the
// type's history, so it needs the store itself (canList).
func (a *api) runSearch(ctx context.Context, look lookup, canList bool, s *searchRequest) ([]byte, error) {
	b := bundleOut{typ: "searchset", total: -1, links: []bundleLink{{"self", s.self}}}
	var (
		found []*store.Resource
		next  string
		err   error
	)
	switch {
	case !s.crit.empty():
		var ids []string
		if ids, err = s.crit.match(ctx, look, s.typ); err != nil {
			return nil, err
		}
		b.total = len(ids)
		found, next, err = readPage(ctx, look, s.typ, ids, s.cursor, s.count)
	case canList:
		found, next, err = a.listType(ctx, s.typ, s.cursor, s.count)
	default:
		err = newError(http.StatusBadRequest, "not-supported", "",
			"a search here needs criteria (identifier or _id)")
	}
	if err != nil {
		return nil, err
	}
	if next != "" && s.next != nil {
		b.links = append(b.links, bundleLink{"next", s.next(next)})
	}
	for _, res := range found {
		b.entries = append(b.entries, entryOut{fullURL: a.resourceURL(res.Type, res.ID), resource: res.Body, search: "match"})
	}
	if len(s.warn) > 0 {
		oo := fhir.Outcome(fhir.Issue{Severity: "warning", Code: "not-supported",
			Diagnostics: fmt.Sprintf("search parameter %s is not supported yet and was ignored", strings.Join(s.warn, ", "))})
		b.entries = append(b.entries, entryOut{resource: oo, search: "outcome"})
	}
	return b.marshal(), nil
}

// readPage reads the ids (sorted) after cursor, at most count of them; next
// is the cursor for the following page, "" when this is the last.
func readPage(ctx context.Context, look lookup, typ string, ids []string, cursor string, count int) ([]*store.Resource, string, error) {
	start := sort.SearchStrings(ids, cursor)
	if start < len(ids) && ids[start] == cursor {
		start++
	}
	ids = ids[start:]
	next := ""
	if len(ids) > count {
		ids = ids[:count]
		next = ids[count-1]
	}
	found := make([]*store.Resource, 0, len(ids))
	for _, id := range ids {
		res, err := look.Read(ctx, typ, id)
		if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrGone) {
			continue // deleted since the match
		}
		if err != nil {
			return nil, "", fmt.Errorf("search read: %w", err)
		}
		found = append(found, res)
	}
	return found, next, nil
}

// listType returns current resources of typ, most recently changed first,
// by walking the type's history from the cursor (a change-feed position)
// and keeping each version that is still its resource's current one.
func (a *api) listType(ctx context.Context, typ, cursor string, count int) ([]*store.Resource, string, error) {
	before, err := parseSeqCursor(cursor)
	if err != nil {
		return nil, "", err
	}
	const scan = 500
	var found []*store.Resource
	seen := map[string]bool{}
	for {
		rows, err := a.st.History(ctx, store.HistoryQuery{Type: typ, BeforeSeq: before, Count: scan})
		if err != nil {
			return nil, "", fmt.Errorf("list %s: %w", typ, err)
		}
		for i := range rows {
			v := &rows[i]
			before = v.Seq
			if seen[v.ID] {
				continue
			}
			seen[v.ID] = true
			if v.Deleted {
				continue
			}
			cur, err := a.st.Read(ctx, typ, v.ID)
			if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrGone) {
				continue
			}
			if err != nil {
				return nil, "", fmt.Errorf("list %s: %w", typ, err)
			}
			if cur.Seq != v.Seq {
				continue // not the current version: a newer one exists
			}
			found = append(found, cur)
			if len(found) == count {
				return found, strconv.FormatInt(v.Seq, 10), nil
			}
		}
		if len(rows) < scan {
			return found, "", nil
		}
	}
}
