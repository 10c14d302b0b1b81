package sqlstore

import (
	"context"
	"database/sql"
	"time"
)

// checkpointer folds the write-ahead log into the database file beside the
// committer, on a connection of its own, so that the copying and the
// database file's fsync do not stall the single writer. The committer pokes
// it after every commit; it runs at most one checkpoint at a time and
// waits at least every between two.
//
// A background checkpoint changes no committed data and never blocks the
// writer (SQLite: PRAGMA wal_checkpoint(PASSIVE)), so durability rests on
// the write-ahead log exactly as before. The writer keeps its own automatic
// checkpoint at a larger threshold: it bounds the log when writes never
// pause long enough for the background checkpoint to catch up.
type checkpointer struct {
	db    *sql.DB
	query string
	every time.Duration
	poke  chan struct{} // capacity 1: pokes while a checkpoint runs coalesce
	stop  chan struct{} // closed by Close once the committer has stopped
	done  chan struct{} // closed when run returns
}

// WithBackgroundCheckpoint runs query (a passive WAL checkpoint) on db
// after commits, at most once per every, from a goroutine of its own. The
// Store owns db and closes it in Close, also when New fails.
func WithBackgroundCheckpoint(db *sql.DB, query string, every time.Duration) Option {
	return func(s *Store) {
		if db != nil && query != "" {
			s.ckpt = &checkpointer{db: db, query: query, every: every,
				poke: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
		}
	}
}

// run is the checkpointer goroutine.
func (c *checkpointer) run(s *Store) {
	defer close(c.done)
	for {
		select {
		case <-c.stop:
			return
		case <-c.poke:
		}
		if _, err := c.db.ExecContext(context.Background(), c.query); err != nil {
			// The writer's own checkpoint still bounds the log.
			s.log.Warn("sqlstore: background checkpoint failed", "dialect", s.d.Name, "err", err)
		}
		if c.every <= 0 {
			continue
		}
		t := time.NewTimer(c.every)
		select {
		case <-c.stop:
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// committed tells the checkpointer that the log has grown (committer only).
func (c *checkpointer) committed() {
	if c == nil {
		return
	}
	select {
	case c.poke <- struct{}{}:
	default:
	}
}

// close stops the goroutine (if started) and closes db.
func (c *checkpointer) close(started bool) error {
	if c == nil {
		return nil
	}
	if started {
		close(c.stop)
		<-c.done
	}
	return c.db.Close()
}
