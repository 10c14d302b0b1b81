package synthetic

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"
)

// The live feeds: HL7 v2.4 messages that an acute trust's systems send
// about people of the population, as the demo's integration engine
// receives them. Like Generate, a Feed is pure and deterministic: the same
// options and the same sequence of Next calls (kinds and times) give
// byte-identical messages. It does no I/O; the caller sends the messages.

// FeedTrust is the ODS code of the acute trust whose systems send the
// demo's live feeds: Wyvernbury University Hospitals, which serves most of
// the population.
const FeedTrust = "RZ9"

// MessageKind is what one of the trust's systems sends.
type MessageKind int

// The systems of the trust, one feed each.
const (
	KindADT          MessageKind = iota // the PAS: ADT A01 admit, A02 transfer, A03 discharge, A08 update
	KindResults                         // pathology and observations: ORU^R01
	KindDocuments                       // document management: MDM^T02 discharge summaries and clinic letters
	KindAppointments                    // outpatient scheduling: SIU^S12 bookings (S15 cancellations)
)

// MessageKinds lists every kind, in the order a demo tick asks for them:
// ADT first, so that the other feeds can speak of whoever it named.
var MessageKinds = []MessageKind{KindADT, KindResults, KindDocuments, KindAppointments}

// String names the kind as its feed is named: adt, results, documents,
// appointments.
func (k MessageKind) String() string {
	switch k {
	case KindADT:
		return "adt"
	case KindResults:
		return "results"
	case KindDocuments:
		return "documents"
	case KindAppointments:
		return "appointments"
	}
	return fmt.Sprintf("MessageKind(%d)", int(k))
}

// FeedOptions configure a Feed.
type FeedOptions struct {
	// Seed drives every choice, as Options.Seed does for the population;
	// the same seed also gives the population's consultants.
	Seed int64
	// Trust is the sending trust's ODS code (default FeedTrust). Its
	// messages carry its MRNs with assigning authority
	// "local-patient-identifier", which a feed configured with
	// LocalSystem(Trust) maps to the generated Patients' MRN system.
	Trust string
	// People are whom the messages are about; people of other trusts are
	// left out. At least one must remain.
	People []Person
	// Now dates the trust's staff as Generate's Options.Now does (the same
	// year gives the same consultants); it must not be zero.
	Now time.Time
}

// Feed generates the live feeds' messages. It is not safe for concurrent
// use.
type Feed struct {
	r       *rand.Rand
	site    *acuteSite
	ods     string
	people  []Person
	order   []int // admission order, a permutation of people
	next    int   // cursor into order
	stays   []*admission
	known   []int // people named by an ADT message, in that order
	isKnown map[int]bool
	letters []*admission // discharged, summary not yet sent
	booked  []booking    // booked appointments that may be cancelled
	seq     int
}

// admission is one inpatient stay.
type admission struct {
	person     int
	visit      string
	ward       int // index into wards
	bay, bed   int
	reason     *acuteDef
	consultant *practitioner
	admitted   time.Time
	discharged time.Time
	moved      bool
}

type booking struct {
	person       int
	placer, id   string
	start        time.Time
	clinic       int // index into clinics
	consultant   *practitioner
	reason, kind [2]string
}

// ward is an inpatient ward of the trust's hospital, as PV1-3 names it.
type ward struct {
	code, name, service string
	spec                specialty
}

var wards = []ward{
	{"AMU", "Acute Medical Unit", "MED", specGenMed},
	{"WARD7", "Ward 7 (Care of the Elderly)", "GER", specGeriatrics},
	{"WARD12", "Ward 12 (Respiratory Medicine)", "RESP", specRespiratory},
	{"WARD4", "Ward 4 (Cardiology)", "CARD", specCardiology},
	{"WARD9", "Ward 9 (Trauma and Orthopaedics)", "TO", specOrthopaedic},
}

// clinic is an outpatient clinic, as AIL-3 and PV1-3 name it.
type clinic struct {
	code, name string
	spec       specialty
}

var clinics = []clinic{
	{"OPD-MED", "General Medicine Clinic", specGenMed},
	{"OPD-CARD", "Cardiology Clinic", specCardiology},
	{"OPD-RESP", "Respiratory Clinic", specRespiratory},
	{"OPD-DIAB", "Diabetes Clinic", specDiabetes},
	{"OPD-GER", "Falls and Frailty Clinic", specGeriatrics},
	{"OPD-RHEUM", "Rheumatology Clinic", specRheumatol},
}

// NewFeed prepares the live feeds of opts.Trust for opts.People.
func NewFeed(opts FeedOptions) (*Feed, error) {
	if opts.Trust == "" {
		opts.Trust = FeedTrust
	}
	if opts.Now.IsZero() {
		return nil, fmt.Errorf("%w: feed: Now is zero", ErrInvalidOptions)
	}
	g := newGenerator(Options{Seed: opts.Seed, Now: opts.Now}, func(Resource) error { return nil })
	g.buildWorld()
	f := &Feed{ods: opts.Trust, isKnown: map[int]bool{}}
	for i := range g.w.acute {
		if g.w.acute[i].trust.ods == opts.Trust {
			f.site = &g.w.acute[i]
		}
	}
	if f.site == nil {
		return nil, fmt.Errorf("%w: feed: %s is not an acute trust of the population", ErrInvalidOptions, opts.Trust)
	}
	for _, p := range opts.People {
		if p.Trust == opts.Trust && p.MRN != "" && p.NHSNumber != "" {
			f.people = append(f.people, p)
		}
	}
	if len(f.people) == 0 {
		return nil, fmt.Errorf("%w: feed: no person with an MRN of %s", ErrInvalidOptions, opts.Trust)
	}
	seed := uint64(opts.Seed)
	f.r = rand.New(rand.NewPCG(seed^0x5eedfeed, seed+0x2545f4914f6cdd1d))
	f.order = f.r.Perm(len(f.people))
	return f, nil
}

