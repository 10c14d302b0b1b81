// Package sqlite opens the embedded record store: one SQLite database file
// (pure Go driver modernc.org/sqlite, so no C compiler is needed) in WAL mode
// with synchronous=FULL, so a Write that returned nil survives a process kill
// and a power loss. It creates and migrates the schema and returns the shared
// implementation, *sqlstore.Store: one writer connection used only by the
// group committer, and a small pool of read-only connections.
//
// Only the server (which chooses the backend) and tests import this package.
package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"carerecord/internal/store"
	"carerecord/internal/store/sqlstore"
)

var _ store.Store = (*sqlstore.Store)(nil)

// FileName is the database file inside the data directory.
const FileName = "carerecord.db"

// readers is the size of the read pool. Readers never block the writer in
// WAL mode; a few more than cores keeps the CPUs busy while one waits on I/O.
const readers = 4

// Dialect is SQLite's: ? placeholders, last_updated as Unix milliseconds,
// no feed lock (the single writer assigns seq in commit order).
var Dialect = sqlstore.Dialect{
	Name:         "sqlite",
	TimeValue:    sqlstore.UnixMillis,
	LastInsertID: true,
	Checkpoint:   "PRAGMA wal_checkpoint(TRUNCATE)",
	Vacuum:       "VACUUM",
}

// Open opens (creating if needed) the store in dir/carerecord.db.
func Open(ctx context.Context, dir string, opts ...sqlstore.Option) (*sqlstore.Store, error) {
	if strings.ContainsAny(dir, "?#") {
		return nil, fmt.Errorf("sqlite: open: data directory %q contains ? or #", dir)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	path := filepath.Join(dir, FileName)
	wdb, err := sql.Open("sqlite", path+"?"+writerParams())
	if err != nil {
		return nil, fmt.Errorf("sqlite: open writer: %w", err)
	}
	wdb.SetMaxOpenConns(1)
	wdb.SetMaxIdleConns(1)
	wdb.SetConnMaxLifetime(0)
	wdb.SetConnMaxIdleTime(0)
	if err := sqlstore.Migrate(ctx, wdb, Dialect, "", migrations); err != nil {
		_ = wdb.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	rdb, err := sql.Open("sqlite", path+"?"+readerParams())
	if err != nil {
		_ = wdb.Close()
		return nil, fmt.Errorf("sqlite: open readers: %w", err)
	}
	rdb.SetMaxOpenConns(readers)
	rdb.SetMaxIdleConns(readers)
	rdb.SetConnMaxLifetime(0)
	rdb.SetConnMaxIdleTime(0)
	s, err := sqlstore.New(ctx, wdb, rdb, Dialect, opts...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	return s, nil
}

// Pragmas shared by both pools. busy_timeout covers the moments a reader
// meets the writer's checkpoint or another process holding the file.
var commonPragmas = []string{
	"busy_timeout(10000)",
	"foreign_keys(0)",
	"temp_store(MEMORY)",
	fmt.Sprintf("mmap_size(%d)", 256<<20),
}

func writerParams() string {
	v := url.Values{}
	for _, p := range commonPragmas {
		v.Add("_pragma", p)
	}
	v.Add("_pragma", "journal_mode(WAL)")
	v.Add("_pragma", "synchronous(FULL)")  // an acknowledged write survives power loss
	v.Add("_pragma", "cache_size(-65536)") // 64 MiB
	v.Add("_pragma", fmt.Sprintf("journal_size_limit(%d)", 64<<20))
	v.Set("_txlock", "immediate")
	return v.Encode()
}

func readerParams() string {
	v := url.Values{}
	for _, p := range commonPragmas {
		v.Add("_pragma", p)
	}
	v.Add("_pragma", "cache_size(-16384)") // 16 MiB each
	v.Add("_pragma", "query_only(1)")
	return v.Encode()
}
