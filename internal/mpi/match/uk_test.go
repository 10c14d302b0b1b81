package match

import (
	"testing"
)

// TestUKGenerated deduplicates records shaped like an ICS's (the generator
// in gen_test.go), training without labels, and checks what matters most:
// no twins linked automatically, and almost no false links.
func TestUKGenerated(t *testing.T) {
	d := generateUK(7, 4000)
	res, err := Dedupe(d.records, Options{})
	if err != nil {
		t.Fatal(err)
	}
	same := func(i, j int) bool { return d.person[i] == d.person[j] }
	count := map[int]int{}
	for _, p := range d.person {
		count[p]++
	}
	trueTotal := 0
	for _, n := range count {
		trueTotal += n * (n - 1) / 2
	}
	twinPeople := 0
	for _, p := range d.people {
		if p.twin >= 0 {
			twinPeople++
		}
	}
	t.Logf("generated: %d people (%d of them twins), %d records, %d true pairs, %d candidate pairs",
		len(d.people), twinPeople, len(d.records), trueTotal, res.Candidates)
	t.Logf("training: %s", res.Report)
	logModel(t, res.Model)
	report(t, res.Pairs, same, trueTotal, func(p Pair) string {
		return describeUK(d.records[p.A]) + "  ~  " + describeUK(d.records[p.B])
	})

	twinLinks, twinReview, nhsConflictCertain := 0, 0, 0
	byReason := map[Reason]int{}
	for _, p := range res.Pairs {
		pa, pb := d.person[p.A], d.person[p.B]
		if d.people[pa].twin == pb {
			switch p.Grade {
			case Certain:
				twinLinks++
				t.Errorf("twins linked automatically (p=%.4f, %s): %s ~ %s", p.Probability, p.Reason, describeUK(d.records[p.A]), describeUK(d.records[p.B]))
			case Probable:
				twinReview++
			}
		}
		if p.Grade == Certain {
			byReason[p.Reason]++
		}
		if p.Reason == ReasonNHSConflict && p.Grade != CertainlyNot {
			nhsConflictCertain++
		}
	}
	t.Logf("twin pairs: %d linked automatically, %d sent to review", twinLinks, twinReview)
	t.Logf("automatic links by reason: %v", byReason)
	if nhsConflictCertain > 0 {
		t.Errorf("%d pairs with differing verified NHS numbers not graded certainly-not", nhsConflictCertain)
	}
	clusters := Clusters(len(d.records), res.Pairs)
	cs := clusterScores(clusters, same, trueTotal)
	t.Logf("clusters: %d for %d people; pairs within them: %s", len(clusters), len(d.people), cs)
	for _, c := range clusters {
		seen := map[int]bool{}
		for _, i := range c {
			seen[d.person[i]] = true
		}
		for p := range seen {
			if tw := d.people[p].twin; tw >= 0 && seen[tw] {
				t.Errorf("twins %d and %d in one cluster", p, tw)
			}
		}
	}
	auto := atAuto(res.Pairs, same, trueTotal)
	if auto.prec < 0.999 {
		t.Errorf("precision at the auto-link threshold %.4f, below 0.999", auto.prec)
	}
	if auto.rec < 0.95 {
		t.Errorf("recall at the auto-link threshold %.4f, below 0.95", auto.rec)
	}
}

func describeUK(r Record) string {
	nhs := r.NHSNumber
	if r.NHSVerified {
		nhs += "(v)"
	}
	return describe(r) + "|" + r.Sex + "|" + r.Phone + "|" + nhs
}