// Next returns the next message of kind k, stamped now (MSH-7, EVN-2), or
// nil when k has nothing to say yet: results, documents and appointments
// speak only of people an ADT message has already named, so that every
// resource they give refers to a Patient the record holds.
func (f *Feed) Next(k MessageKind, now time.Time) []byte {
	now = now.UTC().Truncate(time.Second)
	switch k {
	case KindADT:
		return f.adt(now)
	case KindResults:
		return f.result(now)
	case KindDocuments:
		return f.document(now)
	case KindAppointments:
		return f.appointment(now)
	}
	return nil
}

// adt admits someone, or moves an inpatient on: transfer, update or
// discharge.
func (f *Feed) adt(now time.Time) []byte {
	maxIn := min(6, (len(f.people)+1)/2)
	if len(f.stays) == 0 || len(f.stays) < maxIn && f.r.Float64() < 0.45 {
		if s := f.admit(now); s != nil {
			return f.adtMessage("A01", s, now, -1)
		}
	}
	i := f.r.IntN(len(f.stays))
	s := f.stays[i]
	switch x := f.r.Float64(); {
	case !s.moved && x < 0.35:
		from := s.ward
		s.ward = (s.ward + 1 + f.r.IntN(len(wards)-1)) % len(wards)
		s.bay, s.bed, s.moved = f.r.IntN(6)+1, f.r.IntN(8)+1, true
		s.consultant = f.consultant(wards[s.ward].spec)
		return f.adtMessage("A02", s, now, from)
	case x < 0.55:
		return f.adtMessage("A08", s, now, -1)
	}
	f.stays = slices.Delete(f.stays, i, i+1)
	s.discharged = now
	f.letters = append(f.letters, s)
	return f.adtMessage("A03", s, now, -1)
}

// admit starts a stay for the next person in admission order who is not
// in hospital; nil when everyone is.
func (f *Feed) admit(now time.Time) *admission {
	for range f.order {
		pi := f.order[f.next]
		f.next = (f.next + 1) % len(f.order)
		if slices.ContainsFunc(f.stays, func(s *admission) bool { return s.person == pi }) {
			continue
		}
		p := f.people[pi]
		age := ageAt(p.BirthDate, now)
		var reasons []*acuteDef
		for j := range acuteDefs {
			if d := &acuteDefs[j]; d.admit >= 0.3 && d.needs < 0 && age >= d.minAge {
				reasons = append(reasons, d)
			}
		}
		s := &admission{person: pi, visit: f.newID("V", now), bay: f.r.IntN(6) + 1, bed: f.r.IntN(8) + 1, admitted: now}
		s.ward = 0 // the acute medical unit, unless the reason says otherwise
		if len(reasons) > 0 {
			s.reason = reasons[f.r.IntN(len(reasons))]
			for j, w := range wards {
				if w.spec == s.reason.spec {
					s.ward = j
				}
			}
		}
		if age >= 80 && s.ward == 0 && f.r.Float64() < 0.5 {
			s.ward = 1 // care of the elderly
		}
		s.consultant = f.consultant(wards[s.ward].spec)
		f.stays = append(f.stays, s)
		return s
	}
	return nil
}

// consultant picks one of the trust's consultants in a specialty (general
// medicine when it has none).
func (f *Feed) consultant(s specialty) *practitioner {
	var found []*practitioner
	for _, c := range f.site.consultants {
		if c.spec == s {
			found = append(found, c)
		}
	}
	if len(found) == 0 {
		if s == specGenMed {
			return f.site.consultants[0]
		}
		return f.consultant(specGenMed)
	}
	return found[f.r.IntN(len(found))]
}

// named records that an ADT message has named person i.
func (f *Feed) named(i int) {
	if !f.isKnown[i] {
		f.isKnown[i] = true
		f.known = append(f.known, i)
	}
}

// someoneKnown picks a person already named by an ADT message, an
// inpatient half the time, with their stay if they are in hospital; -1
// when there is none.
func (f *Feed) someoneKnown() (int, *admission) {
	if len(f.known) == 0 {
		return -1, nil
	}
	pi := f.known[f.r.IntN(len(f.known))]
	if len(f.stays) > 0 && f.r.Float64() < 0.5 {
		pi = f.stays[f.r.IntN(len(f.stays))].person
	}
	for _, s := range f.stays {
		if s.person == pi {
			return pi, s
		}
	}
	return pi, nil
}

// newID returns an identifier unique to this feed and, through the time,
// to this run: prefix, yymmddhhmmss and a sequence number.
func (f *Feed) newID(prefix string, now time.Time) string {
	f.seq++
	return fmt.Sprintf("%s%s%04d", prefix, now.Format("060102150405"), f.seq%10000)
}

// controlID is MSH-10: at most 20 characters, as v2.4 allows.
func (f *Feed) controlID(k MessageKind, now time.Time) string {
	f.seq++
	return fmt.Sprintf("%c%s%05d", "ARDS"[k], now.Format("20060102150405"), f.seq%100000)
}
