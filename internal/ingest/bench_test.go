package ingest_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"carerecord/internal/hl7"
	"carerecord/internal/ingest"
)

// BenchmarkReceive measures MLLP receive, durable publish to the embedded
// queue and ACK, over 8 loopback connections each sending one message and
// waiting for its ACK per iteration (so one iteration is 8 messages). It
// reports messages/s and the ACK latency's p50 and p99.
func BenchmarkReceive(b *testing.B) {
	const conns = 8
	q := openQueue(b)
	addr := serve(b, ingest.FeedConfig{MaxConns: conns}, q)
	clients := make([]*client, conns)
	for i := range clients {
		clients[i] = dial(b, addr)
	}
	var lat []time.Duration
	var mu sync.Mutex
	n := 0
	b.ReportAllocs()
	start := time.Now()
	for b.Loop() {
		var wg sync.WaitGroup
		for i, c := range clients {
			msg := adt(fmt.Sprint("B", n, "-", i), fmt.Sprint("99900", i, "0018"), "")
			wg.Go(func() {
				t0 := time.Now()
				c.send(msg)
				a := c.ack()
				d := time.Since(t0)
				if a.Get("MSA-1") != string(hl7.AA) {
					b.Errorf("ack %s", a.Get("MSA-1"))
				}
				mu.Lock()
				lat = append(lat, d)
				mu.Unlock()
			})
		}
		wg.Wait()
		n++
	}
	elapsed := time.Since(start)
	b.ReportMetric(float64(n*conns)/elapsed.Seconds(), "msgs/s")
	slices.Sort(lat)
	if len(lat) > 0 {
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	}
}
