package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"carerecord/internal/search"
	"carerecord/internal/store"
)

// The search index tables (see the schema comments of store/sqlite). Each
// holds seq, pid and grp and then the columns below.
const (
	tString = iota
	tToken
	tDate
	tRef
	tQuantity
	tNumber
	tURI
	numTables
)

var idxTables = [numTables]struct {
	name string
	cols []string
}{
	tString:   {"idx_string", []string{"norm", "value"}},
	tToken:    {"idx_token", []string{"system", "code", "text", "type_system", "type_code"}},
	tDate:     {"idx_date", []string{"lo", "hi"}},
	tRef:      {"idx_ref", []string{"ttype", "tid", "url", "version", "id_system", "id_value"}},
	tQuantity: {"idx_quantity", []string{"system", "code", "unit", "value", "lo", "hi", "ccode", "cvalue", "clo", "chi"}},
	tNumber:   {"idx_number", []string{"value", "lo", "hi"}},
	tURI:      {"idx_uri", []string{"uri"}},
}

// insertSizes are the row counts of the prepared multi-row INSERTs; a
// resource's rows for one table go in chunks of these sizes (largest
// first), so at most len(insertSizes) statements per table.
var insertSizes = [...]int{32, 16, 8, 4, 2, 1}

// idxStmts are the writer's prepared index statements.
type idxStmts struct {
	del [numTables]*sql.Stmt
	ins [numTables][len(insertSizes)]*sql.Stmt
	msg [len(insertSizes)]*sql.Stmt // message_patients rows (messages.go)
}

func (x *idxStmts) all() []*sql.Stmt {
	out := slices.Clone(x.del[:])
	for i := range x.ins {
		out = append(out, x.ins[i][:]...)
	}
	return append(out, x.msg[:]...)
}

func prepareIndex(ctx context.Context, db *sql.DB, d Dialect) (idxStmts, error) {
	var x idxStmts
	for t, tb := range idxTables {
		st, err := db.PrepareContext(ctx, d.q(`DELETE FROM `+tb.name+` WHERE seq = ?`))
		if err != nil {
			closeStmts(x.all())
			return x, fmt.Errorf("sqlstore: prepare index delete: %w", err)
		}
		x.del[t] = st
		for i, n := range insertSizes {
			if x.ins[t][i], err = db.PrepareContext(ctx, d.q(multiInsert(t, n))); err != nil {
				closeStmts(x.all())
				return x, fmt.Errorf("sqlstore: prepare index insert: %w", err)
			}
		}
	}
	for i, n := range insertSizes {
		var err error
		if x.msg[i], err = db.PrepareContext(ctx, d.q(messagePatientsInsert(n))); err != nil {
			closeStmts(x.all())
			return x, fmt.Errorf("sqlstore: prepare message log insert: %w", err)
		}
	}
	return x, nil
}

func multiInsert(t, n int) string {
	tb := idxTables[t]
	var b strings.Builder
	b.WriteString("INSERT INTO " + tb.name + " (seq, pid, grp, " + strings.Join(tb.cols, ", ") + ") VALUES ")
	row := "(" + strings.Repeat("?, ", len(tb.cols)+2) + "?)"
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(row)
	}
	return b.String()
}

// pidKey names a search_params row.
type pidKey struct {
	typ, code string
	comp      int
}

// pidCache maps parameters to their pid. It holds only committed pids,
// and remembers for a moment the parameters that have none (no resource
// has a value of them: a search for them matches nothing), which a
// $everything asks about for dozens of types at once.
type pidCache struct {
	mu      sync.RWMutex
	m       map[pidKey]int64
	missing map[pidKey]missingPid
	gen     uint64 // counts adds; a missing entry of an older generation is stale
}

type missingPid struct {
	gen uint64
	at  time.Time
}

// missingTTL bounds how long a parameter stays known to have no pid: another
// process writing the same database may add it.
const missingTTL = time.Second

func (c *pidCache) isMissing(k pidKey) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	m, ok := c.missing[k]
	return ok && m.gen == c.gen && time.Since(m.at) < missingTTL
}

func (c *pidCache) setMissing(k pidKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.missing == nil || len(c.missing) > 10000 {
		c.missing = map[pidKey]missingPid{}
	}
	c.missing[k] = missingPid{c.gen, time.Now()}
}

func (c *pidCache) get(k pidKey) (int64, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	p, ok := c.m[k]
	return p, ok
}

func (c *pidCache) add(m map[pidKey]int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(m) == 0 {
		return
	}
	if c.m == nil {
		c.m = make(map[pidKey]int64, len(m))
	}
	for k, v := range m {
		c.m[k] = v
	}
	c.gen++
}

