// Package sqlite opens the embedded record store: one SQLite database file
// (pure Go driver modernc.org/sqlite, so no C compiler is needed) in WAL mode
// with synchronous=FULL, so a Write that returned nil survives a process kill
// and a power loss. It creates and migrates the schema and returns the shared
// implementation, *sqlstore.Store: one writer connection used only by the
// group committer, a small pool of read-only connections, and one
// connection that folds the write-ahead log into the database file in the
// background (a passive checkpoint after commits, at most every
// checkpointEvery), so that the committer does not stop to copy pages and
// fsync the database file. The writer still checkpoints by itself once the
// log passes writerAutoCheckpoint pages, which bounds the log when writes
// never pause. Neither changes what a commit makes durable: that is the
// log, fsynced before every Write is answered.
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
	"time"

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

// checkpointEvery is the least time between two background checkpoints: it
// bounds the database-file fsyncs they add to about ten a second.
const checkpointEvery = 100 * time.Millisecond

// mmapBytes is how much of the database file SQLite reads through a memory
// map. None: mapped pages of every connection count in the process's RSS
// (measured: 690 MB of mapped file in a 880 MB RSS serving a million
// resources with 256 MiB maps), while pages read with pread live in the
// kernel's page cache, which serves them as fast from memory and is shared
// and reclaimable without showing as the server's own memory.
const mmapBytes = 0

// writerAutoCheckpoint is the log size, in pages, past which the writer
// checkpoints after a commit itself (SQLite's default is 1000). It is well
// above what a busy writer logs between two background checkpoints, so the
// writer only does so when they fall behind.
const writerAutoCheckpoint = 8192

// Dialect is SQLite's: ? placeholders, last_updated as Unix milliseconds,
// no feed lock, and seq numbered by the committer (the single writer holds
// the write lock for the whole group transaction, so seq follows commit
// order).
var Dialect = sqlstore.Dialect{
	Name:       "sqlite",
	TimeValue:  sqlstore.UnixMillis,
	AssignSeq:  true,
	Checkpoint: "PRAGMA wal_checkpoint(TRUNCATE)",
	Vacuum:     "VACUUM",

	BodyText:      "CAST($body AS TEXT)",
	NarrativeText: "json_extract(CAST($body AS TEXT), '$.text.div')",
	Unindexed:     "+",
	Explain:       "EXPLAIN QUERY PLAN ",
}

// readerCacheKiB is each reader's page cache: the hot index pages of reads
// by id stay in it; the rest comes from the kernel's page cache.
const readerCacheKiB = 8 << 10

// writerCacheKiB is the writer's page cache. It holds the pages a group
// transaction dirties and the hot index pages; clean pages of the database
// file come from the kernel's page cache. It is kept small on
// purpose: every page the cache grows by is fresh memory the process
// faults in, which cost a fresh process importing Synthea Bundles about a
// fifth of its CPU with a 64 MiB cache, while a full cache simply reuses its
// pages.
const writerCacheKiB = 16 << 10

// backgroundCheckpoint copies what it can of the log into the database file
// without waiting for, or blocking, the writer and the readers.
const backgroundCheckpoint = "PRAGMA wal_checkpoint(PASSIVE)"

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
	cdb, err := sql.Open("sqlite", path+"?"+checkpointerParams())
	if err != nil {
		_ = wdb.Close()
		_ = rdb.Close()
		return nil, fmt.Errorf("sqlite: open checkpointer: %w", err)
	}
	cdb.SetMaxOpenConns(1)
	cdb.SetMaxIdleConns(1)
	cdb.SetConnMaxLifetime(0)
	cdb.SetConnMaxIdleTime(0)
	opts = append([]sqlstore.Option{sqlstore.WithBackgroundCheckpoint(cdb, backgroundCheckpoint, checkpointEvery)}, opts...)
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
	fmt.Sprintf("mmap_size(%d)", mmapBytes),
}

func writerParams() string {
	v := url.Values{}
	for _, p := range commonPragmas {
		v.Add("_pragma", p)
	}
	v.Add("_pragma", "journal_mode(WAL)")
	v.Add("_pragma", "synchronous(FULL)") // an acknowledged write survives power loss
	v.Add("_pragma", fmt.Sprintf("cache_size(%d)", -writerCacheKiB))
	v.Add("_pragma", fmt.Sprintf("wal_autocheckpoint(%d)", writerAutoCheckpoint))
	v.Add("_pragma", fmt.Sprintf("journal_size_limit(%d)", 64<<20))
	v.Set("_txlock", "immediate")
	return v.Encode()
}

// checkpointerParams: the checkpoint connection syncs the database file
// before the log may be reused, as the writer does (synchronous=FULL).
func checkpointerParams() string {
	v := url.Values{}
	for _, p := range commonPragmas {
		v.Add("_pragma", p)
	}
	v.Add("_pragma", "journal_mode(WAL)")
	v.Add("_pragma", "synchronous(FULL)")
	v.Add("_pragma", "cache_size(-2048)") // 2 MiB: it only copies pages
	return v.Encode()
}

func readerParams() string {
	v := url.Values{}
	for _, p := range commonPragmas {
		v.Add("_pragma", p)
	}
	v.Add("_pragma", fmt.Sprintf("cache_size(%d)", -readerCacheKiB))
	v.Add("_pragma", "query_only(1)")
	return v.Encode()
}
