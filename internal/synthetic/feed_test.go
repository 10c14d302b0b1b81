package synthetic

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"carerecord/internal/hl7"
	"carerecord/internal/nhsnumber"
)

// feedPeople are the living people of a small population.
func feedPeople(t testing.TB) []Person {
	t.Helper()
	people, err := People(Options{Seed: 4, Patients: 40, Now: testNow}, 40)
	if err != nil {
		t.Fatal(err)
	}
	return people
}

// run asks f for ticks rounds of every kind, one second apart.
func run(f *Feed, start time.Time, ticks int) (msgs [][]byte, kinds []MessageKind, times []time.Time) {
	for i := range ticks {
		now := start.Add(time.Duration(i) * time.Second)
		for _, k := range MessageKinds {
			if m := f.Next(k, now); m != nil {
				msgs, kinds, times = append(msgs, m), append(kinds, k), append(times, now)
			}
		}
	}
	return msgs, kinds, times
}

// People reads back, from the generated Patients, exactly the living
// people with an NHS number and an MRN, with their names and birth dates.
func TestPeopleAreThePopulation(t *testing.T) {
	opts := Options{Seed: 4, Patients: 40, Now: testNow}
	var patients []patientRes
	for _, r := range generate(t, opts) {
		if r.Type == "Patient" {
			var p patientRes
			if err := json.Unmarshal(r.Body, &p); err != nil {
				t.Fatal(err)
			}
			patients = append(patients, p)
		}
	}
	people := feedPeople(t)
	var living []patientRes
	for _, p := range patients {
		if p.DeceasedDateTime == "" {
			living = append(living, p)
		}
	}
	if len(living) == len(patients) {
		t.Fatal("want a population with someone dead, to see them left out")
	}
	if len(people) != len(living) {
		t.Fatalf("People gave %d, the population has %d living", len(people), len(living))
	}
	trusts := map[string]int{}
	for i, p := range people {
		want := living[i]
		if p.NHSNumber != want.Identifier[0].Value || !nhsnumber.Valid(p.NHSNumber) || !strings.HasPrefix(p.NHSNumber, "999") {
			t.Errorf("person %d: NHS number %q, want %q", i, p.NHSNumber, want.Identifier[0].Value)
		}
		if p.MRN != want.Identifier[1].Value || LocalSystem(p.Trust)+mrnSystemSuffix != want.Identifier[1].System {
			t.Errorf("person %d: MRN %s %q, want %s %q", i, p.Trust, p.MRN, want.Identifier[1].System, want.Identifier[1].Value)
		}
		if p.Family != want.Name[0].Family || !slices.Equal(p.Given, want.Name[0].Given) || fDate(p.BirthDate) != want.BirthDate {
			t.Errorf("person %d: %s %v born %s, want %s %v born %s", i, p.Family, p.Given, fDate(p.BirthDate),
				want.Name[0].Family, want.Name[0].Given, want.BirthDate)
		}
		trusts[p.Trust]++
	}
	if trusts["RZ9"] == 0 || trusts["RZ8"] == 0 {
		t.Errorf("MRNs by trust: %v, want both acute trusts", trusts)
	}
	if few, _ := People(opts, 5); len(few) != 5 || few[4].NHSNumber != people[4].NHSNumber {
		t.Errorf("People(opts, 5) is not the first five")
	}
}

// The same options and calls give the same messages; another seed gives
// others.
func TestFeedDeterministic(t *testing.T) {
	people := feedPeople(t)
	start := testNow.Add(10 * time.Hour)
	gen := func(seed int64) [][]byte {
		f, err := NewFeed(FeedOptions{Seed: seed, People: people, Now: start})
		if err != nil {
			t.Fatal(err)
		}
		msgs, _, _ := run(f, start, 30)
		return msgs
	}
	a, b, c := gen(1), gen(1), gen(2)
	if len(a) == 0 || !slices.EqualFunc(a, b, bytes.Equal) {
		t.Fatal("the same seed gave different messages")
	}
	if slices.EqualFunc(a, c, bytes.Equal) {
		t.Fatal("another seed gave the same messages")
	}
}

