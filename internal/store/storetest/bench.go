package storetest

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"

	"carerecord/internal/store"
)

// benchIDs numbers created resources across benchmark runs on one store,
// so that every Put of BenchCreateParallel and BenchBulkWrite is a create.
var benchIDs atomic.Int64

// BenchWriters is how many goroutines BenchCreateParallel writes from.
const BenchWriters = 32

// BenchCreateParallel creates ~1 KB Observations, one per Write, from
// BenchWriters goroutines, and reports creates/s.
func BenchCreateParallel(b *testing.B, s store.Store) {
	ctx := context.Background()
	body := Observation("bench")
	b.ReportAllocs()
	b.SetParallelism(max(1, BenchWriters/runtime.GOMAXPROCS(0)))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			id := fmt.Sprint("c", benchIDs.Add(1))
			err := s.Write(ctx, func(tx store.Tx) error {
				_, err := tx.Put(ctx, store.Put{Type: "Observation", ID: id, Body: body})
				return err
			})
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "creates/s")
}

// BenchRead reads resources by id from a store holding 10,000 of them, from
// GOMAXPROCS goroutines, and reports reads/s.
func BenchRead(b *testing.B, s store.Store) {
	ctx := context.Background()
	const n = 10000
	body := Observation("bench")
	err := s.Write(ctx, func(tx store.Tx) error {
		if _, err := tx.Read(ctx, "Observation", "r0"); err == nil {
			return nil // seeded by an earlier run of this benchmark
		}
		for i := range n {
			if _, err := tx.Put(ctx, store.Put{Type: "Observation", ID: fmt.Sprint("r", i), Body: body}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	var next atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			id := fmt.Sprint("r", next.Add(7919)%n)
			if _, err := s.Read(ctx, "Observation", id); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "reads/s")
}

// BenchBulkWrite creates 1000 Observations per Write and reports
// resources/s.
func BenchBulkWrite(b *testing.B, s store.Store) {
	ctx := context.Background()
	const perWrite = 1000
	body := Observation("bench")
	b.ReportAllocs()
	for b.Loop() {
		err := s.Write(ctx, func(tx store.Tx) error {
			for range perWrite {
				id := fmt.Sprint("b", benchIDs.Add(1))
				if _, err := tx.Put(ctx, store.Put{Type: "Observation", ID: id, Body: body}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*perWrite)/b.Elapsed().Seconds(), "resources/s")
}
