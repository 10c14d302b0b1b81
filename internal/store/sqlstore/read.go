package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"carerecord/internal/store"
)

// Page sizes.
const (
	defaultCount   = 100   // History and Changes when the caller gives none
	maxCount       = 1000  // History page cap (the contract's)
	maxChangeLimit = 10000 // Changes page cap
)

// errHistoryID is returned for a HistoryQuery with an ID but no Type.
var errHistoryID = errors.New("sqlstore: history by id needs a type")

func (s *Store) usable(ctx context.Context) error {
	if s.closed.Load() {
		return store.ErrClosed
	}
	return ctx.Err()
}

// Read returns the current version; see store.Store.
func (s *Store) Read(ctx context.Context, typ, id string) (*store.Resource, error) {
	if err := s.usable(ctx); err != nil {
		return nil, err
	}
	return scanCurrent(s.rs[stmtCurrent].QueryRowContext(ctx, typ, id), typ, id)
}

// scanCurrent scans a stmtCurrent row. A deletion is returned with ErrGone.
func scanCurrent(row *sql.Row, typ, id string) (*store.Resource, error) {
	r := &store.Resource{Type: typ, ID: id}
	var at instant
	var body []byte
	err := row.Scan(&r.Version, &r.Deleted, &r.Seq, &at, &body)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, fmt.Errorf("sqlstore: read %s/%s: %w", typ, id, store.ErrNotFound)
	case err != nil:
		return nil, fmt.Errorf("sqlstore: read %s/%s: %w", typ, id, err)
	}
	r.LastUpdated = at.t
	if r.Deleted {
		return r, fmt.Errorf("sqlstore: read %s/%s: %w", typ, id, store.ErrGone)
	}
	r.Body = body
	return r, nil
}

// isCondition reports whether err is an answer (not found, gone) rather
// than a failure.
func isCondition(err error) bool {
	return errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrGone)
}

// VRead returns one version; see store.Store.
func (s *Store) VRead(ctx context.Context, typ, id string, version int64) (*store.Resource, error) {
	if err := s.usable(ctx); err != nil {
		return nil, err
	}
	r := &store.Resource{Type: typ, ID: id, Version: version}
	var at instant
	var body []byte
	err := s.rs[stmtVRead].QueryRowContext(ctx, typ, id, version).Scan(&r.Seq, &at, &r.Deleted, &body)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, fmt.Errorf("sqlstore: vread %s/%s/%d: %w", typ, id, version, store.ErrNotFound)
	case err != nil:
		return nil, fmt.Errorf("sqlstore: vread %s/%s/%d: %w", typ, id, version, err)
	}
	r.LastUpdated = at.t
	if !r.Deleted {
		r.Body = body
	}
	return r, nil
}

// FindByToken returns matching ids, sorted; see store.Store.
func (s *Store) FindByToken(ctx context.Context, typ, param, system, value string) ([]string, error) {
	if err := s.usable(ctx); err != nil {
		return nil, err
	}
	st, args := s.rs[stmtTokens], []any{typ, param, value}
	if system != "" {
		st, args = s.rs[stmtTokensSys], append(args, system)
	}
	return queryIDs(ctx, st, args)
}

func queryIDs(ctx context.Context, st *sql.Stmt, args []any) ([]string, error) {
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: find by token: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("sqlstore: find by token: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore: find by token: %w", err)
	}
	slices.Sort(ids)
	return slices.Compact(ids), nil
}

