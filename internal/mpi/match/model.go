package match

import (
	"errors"
	"fmt"
	"math"
)

// Grade is the FHIR match grade of a candidate (the extension
// http://hl7.org/fhir/StructureDefinition/match-grade that Patient/$match
// puts on each result).
type Grade string

const (
	// Certain: link automatically (probability at or above the auto-link
	// threshold, or verified NHS numbers that agree).
	Certain Grade = "certain"
	// Probable: between the review and the auto-link thresholds, or held back
	// from an automatic link by a guard; a person decides (review queue).
	Probable Grade = "probable"
	// Possible: below review, shown to a person searching but never linked.
	Possible Grade = "possible"
	// CertainlyNot: known to be different people (verified NHS numbers that
	// differ), returned only when the rest of the record looks alike.
	CertainlyNot Grade = "certainly-not"
)

// Reason says what decided a grade.
type Reason string

const (
	ReasonModel       Reason = "model"               // the Fellegi–Sunter probability against the thresholds
	ReasonNHSNumber   Reason = "nhs-number"          // verified, valid NHS numbers agree
	ReasonNHSConflict Reason = "nhs-number-conflict" // verified, valid NHS numbers differ
	ReasonTwins       Reason = "twins-guard"         // same birth date and home, given names not shown to agree: never automatic
)

// Thresholds turn a match probability into a grade.
type Thresholds struct {
	AutoLink float64 `json:"autoLink"` // certain at or above
	Review   float64 `json:"review"`   // probable at or above
	Possible float64 `json:"possible"` // possible at or above; below it a candidate is not returned
}

// DefaultThresholds are the grades' boundaries unless a Model sets others.
var DefaultThresholds = Thresholds{AutoLink: 0.99, Review: 0.5, Possible: 0.01}

func (t Thresholds) valid() bool {
	return 0 < t.Possible && t.Possible <= t.Review && t.Review <= t.AutoLink && t.AutoLink < 1
}

// Model holds the parameters of a Fellegi–Sunter model: for each
// comparison level, m (the probability of the level among pairs of records
// of the same person) and u (among pairs of different people), the prior,
// and the grade thresholds. Train estimates one from data without labels;
// it is plain data (JSON) so the MPI can keep it.
type Model struct {
	Comparisons []ComparisonParams `json:"comparisons"`
	// MatchesPerRecord is how many records of the same person an incoming
	// record is expected to have in the population searched: the prior
	// probability of a match for one candidate pair is this divided by the
	// population size.
	MatchesPerRecord float64    `json:"matchesPerRecord"`
	Thresholds       Thresholds `json:"thresholds"`
}

// ComparisonParams are the parameters of one comparison, its levels in
// order from full agreement (the missing level has no parameters).
type ComparisonParams struct {
	Name   string        `json:"name"`
	Levels []LevelParams `json:"levels"`
}

// LevelParams are m and u of one level; the level's match weight is
// log2(M/U).
type LevelParams struct {
	Name string  `json:"name"`
	M    float64 `json:"m"`
	U    float64 `json:"u"`
	// UGivenPostcode, for the address and phone levels, is u among pairs
	// of different people who share a postcode exactly: neighbours and
	// households (twins, couples) agree on address and landline far more
	// often than strangers, so once the postcode has counted, the address
	// and phone weigh by this instead of U.
	UGivenPostcode float64 `json:"uGivenPostcode,omitempty"`
}

// conditionalOnPostcode are the comparisons whose levels carry
// UGivenPostcode.
func conditionalOnPostcode(c int) bool { return c == cmpAddress || c == cmpPhone }

// ErrModel reports a Model that does not fit this version of the package.
var ErrModel = errors.New("match: invalid model")

