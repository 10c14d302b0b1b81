// Package postgres opens the record store on PostgreSQL (driver
// github.com/jackc/pgx/v5/stdlib): it creates and migrates the schema and
// returns the shared implementation, *sqlstore.Store, with one writer
// connection used by the group committer and a pool of readers.
//
// Several carerecord nodes may write one database. Every group transaction
// first takes a transaction-scoped advisory lock, so seq (from the identity
// sequence of resource_versions) is given out in commit order across all
// nodes and a change-feed reader never skips a row that commits late.
//
// Only the server (which chooses the backend) and tests import this package.
package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"hash/fnv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"carerecord/internal/store"
	"carerecord/internal/store/sqlstore"
)

var _ store.Store = (*sqlstore.Store)(nil)

// Dialect is PostgreSQL's: $n placeholders, last_updated as timestamptz,
// seq by INSERT ... RETURNING. Open adds the feed lock, whose key depends
// on the schema.
var Dialect = sqlstore.Dialect{
	Name:      "postgres",
	Rebind:    sqlstore.DollarPlaceholders,
	TimeValue: sqlstore.TimeAsIs,
	Vacuum: "VACUUM (ANALYZE) resource_versions, resources, search_params, idx_string, idx_token, " +
		"idx_date, idx_ref, idx_quantity, idx_number, idx_uri",
	BodyText:      "convert_from($body, 'UTF8')",
	NarrativeText: "(convert_from($body, 'UTF8')::jsonb #>> '{text,div}')",
	Explain:       "EXPLAIN ",
	WriteVersion: `WITH v AS (
			INSERT INTO resource_versions (type, id, version, last_updated, deleted, body)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING seq)
		INSERT INTO resources (type, id, version, deleted, seq) SELECT $1, $2, $3, $5, seq FROM v
		ON CONFLICT (type, id) DO UPDATE
		SET version = excluded.version, deleted = excluded.deleted, seq = excluded.seq
		RETURNING seq`,
}

// Option adjusts Open.
type Option func(*config)

type config struct {
	schema    string
	readers   int
	storeOpts []sqlstore.Option
}

// WithSchema keeps the store in the named schema (created if missing) by
// setting search_path on every connection. Tests use it to run side by side
// in one database.
func WithSchema(name string) Option { return func(c *config) { c.schema = name } }

// WithReaders sets the size of the read pool (default 8).
func WithReaders(n int) Option {
	return func(c *config) {
		if n > 0 {
			c.readers = n
		}
	}
}

// WithStoreOptions passes options on to sqlstore.New.
func WithStoreOptions(opts ...sqlstore.Option) Option {
	return func(c *config) { c.storeOpts = append(c.storeOpts, opts...) }
}

// Open connects to the database named by dsn (a postgres:// URL or
// key=value string), migrates the schema and returns the store.
func Open(ctx context.Context, dsn string, opts ...Option) (*sqlstore.Store, error) {
	c := config{readers: 8}
	for _, o := range opts {
		o(&c)
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	if c.schema != "" {
		cfg.RuntimeParams["search_path"] = pgx.Identifier{c.schema}.Sanitize()
	}
	wdb := stdlib.OpenDB(*cfg)
	wdb.SetMaxOpenConns(1)
	wdb.SetMaxIdleConns(1)
	d, err := prepareSchema(ctx, wdb, c.schema)
	if err != nil {
		_ = wdb.Close()
		return nil, err
	}
	rdb := stdlib.OpenDB(*cfg)
	rdb.SetMaxOpenConns(c.readers)
	rdb.SetMaxIdleConns(c.readers)
	s, err := sqlstore.New(ctx, wdb, rdb, d, c.storeOpts...)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	return s, nil
}

// prepareSchema creates the schema if asked, migrates it, and returns the
// dialect with the feed lock of that schema.
func prepareSchema(ctx context.Context, db *sql.DB, schema string) (sqlstore.Dialect, error) {
	d := Dialect
	if schema != "" {
		if _, err := db.ExecContext(ctx, "CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{schema}.Sanitize()); err != nil {
			return d, fmt.Errorf("postgres: create schema: %w", err)
		}
	}
	var current sql.NullString
	if err := db.QueryRowContext(ctx, "SELECT current_schema()").Scan(&current); err != nil {
		return d, fmt.Errorf("postgres: open: %w", err)
	}
	if !current.Valid {
		return d, fmt.Errorf("postgres: open: no schema on the search_path exists")
	}
	key := lockKey(current.String)
	migrateLock := fmt.Sprintf("SELECT pg_advisory_xact_lock(%d)", key^1)
	if err := sqlstore.Migrate(ctx, db, d, migrateLock, migrations); err != nil {
		return d, fmt.Errorf("postgres: open: %w", err)
	}
	d.LockFeed = fmt.Sprintf("SELECT pg_advisory_xact_lock(%d)", key)
	return d, nil
}

// lockKey is the advisory lock key of the change feed in one schema.
func lockKey(schema string) int64 {
	h := fnv.New64a()
	h.Write([]byte("carerecord change feed\x00" + schema))
	return int64(h.Sum64() &^ 1) // the low bit tells the feed lock from the migration lock
}
