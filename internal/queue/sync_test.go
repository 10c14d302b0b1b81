package queue

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Every durable publish on the embedded server waits for a flush of real
// block files: a wrong idea of the store's layout fails the publish instead
// of acknowledging messages that were never flushed.
func TestGroupFlush(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	q, err := Open(ctx, Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	s := q.syncers[q.streamName("in")]
	if s == nil {
		t.Fatal("no syncer for the live lane")
	}
	const senders, each = 16, 25
	var wg sync.WaitGroup
	errs := make(chan error, senders*each)
	for i := range senders {
		wg.Go(func() {
			for j := range each {
				id := strconv.Itoa(i*each + j)
				errs <- q.Publish(ctx, Message{Feed: "f", Key: "k" + id, ID: id, Body: []byte("MSH|^~\\&|" + id)})
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(s.known) == 0 || s.low == 0 {
		t.Fatalf("the syncer flushed no block file (known %v, low %d)", s.known, s.low)
	}
	blk := filepath.Join(s.dir, blockName(s.low))
	if _, err := os.Stat(blk); err != nil {
		t.Fatalf("the newest block the syncer flushed is not there: %v", err)
	}
	t.Logf("%d publishes from %d senders shared %d flushes", senders*each, senders, s.flushes.Load())
	if n := s.flushes.Load(); n < 1 || n > senders*each {
		t.Fatalf("%d flushes for %d publishes", n, senders*each)
	}
}

func TestFlushWrongFolderFails(t *testing.T) {
	s := newSyncer(filepath.Join(t.TempDir(), "missing"))
	defer s.close()
	if err := s.wait(context.Background()); err == nil {
		t.Fatal("a flush of a folder that does not exist succeeded")
	}
}
