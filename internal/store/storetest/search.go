package storetest

// Search conformance: FHIR R4 search (http://hl7.org/fhir/R4/search.html)
// as scripts in searchcases/*.txt, in the manner of Prometheus's
// promqltest. Each file runs against a new, empty store that implements
// store.Searcher (others skip): it loads resources, searches, and states
// the resources expected. The files are the oracle; where the
// specification leaves a choice, the file that depends on it says which
// choice it makes.
//
// A script is read line by line. Blank lines and lines starting with "#"
// are ignored; elsewhere " #" starts a comment to the end of the line
// (except inside a load's JSON).
//
//	load Type id
//	{ ...JSON... }
//	end
//	    Writes the resource (a create, or an update that replaces its index
//	    rows) in one Write, with the index search.Registry.Extract gives.
//	    The JSON may instead follow the id on the same line.
//	delete Type id
//	    Deletes the resource.
//	search Type?query
//	search ?query
//	    Parses the query (URL syntax: write "+" as %2B) strictly with
//	    search.Parse for Type, or for a system-level search without it,
//	    and runs it. ${lastUpdated:id} (or Type/id) in the query is the
//	    meta.lastUpdated the store gave that resource, as an instant.
//	next
//	prev
//	    Fetches the page after (before) the current page with its Next
//	    (Previous) cursor; the expect lines that follow check that page.
//	expect error
//	    Parse or Search fails.
//	expect [set] IDS  [include IDS]  [total N]  [first]  [last]
//	    Checks the current page, where IDS is one or more IDs or "none".
//	    Each part checks one thing, and what the line does not name is
//	    not checked: the matches in order (with "set", in any order), the
//	    included resources in any order, Page.Total, no Previous cursor
//	    ("first"), no Next cursor ("last"). "expect include p1" checks
//	    only what was included.
//	expect pages ID... | ID... | ...
//	    Follows Next from the current page: page k holds exactly group k,
//	    the last one has no Next; the first has no Previous, and the
//	    Previous of every later page leads back to the one before it.
//	expect pages set ID...
//	    Follows Next to the end: together the pages hold exactly these
//	    resources, each once, in any order, none more than _count.
//
// An ID is compared with a resource's id, or with "Type/id" when it has a
// "/": when one ID of a part has a type, every resource of that part is
// shown as Type/id.
//
// Every successful search is also checked for what the specification
// requires of any page: no more matches than _count, and no resource
// twice (an included resource that also matches is a match only).
//
// Choices this suite makes, for all files: the order of matches without
// _sort is not defined, so such searches use "set", and neither is the
// order of ties on every _sort key, so pages of ties use "pages set"; a
// resource without a value for a parameter never matches a comparison
// on it (only :missing and :not find it); SearchOptions.Now is fixed at
// searchNow for ap. A failure names the script's file and line.

import (
	"bufio"
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"carerecord/internal/search"
	"carerecord/internal/store"
)

//go:embed searchcases/*.txt
var searchCases embed.FS

// searchNow is the clock of ap on dates in every search.
var searchNow = time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)

// testSearch runs every script in searchcases against its own new store.
func testSearch(t *testing.T, newStore func(*testing.T) store.Store) {
	files, err := fs.Glob(searchCases, "searchcases/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no search cases: %v", err)
	}
	reg := search.NewRegistry(search.FHIRPath)
	for _, f := range files {
		name := path.Base(f)
		t.Run(strings.TrimSuffix(name, ".txt"), func(t *testing.T) {
			s := newStore(t)
			se, ok := s.(store.Searcher)
			if !ok {
				t.Skip("store does not implement store.Searcher")
			}
			data, err := searchCases.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			r := &searchRun{t: t, s: s, se: se, reg: reg, file: name, updated: map[string]time.Time{}}
			r.run(data)
		})
	}
}

// searchRun is the state of one script.
type searchRun struct {
	t       *testing.T
	s       store.Store
	se      store.Searcher
	reg     *search.Registry
	file    string
	updated map[string]time.Time // meta.lastUpdated by id and by Type/id
	last    time.Time            // the latest LastUpdated written

	// The current search and page. page is nil when the search failed
	// (err says why) or a next/prev could not be followed.
	query    string
	q        *search.Query
	page     *store.Page
	err      error
	reported bool // err has been reported
}

func (r *searchRun) fatalf(line int, format string, args ...any) {
	r.t.Helper()
	r.t.Fatalf("%s:%d: "+format, append([]any{r.file, line}, args...)...)
}

