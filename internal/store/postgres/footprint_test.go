package postgres_test

import (
	"context"
	"database/sql"
	"testing"

	"carerecord/internal/store/postgres"
	"carerecord/internal/store/storetest"
)

// TestDiskFootprint measures bytes on disk (tables, indexes and TOAST) per
// stored ~1 KB Observation with one token.
func TestDiskFootprint(t *testing.T) {
	requirePostgres(t)
	schema := newSchema(t)
	s, err := postgres.Open(context.Background(), testDSN(), postgres.WithSchema(schema))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	db, err := sql.Open("pgx", testDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	storetest.Footprint(t, s, 2000, 2.5, func(ctx context.Context) (size int64, err error) {
		err = db.QueryRowContext(ctx, `SELECT sum(pg_total_relation_size(c.oid))::bigint
			FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
			WHERE n.nspname = $1 AND c.relkind = 'r'
			  AND c.relname IN ('resource_versions', 'resources', 'resource_tokens')`, schema).Scan(&size)
		return size, err
	})
}
