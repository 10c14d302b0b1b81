package sqlstore

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"carerecord/internal/search"
	"carerecord/internal/store"
)

var _ store.Searcher = (*Store)(nil)

// Page-size defaults of SearchOptions.
const (
	searchDefaultCount = 50
	searchMaxCount     = 1000
	searchMaxIncluded  = 1000
)

// defaultRegistry resolves composite components when the caller gave no
// registry.
var defaultRegistry = sync.OnceValue(func() *search.Registry { return search.NewRegistry(search.FHIRPath) })

// sortCol is one ORDER BY column of the page query: an expression, its
// direction, and the name it has in the outer query.
type sortCol struct {
	expr, name string
	desc       bool
	nullable   bool
}

// Search answers one page of q; see store.Searcher.
func (s *Store) Search(ctx context.Context, q *search.Query, opts store.SearchOptions) (*store.Page, error) {
	return s.search(ctx, q, opts, nil)
}

// ExplainSearch returns the database's plan for the page query of q
// (SQLite: EXPLAIN QUERY PLAN, PostgreSQL: EXPLAIN), one line per step,
// without running it: for studying plans, and for tests that keep a
// search on its indexes.
func (s *Store) ExplainSearch(ctx context.Context, q *search.Query, opts store.SearchOptions) (string, error) {
	var plan string
	_, err := s.search(ctx, q, opts, &plan)
	return plan, err
}

func (s *Store) search(ctx context.Context, q *search.Query, opts store.SearchOptions, explain *string) (*store.Page, error) {
	if err := s.usable(ctx); err != nil {
		return nil, err
	}
	c := &compiler{s: s, ctx: ctx, reg: opts.Registry, now: opts.Now}
	if c.reg == nil {
		c.reg = defaultRegistry()
	}
	if c.now.IsZero() {
		c.now = time.Now()
	}
	count := q.Count
	switch {
	case count < 0:
		count = cmpOr(opts.DefaultCount, searchDefaultCount)
	case count > cmpOr(opts.MaxCount, searchMaxCount):
		count = cmpOr(opts.MaxCount, searchMaxCount)
	}
	types := q.Types
	if q.ResourceType != "" {
		types = []string{q.ResourceType}
	}
	inner, cols, err := c.matchAll(q, types)
	if err != nil {
		return nil, err
	}
	page := &store.Page{Total: -1}
	if q.Total == search.TotalAccurate || q.Total == search.TotalEstimate || q.Summary == search.SummaryCount || count == 0 {
		text, args := c.bind("SELECT count(*) FROM (" + inner + ") m")
		rows, err := s.query(ctx, s.d.q(text), args...)
		if err == nil {
			if rows.Next() {
				err = rows.Scan(&page.Total)
			}
			err = errors.Join(err, rows.Err(), rows.Close())
		}
		if err != nil {
			return nil, fmt.Errorf("sqlstore: search count: %w", err)
		}
	}
	if count == 0 || q.Summary == search.SummaryCount {
		return page, nil
	}
	cur, err := decodeCursor(q.Cursor, len(cols))
	if err != nil {
		return nil, &search.Error{Param: "_cursor", Reason: "not a cursor this server gave out (or the sort changed)"}
	}
	backward := cur != nil && cur.Back
	sqlText := "SELECT * FROM (" + inner + ") m"
	if cur != nil {
		sqlText += " WHERE " + c.keyset(cols, cur.Values, backward)
	}
	orderBy := func(prefix string) string {
		var order []string
		for _, col := range cols {
			name := prefix + col.name
			if col.nullable {
				// Resources without a value sort last both ways.
				nullsLast := "(CASE WHEN " + name + " IS NULL THEN 1 ELSE 0 END)"
				if backward {
					nullsLast += " DESC"
				}
				order = append(order, nullsLast)
			}
			if col.desc != backward {
				name += " DESC"
			}
			order = append(order, name)
		}
		return " ORDER BY " + strings.Join(order, ", ")
	}
	// The page is chosen on the matches' keys alone; only its rows are
	// joined to their bodies, so sorting never carries resource bodies.
	sqlText += orderBy("") + " LIMIT " + c.arg(count+1)
	outer := "SELECT v.seq, v.type, v.id, v.version, v.last_updated, v.body"
	for _, col := range cols[:len(cols)-2] {
		outer += ", p." + col.name
	}
	sqlText = outer + " FROM (" + sqlText + ") p JOIN resource_versions v ON v.seq = p.seq" + orderBy("p.")
	text, args := c.bind(sqlText)
	if explain != nil {
		var err error
		*explain, err = s.explain(ctx, s.d.q(text), args)
		return nil, err
	}
	rows, err := s.query(ctx, s.d.q(text), args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: search: %w", err)
	}
	matches, keys, err := scanMatches(rows, len(cols))
	if err != nil {
		return nil, fmt.Errorf("sqlstore: search: %w", err)
	}
	more := len(matches) > count
	if more {
		matches, keys = matches[:count], keys[:count]
	}
	if backward {
		slices.Reverse(matches)
		slices.Reverse(keys)
	}
	page.Matches = matches
	if len(matches) > 0 {
		first, last := keys[0], keys[len(keys)-1]
		switch {
		case backward:
			page.Next = encodeCursor(cursor{Values: last})
			if more {
				page.Previous = encodeCursor(cursor{Values: first, Back: true})
			}
		default:
			if more {
				page.Next = encodeCursor(cursor{Values: last})
			}
			if cur != nil {
				page.Previous = encodeCursor(cursor{Values: first, Back: true})
			}
		}
	}
	if page.Total < 0 && cur == nil && !more && q.Total != search.TotalNone {
		page.Total = int64(len(matches))
	}
	if len(q.Include) > 0 || len(q.RevInclude) > 0 {
		if err := s.includes(ctx, q, page, cmpOr(opts.MaxIncluded, searchMaxIncluded)); err != nil {
			return nil, err
		}
	}
	return page, nil
}

