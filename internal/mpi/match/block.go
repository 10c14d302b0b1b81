package match

// Blocking: only records that share a blocking key are compared. Each rule
// makes keys from a record; a pair is a candidate when any rule gives both
// the same key, so a match is missed only when every rule misses it. Keys
// are 64-bit FNV-1a hashes of the rule and its parts (a collision only adds
// a candidate, which the model then scores).

// rule identifies a blocking rule.
type rule uint8

const (
	ruleNHS            rule = iota // the valid NHS number
	ruleIdentifier                 // each other identifier, within its system
	ruleDOB                        // the full date of birth
	rulePostcodeGiven              // postcode and the given name's first letter
	ruleFamilySoundDOB             // the family name's NYSIIS code and year of birth
	ruleNameSounds                 // the NYSIIS codes of given and family name, in either order
	ruleInitialsDOB                // the initials of given and family name and year and month of birth
	rulePhone                      // the telephone number
	ruleHouse                      // house number, the start of the street name, and the postcode area
	rulePostcode                   // the postcode alone: a training rule, not used for candidates
	numRules
)

var ruleNames = [numRules]string{
	ruleNHS: "nhs-number", ruleIdentifier: "identifier", ruleDOB: "birth-date",
	rulePostcodeGiven: "postcode+given-initial", ruleFamilySoundDOB: "family-sound+birth-year",
	ruleNameSounds: "name-sounds", ruleInitialsDOB: "initials+birth-month", rulePhone: "phone", ruleHouse: "house",
	rulePostcode: "postcode",
}

// candidateRules are the rules that make candidate pairs.
const candidateRules = 1<<ruleNHS | 1<<ruleIdentifier | 1<<ruleDOB | 1<<rulePostcodeGiven |
	1<<ruleFamilySoundDOB | 1<<ruleNameSounds | 1<<ruleInitialsDOB | 1<<rulePhone | 1<<ruleHouse

// hasher builds one FNV-1a key.
type hasher uint64

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func newHasher(r rule) hasher {
	return (hasher(fnvOffset) ^ hasher(r)) * fnvPrime
}

func (h hasher) str(s string) hasher {
	for i := 0; i < len(s); i++ {
		h = (h ^ hasher(s[i])) * fnvPrime
	}
	return (h ^ 0xff) * fnvPrime // separator: parts cannot run together
}

func (h hasher) num(n int) hasher {
	for range 3 {
		h = (h ^ hasher(n&0xff)) * fnvPrime
		n >>= 8
	}
	return h
}

// blockKeys appends the keys of the rules in mask (a bit per rule) for p.
func blockKeys(p *person, mask uint32, dst []uint64) []uint64 {
	on := func(r rule) bool { return mask&(1<<r) != 0 }
	if on(ruleNHS) && p.nhs != "" {
		dst = append(dst, uint64(newHasher(ruleNHS).str(p.nhs)))
	}
	if on(ruleIdentifier) {
		for _, id := range p.ids {
			dst = append(dst, uint64(newHasher(ruleIdentifier).str(id.System).str(id.Value)))
		}
	}
	full := p.dob.full()
	if on(ruleDOB) && full {
		dst = append(dst, uint64(newHasher(ruleDOB).str(string(p.dob.digits[:]))))
	}
	hasGiven := len(p.given) > 0
	if on(rulePostcodeGiven) && hasGiven && p.postcode.full != "" {
		dst = append(dst, uint64(newHasher(rulePostcodeGiven).str(p.postcode.full).num(int(p.given[0][0]))))
	}
	if on(ruleFamilySoundDOB) && p.familyCode != "" && p.dob.y > 0 {
		dst = append(dst, uint64(newHasher(ruleFamilySoundDOB).str(p.familyCode).num(int(p.dob.y))))
	}
	if on(ruleNameSounds) && p.givenCode != "" && p.familyCode != "" {
		x, y := p.givenCode, p.familyCode
		if y < x {
			x, y = y, x
		}
		dst = append(dst, uint64(newHasher(ruleNameSounds).str(x).str(y)))
	}
	if on(ruleInitialsDOB) && hasGiven && p.family != "" && p.dob.y > 0 && p.dob.m > 0 {
		dst = append(dst, uint64(newHasher(ruleInitialsDOB).num(int(p.given[0][0])).num(int(p.family[0])).num(int(p.dob.y)).num(int(p.dob.m))))
	}
	if on(rulePhone) && p.phone != "" {
		dst = append(dst, uint64(newHasher(rulePhone).str(p.phone)))
	}
	if on(ruleHouse) && p.house != "" {
		// Within the postcode's outward code (the first two characters of
		// another country's postcode), so "12 High Street" is one street.
		area := p.postcode.outward
		if area == "" && len(p.postcode.full) >= 2 {
			area = p.postcode.full[:2]
		}
		dst = append(dst, uint64(newHasher(ruleHouse).str(p.house).str(area)))
	}
	if on(rulePostcode) && p.postcode.full != "" {
		dst = append(dst, uint64(newHasher(rulePostcode).str(p.postcode.full)))
	}
	return dst
}

// blocks maps blocking keys to the positions of the records that have
// them. Most keys (an NHS number, a phone number) belong to one record, so
// the map holds a position directly and only a key shared by several
// records points, tagged, into shared; a block of one is returned as a
// slice of self, the identity, so lookups never allocate. About 20 bytes a
// key instead of 80 for a map of slices.
type blocks struct {
	m      map[uint64]uint32
	shared [][]int32
	self   []int32 // self[i] == i
}

const sharedTag = 1 << 31

func newBlocks(sizeHint int) *blocks {
	return &blocks{m: make(map[uint64]uint32, sizeHint)}
}

// get returns the positions filed under k; the caller must not change them.
func (b *blocks) get(k uint64) []int32 {
	v, ok := b.m[k]
	switch {
	case !ok:
		return nil
	case v&sharedTag != 0:
		return b.shared[v&^sharedTag]
	}
	return b.self[v : v+1]
}

// add files record i, the next position, under its keys for the rules in
// mask.
func (b *blocks) add(p *person, i int32, mask uint32, scratch []uint64) []uint64 {
	for int(i) >= len(b.self) {
		b.self = append(b.self, int32(len(b.self)))
	}
	scratch = blockKeys(p, mask, scratch[:0])
	for _, k := range scratch {
		v, ok := b.m[k]
		switch {
		case !ok:
			b.m[k] = uint32(i)
		case v&sharedTag != 0:
			ids := b.shared[v&^sharedTag]
			if ids[len(ids)-1] != i { // two keys of one record may collide
				b.shared[v&^sharedTag] = append(ids, i)
			}
		case int32(v) != i:
			b.m[k] = uint32(len(b.shared)) | sharedTag
			b.shared = append(b.shared, []int32{int32(v), i})
		}
	}
	return scratch
}

func buildBlocks(people []person, mask uint32) *blocks {
	b := newBlocks(len(people) * 4)
	var scratch []uint64
	for i := range people {
		scratch = b.add(&people[i], int32(i), mask, scratch)
	}
	return b
}