// DefaultModel returns hand-set parameters for UK records: a model to start
// from before there is data to train on. Trained models do better.
func DefaultModel() *Model {
	m := &Model{MatchesPerRecord: 1, Thresholds: DefaultThresholds}
	ms := [numComparisons][]float64{
		cmpGiven:      {0.88, 0.06, 0.02, 0.02, 0.02},
		cmpFamily:     {0.88, 0.05, 0.02, 0.02, 0.03},
		cmpDOB:        {0.93, 0.01, 0.03, 0.02, 0.01},
		cmpSex:        {0.98, 0.02},
		cmpPostcode:   {0.85, 0.03, 0.02, 0.10},
		cmpAddress:    {0.70, 0.12, 0.08, 0.10},
		cmpPhone:      {0.75, 0.05, 0.20},
		cmpNHS:        {0.995, 0.005},
		cmpIdentifier: {0.95, 0.02, 0.03},
	}
	us := [numComparisons][]float64{
		cmpGiven:      {0.01, 0.005, 0.01, 0.10, 0.875},
		cmpFamily:     {0.003, 0.002, 0.005, 0.09, 0.90},
		cmpDOB:        {0.00004, 0.00001, 0.0003, 0.012, 0.98765},
		cmpSex:        {0.5, 0.5},
		cmpPostcode:   {0.00005, 0.0003, 0.005, 0.99465},
		cmpAddress:    {0.00005, 0.0002, 0.01, 0.98975},
		cmpPhone:      {0.00001, 0.0001, 0.99989},
		cmpNHS:        {0.000001, 0.999999},
		cmpIdentifier: {0.000001, 0.00001, 0.999989},
	}
	given := [numComparisons][]float64{
		cmpAddress: {0.03, 0.02, 0.10, 0.85},
		cmpPhone:   {0.03, 0.001, 0.969},
	}
	for c := range numComparisons {
		p := newParams(c, ms[c], us[c])
		for l, u := range given[c] {
			p.Levels[l].UGivenPostcode = u
		}
		m.Comparisons = append(m.Comparisons, p)
	}
	return m
}

func newParams(c int, m, u []float64) ComparisonParams {
	def := comparisonDefs[c]
	p := ComparisonParams{Name: def.name}
	for l, name := range def.levels {
		p.Levels = append(p.Levels, LevelParams{Name: name, M: m[l], U: u[l]})
	}
	return p
}

// scorer is a Model compiled for scoring: weights by comparison and level,
// and for the address and phone, the weights when the postcode agrees.
type scorer struct {
	w          [numComparisons][maxLevels]float64
	wPostcode  [numComparisons][maxLevels]float64
	perRecord  float64
	thresholds Thresholds
}

func newScorer(m *Model) (*scorer, error) {
	if m == nil {
		return nil, fmt.Errorf("%w: nil", ErrModel)
	}
	if len(m.Comparisons) != numComparisons {
		return nil, fmt.Errorf("%w: %d comparisons, want %d", ErrModel, len(m.Comparisons), numComparisons)
	}
	s := &scorer{perRecord: m.MatchesPerRecord, thresholds: m.Thresholds}
	if s.thresholds == (Thresholds{}) {
		s.thresholds = DefaultThresholds
	}
	if !s.thresholds.valid() {
		return nil, fmt.Errorf("%w: thresholds %+v not 0 < possible <= review <= autoLink < 1", ErrModel, s.thresholds)
	}
	if !(m.MatchesPerRecord > 0) {
		return nil, fmt.Errorf("%w: matchesPerRecord %v", ErrModel, m.MatchesPerRecord)
	}
	for c, p := range m.Comparisons {
		def := comparisonDefs[c]
		if p.Name != def.name || len(p.Levels) != len(def.levels) {
			return nil, fmt.Errorf("%w: comparison %d is %q with %d levels, want %q with %d", ErrModel, c, p.Name, len(p.Levels), def.name, len(def.levels))
		}
		for l, lp := range p.Levels {
			if !(lp.M > 0 && lp.M <= 1 && lp.U > 0 && lp.U <= 1) {
				return nil, fmt.Errorf("%w: %s level %s has m=%v u=%v", ErrModel, p.Name, lp.Name, lp.M, lp.U)
			}
			s.w[c][l+1] = math.Log2(lp.M / lp.U)
			s.wPostcode[c][l+1] = s.w[c][l+1]
			if conditionalOnPostcode(c) {
				if !(lp.UGivenPostcode > 0 && lp.UGivenPostcode <= 1) {
					return nil, fmt.Errorf("%w: %s level %s has uGivenPostcode=%v", ErrModel, p.Name, lp.Name, lp.UGivenPostcode)
				}
				s.wPostcode[c][l+1] = math.Log2(lp.M / lp.UGivenPostcode)
			}
		}
		// A closer level is never weaker evidence than a farther one: a
		// level the training data never showed among matches (FEBRL has no
		// day-month swaps) would otherwise weigh less than disagreement.
		for l := len(p.Levels) - 1; l >= 1; l-- {
			s.w[c][l] = max(s.w[c][l], s.w[c][l+1])
			s.wPostcode[c][l] = max(s.wPostcode[c][l], s.wPostcode[c][l+1])
		}
	}
	return s, nil
}

// prior is the log2 prior odds of a match for one pair when a record is
// searched among population others.
func (s *scorer) prior(population int) float64 {
	if population < 1 {
		population = 1
	}
	lambda := s.perRecord / float64(population)
	if lambda >= 1 {
		lambda = 0.5
	}
	return math.Log2(lambda / (1 - lambda))
}

