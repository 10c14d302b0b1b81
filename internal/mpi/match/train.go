package match

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
)

// TrainOptions tune training; the zero value takes the defaults.
type TrainOptions struct {
	RandomPairs int        // random record pairs compared to estimate u (default 300,000)
	MaxPairs    int        // at most this many blocked pairs per EM session, sampled (default 2,000,000)
	Seed        uint64     // seed of the sampling (training is repeatable for a seed)
	Thresholds  Thresholds // put in the model (default DefaultThresholds)
}

func (o TrainOptions) withDefaults() TrainOptions {
	if o.RandomPairs <= 0 {
		o.RandomPairs = 300_000
	}
	if o.MaxPairs <= 0 {
		o.MaxPairs = 2_000_000
	}
	if o.Thresholds == (Thresholds{}) {
		o.Thresholds = DefaultThresholds
	}
	return o
}

// TrainReport says what training saw and estimated.
type TrainReport struct {
	RandomPairs      int       // pairs sampled for u
	Sessions         []Session // the EM sessions, in order
	EstimatedMatches float64   // matching pairs the data is estimated to hold
}

// Session is one expectation-maximisation run over the pairs one blocking
// rule makes, with that rule's own comparisons left out.
type Session struct {
	Rule             string
	Pairs            int     // pairs of the rule (after sampling)
	Lambda           float64 // the share of them estimated to match
	Iterations       int
	EstimatedMatches float64 // matches in the whole data implied by this session
}

func (r *TrainReport) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "u from %d random pairs; ", r.RandomPairs)
	for _, s := range r.Sessions {
		fmt.Fprintf(&b, "EM on %s: %d pairs, λ %.4f, %d iterations, ~%.0f matches; ", s.Rule, s.Pairs, s.Lambda, s.Iterations, s.EstimatedMatches)
	}
	fmt.Fprintf(&b, "estimated matching pairs %.0f", r.EstimatedMatches)
	return b.String()
}

// TrainLink estimates a model for linking records of a to records of b
// (each file free of duplicates within itself), without labels.
func TrainLink(a, b []Record, opts TrainOptions) (*Model, *TrainReport, error) {
	q, pop := prepareAll(a), prepareAll(b)
	return train(&pairSpace{q: q, pop: pop}, opts)
}

// TrainDedupe estimates a model for finding the records of one collection
// that belong to the same person, without labels. A model trained on a
// sample of a population serves for matching against all of it (the prior
// scales with the population searched).
func TrainDedupe(rs []Record, opts TrainOptions) (*Model, *TrainReport, error) {
	p := prepareAll(rs)
	return train(&pairSpace{q: p, pop: p, dedupe: true}, opts)
}

// pairSpace is the set of record pairs a model is trained on: q × pop for
// linking, or the unordered pairs of one collection for deduplication.
type pairSpace struct {
	q, pop []person
	dedupe bool
}

func (s *pairSpace) total() float64 {
	if s.dedupe {
		n := float64(len(s.q))
		return n * (n - 1) / 2
	}
	return float64(len(s.q)) * float64(len(s.pop))
}

// perRecord converts a number of matching pairs into the expected number of
// matching records for one record.
func (s *pairSpace) perRecord(matches float64) float64 {
	if s.dedupe {
		return 2 * matches / float64(len(s.q))
	}
	return matches / float64(len(s.q))
}

// levelTable holds a value per comparison and level.
type levelTable [numComparisons][maxLevels]float64

// trainingSessions are the blocking rules EM is run on, after Splink: each
// fixes some comparisons (all its pairs agree on them, so they cannot be
// learnt there) and the sessions together learn every comparison. The
// postcode session leaves out the address and phone too: neighbours share
// streets and households share landlines; that session measures instead how
// often different people who share a postcode agree on them.
var trainingSessions = []struct {
	rule  rule
	fixed []int
}{
	{ruleDOB, []int{cmpDOB}},
	{rulePostcode, []int{cmpPostcode, cmpAddress, cmpPhone}},
}

