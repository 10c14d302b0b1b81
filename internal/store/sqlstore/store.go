// Package sqlstore owns the one implementation of store.Store over
// database/sql: resources and all their versions, the token index, the
// change feed and group commit. It is parameterised by a small Dialect;
// store/sqlite and store/postgres open their driver, migrate the schema and
// hand both connection pools to New.
//
// Writes go through one committer goroutine per Store. It takes every Write
// waiting (up to a count and byte budget), runs them in ONE database
// transaction and commits once; a Write is answered only after that commit
// succeeded. The functions run without savepoints (SQLite copies every page
// a savepoint's function first changes into a sub-journal, which cost index
// writes more than half their time): when one fails after others succeeded
// in the same transaction, the transaction is rolled back, the failed Write
// answered, and the others run again, each in a savepoint of its own. A
// Write function may therefore run more than once; it must have no effect
// outside its Tx but the results it records. Reads
// use a separate pool and never wait for the committer. All versions
// committed together share one LastUpdated, which never goes backwards.
// Tx.Once keys (table applied_keys) are written in the group transaction
// like versions, stamped with that LastUpdated, and so are the message
// log's rows (Tx.LogMessage; messages.go).
//
// Optionally (WithBackgroundCheckpoint, used by store/sqlite) a second
// goroutine folds the write-ahead log into the database file on a
// connection of its own after commits, so that the committer does not.
//
// Only packages under internal/store may import sqlstore. Callers above the
// store layer depend on the store interfaces, never on this package.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"carerecord/internal/store"
)

var (
	_ store.Store = (*Store)(nil)
	_ store.Stats = (*Store)(nil)
)

// Defaults for group commit.
const (
	DefaultMaxBatch = 256      // Write functions per transaction
	DefaultMaxBytes = 32 << 20 // body bytes per transaction before it commits early
)

// Store is a record store over database/sql. Make one with New (or with
// sqlite.Open / postgres.Open); it is safe for concurrent use.
type Store struct {
	d        Dialect
	wdb, rdb *sql.DB
	rs, ws   [numStmts]*sql.Stmt
	log      *slog.Logger
	maxBatch int
	maxBytes int

	queue  chan *request
	mu     sync.RWMutex // held for reading while sending on queue; Close takes it to close queue
	closed atomic.Bool
	done   chan struct{} // closed when the committer has drained the queue

	now          func() time.Time // the clock (tests replace it)
	beforeCommit func() error     // test hook: an error here fails the COMMIT
	ckpt         *checkpointer    // background WAL checkpoints; nil: none
	lastTS       time.Time        // newest LastUpdated handed out; committer only
	idx          idxStmts         // index row statements; committer only
	pids         pidCache         // committed search_params
	stmts        stmtCache        // prepared search statements on rdb
}

// Option adjusts a Store made by New.
type Option func(*Store)

// WithMaxBatch caps how many Write functions share one transaction.
func WithMaxBatch(n int) Option {
	return func(s *Store) {
		if n > 0 {
			s.maxBatch = n
		}
	}
}

// WithMaxBytes caps the body bytes one transaction writes before it commits
// and the next Writes start a new one.
func WithMaxBytes(n int) Option {
	return func(s *Store) {
		if n > 0 {
			s.maxBytes = n
		}
	}
}

// WithClock sets the clock LastUpdated is read from (default time.Now).
// Tests use it; LastUpdated still never goes backwards.
func WithClock(now func() time.Time) Option {
	return func(s *Store) {
		if now != nil {
			s.now = now
		}
	}
}

// WithLogger sets the logger for committer failures (default slog.Default).
func WithLogger(l *slog.Logger) Option {
	return func(s *Store) {
		if l != nil {
			s.log = l
		}
	}
}

// New makes a Store over a migrated schema. wdb is used by the committer
// only and should hold one connection; rdb serves reads. The Store owns both
// pools (and the checkpoint pool of WithBackgroundCheckpoint) and closes
// them in Close, also when New fails.
func New(ctx context.Context, wdb, rdb *sql.DB, d Dialect, opts ...Option) (*Store, error) {
	s := &Store{
		d: d, wdb: wdb, rdb: rdb, log: slog.Default(),
		maxBatch: DefaultMaxBatch, maxBytes: DefaultMaxBytes,
		done: make(chan struct{}), now: time.Now,
	}
	for _, o := range opts {
		o(s)
	}
	fail := func(err error) (*Store, error) {
		closeStmts(s.rs[:])
		closeStmts(s.ws[:])
		closeStmts(s.idx.all())
		return nil, errors.Join(err, wdb.Close(), rdb.Close(), s.ckpt.close(false))
	}
	var err error
	if s.rs, err = prepare(ctx, rdb, d, readStmts); err != nil {
		return fail(err)
	}
	if s.ws, err = prepare(ctx, wdb, d, writeStmts); err != nil {
		return fail(err)
	}
	if s.idx, err = prepareIndex(ctx, wdb, d); err != nil {
		return fail(err)
	}
	s.queue = make(chan *request, s.maxBatch)
	go s.commitLoop()
	if s.ckpt != nil {
		go s.ckpt.run(s)
	}
	return s, nil
}

// Close stops taking Writes, waits until every Write already queued has been
// committed and answered, then closes both pools.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed.Load() {
		s.mu.Unlock()
		return nil
	}
	s.closed.Store(true)
	close(s.queue)
	s.mu.Unlock()
	<-s.done
	ckptErr := s.ckpt.close(true)
	closeStmts(s.rs[:])
	closeStmts(s.ws[:])
	closeStmts(s.idx.all())
	s.stmts.close()
	if err := errors.Join(ckptErr, s.wdb.Close(), s.rdb.Close()); err != nil {
		return fmt.Errorf("sqlstore: close: %w", err)
	}
	return nil
}

// Checkpoint folds the write-ahead log into the database file where the
// dialect has one (SQLite), between two group transactions.
func (s *Store) Checkpoint(ctx context.Context) error {
	return s.maintain(ctx, "checkpoint", s.d.Checkpoint)
}

// Vacuum reclaims space and refreshes planner statistics, between two group
// transactions. On SQLite it rewrites the whole file: run it rarely.
func (s *Store) Vacuum(ctx context.Context) error {
	return s.maintain(ctx, "vacuum", s.d.Vacuum)
}

func (s *Store) maintain(ctx context.Context, op, query string) error {
	if query == "" {
		return nil
	}
	err := s.submit(ctx, &request{ctx: ctx, raw: func(db *sql.DB) error {
		_, err := db.ExecContext(ctx, query)
		return err
	}})
	if err != nil {
		return fmt.Errorf("sqlstore: %s: %w", op, err)
	}
	return nil
}

// Write runs fn atomically; see store.Store. fn runs on the committer
// goroutine in a transaction shared with other Writes, and may run twice
// (see the package comment). A panic in fn is re-raised in the caller of
// Write after fn's changes were rolled back.
func (s *Store) Write(ctx context.Context, fn func(store.Tx) error) error {
	return s.submit(ctx, &request{ctx: ctx, fn: fn})
}

func (s *Store) submit(ctx context.Context, r *request) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r.done = make(chan struct{})
	s.mu.RLock()
	if s.closed.Load() {
		s.mu.RUnlock()
		return store.ErrClosed
	}
	select {
	case s.queue <- r:
	case <-ctx.Done():
		s.mu.RUnlock()
		return ctx.Err()
	}
	s.mu.RUnlock()
	<-r.done
	if r.panicked {
		panic(r.panicVal)
	}
	return r.err
}
