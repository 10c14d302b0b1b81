package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"carerecord/internal/ingest"
	"carerecord/internal/server"
)

// runIngest is `carerecord ingest --to URL --feed NAME [--lane bulk|live]
// PATH...`: it posts every file under the paths (folders walked in name
// order, hidden files and folders skipped) to a running server's
// POST /engine/feeds/{feed}/messages, one request per file, with a
// progress line on stderr, each rejected message on stderr and a summary
// on stdout. Exit 1 when any message was rejected or any file failed.
func runIngest(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("carerecord ingest", flag.ContinueOnError)
	fl.SetOutput(stderr)
	to := fl.String("to", "", "URL of the running server, e.g. http://127.0.0.1:8080 (required)")
	feed := fl.String("feed", "", "the feed the messages came from, as the server configures it (required)")
	laneName := fl.String("lane", "bulk", "queue lane: bulk (backloads) or live")
	fl.Usage = func() {
		fmt.Fprintln(stderr, "Usage: carerecord ingest --to URL --feed NAME [--lane bulk|live] PATH...")
		fl.PrintDefaults()
	}
	if err := fl.Parse(interleave(fl, args)); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *to == "" || *feed == "" || fl.NArg() == 0 {
		fl.Usage()
		return 2
	}
	base, err := serverURL(*to)
	if _, ok := ingest.ParseLane(*laneName); !ok {
		err = fmt.Errorf("--lane %q: want bulk or live", *laneName)
	}
	if err != nil {
		fmt.Fprintf(stderr, "carerecord ingest: %v\n", err)
		return 2
	}
	files, err := listFiles(fl.Args())
	if err != nil {
		fmt.Fprintf(stderr, "carerecord ingest: %v\n", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	endpoint := base + "/engine/feeds/" + url.PathEscape(*feed) + "/messages?lane=" + url.QueryEscape(*laneName)

	start := time.Now()
	p := &ingestProgress{w: stderr, start: start, last: start, files: len(files)}
	for _, f := range files {
		p.total += f.size
	}
	var sum ingestSummary
	for i, f := range files {
		rep, err := postFile(ctx, endpoint, f, p)
		sum.add(rep)
		for _, r := range rep.Rejected {
			p.clear()
			where := fmt.Sprintf("message %d (byte %d", r.Index, r.Offset)
			if r.ControlID != "" {
				where += ", control id " + r.ControlID
			}
			if r.Location != "" {
				where += ", at " + r.Location
			}
			dl := "in the dead letters"
			if !r.DeadLettered {
				dl = "NOT dead-lettered: it stays only in the file"
			}
			fmt.Fprintf(stderr, "REJECTED %s %s): %s [%s]\n", f.path, where, r.Reason, dl)
		}
		for _, w := range rep.Warnings {
			p.clear()
			fmt.Fprintf(stderr, "WARNING %s: %s\n", f.path, w)
		}
		if err != nil {
			sum.failed++
			p.clear()
			fmt.Fprintf(stderr, "FAILED %s: %v\n", f.path, err)
			if errors.Is(err, errStop) {
				sum.notSent = len(files) - i - 1
				break
			}
		}
		p.fileDone(rep)
	}
	p.clear()
	fmt.Fprintf(stdout, "ingested %d files (%d messages) into feed %s in %.2fs: %d queued, %d rejected, %d files failed",
		len(files)-sum.failed-sum.notSent, sum.messages, *feed, time.Since(start).Seconds(), sum.queued, sum.rejected, sum.failed)
	if sum.notSent > 0 {
		fmt.Fprintf(stdout, ", %d not sent", sum.notSent)
	}
	fmt.Fprintln(stdout)
	if sum.rejected > 0 || sum.failed > 0 {
		return 1
	}
	return 0
}

type ingestSummary struct {
	messages, queued, rejected int
	failed, notSent            int // files
}

func (s *ingestSummary) add(rep ingest.FileReport) {
	s.messages += rep.Messages
	s.queued += rep.Queued
	s.rejected += len(rep.Rejected)
}

// errStop marks a failure that the next files would meet too (the server
// is not answering, the queue is full, the feed is unknown).
var errStop = errors.New("stopping")

// postFile sends one file and returns the server's report of it.
func postFile(ctx context.Context, endpoint string, f fileToSend, p *ingestProgress) (ingest.FileReport, error) {
	var rep ingest.FileReport
	if f.size > server.MaxIngestBytes {
		return rep, fmt.Errorf("%d MiB is more than the server takes in one file (%d MiB): split it", f.size>>20, server.MaxIngestBytes>>20)
	}
	file, err := os.Open(f.path)
	if err != nil {
		return rep, err
	}
	defer file.Close()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, &countingReader{r: file, p: p})
	if err != nil {
		return rep, err
	}
	req.ContentLength = f.size
	req.Header.Set("Content-Type", "x-application/hl7-v2+er7")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return rep, fmt.Errorf("%w: %w", errStop, err)
	}
	defer resp.Body.Close()
	if derr := json.NewDecoder(resp.Body).Decode(&rep); derr != nil && resp.StatusCode == http.StatusAccepted {
		return rep, fmt.Errorf("%w: the server's answer cannot be read: %w", errStop, derr)
	}
	switch {
	case resp.StatusCode == http.StatusAccepted:
		return rep, nil
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode >= 500:
		return rep, fmt.Errorf("%w: %s: %s", errStop, resp.Status, rep.Error)
	default:
		return rep, fmt.Errorf("%s: %s", resp.Status, rep.Error)
	}
}

