package queue

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// Group commit for the embedded server.
//
// JetStream's file store can only fsync message by message (SyncAlways),
// which caps a durable publish at one disk flush per message: about 1,000
// messages a second on the development VM, whatever the number of senders.
// Instead the embedded server runs without SyncAlways, with every stream in
// JetStream's default persist mode, where a message is written to its block
// file (the operating system's page cache) before the PubAck is sent. A
// publisher then waits for a syncer: one goroutine per stream that fsyncs
// the stream's newest block files once for everyone who has been acked
// since its last flush began. Eight MLLP connections then share one disk
// flush instead of paying eight, and a sender is still told AA only once
// its message is on disk.

// syncer makes one stream's written messages durable for many waiters at
// once.
type syncer struct {
	dir  string // the stream's msgs folder
	kick chan struct{}
	stop chan struct{}
	done chan struct{}

	mu      sync.Mutex
	waiting []chan error

	flushes atomic.Int64 // how many flushes ran, for tests and figures
	once    sync.Once

	// Owned by the run goroutine.
	low   int          // lowest block index that may hold unsynced writes
	known map[int]bool // block files whose directory entry is synced
}

func newSyncer(dir string) *syncer {
	s := &syncer{
		dir:   dir,
		kick:  make(chan struct{}, 1),
		stop:  make(chan struct{}),
		done:  make(chan struct{}),
		known: map[int]bool{},
	}
	go s.run()
	return s
}

// errSyncerClosed is what waiters get when the queue closes under them.
var errSyncerClosed = errors.New("queue: closed before the message was flushed to disk")

// wait returns once everything the stream held when wait was called is on
// disk.
func (s *syncer) wait(ctx context.Context) error {
	ch := make(chan error, 1)
	s.mu.Lock()
	s.waiting = append(s.waiting, ch)
	s.mu.Unlock()
	select {
	case s.kick <- struct{}{}:
	default: // a flush is already due
	}
	select {
	case err := <-ch:
		return err
	case <-s.done:
		return errSyncerClosed
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *syncer) run() {
	defer close(s.done)
	for {
		select {
		case <-s.stop:
			return
		case <-s.kick:
		}
		s.mu.Lock()
		batch := s.waiting
		s.waiting = nil
		s.mu.Unlock()
		if len(batch) == 0 {
			continue
		}
		err := s.flush()
		s.flushes.Add(1)
		for _, ch := range batch {
			ch <- err
		}
	}
}

// close stops the syncer; it may be called more than once (Queue.Close
// may be).
func (s *syncer) close() {
	s.once.Do(func() { close(s.stop) })
	<-s.done
}

// flush fsyncs every block file at or after the last one seen by the
// previous flush (new messages only ever go to the newest block), and the
// folder when a block file is new.
func (s *syncer) flush() error {
	blocks, err := s.blocks()
	if err != nil {
		return err
	}
	fresh := false
	for _, n := range blocks {
		if n < s.low {
			continue
		}
		if !s.known[n] {
			fresh = true
		}
		if err := s.syncBlock(n); err != nil {
			return err
		}
	}
	if fresh {
		if err := syncPath(s.dir); err != nil {
			return err
		}
		for _, n := range blocks {
			s.known[n] = true
		}
	}
	if len(blocks) > 0 {
		s.low = blocks[len(blocks)-1]
	}
	return nil
}

// blocks lists the stream's block indices in order. To spare a directory
// read on every flush, it only reads the folder when a block after the
// newest one it knows exists.
func (s *syncer) blocks() ([]int, error) {
	if s.known[s.low] {
		if _, err := os.Stat(filepath.Join(s.dir, blockName(s.low+1))); errors.Is(err, os.ErrNotExist) {
			return []int{s.low}, nil
		}
	}
	// Waiters come after a PubAck, so the folder exists: a missing one
	// means the layout is not what this code expects, and saying so beats
	// acknowledging messages that were never flushed.
	ents, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("queue: flush: %w", err)
	}
	var out []int
	for _, e := range ents {
		name, ok := strings.CutSuffix(e.Name(), ".blk")
		if !ok {
			continue
		}
		if n, err := strconv.Atoi(name); err == nil {
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("queue: flush: no block files in %s", s.dir)
	}
	slices.Sort(out) // ReadDir sorts by name, not number
	for n := range s.known {
		if !slices.Contains(out, n) {
			delete(s.known, n)
		}
	}
	return out, nil
}

// syncBlock opens the block afresh each time: the server may compact a
// block into a new file under the same name. A block removed since it was
// listed has nothing left to keep.
func (s *syncer) syncBlock(n int) error {
	err := syncPath(filepath.Join(s.dir, blockName(n)))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}

func blockName(n int) string { return strconv.Itoa(n) + ".blk" }

// syncPath fsyncs a file or a folder.
func syncPath(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("queue: flush: %w", err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("queue: flush: %w", err)
	}
	return nil
}
