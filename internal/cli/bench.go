package cli

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"

	"carerecord/internal/bench"
)

// runBench runs the load generator (internal/bench); Ctrl-C stops it.
func runBench(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return bench.Main(ctx, args, stdout, stderr)
}
