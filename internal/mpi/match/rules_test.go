package match

import (
	"encoding/json"
	"errors"
	"math"
	"testing"

	"carerecord/internal/nhsnumber"
)

// judgePair scores two records against a population of 100,000 with the
// default model.
func judgePair(t *testing.T, a, b Record) Score {
	t.Helper()
	sc, err := newScorer(DefaultModel())
	if err != nil {
		t.Fatal(err)
	}
	pa, pb := prepare(a), prepare(b)
	v, _ := sc.judge(&pa, &pb, &context{prior: sc.prior(100_000), names: map[string]int32{"amelia": 40, "isla": 25}})
	return v
}

func person1() Record {
	return Record{Given: []string{"Amelia"}, Family: "Hartley", BirthDate: "1984-02-17", Sex: "female",
		Postcode: "LS6 2QD", Address: []string{"14 Cardigan Road", "Leeds"}, Phone: "07700 900461"}
}

func TestNHSNumberRules(t *testing.T) {
	n1, n2 := nhsnumber.Test(10), nhsnumber.Test(11)
	stranger := Record{Given: []string{"George"}, Family: "Okafor", BirthDate: "1950-11-02", Postcode: "B33 8TH"}

	t.Run("verified and equal links directly", func(t *testing.T) {
		a, b := person1(), stranger
		a.NHSNumber, a.NHSVerified = nhsnumber.Format(n1), true
		b.NHSNumber, b.NHSVerified = n1, true
		v := judgePair(t, a, b)
		if v.Grade != Certain || v.Reason != ReasonNHSNumber {
			t.Errorf("got %s (%s), want certain by NHS number", v.Grade, v.Reason)
		}
	})
	t.Run("verified and different never link", func(t *testing.T) {
		a, b := person1(), person1()
		a.NHSNumber, a.NHSVerified = n1, true
		b.NHSNumber, b.NHSVerified = n2, true
		v := judgePair(t, a, b)
		if v.Grade != CertainlyNot || v.Reason != ReasonNHSConflict {
			t.Errorf("got %s (%s), want certainly-not", v.Grade, v.Reason)
		}
		if v.Probability < 0.99 {
			t.Errorf("model probability %.3f: the rest of the record agrees", v.Probability)
		}
	})
	t.Run("unverified and equal is evidence", func(t *testing.T) {
		a, b := person1(), person1()
		b.Given, b.Address, b.Postcode, b.Phone = []string{"Amy"}, nil, "", ""
		without := judgePair(t, a, b)
		a.NHSNumber, b.NHSNumber = n1, n1
		with := judgePair(t, a, b)
		if with.Reason != ReasonModel || with.Weight < without.Weight+10 {
			t.Errorf("weight %.1f with the NHS number, %.1f without", with.Weight, without.Weight)
		}
	})
	t.Run("invalid is ignored", func(t *testing.T) {
		bad := n1[:9] + string('0'+(n1[9]-'0'+1)%10)
		if nhsnumber.Valid(bad) || !InvalidNHSNumber(Record{NHSNumber: bad}) {
			t.Fatalf("%s should be invalid", bad)
		}
		a, b := person1(), stranger
		a.NHSNumber, a.NHSVerified = bad, true
		b.NHSNumber, b.NHSVerified = bad, true
		plain := judgePair(t, person1(), stranger)
		if v := judgePair(t, a, b); v.Grade != plain.Grade || v.Weight != plain.Weight {
			t.Errorf("an invalid NHS number changed the score: %+v, without it %+v", v, plain)
		}
	})
}

