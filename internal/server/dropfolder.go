package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"carerecord/internal/config"
	"carerecord/internal/ingest"
)

// Drop folders: a feed's `drop:` folder is polled every dropPoll for files
// of HL7 v2 messages, for systems that write files rather than speak MLLP
// and for backloads copied in. A regular file whose name does not start
// with "." is taken once its size and modification time are the same at
// two polls in a row, so a file still being written is left alone; a writer
// that pauses mid-file for longer should write under a hidden name
// (".x.hl7") and rename it in when done. Each file is queued exactly as a
// body posted to /engine/feeds/{feed}/messages is (engine.queueFile, on the
// feed's drop_lane, bulk by default), then moved:
//
//   - to DROP/done/ when it was read to its end, whatever became of each
//     message (one that does not parse is in the dead letters); when some
//     were rejected, DROP/done/NAME.report.json says which and why;
//   - to DROP/failed/, with NAME.reason.txt beside it, when it cannot be
//     read (an I/O error, a message larger than the parser takes); the
//     messages before the problem are queued all the same;
//   - nowhere when the queue refuses (full, shutting down): it stays and is
//     tried again later, with a growing delay.
//
// A name already taken in done/ or failed/ gets a numbered suffix. A crash
// between queuing a file and moving it queues it again at the next start,
// which is safe: the queue drops duplicates and the record recognises what
// it has applied.

// dropPoll is how often drop folders are looked at.
const dropPoll = time.Second

// maxDropRetry bounds the delay before a file the queue refused is tried again.
const maxDropRetry = time.Minute

// prepareDrop creates a drop folder with its done and failed folders.
func prepareDrop(dir string) error {
	if dir == "" {
		return nil
	}
	for _, d := range []string{dir, filepath.Join(dir, "done"), filepath.Join(dir, "failed")} {
		if err := os.MkdirAll(d, 0o750); err != nil {
			return fmt.Errorf("drop folder: %w", err)
		}
	}
	return nil
}

// watchDrops polls every feed's drop folder until ctx ends.
func (e *engine) watchDrops(ctx context.Context, log *slog.Logger) {
	var wg sync.WaitGroup
	for _, f := range e.feeds {
		if f.Drop == "" {
			continue
		}
		d := newDropFolder(f, log, func(ctx context.Context, r io.Reader) (ingest.FileReport, error) {
			lane, _ := ingest.ParseLane(f.DropLane) // config.Validate checked it
			return e.queueFile(ctx, f, r, lane)
		})
		wg.Go(func() { d.run(ctx) })
	}
	wg.Wait()
}

// dropFolder is one feed's drop folder.
type dropFolder struct {
	dir   string
	queue func(ctx context.Context, r io.Reader) (ingest.FileReport, error)
	log   *slog.Logger
	seen  map[string]seenFile // by name: what the last poll saw
	now   func() time.Time
}

// seenFile is a file as a poll saw it.
type seenFile struct {
	size    int64
	mod     time.Time
	retryAt time.Time     // not before, after the queue refused it
	backoff time.Duration // the last delay
}

func newDropFolder(f config.Feed, log *slog.Logger, queue func(context.Context, io.Reader) (ingest.FileReport, error)) *dropFolder {
	return &dropFolder{dir: f.Drop, queue: queue, log: log.With("feed", f.Name, "drop", f.Drop),
		seen: map[string]seenFile{}, now: time.Now}
}

