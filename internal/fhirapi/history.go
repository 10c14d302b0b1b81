package fhirapi

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"carerecord/internal/store"
)

// Page sizes for history and search.
const (
	defaultCount = 100
	maxCount     = 500
)

// historyParams are the parameters history understands.
var historyParams = map[string]bool{"_since": true, "_count": true, "_cursor": true, "_format": true, "_pretty": true}

func (a *api) systemHistory(w http.ResponseWriter, r *http.Request) error {
	return a.history(w, r, "", "")
}

func (a *api) typeHistory(w http.ResponseWriter, r *http.Request, typ string) error {
	return a.history(w, r, typ, "")
}

func (a *api) instanceHistory(w http.ResponseWriter, r *http.Request, typ string) error {
	return a.history(w, r, typ, r.PathValue("id"))
}

// history answers _history at system, type or instance level, newest first,
// as a history Bundle. Paging uses _cursor, the change-feed position of the
// last entry on the page, so pages stay stable while new versions arrive.
func (a *api) history(w http.ResponseWriter, r *http.Request, typ, id string) error {
	ctx := r.Context()
	q := r.URL.Query()
	if err := checkParams(q, historyParams, parsePrefer(r.Header).strict); err != nil {
		return err
	}
	hq := store.HistoryQuery{Type: typ, ID: id}
	var err error
	if hq.Since, err = parseSince(q.Get("_since")); err != nil {
		return err
	}
	if hq.BeforeSeq, err = parseSeqCursor(q.Get("_cursor")); err != nil {
		return err
	}
	count, err := parseCount(q.Get("_count"))
	if err != nil {
		return err
	}
	total := -1
	if id != "" {
		cur, err := a.st.Read(ctx, typ, id)
		if err != nil && !errors.Is(err, store.ErrGone) {
			return err
		}
		if hq.Since.IsZero() && cur != nil {
			total = int(cur.Version) // every version 1..n is kept
		}
	}
	hq.Count = count + 1
	rows, err := a.st.History(ctx, hq)
	if err != nil {
		return err
	}
	more := len(rows) > count
	if more {
		rows = rows[:count]
	}
	b := bundleOut{typ: "history", total: total, links: []bundleLink{{"self", a.selfURL(r)}}}
	if more {
		b.links = append(b.links, bundleLink{"next", a.pageURL(r, strconv.FormatInt(rows[len(rows)-1].Seq, 10))})
	}
	b.entries = make([]entryOut, len(rows))
	for i := range rows {
		b.entries[i] = a.historyEntry(&rows[i])
	}
	w.WriteHeader(http.StatusOK)
	w.Write(b.marshal())
	return nil
}

// historyEntry describes one version: the request that made it (POST for a
// first version, PUT for later ones, DELETE for a deletion) and its response.
func (a *api) historyEntry(v *store.Resource) entryOut {
	e := entryOut{
		fullURL: a.resourceURL(v.Type, v.ID),
		response: &entryResponseOut{
			etag:         etag(v.Version),
			lastModified: instant(v.LastUpdated),
		},
	}
	switch {
	case v.Deleted:
		e.request = &entryRequestOut{http.MethodDelete, v.Type + "/" + v.ID}
		e.response.status = statusLine(http.StatusNoContent)
	case v.Version == 1:
		e.resource = v.Body
		e.request = &entryRequestOut{http.MethodPost, v.Type}
		e.response.status = statusLine(http.StatusCreated)
		e.response.location = versionPath(v.Type, v.ID, v.Version)
	default:
		e.resource = v.Body
		e.request = &entryRequestOut{http.MethodPut, v.Type + "/" + v.ID}
		e.response.status = statusLine(http.StatusOK)
	}
	return e
}

func statusLine(code int) string { return strconv.Itoa(code) + " " + http.StatusText(code) }

func versionPath(typ, id string, version int64) string {
	return typ + "/" + id + "/_history/" + strconv.FormatInt(version, 10)
}

// selfURL is the absolute URL of this request; pageURL the same with _cursor replaced.
func (a *api) selfURL(r *http.Request) string {
	u := a.base + r.URL.Path
	if r.URL.RawQuery != "" {
		u += "?" + r.URL.RawQuery
	}
	return u
}

func (a *api) pageURL(r *http.Request, cursor string) string {
	q := r.URL.Query()
	q.Set("_cursor", cursor)
	return a.base + r.URL.Path + "?" + q.Encode()
}

// checkParams refuses parameters outside known under Prefer: handling=strict
// and ignores them otherwise.
func checkParams(q url.Values, known map[string]bool, strict bool) error {
	if !strict {
		return nil
	}
	var unknown []string
	for k := range q {
		if !known[k] {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return errUnsupportedParams(unknown)
	}
	return nil
}

func parseSince(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	// A '+' in an offset that the client did not percent-encode arrives as a space.
	t, err := time.Parse(time.RFC3339Nano, strings.ReplaceAll(s, " ", "+"))
	if err != nil {
		return time.Time{}, newError(http.StatusBadRequest, "invalid", "",
			"_since must be an instant such as 2024-01-31T09:30:00Z")
	}
	return t, nil
}

func parseCount(s string) (int, error) {
	if s == "" {
		return defaultCount, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, newError(http.StatusBadRequest, "invalid", "", "_count must be a whole number")
	}
	return min(max(n, 1), maxCount), nil
}

func parseSeqCursor(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 1 {
		return 0, newError(http.StatusBadRequest, "invalid", "", "_cursor is not a cursor this server issued")
	}
	return n, nil
}
