package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"carerecord/internal/config"
	"carerecord/internal/fhirimport"
	"carerecord/internal/server"
)

// AllOptions configure All.
type AllOptions struct {
	// Load sets clients, duration and request bound; All sets BaseURL.
	Load Load
	// DataDir holds the SQLite store; empty: a temporary folder, removed at the end.
	DataDir string
	// PostgresDSN selects the PostgreSQL store. Use a database of its own:
	// the benchmark leaves its data behind.
	PostgresDSN string
	// ImportDir holds FHIR Bundles to import; empty skips the import.
	ImportDir string
	// ReadIDs is how many Observations the read run creates and reads.
	ReadIDs int
	// Resources is how many Observations to bulk-load for the storage and
	// memory figures; 0 skips them.
	Resources int
	// Batch is entries per transaction Bundle in the bulk load.
	Batch int
	// BulkTimeout bounds the bulk load.
	BulkTimeout time.Duration
	// Progress receives a line as each step starts (nil: none).
	Progress io.Writer
	// Logger receives the server's logs (nil: discarded).
	Logger *slog.Logger
}

// All starts a server in this process and runs every benchmark against it:
// import, create, read, bulk load, then reads across the bulk load while
// sampling memory, and the bytes on disk per resource. A step that fails is
// reported in its row and the others still run; the error joins them all.
func All(ctx context.Context, o AllOptions) (*Report, error) {
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	o.Batch = max(1, o.Batch)
	if o.BulkTimeout <= 0 {
		o.BulkTimeout = 15 * time.Minute
	}
	dir, cleanup, err := dataFolder(o.DataDir, o.PostgresDSN)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	srv, stop, err := startServer(ctx, dir, o)
	if err != nil {
		return nil, err
	}
	r := &allRun{o: o, srv: srv, dir: dir, rep: &Report{Machine: ThisMachine()}}
	r.o.Load.BaseURL = srv.URL() + "/fhir"
	r.store = "SQLite"
	if o.PostgresDSN != "" {
		r.store = "PostgreSQL"
	}
	r.run(ctx)
	if err := stop(); err != nil {
		r.errs = append(r.errs, fmt.Errorf("bench: stop server: %w", err))
	}
	return r.rep, errors.Join(r.errs...)
}

// dataFolder is the SQLite folder a benchmark's server uses: dir, or a
// temporary folder that cleanup removes when dir is empty (and no
// PostgreSQL DSN is given).
func dataFolder(dir, dsn string) (string, func(), error) {
	if dir != "" || dsn != "" {
		return dir, func() {}, nil
	}
	tmp, err := os.MkdirTemp("", "carerecord-bench-*")
	if err != nil {
		return "", nil, fmt.Errorf("bench: temporary data folder: %w", err)
	}
	return tmp, func() { os.RemoveAll(tmp) }, nil
}

// startServer starts a server on a free loopback port and returns it with
// its stop function, which waits for it to shut down.
func startServer(ctx context.Context, dir string, o AllOptions) (*server.Server, func() error, error) {
	cfg := config.Default()
	cfg.Listen = "127.0.0.1:0"
	if dir != "" {
		cfg.DataDir = dir
	}
	cfg.PostgresDSN = o.PostgresDSN
	cfg.LogLevel = "warn"
	sctx, cancel := context.WithCancel(ctx)
	s, err := server.New(sctx, cfg, server.Options{Logger: o.Logger})
	if err != nil {
		cancel()
		return nil, nil, fmt.Errorf("bench: start server: %w", err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(sctx) }()
	select {
	case <-s.Ready():
	case err := <-done:
		cancel()
		return nil, nil, fmt.Errorf("bench: server stopped at start: %w", err)
	}
	return s, func() error { cancel(); return <-done }, nil
}

// allRun is the state of one All.
type allRun struct {
	o     AllOptions
	srv   *server.Server
	dir   string
	store string
	rep   *Report
	errs  []error
}

func (r *allRun) step(name string) { fmt.Fprintf(r.o.Progress, "bench: %s ...\n", name) }

// failed records a step's failure as a row and as an error.
func (r *allRun) failed(name string, err error) {
	r.rep.Rows = append(r.rep.Rows, Row{Name: name + storeTag(r.store), Figure: "failed: " + err.Error(), Goal: "—"})
	r.errs = append(r.errs, fmt.Errorf("%s: %w", name, err))
}

func (r *allRun) run(ctx context.Context) {
	r.rep.Notes = append(r.rep.Notes,
		fmt.Sprintf("The load generator and the server run in one process and share the same %d cores, so these figures understate a server with the machine to itself.", runtime.GOMAXPROCS(0)),
		"HTTP/1.1 keep-alive over loopback; latency measured by the client for every request (log-linear histogram, resolution within 1.6%).",
		"µs CPU/request is the process's CPU time (server and load generator together) over the requests: unlike req/s it changes little when other work shares the machine.")
	if r.o.ImportDir != "" {
		r.importRun(ctx)
	}
	if ctx.Err() == nil {
		r.step("create")
		if res, err := r.o.Load.Create(ctx); err != nil {
			r.failed("create", err)
		} else {
			r.rep.Rows = append(r.rep.Rows, CreateRow(&res, r.store))
		}
	}
	if ctx.Err() == nil {
		r.step("read")
		if res, err := r.o.Load.Read(ctx, r.o.ReadIDs); err != nil {
			r.failed("read", err)
		} else {
			r.rep.Rows = append(r.rep.Rows, ReadRow(&res, max(r.o.ReadIDs, 1), r.store))
		}
	}
	if r.o.Resources > 0 && ctx.Err() == nil {
		r.bigRun(ctx)
	}
}

func (r *allRun) importRun(ctx context.Context) {
	r.step("import " + r.o.ImportDir)
	im := fhirimport.New(r.srv.Store(), fhirimport.Options{Progress: r.o.Progress, Logger: r.o.Logger})
	sum, err := im.Import(ctx, r.o.ImportDir)
	if err == nil && len(sum.Failed) > 0 {
		err = fmt.Errorf("%d of %d files failed, first: %v", len(sum.Failed), sum.Files, sum.Failed[0].Err)
	}
	if err != nil {
		r.failed("import", err)
		return
	}
	r.rep.Rows = append(r.rep.Rows, Row{
		Name: fmt.Sprintf("import %d FHIR Bundles (%s)%s", sum.Files, filepath.Base(r.o.ImportDir), storeTag(r.store)),
		Figure: fmt.Sprintf("%s resources/s (%s resources in %.2f s)",
			thousands(sum.Rate()), thousands(float64(sum.Resources)), sum.Elapsed.Seconds()),
		Goal: goal("≥ 20,000 resources/s", sum.Rate() >= GoalImportRate),
	})
	r.rep.Notes = append(r.rep.Notes, "Import runs in-process through the FHIR transaction path (no HTTP), one file per core at a time.")
}
