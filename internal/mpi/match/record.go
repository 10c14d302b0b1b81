package match

import (
	"strings"

	"carerecord/internal/nhsnumber"
)

// Record is one source's view of a person, as it arrives: the fields are
// free text and are normalised by the package (case, accents, punctuation,
// hyphenated and double-barrelled names, postcode spacing, date formats).
type Record struct {
	ID string // the caller's id for the record (a Patient id, a row id); returned in results

	Given     []string // given names in order, first the one in use ("Mary-Jane", "Ann Louise")
	Family    string   // family name ("Smith-Jones", "O'Brien", "van der Berg")
	BirthDate string   // YYYY-MM-DD, YYYYMMDD, YYYY-MM, YYYY or DD/MM/YYYY
	Sex       string   // male, female, other, unknown (or M, F, 1, 2 as HL7 v2 writes them)
	Postcode  string
	Address   []string // address lines, town and county, in any order
	Phone     string

	NHSNumber   string // ten digits, spaces allowed
	NHSVerified bool   // the number was traced on the national spine (UK Core verification status 01)

	Identifiers []Identifier // other identifiers: local record numbers, FEBRL's soc_sec_id
}

// Identifier is an identifier value within its system (an organisation's
// MRN system, a national identifier other than the NHS number).
type Identifier struct {
	System string
	Value  string
}

// nhsState is what an NHS number can say about matching.
type nhsState uint8

const (
	nhsNone       nhsState = iota // no NHS number
	nhsInvalid                    // present but fails modulus 11: ignored for matching
	nhsUnverified                 // valid, not traced: evidence for the model
	nhsVerified                   // valid and verified: decides on its own
)

// person is a Record normalised for comparison and blocking. It is built
// once per record (prepare) and compared many times.
type person struct {
	id string

	given      []string // folded given-name words, first the one in use
	givenAll   string   // the words joined ("maryjane"), for hyphenation differences
	givenCode  string   // NYSIIS of given[0]
	family     string   // family-name words joined ("smithjones")
	familyTok  []string // the words, when there are several
	familyCode string   // NYSIIS of family

	dob      date
	sex      byte // 'm', 'f', 'o', or 0 when unknown
	postcode postcode
	address  []string // sorted distinct informative address words
	house    string   // house number and the first letters of its street ("12 hig"), for blocking
	phone    string

	nhs      string
	nhsState nhsState
	ids      []Identifier // normalised values
}

// prepare normalises a Record. It keeps no reference to r's slices.
func prepare(r Record) person {
	p := person{id: r.ID}
	p.given = nameTokens(r.Given)
	if len(p.given) > 0 {
		p.givenCode = nysiis(p.given[0])
		p.givenAll = strings.Join(p.given, "")
	}
	fam := nameTokens([]string{r.Family})
	switch len(fam) {
	case 0:
	case 1:
		p.family = fam[0]
	default:
		p.familyTok = fam
		n := 0
		for _, t := range fam {
			n += len(t)
		}
		b := make([]byte, 0, n)
		for _, t := range fam {
			b = append(b, t...)
		}
		p.family = string(b)
	}
	if p.family != "" {
		p.familyCode = nysiis(p.family)
	}
	p.dob = parseDate(r.BirthDate)
	p.sex = parseSex(r.Sex)
	p.postcode = parsePostcode(r.Postcode)
	p.address = addressTokens(r.Address)
	p.house = houseKey(r.Address)
	p.phone = normalisePhone(r.Phone)
	if n := normaliseID(r.NHSNumber); n != "" {
		switch {
		case !nhsnumber.Valid(n):
			p.nhsState = nhsInvalid
		case r.NHSVerified:
			p.nhs, p.nhsState = n, nhsVerified
		default:
			p.nhs, p.nhsState = n, nhsUnverified
		}
	}
	for _, id := range r.Identifiers {
		if v := normaliseID(id.Value); v != "" {
			p.ids = append(p.ids, Identifier{System: id.System, Value: v})
		}
	}
	return p
}

// parseSex reads FHIR administrative gender and the HL7 v2 / NHS codes.
func parseSex(s string) byte {
	switch strings.TrimSpace(fold(s)) {
	case "male", "m", "1":
		return 'm'
	case "female", "f", "2":
		return 'f'
	case "other", "o", "x", "indeterminate":
		return 'o'
	}
	return 0
}

// InvalidNHSNumber reports whether r carries an NHS number that fails the
// modulus 11 check. Such a number is never used for matching; the caller
// reports it on the feed it came from.
func InvalidNHSNumber(r Record) bool {
	n := normaliseID(r.NHSNumber)
	return n != "" && !nhsnumber.Valid(n)
}
