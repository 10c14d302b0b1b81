package match

import (
	"fmt"
	"slices"
)

// DefaultMaxBlock is the largest block a candidate search reads: a key
// shared by more records than this (a default date of birth, a care home's
// postcode with a common initial) says too little to be worth its cost and
// is skipped; the other rules still find the pairs.
const DefaultMaxBlock = 2000

// Options for Link and Dedupe.
type Options struct {
	Model *Model       // nil: train one from the data itself, without labels
	Train TrainOptions // how to train when Model is nil
}

// Linkage is the outcome of Link or Dedupe.
type Linkage struct {
	Model      *Model
	Report     *TrainReport // nil when the model was given
	Pairs      []Pair       // every candidate pair the blocking rules found, scored
	Candidates int          // len(Pairs)
}

// Pair is a scored candidate pair: positions in the inputs (for Link, A in
// a and B in b; for Dedupe, A < B in the one collection).
type Pair struct {
	A, B int
	Score
}

// Link compares the records of a with those of b (two sources, each free of
// duplicates within itself) and returns every candidate pair with its
// score and grade.
func Link(a, b []Record, opts Options) (*Linkage, error) {
	q, pop := prepareAll(a), prepareAll(b)
	return run(&pairSpace{q: q, pop: pop}, opts)
}

// Dedupe compares the records of one collection with each other.
func Dedupe(rs []Record, opts Options) (*Linkage, error) {
	p := prepareAll(rs)
	return run(&pairSpace{q: p, pop: p, dedupe: true}, opts)
}

func run(s *pairSpace, opts Options) (*Linkage, error) {
	out := &Linkage{Model: opts.Model}
	if out.Model == nil {
		m, rep, err := train(s, opts.Train)
		if err != nil {
			return nil, err
		}
		out.Model, out.Report = m, rep
	}
	sc, err := newScorer(out.Model)
	if err != nil {
		return nil, fmt.Errorf("match: %w", err)
	}
	b := buildBlocks(s.pop, candidateRules)
	population := len(s.pop)
	if s.dedupe {
		population--
	}
	ctx := &context{prior: sc.prior(population), names: givenNameCounts(s.q)}
	if !s.dedupe {
		ctx.names = givenNameCounts(s.q, s.pop)
	}
	chunks := chunkRanges(len(s.q), 64)
	parts := make([][]Pair, len(chunks))
	next := make(chan int, len(chunks))
	for i := range chunks {
		next <- i
	}
	close(next)
	fanOut(func() {
		var keys []uint64
		var cand []int32
		for ci := range next {
			var ps []Pair
			for i := chunks[ci][0]; i < chunks[ci][1]; i++ {
				a := &s.q[i]
				cand = candidates(b, a, DefaultMaxBlock, keys[:0], cand[:0])
				for _, j := range cand {
					if s.dedupe && int(j) <= i {
						continue
					}
					v, _ := sc.judge(a, &s.pop[j], ctx)
					ps = append(ps, Pair{A: i, B: int(j), Score: v})
				}
			}
			parts[ci] = ps
		}
	})
	for _, ps := range parts {
		out.Pairs = append(out.Pairs, ps...)
	}
	out.Candidates = len(out.Pairs)
	return out, nil
}

// chunkRanges splits [0, n) into about k ranges.
func chunkRanges(n, k int) [][2]int {
	size := max((n+k-1)/k, 1)
	var out [][2]int
	for lo := 0; lo < n; lo += size {
		out = append(out, [2]int{lo, min(lo+size, n)})
	}
	return out
}

// candidates appends to cand the distinct positions that share a candidate
// key with p, skipping blocks larger than maxBlock.
func candidates(b *blocks, p *person, maxBlock int, keys []uint64, cand []int32) []int32 {
	keys = blockKeys(p, candidateRules, keys)
	for _, k := range keys {
		if ids := b.get(k); len(ids) <= maxBlock {
			cand = append(cand, ids...)
		}
	}
	slices.Sort(cand)
	return slices.Compact(cand)
}

// Clusters groups n records into people: the connected components of the
// pairs graded Certain (automatic links). Each cluster lists positions in
// ascending order; clusters are ordered by their first position, and a
// record linked to nothing is a cluster of one.
func Clusters(n int, pairs []Pair) [][]int {
	parent := make([]int32, n)
	for i := range parent {
		parent[i] = int32(i)
	}
	find := func(x int32) int32 {
		for parent[x] != x {
			parent[x] = parent[parent[x]]
			x = parent[x]
		}
		return x
	}
	for _, p := range pairs {
		if p.Grade != Certain {
			continue
		}
		ra, rb := find(int32(p.A)), find(int32(p.B))
		if ra != rb {
			if rb < ra {
				ra, rb = rb, ra
			}
			parent[rb] = ra
		}
	}
	at := map[int32]int{}
	var out [][]int
	for i := range n {
		r := find(int32(i))
		k, ok := at[r]
		if !ok {
			k = len(out)
			at[r] = k
			out = append(out, nil)
		}
		out[k] = append(out[k], i)
	}
	return out
}
