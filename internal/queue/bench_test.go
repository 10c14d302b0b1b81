package queue_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"carerecord/internal/queue"
)

// adtBody is about the size of a typical ADT^A01 (1 KiB).
var adtBody = bytes.Repeat([]byte("PID|1||9990000018^^^NHS||DOE^JANE||19700101|F|||1 HIGH ST^^LEEDS^^LS1 1AA|\r"), 12)

func openBench(b *testing.B, cfg queue.Config) *queue.Queue {
	b.Helper()
	cfg.DataDir = b.TempDir()
	cfg.Logger = slog.New(slog.DiscardHandler)
	q, err := queue.Open(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { q.Close() })
	return q
}

// BenchmarkPublish: one message at a time, returning after the PubAck, as
// the MLLP listener does before it ACKs. "fsync" is the default (SyncAlways);
// "relaxed" syncs on an interval: the difference is the price of
// durability.
func BenchmarkPublish(b *testing.B) {
	for _, mode := range []struct {
		name    string
		relaxed bool
	}{{"fsync", false}, {"relaxed", true}} {
		b.Run(mode.name, func(b *testing.B) {
			q := openBench(b, queue.Config{RelaxedSync: mode.relaxed})
			ctx := context.Background()
			b.ReportAllocs()
			b.SetBytes(int64(len(adtBody)))
			i := 0
			for b.Loop() {
				i++
				m := queue.Message{Feed: "adt", Key: strconv.Itoa(i % 1000), ID: strconv.Itoa(i), Body: adtBody}
				if err := q.Publish(ctx, m); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}

// BenchmarkPublishConcurrent: 16 senders publishing at once (16 MLLP
// connections), each waiting for its own PubAck; one op is one message.
func BenchmarkPublishConcurrent(b *testing.B) {
	q := openBench(b, queue.Config{})
	ctx := context.Background()
	b.ReportAllocs()
	var n atomic.Int64
	for b.Loop() {
		var wg sync.WaitGroup
		for range 16 {
			wg.Go(func() {
				i := n.Add(1)
				m := queue.Message{Feed: "adt", Key: strconv.FormatInt(i%1000, 10), ID: strconv.FormatInt(i, 10), Body: adtBody}
				if err := q.Publish(ctx, m); err != nil {
					b.Error(err)
				}
			})
		}
		wg.Wait()
	}
	b.ReportMetric(float64(n.Load())/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkPublishBulk: the backload lane, 1,000 messages per op published
// asynchronously and waited for together.
func BenchmarkPublishBulk(b *testing.B) {
	q := openBench(b, queue.Config{MaxBytes: 2 << 30})
	ctx := context.Background()
	batch := make([]queue.Message, 1000)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		for j := range batch {
			i++
			batch[j] = queue.Message{Feed: "backload", Key: strconv.Itoa(i % 5000), ID: strconv.Itoa(i), Body: adtBody}
		}
		if err := q.PublishBulk(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(batch))/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkEndToEnd: 8 senders publish 1,000 live messages for 1,000
// patients per op over 8 partitions, and the op ends when all are handled.
// "fsync" is the default durability, "relaxed" syncs on an interval.
func BenchmarkEndToEnd(b *testing.B) {
	b.Run("fsync", func(b *testing.B) { benchEndToEnd(b, false) })
	b.Run("relaxed", func(b *testing.B) { benchEndToEnd(b, true) })
}

func benchEndToEnd(b *testing.B, relaxed bool) {
	q := openBench(b, queue.Config{Partitions: 8, RelaxedSync: relaxed})
	ctx, cancel := context.WithCancel(context.Background())
	var handled atomic.Int64
	done := make(chan error, 1)
	go func() {
		done <- q.Consume(ctx, func(context.Context, queue.Delivery) error { handled.Add(1); return nil }, queue.ConsumeOptions{})
	}()
	b.Cleanup(func() { cancel(); <-done })
	const perOp, senders = 1000, 8
	b.ReportAllocs()
	sent := 0
	for b.Loop() {
		var wg sync.WaitGroup
		for s := range senders {
			wg.Go(func() {
				for j := s; j < perOp; j += senders {
					id := fmt.Sprint(sent+j, "-", time.Now().UnixNano())
					m := queue.Message{Feed: "adt", Key: strconv.Itoa(j), ID: id, Body: adtBody}
					if err := q.Publish(ctx, m); err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		sent += perOp
		for handled.Load() < int64(sent) {
			time.Sleep(100 * time.Microsecond)
		}
	}
	b.ReportMetric(float64(sent)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkBulkEndToEnd: a backload of 5,000 messages per op through the
// bulk lane (2 partitions, batches of 256) until all are handled.
func BenchmarkBulkEndToEnd(b *testing.B) {
	q := openBench(b, queue.Config{})
	ctx, cancel := context.WithCancel(context.Background())
	var handled atomic.Int64
	done := make(chan error, 1)
	go func() {
		done <- q.Consume(ctx, func(context.Context, queue.Delivery) error { handled.Add(1); return nil }, queue.ConsumeOptions{})
	}()
	b.Cleanup(func() { cancel(); <-done })
	batch := make([]queue.Message, 5000)
	b.ReportAllocs()
	sent := 0
	for b.Loop() {
		for j := range batch {
			batch[j] = queue.Message{Feed: "backload", Key: strconv.Itoa(j % 2000), ID: strconv.Itoa(sent + j), Body: adtBody}
		}
		if err := q.PublishBulk(ctx, batch); err != nil {
			b.Fatal(err)
		}
		sent += len(batch)
		for handled.Load() < int64(sent) {
			time.Sleep(100 * time.Microsecond)
		}
	}
	b.ReportMetric(float64(sent)/b.Elapsed().Seconds(), "msgs/s")
}
