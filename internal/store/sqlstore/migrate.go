package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// ErrSchemaTooNew is returned by Migrate when the database was migrated by a
// newer carerecord than this one.
var ErrSchemaTooNew = errors.New("sqlstore: database schema is newer than this program")

// Migrate brings the schema to len(migrations) in one transaction.
// migrations[i] takes the schema from version i to i+1 and may hold several
// statements; they never change once released (append new ones instead).
// lock, when set, runs first and must keep other processes from migrating at
// the same time (PostgreSQL: an advisory transaction lock). The version is
// kept in the one-row table schema_version.
func Migrate(ctx context.Context, db *sql.DB, d Dialect, lock string, migrations []string) (err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlstore: migrate: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if lock != "" {
		if _, err := tx.ExecContext(ctx, lock); err != nil {
			return fmt.Errorf("sqlstore: migrate: lock: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("sqlstore: migrate: %w", err)
	}
	var have int
	err = tx.QueryRowContext(ctx, `SELECT version FROM schema_version`).Scan(&have)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_version (version) VALUES (0)`); err != nil {
			return fmt.Errorf("sqlstore: migrate: %w", err)
		}
	case err != nil:
		return fmt.Errorf("sqlstore: migrate: read version: %w", err)
	case have > len(migrations):
		return fmt.Errorf("%w: version %d, this program knows %d", ErrSchemaTooNew, have, len(migrations))
	}
	for i := have; i < len(migrations); i++ {
		if _, err := tx.ExecContext(ctx, migrations[i]); err != nil {
			return fmt.Errorf("sqlstore: migrate to version %d: %w", i+1, err)
		}
	}
	if _, err := tx.ExecContext(ctx, d.q(`UPDATE schema_version SET version = ?`), len(migrations)); err != nil {
		return fmt.Errorf("sqlstore: migrate: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlstore: migrate: commit: %w", err)
	}
	return nil
}
