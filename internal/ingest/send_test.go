package ingest_test

import (
	"carerecord/internal/shareddata"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"carerecord/internal/ingest"
)

// corpusDir is the shared HL7 v2 sample set, read in place, never copied.
var corpusDir = shareddata.Path("testdata", "hl7v2")

// Every well-formed corpus message sent over loopback is acknowledged AA.
func TestSendCorpus(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat(corpusDir); errors.Is(err, fs.ErrNotExist) {
		t.Skipf("HL7 v2 corpus not found at %s", corpusDir)
	}
	var paths []string
	err := filepath.WalkDir(corpusDir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (filepath.Ext(p) == ".hl7" || filepath.Ext(p) == ".txt") {
			paths = append(paths, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(paths)
	q := openQueue(t)
	addr := serve(t, ingest.FeedConfig{}, q)
	calls := 0
	sum, err := ingest.SendFiles(context.Background(), addr, paths, ingest.SendOptions{
		Backoff: time.Millisecond, Progress: func(ingest.Summary) { calls++ },
	})
	if err != nil {
		t.Fatalf("send: %v (%+v)", err, sum)
	}
	t.Logf("%d files: %+v", len(paths), sum)
	if sum.Sent == 0 || sum.Accepted != sum.Sent || calls != sum.Sent {
		t.Errorf("summary %+v, progress calls %d: want every message sent accepted", sum, calls)
	}
	if n := liveCount(t, q); n == 0 || n > uint64(sum.Accepted) {
		t.Errorf("%d messages queued for %d accepted", n, sum.Accepted)
	}
}

// Send retries a message answered AE and counts AR.
func TestSendRetriesAndRejects(t *testing.T) {
	t.Parallel()
	q := openQueue(t)
	addr := serve(t, ingest.FeedConfig{}, &failingQueue{Queue: q, n: 2})
	msgs := func(yield func([]byte) bool) {
		_ = yield([]byte(adt("R1", "9990000018", ""))) && yield([]byte(malformed("R2", "")))
	}
	sum, err := ingest.Send(context.Background(), addr, msgs, ingest.SendOptions{Backoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	want := ingest.Summary{Sent: 2, Accepted: 1, Rejected: 1, Retries: 2}
	if sum != want {
		t.Errorf("summary %+v, want %+v", sum, want)
	}
	// Out of retries: counted as an error.
	addr = serve(t, ingest.FeedConfig{}, &failingQueue{Queue: q, n: 10})
	sum, err = ingest.Send(context.Background(), addr, msgs, ingest.SendOptions{Retries: 1, Backoff: time.Millisecond})
	if err != nil || sum.Errors != 1 || sum.Rejected != 1 {
		t.Errorf("summary %+v, %v", sum, err)
	}
	if _, err := ingest.Send(context.Background(), "127.0.0.1:1", msgs, ingest.SendOptions{Retries: 1, Backoff: time.Millisecond}); err == nil {
		t.Error("no error for a closed port")
	}
}