func (r *searchRun) errorf(line int, format string, args ...any) {
	r.t.Helper()
	r.t.Errorf("%s:%d: %s: "+format, append([]any{r.file, line, r.query}, args...)...)
}

func (r *searchRun) run(data []byte) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if verb, rest, _ := strings.Cut(line, " "); verb == "load" {
			r.load(n, rest, sc, &n)
			continue
		}
		if i := strings.Index(line, " #"); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		verb, rest, _ := strings.Cut(line, " ")
		rest = strings.TrimSpace(rest)
		switch verb {
		case "delete":
			r.delete(n, rest)
		case "search":
			r.search(n, rest)
		case "next", "prev":
			r.follow(n, verb)
		case "expect":
			r.expect(n, strings.Fields(rest))
		default:
			r.fatalf(n, "unknown directive %q", verb)
		}
	}
	if err := sc.Err(); err != nil {
		r.t.Fatalf("%s: %v", r.file, err)
	}
}

// load reads "Type id [json]" and, without json on the line, the lines up
// to "end"; it writes the resource.
func (r *searchRun) load(line int, head string, sc *bufio.Scanner, n *int) {
	typ, rest, _ := strings.Cut(strings.TrimSpace(head), " ")
	id, body, _ := strings.Cut(strings.TrimSpace(rest), " ")
	if typ == "" || id == "" {
		r.fatalf(line, "load needs a type and an id")
	}
	if body = strings.TrimSpace(body); body == "" || strings.HasPrefix(body, "#") {
		var b strings.Builder
		for {
			if !sc.Scan() {
				r.fatalf(line, "load %s/%s: no end", typ, id)
			}
			*n++
			if strings.TrimSpace(sc.Text()) == "end" {
				break
			}
			b.WriteString(sc.Text())
			b.WriteByte('\n')
		}
		body = b.String()
	}
	var head2 struct {
		ResourceType string `json:"resourceType"`
	}
	if err := json.Unmarshal([]byte(body), &head2); err != nil || head2.ResourceType != typ {
		r.fatalf(line, "load %s/%s: body is not a %s resource (%v)", typ, id, typ, err)
	}
	idx, err := r.reg.Extract(typ, []byte(body))
	if err != nil {
		r.fatalf(line, "load %s/%s: extract: %v", typ, id, err)
	}
	r.tick()
	res, err := tryPut(r.s, store.Put{Type: typ, ID: id, Body: []byte(body), Index: idx})
	if err != nil {
		r.fatalf(line, "load %s/%s: %v", typ, id, err)
	}
	r.updated[id] = res.LastUpdated
	r.updated[typ+"/"+id] = res.LastUpdated
	r.last = res.LastUpdated
}

// tick waits until the clock has left the millisecond of the last write,
// so that every write has a later meta.lastUpdated than the one before.
func (r *searchRun) tick() {
	deadline := time.Now().Add(time.Second)
	for !time.Now().Truncate(time.Millisecond).After(r.last) && time.Now().Before(deadline) {
		time.Sleep(200 * time.Microsecond)
	}
}

func (r *searchRun) delete(line int, rest string) {
	typ, id, _ := strings.Cut(rest, " ")
	if typ == "" || id == "" || strings.Contains(id, " ") {
		r.fatalf(line, "delete needs a type and an id")
	}
	r.tick()
	res, err := del(r.t, r.s, typ, id, 0)
	if err != nil {
		r.fatalf(line, "delete %s/%s: %v", typ, id, err)
	}
	r.last = res.LastUpdated
}

var lastUpdatedVar = regexp.MustCompile(`\$\{lastUpdated:([^}]*)\}`)

func (r *searchRun) search(line int, spec string) {
	r.query, r.q, r.page, r.err, r.reported = spec, nil, nil, nil, false
	typ, raw, _ := strings.Cut(spec, "?")
	var missing string
	raw = lastUpdatedVar.ReplaceAllStringFunc(raw, func(v string) string {
		id := lastUpdatedVar.FindStringSubmatch(v)[1]
		at, ok := r.updated[id]
		if !ok {
			missing = id
		}
		return at.UTC().Format("2006-01-02T15:04:05.000Z")
	})
	if missing != "" {
		r.fatalf(line, "${lastUpdated:%s}: no such resource loaded", missing)
	}
	vals, err := url.ParseQuery(raw)
	if err != nil {
		r.fatalf(line, "bad query %q: %v", raw, err)
	}
	r.q, _, r.err = search.Parse(r.reg, typ, vals, true)
	if r.err != nil {
		return
	}
	r.page, r.err = r.fetch(line, "")
}

