package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
)

// TestPragmas checks that the connection strings really apply the settings
// durability and concurrency depend on.
func TestPragmas(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	tests := []struct {
		name   string
		params string
		want   map[string]string
	}{
		{"writer", writerParams(), map[string]string{
			"journal_mode": "wal", "synchronous": "2", "foreign_keys": "0", "busy_timeout": "10000", "query_only": "0",
			"wal_autocheckpoint": "8192",
		}},
		{"checkpointer", checkpointerParams(), map[string]string{
			"journal_mode": "wal", "synchronous": "2", "busy_timeout": "10000", "query_only": "0",
		}},
		{"reader", readerParams(), map[string]string{
			"journal_mode": "wal", "foreign_keys": "0", "busy_timeout": "10000", "query_only": "1",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db, err := sql.Open("sqlite", path+"?"+tc.params)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			for pragma, want := range tc.want {
				var got string
				if err := db.QueryRowContext(context.Background(), "PRAGMA "+pragma).Scan(&got); err != nil {
					t.Fatalf("PRAGMA %s: %v", pragma, err)
				}
				if got != want {
					t.Errorf("PRAGMA %s = %q, want %q", pragma, got, want)
				}
			}
		})
	}
}