func TestTwinsGuard(t *testing.T) {
	twin := person1()
	twin.Given = []string{"Isla"}
	v := judgePair(t, person1(), twin)
	if v.Probability < 0.99 {
		t.Fatalf("probability %.4f: the model alone should be fooled here", v.Probability)
	}
	if v.Grade != Probable || v.Reason != ReasonTwins {
		t.Errorf("twins graded %s (%s), want probable by the twins guard", v.Grade, v.Reason)
	}

	// The same person with a typo or a nickname is no twin.
	for _, given := range [][]string{{"Amelai"}, {"AMELIA"}, {"Rose", "Amelia"}} {
		b := person1()
		b.Given = given
		if v := judgePair(t, person1(), b); v.Grade != Certain {
			t.Errorf("%s: graded %s (%s), want certain", given, v.Grade, v.Reason)
		}
	}
	// An initial, or a different sex, cannot tell twins apart.
	for _, b := range []Record{{Given: []string{"A"}}, {Given: []string{"Amelia"}, Sex: "male"}} {
		r := person1()
		r.Given = b.Given
		if b.Sex != "" {
			r.Sex = b.Sex
		}
		if v := judgePair(t, person1(), r); v.Grade == Certain {
			t.Errorf("%v %s: graded certain", r.Given, r.Sex)
		}
	}
	// Twins registered together get consecutive numbers: still twins.
	a, b := person1(), twin
	a.Identifiers = []Identifier{{System: "mrn", Value: "1000457"}}
	b.Identifiers = []Identifier{{System: "mrn", Value: "1000458"}}
	if v := judgePair(t, a, b); v.Grade == Certain {
		t.Errorf("twins with consecutive MRNs graded certain")
	}
	// An identifier that agrees says it is one person.
	b.Identifiers = a.Identifiers
	if v := judgePair(t, a, b); v.Grade != Certain {
		t.Errorf("same MRN: graded %s (%s), want certain", v.Grade, v.Reason)
	}
	// A DOB typo does not get twins past the guard.
	b = twin
	b.BirthDate = "1984-02-18"
	if v := judgePair(t, person1(), b); v.Grade == Certain {
		t.Errorf("twins with a DOB typo graded certain (p=%.4f)", v.Probability)
	}
}

func TestTwinsTypoNeedsPopulation(t *testing.T) {
	sc, _ := newScorer(DefaultModel())
	a, b := prepare(person1()), prepare(person1())
	b.given, b.givenAll = []string{"amelai"}, "amelai"
	names := map[string]int32{"amelia": 40, "amelai": 1}
	if _, g := sc.judge(&a, &b, &context{prior: sc.prior(1000), names: names}); twins(&a, &b, g, names) {
		t.Error("a one-off misspelling of a common name treated as a twin")
	}
	b.given, b.givenAll = []string{"amelie"}, "amelie"
	names["amelie"] = 30 // a real name of its own
	if _, g := sc.judge(&a, &b, &context{prior: sc.prior(1000), names: names}); !twins(&a, &b, g, names) {
		t.Error("two established names one letter apart not treated as twins")
	}
	delete(names, "amelia")
	b.given, b.givenAll = []string{"amelai"}, "amelai"
	if _, g := sc.judge(&a, &b, &context{prior: sc.prior(1000), names: names}); !twins(&a, &b, g, names) {
		t.Error("without the population, a misspelling passed the guard")
	}
}

func TestModelJSON(t *testing.T) {
	m := DefaultModel()
	data, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var back Model
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	s1, err1 := newScorer(m)
	s2, err2 := newScorer(&back)
	if err1 != nil || err2 != nil || s1.w != s2.w || s1.wPostcode != s2.wPostcode {
		t.Errorf("model changed through JSON: %v %v", err1, err2)
	}

	bad := DefaultModel()
	bad.Comparisons[2].Levels[0].U = 0
	if _, err := NewIndex(bad); !errors.Is(err, ErrModel) {
		t.Errorf("u = 0 accepted: %v", err)
	}
	bad = DefaultModel()
	bad.Comparisons = bad.Comparisons[:3]
	if _, err := NewIndex(bad); !errors.Is(err, ErrModel) {
		t.Errorf("missing comparisons accepted: %v", err)
	}
	bad = DefaultModel()
	bad.Thresholds = Thresholds{AutoLink: 0.5, Review: 0.9, Possible: 0.1}
	if _, err := NewIndex(bad); !errors.Is(err, ErrModel) {
		t.Errorf("review above auto-link accepted: %v", err)
	}
}

