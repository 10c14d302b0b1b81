package server_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"runtime/debug"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"carerecord/internal/config"
	"carerecord/internal/ingest"
	"carerecord/internal/nhsnumber"
	"carerecord/internal/server/servertest"
)

// The engine benchmarks run on the embedded defaults (SQLite, embedded
// NATS) unless CARERECORD_BENCH_POSTGRES (a DSN for a database of its own)
// and CARERECORD_BENCH_NATS (an external NATS URL) say otherwise. Control
// ids carry the start time, so runs against an external NATS or a kept
// PostgreSQL database never meet the queue's de-duplication or the record's
// inbox from an earlier run.
func benchEngine(b *testing.B) *servertest.Server {
	b.Helper()
	dsn, nats := os.Getenv("CARERECORD_BENCH_POSTGRES"), os.Getenv("CARERECORD_BENCH_NATS")
	b.Logf("store %s, queue %s", or(dsn, "SQLite"), or(nats, "embedded NATS"))
	benchRun = strconv.FormatInt(time.Now().UnixNano()%(36*36*36*36*36*36), 36)
	return servertest.Start(b, servertest.WithConfig(func(c *config.Config) {
		c.SetMLLP("127.0.0.1:0")
		c.PostgresDSN, c.NATSURL = dsn, nats
	}))
}

func or(s, d string) string {
	if s == "" {
		return d
	}
	return "external " + s
}

// benchRun tells one benchmark run's control ids from another's.
var benchRun string

// benchADT is an admission for patient n (an NHS test number), with a
// control id unique to this run.
func benchADT(n int) []byte {
	return fmt.Appendf(nil, "MSH|^~\\&|PAS|RZZ|CARERECORD|ICS|20240312093000||ADT^A01^ADT_A01|B%s%07d|P|2.4|||AL|NE\r"+
		"EVN|A01|20240312093000\r"+
		"PID|1||RZZ%07d^^^RZZMRN^MR~%s^^^NHS^NH||PATIENT^BENCH%d||19800214|F|||1 HIGH STREET^^LEEDS^^LS1 4AB^GBR^H\r"+
		"PV1|1|I|WARD7^BAY2^BED3^LGI||||C1234567^WHO^JOHN^^^DR^^^GMC||||||||||||V%07d|||||||||||||||||||||||||20240312090000|\r",
		benchRun, n, n, nhsnumber.Test(n), n, n)
}

// applied is the default feed's count of applied messages.
func applied(b *testing.B, srv *servertest.Server) int {
	var status struct {
		Feeds []struct {
			Applied int `json:"applied"`
		} `json:"feeds"`
	}
	getJSON(b, srv.URL()+"/engine/status", &status)
	return status.Feeds[0].Applied
}

// waitApplied polls until the feed has applied n messages.
func waitApplied(b *testing.B, srv *servertest.Server, n int) {
	deadline := time.Now().Add(5 * time.Minute)
	for applied(b, srv) < n {
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d applied", applied(b, srv), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// BenchmarkMLLPToRecord sends admissions for distinct patients over 8 MLLP
// connections to a server with a feed and times them from the first send
// to the last one applied to the record (queued durably, ACKed, mapped,
// written and indexed). It reports ACKs/s (what a sender sees) and
// applied/s (when the record has them).
func BenchmarkMLLPToRecord(b *testing.B) {
	srv := benchEngine(b)
	addr := srv.Server.MLLPAddrs()[0]
	const conns = 8
	perOp := scaled(2000)
	next := 0
	var acked, done time.Duration
	total := 0
	for b.Loop() {
		msgs := make([][]byte, perOp)
		for i := range msgs {
			msgs[i] = benchADT(next + i)
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
		waitApplied(b, srv, total)
		done += time.Since(start)
	}
	b.ReportMetric(float64(total)/acked.Seconds(), "acks/s")
	b.ReportMetric(float64(total)/done.Seconds(), "applied/s")
}

// BenchmarkBackload posts a file of admissions for distinct patients to the
// bulk lane (what `carerecord ingest` does) and times it until every one is
// in the record, while a live sender admits one more patient over MLLP
// every 100 ms and measures how long each takes to be readable in the
// record. It reports the backload's applied/s and the live messages'
// end-to-end lag.
func BenchmarkBackload(b *testing.B) {
	srv := benchEngine(b)
	addr := srv.Server.MLLPAddrs()[0]
	perOp := scaled(20000)
	next := 800_000 // live patients count down from here, the backload up from 0 (NHS test numbers run out above ~909,000)
	var elapsed time.Duration
	var lags []time.Duration
	var liveTotal int64
	total := 0
	for b.Loop() {
		var file bytes.Buffer
		for i := range perOp {
			file.Write(benchADT(total + i))
			file.WriteString("\r\n")
		}
		stop := make(chan struct{})
		var liveDone atomic.Int64
		var live sync.WaitGroup
		live.Go(func() {
			t := time.NewTicker(100 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-stop:
					return
				case <-t.C:
				}
				next--
				lags = append(lags, liveLag(b, srv, addr, next))
				liveDone.Add(1)
			}
		})
		start := time.Now()
		resp, err := http.Post(srv.URL()+"/engine/feeds/default/messages?lane=bulk", "text/plain", &file)
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			b.Fatalf("post the backload: %s", resp.Status)
		}
		total += perOp
		deadline := time.Now().Add(10 * time.Minute)
		for applied(b, srv) < total+int(liveTotal+liveDone.Load()) {
			if time.Now().After(deadline) {
				b.Fatal("the backload did not finish")
			}
			time.Sleep(20 * time.Millisecond)
		}
		elapsed += time.Since(start)
		close(stop)
		live.Wait()
		liveTotal += liveDone.Load()
	}
	b.ReportMetric(float64(total)/elapsed.Seconds(), "backload-applied/s")
	if len(lags) > 0 {
		slices.Sort(lags)
		b.ReportMetric(float64(lags[len(lags)/2].Milliseconds()), "live-lag-p50-ms")
		b.ReportMetric(float64(lags[len(lags)*99/100].Milliseconds()), "live-lag-p99-ms")
		b.ReportMetric(float64(lags[len(lags)-1].Milliseconds()), "live-lag-max-ms")
	}
}

// liveLag admits patient n over MLLP and returns how long until a FHIR
// search by NHS number finds them.
func liveLag(b *testing.B, srv *servertest.Server, addr string, n int) time.Duration {
	start := time.Now()
	sum, err := ingest.Send(context.Background(), addr, slices.Values([][]byte{benchADT(n)}), ingest.SendOptions{})
	if err != nil || sum.Accepted != 1 {
		b.Errorf("live send: %+v, %v", sum, err)
		return 0
	}
	u := srv.FHIR + "/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|" + nhsnumber.Test(n) + "&_summary=count"
	for time.Since(start) < time.Minute {
		var bundle struct {
			Total int `json:"total"`
		}
		getJSON(b, u, &bundle)
		if bundle.Total > 0 {
			return time.Since(start)
		}
		time.Sleep(2 * time.Millisecond)
	}
	b.Errorf("live patient %d not in the record after a minute", n)
	return time.Minute
}

// scaled is n, or a tenth of it under the race detector: the suite runs
// every benchmark once there to keep it working, and the figures come
// from runs without it.
func scaled(n int) int {
	bi, ok := debug.ReadBuildInfo()
	if ok && slices.ContainsFunc(bi.Settings, func(s debug.BuildSetting) bool { return s.Key == "-race" && s.Value == "true" }) {
		return n / 10
	}
	return n
}
