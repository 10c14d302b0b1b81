package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"carerecord/internal/ingest"
)

// runSend is `carerecord send FILE... --to HOST:PORT`: an MLLP client that
// sends every HL7 v2 message of the files, one at a time, each after the
// last was acknowledged, with a progress line on stderr and a summary on
// stdout. Exit 1 when any message was not accepted.
func runSend(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("carerecord send", flag.ContinueOnError)
	fs.SetOutput(stderr)
	to := fs.String("to", "", "MLLP listener to send to, HOST:PORT (required)")
	retries := fs.Int("retries", 3, "resends of a message answered AE or whose connection broke")
	timeout := fs.Duration("ack-timeout", 30*time.Second, "how long to wait for each acknowledgement")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: carerecord send --to HOST:PORT FILE...")
		fs.PrintDefaults()
	}
	if err := fs.Parse(reorderFlags(args)); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *to == "" || fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	start, last := time.Now(), time.Time{}
	progress := func(s ingest.Summary) {
		if now := time.Now(); now.Sub(last) >= time.Second {
			last = now
			fmt.Fprintf(stderr, "\rsent %d  accepted %d  rejected %d  errors %d  %.0f/s ", s.Sent, s.Accepted, s.Rejected, s.Errors,
				float64(s.Sent)/now.Sub(start).Seconds())
		}
	}
	sum, err := ingest.SendFiles(ctx, *to, fs.Args(), ingest.SendOptions{Retries: *retries, AckTimeout: *timeout, Progress: progress})
	if !last.IsZero() {
		fmt.Fprintln(stderr)
	}
	fmt.Fprintf(stdout, "sent %d messages in %.2fs: %d accepted, %d rejected, %d errors, %d not parseable (not sent), %d retries\n",
		sum.Sent, time.Since(start).Seconds(), sum.Accepted, sum.Rejected, sum.Errors, sum.Invalid, sum.Retries)
	if err != nil {
		fmt.Fprintf(stderr, "carerecord send: %v\n", err)
		return 1
	}
	if sum.Accepted != sum.Sent || sum.Invalid > 0 {
		return 1
	}
	return 0
}

// reorderFlags moves flags before the file arguments, so that
// `send a.hl7 b.hl7 --to host:port` works as well as the other order.
func reorderFlags(args []string) []string {
	var flags, files []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			files = append(files, args[i+1:]...)
			i = len(args)
		case len(a) > 1 && a[0] == '-':
			flags = append(flags, a)
			if !strings.Contains(a, "=") && i+1 < len(args) && takesValue(a) {
				flags = append(flags, args[i+1])
				i++
			}
		default:
			files = append(files, a)
		}
	}
	return append(flags, files...)
}

// takesValue: every flag of send takes a value except help.
func takesValue(flag string) bool {
	return flag != "-h" && flag != "-help" && flag != "--help"
}
