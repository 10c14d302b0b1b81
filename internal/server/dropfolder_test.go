package server

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"carerecord/internal/config"
	"carerecord/internal/ingest"
	"carerecord/internal/queue"
)

// fakeDrop is a drop folder whose queue records the files it is given and
// answers err.
type fakeDrop struct {
	*dropFolder
	taken []string
	err   error
	clock time.Time
}

func newFakeDrop(t *testing.T) *fakeDrop {
	t.Helper()
	dir := t.TempDir()
	if err := prepareDrop(dir); err != nil {
		t.Fatal(err)
	}
	f := &fakeDrop{clock: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	f.dropFolder = newDropFolder(config.Feed{Name: "lab", Drop: dir}, slog.New(slog.DiscardHandler),
		func(_ context.Context, r io.Reader) (ingest.FileReport, error) {
			b, err := io.ReadAll(r)
			if err != nil {
				return ingest.FileReport{}, err
			}
			f.taken = append(f.taken, string(b))
			return ingest.FileReport{Messages: 1, Queued: 1}, f.err
		})
	f.now = func() time.Time { return f.clock }
	return f
}

func (f *fakeDrop) write(t *testing.T, name, body string, flag int) {
	t.Helper()
	w, err := os.OpenFile(filepath.Join(f.dir, name), os.O_WRONLY|os.O_CREATE|flag, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.WriteString(body); err != nil {
		t.Fatal(err)
	}
	w.Close()
}

// A file is taken only once it is unchanged across two polls; one still
// growing waits, hidden files and folders are never taken, and the file
// ends in done/.
func TestDropFolderTakesSettledFiles(t *testing.T) {
	ctx := context.Background()
	f := newFakeDrop(t)
	f.write(t, "a.hl7", "MSH|first half", os.O_TRUNC)
	f.write(t, ".b.hl7.part", "MSH|being written", os.O_TRUNC)
	if err := os.Mkdir(filepath.Join(f.dir, "sub"), 0o750); err != nil {
		t.Fatal(err)
	}
	f.poll(ctx)
	if len(f.taken) != 0 {
		t.Fatalf("taken at first sight: %q", f.taken)
	}
	f.write(t, "a.hl7", "|second half", os.O_APPEND)
	f.poll(ctx)
	if len(f.taken) != 0 {
		t.Fatalf("taken while growing: %q", f.taken)
	}
	f.poll(ctx)
	if !slices.Equal(f.taken, []string{"MSH|first half|second half"}) {
		t.Fatalf("taken %q, want the whole file once", f.taken)
	}
	if _, err := os.Stat(filepath.Join(f.dir, "done", "a.hl7")); err != nil {
		t.Errorf("not in done/: %v", err)
	}
	// Another file of the same name later is numbered, not overwritten.
	f.write(t, "a.hl7", "MSH|again", os.O_TRUNC)
	f.poll(ctx)
	f.poll(ctx)
	if _, err := os.Stat(filepath.Join(f.dir, "done", "a-2.hl7")); err != nil || len(f.taken) != 2 {
		t.Errorf("second a.hl7: taken %d, %v", len(f.taken), err)
	}
	if _, err := os.Stat(filepath.Join(f.dir, ".b.hl7.part")); err != nil {
		t.Errorf("hidden file touched: %v", err)
	}
}

// When the queue refuses, the file stays and is tried again after a delay
// that grows; once the queue takes it, it moves to done/.
func TestDropFolderRetriesWhenTheQueueRefuses(t *testing.T) {
	ctx := context.Background()
	f := newFakeDrop(t)
	f.err = queue.ErrFull
	f.write(t, "a.hl7", "MSH|x", os.O_TRUNC)
	f.poll(ctx)
	f.poll(ctx) // settled: tried, refused
	if len(f.taken) != 1 {
		t.Fatalf("tried %d times, want 1", len(f.taken))
	}
	f.poll(ctx) // within the delay: not tried
	if len(f.taken) != 1 {
		t.Fatalf("tried again at once")
	}
	f.clock = f.clock.Add(dropPoll)
	f.poll(ctx) // after the delay
	if len(f.taken) != 2 {
		t.Fatalf("not tried again after the delay")
	}
	if got := f.seen["a.hl7"].backoff; got != 2*dropPoll {
		t.Errorf("second delay %v, want %v", got, 2*dropPoll)
	}
	f.err = nil
	f.clock = f.clock.Add(2 * dropPoll)
	f.poll(ctx)
	if _, err := os.Stat(filepath.Join(f.dir, "done", "a.hl7")); err != nil || len(f.taken) != 3 {
		t.Errorf("after the queue recovered: taken %d, %v", len(f.taken), err)
	}
}

// A file that cannot be read is moved to failed/ with the reason beside it.
func TestDropFolderFailedFile(t *testing.T) {
	ctx := context.Background()
	f := newFakeDrop(t)
	f.err = ingest.ErrRead
	f.write(t, "a.hl7", "MSH|x", os.O_TRUNC)
	f.poll(ctx)
	f.poll(ctx)
	if _, err := os.Stat(filepath.Join(f.dir, "failed", "a.hl7")); err != nil {
		t.Fatalf("not in failed/: %v", err)
	}
	reason, err := os.ReadFile(filepath.Join(f.dir, "failed", "a.hl7.reason.txt"))
	if err != nil || len(reason) == 0 {
		t.Errorf("reason: %q %v", reason, err)
	}
}