const (
	pidInsert = `INSERT INTO search_params (type, code, component) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`
	pidSelect = `SELECT pid FROM search_params WHERE type = ? AND code = ? AND component = ?`
)

// pid returns the pid of k in g's transaction, allocating it if new.
func (g *group) pid(k pidKey) (int64, error) {
	if p, ok := g.s.pids.get(k); ok {
		return p, nil
	}
	if p, ok := g.newPids[k]; ok {
		return p, nil
	}
	ctx := context.Background()
	if _, err := g.tx.ExecContext(ctx, g.s.d.q(pidInsert), k.typ, k.code, k.comp); err != nil {
		return 0, fmt.Errorf("sqlstore: add search parameter %s.%s: %w", k.typ, k.code, err)
	}
	var p int64
	if err := g.tx.QueryRowContext(ctx, g.s.d.q(pidSelect), k.typ, k.code, k.comp).Scan(&p); err != nil {
		return 0, fmt.Errorf("sqlstore: add search parameter %s.%s: %w", k.typ, k.code, err)
	}
	if g.newPids == nil {
		g.newPids = map[pidKey]int64{}
	}
	g.newPids[k] = p
	return p, nil
}

// readPid returns the pid of k for a search, 0 when no resource has ever
// had a value of it (so nothing can match).
func (s *Store) readPid(ctx context.Context, k pidKey) (int64, error) {
	if p, ok := s.pids.get(k); ok {
		return p, nil
	}
	if s.pids.isMissing(k) {
		return 0, nil
	}
	var p int64
	err := s.rdb.QueryRowContext(ctx, s.d.q(pidSelect), k.typ, k.code, k.comp).Scan(&p)
	switch {
	case err == sql.ErrNoRows:
		s.pids.setMissing(k)
		return 0, nil
	case err != nil:
		return 0, fmt.Errorf("sqlstore: search parameter %s.%s: %w", k.typ, k.code, err)
	}
	s.pids.add(map[pidKey]int64{k: p})
	return p, nil
}

// columns the store answers itself: never written as index rows.
func skipParam(code string) bool {
	return code == "_id" || code == "_lastUpdated" || code == "_text" || code == "_content"
}

// indexRows turns x into the argument lists of each table, rows after the
// first three columns (seq, pid, grp are added by writeIndex), duplicates
// removed.
type indexRow struct {
	key  search.Key
	vals []any
}

func rowsOf(x *search.Index) [numTables][]indexRow {
	var out [numTables][]indexRow
	add := func(t int, k search.Key, vals ...any) {
		if !skipParam(k.Param) {
			out[t] = append(out[t], indexRow{k, vals})
		}
	}
	for _, r := range x.Strings {
		add(tString, r.Key, r.Norm, r.Value)
	}
	for _, r := range x.Tokens {
		add(tToken, r.Key, r.System, r.Code, r.Text, r.TypeSystem, r.TypeCode)
	}
	for _, r := range x.Dates {
		add(tDate, r.Key, r.Low, r.High)
	}
	for _, r := range x.References {
		add(tRef, r.Key, r.TargetType, r.TargetID, r.URL, r.Version, r.IdentifierSystem, r.IdentifierValue)
	}
	for _, r := range x.Quantities {
		add(tQuantity, r.Key, r.System, r.Code, r.Unit, finite(r.Value), finite(r.Low), finite(r.High),
			r.CanonicalCode, finite(r.Canonical.Value), finite(r.Canonical.Low), finite(r.Canonical.High))
	}
	for _, r := range x.Numbers {
		add(tNumber, r.Key, finite(r.Value), finite(r.Low), finite(r.High))
	}
	for _, r := range x.URIs {
		add(tURI, r.Key, r.URI)
	}
	for t := range out {
		out[t] = uniqueRows(out[t])
	}
	return out
}

// finite clamps ±Inf (an open Range end) to the largest float, which both
// databases store and compare.
func finite(f float64) float64 {
	const most = 1.7976931348623157e308
	switch {
	case f > most:
		return most
	case f < -most:
		return -most
	}
	return f
}

func uniqueRows(rows []indexRow) []indexRow {
	if len(rows) < 2 {
		return rows
	}
	slices.SortFunc(rows, compareRows)
	return slices.CompactFunc(rows, func(a, b indexRow) bool { return compareRows(a, b) == 0 })
}

