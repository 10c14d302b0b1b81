// Package synthetic owns the demo population: a synthetic integrated care
// system (acute, mental health and community trusts, GP practices, care homes
// and a council's adult social care) and its patients, each with a coherent
// health and care history, as FHIR R4 resources shaped like UK Core.
//
// Contract: Generate is pure and deterministic. It does no I/O and touches no
// store; the same Options always give byte-identical resources in the same
// order. Shared resources (Organization, Location, Practitioner,
// PractitionerRole) come first, then each patient's whole record, patient by
// patient. Every reference is relative ("Type/id") and points at a resource
// emitted earlier. Every person is invented: NHS numbers come from the 999
// test range, telephone numbers from the Ofcom drama ranges, postcodes from
// the unused area "KX", e-mail domains from ".example".
//
// Feed generates the demo's live HL7 v2 feeds about the same people (see
// NewFeed): ADT, results, documents and appointments, as an acute trust's
// systems send them, equally pure and deterministic.
//
// It is layer 1, importing only fhir, hl7 and nhsnumber; the demo command
// and tests import it.
package synthetic

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"carerecord/internal/nhsnumber"
)

// Options control a generated population.
type Options struct {
	Seed     int64
	Patients int
	// Now is the reference "today": histories end at Now (or at death) and
	// only booked appointments lie after it. It must not be zero.
	Now time.Time
}

// Resource is one generated FHIR R4 resource: JSON with id set and no meta.
// Body is not reused after emit returns; the callee may keep it.
type Resource struct {
	Type, ID string
	Body     []byte
}

// ErrInvalidOptions reports Options that Generate cannot honour.
var ErrInvalidOptions = errors.New("synthetic: invalid options")

// historyYears is how far back encounters and results go; conditions and
// medicines may have started earlier.
const historyYears = 5

// Generate calls emit for every resource of the population described by
// opts, stopping at the first error emit returns.
func Generate(opts Options, emit func(Resource) error) error {
	switch {
	case opts.Patients < 0 || opts.Patients > nhsnumber.TestCount:
		return fmt.Errorf("%w: patients %d outside [0, %d]", ErrInvalidOptions, opts.Patients, nhsnumber.TestCount)
	case opts.Now.IsZero():
		return fmt.Errorf("%w: Now is zero", ErrInvalidOptions)
	}
	g := newGenerator(opts, emit)
	g.buildWorld()
	if g.err != nil {
		return fmt.Errorf("synthetic: emit shared resources: %w", g.err)
	}
	for i := range opts.Patients {
		g.patient(i)
		if g.err != nil {
			return fmt.Errorf("synthetic: emit patient %d: %w", i, g.err)
		}
	}
	return nil
}

// generator carries the random stream, the shared world and the first error
// emit returned (after which nothing more is emitted).
type generator struct {
	r     *rand.Rand
	now   time.Time
	emitf func(Resource) error
	err   error
	buf   bytes.Buffer
	enc   *json.Encoder
	w     world

	nhsBase, nhsStride int
}

func newGenerator(opts Options, emit func(Resource) error) *generator {
	seed := uint64(opts.Seed)
	g := &generator{
		r:     rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		now:   opts.Now.UTC(),
		emitf: emit,
	}
	g.enc = json.NewEncoder(&g.buf)
	g.enc.SetEscapeHTML(false)
	// NHS numbers: patient i gets test number (base + i*stride) mod
	// TestCount. TestCount is prime, so any stride gives distinct numbers.
	g.nhsBase = g.r.IntN(nhsnumber.TestCount)
	g.nhsStride = 1 + g.r.IntN(nhsnumber.TestCount-1)
	return g
}

// put marshals v and emits it. Nothing happens once an error has occurred.
func (g *generator) put(typ, id string, v any) {
	if g.err != nil {
		return
	}
	g.buf.Reset()
	if err := g.enc.Encode(v); err != nil {
		g.err = fmt.Errorf("marshal %s/%s: %w", typ, id, err)
		return
	}
	body := bytes.Clone(bytes.TrimSuffix(g.buf.Bytes(), []byte("\n")))
	if err := g.emitf(Resource{Type: typ, ID: id, Body: body}); err != nil {
		g.err = err
	}
}

// newID returns a random (version 4 shaped) UUID from the seeded stream.
func (g *generator) newID() string {
	var b [16]byte
	x, y := g.r.Uint64(), g.r.Uint64()
	for i := range 8 {
		b[i] = byte(x >> (8 * i))
		b[8+i] = byte(y >> (8 * i))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return string(s[:])
}

// Random helpers.

func (g *generator) chance(p float64) bool { return g.r.Float64() < p }

func (g *generator) intIn(lo, hi int) int { // inclusive
	if hi <= lo {
		return lo
	}
	return lo + g.r.IntN(hi-lo+1)
}

func (g *generator) uniform(lo, hi float64) float64 { return lo + g.r.Float64()*(hi-lo) }

func (g *generator) normal(mean, sd float64) float64 { return mean + g.r.NormFloat64()*sd }

func pick[T any](g *generator, xs []T) T { return xs[g.r.IntN(len(xs))] }

// poisson draws a Poisson count with the given mean (Knuth; means are small).
func (g *generator) poisson(mean float64) int {
	if mean <= 0 {
		return 0
	}
	if mean > 30 {
		return max(0, int(g.normal(mean, mean/5.5)+0.5))
	}
	l, k, p := math.Exp(-mean), 0, 1.0
	for {
		p *= g.r.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

// weighted returns an index chosen with the given weights.
func (g *generator) weighted(weights []float64) int {
	total := 0.0
	for _, w := range weights {
		total += w
	}
	x := g.r.Float64() * total
	for i, w := range weights {
		if x < w {
			return i
		}
		x -= w
	}
	return len(weights) - 1
}

// Time helpers. All times are UTC.

const day = 24 * time.Hour

// between returns a random instant in [a, b), or a when the interval is empty.
func (g *generator) between(a, b time.Time) time.Time {
	if !b.After(a) {
		return a
	}
	return a.Add(time.Duration(g.r.Int64N(int64(b.Sub(a)))))
}

// clinicTime moves t to a weekday working-hours slot on the same or the
// next weekday, on a quarter hour.
func (g *generator) clinicTime(t time.Time) time.Time {
	d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	for d.Weekday() == time.Saturday || d.Weekday() == time.Sunday {
		d = d.Add(day)
	}
	return d.Add(time.Duration(g.intIn(8*4+2, 17*4)) * 15 * time.Minute)
}

func yearsBefore(t time.Time, y int) time.Time { return t.AddDate(-y, 0, 0) }

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// ageAt is the age in whole years at t of someone born on birth.
func ageAt(birth, t time.Time) int {
	a := t.Year() - birth.Year()
	if t.Month() < birth.Month() || (t.Month() == birth.Month() && t.Day() < birth.Day()) {
		a--
	}
	return a
}

func fDate(t time.Time) string { return t.Format("2006-01-02") }

func fTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// fUK formats a date the British way, as letters show it.
func fUK(t time.Time) string { return t.Format("02 Jan 2006") }

// round rounds to the given number of decimals.
func round(x float64, decimals int) float64 {
	p := math.Pow(10, float64(decimals))
	return math.Round(x*p) / p
}

func clamp(x, lo, hi float64) float64 { return min(max(x, lo), hi) }

// sortEvents orders a patient's events by time, keeping plan order for
// events at the same instant.
func sortEvents(evs []event) {
	slices.SortStableFunc(evs, func(a, b event) int { return a.at.Compare(b.at) })
}

func choose[T any](cond bool, a, b T) T {
	if cond {
		return a
	}
	return b
}
