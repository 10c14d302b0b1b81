package match

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"slices"
	"sync"
	"testing"
	"time"
)

// BenchmarkFEBRL4Link links the whole of FEBRL4 (5,000 × 5,000): normalise,
// train without labels, block, score. One op is one whole linkage.
//
//	go test ./internal/mpi/match -run x -bench FEBRL4 -benchtime 10x
func BenchmarkFEBRL4Link(b *testing.B) {
	a := loadFEBRL(b, "febrl_dataset4a.csv")
	bb := loadFEBRL(b, "febrl_dataset4b.csv")
	b.Run("train+link", func(b *testing.B) {
		b.ReportAllocs()
		pairs := 0
		for b.Loop() {
			res, err := Link(a.records, bb.records, Options{})
			if err != nil {
				b.Fatal(err)
			}
			pairs = res.Candidates
		}
		b.ReportMetric(float64(pairs), "pairs/op")
	})
	b.Run("link", func(b *testing.B) {
		m, _, err := TrainLink(a.records, bb.records, TrainOptions{})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Link(a.records, bb.records, Options{Model: m}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// million is the generated population of the single-record benchmark,
// built once per process.
var million struct {
	once    sync.Once
	ix      *Index
	queries []Record
	want    []string // the population record of the same person, "" for strangers
	build   time.Duration
	heapMB  float64
}

// BenchmarkMatch1M matches one incoming record against an index of
// 1,000,000 generated people; p50 and p99 are of single Match calls. The
// queries are other sources' records of people in the population (with
// their errors) and, one in five, people who are not in it; linked-% is
// the share of the first kind linked automatically to the right record,
// false-links the automatic links to a wrong one.
//
//	go test ./internal/mpi/match -run x -bench Match1M -benchtime 20000x
func BenchmarkMatch1M(b *testing.B) {
	people := 1_000_000
	if raceEnabled() {
		// The suite runs every benchmark once under the race detector to
		// keep it working; a million people there take minutes and measure
		// nothing.
		people = 20_000
		b.Logf("race detector on: %d people instead of a million", people)
	}
	million.once.Do(func() {
		start := time.Now()
		// A model trained without labels on a sample shaped like the
		// population; the prior scales to the index's size.
		sample := generateUK(99, 20_000)
		m, _, err := TrainDedupe(sample.records, TrainOptions{})
		if err != nil {
			b.Fatal(err)
		}
		g := newGenerator(1)
		pop := g.population(people)
		ix, err := NewIndex(m)
		if err != nil {
			b.Fatal(err)
		}
		const batch = 50_000
		recs := make([]Record, 0, batch)
		for i := range pop {
			recs = append(recs, g.record(&pop[i], fmt.Sprintf("p%d", i), 0))
			if len(recs) == batch || i == len(pop)-1 {
				if err := ix.Add(recs...); err != nil {
					b.Fatal(err)
				}
				recs = recs[:0]
			}
		}
		for i := range 20_000 {
			if i%5 == 4 {
				stranger := g.person(nil)
				million.queries = append(million.queries, g.record(&stranger, fmt.Sprintf("q%d", i), 1))
				million.want = append(million.want, "")
				continue
			}
			k := g.rng.IntN(len(pop))
			million.queries = append(million.queries, g.record(&pop[k], fmt.Sprintf("q%d", i), 1+g.rng.IntN(5)))
			million.want = append(million.want, fmt.Sprintf("p%d", k))
		}
		pop = nil
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		million.ix, million.build, million.heapMB = ix, time.Since(start), float64(ms.HeapAlloc)/(1<<20)
		b.Logf("built the index of %d records in %v (generation and a training sample included); heap %.0f MB",
			ix.Len(), million.build.Round(time.Millisecond), million.heapMB)
	})
	ix, qs := million.ix, million.queries
	lat := make([]time.Duration, 0, b.N)
	found, members, right, wrong := 0, 0, 0, 0
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		k := i % len(qs)
		i++
		t0 := time.Now()
		res := ix.Match(qs[k])
		lat = append(lat, time.Since(t0))
		found += len(res)
		want := million.want[k]
		if want != "" {
			members++
		}
		for _, r := range res {
			switch {
			case r.Grade != Certain:
			case r.ID == want:
				right++
			default:
				wrong++
			}
		}
	}
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[min(int(p*float64(len(lat))), len(lat)-1)].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(found)/float64(len(lat)), "results/op")
	b.ReportMetric(million.heapMB, "heap-MB")
	if members > 0 {
		b.ReportMetric(100*float64(right)/float64(members), "linked-%")
	}
	b.ReportMetric(float64(wrong), "false-links")
}

// raceEnabled reports whether the test binary was built with -race.
func raceEnabled() bool {
	bi, ok := debug.ReadBuildInfo()
	return ok && slices.ContainsFunc(bi.Settings, func(s debug.BuildSetting) bool { return s.Key == "-race" && s.Value == "true" })
}
