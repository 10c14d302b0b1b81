package fhirimport

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"carerecord/internal/fhir"
	"carerecord/internal/fhirapi"
	"carerecord/internal/store"
)

// ndjsonChunk is how many NDJSON lines go into one transaction.
const ndjsonChunk = 1000

// Options tune an import.
type Options struct {
	// Workers is how many files load at once (default: four per core).
	// The store commits Writes one group at a time. With only as many files
	// in flight as cores, each Bundle waits for a commit of its own (an
	// fsync each); with more, the next Bundles are parsed, validated and
	// indexed while one group commits, and share the next commit (2 cores,
	// Synthea Bundles: twice as many as cores gave 5-10% more resources/s
	// than one per core; with the search index, four per core 7% more again).
	Workers int
	// Progress receives the progress bar (nil: none).
	Progress io.Writer
	// Logger receives per-file errors as structured logs (nil: discarded).
	Logger *slog.Logger
}

// FileError is one file that failed, with the reason a person can act on.
type FileError struct {
	Path string
	Err  error
}

// Summary is what an import did.
type Summary struct {
	Files     int           // files attempted
	Failed    []FileError   // files (or NDJSON chunks) that failed
	Resources int64         // resources written
	Elapsed   time.Duration // wall time
}

// Rate is resources written per second.
func (s Summary) Rate() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Resources) / s.Elapsed.Seconds()
}

// Importer loads files into one store through the FHIR API's transaction path.
type Importer struct {
	api  http.Handler
	opts Options
}

// New returns an Importer writing into st.
func New(st store.Store, opts Options) *Importer {
	if opts.Workers <= 0 {
		opts.Workers = 4 * runtime.GOMAXPROCS(0)
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	api := fhirapi.New(st, fhirapi.Options{
		BaseURL:      "urn:carerecord:import/fhir",
		MaxBodyBytes: 1 << 31,
		Logger:       opts.Logger,
	})
	return &Importer{api: api, opts: opts}
}

// Import loads every file under paths. A failing file is recorded in the
// summary and does not stop the others; the error return is for problems
// with the paths themselves or cancellation.
func (im *Importer) Import(ctx context.Context, paths ...string) (Summary, error) {
	files, err := expand(paths)
	if err != nil {
		return Summary{}, err
	}
	start := time.Now()
	var total int64
	for _, f := range files {
		total += f.size
	}
	prog := newProgress(im.opts.Progress, total, len(files))
	var (
		mu       sync.Mutex
		sum      = Summary{Files: len(files)}
		resource atomic.Int64
		next     = make(chan file)
		wg       sync.WaitGroup
	)
	for range im.opts.Workers {
		wg.Go(func() {
			for f := range next {
				n, errs := im.importFile(ctx, f)
				resource.Add(n)
				prog.fileDone(f.size, resource.Load())
				if len(errs) > 0 {
					mu.Lock()
					sum.Failed = append(sum.Failed, errs...)
					mu.Unlock()
				}
			}
		})
	}
feed:
	for _, f := range files {
		select {
		case next <- f:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	prog.finish(resource.Load())
	sum.Resources = resource.Load()
	sum.Elapsed = time.Since(start)
	return sum, ctx.Err()
}

// importFile loads one file, returning resources written and failures.
func (im *Importer) importFile(ctx context.Context, f file) (int64, []FileError) {
	r, closeFn, err := open(f.path)
	if err != nil {
		return 0, []FileError{{f.path, err}}
	}
	defer closeFn()
	if f.kind == kindNDJSON {
		return im.importNDJSON(ctx, f.path, r)
	}
	var buf bytes.Buffer
	if f.size < 1<<30 {
		buf.Grow(int(f.size) * sizeFactor(f.path)) // gzip'd FHIR JSON expands about 15-20 times
	}
	_, err = buf.ReadFrom(r)
	body := buf.Bytes()
	if err != nil {
		return 0, []FileError{{f.path, fmt.Errorf("read: %w", err)}}
	}
	bundle, n, err := asTransaction(body)
	if err == nil {
		n, err = im.post(ctx, bundle, n)
	}
	if err != nil {
		return n, []FileError{{f.path, err}}
	}
	return n, nil
}

func (im *Importer) importNDJSON(ctx context.Context, path string, r io.Reader) (int64, []FileError) {
	br := bufio.NewReaderSize(r, 1<<20)
	var (
		lines   []json.RawMessage
		written int64
		errs    []FileError
		lineNo  int
		first   = 1
	)
	flush := func() {
		if len(lines) == 0 {
			return
		}
		bundle, n, err := entriesToTransaction(lines, nil)
		if err == nil {
			n, err = im.post(ctx, bundle, n)
		}
		written += n
		if err != nil {
			errs = append(errs, FileError{fmt.Sprintf("%s lines %d-%d", path, first, lineNo), err})
		}
		lines = lines[:0]
		first = lineNo + 1
	}
	for {
		line, err := br.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			lineNo++
			lines = append(lines, json.RawMessage(bytes.TrimSpace(line)))
			if len(lines) >= ndjsonChunk {
				flush()
			}
		} else if len(line) > 0 {
			lineNo++
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				errs = append(errs, FileError{path, fmt.Errorf("read: %w", err)})
			}
			break
		}
	}
	flush()
	return written, errs
}

// post sends a transaction or batch Bundle through the API in-process.
// n is the number of resources it carries.
func (im *Importer) post(ctx context.Context, bundle []byte, n int64) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "/", bytes.NewReader(bundle))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/fhir+json")
	req.Header.Set("Prefer", "return=minimal")
	rec := newRecorder()
	im.api.ServeHTTP(rec, req)
	if rec.status >= 300 {
		return 0, fmt.Errorf("HTTP %d: %s", rec.status, outcomeText(rec.body.Bytes()))
	}
	return batchWritten(rec.body.Bytes(), n)
}

func sizeFactor(path string) int {
	if strings.HasSuffix(strings.ToLower(path), ".gz") {
		return 20
	}
	return 1
}

func open(path string) (io.Reader, func(), error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	if !strings.HasSuffix(strings.ToLower(path), ".gz") {
		return f, func() { f.Close() }, nil
	}
	zr, err := gzip.NewReader(bufio.NewReaderSize(f, 1<<16))
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("gzip: %w", err)
	}
	return zr, func() { zr.Close(); f.Close() }, nil
}

// outcomeText turns an OperationOutcome into one line.
func outcomeText(body []byte) string {
	var oo struct {
		Issue []fhir.Issue `json:"issue"`
	}
	if json.Unmarshal(body, &oo) != nil || len(oo.Issue) == 0 {
		return strings.TrimSpace(string(body))
	}
	return (&fhir.Error{Issues: oo.Issue}).Error()
}