func train(s *pairSpace, opts TrainOptions) (*Model, *TrainReport, error) {
	opts = opts.withDefaults()
	if len(s.q) < 2 || len(s.pop) < 2 {
		return nil, nil, fmt.Errorf("match: train: need at least two records on each side")
	}
	rep := &TrainReport{RandomPairs: opts.RandomPairs}
	ex := exactAgreement(s)
	sampled := sampleLevels(s, opts.RandomPairs, opts.Seed)
	dm := DefaultModel()
	var prior levelTable
	for c, p := range dm.Comparisons {
		for l, lp := range p.Levels {
			prior[c][l+1] = lp.M
		}
	}

	// Blocked pairs of each session, as counts of comparison vectors.
	type sessionData struct {
		pats  []pattern
		pairs int
		fixed [numComparisons]bool
		r     rule
	}
	var sessions []sessionData
	for i, ts := range trainingSessions {
		pats, n := blockedPatterns(s, ts.rule, opts.MaxPairs, opts.Seed+uint64(i)+1)
		sd := sessionData{pats: pats, pairs: n, r: ts.rule}
		for _, c := range ts.fixed {
			sd.fixed[c] = true
		}
		sessions = append(sessions, sd)
	}

	// Two rounds: u from random pairs, EM, then u corrected for the
	// matches the random pairs held (see uTable) and EM again.
	matches := 0.0
	var m, u levelTable
	for range 2 {
		u = uTable(s, ex, sampled, matches, m)
		var sum, weight levelTable
		rep.Sessions = rep.Sessions[:0]
		for _, sd := range sessions {
			sm, lambda, seen, iters := em(sd.pats, &u, &prior, sd.fixed)
			for c := range numComparisons {
				if sd.fixed[c] {
					continue
				}
				for l := 1; l < maxLevels; l++ {
					sum[c][l] += seen[c] * sm[c][l]
					weight[c][l] += seen[c]
				}
			}
			rep.Sessions = append(rep.Sessions, Session{Rule: ruleNames[sd.r], Pairs: sd.pairs, Lambda: lambda, Iterations: iters})
		}
		m = prior
		for c := range numComparisons {
			for l := 1; l < maxLevels; l++ {
				if weight[c][l] >= 5 { // at least a few matching pairs had data
					m[c][l] = sum[c][l] / weight[c][l]
				}
			}
		}
		// Each session's λ says how many of its pairs match; the share of
		// all matches its rule catches follows from the m of the rule's
		// comparisons, learnt in the other sessions.
		var estimates []float64
		for i, sd := range sessions {
			recall := 0.0
			switch sd.r {
			case ruleDOB:
				recall = ex.fullDOB * m[cmpDOB][dobExact]
			case rulePostcode:
				recall = ex.present[cmpPostcode] * m[cmpPostcode][pcExact]
			}
			if recall > 0 && sd.pairs > 0 {
				e := rep.Sessions[i].Lambda * float64(sd.pairs) / recall
				rep.Sessions[i].EstimatedMatches = e
				estimates = append(estimates, e)
			}
		}
		matches = 1
		if len(estimates) > 0 {
			matches = 0
			for _, e := range estimates {
				matches += e / float64(len(estimates))
			}
			matches = max(matches, 1)
		}
	}
	rep.EstimatedMatches = matches
	var uPostcode levelTable
	for _, sd := range sessions {
		if sd.r == rulePostcode {
			uPostcode = nonMatchLevels(sd.pats, &u, &m, sd.fixed)
		}
	}
	model := &Model{MatchesPerRecord: s.perRecord(matches), Thresholds: opts.Thresholds}
	for c := range numComparisons {
		def := comparisonDefs[c]
		ms := make([]float64, len(def.levels))
		us := make([]float64, len(def.levels))
		for l := range def.levels {
			ms[l], us[l] = m[c][l+1], u[c][l+1]
		}
		p := newParams(c, ms, us)
		if conditionalOnPostcode(c) {
			for l := range p.Levels {
				p.Levels[l].UGivenPostcode = uPostcode[c][l+1]
				if uPostcode[c][0] == 0 { // too little data: the defaults
					p.Levels[l].UGivenPostcode = dm.Comparisons[c].Levels[l].UGivenPostcode
				}
			}
		}
		model.Comparisons = append(model.Comparisons, p)
	}
	if _, err := newScorer(model); err != nil {
		return nil, nil, fmt.Errorf("match: train: %w", err)
	}
	return model, rep, nil
}

