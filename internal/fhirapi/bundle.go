package fhirapi

import (
	"encoding/base64"
	"encoding/json"
	"mime"
	"net/http"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	jsonpatch "github.com/evanphx/json-patch/v5"
	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"carerecord/internal/fhir"
	"carerecord/internal/search"
	"carerecord/internal/store"
)

// bundleIn is what the server reads of a POSTed transaction or batch Bundle.
type bundleIn struct {
	ResourceType string    `json:"resourceType"`
	Type         string    `json:"type"`
	Entry        []entryIn `json:"entry"`
}

type entryIn struct {
	FullURL  string         `json:"fullUrl"`
	Resource jsontext.Value `json:"resource"`
	Request  *struct {
		Method      string `json:"method"`
		URL         string `json:"url"`
		IfMatch     string `json:"ifMatch"`
		IfNoneExist string `json:"ifNoneExist"`
	} `json:"request"`
}

// txEntry is one parsed entry and, after processing, its outcome.
type txEntry struct {
	index   int
	method  string
	fullURL string
	write   *writeOp // POST, PUT, PATCH, DELETE
	get     *getOp   // GET, HEAD
	err     error    // why the entry failed (batch) or could not be parsed

	out result // a write's result
	got []byte // a GET's resource (or searchset Bundle)
	res *store.Resource
}

// getOp is a read, vread or search inside a Bundle.
type getOp struct {
	typ, id string
	vid     int64
	search  *searchRequest
}

// bundle: POST / with a transaction or batch Bundle.
func (a *api) bundle(w http.ResponseWriter, r *http.Request) error {
	body, err := a.readResourceBody(w, r)
	if err != nil {
		return err
	}
	var in bundleIn
	if err := jsonv2.Unmarshal(body, &in, bundleDecoding); err != nil {
		return newError(http.StatusBadRequest, "structure", "", "the body is not a JSON Bundle")
	}
	if in.ResourceType != "Bundle" {
		return newError(http.StatusBadRequest, "invalid", "",
			"POST to the base takes a transaction or batch Bundle")
	}
	if in.Type != "transaction" && in.Type != "batch" {
		return newError(http.StatusBadRequest, "invalid", "Bundle.type",
			"POST to the base takes a Bundle of type transaction or batch")
	}
	pref := parsePrefer(r.Header)
	entries := make([]*txEntry, len(in.Entry))
	parallel(len(entries), func(i int) {
		entries[i] = a.parseEntry(i, &in.Entry[i], pref.strict)
	})
	if in.Type == "transaction" {
		return a.transaction(w, r, entries, pref)
	}
	parallel(len(entries), func(i int) {
		if op := entries[i].write; entries[i].err == nil && op != nil && op.body != nil {
			if _, err := op.indexed(op.body); err != nil {
				entries[i].err = err
			}
		}
	})
	return a.batch(w, r, entries, pref)
}

// bundleDecoding reads a Bundle with the json v2 decoder (one pass over
// the body, where encoding/json makes two: a large Bundle's decoding was the
// biggest cost outside the store) but as leniently as encoding/json did:
// member names match whatever their case, a repeated member keeps its last
// value, and invalid UTF-8 is left for the validation of each resource.
var bundleDecoding = jsonv2.JoinOptions(
	jsonv2.MatchCaseInsensitiveNames(true),
	jsontext.AllowDuplicateNames(true),
	jsontext.AllowInvalidUTF8(true),
)

// parallel runs fn(0..n-1) on up to GOMAXPROCS goroutines: entry
// validation is the CPU-heavy part of a large Bundle.
func parallel(n int, fn func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n/16+1)
	var (
		next atomic.Int64
		wg   sync.WaitGroup
	)
	for range workers {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				fn(i)
			}
		})
	}
	wg.Wait()
}

// parseEntry reads and validates one entry. A failure is kept in the entry,
// wrapped to name it.
func (a *api) parseEntry(i int, in *entryIn, strict bool) *txEntry {
	e := &txEntry{index: i, fullURL: in.FullURL}
	if err := a.parseRequest(e, in, strict); err != nil {
		e.err = &entryError{index: i, err: err}
	}
	return e
}

func (a *api) parseRequest(e *txEntry, in *entryIn, strict bool) error {
	req := in.Request
	if req == nil || req.Method == "" || req.URL == "" {
		return newError(http.StatusBadRequest, "required", "request",
			"every entry needs request.method and request.url")
	}
	e.method = strings.ToUpper(req.Method)
	t, err := a.parseEntryURL(req.URL)
	if err != nil {
		return err
	}
	ifMatch, err := parseETag(req.IfMatch, "request.ifMatch")
	if err != nil {
		return err
	}
	switch e.method {
	case http.MethodGet, http.MethodHead:
		return a.parseGet(e, t, strict)
	case http.MethodPost, http.MethodPut:
		return parseResourceWrite(a.reg, e, t, in, ifMatch)
	case http.MethodDelete, http.MethodPatch:
		return parseDeleteOrPatch(a.reg, e, t, in, ifMatch)
	}
	return newError(http.StatusBadRequest, "not-supported", "request.method", "unsupported request.method")
}

