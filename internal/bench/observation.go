package bench

import (
	"math/rand/v2"
	"strconv"
	"time"
)

// observationGen makes synthetic vital-signs Observations of about 1 KB: a
// blood-pressure panel with systolic and diastolic components and a subject
// reference to a synthetic Patient id. No names, no NHS numbers: nothing in
// it could identify anyone. Each worker has its own generator (it is not
// safe for concurrent use).
type observationGen struct {
	rng    *rand.Rand
	prefix string // distinguishes runs and workers in identifiers
	seq    int64
	epoch  time.Time
}

func newObservationGen(seed uint64, prefix string) *observationGen {
	return &observationGen{
		rng:    rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		prefix: prefix,
		epoch:  time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC),
	}
}

// next returns the JSON of a new Observation. id, when not empty, is set as
// the resource id (for PUT in a transaction). The slice is new each time:
// an HTTP transport may still be reading a request body after the response.
func (g *observationGen) next(id string) []byte {
	return g.appendNext(make([]byte, 0, 1280), id)
}

// appendNext appends a new Observation to b.
func (g *observationGen) appendNext(b []byte, id string) []byte {
	g.seq++
	r := g.rng
	when := g.epoch.Add(time.Duration(r.Int64N(int64(365 * 24 * time.Hour)))).Truncate(time.Second)
	b = append(b, `{"resourceType":"Observation",`...)
	if id != "" {
		b = append(b, `"id":"`...)
		b = append(b, id...)
		b = append(b, `",`...)
	}
	b = append(b, `"identifier":[{"system":"https://carerecord.example/fhir/bench/observation","value":"`...)
	b = append(b, g.prefix...)
	b = append(b, '-')
	b = strconv.AppendInt(b, g.seq, 10)
	b = append(b, `"}],"status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"vital-signs","display":"Vital Signs"}]}],`...)
	b = append(b, `"code":{"coding":[{"system":"http://loinc.org","code":"85354-9","display":"Blood pressure panel with all children optional"},{"system":"http://snomed.info/sct","code":"75367002","display":"Blood pressure"}]},`...)
	b = append(b, `"subject":{"reference":"Patient/bench-patient-`...)
	b = strconv.AppendInt(b, r.Int64N(100_000), 10)
	b = append(b, `"},"effectiveDateTime":"`...)
	b = when.AppendFormat(b, time.RFC3339)
	b = append(b, `","issued":"`...)
	b = when.Add(time.Duration(30+r.IntN(600))*time.Second).AppendFormat(b, time.RFC3339)
	b = append(b, `","performer":[{"reference":"Practitioner/bench-practitioner-`...)
	b = strconv.AppendInt(b, r.Int64N(500), 10)
	b = append(b, `"}],"component":[`...)
	b = component(b, "8480-6", "Systolic blood pressure", 95+r.IntN(70), "mm[Hg]", "mmHg")
	b = append(b, ',')
	b = component(b, "8462-4", "Diastolic blood pressure", 55+r.IntN(45), "mm[Hg]", "mmHg")
	return append(b, `]}`...)
}

func component(b []byte, loinc, display string, value int, ucum, unit string) []byte {
	b = append(b, `{"code":{"coding":[{"system":"http://loinc.org","code":"`...)
	b = append(b, loinc...)
	b = append(b, `","display":"`...)
	b = append(b, display...)
	b = append(b, `"}]},"valueQuantity":{"value":`...)
	b = strconv.AppendInt(b, int64(value), 10)
	b = append(b, `,"unit":"`...)
	b = append(b, unit...)
	b = append(b, `","system":"http://unitsofmeasure.org","code":"`...)
	b = append(b, ucum...)
	b = append(b, `"}}`...)
	return b
}
