package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"time"

	"carerecord/internal/store"
)

// request is one queued Write (fn) or maintenance statement (raw).
type request struct {
	ctx  context.Context
	fn   func(store.Tx) error
	raw  func(*sql.DB) error
	done chan struct{} // closed when err/panicked are final

	err      error
	panicked bool
	panicVal any
}

func (r *request) answer(err error) {
	r.err = err
	close(r.done)
}

// group is one database transaction shared by several Writes.
type group struct {
	s          *Store
	tx         *sql.Tx
	stmts      [numStmts]*sql.Stmt // writer statements bound to tx, made on first use
	ts         time.Time           // LastUpdated of every version in the group
	savepoints bool                // each fn in its own savepoint (false: the group has one fn)
	bytes      int                 // body bytes written so far
	pending    []*request          // fns that succeeded; answered after COMMIT
}

// stmt returns writer statement i bound to g's transaction.
func (g *group) stmt(i int) *sql.Stmt {
	if g.stmts[i] == nil {
		g.stmts[i] = g.tx.StmtContext(context.Background(), g.s.ws[i])
	}
	return g.stmts[i]
}

// commitLoop is the committer goroutine: it drains the queue in batches
// until Close closes the queue.
func (s *Store) commitLoop() {
	defer close(s.done)
	batch := make([]*request, 0, s.maxBatch)
	last := 0 // size of the previous batch
	for r := range s.queue {
		batch = s.fill(append(batch[:0], r))
		// Writers answered by the previous batch are runnable but may not
		// have queued their next Write yet: yield a few times so they can
		// join this batch instead of waiting for the next COMMIT.
		for range yieldRounds {
			if len(batch) >= last || len(batch) >= s.maxBatch {
				break
			}
			runtime.Gosched()
			batch = s.fill(batch)
		}
		last = len(batch)
		s.runBatch(batch)
		clear(batch)
	}
}

// yieldRounds bounds how often the committer yields to let writers queue.
const yieldRounds = 4

// fill adds the requests already queued, up to the batch size.
func (s *Store) fill(batch []*request) []*request {
	for len(batch) < s.maxBatch {
		select {
		case r, ok := <-s.queue:
			if !ok {
				return batch
			}
			batch = append(batch, r)
		default:
			return batch
		}
	}
	return batch
}

// runBatch runs the requests in order, in as few transactions as the byte
// budget and maintenance requests allow.
func (s *Store) runBatch(batch []*request) {
	var g *group
	for i, r := range batch {
		if r.raw != nil {
			if g != nil {
				s.commit(g)
				g = nil
			}
			r.answer(r.raw(s.wdb))
			continue
		}
		if err := r.ctx.Err(); err != nil {
			r.answer(err)
			continue
		}
		if g == nil {
			var err error
			if g, err = s.begin(moreThanOneWrite(batch[i:])); err != nil {
				r.answer(err)
				continue
			}
		}
		if !s.runFn(g, r) {
			g = nil
			continue
		}
		if g.bytes >= s.maxBytes {
			s.commit(g)
			g = nil
		}
	}
	if g != nil {
		s.commit(g)
	}
}

func moreThanOneWrite(rs []*request) bool {
	n := 0
	for _, r := range rs {
		if r.fn != nil {
			if n++; n > 1 {
				return true
			}
		}
	}
	return false
}

// begin opens a group transaction and fixes its LastUpdated: now, or the
// newest stored instant if that is later (the clock stepped back, or another
// process writing the same database runs ahead).
func (s *Store) begin(savepoints bool) (*group, error) {
	ctx := context.Background()
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: begin: %w", err)
	}
	g := &group{s: s, tx: tx, savepoints: savepoints}
	if s.d.LockFeed != "" {
		if _, err := tx.ExecContext(ctx, s.d.LockFeed); err != nil {
			_ = tx.Rollback()
			return nil, fmt.Errorf("sqlstore: lock change feed: %w", err)
		}
	}
	// Read after the lock (SQLite: after BEGIN IMMEDIATE took the write
	// lock), so that the newest instant is the newest committed anywhere.
	var last instant
	switch err := g.stmt(stmtNewest).QueryRowContext(ctx).Scan(&last); {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		_ = tx.Rollback()
		return nil, fmt.Errorf("sqlstore: read newest instant: %w", err)
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	now = latest(now, last.t, s.lastTS)
	s.lastTS, g.ts = now, now
	return g, nil
}

func latest(ts ...time.Time) time.Time {
	var m time.Time
	for _, t := range ts {
		if t.After(m) {
			m = t
		}
	}
	return m
}

// runFn runs one Write function in g. It reports whether g is still open.
func (s *Store) runFn(g *group, r *request) bool {
	ctx := context.Background()
	if g.savepoints {
		if _, err := g.stmt(stmtSavepoint).ExecContext(ctx); err != nil {
			s.abort(g, r, fmt.Errorf("sqlstore: savepoint: %w", err))
			return false
		}
	}
	t := &txView{g: g}
	err := callFn(r, t)
	t.done = true
	if err == nil {
		err = t.err // a statement failed and fn went on as if it had not
	}
	failed := err != nil || r.panicked
	switch {
	case !g.savepoints && failed:
		_ = g.tx.Rollback()
		r.answer(err)
		return false
	case !g.savepoints:
		g.pending = append(g.pending, r)
		return true
	case failed:
		if _, rerr := g.stmt(stmtRollbackTo).ExecContext(ctx); rerr != nil {
			s.abort(g, r, fmt.Errorf("sqlstore: rollback to savepoint: %w", rerr))
			return false
		}
		r.answer(err) // nothing of fn is left in g
		g.bytes -= t.bytes
	default:
		g.pending = append(g.pending, r)
	}
	if _, err := g.stmt(stmtRelease).ExecContext(ctx); err != nil {
		s.abort(g, nil, fmt.Errorf("sqlstore: release savepoint: %w", err))
		return false
	}
	return true
}

// callFn runs fn, turning a panic into r.panicked so that Write re-raises it
// on the caller's goroutine.
func callFn(r *request, t *txView) (err error) {
	defer func() {
		if v := recover(); v != nil {
			r.panicked, r.panicVal = true, v
			t.g.s.log.Error("sqlstore: write function panicked", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
		}
	}()
	return r.fn(t)
}

// commit commits g and answers its Writes.
func (s *Store) commit(g *group) {
	var err error
	if s.beforeCommit != nil {
		err = s.beforeCommit()
	}
	if err != nil {
		_ = g.tx.Rollback()
	} else {
		err = g.tx.Commit()
	}
	if err != nil {
		err = fmt.Errorf("sqlstore: commit: %w", err)
		s.log.Error("sqlstore: group commit failed", "dialect", s.d.Name, "writes", len(g.pending), "err", err)
	}
	for _, r := range g.pending {
		r.answer(err)
	}
}

// abort rolls g back after a failure that broke the transaction itself:
// every Write in it, and cur (if not nil and not yet answered), gets err.
func (s *Store) abort(g *group, cur *request, err error) {
	_ = g.tx.Rollback()
	s.log.Error("sqlstore: group transaction aborted", "dialect", s.d.Name, "writes", len(g.pending), "err", err)
	for _, r := range g.pending {
		r.answer(err)
	}
	if cur != nil {
		cur.answer(err)
	}
}