// exact holds, per comparison, the share of all pairs in which both records
// have the data, and how many pairs agree exactly, counted from value
// frequencies rather than sampled (exact agreement between strangers is
// rare, so sampling would see too few).
type exact struct {
	present [numComparisons]float64 // share of pairs with the data on both sides
	agree   [numComparisons]float64 // pairs that agree exactly
	fullDOB float64                 // share of pairs with a full date of birth on both sides
}

// exactKeys gives, for comparison c, the value whose equality is the exact
// level ("" when p has no such value) and whether p has data for c at all.
func exactKey(c int, p *person) (key string, present bool) {
	switch c {
	case cmpGiven:
		if len(p.given) > 0 {
			return p.given[0], true
		}
	case cmpFamily:
		return p.family, p.family != ""
	case cmpDOB:
		if p.dob.full() {
			return string(p.dob.digits[:]), true
		}
		return "", !p.dob.missing()
	case cmpSex:
		return string(rune(p.sex)), p.sex != 0
	case cmpPostcode:
		return p.postcode.full, p.postcode.full != ""
	case cmpAddress:
		return strings.Join(p.address, " "), len(p.address) > 0
	case cmpPhone:
		return p.phone, p.phone != ""
	case cmpNHS:
		return p.nhs, p.nhs != ""
	}
	return "", false
}

func exactAgreement(s *pairSpace) *exact {
	ex := &exact{}
	total := s.total()
	count := func(ps []person, c int) (map[string]float64, float64) {
		freq := map[string]float64{}
		present := 0.0
		for i := range ps {
			k, ok := exactKey(c, &ps[i])
			if ok {
				present++
			}
			if k != "" {
				freq[k]++
			}
		}
		return freq, present
	}
	countIDs := func(ps []person) (map[string]float64, map[string]float64) {
		vals, systems := map[string]float64{}, map[string]float64{}
		for i := range ps {
			for _, id := range ps[i].ids {
				vals[id.System+"\x00"+id.Value]++
				systems[id.System]++
			}
		}
		return vals, systems
	}
	pairs := func(fq, fp map[string]float64, nq, np float64) (agree, present float64) {
		for k, n := range fq {
			if s.dedupe {
				agree += n * (n - 1) / 2
			} else {
				agree += n * fp[k]
			}
		}
		if s.dedupe {
			return agree, nq * (nq - 1) / 2
		}
		return agree, nq * np
	}
	for c := range numComparisons {
		if c == cmpIdentifier {
			vq, sq := countIDs(s.q)
			vp, sp := vq, sq
			if !s.dedupe {
				vp, sp = countIDs(s.pop)
			}
			agree, _ := pairs(vq, vp, 0, 0)
			present := 0.0
			for sys, n := range sq {
				if s.dedupe {
					present += n * (n - 1) / 2
				} else {
					present += n * sp[sys]
				}
			}
			ex.agree[c], ex.present[c] = agree, present/total
			continue
		}
		fq, nq := count(s.q, c)
		fp, np := fq, nq
		if !s.dedupe {
			fp, np = count(s.pop, c)
		}
		agree, present := pairs(fq, fp, nq, np)
		ex.agree[c], ex.present[c] = agree, present/total
	}
	fullQ, fullP := 0.0, 0.0
	for i := range s.q {
		if s.q[i].dob.full() {
			fullQ++
		}
	}
	for i := range s.pop {
		if s.pop[i].dob.full() {
			fullP++
		}
	}
	ex.fullDOB = fullQ / float64(len(s.q)) * fullP / float64(len(s.pop))
	return ex
}

// sampleLevels compares n random pairs and counts the levels.
func sampleLevels(s *pairSpace, n int, seed uint64) levelTable {
	workers := runtime.GOMAXPROCS(0)
	counts := make([]levelTable, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, uint64(w)+0x9e3779b97f4a7c15))
			t := &counts[w]
			for range n / workers {
				i := rng.IntN(len(s.q))
				j := rng.IntN(len(s.pop))
				if s.dedupe && i == j {
					continue
				}
				g := compare(&s.q[i], &s.pop[j])
				for c, l := range g {
					t[c][l]++
				}
			}
		}()
	}
	wg.Wait()
	var total levelTable
	for _, t := range counts {
		for c := range t {
			for l := range t[c] {
				total[c][l] += t[c][l]
			}
		}
	}
	return total
}

