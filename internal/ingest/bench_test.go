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
// queue and ACK (no consumer), over 8 loopback connections that each send
// their share of b.N messages one after another, each waiting for its ACK
// (as an MLLP sender does). It reports messages/s and the ACK latency's p50
// and p99.
func BenchmarkReceive(b *testing.B) {
	const conns = 8
	q := openQueue(b)
	addr := serve(b, ingest.FeedConfig{MaxConns: conns}, q)
	clients := make([]*client, conns)
	for i := range clients {
		clients[i] = dial(b, addr)
	}
	lat := make([][]time.Duration, conns)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Go(func() {
			for n := i; n < b.N; n += conns {
				msg := adt(fmt.Sprint("B", n), fmt.Sprint("99900", i, "0018"), "")
				t0 := time.Now()
				c.send(msg)
				a := c.ack()
				lat[i] = append(lat[i], time.Since(t0))
				if a.Get("MSA-1") != string(hl7.AA) {
					b.Errorf("ack %s", a.Get("MSA-1"))
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
	all := slices.Concat(lat...)
	slices.Sort(all)
	if len(all) > 0 {
		b.ReportMetric(float64(all[len(all)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1000, "p99-ms")
	}
}
