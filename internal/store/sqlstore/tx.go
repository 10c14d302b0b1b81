package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"carerecord/internal/fhir"
	"carerecord/internal/store"
)

// errTxDone is returned by a Tx used after its Write function returned.
var errTxDone = errors.New("sqlstore: Tx used after its Write function returned")

// errBadKey is returned for a Put or Delete without a type or id.
var errBadKey = errors.New("sqlstore: resource type and id are required")

// txView is the store.Tx handed to one Write function. Its statements run
// in the group transaction, so reads see earlier writes of the same group.
// Statements use a background context: a caller giving up must not break the
// transaction other Writes share. The caller's ctx is checked before each.
type txView struct {
	g     *group
	done  bool
	err   error // first statement that failed
	bytes int   // body bytes this fn wrote
}

var _ store.Tx = (*txView)(nil)

func (t *txView) check(ctx context.Context) error {
	if t.done {
		return errTxDone
	}
	return ctx.Err()
}

// stmt returns writer statement i bound to the group transaction.
func (t *txView) stmt(i int) *sql.Stmt { return t.g.stmt(i) }

// fail records a failed statement: the Write fails even if fn ignores it.
func (t *txView) fail(err error) error {
	if t.err == nil {
		t.err = err
	}
	return err
}

func (t *txView) Read(ctx context.Context, typ, id string) (*store.Resource, error) {
	if err := t.check(ctx); err != nil {
		return nil, err
	}
	r, err := scanCurrent(t.stmt(stmtCurrent).QueryRowContext(context.Background(), typ, id), typ, id)
	if err != nil && !isCondition(err) {
		return nil, t.fail(err)
	}
	return r, err
}

func (t *txView) FindByToken(ctx context.Context, typ, param, system, value string) ([]string, error) {
	if err := t.check(ctx); err != nil {
		return nil, err
	}
	if err := t.g.flushIndex(); err != nil {
		return nil, t.fail(err)
	}
	st, args := t.stmt(stmtTokens), []any{typ, param, value}
	if system != "" {
		st, args = t.stmt(stmtTokensSys), append(args, system)
	}
	ids, err := queryIDs(context.Background(), st, args)
	if err != nil {
		return nil, t.fail(err)
	}
	return ids, nil
}

// current is what resources says about one resource.
type current struct {
	exists, deleted bool
	version, seq    int64
}

func (t *txView) current(typ, id string) (current, error) {
	var c current
	err := t.stmt(stmtMeta).QueryRowContext(context.Background(), typ, id).Scan(&c.version, &c.deleted, &c.seq)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return c, nil
	case err != nil:
		return c, t.fail(fmt.Errorf("sqlstore: read %s/%s: %w", typ, id, err))
	}
	c.exists = true
	return c, nil
}

func (t *txView) Put(ctx context.Context, p store.Put) (*store.Resource, error) {
	if err := t.check(ctx); err != nil {
		return nil, err
	}
	if p.Type == "" || p.ID == "" {
		return nil, errBadKey
	}
	if r, err := t.create(p); r != nil || err != nil {
		return r, err
	}
	cur, err := t.current(p.Type, p.ID)
	if err != nil {
		return nil, err
	}
	if (p.IfNoneExist && cur.exists && !cur.deleted) ||
		(p.IfMatch != 0 && (!cur.exists || cur.version != p.IfMatch)) {
		return nil, fmt.Errorf("sqlstore: put %s/%s: %w", p.Type, p.ID, store.ErrVersionConflict)
	}
	r := &store.Resource{Type: p.Type, ID: p.ID, Version: cur.version + 1, LastUpdated: t.g.ts}
	if r.Body, err = fhir.SetMeta(p.Body, p.ID, r.Version, r.LastUpdated); err != nil {
		return nil, fmt.Errorf("sqlstore: put %s/%s: %w", p.Type, p.ID, err)
	}
	if err := t.writeVersion(r, cur.exists); err != nil {
		return nil, err
	}
	if cur.exists && !cur.deleted {
		if err := t.deleteIndex(cur.seq); err != nil {
			return nil, err
		}
	}
	if err := t.writeIndex(p.Type, r.Seq, p.Index); err != nil {
		return nil, err
	}
	t.bytes += len(r.Body)
	t.g.bytes += len(r.Body)
	return r, nil
}

