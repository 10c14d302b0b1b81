package postgres_test

import (
	"context"
	"database/sql"
	"testing"

	"carerecord/internal/store/postgres"
	"carerecord/internal/store/storetest"
)

// TestMessageFootprint measures the bytes on disk (tables, TOAST and
// indexes) the message log costs per logged ADT^A01.
func TestMessageFootprint(t *testing.T) {
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
	storetest.MessageFootprint(t, s, 5000, 2.5, func(ctx context.Context) (size int64, err error) {
		err = db.QueryRowContext(ctx, `SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint
			FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
			WHERE n.nspname = $1 AND c.relkind = 'r' AND c.relname IN ('messages', 'message_patients')`, schema).Scan(&size)
		return size, err
	})
}
