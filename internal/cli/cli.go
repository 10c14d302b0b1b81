// Package cli is carerecord's command line: it picks the subcommand, loads
// the configuration for it (defaults < file < environment < flags) and calls
// into server, fhirimport and the benchmark. It holds no domain logic.
//
// Top layer (7): only cmd/carerecord imports it.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"carerecord/internal/config"
	"carerecord/internal/fhir"
	"carerecord/internal/fhirapi"
	"carerecord/internal/fhirimport"
	"carerecord/internal/search"
	"carerecord/internal/server"
)

const usage = `carerecord — an open-source shared care record (FHIR R4, UK Core)

Usage:
  carerecord demo  [--listen 127.0.0.1:8080] [--data ./data] [--patients 1000] [--seed N]
  carerecord serve [--listen 127.0.0.1:8080] [--data ./data] [--postgres DSN]
  carerecord import [--data ./data] [--postgres DSN] PATH...
  carerecord reindex [TYPE...]  rebuild the search index (all types by default)
  carerecord check-config [--config FILE] [flags]
  carerecord bench [flags]      load-test a running server (see --help)
  carerecord fhirpath EXPRESSION [FILE|-]
  carerecord send --to HOST:PORT FILE...   send HL7 v2 messages over MLLP
  carerecord ingest --to URL --feed NAME [--lane bulk|live] PATH...
                                files and folders of HL7 v2 messages into a running server
  carerecord dead-letters --to URL list|show ID|reprocess ID...|reprocess --all|discard ID...
                                the engine's dead letters on a running server (see --help)
  carerecord messages --to URL [--feed F] [--type T] [--control-id C] [--patient ID] [--since T] [--until T] | show ID
                                the record's message log on a running server (see --help)
  carerecord version

Every command takes --config FILE (YAML) and --log-level. Settings come from
defaults < config file < CARERECORD_* environment < flags.
`

// command is one subcommand.
type command struct {
	flags config.Set
	extra func(*flag.FlagSet)
	run   func(ctx context.Context, env *env) error
}

// env is what a command gets.
type env struct {
	cfg    config.Config
	args   []string
	stdout io.Writer
	stderr io.Writer
	log    *slog.Logger
}

var commands = map[string]command{
	"serve":        {flags: config.StoreFlags | config.ServerFlags, run: runServe(false)},
	"demo":         {flags: config.StoreFlags | config.ServerFlags | config.DemoFlags, run: runServe(true)},
	"import":       {flags: config.StoreFlags, run: runImport},
	"reindex":      {flags: config.StoreFlags, run: runReindex},
	"check-config": {flags: config.StoreFlags | config.ServerFlags | config.DemoFlags, run: runCheckConfig},
}

// Main runs the command line and returns the process exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stdout, usage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	defer startProfile(stderr)()
	name, rest := args[0], args[1:]
	switch name {
	case "version", "--version":
		fmt.Fprintln(stdout, "carerecord", server.Version)
		return 0
	case "bench":
		return runBench(rest, stdout, stderr)
	case "fhirpath":
		return runFHIRPath(rest, os.Stdin, stdout, stderr)
	case "send":
		return runSend(rest, stdout, stderr)
	case "ingest":
		return runIngest(rest, stdout, stderr)
	case "dead-letters":
		return runDeadLetters(rest, stdout, stderr)
	case "messages":
		return runMessages(rest, stdout, stderr)
	}
	cmd, ok := commands[name]
	if !ok {
		fmt.Fprintf(stderr, "carerecord: unknown command %q\n\n%s", name, usage)
		return 2
	}
	cfg, rest, err := config.Load(name, cmd.flags, rest, os.Getenv, stderr, cmd.extra)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "carerecord %s: %v\n", name, err)
		return 2
	}
	if err := cfg.Validate(); err != nil {
		fmt.Fprintf(stderr, "carerecord %s: invalid configuration:\n%v\n", name, err)
		return 2
	}
	level, _ := cfg.SlogLevel()
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	slog.SetDefault(log)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := cmd.run(ctx, &env{cfg: cfg, args: rest, stdout: stdout, stderr: stderr, log: log}); err != nil {
		fmt.Fprintf(stderr, "carerecord %s: %v\n", name, err)
		return 1
	}
	return 0
}

func runServe(demo bool) func(context.Context, *env) error {
	return func(ctx context.Context, e *env) error {
		if len(e.args) > 0 {
			return fmt.Errorf("unexpected arguments %q", e.args)
		}
		opts := server.Options{Demo: demo, Out: e.stdout, Logger: e.log}
		if demo {
			opts.DemoFeed = "127.0.0.1:2575"
		}
		return server.Run(ctx, e.cfg, opts)
	}
}

func runCheckConfig(_ context.Context, e *env) error {
	if len(e.args) > 0 {
		return fmt.Errorf("unexpected arguments %q", e.args)
	}
	fmt.Fprint(e.stdout, e.cfg.String())
	fmt.Fprintln(e.stdout, "configuration ok")
	return nil
}

func runImport(ctx context.Context, e *env) error {
	if len(e.args) == 0 {
		return errors.New("give one or more files or folders to import")
	}
	st, err := server.OpenStore(ctx, e.cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	im := fhirimport.New(st, fhirimport.Options{Progress: e.stderr, Logger: e.log})
	sum, err := im.Import(ctx, e.args...)
	for _, f := range sum.Failed {
		fmt.Fprintf(e.stderr, "FAILED %s: %v\n", f.Path, f.Err)
	}
	fmt.Fprintf(e.stdout, "imported %d resources from %d files in %.2fs (%.0f resources/s); %d failed\n",
		sum.Resources, sum.Files, sum.Elapsed.Seconds(), sum.Rate(), len(sum.Failed))
	if err != nil {
		return err
	}
	if len(sum.Failed) > 0 {
		return fmt.Errorf("%d of %d files (or chunks) failed", len(sum.Failed), sum.Files)
	}
	return nil
}

func runReindex(ctx context.Context, e *env) error {
	st, err := server.OpenStore(ctx, e.cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	for _, t := range e.args {
		if !fhir.IsResourceType(t) {
			return fmt.Errorf("%q is not a resource type", t)
		}
	}
	start := time.Now()
	n, err := fhirapi.Reindex(ctx, st, search.NewRegistry(search.FHIRPath), e.args, e.stderr)
	if err != nil {
		return err
	}
	el := time.Since(start)
	fmt.Fprintf(e.stdout, "reindexed %d resources in %.2fs (%.0f resources/s)\n", n, el.Seconds(), float64(n)/max(el.Seconds(), 1e-3))
	return nil
}
