package match

import "github.com/xrash/smetrics"

// The comparisons of the model, in a fixed order. Each compares one aspect
// of two records and answers a level: 0 when either record lacks the data
// (the comparison then says nothing), 1 for full agreement, and higher
// levels for weaker agreement down to disagreement.
const (
	cmpGiven = iota
	cmpFamily
	cmpDOB
	cmpSex
	cmpPostcode
	cmpAddress
	cmpPhone
	cmpNHS
	cmpIdentifier
	numComparisons
)

// Levels shared by the name comparisons.
const (
	lvlMissing = iota
	lvlExact
	lvlClose    // nickname, other given name, hyphenation, JW ≥ 0.92, transposed
	lvlPhonetic // same NYSIIS code or JW ≥ 0.85
	lvlWeak     // JW ≥ 0.7, or one is the other's initial
	lvlDiffName
)

// Levels of the date of birth.
const (
	dobExact = 1 + iota
	dobSwap  // day and month swapped
	dobTypo  // one digit wrong, or two adjacent digits transposed
	dobYear  // the same year only
	dobDiff
)

// Levels of the postcode.
const (
	pcExact   = 1 + iota
	pcClose   // the same UK sector, or one character wrong
	pcOutward // the same UK outward code
	pcDiff
)

// Levels of the address.
const (
	addrExact = 1 + iota
	addrHigh  // token-set similarity ≥ 0.7
	addrSome  // ≥ 0.35
	addrDiff
)

// Levels of sex, NHS number, phone and other identifiers.
const (
	lvlSame  = 1
	lvlNear  = 2 // phone and identifiers: one character wrong
	lvlOther = 2 // sex and NHS number: different
	lvlFar   = 3 // phone and identifiers: different
)

// comparisonDefs names the comparisons and their levels, in the order
// above; a Model's parameters follow it.
var comparisonDefs = [numComparisons]struct {
	name   string
	levels []string // level names from 1
}{
	cmpGiven:      {"given", []string{"exact", "close", "phonetic", "weak", "different"}},
	cmpFamily:     {"family", []string{"exact", "close", "phonetic", "weak", "different"}},
	cmpDOB:        {"birthDate", []string{"exact", "day-month-swap", "one-digit", "year", "different"}},
	cmpSex:        {"sex", []string{"exact", "different"}},
	cmpPostcode:   {"postcode", []string{"exact", "sector-or-typo", "outward", "different"}},
	cmpAddress:    {"address", []string{"exact", "high", "some", "different"}},
	cmpPhone:      {"phone", []string{"exact", "one-edit", "different"}},
	cmpNHS:        {"nhsNumber", []string{"exact", "different"}},
	cmpIdentifier: {"identifier", []string{"exact", "one-edit", "different"}},
}

// maxLevels bounds the levels of any comparison, missing included.
const maxLevels = 6

// gamma is a comparison vector: the level of every comparison for a pair.
type gamma [numComparisons]uint8

// compare computes the comparison vector of two records.
func compare(a, b *person) gamma {
	var g gamma
	g[cmpGiven], g[cmpFamily] = compareNames(a, b)
	g[cmpDOB] = compareDOB(a.dob, b.dob)
	if a.sex != 0 && b.sex != 0 {
		g[cmpSex] = pick(a.sex == b.sex, lvlSame, lvlOther)
	}
	g[cmpPostcode] = comparePostcode(a.postcode, b.postcode)
	g[cmpAddress] = compareAddress(a.address, b.address)
	if a.phone != "" && b.phone != "" {
		g[cmpPhone] = compareCode(a.phone, b.phone)
	}
	if a.nhs != "" && b.nhs != "" {
		g[cmpNHS] = pick(a.nhs == b.nhs, lvlSame, lvlOther)
	}
	g[cmpIdentifier] = compareIdentifiers(a.ids, b.ids)
	return g
}

func pick(c bool, yes, no uint8) uint8 {
	if c {
		return yes
	}
	return no
}

