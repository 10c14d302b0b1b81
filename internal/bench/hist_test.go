package bench

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// exactQuantile is the nearest-rank quantile of a sorted slice.
func exactQuantile(sorted []time.Duration, q float64) time.Duration {
	rank := int(math.Ceil(q * float64(len(sorted))))
	rank = max(1, min(rank, len(sorted)))
	return sorted[rank-1]
}

func TestHistogramQuantileWithinResolution(t *testing.T) {
	tests := []struct {
		name string
		n    int
		gen  func(r *rand.Rand) time.Duration
	}{
		{"small exact values", 1000, func(r *rand.Rand) time.Duration { return time.Duration(r.IntN(128)) }},
		{"uniform 0-10ms", 20_000, func(r *rand.Rand) time.Duration { return time.Duration(r.Int64N(int64(10 * time.Millisecond))) }},
		{"exponential mean 2ms", 50_000, func(r *rand.Rand) time.Duration {
			return time.Duration(r.ExpFloat64() * float64(2*time.Millisecond))
		}},
		{"bimodal with slow tail", 10_000, func(r *rand.Rand) time.Duration {
			if r.IntN(100) == 0 {
				return 200*time.Millisecond + time.Duration(r.Int64N(int64(time.Second)))
			}
			return 300*time.Microsecond + time.Duration(r.Int64N(int64(time.Millisecond)))
		}},
		{"one value", 1, func(*rand.Rand) time.Duration { return 1234567 }},
		{"constant", 500, func(*rand.Rand) time.Duration { return 3 * time.Millisecond }},
	}
	quantiles := []float64{0.001, 0.25, 0.5, 0.9, 0.99, 0.999, 1}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(1, 2))
			var h Histogram
			samples := make([]time.Duration, tt.n)
			var sum time.Duration
			for i := range samples {
				samples[i] = tt.gen(r)
				sum += samples[i]
				h.Record(samples[i])
			}
			slices.Sort(samples)
			if h.Count() != int64(tt.n) {
				t.Fatalf("Count = %d, want %d", h.Count(), tt.n)
			}
			if h.Min() != samples[0] || h.Max() != samples[len(samples)-1] {
				t.Errorf("Min, Max = %v, %v; want %v, %v", h.Min(), h.Max(), samples[0], samples[len(samples)-1])
			}
			if want := sum / time.Duration(tt.n); h.Mean() != want {
				t.Errorf("Mean = %v, want %v", h.Mean(), want)
			}
			for _, q := range quantiles {
				want := exactQuantile(samples, q)
				got := h.Quantile(q)
				// Never below the true sample, at most one bucket (1/64) above it.
				limit := want + want/64 + 1
				if got < want || got > limit {
					t.Errorf("Quantile(%v) = %v, want within [%v, %v]", q, got, want, limit)
				}
			}
		})
	}
}

func TestHistogramEdges(t *testing.T) {
	var empty Histogram
	if got := empty.Quantile(0.99); got != 0 {
		t.Errorf("empty Quantile = %v, want 0", got)
	}
	if got := empty.Mean(); got != 0 {
		t.Errorf("empty Mean = %v, want 0", got)
	}
	var h Histogram
	h.Record(-5)
	h.Record(10 * time.Millisecond)
	h.Record(time.Duration(math.MaxInt64))
	if h.Min() != 0 {
		t.Errorf("negative sample: Min = %v, want 0", h.Min())
	}
	if got := h.Quantile(0); got != 0 {
		t.Errorf("Quantile(0) = %v, want Min 0", got)
	}
	if got := h.Quantile(1); got != time.Duration(math.MaxInt64) {
		t.Errorf("Quantile(1) = %v, want the largest sample", got)
	}
	if got := h.Quantile(0.5); got < 10*time.Millisecond || got > 10*time.Millisecond+10*time.Millisecond/64 {
		t.Errorf("Quantile(0.5) = %v, want about 10ms", got)
	}
}

func TestHistogramMergeEqualsOneHistogram(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var whole Histogram
	parts := make([]Histogram, 4)
	for i := range 10_000 {
		d := time.Duration(r.ExpFloat64() * float64(time.Millisecond))
		whole.Record(d)
		parts[i%len(parts)].Record(d)
	}
	var merged Histogram
	merged.Merge(&Histogram{}) // merging an empty one changes nothing
	for i := range parts {
		merged.Merge(&parts[i])
	}
	if merged != whole {
		t.Fatalf("merged histogram differs: count %d min %v max %v, want count %d min %v max %v",
			merged.Count(), merged.Min(), merged.Max(), whole.Count(), whole.Min(), whole.Max())
	}
}

func TestBucketsAreTightAndOrdered(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	check := func(v uint64) {
		b := bucketOf(v)
		if b < 0 || b >= numBuckets {
			t.Fatalf("bucketOf(%d) = %d, outside [0, %d)", v, b, numBuckets)
		}
		if hi := bucketHigh(b); hi < v {
			t.Errorf("bucketHigh(bucketOf(%d)) = %d, below the value", v, hi)
		}
		if b > 0 && bucketHigh(b-1) >= v {
			t.Errorf("value %d also fits the previous bucket (high %d)", v, bucketHigh(b-1))
		}
		if v >= subBuckets && float64(bucketHigh(b)-v) > float64(v)/halfBuckets {
			t.Errorf("bucket of %d is wider than 1/%d of it: high %d", v, halfBuckets, bucketHigh(b))
		}
	}
	for v := range uint64(5000) {
		check(v)
	}
	for range 100_000 {
		check(r.Uint64() >> r.UintN(64))
	}
	check(math.MaxInt64)
}

func BenchmarkHistogramRecord(b *testing.B) {
	b.ReportAllocs()
	var h Histogram
	d := time.Duration(1)
	for b.Loop() {
		h.Record(d)
		d = (d*3 + 7) % (1 << 32)
	}
}