// fetch runs the current query from cursor ("" for the first page) and
// checks what every page must satisfy.
func (r *searchRun) fetch(line int, cursor string) (*store.Page, error) {
	q := *r.q
	if cursor != "" {
		q.Cursor = cursor
	}
	opts := store.SearchOptions{Registry: r.reg, Now: searchNow}
	p, err := r.se.Search(context.Background(), &q, opts)
	if err != nil {
		return nil, err
	}
	if q.Count >= 0 && len(p.Matches) > q.Count {
		r.errorf(line, "%d matches on a page of _count=%d", len(p.Matches), q.Count)
	}
	seen := map[string]bool{}
	for _, m := range slices.Concat(p.Matches, p.Included) {
		k := m.Type + "/" + m.ID
		if seen[k] {
			r.errorf(line, "%s twice on one page (matches %v, included %v)", k, ids(p.Matches, true), ids(p.Included, true))
		}
		seen[k] = true
	}
	return p, nil
}

// follow fetches the next or previous page of the current one.
func (r *searchRun) follow(line int, verb string) {
	if r.page == nil {
		r.reportErr(line)
		return
	}
	cursor := r.page.Next
	if verb == "prev" {
		cursor = r.page.Previous
	}
	r.page = nil
	if cursor == "" {
		r.errorf(line, "%s: the page has no %s cursor", verb, verb)
		r.reported = true
		return
	}
	r.page, r.err = r.fetch(line, cursor)
}

// reportErr reports, once, why there is no current page.
func (r *searchRun) reportErr(line int) {
	if r.reported {
		return
	}
	r.reported = true
	if r.err != nil {
		r.errorf(line, "unexpected error: %v", r.err)
	} else {
		r.errorf(line, "no page to check")
	}
}

func (r *searchRun) expect(line int, args []string) {
	if len(args) == 1 && args[0] == "error" {
		if r.err == nil && r.page != nil {
			r.errorf(line, "got %v, want an error", ids(r.page.Matches, true))
		}
		r.reported = true
		return
	}
	if r.page == nil {
		r.reportErr(line)
		return
	}
	if len(args) > 0 && args[0] == "pages" {
		if len(args) > 1 && args[1] == "set" {
			r.expectAllPages(line, args[2:])
		} else {
			r.expectPages(line, args[1:])
		}
		return
	}
	parts, err := parseExpect(args)
	if err != nil {
		r.fatalf(line, "%v", err)
	}
	p := r.page
	if parts.matches != nil {
		got := ids(p.Matches, typed(parts.matches))
		want := parts.matches
		if parts.set {
			got, want = sorted(got), sorted(want)
		}
		if !sameIDs(got, want) {
			r.errorf(line, "matches = %v, want %v", got, want)
		}
	}
	if parts.include != nil {
		got := sorted(ids(p.Included, typed(parts.include)))
		if want := sorted(parts.include); !sameIDs(got, want) {
			r.errorf(line, "included = %v, want %v", got, want)
		}
	}
	if parts.total != nil && p.Total != *parts.total {
		r.errorf(line, "total = %d, want %d", p.Total, *parts.total)
	}
	if parts.first && p.Previous != "" {
		r.errorf(line, "the page has a Previous cursor, want the first page")
	}
	if parts.last && p.Next != "" {
		r.errorf(line, "the page has a Next cursor, want the last page")
	}
}

// expectParts is a parsed "expect" line of the general form.
type expectParts struct {
	matches     []string // nil: not checked
	set         bool
	include     []string // nil: not checked
	total       *int64
	first, last bool
}