func TestWeightsMonotone(t *testing.T) {
	m := DefaultModel()
	m.Comparisons[cmpDOB].Levels[1].M = 1e-9 // day-month swap never seen among matches
	sc, err := newScorer(m)
	if err != nil {
		t.Fatal(err)
	}
	for c := range numComparisons {
		for l := 1; l < len(comparisonDefs[c].levels); l++ {
			if sc.w[c][l] < sc.w[c][l+1] {
				t.Errorf("%s: level %d weighs %.1f, less than level %d (%.1f)", comparisonDefs[c].name, l, sc.w[c][l], l+1, sc.w[c][l+1])
			}
		}
	}
}

func TestIndex(t *testing.T) {
	d := generateUK(3, 2000)
	m, _, err := TrainDedupe(d.records, TrainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ix, err := NewIndex(m)
	if err != nil {
		t.Fatal(err)
	}
	// Index the first record of each person; match the others against it.
	first := map[int]string{}
	var queries []int
	var add []Record
	for i, r := range d.records {
		if _, ok := first[d.person[i]]; ok {
			queries = append(queries, i)
			continue
		}
		first[d.person[i]] = r.ID
		add = append(add, r)
	}
	if err := ix.Add(add...); err != nil {
		t.Fatal(err)
	}
	if err := ix.Add(add[0]); !errors.Is(err, ErrDuplicateID) {
		t.Errorf("adding a record id twice: %v", err)
	}
	if ix.Len() != len(add) {
		t.Errorf("Len %d, want %d", ix.Len(), len(add))
	}
	top, wrong := 0, 0
	for _, q := range queries {
		res := ix.Match(d.records[q])
		want := first[d.person[q]]
		for i, r := range res {
			if i > 0 && gradeRank(r.Grade) < gradeRank(res[i-1].Grade) {
				t.Fatalf("results out of order: %v", res)
			}
			if r.Grade == Certain && r.ID != want {
				wrong++
				t.Errorf("%s linked to %s, want %s", d.records[q].ID, r.ID, want)
			}
		}
		if len(res) > 0 && res[0].ID == want && res[0].Grade == Certain {
			top++
		}
	}
	t.Logf("%d queries: %d linked automatically to the right person, %d wrongly", len(queries), top, wrong)
	if float64(top) < 0.9*float64(len(queries)) {
		t.Errorf("only %d of %d queries linked automatically", top, len(queries))
	}
	// A record is not its own candidate.
	for _, r := range ix.Match(add[5]) {
		if r.ID == add[5].ID {
			t.Error("a record matched itself")
		}
	}
}

func TestTrainingEstimates(t *testing.T) {
	d := generateUK(11, 3000)
	m, rep, err := TrainDedupe(d.records, TrainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	count := map[int]int{}
	for _, p := range d.person {
		count[p]++
	}
	trueTotal := 0
	for _, n := range count {
		trueTotal += n * (n - 1) / 2
	}
	t.Logf("estimated %.0f matching pairs, truly %d; %s", rep.EstimatedMatches, trueTotal, rep)
	if math.Abs(rep.EstimatedMatches-float64(trueTotal)) > 0.1*float64(trueTotal) {
		t.Errorf("estimated %.0f matching pairs, truly %d", rep.EstimatedMatches, trueTotal)
	}
	// The generator gets a date of birth exactly right in about 95% of
	// records: the pair agrees in about 91%.
	if got := m.Comparisons[cmpDOB].Levels[0].M; got < 0.85 || got > 0.97 {
		t.Errorf("m of an exact date of birth %.3f, want about 0.91", got)
	}
}
