package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"carerecord/internal/store"
)

// errBadOnceKey is returned by Once for a key that is empty, longer than
// store.MaxOnceKey, not UTF-8, or holds a NUL byte (PostgreSQL text cannot).
var errBadOnceKey = fmt.Errorf("sqlstore: once key must be 1 to %d bytes of UTF-8 without NUL", store.MaxOnceKey)

// Once records key in applied_keys with the group's LastUpdated; see
// store.Tx. The insert runs in the group transaction like a Put, so a
// failed Write's key is undone with the rest of it: by the rollback of the
// whole group (without savepoints) or by ROLLBACK TO its savepoint.
func (t *txView) Once(ctx context.Context, key string) (bool, error) {
	if err := t.check(ctx); err != nil {
		return false, err
	}
	if key == "" || len(key) > store.MaxOnceKey || !utf8.ValidString(key) || strings.IndexByte(key, 0) >= 0 {
		return false, errBadOnceKey
	}
	res, err := t.stmt(stmtOnce).ExecContext(context.Background(), key, t.g.s.d.TimeValue(t.g.ts))
	var n int64
	if err == nil {
		n, err = res.RowsAffected()
	}
	if err != nil {
		return false, t.fail(fmt.Errorf("sqlstore: record once key: %w", err))
	}
	return n == 1, nil
}

// pruneBatch bounds the keys one statement of PruneOnce deletes, so that
// pruning a large backlog holds the writer for short turns between group
// transactions instead of one long one.
const pruneBatch = 5000

const pruneOnce = `DELETE FROM applied_keys WHERE key IN
	(SELECT key FROM applied_keys WHERE applied_at < ? LIMIT ?)`

// PruneOnce deletes Tx.Once keys recorded before before; see store.Store.
// It runs through the committer, between group transactions, in batches of
// pruneBatch keys.
func (s *Store) PruneOnce(ctx context.Context, before time.Time) (int64, error) {
	// Keys carry millisecond instants: at < before exactly when at is
	// before before rounded up to the millisecond.
	cut := s.d.TimeValue(ceilMilli(before))
	var total int64
	for {
		var n int64
		err := s.submit(ctx, &request{ctx: ctx, raw: func(db *sql.DB) error {
			res, err := db.ExecContext(ctx, s.d.q(pruneOnce), cut, pruneBatch)
			if err == nil {
				n, err = res.RowsAffected()
			}
			return err
		}})
		if err != nil {
			return total, fmt.Errorf("sqlstore: prune once keys: %w", err)
		}
		total += n
		if n < pruneBatch {
			return total, nil
		}
	}
}