func (d *dropFolder) run(ctx context.Context) {
	t := time.NewTicker(dropPoll)
	defer t.Stop()
	for {
		d.poll(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// poll takes, in name order, every file that has not changed since the
// last poll.
func (d *dropFolder) poll(ctx context.Context) {
	entries, err := os.ReadDir(d.dir)
	if err != nil {
		d.log.Warn("drop folder cannot be read", "err", err)
		return
	}
	present := make(map[string]bool, len(entries))
	for _, ent := range entries {
		name := ent.Name()
		if strings.HasPrefix(name, ".") || !ent.Type().IsRegular() {
			continue
		}
		info, err := ent.Info()
		if err != nil {
			continue // gone since ReadDir
		}
		present[name] = true
		prev, ok := d.seen[name]
		if !ok || prev.size != info.Size() || !prev.mod.Equal(info.ModTime()) {
			d.seen[name] = seenFile{size: info.Size(), mod: info.ModTime()}
			continue
		}
		if d.now().Before(prev.retryAt) {
			continue
		}
		if ctx.Err() != nil {
			return
		}
		d.take(ctx, name, prev)
	}
	for name := range d.seen {
		if !present[name] {
			delete(d.seen, name)
		}
	}
}

// take queues one settled file and moves it on.
func (d *dropFolder) take(ctx context.Context, name string, st seenFile) {
	log := d.log.With("file", name)
	f, err := os.Open(filepath.Join(d.dir, name))
	if err != nil {
		d.failed(name, st, "the file cannot be opened: "+err.Error())
		return
	}
	rep, err := d.queue(ctx, f)
	f.Close()
	log = log.With("messages", rep.Messages, "queued", rep.Queued, "rejected", len(rep.Rejected))
	switch {
	case err == nil:
		to, merr := d.move(name, "done")
		if merr != nil {
			d.later(name, st, log, merr)
			return
		}
		delete(d.seen, name)
		if len(rep.Rejected) > 0 || len(rep.Warnings) > 0 {
			d.writeReport(to, rep, log)
		}
		log.Info("dropped file queued", "moved_to", to)
	case errors.Is(err, ingest.ErrRead):
		d.failed(name, st, fmt.Sprintf("the file cannot be read to its end: %v\n%d messages before the problem were queued (%d rejected).", err, rep.Messages, len(rep.Rejected)))
	case ctx.Err() != nil:
		// Shutting down: the file stays and is taken at the next start.
	default:
		d.later(name, st, log, err)
	}
}

// later leaves a file for a later poll, after a delay that doubles each
// time, up to maxDropRetry.
func (d *dropFolder) later(name string, st seenFile, log *slog.Logger, err error) {
	st.backoff = min(max(2*st.backoff, dropPoll), maxDropRetry)
	st.retryAt = d.now().Add(st.backoff)
	d.seen[name] = st
	log.Warn("dropped file not taken; trying again later", "retry_in", st.backoff, "err", err)
}

// failed moves a file that cannot be read to failed/ with the reason beside it.
func (d *dropFolder) failed(name string, st seenFile, reason string) {
	log := d.log.With("file", name)
	to, err := d.move(name, "failed")
	if err != nil {
		d.later(name, st, log, err)
		return
	}
	delete(d.seen, name)
	if err := os.WriteFile(to+".reason.txt", []byte(reason+"\n"), 0o640); err != nil {
		log.Error("cannot write the reason beside a failed file", "err", err)
	}
	log.Warn("dropped file cannot be read; moved aside", "moved_to", to)
}

// writeReport writes what became of a file's messages beside it in done/.
func (d *dropFolder) writeReport(to string, rep ingest.FileReport, log *slog.Logger) {
	b, err := json.MarshalIndent(rep, "", "  ")
	if err == nil {
		err = os.WriteFile(to+".report.json", append(b, '\n'), 0o640)
	}
	if err != nil {
		log.Error("cannot write the report beside a done file", "err", err)
	}
}

// move renames DIR/name into DIR/sub/, numbering the name ("a-2.hl7") when
// it is taken, and returns the new path.
func (d *dropFolder) move(name, sub string) (string, error) {
	ext := filepath.Ext(name)
	stem := strings.TrimSuffix(name, ext)
	to := filepath.Join(d.dir, sub, name)
	for i := 2; ; i++ {
		_, err := os.Lstat(to)
		if errors.Is(err, os.ErrNotExist) {
			break
		}
		if err != nil {
			return "", fmt.Errorf("move to %s: %w", sub, err)
		}
		to = filepath.Join(d.dir, sub, stem+"-"+strconv.Itoa(i)+ext)
	}
	if err := os.Rename(filepath.Join(d.dir, name), to); err != nil {
		return "", fmt.Errorf("move to %s: %w", sub, err)
	}
	return to, nil
}