// create is Put's fast path for a create (IfNoneExist) where the committer
// numbers versions (Dialect.AssignSeq): it claims the resources row first,
// which both says that the resource does not exist and points it at the
// version about to be written, so the create reads nothing. It returns nil,
// nil when Put must take the general path: the resource exists (deleted or
// not), or the body is bad (so that the errors are the general path's).
func (t *txView) create(p store.Put) (*store.Resource, error) {
	if !t.g.s.d.AssignSeq || !p.IfNoneExist || p.IfMatch != 0 {
		return nil, nil
	}
	r := &store.Resource{Type: p.Type, ID: p.ID, Version: 1, LastUpdated: t.g.ts, Seq: t.g.nextSeq}
	body, err := fhir.SetMeta(p.Body, p.ID, r.Version, r.LastUpdated)
	if err != nil {
		return nil, nil
	}
	ctx := context.Background()
	res, err := t.stmt(stmtClaimResource).ExecContext(ctx, r.Type, r.ID, r.Version, false, r.Seq)
	var n int64
	if err == nil {
		n, err = res.RowsAffected()
	}
	switch {
	case err != nil:
		return nil, t.fail(fmt.Errorf("sqlstore: claim %s/%s: %w", r.Type, r.ID, err))
	case n == 0:
		return nil, nil // it exists
	}
	r.Body = body
	if err := t.insertVersion(ctx, r); err != nil {
		return nil, t.fail(fmt.Errorf("sqlstore: insert version %s/%s/%d: %w", r.Type, r.ID, r.Version, err))
	}
	if err := t.writeIndex(p.Type, r.Seq, p.Index); err != nil {
		return nil, err
	}
	t.bytes += len(r.Body)
	t.g.bytes += len(r.Body)
	return r, nil
}

func (t *txView) Delete(ctx context.Context, typ, id string, ifMatch int64) (*store.Resource, error) {
	if err := t.check(ctx); err != nil {
		return nil, err
	}
	if typ == "" || id == "" {
		return nil, errBadKey
	}
	cur, err := t.current(typ, id)
	switch {
	case err != nil:
		return nil, err
	case !cur.exists:
		return nil, fmt.Errorf("sqlstore: delete %s/%s: %w", typ, id, store.ErrNotFound)
	case ifMatch != 0 && cur.version != ifMatch:
		return nil, fmt.Errorf("sqlstore: delete %s/%s: %w", typ, id, store.ErrVersionConflict)
	case cur.deleted:
		r, err := t.Read(ctx, typ, id)
		if errors.Is(err, store.ErrGone) {
			return r, nil // already deleted: the existing deletion, nothing written
		}
		return nil, fmt.Errorf("sqlstore: delete %s/%s: %w", typ, id, err)
	}
	r := &store.Resource{Type: typ, ID: id, Version: cur.version + 1, LastUpdated: t.g.ts, Deleted: true}
	if err := t.writeVersion(r, true); err != nil {
		return nil, err
	}
	if err := t.deleteIndex(cur.seq); err != nil {
		return nil, err
	}
	return r, nil
}

// writeVersion inserts r as a new version, sets r.Seq, and points resources
// at it (existed: resources already has a row for it).
func (t *txView) writeVersion(r *store.Resource, existed bool) error {
	ctx := context.Background()
	if t.g.s.d.WriteVersion != "" {
		args := []any{r.Type, r.ID, r.Version, t.g.s.d.TimeValue(r.LastUpdated), r.Deleted, versionBody(r)}
		if err := t.stmt(stmtWriteVersion).QueryRowContext(ctx, args...).Scan(&r.Seq); err != nil {
			return t.fail(fmt.Errorf("sqlstore: write version %s/%s/%d: %w", r.Type, r.ID, r.Version, err))
		}
		return nil
	}
	if err := t.insertVersion(ctx, r); err != nil {
		return t.fail(fmt.Errorf("sqlstore: insert version %s/%s/%d: %w", r.Type, r.ID, r.Version, err))
	}
	var err error
	if existed {
		_, err = t.stmt(stmtUpdResource).ExecContext(ctx, r.Version, r.Deleted, r.Seq, r.Type, r.ID)
	} else {
		_, err = t.stmt(stmtInsResource).ExecContext(ctx, r.Type, r.ID, r.Version, r.Deleted, r.Seq)
	}
	if err != nil {
		return t.fail(fmt.Errorf("sqlstore: update current %s/%s: %w", r.Type, r.ID, err))
	}
	return nil
}

// insertVersion inserts the resource_versions row of r and sets r.Seq.
func (t *txView) insertVersion(ctx context.Context, r *store.Resource) error {
	st := t.stmt(stmtInsVersion)
	cols := []any{nil, r.Type, r.ID, r.Version, t.g.s.d.TimeValue(r.LastUpdated), r.Deleted, versionBody(r)}
	if !t.g.s.d.AssignSeq {
		return st.QueryRowContext(ctx, cols[1:]...).Scan(&r.Seq)
	}
	seq := t.g.nextSeq
	cols[0] = seq
	if _, err := st.ExecContext(ctx, cols...); err != nil {
		return err
	}
	r.Seq = seq
	t.g.nextSeq++
	return nil
}

// versionBody is the body column of r's version: NULL for a deletion.
func versionBody(r *store.Resource) any {
	if r.Deleted {
		return nil
	}
	return r.Body
}