// weight is the match weight of a comparison vector with the given prior:
// log2 of the posterior odds.
func (s *scorer) weight(g gamma, prior float64) float64 {
	table := &s.w
	if g[cmpPostcode] == pcExact {
		table = &s.wPostcode
	}
	w := prior
	for c, l := range g {
		w += table[c][l]
	}
	return w
}

// probability turns a match weight into a probability.
func probability(w float64) float64 {
	return 1 / (1 + math.Exp2(-w))
}

// Score is the outcome for one pair of records.
type Score struct {
	Grade       Grade
	Reason      Reason
	Probability float64 // the model's match probability (1 when verified NHS numbers agree)
	Weight      float64 // the model's match weight in bits: log2 posterior odds
}

// context is what scoring a pair needs to know about the population it
// is searched in: the prior, and how common each given name is there.
type context struct {
	prior float64
	names map[string]int32 // first given name → records that have it
}

// judge scores a pair and applies the NHS number rules and the twins guard.
func (s *scorer) judge(a, b *person, ctx *context) (Score, gamma) {
	g := compare(a, b)
	w := s.weight(g, ctx.prior)
	v := Score{Reason: ReasonModel, Weight: w, Probability: probability(w)}
	if a.nhsState == nhsVerified && b.nhsState == nhsVerified {
		if a.nhs == b.nhs {
			v.Grade, v.Reason, v.Probability = Certain, ReasonNHSNumber, 1
		} else {
			v.Grade, v.Reason = CertainlyNot, ReasonNHSConflict
		}
		return v, g
	}
	t := s.thresholds
	switch p := v.Probability; {
	case p >= t.AutoLink:
		v.Grade = Certain
		if twins(a, b, g, ctx.names) {
			v.Grade, v.Reason = Probable, ReasonTwins
		}
	case p >= t.Review:
		v.Grade = Probable
	case p >= t.Possible:
		v.Grade = Possible
	}
	return v, g
}

// twins is the guard against linking twins: two records with the same date
// of birth (or within a typo of it, or missing on one side) and the same
// home (postcode, or address all but exactly) whose given names differ are
// never linked automatically, however alike the rest is. Twins share
// everything the model weighs but their given names, and the weights
// cannot tell a twin's name from a typo.
//
// Given names do not differ when they are the same name: equal, nicknames
// of each other, the same name hyphenated or not, or one given name of
// several; when the fields were transposed; or when one is a single keying
// error away from a name
// established in the population (5 records or more) and is itself nearly
// unknown there (2 or fewer): a misspelling, not a second child's name.
// Similar spelling alone (Amelia, Amelie) is not enough, nor is an initial
// (P for Paul or Patricia), and records of different sex always count as
// different people here. An NHS number or
// other identifier that agrees, or differs by one keying error, lifts the
// guard: twins never share one (numbers within 2 of each other, as twins
// registered together get, do not count as a keying error).
func twins(a, b *person, g gamma, names map[string]int32) bool {
	if g[cmpDOB] > dobTypo || g[cmpNHS] == lvlSame || g[cmpIdentifier] == lvlSame || g[cmpIdentifier] == lvlNear {
		return false
	}
	home := g[cmpAddress] == addrExact || g[cmpAddress] == addrHigh || g[cmpPostcode] == pcExact
	switch {
	case !home:
		return false
	case g[cmpSex] == lvlOther:
		return true // a boy and a girl
	case g[cmpGiven] == lvlMissing || g[cmpGiven] == lvlExact:
		return false
	}
	x, y := a.given[0], b.given[0]
	switch {
	case a.givenAll == b.givenAll, nicknames(x, y), contains(a.given[1:], y), contains(b.given[1:], x):
		return false
	case g[cmpGiven] == lvlClose && g[cmpFamily] == lvlClose && compareGiven(a, b) > lvlClose:
		return false // transposed fields
	case len(x) == 1 || len(y) == 1:
		return true // an initial cannot tell twins apart
	case oneEdit(x, y):
		nx, ny := names[x], names[y]
		return !(min(nx, ny) <= 2 && max(nx, ny) >= 5)
	}
	return true
}

// givenNameCounts counts the first given names of people.
func givenNameCounts(groups ...[]person) map[string]int32 {
	counts := map[string]int32{}
	for _, ps := range groups {
		for i := range ps {
			if len(ps[i].given) > 0 {
				counts[ps[i].given[0]]++
			}
		}
	}
	return counts
}
