package bench

import (
	"carerecord/internal/shareddata"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"runtime/pprof"
	"time"
)

const usage = `carerecord bench — load-test carerecord's FHIR API

Usage:
  carerecord bench create [--url URL] [--clients 32] [--duration 10s]
  carerecord bench read   [--url URL] [--clients 32] [--duration 10s] [--ids 1000]
  carerecord bench all    [--postgres DSN] [--import DIR] [--resources N | --big]
  carerecord bench search [--postgres DSN | --data DIR] [--patients 1000]

create and read drive a running server (default http://127.0.0.1:8080/fhir;
only loopback addresses unless --allow-remote). all starts its own server in
this process (SQLite in a temporary folder, or PostgreSQL with --postgres: give
it a database of its own, the benchmark leaves its data there) and runs the
import, create, read, bulk-load, memory and disk benchmarks. search starts
its own server over a synthetic population (about 105 resources a patient;
--patients 10000 makes a million; a --data folder or --postgres database
that already holds one is reused) and times the searches a clinician's view
makes. Results are printed as Markdown table rows for the README.
`

// defaultImport is the Synthea sample, relative to the repository's parent.
const defaultImport = "shared/testdata/synthea/bundles"

// Main runs `carerecord bench` and returns the exit code.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, usage)
		for _, sub := range []struct{ name, title string }{{"read", "create and read"}, {"all", "all"}, {"search", "search"}} {
			fmt.Fprintf(stdout, "\nFlags of %s:\n", sub.title)
			newFlags(sub.name, stdout).fs.PrintDefaults()
		}
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	f := newFlags(args[0], stderr)
	if f == nil {
		fmt.Fprintf(stderr, "carerecord bench: unknown benchmark %q (want create, read, all or search)\n", args[0])
		return 2
	}
	if err := f.fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if f.fs.NArg() > 0 {
		fmt.Fprintf(stderr, "carerecord bench %s: unexpected arguments %q\n", args[0], f.fs.Args())
		return 2
	}
	if err := f.run(ctx, args[0], stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "carerecord bench %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

// flags are every benchmark's settings; each subcommand registers its own.
type flags struct {
	fs         *flag.FlagSet
	load       Load
	ids        int
	cpuProfile string
	all        AllOptions
	big        bool
	patients   int
	only       string
}

func newFlags(name string, stderr io.Writer) *flags {
	if name != "create" && name != "read" && name != "all" && name != "search" {
		return nil
	}
	f := &flags{fs: flag.NewFlagSet("carerecord bench "+name, flag.ContinueOnError)}
	fs := f.fs
	fs.SetOutput(stderr)
	fs.IntVar(&f.load.Clients, "clients", DefaultClients, "concurrent clients")
	fs.DurationVar(&f.load.Duration, "duration", DefaultDuration, "length of each timed run")
	fs.Int64Var(&f.load.MaxRequests, "requests", DefaultMaxRequests, "most requests in one timed run")
	fs.StringVar(&f.cpuProfile, "cpuprofile", "", "write a CPU profile of this process to `file` (with all: server included)")
	if name == "search" {
		fs.StringVar(&f.all.DataDir, "data", "", "folder for the SQLite store (default: a temporary folder, removed afterwards; a folder holding a store is reused)")
		fs.StringVar(&f.all.PostgresDSN, "postgres", "", "benchmark the PostgreSQL store at this DSN instead of SQLite")
		fs.IntVar(&f.patients, "patients", 1000, "synthetic patients to generate when the store is empty (~105 resources each)")
		fs.StringVar(&f.only, "only", "", "run only the searches whose name contains this text (e.g. compartment, identifier, chained, _include, everything)")
		return f
	}
	if name != "create" {
		fs.IntVar(&f.ids, "ids", DefaultReadIDs, "Observations to create and then read at random (read and all)")
	}
	if name != "all" {
		fs.StringVar(&f.load.BaseURL, "url", "http://127.0.0.1:8080/fhir", "FHIR base URL of the server")
		fs.BoolVar(&f.load.AllowRemote, "allow-remote", false, "allow a --url that is not a loopback address")
		return f
	}
	fs.StringVar(&f.all.DataDir, "data", "", "folder for the SQLite store (default: a temporary folder, removed afterwards)")
	fs.StringVar(&f.all.PostgresDSN, "postgres", "", "benchmark the PostgreSQL store at this DSN instead of SQLite")
	fs.StringVar(&f.all.ImportDir, "import", "auto", "folder of FHIR Bundles to import (auto: ../"+defaultImport+" beside the repository, if present; empty: skip)")
	fs.IntVar(&f.all.Resources, "resources", 100_000, "Observations to bulk-load for the memory and disk figures (0: skip)")
	fs.BoolVar(&f.big, "big", false, "bulk-load 1,000,000 Observations (overrides --resources)")
	fs.IntVar(&f.all.Batch, "batch", 1000, "Observations per transaction Bundle in the bulk load")
	fs.DurationVar(&f.all.BulkTimeout, "bulk-timeout", 15*time.Minute, "longest the bulk load may take")
	return f
}

func (f *flags) run(ctx context.Context, name string, stdout, stderr io.Writer) error {
	if f.load.Clients < 1 || f.load.Clients > 10_000 {
		return fmt.Errorf("--clients %d: want 1-10000", f.load.Clients)
	}
	if f.cpuProfile != "" {
		pf, err := os.Create(f.cpuProfile)
		if err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	loadBefore := loadAverage()
	rep := &Report{Machine: ThisMachine()}
	var err error
	switch name {
	case "create":
		fmt.Fprintf(stderr, "bench: create against %s ...\n", f.load.BaseURL)
		var res Result
		if res, err = f.load.Create(ctx); err == nil {
			rep.Rows = append(rep.Rows, CreateRow(&res, ""))
		}
		rep.Notes = append(rep.Notes, sharedNote(f.load))
	case "read":
		fmt.Fprintf(stderr, "bench: read against %s (creating %d Observations first) ...\n", f.load.BaseURL, f.ids)
		var res Result
		if res, err = f.load.Read(ctx, f.ids); err == nil {
			rep.Rows = append(rep.Rows, ReadRow(&res, f.ids, ""))
		}
		rep.Notes = append(rep.Notes, sharedNote(f.load))
	case "all":
		rep, err = f.runAll(ctx, stderr)
	case "search":
		rep, err = SearchBench(ctx, SearchOptions{Load: f.load, DataDir: f.all.DataDir, PostgresDSN: f.all.PostgresDSN,
			Patients: f.patients, Only: f.only, Progress: stderr,
			Logger: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	}
	if rep != nil && len(rep.Rows) > 0 {
		if note := loadNote(loadBefore, loadAverage()); note != "" {
			rep.Notes = append(rep.Notes, note)
		}
		rep.Write(stdout)
	}
	return err
}

func (f *flags) runAll(ctx context.Context, stderr io.Writer) (*Report, error) {
	o := f.all
	o.Load, o.ReadIDs = f.load, f.ids
	if f.big {
		o.Resources = GoalRSSAt
	}
	if o.ImportDir == "auto" {
		o.ImportDir = shareddata.Path("testdata", "synthea", "bundles")
		if o.ImportDir == "" {
			fmt.Fprintf(stderr, "bench: no %s next to the repository; skipping the import\n", defaultImport)
		}
	}
	o.Progress = stderr
	o.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	return All(ctx, o)
}

// sharedNote says where the load generator ran relative to the server.
func sharedNote(l Load) string {
	if u, err := CheckTarget(l.BaseURL, false); err == nil && u != nil {
		return fmt.Sprintf("The load generator ran on the same machine as the server (loopback) and shared its %d cores; µs CPU/request counts the load generator only.", runtime.GOMAXPROCS(0))
	}
	return "The load generator ran on another machine; network latency is included; µs CPU/request counts the load generator only."
}