func cmpOr(a, b int) int {
	if a > 0 {
		return a
	}
	return b
}

// matchAll is matchQuery over types: one query when the search has no
// criteria or sort keys of its own (or one type), otherwise one per type
// (each type has its own index rows), joined by UNION ALL. A system-level
// search with criteria and no _type covers the types that have index rows.
func (c *compiler) matchAll(q *search.Query, types []string) (string, []sortCol, error) {
	perType := len(q.And) > 0 || slices.ContainsFunc(q.Sort, func(k search.SortKey) bool { return !isColumn(k.Param) })
	if len(types) == 1 || !perType {
		typ := ""
		if len(types) == 1 {
			typ = types[0]
		}
		return c.matchQuery(q, typ, types)
	}
	if len(types) == 0 {
		var err error
		if types, err = c.s.indexedTypes(c.ctx); err != nil {
			return "", nil, err
		}
	}
	var parts []string
	var cols []sortCol
	for _, t := range types {
		part, cs, err := c.matchQuery(q, t, []string{t})
		if err != nil {
			return "", nil, err
		}
		parts, cols = append(parts, part), cs
	}
	if len(parts) == 0 {
		return c.matchQuery(q, "", []string{""}) // matches nothing
	}
	return strings.Join(parts, " UNION ALL "), cols, nil
}