func compareRows(a, b indexRow) int {
	if c := cmp.Compare(a.key.Param, b.key.Param); c != 0 {
		return c
	}
	if c := cmp.Compare(a.key.Component, b.key.Component); c != 0 {
		return c
	}
	if c := cmp.Compare(a.key.Group, b.key.Group); c != 0 {
		return c
	}
	for i := range a.vals {
		var c int
		switch v := a.vals[i].(type) {
		case string:
			c = cmp.Compare(v, b.vals[i].(string))
		case int64:
			c = cmp.Compare(v, b.vals[i].(int64))
		case float64:
			c = cmp.Compare(v, b.vals[i].(float64))
		}
		if c != 0 {
			return c
		}
	}
	return 0
}

// deleteIndex drops the index rows of the version at seq.
func (t *txView) deleteIndex(seq int64) error {
	if err := t.g.flushIndex(); err != nil { // the rows may still be queued
		return t.fail(err)
	}
	ctx := context.Background()
	for i := range numTables {
		if _, err := t.g.idxStmt(&t.g.s.idx.del[i]).ExecContext(ctx, seq); err != nil {
			return t.fail(fmt.Errorf("sqlstore: delete index rows: %w", err))
		}
	}
	return nil
}

// writeIndex queues x's rows for the version at seq of a resource of typ;
// flushIndex inserts them. Queuing lets the rows of many resources share
// few multi-row INSERTs: the statements, not the rows, were most of the
// cost of indexing.
func (t *txView) writeIndex(typ string, seq int64, x *search.Index) error {
	if x == nil {
		return nil
	}
	g := t.g
	rows := rowsOf(x)
	for tb := range numTables {
		for _, r := range rows[tb] {
			pid, err := g.pid(pidKey{typ, r.key.Param, r.key.Component})
			if err != nil {
				return t.fail(err)
			}
			g.queued[tb] = append(g.queued[tb], seq, pid, r.key.Group)
			g.queued[tb] = append(g.queued[tb], r.vals...)
		}
	}
	return nil
}

// flushIndex inserts the queued index rows. It runs before anything reads
// or deletes index rows in the transaction, at the end of each Write
// function that runs in a savepoint, and before COMMIT.
func (g *group) flushIndex() error {
	ctx := context.Background()
	if err := g.flushMessagePatients(ctx); err != nil {
		return err
	}
	for tb := range numTables {
		args := g.queued[tb]
		width := 3 + len(idxTables[tb].cols)
		for len(args) > 0 {
			rows := len(args) / width
			i := slices.IndexFunc(insertSizes[:], func(n int) bool { return n <= rows })
			n := insertSizes[i]
			if _, err := g.idxStmt(&g.s.idx.ins[tb][i]).ExecContext(ctx, args[:n*width]...); err != nil {
				return fmt.Errorf("sqlstore: insert index rows (%s): %w", idxTables[tb].name, err)
			}
			args = args[n*width:]
		}
		g.queued[tb] = g.queued[tb][:0]
	}
	return nil
}

// idxStmt binds a prepared index statement to g's transaction.
func (g *group) idxStmt(st **sql.Stmt) *sql.Stmt {
	if b, ok := g.bound[*st]; ok {
		return b
	}
	if g.bound == nil {
		g.bound = map[*sql.Stmt]*sql.Stmt{}
	}
	b := g.tx.StmtContext(context.Background(), *st)
	g.bound[*st] = b
	return b
}

// Reindex replaces the index rows of current versions; see store.Reindexer.
func (s *Store) Reindex(ctx context.Context, rs []store.Resource, xs []*search.Index) (int, error) {
	n := 0
	err := s.Write(ctx, func(tx store.Tx) error {
		t := tx.(*txView)
		n = 0
		for i, r := range rs {
			cur, err := t.current(r.Type, r.ID)
			if err != nil {
				return err
			}
			if !cur.exists || cur.deleted || cur.seq != r.Seq {
				continue
			}
			if err := t.deleteIndex(r.Seq); err != nil {
				return err
			}
			if err := t.writeIndex(r.Type, r.Seq, xs[i]); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}

// IndexEmpty reports a store with resources and no index rows.
func (s *Store) IndexEmpty(ctx context.Context) (bool, error) {
	var params, resources int
	err := s.rdb.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM (SELECT 1 FROM search_params LIMIT 1) p),
		(SELECT count(*) FROM (SELECT 1 FROM resources WHERE NOT deleted LIMIT 1) r)`).Scan(&params, &resources)
	if err != nil {
		return false, fmt.Errorf("sqlstore: index state: %w", err)
	}
	return params == 0 && resources > 0, nil
}

var _ store.Reindexer = (*Store)(nil)
