package sqlite_test

import (
	"context"
	"testing"

	"carerecord/internal/store"
	"carerecord/internal/store/sqlite"
	"carerecord/internal/store/sqlstore"
	"carerecord/internal/store/storetest"
)

func open(t testing.TB) *sqlstore.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatalf("sqlite.Open: %v", err)
	}
	return s
}

// failStatement makes one statement fail inside a Write.
func failStatement(ctx context.Context, tx store.Tx) error {
	return sqlstore.ExecTx(ctx, tx, "INSERT INTO no_such_table (x) VALUES (?)", 1)
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return open(t) },
		storetest.WithFailingStatement(failStatement))
}

func TestTwoStores(t *testing.T) {
	storetest.RunTwoStores(t, func(t *testing.T) (store.Store, store.Store) {
		dir := t.TempDir()
		a, err := sqlite.Open(context.Background(), dir)
		if err != nil {
			t.Fatal(err)
		}
		b, err := sqlite.Open(context.Background(), dir)
		if err != nil {
			t.Fatal(err)
		}
		return a, b
	})
}