// uTable estimates u for every level. The exact level comes from the
// frequency counts; the other levels share the rest in the proportions the
// random sample saw. Random pairs include the matches (about one pair in
// |pop| for linking), which for the exact levels of strong fields (an
// identifier, the date of birth) outnumber the strangers who agree; once
// the number of matches and their m are estimated, their expected share is
// taken out (matches > 0). At least 1% of exact agreements are kept as
// coincidences, so no level gets an unbounded weight.
func uTable(s *pairSpace, ex *exact, sampled levelTable, matches float64, m levelTable) levelTable {
	var u levelTable
	total := s.total()
	def := DefaultModel()
	for c := range numComparisons {
		nLevels := len(comparisonDefs[c].levels)
		presentPairs := ex.present[c] * total
		sampledPresent := 0.0
		for l := 1; l <= nLevels; l++ {
			sampledPresent += sampled[c][l]
		}
		if presentPairs < 1 || sampledPresent < 100 { // no data on this: keep the defaults
			for l, lp := range def.Comparisons[c].Levels {
				u[c][l+1] = lp.U
			}
			continue
		}
		uExact := 0.0
		if presentPairs > 0 {
			agree := ex.agree[c]
			if matches > 0 {
				agree = max(agree-matches*ex.present[c]*m[c][1], 0.01*agree, 0.5)
				presentPairs -= matches * ex.present[c]
			}
			uExact = agree / presentPairs
		}
		uExact = min(max(uExact, 1e-12), 0.5)
		rest := 0.0
		for l := 2; l <= nLevels; l++ {
			rest += sampled[c][l] + 0.5
		}
		u[c][1] = uExact
		for l := 2; l <= nLevels; l++ {
			u[c][l] = (1 - uExact) * (sampled[c][l] + 0.5) / rest
		}
	}
	return u
}

// pattern is a comparison vector and how many pairs had it.
type pattern struct {
	g gamma
	n float64
}

// blockedPatterns compares the pairs that rule r makes (sampled down to
// about maxPairs) and counts their comparison vectors.
func blockedPatterns(s *pairSpace, r rule, maxPairs int, seed uint64) ([]pattern, int) {
	b := buildBlocks(s.pop, 1<<r)
	var keys []uint64
	total := 0
	for i := range s.q {
		keys = blockKeys(&s.q[i], 1<<r, keys[:0])
		for _, k := range keys {
			total += len(b.get(k))
		}
	}
	keep := 1.0
	if total > maxPairs {
		keep = float64(maxPairs) / float64(total)
	}
	rng := rand.New(rand.NewPCG(seed, 0x5851f42d4c957f2d))
	counts := map[gamma]float64{}
	n := 0
	for i := range s.q {
		keys = blockKeys(&s.q[i], 1<<r, keys[:0])
		for _, k := range keys {
			for _, j := range b.get(k) {
				if s.dedupe && int(j) <= i {
					continue
				}
				if keep < 1 && rng.Float64() >= keep {
					continue
				}
				counts[compare(&s.q[i], &s.pop[j])]++
				n++
			}
		}
	}
	pats := make([]pattern, 0, len(counts))
	for g, c := range counts {
		pats = append(pats, pattern{g, c})
	}
	return pats, n
}