// fileToSend is one file found under the paths.
type fileToSend struct {
	path string
	size int64
}

// listFiles returns the files named by paths and the regular files under
// the folders among them, each folder walked in name order, skipping hidden
// files and folders (names starting with ".") and symbolic links inside
// folders.
func listFiles(paths []string) ([]fileToSend, error) {
	var out []fileToSend
	for _, root := range paths {
		info, err := os.Stat(root)
		if err != nil {
			return nil, err
		}
		if !info.IsDir() {
			out = append(out, fileToSend{root, info.Size()})
			continue
		}
		err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			switch {
			case err != nil:
				return err
			case p != root && strings.HasPrefix(d.Name(), "."):
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			case !d.Type().IsRegular():
				return nil
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			out = append(out, fileToSend{p, info.Size()})
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no files under the paths given")
	}
	return out, nil
}

// ingestProgress draws the progress line, at most once a second.
type ingestProgress struct {
	w     io.Writer
	start time.Time

	mu               sync.Mutex // Read runs in the HTTP client's goroutine
	files, done      int
	total, sent      int64 // bytes
	queued, rejected int
	last             time.Time
	drawn            bool
}

func (p *ingestProgress) add(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sent += int64(n)
	p.draw()
}

func (p *ingestProgress) fileDone(rep ingest.FileReport) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	p.queued += rep.Queued
	p.rejected += len(rep.Rejected)
	p.draw()
}

// clear ends the progress line so other output starts on its own line.
func (p *ingestProgress) clear() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		fmt.Fprintln(p.w)
		p.drawn = false
	}
}

func (p *ingestProgress) draw() {
	now := time.Now()
	if now.Sub(p.last) < time.Second {
		return
	}
	p.last = now
	p.drawn = true
	const mib = 1 << 20
	fmt.Fprintf(p.w, "\rfiles %d/%d  %.1f/%.1f MiB  queued %d  rejected %d  %.1f MiB/s ", p.done, p.files,
		float64(p.sent)/mib, float64(p.total)/mib, p.queued, p.rejected, float64(p.sent)/mib/max(now.Sub(p.start).Seconds(), 1e-3))
}

// countingReader counts the bytes sent for the progress line.
type countingReader struct {
	r io.Reader
	p *ingestProgress
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.p.add(n)
	return n, err
}
