// Package match owns probabilistic record linkage for the master patient
// index: deciding whether two person records are the same person, the way
// Splink does (Fellegi–Sunter, with weights learnt without labels), with
// the NHS number rules and a guard against linking twins beside the model.
//
// A Record is normalised once (case, accents, punctuation, hyphenated and
// double-barrelled names, UK postcodes, date formats) and compared with
// another on given and family name (Jaro-Winkler, NYSIIS phonetic codes,
// nicknames from nicknames.txt, transposed fields), date of birth (day and
// month swapped, one digit wrong), sex, postcode (sector, outward code),
// address words, phone, NHS number and other identifiers. Each comparison
// gives a level; a Model holds m and u for every level, so a pair's match
// weight is the prior log-odds plus log2(m/u) summed over the comparisons,
// and its probability grades it as FHIR's match-grade extension does:
// certain (link automatically), probable (a person reviews it), possible,
// or certainly-not.
//
// Rules beside the model: valid, verified NHS numbers that agree make a
// pair certain, and two that differ make it certainly-not; an NHS number
// that fails the modulus 11 check is ignored (InvalidNHSNumber lets the
// caller report it); two records with the same date of birth and home whose
// given names are not the same name, or whose sex differs, are never
// certain (twins), however high the probability, unless an NHS number or
// identifier agrees.
//
// TrainLink and TrainDedupe estimate a Model from unlabelled records: u
// from random pairs (exact agreement counted from value frequencies), m and
// the share of matches by expectation maximisation over the pairs of one
// blocking rule at a time with that rule's comparisons left out (date of
// birth, then postcode), as Splink trains. Link and Dedupe score every
// candidate pair of two collections or one, Clusters joins automatic links
// into people, and an Index matches one incoming record against a large
// population: blocking keys (NHS number, identifiers, date of birth,
// postcode with initial, family-name sound with year of birth, the sounds
// of both names, initials with month of birth, phone, house number with
// street and postcode area) map to records, so the cost of a match grows
// with the blocks it touches, not with the population. Address and phone
// weigh less once the postcode has agreed (households share all three): the
// model keeps their u among different people who share a postcode.
//
// The package is pure: no I/O, no clock, no logging; it imports only
// internal/nhsnumber and a string-metric library. It is layer 1; the MPI
// (layer 3) keeps models, records and links in the store and calls it.
package match