// History returns versions newest first; see store.Store.
func (s *Store) History(ctx context.Context, q store.HistoryQuery) ([]store.Resource, error) {
	if err := s.usable(ctx); err != nil {
		return nil, err
	}
	if q.ID != "" && q.Type == "" {
		return nil, errHistoryID
	}
	var where []string
	var args []any
	if q.Type != "" {
		where, args = append(where, "type = ?"), append(args, q.Type)
	}
	if q.ID != "" {
		where, args = append(where, "id = ?"), append(args, q.ID)
	}
	if !q.Since.IsZero() {
		// last_updated never decreases along seq: the versions since are
		// those from the first one at or after Since on.
		since := s.d.TimeValue(ceilMilli(q.Since))
		where = append(where, `seq >= (SELECT seq FROM resource_versions
			WHERE last_updated >= ? ORDER BY last_updated, seq LIMIT 1)`, "last_updated >= ?")
		args = append(args, since, since)
	}
	if q.BeforeSeq != 0 {
		where, args = append(where, "seq < ?"), append(args, q.BeforeSeq)
	}
	var b strings.Builder
	b.WriteString("SELECT " + versionColumns + " FROM resource_versions")
	if len(where) > 0 {
		b.WriteString(" WHERE " + strings.Join(where, " AND "))
	}
	if q.ID != "" {
		// The same order for one resource, and it lets the database walk
		// the (type, id, version) index instead of every version of type.
		b.WriteString(" ORDER BY version DESC LIMIT ?")
	} else {
		b.WriteString(" ORDER BY seq DESC LIMIT ?")
	}
	args = append(args, clampCount(q.Count, maxCount))
	rows, err := s.rdb.QueryContext(ctx, s.d.q(b.String()), args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: history: %w", err)
	}
	out, err := scanVersions(rows)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: history: %w", err)
	}
	return out, nil
}

// Changes returns the change feed after a position; see store.Store.
func (s *Store) Changes(ctx context.Context, after int64, limit int) ([]store.Resource, error) {
	if err := s.usable(ctx); err != nil {
		return nil, err
	}
	rows, err := s.rs[stmtChanges].QueryContext(ctx, after, clampCount(limit, maxChangeLimit))
	if err != nil {
		return nil, fmt.Errorf("sqlstore: changes: %w", err)
	}
	out, err := scanVersions(rows)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: changes: %w", err)
	}
	return out, nil
}

func clampCount(n, most int) int {
	switch {
	case n <= 0:
		return defaultCount
	case n > most:
		return most
	}
	return n
}

// scanVersions reads rows of versionColumns and closes rows.
func scanVersions(rows *sql.Rows) ([]store.Resource, error) {
	defer rows.Close()
	var out []store.Resource
	for rows.Next() {
		var r store.Resource
		var at instant
		var body []byte
		if err := rows.Scan(&r.Seq, &r.Type, &r.ID, &r.Version, &at, &r.Deleted, &body); err != nil {
			return nil, err
		}
		r.LastUpdated = at.t
		if !r.Deleted {
			r.Body = body
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Count reports current not-deleted resources and stored versions; it
// implements store.Stats.
func (s *Store) Count(ctx context.Context) (resources, versions int64, err error) {
	if err := s.usable(ctx); err != nil {
		return 0, 0, err
	}
	err = s.rdb.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM resources WHERE NOT deleted),
		(SELECT count(*) FROM resource_versions)`).Scan(&resources, &versions)
	if err != nil {
		return 0, 0, fmt.Errorf("sqlstore: count: %w", err)
	}
	return resources, versions, nil
}

var _ store.Scanner = (*Store)(nil)

// Scan lists current resources of a type in id order; see store.Scanner.
func (s *Store) Scan(ctx context.Context, typ, afterID string, since time.Time, limit int) ([]store.Resource, error) {
	if err := s.usable(ctx); err != nil {
		return nil, err
	}
	q := `SELECT v.seq, v.type, v.id, v.version, v.last_updated, v.deleted, v.body
		FROM resources r JOIN resource_versions v ON v.seq = r.seq
		WHERE r.type = ? AND r.id > ? AND NOT r.deleted`
	args := []any{typ, afterID}
	if !since.IsZero() {
		q += ` AND v.last_updated >= ?`
		args = append(args, s.d.TimeValue(ceilMilli(since)))
	}
	q += ` ORDER BY r.id LIMIT ?`
	args = append(args, clampCount(limit, maxChangeLimit))
	rows, err := s.rdb.QueryContext(ctx, s.d.q(q), args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: scan %s: %w", typ, err)
	}
	out, err := scanVersions(rows)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: scan %s: %w", typ, err)
	}
	return out, nil
}
