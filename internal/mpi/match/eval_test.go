package match

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"testing"
)

// scores are precision, recall and F1 of a set of predicted links.
type scores struct {
	tp, fp, fn      int
	prec, rec, f1   float64
	threshold       float64 // match weight at or above which pairs were predicted
	thresholdProbab float64
}

func newScores(tp, fp, trueTotal int) scores {
	s := scores{tp: tp, fp: fp, fn: trueTotal - tp}
	if tp+fp > 0 {
		s.prec = float64(tp) / float64(tp+fp)
	}
	if trueTotal > 0 {
		s.rec = float64(tp) / float64(trueTotal)
	}
	if s.prec+s.rec > 0 {
		s.f1 = 2 * s.prec * s.rec / (s.prec + s.rec)
	}
	return s
}

func (s scores) String() string {
	return fmt.Sprintf("P %.4f  R %.4f  F1 %.4f  (TP %d, FP %d, FN %d)", s.prec, s.rec, s.f1, s.tp, s.fp, s.fn)
}

// atAuto scores the pairs graded Certain.
func atAuto(pairs []Pair, same func(a, b int) bool, trueTotal int) scores {
	tp, fp := 0, 0
	for _, p := range pairs {
		if p.Grade != Certain {
			continue
		}
		if same(p.A, p.B) {
			tp++
		} else {
			fp++
		}
	}
	return newScores(tp, fp, trueTotal)
}

// bestF1 sweeps a threshold over the match weights of all pairs (the
// labels choose it: this is the ceiling a threshold could reach, as Splink
// reports it, not what the unlabelled threshold gives).
func bestF1(pairs []Pair, same func(a, b int) bool, trueTotal int) scores {
	ps := slices.Clone(pairs)
	slices.SortFunc(ps, func(a, b Pair) int { return cmp.Compare(b.Weight, a.Weight) })
	best := scores{}
	tp, fp := 0, 0
	for i, p := range ps {
		if same(p.A, p.B) {
			tp++
		} else {
			fp++
		}
		if i+1 < len(ps) && ps[i+1].Weight == p.Weight {
			continue
		}
		if s := newScores(tp, fp, trueTotal); s.f1 > best.f1 {
			s.threshold, s.thresholdProbab = p.Weight, probability(p.Weight)
			best = s
		}
	}
	return best
}

// clusterScores scores the pairs implied by clusters (every two records in
// one cluster are predicted to match).
func clusterScores(clusters [][]int, same func(a, b int) bool, trueTotal int) scores {
	tp, fp := 0, 0
	for _, c := range clusters {
		for i := range c {
			for j := i + 1; j < len(c); j++ {
				if same(c[i], c[j]) {
					tp++
				} else {
					fp++
				}
			}
		}
	}
	return newScores(tp, fp, trueTotal)
}

// gradeCounts counts pairs by grade, and the true matches among them.
func gradeCounts(pairs []Pair, same func(a, b int) bool) map[Grade][2]int {
	out := map[Grade][2]int{}
	for _, p := range pairs {
		c := out[p.Grade]
		c[0]++
		if same(p.A, p.B) {
			c[1]++
		}
		out[p.Grade] = c
	}
	return out
}

func logModel(t *testing.T, m *Model) {
	t.Helper()
	t.Logf("model: %.3f matches per record", m.MatchesPerRecord)
	for _, c := range m.Comparisons {
		line := fmt.Sprintf("  %-10s", c.Name)
		for _, l := range c.Levels {
			line += fmt.Sprintf("  %s m=%.4f u=%.2g w=%+.1f", l.Name, l.M, l.U, math.Log2(l.M/l.U))
			if l.UGivenPostcode > 0 {
				line += fmt.Sprintf(" (same postcode: u=%.2g w=%+.1f)", l.UGivenPostcode, math.Log2(l.M/l.UGivenPostcode))
			}
		}
		t.Log(line)
	}
}
