package server_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"carerecord/internal/config"
	"carerecord/internal/ingest"
	"carerecord/internal/nhsnumber"
	"carerecord/internal/server/servertest"
)

// BenchmarkMLLPToRecord sends admissions for distinct patients over 8 MLLP
// connections to a server with a feed and times them from the first send
// to the last one applied to the record (queued durably, ACKed, mapped,
// written and indexed). It reports ACKs/s (what a sender sees) and
// applied/s (when the record has them).
func BenchmarkMLLPToRecord(b *testing.B) {
	srv := servertest.Start(b, servertest.WithConfig(func(c *config.Config) { c.SetMLLP("127.0.0.1:0") }))
	addr := srv.Server.MLLPAddrs()[0]
	const perOp, conns = 400, 8
	next := 0
	var acked, applied time.Duration
	total := 0
	for b.Loop() {
		msgs := make([][]byte, perOp)
		for i := range msgs {
			n := next + i
			msgs[i] = []byte(fmt.Sprintf("MSH|^~\\&|PAS|RZZ|CARERECORD|ICS|20240312093000||ADT^A01^ADT_A01|B%07d|P|2.4|||AL|NE\r"+
				"EVN|A01|20240312093000\r"+
				"PID|1||RZZ%07d^^^RZZMRN^MR~%s^^^NHS^NH||PATIENT^BENCH%d||19800214|F|||1 HIGH STREET^^LEEDS^^LS1 4AB^GBR^H\r"+
				"PV1|1|I|WARD7^BAY2^BED3^LGI||||C1234567^WHO^JOHN^^^DR^^^GMC||||||||||||V%07d|||||||||||||||||||||||||20240312090000|\r",
				n, n, nhsnumber.Test(n), n, n))
		}
		next += perOp
		start := time.Now()
		var wg sync.WaitGroup
		for c := range conns {
			wg.Go(func() {
				part := msgs[c*perOp/conns : (c+1)*perOp/conns]
				sum, err := ingest.Send(context.Background(), addr, slices.Values(part), ingest.SendOptions{})
				if err != nil || sum.Accepted != len(part) {
					b.Errorf("send: %+v, %v", sum, err)
				}
			})
		}
		wg.Wait()
		acked += time.Since(start)
		total += perOp
		var status struct {
			Feeds []struct {
				Applied int `json:"applied"`
			} `json:"feeds"`
		}
		deadline := time.Now().Add(2 * time.Minute)
		for {
			getJSON(b, srv.URL()+"/engine/status", &status)
			if status.Feeds[0].Applied >= total {
				break
			}
			if time.Now().After(deadline) {
				b.Fatalf("%d of %d applied", status.Feeds[0].Applied, total)
			}
			time.Sleep(5 * time.Millisecond)
		}
		applied += time.Since(start)
	}
	b.ReportMetric(float64(total)/acked.Seconds(), "acks/s")
	b.ReportMetric(float64(total)/applied.Seconds(), "applied/s")
}
