package ingest_test

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"carerecord/internal/hl7"
	"carerecord/internal/ingest"
	"carerecord/internal/queue"
)

// doorCounts is an ingest.Stats that counts.
type doorCounts struct {
	mu          sync.Mutex
	open, total int
	fates       map[ingest.Fate]int
}

func (d *doorCounts) Connected()    { d.mu.Lock(); d.open++; d.total++; d.mu.Unlock() }
func (d *doorCounts) Disconnected() { d.mu.Lock(); d.open--; d.mu.Unlock() }

func (d *doorCounts) Received(f ingest.Fate, n int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.fates == nil {
		d.fates = map[ingest.Fate]int{}
	}
	d.fates[f] += n
}

func (d *doorCounts) get() (open, total int, fates map[ingest.Fate]int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := map[ingest.Fate]int{}
	for k, v := range d.fates {
		out[k] = v
	}
	return d.open, d.total, out
}

// The listener tells its Stats of each connection and of each message with
// what became of it: queued (AA), dead-lettered (AR: it did not parse) or
// not stored (AE: the queue failed).
func TestListenerStats(t *testing.T) {
	t.Parallel()
	st := &doorCounts{}
	q := &failingQueue{Queue: &fileQueue{}}
	addr := serve(t, ingest.FeedConfig{Stats: st}, q)

	c := dial(t, addr)
	if code := c.roundTrip(adt("S1", "9990000018", "")); code != hl7.AA {
		t.Fatalf("S1: %s", code)
	}
	if code := c.roundTrip(malformed("S2", "")); code != hl7.AR {
		t.Fatalf("S2: %s", code)
	}
	q.mu.Lock()
	q.n = 1 // the next publish fails
	q.mu.Unlock()
	if code := c.roundTrip(adt("S3", "9990000018", "")); code != hl7.AE {
		t.Fatalf("S3: %s", code)
	}
	c2 := dial(t, addr)
	if code := c2.roundTrip(adt("S4", "9990000026", "")); code != hl7.AA {
		t.Fatalf("S4: %s", code)
	}
	if open, total, _ := st.get(); open != 2 || total != 2 {
		t.Errorf("with two senders connected: open %d, total %d", open, total)
	}
	c.conn.Close()
	c2.conn.Close()
	deadline := time.Now().Add(wait)
	for {
		open, _, fates := st.get()
		if open == 0 {
			want := map[ingest.Fate]int{ingest.Queued: 2, ingest.DeadLettered: 1, ingest.NotStored: 1}
			if len(fates) != len(want) || fates[ingest.Queued] != 2 || fates[ingest.DeadLettered] != 1 || fates[ingest.NotStored] != 1 {
				t.Errorf("fates %v, want %v", fates, want)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d connections still counted open after both senders left", open)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// CountFiles counts each message of a file once, also when QueueFile splits
// a chunk that held one message too large to queue.
func TestCountFiles(t *testing.T) {
	var b strings.Builder
	const n = 1200
	for i := range n {
		id := "F" + strconv.Itoa(i)
		if i == 1100 {
			b.WriteString(adt(id, "9990000018", "") + "NTE|1||" + strings.Repeat("x", 2000) + "\r")
			continue
		}
		b.WriteString(adt(id, "9990000018", ""))
	}
	b.WriteString("MSH|^~\\&|PAS|RRV|CR|CR|20260101120000||ADT^A01|F-bad|P|2.5.1\rP!D|bad\r")
	st := &doorCounts{}
	fq := &fileQueue{max: 1500}
	rep, err := ingest.QueueFile(context.Background(), ingest.CountFiles(fq, st), pas, strings.NewReader(b.String()), queue.Bulk)
	if err != nil {
		t.Fatal(err)
	}
	_, _, fates := st.get()
	if fates[ingest.Queued] != rep.Queued || fates[ingest.Queued] != n-1 || fates[ingest.NotStored] != 1 || fates[ingest.DeadLettered] != 1 {
		t.Errorf("fates %v; report: %d messages, %d queued, %d rejected", fates, rep.Messages, rep.Queued, len(rep.Rejected))
	}
	if ingest.CountFiles(fq, nil) != ingest.FileQueue(fq) {
		t.Error("CountFiles with no Stats should hand back the queue as it is")
	}
}