func parseExpect(args []string) (expectParts, error) {
	var e expectParts
	list := func(i int) ([]string, int) {
		out := []string{}
		for ; i < len(args); i++ {
			switch args[i] {
			case "include", "total", "first", "last":
				return out, i
			}
			out = append(out, args[i])
		}
		return out, i
	}
	none := func(l []string) ([]string, error) {
		if slices.Contains(l, "none") {
			if len(l) != 1 {
				return nil, fmt.Errorf("none with ids")
			}
			return []string{}, nil
		}
		if len(l) == 0 {
			return nil, fmt.Errorf("an empty list (write none)")
		}
		return l, nil
	}
	i := 0
	if i < len(args) && args[i] == "set" {
		e.set = true
		i++
	}
	if i < len(args) && !slices.Contains([]string{"include", "total", "first", "last"}, args[i]) {
		var l []string
		l, i = list(i)
		var err error
		if e.matches, err = none(l); err != nil {
			return e, err
		}
	} else if e.set {
		return e, fmt.Errorf("set without ids")
	}
	for i < len(args) {
		switch args[i] {
		case "include":
			var l []string
			l, i = list(i + 1)
			var err error
			if e.include, err = none(l); err != nil {
				return e, fmt.Errorf("include: %v", err)
			}
		case "total":
			if i+1 >= len(args) {
				return e, fmt.Errorf("total needs a number")
			}
			n, err := strconv.ParseInt(args[i+1], 10, 64)
			if err != nil {
				return e, fmt.Errorf("total %q: %v", args[i+1], err)
			}
			e.total = &n
			i += 2
		case "first":
			e.first = true
			i++
		case "last":
			e.last = true
			i++
		default:
			return e, fmt.Errorf("unexpected %q", args[i])
		}
	}
	if e.matches == nil && e.include == nil && e.total == nil && !e.first && !e.last {
		return e, fmt.Errorf("expect needs something to check")
	}
	return e, nil
}

// expectPages checks the pages from the current one, following Next.
func (r *searchRun) expectPages(line int, args []string) {
	groups := [][]string{{}}
	for _, a := range args {
		if a == "|" {
			groups = append(groups, []string{})
			continue
		}
		groups[len(groups)-1] = append(groups[len(groups)-1], a)
	}
	for _, g := range groups {
		if len(g) == 0 {
			r.fatalf(line, "expect pages: an empty page")
		}
	}
	ty := typed(slices.Concat(groups...))
	p := r.page
	if p.Previous != "" {
		r.errorf(line, "page 1 has a Previous cursor")
	}
	var cursors []string // cursors[k] leads to page k+1 (0-based)
	for k := 0; ; k++ {
		got := ids(p.Matches, ty)
		if k >= len(groups) {
			r.errorf(line, "page %d = %v, want no more pages", k+1, got)
			return
		}
		if !sameIDs(got, groups[k]) {
			r.errorf(line, "page %d = %v, want %v", k+1, got, groups[k])
			return
		}
		if k > 0 {
			r.checkPrevious(line, k, p.Previous, groups[k-1], ty)
		}
		if p.Next == "" {
			break
		}
		cursors = append(cursors, p.Next)
		var err error
		if p, err = r.fetch(line, p.Next); err != nil {
			r.errorf(line, "page %d: %v", k+2, err)
			return
		}
	}
	if len(cursors)+1 < len(groups) {
		r.errorf(line, "%d pages, want %d", len(cursors)+1, len(groups))
	}
}

// checkPrevious checks that the Previous cursor of page k (0-based)
// leads to want.
func (r *searchRun) checkPrevious(line, k int, cursor string, want []string, ty bool) {
	if cursor == "" {
		r.errorf(line, "page %d has no Previous cursor", k+1)
		return
	}
	p, err := r.fetch(line, cursor)
	if err != nil {
		r.errorf(line, "Previous of page %d: %v", k+1, err)
		return
	}
	if got := ids(p.Matches, ty); !sameIDs(got, want) {
		r.errorf(line, "Previous of page %d = %v, want %v", k+1, got, want)
	}
}

// expectAllPages checks that the pages from the current one hold want,
// each resource once.
func (r *searchRun) expectAllPages(line int, want []string) {
	ty := typed(want)
	var got []string
	p := r.page
	for k := 0; ; k++ {
		got = append(got, ids(p.Matches, ty)...)
		if p.Next == "" || k > len(want)+1 {
			break
		}
		var err error
		if p, err = r.fetch(line, p.Next); err != nil {
			r.errorf(line, "page %d: %v", k+2, err)
			return
		}
	}
	if got, want := sorted(got), sorted(want); !sameIDs(got, want) {
		r.errorf(line, "all pages = %v, want %v", got, want)
	}
}

// ids shows resources as ids, or as Type/id when typed.
func ids(rs []store.Resource, typed bool) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.ID
		if typed {
			out[i] = r.Type + "/" + r.ID
		}
	}
	return out
}

func typed(want []string) bool {
	return slices.ContainsFunc(want, func(s string) bool { return strings.Contains(s, "/") })
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}