// compareNames compares given and family names, and the two crosswise when
// that fits far better (a source that swapped the fields). A transposed
// name agrees at most at the close level.
func compareNames(a, b *person) (given, family uint8) {
	given, family = compareGiven(a, b), compareFamily(a, b)
	if given+family <= lvlExact+lvlClose || len(a.given) == 0 || len(b.given) == 0 || a.family == "" || b.family == "" ||
		a.given[0][0] != b.family[0] || a.family[0] != b.given[0][0] {
		return given, family
	}
	g := min(nameLevel(a.given[0], b.family, a.givenCode, b.familyCode), nameLevel(a.givenAll, b.family, "", ""))
	f := min(nameLevel(a.family, b.given[0], a.familyCode, b.givenCode), nameLevel(a.family, b.givenAll, "", ""))
	if contains(b.given, a.family) {
		f = lvlExact
	}
	if g <= lvlClose && f <= lvlClose && g+f < given+family {
		return lvlClose, lvlClose
	}
	return given, family
}

func compareGiven(a, b *person) uint8 {
	if len(a.given) == 0 || len(b.given) == 0 {
		return lvlMissing
	}
	x, y := a.given[0], b.given[0]
	switch {
	case x == y:
		return lvlExact
	case a.givenAll == b.givenAll, nicknames(x, y), contains(a.given[1:], y), contains(b.given[1:], x):
		return lvlClose
	case len(x) == 1 || len(y) == 1:
		return pick(x[0] == y[0], lvlWeak, lvlDiffName)
	}
	l := fuzzyName(x, y, a.givenCode, b.givenCode)
	if l > lvlClose && (len(a.given) > 1 || len(b.given) > 1) { // "br inley" for "brinley"
		l = min(l, fuzzyName(a.givenAll, b.givenAll, "", ""))
	}
	return l
}

func compareFamily(a, b *person) uint8 {
	if a.family == "" || b.family == "" {
		return lvlMissing
	}
	if a.family == b.family {
		return lvlExact
	}
	if len(a.familyTok) > 0 || len(b.familyTok) > 0 { // double-barrelled or with a particle
		for _, x := range words(a) {
			if len(x) >= 3 && (contains(b.familyTok, x) || x == b.family) {
				return lvlClose
			}
		}
		if len(a.familyTok) == 0 && contains(b.familyTok, a.family) {
			return lvlClose
		}
	}
	return fuzzyName(a.family, b.family, a.familyCode, b.familyCode)
}

func words(p *person) []string {
	if len(p.familyTok) > 0 {
		return p.familyTok
	}
	return []string{p.family}
}

// nameLevel compares two single names.
func nameLevel(x, y, cx, cy string) uint8 {
	if x == y {
		return lvlExact
	}
	return fuzzyName(x, y, cx, cy)
}

// fuzzyName grades two different names by Jaro-Winkler similarity and their
// NYSIIS codes. The thresholds are those commonly used for names (Splink's
// name comparison uses 0.92 / 0.88 / 0.7).
func fuzzyName(x, y, cx, cy string) uint8 {
	jw := jaroWinkler(x, y)
	switch {
	case jw >= 0.92:
		return lvlClose
	case jw >= 0.85 || (cx != "" && cx == cy):
		return lvlPhonetic
	case jw >= 0.7:
		return lvlWeak
	}
	return lvlDiffName
}