// Every message parses, has a unique control id and the current time, and
// names a person of the trust as the population holds them; results,
// documents and appointments name only people an ADT message named first;
// each kind of event and result occurs; abnormal flags agree with the
// reference ranges.
func TestFeedMessages(t *testing.T) {
	people := feedPeople(t)
	start := testNow.Add(10 * time.Hour)
	f, err := NewFeed(FeedOptions{Seed: 1, People: people, Now: start})
	if err != nil {
		t.Fatal(err)
	}
	byNHS := map[string]Person{}
	for _, p := range people {
		byNHS[p.NHSNumber] = p
	}
	msgs, kinds, times := run(f, start, 300)
	ids := map[string]bool{}
	named := map[string]bool{}
	seen := map[string]int{}
	for i, b := range msgs {
		m, err := hl7.Parse(b)
		if err != nil {
			t.Fatalf("message %d does not parse: %v\n%s", i, err, b)
		}
		typ := m.Type().Code + "^" + m.Type().Event
		seen[typ]++
		if id := m.ControlID(); ids[id] || len(id) > 20 {
			t.Errorf("control id %q repeated or longer than 20", id)
		} else {
			ids[id] = true
		}
		if got := m.Get("MSH-7"); got != ts(times[i]) {
			t.Errorf("%s: MSH-7 %s, want %s", typ, got, ts(times[i]))
		}
		if m.Get("MSH-4") != FeedTrust || m.Get("MSH-12") != "2.4" {
			t.Errorf("%s: MSH-4 %q MSH-12 %q", typ, m.Get("MSH-4"), m.Get("MSH-12"))
		}
		if _, ok := m.Find("EVN", 1); ok && m.Get("EVN-2") != ts(times[i]) {
			t.Errorf("%s: EVN-2 %s, want now", typ, m.Get("EVN-2"))
		}
		nhs := m.Get("PID-3[2].1")
		p, ok := byNHS[nhs]
		switch {
		case !ok || m.Get("PID-3[2].5") != "NH":
			t.Fatalf("%s: PID-3 names no person of the population: %q", typ, m.Get("PID-3"))
		case p.Trust != FeedTrust || m.Get("PID-3[1].1") != p.MRN:
			t.Errorf("%s: MRN %q, want the %s MRN %q", typ, m.Get("PID-3[1].1"), p.Trust, p.MRN)
		case m.Get("PID-5.1") != p.Family || m.Get("PID-5.2") != p.Given[0] || m.Get("PID-7") != p.BirthDate.Format("20060102"):
			t.Errorf("%s: PID-5 %q PID-7 %q, want %s %s born %s", typ, m.Get("PID-5"), m.Get("PID-7"), p.Family, p.Given[0], fDate(p.BirthDate))
		}
		if kinds[i] == KindADT {
			named[nhs] = true
		} else if !named[nhs] {
			t.Errorf("%s about someone no ADT message named before", typ)
		}
		if kinds[i] == KindResults {
			checkFlags(t, m)
			seen[m.Get("OBR-4")]++
		}
		if kinds[i] == KindDocuments {
			seen[m.Get("TXA-2")]++
		}
	}
	for _, want := range []string{"ADT^A01", "ADT^A02", "ADT^A03", "ADT^A08", "ORU^R01", "MDM^T02", "SIU^S12", "SIU^S15",
		"FBC", "UE", "85353-1", "DS", "CN"} {
		if seen[want] == 0 {
			t.Errorf("no %s in %d messages: %v", want, len(msgs), seen)
		}
	}
}

// checkFlags checks each OBX-8 against its value and OBX-7 range.
func checkFlags(t *testing.T, m *hl7.Message) {
	t.Helper()
	for i, obx := range m.Segments("OBX") {
		v, err := strconv.ParseFloat(obx.Get("5"), 64)
		if err != nil || obx.Get("2") != "NM" || obx.Get("6.3") != "UCUM" || obx.Get("11") != "F" {
			t.Errorf("OBX %d: not a final numeric result in UCUM: %s", i+1, obx)
			continue
		}
		want := "N"
		rng := obx.Get("7")
		if lo, hi, ok := strings.Cut(rng, "-"); ok {
			l, _ := strconv.ParseFloat(lo, 64)
			h, _ := strconv.ParseFloat(hi, 64)
			want = map[bool]string{true: "L"}[v < l] + map[bool]string{true: "H"}[v > h]
		} else if l, ok := strings.CutPrefix(rng, ">"); ok {
			x, _ := strconv.ParseFloat(l, 64)
			want = map[bool]string{true: "L"}[v < x]
		} else if h, ok := strings.CutPrefix(rng, "<"); ok {
			x, _ := strconv.ParseFloat(h, 64)
			want = map[bool]string{true: "H"}[v > x]
		}
		if want == "" {
			want = "N"
		}
		if got := obx.Get("8"); got != want {
			t.Errorf("OBX %d: value %v range %q flag %q, want %q", i+1, v, rng, got, want)
		}
	}
}

func TestNewFeedRefuses(t *testing.T) {
	people := feedPeople(t)
	var others []Person
	for _, p := range people {
		if p.Trust != FeedTrust {
			others = append(others, p)
		}
	}
	for name, opts := range map[string]FeedOptions{
		"no time":              {Seed: 1, People: people},
		"not an acute trust":   {Seed: 1, People: people, Now: testNow, Trust: "QZ9"},
		"no one of that trust": {Seed: 1, People: others, Now: testNow},
	} {
		if _, err := NewFeed(opts); !errors.Is(err, ErrInvalidOptions) {
			t.Errorf("%s: %v, want ErrInvalidOptions", name, err)
		}
	}
}