// indexedTypes lists the resource types that have had index rows.
func (s *Store) indexedTypes(ctx context.Context) ([]string, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT DISTINCT type FROM search_params ORDER BY type`)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: search types: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// matchQuery is the SELECT of every match with its sort columns (not
// ordered): the query a page and the count are taken from.
func (c *compiler) matchQuery(q *search.Query, typ string, types []string) (string, []sortCol, error) {
	v := aliasRow("v")
	var where []string
	drive := -1
	if typ != "" {
		drive = pickDriver(q.And)
	}
	from := "resources r JOIN resource_versions v ON v.seq = r.seq"
	where = append(where, "NOT r.deleted")
	if drive >= 0 {
		set, err := c.clauseSet(q.And[drive], typ)
		if err != nil {
			return "", nil, err
		}
		from = "resource_versions v"
		where = []string{"v.seq IN (" + set + ")"}
	}
	if len(types) > 0 && drive < 0 { // a driving set holds only typ's resources already
		ph := make([]string, len(types))
		for i, t := range types {
			ph[i] = c.arg(t)
		}
		where = append(where, "r.type IN ("+strings.Join(ph, ", ")+")")
	}
	for i, cl := range q.And {
		if i == drive {
			continue
		}
		f, err := c.clauseFilter(cl, typ, v)
		if err != nil {
			return "", nil, err
		}
		where = append(where, f)
	}
	cols, err := c.sortColumns(q.Sort, typ, v)
	if err != nil {
		return "", nil, err
	}
	// Type and id end every sort. Listing a type, they come from the
	// resources primary key, whose order the page can follow; from a
	// driving set they are marked unindexed, or SQLite walks a type's
	// every version in (type, id) order to avoid sorting a few matches.
	sel := "v.seq, r.type AS type, r.id AS id"
	if drive >= 0 {
		u := c.s.d.Unindexed
		sel = "v.seq, " + u + "v.type AS type, " + u + "v.id AS id"
	}
	for _, col := range cols[:len(cols)-2] { // type and id are selected already
		sel += ", " + col.expr + " AS " + col.name
	}
	return "SELECT " + sel + " FROM " + from + " WHERE " + strings.Join(where, " AND "), cols, nil
}

// pickDriver chooses the clause the query starts from: the most selective
// kind among those whose every condition can be a set, or -1.
func pickDriver(and []search.Clause) int {
	best, bestRank := -1, 0
	for i, cl := range and {
		rank := 100
		for j := range cl {
			if !drivable(&cl[j]) {
				rank = 0
				break
			}
			rank = min(rank, selectivity(&cl[j]))
		}
		if rank > bestRank {
			best, bestRank = i, rank
		}
	}
	return best
}

// selectivity ranks a drivable condition by how few resources it usually
// matches.
func selectivity(cond *search.Condition) int {
	switch {
	case cond.Has != nil || cond.Chain != nil:
		return 40
	case cond.Param.Code == "_id":
		return 90
	}
	switch cond.Param.Type {
	case search.TypeReference:
		return 80
	case search.TypeToken:
		if cond.Value.Code == "" {
			return 20
		}
		if cond.Param.Code == "identifier" {
			return 85
		}
		return 60
	case search.TypeString, search.TypeURI:
		return 50
	}
	return 30 // dates, numbers, quantities: usually ranges
}

// sortColumns are the ORDER BY columns: the _sort keys, then type and id
// so that every order is total and paging is stable.
func (c *compiler) sortColumns(keys []search.SortKey, typ string, r row) ([]sortCol, error) {
	var cols []sortCol
	for i, k := range keys {
		name := fmt.Sprintf("k%d", i)
		p := k.Param
		switch p.Code {
		case "_id":
			cols = append(cols, sortCol{expr: "v.id", name: name, desc: k.Descending})
			continue
		case "_lastUpdated":
			cols = append(cols, sortCol{expr: "v.last_updated", name: name, desc: k.Descending})
			continue
		}
		if typ == "" {
			return nil, &search.Error{Param: "_sort", Reason: "sorting by " + p.Code + " needs one resource type"}
		}
		tb, ok := tableOf(p.Type)
		if !ok {
			return nil, &search.Error{Param: "_sort", Reason: "cannot sort by a " + string(p.Type) + " parameter"}
		}
		var column string
		switch tb {
		case tString:
			column = "norm"
		case tToken:
			column = "code"
		case tDate, tNumber:
			column = "lo"
			if k.Descending {
				column = "hi"
			}
		case tQuantity:
			column = "value"
		case tRef:
			column = "tid"
		case tURI:
			column = "uri"
		}
		agg := "min"
		if k.Descending {
			agg = "max"
		}
		pid, err := c.pid(typ, p.Code, 0)
		if err != nil {
			return nil, err
		}
		x := c.next("s")
		expr := "(SELECT " + agg + "(" + x + "." + column + ") FROM " + idxTables[tb].name + " " + x + " WHERE " + x +
			".seq = " + r.seq + " AND " + x + ".pid = " + c.arg(pid) + ")"
		cols = append(cols, sortCol{expr: expr, name: name, desc: k.Descending, nullable: true})
	}
	return append(cols, sortCol{expr: "v.type", name: "type"}, sortCol{expr: "v.id", name: "id"}), nil
}

// keyset is the condition "after the cursor's row" (before it, backward)
// in the sort order of cols.
func (c *compiler) keyset(cols []sortCol, vals []any, backward bool) string {
	type atom struct {
		expr string
		desc bool
		val  any
	}
	var atoms []atom
	for i, col := range cols {
		if col.nullable {
			isNull := 0
			if vals[i] == nil {
				isNull = 1
			}
			atoms = append(atoms, atom{"(CASE WHEN " + col.name + " IS NULL THEN 1 ELSE 0 END)", false, int64(isNull)})
			if vals[i] == nil {
				continue // among resources without a value, the next keys decide
			}
		}
		atoms = append(atoms, atom{col.name, col.desc, vals[i]})
	}
	var ors []string
	for j := range atoms {
		var ands []string
		for _, a := range atoms[:j] {
			ands = append(ands, a.expr+" = "+c.arg(a.val))
		}
		op := ">"
		if atoms[j].desc != backward {
			op = "<"
		}
		ands = append(ands, atoms[j].expr+" "+op+" "+c.arg(atoms[j].val))
		ors = append(ors, "("+strings.Join(ands, " AND ")+")")
	}
	return "(" + strings.Join(ors, " OR ") + ")"
}

// scanMatches reads the page rows: the resource, then one value per sort
// column after the first six.
func scanMatches(rows *sql.Rows, ncols int) ([]store.Resource, [][]any, error) {
	defer rows.Close()
	var (
		out  []store.Resource
		keys [][]any
	)
	for rows.Next() {
		var r store.Resource
		var at instant
		dest := []any{&r.Seq, &r.Type, &r.ID, &r.Version, &at, &r.Body}
		extra := make([]any, ncols-2) // sort keys but type and id, which are the resource's
		for i := range extra {
			dest = append(dest, &extra[i])
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, nil, err
		}
		r.LastUpdated = at.t
		k := make([]any, 0, ncols)
		for _, e := range extra {
			k = append(k, normalizeKey(e))
		}
		k = append(k, r.Type, r.ID)
		out = append(out, r)
		keys = append(keys, k)
	}
	return out, keys, rows.Err()
}

// normalizeKey keeps sort values in the types cursors carry.
func normalizeKey(v any) any {
	switch x := v.(type) {
	case []byte:
		return string(x)
	case int32:
		return int64(x)
	case float32:
		return float64(x)
	case time.Time:
		return x.UTC()
	}
	return v
}

// cursor is a paging position: the sort values of the row the page
// continues after (or before, Back).
type cursor struct {
	Values []any
	Back   bool
}

type cursorJSON struct {
	V []keyJSON `json:"v"`
	B bool      `json:"b,omitempty"`
}

type keyJSON struct {
	S *string  `json:"s,omitempty"`
	I *int64   `json:"i,omitempty"`
	F *float64 `json:"f,omitempty"`
	T *string  `json:"t,omitempty"`
}

func encodeCursor(c cursor) string {
	out := cursorJSON{B: c.Back}
	for _, v := range c.Values {
		var k keyJSON
		switch x := v.(type) {
		case string:
			k.S = &x
		case int64:
			k.I = &x
		case float64:
			k.F = &x
		case time.Time:
			s := x.Format(time.RFC3339Nano)
			k.T = &s
		case bool:
			i := int64(0)
			if x {
				i = 1
			}
			k.I = &i
		}
		out.V = append(out.V, k)
	}
	b, _ := json.Marshal(out)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string, n int) (*cursor, error) {
	if s == "" {
		return nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, err
	}
	var in cursorJSON
	if err := json.Unmarshal(b, &in); err != nil {
		return nil, err
	}
	if len(in.V) != n {
		return nil, errors.New("cursor of another sort")
	}
	c := &cursor{Back: in.B}
	for _, k := range in.V {
		switch {
		case k.S != nil:
			c.Values = append(c.Values, *k.S)
		case k.I != nil:
			c.Values = append(c.Values, *k.I)
		case k.F != nil:
			c.Values = append(c.Values, *k.F)
		case k.T != nil:
			t, err := time.Parse(time.RFC3339Nano, *k.T)
			if err != nil {
				return nil, err
			}
			c.Values = append(c.Values, t)
		default:
			c.Values = append(c.Values, nil)
		}
	}
	return c, nil
}

// explain runs the dialect's EXPLAIN on query and joins the plan's text
// columns, one row per line.
func (s *Store) explain(ctx context.Context, query string, args []any) (string, error) {
	rows, err := s.rdb.QueryContext(ctx, s.d.Explain+query, args...)
	if err != nil {
		return "", fmt.Errorf("sqlstore: explain: %w", err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return "", err
		}
		b.WriteString(fmt.Sprint(vals[len(vals)-1])) // the detail column
		b.WriteByte('\n')
	}
	return b.String(), rows.Err()
}