// nonMatchLevels estimates, from a session's pairs, the distribution of
// the levels of the comparisons the session left out, among the pairs that
// do not match: each pair counts by its probability of not matching under
// the other comparisons. Row c's entry 0 is 1 when there was enough data
// (100 non-matching pairs with data), else 0.
func nonMatchLevels(pats []pattern, u, m *levelTable, fixed [numComparisons]bool) levelTable {
	var logM, logU levelTable
	for c := range numComparisons {
		for l := 1; l < maxLevels; l++ {
			if m[c][l] > 0 && u[c][l] > 0 {
				logM[c][l], logU[c][l] = math.Log(m[c][l]), math.Log(u[c][l])
			}
		}
	}
	// λ for the session, by one more E-step's worth of fixed point.
	lambda := 0.5
	post := make([]float64, len(pats))
	for range 50 {
		ll, lnl := math.Log(lambda), math.Log(1-lambda)
		matched, total := 0.0, 0.0
		for i, p := range pats {
			d := lnl - ll
			for c, l := range p.g {
				if l != 0 && !fixed[c] {
					d += logU[c][l] - logM[c][l]
				}
			}
			post[i] = 1 / (1 + math.Exp(d))
			matched += post[i] * p.n
			total += p.n
		}
		if total == 0 {
			break
		}
		lambda = min(max(matched/total, 1e-9), 1-1e-9)
	}
	var acc levelTable
	for i, p := range pats {
		w := (1 - post[i]) * p.n
		for c, l := range p.g {
			if fixed[c] {
				acc[c][l] += w
			}
		}
	}
	var out levelTable
	for c := range numComparisons {
		n := len(comparisonDefs[c].levels)
		sum := 0.0
		for l := 1; l <= n; l++ {
			sum += acc[c][l]
		}
		if sum < 100 {
			continue
		}
		out[c][0] = 1
		for l := 1; l <= n; l++ {
			out[c][l] = (acc[c][l] + 0.5) / (sum + 0.5*float64(n))
		}
	}
	return out
}

// em runs expectation maximisation over the patterns with u fixed,
// estimating m for every comparison not fixed and λ, the share of pairs that
// match. seen is, per comparison, the expected number of matching pairs that
// had data for it: how much the estimate rests on.
func em(pats []pattern, u, m0 *levelTable, fixed [numComparisons]bool) (m levelTable, lambda float64, seen [numComparisons]float64, iters int) {
	m = *m0
	lambda = 0.3
	logU := make([]float64, len(pats))
	total := 0.0
	for i, p := range pats {
		for c, l := range p.g {
			if l != 0 && !fixed[c] {
				logU[i] += math.Log(u[c][l])
			}
		}
		total += p.n
	}
	if total == 0 {
		return m, 0, seen, 0
	}
	const eps = 1e-3 // a little mass on every level: no m is ever 0
	for iters = 1; iters <= 200; iters++ {
		var acc levelTable
		matched := 0.0
		ll, lnl := math.Log(lambda), math.Log(1-lambda)
		var logM levelTable
		for c := range m {
			for l := range m[c] {
				if m[c][l] > 0 {
					logM[c][l] = math.Log(m[c][l])
				}
			}
		}
		for i, p := range pats {
			lm := 0.0
			for c, l := range p.g {
				if l != 0 && !fixed[c] {
					lm += logM[c][l]
				}
			}
			post := 1 / (1 + math.Exp(logU[i]+lnl-lm-ll))
			w := post * p.n
			matched += w
			for c, l := range p.g {
				acc[c][l] += w
			}
		}
		delta := math.Abs(matched/total - lambda)
		lambda = min(max(matched/total, 1e-9), 1-1e-9)
		for c := range numComparisons {
			if fixed[c] {
				continue
			}
			nLevels := len(comparisonDefs[c].levels)
			sum := 0.0
			for l := 1; l <= nLevels; l++ {
				sum += acc[c][l]
			}
			seen[c] = sum
			if sum < 1 {
				continue // no data: keep the starting values
			}
			for l := 1; l <= nLevels; l++ {
				v := (acc[c][l] + eps) / (sum + eps*float64(nLevels))
				delta = max(delta, math.Abs(v-m[c][l]))
				m[c][l] = v
			}
		}
		if delta < 1e-7 {
			break
		}
	}
	return m, lambda, seen, iters
}

// prepareAll normalises records in parallel.
func prepareAll(rs []Record) []person {
	out := make([]person, len(rs))
	parallel(len(rs), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			out[i] = prepare(rs[i])
		}
	})
	return out
}

// fanOut runs f on one goroutine per processor and waits for them all.
func fanOut(f func()) {
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f()
		}()
	}
	wg.Wait()
}

// parallel runs f over [0, n) in contiguous chunks, one per processor.
func parallel(n int, f func(lo, hi int)) {
	workers := runtime.GOMAXPROCS(0)
	if n < 1000 || workers == 1 {
		f(0, n)
		return
	}
	var wg sync.WaitGroup
	chunk := (n + workers - 1) / workers
	for lo := 0; lo < n; lo += chunk {
		hi := min(lo+chunk, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(lo, hi)
		}()
	}
	wg.Wait()
}
