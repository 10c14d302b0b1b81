package sqlite_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

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

// Committed pages reach the database file without the writer checkpointing:
// far fewer are written here than the writer's own threshold, so only the
// background checkpoint can have copied them.
func TestBackgroundCheckpoint(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	db := filepath.Join(dir, sqlite.FileName)
	before := fileSize(t, db)
	for i := range 20 {
		err := s.Write(ctx, func(tx store.Tx) error {
			_, err := tx.Put(ctx, store.Put{Type: "Observation", ID: fmt.Sprint("o", i), Body: storetest.Observation("o")})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for fileSize(t, db) <= before {
		if time.Now().After(deadline) {
			t.Fatalf("database file still %d bytes: nothing was checkpointed", before)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}
