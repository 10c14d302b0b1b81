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
	stmts      [numStmts]*sql.Stmt     // writer statements bound to tx, made on first use
	bound      map[*sql.Stmt]*sql.Stmt // index statements bound to tx (idxStmt)
	savepoints bool                    // each fn runs in a savepoint of its own
	ts         time.Time               // LastUpdated of every version in the group
	bytes      int                     // body bytes written so far
	nextSeq    int64                   // seq of the next version (Dialect.AssignSeq)
	pending    []*request              // fns that succeeded; answered after COMMIT
	newPids    map[pidKey]int64        // search_params rows added in tx
	queued     [numTables][]any        // index rows not yet inserted (flushIndex)
	msgRows    []any                   // message_patients rows not yet inserted (flushIndex)
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
	for len(batch) > 0 {
		r := batch[0]
		if r.raw != nil {
			r.answer(r.raw(s.wdb))
			batch = batch[1:]
			continue
		}
		batch = batch[s.runGroup(batch):]
	}
}

// runGroup runs Write requests from the front of reqs in one transaction,
// until a maintenance request or the byte budget, and returns how many it
// took (each is answered, or will be when the transaction commits).
//
// The functions run without savepoints. When one fails after others ran
// in the transaction, the transaction is rolled back, the failed one
// answered, and the others run again in a new transaction, each in a
// savepoint of its own, as do the rest of the group; so a failure costs
// one rerun of the Writes before it.
func (s *Store) runGroup(reqs []*request) int {
	g, err := s.begin(false)
	if err != nil {
		reqs[0].answer(err)
		return 1
	}
	n := 0
	for n < len(reqs) && reqs[n].raw == nil && g.bytes < s.maxBytes {
		r := reqs[n]
		n++
		if err := r.ctx.Err(); err != nil {
			r.answer(err)
			continue
		}
		ok, err := s.runFn(g, r)
		switch {
		case ok:
			continue
		case g.tx == nil: // the transaction itself broke; all answered
			return n
		case g.savepoints: // r's changes are undone; g goes on
			r.answer(err)
			continue
		}
		_ = g.tx.Rollback()
		r.answer(err)
		if len(g.pending) == 0 {
			return n // it ran first: nothing else to undo or rerun
		}
		if g = s.rerun(g.pending); g == nil {
			return n
		}
	}
	s.commit(g)
	return n
}

// rerun runs reqs again in a new transaction, each in a savepoint, after
// the transaction they shared with a failed Write was rolled back. It
// returns the transaction, still open, or nil when it could not go on
// (every Write answered).
func (s *Store) rerun(reqs []*request) *group {
	g, err := s.begin(true)
	if err != nil {
		for _, r := range reqs {
			r.answer(err)
		}
		return nil
	}
	for _, r := range reqs {
		ok, err := s.runFn(g, r)
		switch {
		case g.tx == nil:
			return nil
		case !ok:
			r.answer(err)
		}
	}
	return g
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
	var (
		seq  int64
		last instant
	)
	switch err := g.stmt(stmtNewest).QueryRowContext(ctx).Scan(&seq, &last); {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		_ = tx.Rollback()
		return nil, fmt.Errorf("sqlstore: read newest instant: %w", err)
	}
	g.nextSeq = seq + 1
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

// runFn runs one Write function in g. It reports whether it succeeded,
// and otherwise its error: without savepoints the caller decides what
// happens to g; with them fn's changes are already undone and g goes on.
// When the transaction itself broke, every Write in it (and r) has been
// answered and g.tx is nil.
func (s *Store) runFn(g *group, r *request) (bool, error) {
	ctx := context.Background()
	if g.savepoints {
		if _, err := g.stmt(stmtSavepoint).ExecContext(ctx); err != nil {
			s.abort(g, r, fmt.Errorf("sqlstore: savepoint: %w", err))
			return false, nil
		}
	}
	t := &txView{g: g}
	seq := g.nextSeq
	err := callFn(r, t)
	t.done = true
	if err == nil {
		err = t.err // a statement failed and fn went on as if it had not
	}
	if err == nil && !r.panicked && g.savepoints {
		err = g.flushIndex() // inside fn's savepoint
	}
	failed := err != nil || r.panicked
	switch {
	case !g.savepoints:
		if !failed {
			g.pending = append(g.pending, r)
		}
		return !failed, err
	case failed:
		if _, rerr := g.stmt(stmtRollbackTo).ExecContext(ctx); rerr != nil {
			s.abort(g, r, fmt.Errorf("sqlstore: rollback to savepoint: %w", rerr))
			return false, nil
		}
		g.bytes -= t.bytes
		g.nextSeq = seq // its versions' numbers are free again
		for i := range g.queued {
			g.queued[i] = g.queued[i][:0] // all fn's: the queue was empty when it began
		}
		g.msgRows = g.msgRows[:0]
	default:
		g.pending = append(g.pending, r)
	}
	if _, rerr := g.stmt(stmtRelease).ExecContext(ctx); rerr != nil {
		if failed {
			r.answer(err)
		}
		s.abort(g, nil, fmt.Errorf("sqlstore: release savepoint: %w", rerr))
		return false, nil
	}
	return !failed, err
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
	err := g.flushIndex()
	if err == nil && s.beforeCommit != nil {
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
	} else {
		s.ckpt.committed()
		s.pids.add(g.newPids)
	}
	for _, r := range g.pending {
		r.answer(err)
	}
}

// abort rolls g back after a failure that broke the transaction itself:
// every Write in it, and cur (if not nil and not yet answered), gets err.
func (s *Store) abort(g *group, cur *request, err error) {
	_ = g.tx.Rollback()
	g.tx = nil
	s.log.Error("sqlstore: group transaction aborted", "dialect", s.d.Name, "writes", len(g.pending), "err", err)
	for _, r := range g.pending {
		r.answer(err)
	}
	if cur != nil {
		cur.answer(err)
	}
}
