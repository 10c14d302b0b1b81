package postgres_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, to drop test schemas

	"carerecord/internal/store"
	"carerecord/internal/store/postgres"
	"carerecord/internal/store/sqlstore"
	"carerecord/internal/store/storetest"
)

// DSNEnv names the database the tests use.
const dsnEnv = "CARERECORD_TEST_POSTGRES_DSN"

const defaultDSN = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

func testDSN() string {
	if dsn := os.Getenv(dsnEnv); dsn != "" {
		return dsn
	}
	return defaultDSN
}

var (
	reachOnce sync.Once
	reachErr  error
	schemaSeq atomic.Int64
)

// requirePostgres skips (or, with CI=true, fails) when the test database
// cannot be reached.
func requirePostgres(t testing.TB) {
	t.Helper()
	reachOnce.Do(func() {
		db, err := sql.Open("pgx", testDSN())
		if err != nil {
			reachErr = err
			return
		}
		defer db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		reachErr = db.PingContext(ctx)
	})
	if reachErr == nil {
		return
	}
	msg := fmt.Sprintf("PostgreSQL not reachable (%v); run a server and set %s (default %s) to run these tests",
		reachErr, dsnEnv, defaultDSN)
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// newSchema names a fresh schema for one test and drops it when the test
// ends (after the test's own cleanups, which close its stores).
func newSchema(t testing.TB) string {
	schema := fmt.Sprintf("carerecord_test_%d_%d_%d", os.Getpid(), time.Now().UnixNano()%1e6, schemaSeq.Add(1))
	t.Cleanup(func() { dropSchema(t, schema) })
	return schema
}

// open opens a store in a fresh schema, dropped when the test ends.
func open(t testing.TB, opts ...postgres.Option) *sqlstore.Store {
	t.Helper()
	requirePostgres(t)
	schema := newSchema(t)
	s, err := postgres.Open(context.Background(), testDSN(), append(opts, postgres.WithSchema(schema))...)
	if err != nil {
		t.Fatalf("postgres.Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func dropSchema(t testing.TB, schema string) {
	db, err := sql.Open("pgx", testDSN())
	if err != nil {
		t.Errorf("drop schema: %v", err)
		return
	}
	defer db.Close()
	if _, err := db.Exec("DROP SCHEMA IF EXISTS " + pgx.Identifier{schema}.Sanitize() + " CASCADE"); err != nil {
		t.Errorf("drop schema %s: %v", schema, err)
	}
}

func failStatement(ctx context.Context, tx store.Tx) error {
	return sqlstore.ExecTx(ctx, tx, "INSERT INTO no_such_table (x) VALUES (?)", 1)
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return open(t) },
		storetest.WithFailingStatement(failStatement))
}

func TestTwoStores(t *testing.T) {
	storetest.RunTwoStores(t, func(t *testing.T) (store.Store, store.Store) {
		requirePostgres(t)
		schema := newSchema(t)
		a, err := postgres.Open(context.Background(), testDSN(), postgres.WithSchema(schema))
		if err != nil {
			t.Fatal(err)
		}
		b, err := postgres.Open(context.Background(), testDSN(), postgres.WithSchema(schema))
		if err != nil {
			t.Fatal(err)
		}
		return a, b
	})
}

// TestClockBehindOtherNode: a node whose clock is behind the newest version
// written by another node stamps its writes no earlier than that version.
func TestClockBehindOtherNode(t *testing.T) {
	requirePostgres(t)
	ctx := context.Background()
	schema := newSchema(t)
	ahead := time.Date(2031, 6, 1, 12, 0, 0, 0, time.UTC)
	a, err := postgres.Open(ctx, testDSN(), postgres.WithSchema(schema),
		postgres.WithStoreOptions(sqlstore.WithClock(func() time.Time { return ahead })))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := postgres.Open(ctx, testDSN(), postgres.WithSchema(schema),
		postgres.WithStoreOptions(sqlstore.WithClock(func() time.Time { return ahead.Add(-time.Hour) })))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	put := func(s store.Store, id string) *store.Resource {
		var r *store.Resource
		err := s.Write(ctx, func(tx store.Tx) error {
			var err error
			r, err = tx.Put(ctx, store.Put{Type: "Observation", ID: id, Body: storetest.Observation(id)})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	ra, rb := put(a, "from-a"), put(b, "from-b")
	if !ra.LastUpdated.Equal(ahead) || rb.LastUpdated.Before(ra.LastUpdated) || rb.Seq <= ra.Seq {
		t.Errorf("a wrote seq %d at %v, then b (clock an hour behind) seq %d at %v; want b no earlier",
			ra.Seq, ra.LastUpdated, rb.Seq, rb.LastUpdated)
	}
}