// jaroWinkler is the Jaro-Winkler similarity with the usual boost
// threshold 0.7 and prefix of 4.
func jaroWinkler(x, y string) float64 {
	return smetrics.JaroWinkler(x, y, 0.7, 4)
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// compareDOB grades two dates of birth. Partial dates agree at most at the
// year level.
func compareDOB(a, b date) uint8 {
	if a.missing() || b.missing() {
		return lvlMissing
	}
	if a.full() && b.full() {
		switch {
		case a.digits == b.digits:
			return dobExact
		case a.y == b.y && a.m == b.d && a.d == b.m:
			return dobSwap
		case oneDigit(a.digits, b.digits):
			return dobTypo
		case a.y == b.y:
			return dobYear
		}
		return dobDiff
	}
	if a.y == b.y && (a.m == 0 || b.m == 0 || a.m == b.m) {
		return dobYear
	}
	return dobDiff
}

// oneDigit reports whether two YYYYMMDD strings differ in one digit or in
// two adjacent digits swapped.
func oneDigit(a, b [8]byte) bool {
	first, n := -1, 0
	for i := range a {
		if a[i] != b[i] {
			if first < 0 {
				first = i
			}
			n++
		}
	}
	switch n {
	case 1:
		return true
	case 2:
		i := first
		return i+1 < 8 && a[i] == b[i+1] && a[i+1] == b[i]
	}
	return false
}

func comparePostcode(a, b postcode) uint8 {
	switch {
	case a.full == "" || b.full == "":
		return lvlMissing
	case a.full == b.full:
		return pcExact
	case a.sector != "" && a.sector == b.sector, oneEdit(a.full, b.full):
		return pcClose
	case a.outward != "" && a.outward == b.outward:
		return pcOutward
	}
	return pcDiff
}

// compareCode grades phone numbers and identifier values: equal, one
// character wrong, or different.
func compareCode(a, b string) uint8 {
	switch {
	case a == b:
		return lvlSame
	case oneEdit(a, b):
		return lvlNear
	}
	return lvlFar
}

// compareIdentifiers compares the values the two records hold in the
// systems they share, taking the best agreement.
func compareIdentifiers(a, b []Identifier) uint8 {
	best := uint8(lvlMissing)
	for _, x := range a {
		for _, y := range b {
			if x.System != y.System {
				continue
			}
			l := compareCode(x.Value, y.Value)
			if l == lvlNear && consecutive(x.Value, y.Value) {
				l = lvlFar // numbers issued together (twins registered at one desk), not a typo
			}
			if best == lvlMissing || l < best {
				best = l
			}
		}
	}
	return best
}

// consecutive reports whether two numeric identifiers are within 2 of each
// other.
func consecutive(a, b string) bool {
	x, okx := number(a)
	y, oky := number(b)
	return okx && oky && len(a) < 19 && len(b) < 19 && x-y <= 2 && y-x <= 2
}

// oneEdit reports whether a and b are at most one edit apart: one
// character substituted, inserted or deleted, or two adjacent characters
// transposed (optimal string alignment distance ≤ 1).
func oneEdit(a, b string) bool {
	if len(a) < len(b) {
		a, b = b, a
	}
	switch len(a) - len(b) {
	case 0:
		i := 0
		for i < len(a) && a[i] == b[i] {
			i++
		}
		if i >= len(a)-1 {
			return true
		}
		if a[i+1:] == b[i+1:] {
			return true
		}
		return a[i] == b[i+1] && a[i+1] == b[i] && a[i+2:] == b[i+2:]
	case 1:
		i := 0
		for i < len(b) && a[i] == b[i] {
			i++
		}
		return a[i+1:] == b[i:]
	}
	return false
}

// compareAddress grades two address word sets by their similarity.
func compareAddress(a, b []string) uint8 {
	if len(a) == 0 || len(b) == 0 {
		return lvlMissing
	}
	s := addressSimilarity(a, b)
	switch {
	case s >= 1:
		return addrExact
	case s >= 0.7:
		return addrHigh
	case s >= 0.35:
		return addrSome
	}
	return addrDiff
}

// addressSimilarity is the Dice similarity of two sorted word sets, where a
// word counts fully when the other set has it and 0.8 when the other set
// has a word within Jaro-Winkler 0.9 of it (typos, "pridhamstreet" for
// "pridham street"). Numbers count only when equal.
func addressSimilarity(a, b []string) float64 {
	var leftA, leftB [16]string
	la, lb := leftA[:0], leftB[:0]
	exact := 0
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] == b[j]:
			exact++
			i++
			j++
		case a[i] < b[j]:
			la = appendWord(la, a[i])
			i++
		default:
			lb = appendWord(lb, b[j])
			j++
		}
	}
	for ; i < len(a); i++ {
		la = appendWord(la, a[i])
	}
	for ; j < len(b); j++ {
		lb = appendWord(lb, b[j])
	}
	fuzzy := 0
	var used uint32
	for _, x := range la {
		for k, y := range lb {
			// Words within Jaro-Winkler 0.9 keep one of their first two
			// letters and at least half the length of the longer.
			if used&(1<<k) != 0 || (x[0] != y[0] && x[1] != y[1]) || 2*min(len(x), len(y)) < max(len(x), len(y)) {
				continue
			}
			if jaroWinkler(x, y) >= 0.9 {
				used |= 1 << k
				fuzzy++
				break
			}
		}
	}
	return 2 * (float64(exact) + 0.8*float64(fuzzy)) / float64(len(a)+len(b))
}

// appendWord keeps a word for fuzzy matching when it is a word of at least
// four letters (not a number) and there is room.
func appendWord(ws []string, w string) []string {
	if len(w) < 4 || w[0] <= '9' || len(ws) == cap(ws) {
		return ws
	}
	return append(ws, w)
}