// entryURL is a parsed request.url: Type, Type/id or Type/id/_history/vid,
// with an optional query.
type entryURL struct {
	typ, id, vid string
	query        url.Values
	hasQuery     bool
}

func (a *api) parseEntryURL(raw string) (entryURL, error) {
	bad := newError(http.StatusBadRequest, "invalid", "request.url",
		"request.url must be Type, Type/id, Type/id/_history/vid or Type?criteria")
	raw = strings.TrimPrefix(raw, a.base+"/")
	path, rawQuery, hasQuery := strings.Cut(raw, "?")
	var t entryURL
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return t, bad
	}
	t.query, t.hasQuery = q, hasQuery && rawQuery != ""
	seg := strings.Split(strings.Trim(path, "/"), "/")
	switch {
	case len(seg) == 1:
	case len(seg) == 2 && seg[1] != "":
		t.id = seg[1]
	case len(seg) == 4 && seg[2] == "_history" && seg[3] != "":
		t.id, t.vid = seg[1], seg[3]
	default:
		return t, bad
	}
	t.typ = seg[0]
	if !fhir.IsResourceType(t.typ) {
		return t, errUnknownType()
	}
	return t, nil
}

func (a *api) parseGet(e *txEntry, t entryURL, strict bool) error {
	g := &getOp{typ: t.typ, id: t.id}
	switch {
	case t.vid != "":
		v, err := strconv.ParseInt(t.vid, 10, 64)
		if err != nil || v < 1 {
			return newError(http.StatusNotFound, "not-found", "", "version not found")
		}
		g.vid = v
	case t.id == "":
		s, err := a.parseSearch(t.typ, t.query, strict)
		if err != nil {
			return err
		}
		g.search = s
	}
	e.get = g
	return nil
}

func parseResourceWrite(reg *search.Registry, e *txEntry, t entryURL, in *entryIn, ifMatch int64) error {
	if t.vid != "" || (e.method == http.MethodPost && t.id != "") {
		return newError(http.StatusBadRequest, "invalid", "request.url",
			"a POST request.url must be Type; a PUT request.url Type/id or Type?criteria")
	}
	if len(in.Resource) == 0 {
		return newError(http.StatusBadRequest, "required", "resource", "the entry needs a resource")
	}
	if e.method == http.MethodPut && t.id == "" && !t.hasQuery {
		return newError(http.StatusBadRequest, "required", "request.url", "PUT needs an id or search criteria")
	}
	if t.id != "" && !fhir.ValidID(t.id) {
		return newError(http.StatusBadRequest, "invalid", "request.url", "invalid resource id")
	}
	op, err := newResourceOp(reg, e.method, t.typ, t.id, in.Resource)
	if err != nil {
		return err
	}
	op.ifMatch = ifMatch
	switch {
	case e.method == http.MethodPost && in.Request.IfNoneExist != "":
		op.ifNoneExist, err = parseConditionalString(in.Request.IfNoneExist, "ifNoneExist")
	case e.method == http.MethodPut && t.id == "":
		op.criteria, err = parseConditional(t.query, "conditional update")
	}
	e.write = op
	return err
}

func parseDeleteOrPatch(reg *search.Registry, e *txEntry, t entryURL, in *entryIn, ifMatch int64) error {
	if t.vid != "" || (t.id == "" && !t.hasQuery) {
		return newError(http.StatusBadRequest, "invalid", "request.url",
			"request.url must be Type/id or Type?criteria")
	}
	op := &writeOp{method: e.method, typ: t.typ, urlID: t.id, ifMatch: ifMatch, reg: reg}
	if t.id == "" {
		var err error
		if op.criteria, err = parseConditional(t.query, "conditional "+methodWord(e.method)); err != nil {
			return err
		}
	}
	if e.method == http.MethodPatch {
		p, err := binaryPatch(json.RawMessage(in.Resource))
		if err != nil {
			return err
		}
		op.patch = p
	}
	e.write = op
	return nil
}

// binaryPatch reads a Bundle PATCH entry's resource: a Binary holding a JSON
// Patch document (the R4 way to carry one in a Bundle).
func binaryPatch(raw json.RawMessage) (jsonpatch.Patch, error) {
	var bin struct {
		ResourceType string `json:"resourceType"`
		ContentType  string `json:"contentType"`
		Data         string `json:"data"`
	}
	if len(raw) == 0 || json.Unmarshal(raw, &bin) != nil || bin.ResourceType != "Binary" {
		return nil, newError(http.StatusBadRequest, "not-supported", "resource",
			"a PATCH entry needs a Binary resource holding a JSON Patch")
	}
	if mt, _, _ := mime.ParseMediaType(bin.ContentType); !strings.EqualFold(mt, mediaJSONPatch) {
		return nil, newError(http.StatusBadRequest, "not-supported", "resource.contentType",
			"a PATCH entry's Binary must have contentType application/json-patch+json")
	}
	data, err := base64.StdEncoding.DecodeString(bin.Data)
	if err != nil {
		return nil, newError(http.StatusBadRequest, "invalid", "resource.data", "Binary.data is not base64")
	}
	return decodePatch(data)
}
