package match

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// ErrDuplicateID is returned by Index.Add for a record id already indexed.
var ErrDuplicateID = errors.New("match: record id already in the index")

// Index holds a population of records, normalised and filed under their
// blocking keys, for matching one incoming record at a time. It is safe
// for concurrent use: many Match calls run together; Add takes a write
// lock.
type Index struct {
	sc       *scorer
	maxBlock int

	mu     sync.RWMutex
	people []person
	byID   map[string]int32
	blocks *blocks
	names  map[string]int32 // first given name → records that have it
	strs   interner
	keys   []uint64 // scratch for Add, under mu
}

// NewIndex returns an empty index that scores with model m.
func NewIndex(m *Model) (*Index, error) {
	sc, err := newScorer(m)
	if err != nil {
		return nil, fmt.Errorf("match: index: %w", err)
	}
	return &Index{sc: sc, maxBlock: DefaultMaxBlock, byID: map[string]int32{}, blocks: newBlocks(0), names: map[string]int32{}, strs: interner{}}, nil
}

// Len is the number of records indexed.
func (ix *Index) Len() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return len(ix.people)
}

// Add indexes records. Their ids must be new to the index; on a repeated id
// nothing of that call is added.
func (ix *Index) Add(rs ...Record) error {
	ps := prepareAll(rs)
	ix.mu.Lock()
	defer ix.mu.Unlock()
	seen := make(map[string]bool, len(rs))
	for _, r := range rs {
		if _, dup := ix.byID[r.ID]; dup || seen[r.ID] {
			return fmt.Errorf("%w: %q", ErrDuplicateID, r.ID)
		}
		seen[r.ID] = true
	}
	for i := range ps {
		ix.strs.person(&ps[i])
		pos := int32(len(ix.people))
		ix.people = append(ix.people, ps[i])
		ix.byID[ps[i].id] = pos
		ix.keys = ix.blocks.add(&ix.people[pos], pos, candidateRules, ix.keys)
		if len(ps[i].given) > 0 {
			ix.names[ps[i].given[0]]++
		}
	}
	return nil
}

// Result is one candidate for an incoming record.
type Result struct {
	ID string // the indexed record's id
	Score
}

// Match finds the indexed records that may be the same person as r and
// grades them. It returns the candidates graded certain, probable or
// possible, and those graded certainly-not whose probability alone would
// have put them up for review, best first. A record indexed under r's own
// id is not its own candidate.
func (ix *Index) Match(r Record) []Result {
	p := prepare(r)
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	var keyBuf [16]uint64
	var candBuf [256]int32
	cand := candidates(ix.blocks, &p, ix.maxBlock, keyBuf[:0], candBuf[:0])
	ctx := &context{prior: ix.sc.prior(len(ix.people)), names: ix.names}
	var out []Result
	for _, j := range cand {
		other := &ix.people[j]
		if other.id == p.id && p.id != "" {
			continue
		}
		v, _ := ix.sc.judge(&p, other, ctx)
		if v.Grade == "" || (v.Grade == CertainlyNot && v.Probability < ix.sc.thresholds.Review) {
			continue
		}
		out = append(out, Result{ID: other.id, Score: v})
	}
	slices.SortFunc(out, func(a, b Result) int {
		if c := cmp.Compare(gradeRank(a.Grade), gradeRank(b.Grade)); c != 0 {
			return c
		}
		return cmp.Compare(b.Weight, a.Weight)
	})
	return out
}

func gradeRank(g Grade) int {
	switch g {
	case Certain:
		return 0
	case Probable:
		return 1
	case Possible:
		return 2
	}
	return 3
}

// interner keeps one copy of each string that many records share (names,
// phonetic codes, street and town words), so a large index holds each once.
type interner map[string]string

func (in interner) str(s string) string {
	if c, ok := in[s]; ok {
		return c
	}
	s = strings.Clone(s) // not a slice of a larger string kept alive
	in[s] = s
	return s
}

func (in interner) strs(ss []string) {
	for i, s := range ss {
		ss[i] = in.str(s)
	}
}

func (in interner) person(p *person) {
	in.strs(p.given)
	in.strs(p.familyTok)
	in.strs(p.address)
	p.givenAll = in.str(p.givenAll)
	p.givenCode = in.str(p.givenCode)
	p.family = in.str(p.family)
	p.familyCode = in.str(p.familyCode)
	for i := range p.ids {
		p.ids[i].System = in.str(p.ids[i].System)
	}
}
