package bench

import (
	"math"
	"math/bits"
	"time"
)

// Histogram records latencies in log-linear buckets, in the manner of an
// HDR histogram: values below subBuckets nanoseconds are exact, larger ones
// fall into buckets no wider than 1/halfBuckets of their value, so every
// quantile it reports is within 1/64 (about 1.6%) above the true sample. Its
// size is fixed, whatever the number of samples, so a long run cannot grow it.
//
// A Histogram is not safe for concurrent use: give each worker its own and
// Merge them at the end. The zero value is ready to use.
type Histogram struct {
	counts [numBuckets]int64
	n      int64
	sum    time.Duration
	min    time.Duration
	max    time.Duration
}

const (
	subBits     = 7
	subBuckets  = 1 << subBits   // 128 exact values, then 64 per power of two
	halfBuckets = subBuckets / 2 // buckets per power of two above subBuckets
	// numBuckets covers every positive int64: shifts 1..63-subBits+1.
	numBuckets = subBuckets + (64-subBits)*halfBuckets
)

// bucketOf maps a value in nanoseconds to its bucket.
func bucketOf(v uint64) int {
	if v < subBuckets {
		return int(v)
	}
	shift := bits.Len64(v) - subBits // >= 1
	top := v >> shift                // in [halfBuckets, subBuckets)
	return subBuckets + (shift-1)*halfBuckets + int(top-halfBuckets)
}

// bucketHigh is the largest value that falls into bucket b.
func bucketHigh(b int) uint64 {
	if b < subBuckets {
		return uint64(b)
	}
	shift := (b-subBuckets)/halfBuckets + 1
	top := uint64((b-subBuckets)%halfBuckets + halfBuckets)
	return (top+1)<<shift - 1
}

// Record adds one sample. Negative durations count as zero.
func (h *Histogram) Record(d time.Duration) {
	if d < 0 {
		d = 0
	}
	h.counts[bucketOf(uint64(d))]++
	if h.n == 0 || d < h.min {
		h.min = d
	}
	if d > h.max {
		h.max = d
	}
	h.n++
	h.sum += d
}

// Merge adds every sample of o to h.
func (h *Histogram) Merge(o *Histogram) {
	if o.n == 0 {
		return
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	if h.n == 0 || o.min < h.min {
		h.min = o.min
	}
	if o.max > h.max {
		h.max = o.max
	}
	h.n += o.n
	h.sum += o.sum
}

// Count is the number of samples.
func (h *Histogram) Count() int64 { return h.n }

// Min is the smallest sample (zero when empty).
func (h *Histogram) Min() time.Duration { return h.min }

// Max is the largest sample.
func (h *Histogram) Max() time.Duration { return h.max }

// Mean is the exact arithmetic mean (zero when empty).
func (h *Histogram) Mean() time.Duration {
	if h.n == 0 {
		return 0
	}
	return h.sum / time.Duration(h.n)
}

// Quantile returns the nearest-rank q-quantile (0 < q <= 1): a value at
// least as large as ceil(q*n) of the samples, overstating the true sample by
// at most one bucket width and never exceeding Max. q <= 0 gives Min. An
// empty histogram gives 0.
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	if q <= 0 {
		return h.min
	}
	rank := int64(math.Ceil(q * float64(h.n)))
	rank = max(1, min(rank, h.n))
	var seen int64
	for b, c := range h.counts {
		seen += c
		if seen >= rank {
			v := time.Duration(bucketHigh(b))
			return min(max(v, h.min), h.max)
		}
	}
	return h.max
}
