package synthetic

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"carerecord/internal/hl7"
)

// The segments and messages of the live feeds. Values are escaped with
// hl7.Escape; times carry their UTC offset, so a receiver need not know the
// sender's zone.

// fields are a segment's fields by number (1-based, as the standard counts
// them after the segment name), already encoded.
type fields map[int]string

func segment(name string, fs fields) string {
	n := 0
	for i := range fs {
		n = max(n, i)
	}
	parts := make([]string, n+1)
	parts[0] = name
	for i, v := range fs {
		parts[i] = v
	}
	return strings.Join(parts, "|")
}

// comp escapes each component and joins them with ^, dropping empty
// trailing ones.
func comp(parts ...string) string {
	for len(parts) > 0 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	out := make([]string, len(parts))
	for i, p := range parts {
		out[i] = hl7.Escape(p, hl7.DefaultDelimiters)
	}
	return strings.Join(out, "^")
}

func ts(t time.Time) string { return hl7.FormatTime(t.UTC(), hl7.PrecisionSecond) }

func message(segs ...string) []byte { return []byte(strings.Join(segs, "\r") + "\r") }

// sendingApp names the trust's system behind each feed (MSH-3).
var sendingApp = [...]string{KindADT: "PAS", KindResults: "PATHOLOGY", KindDocuments: "EDMS", KindAppointments: "OPD-SCHED"}

// msh is the header: MSH-3 to MSH-16, original-mode commit acknowledgement.
func (f *Feed) msh(k MessageKind, typ string, now time.Time) string {
	return "MSH|^~\\&|" + strings.Join([]string{sendingApp[k], f.ods, "CARERECORD", "QZ9", ts(now), "",
		typ, f.controlID(k, now), "P", "2.4", "", "", "AL", "NE"}, "|")
}

// pid identifies person i: the trust's MRN and the NHS number in PID-3,
// name, birth date, sex, address and the NHS number's verification status.
func (f *Feed) pid(i int) string {
	p := f.people[i]
	given, middle := "", ""
	if len(p.Given) > 0 {
		given, middle = p.Given[0], strings.Join(p.Given[1:], " ")
	}
	var line1, line2 string
	if len(p.Line) > 0 {
		line1, line2 = p.Line[0], strings.Join(p.Line[1:], ", ")
	}
	verification := "02"
	if p.Verified {
		verification = "01"
	}
	return segment("PID", fields{
		1:  "1",
		3:  comp(p.MRN, "", "", "local-patient-identifier", "MR") + "~" + comp(p.NHSNumber, "", "", "NHS", "NH"),
		5:  comp(p.Family, given, middle, "", p.Prefix, "", "L"),
		7:  hl7.FormatTime(p.BirthDate, hl7.PrecisionDay),
		8:  choose(p.Female, "F", "M"),
		11: comp(line1, line2, p.Town, "", p.Postcode, "GBR", "H"),
		32: verification,
	})
}

// xcn names a consultant: family, given and prefix (no local id).
func xcn(c *practitioner) string { return comp("", c.family, c.given, "", "", "Dr") }

// inpatientPV1 is the visit of a stay; prior is the ward before a
// transfer (-1: none).
func (f *Feed) inpatientPV1(s *admission, prior int) string {
	fs := fields{1: "1", 2: "I", 3: f.bed(s.ward, s.bay, s.bed), 4: comp("E", "Emergency"), 7: xcn(s.consultant),
		10: wards[s.ward].service, 19: s.visit, 44: ts(s.admitted)}
	if prior >= 0 {
		fs[6] = f.bed(prior, 0, 0)
	}
	if !s.discharged.IsZero() {
		fs[45] = ts(s.discharged)
	}
	return segment("PV1", fs)
}

func (f *Feed) bed(w, bay, bed int) string {
	if bay == 0 {
		return comp(wards[w].code, "", "", f.ods)
	}
	return comp(wards[w].code, "BAY"+strconv.Itoa(bay), "BED"+strconv.Itoa(bed), f.ods)
}

// adtMessage is an ADT event for a stay.
func (f *Feed) adtMessage(event string, s *admission, now time.Time, prior int) []byte {
	f.named(s.person)
	structure := map[string]string{"A01": "ADT_A01", "A02": "ADT_A02", "A03": "ADT_A03", "A08": "ADT_A01"}[event]
	segs := []string{
		f.msh(KindADT, "ADT^"+event+"^"+structure, now),
		segment("EVN", fields{1: event, 2: ts(now)}),
		f.pid(s.person),
		f.inpatientPV1(s, prior),
	}
	if s.reason != nil {
		segs = append(segs, segment("PV2", fields{3: comp(s.reason.code, s.reason.display, "SCT")}))
	}
	return message(segs...)
}

// analyte is one numeric result: code, unit (UCUM), reference range
// (zero: open at that end), the usual value's spread, decimals.
type analyte struct {
	code, display, unit string
	low, high           float64
	mean, sd            float64
	decimals            int
}

var (
	panelFullBloodCount = []analyte{
		{"718-7", "Haemoglobin", "g/L", 115, 180, 135, 18, 0},
		{"6690-2", "White cell count", "10*9/L", 4, 11, 7.5, 2.6, 1},
		{"777-3", "Platelet count", "10*9/L", 150, 400, 260, 75, 0},
		{"787-2", "Mean cell volume", "fL", 80, 100, 90, 6, 0},
	}
	panelUreaElectrolytes = []analyte{
		{"2951-2", "Sodium", "mmol/L", 133, 146, 139, 3.5, 0},
		{"2823-3", "Potassium", "mmol/L", 3.5, 5.3, 4.4, 0.5, 1},
		{"22664-7", "Urea", "mmol/L", 2.5, 7.8, 6, 2.2, 1},
		{"14682-9", "Creatinine", "umol/L", 49, 104, 85, 25, 0},
	}
	panelVitalSigns = []analyte{
		{"8867-4", "Heart rate", "/min", 51, 90, 82, 14, 0},
		{"9279-1", "Respiratory rate", "/min", 12, 20, 17, 3.5, 0},
		{"59408-5", "Oxygen saturation", "%", 96, 0, 96, 2, 0},
		{"8310-5", "Body temperature", "Cel", 36.1, 38, 37, 0.6, 1},
		{"8480-6", "Systolic blood pressure", "mm[Hg]", 111, 219, 132, 18, 0},
		{"8462-4", "Diastolic blood pressure", "mm[Hg]", 0, 90, 78, 10, 0},
	}
)

type panel struct {
	code, display, system, section string
	analytes                       []analyte
}

var (
	fullBloodCount   = panel{"FBC", "Full blood count", "WYVPATH", "HM", panelFullBloodCount}
	ureaElectrolytes = panel{"UE", "Urea and electrolytes", "WYVPATH", "CH", panelUreaElectrolytes}
	vitalSigns       = panel{"85353-1", "Vital signs panel", "LN", "", panelVitalSigns}
)

// result reports a laboratory panel or a set of vital signs (inpatients
// only) for someone already named.
func (f *Feed) result(now time.Time) []byte {
	pi, s := f.someoneKnown()
	if pi < 0 {
		return nil
	}
	pn := []panel{fullBloodCount, ureaElectrolytes}[f.r.IntN(2)]
	if s != nil && f.r.Float64() < 0.5 {
		pn = vitalSigns
	}
	taken := now.Add(-time.Duration(10+f.r.IntN(110)) * time.Minute)
	if pn.section == "" {
		taken = now.Add(-time.Duration(1+f.r.IntN(5)) * time.Minute)
	}
	placer, filler := f.newID("PL", now), f.newID("FL", now)
	segs := []string{f.msh(KindResults, "ORU^R01^ORU_R01", now), f.pid(pi), f.pv1(s)}
	segs = append(segs,
		segment("ORC", fields{1: "RE", 2: placer, 3: filler}),
		segment("OBR", fields{1: "1", 2: placer, 3: filler, 4: comp(pn.code, pn.display, pn.system), 7: ts(taken),
			22: ts(now), 24: pn.section, 25: "F"}))
	for j, a := range pn.analytes {
		v := max(round(f.r.NormFloat64()*a.sd+a.mean, a.decimals), 0)
		if a.unit == "%" {
			v = min(v, 100)
		}
		segs = append(segs, segment("OBX", fields{1: strconv.Itoa(j + 1), 2: "NM", 3: comp(a.code, a.display, "LN"),
			5: strconv.FormatFloat(v, 'f', a.decimals, 64), 6: comp(a.unit, a.unit, "UCUM"), 7: a.rangeText(),
			8: a.flag(v), 11: "F", 14: ts(taken)}))
	}
	return message(segs...)
}

func (a analyte) rangeText() string {
	f := func(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }
	switch {
	case a.low > 0 && a.high > 0:
		return f(a.low) + "-" + f(a.high)
	case a.low > 0:
		return ">" + f(a.low)
	case a.high > 0:
		return "<" + f(a.high)
	}
	return ""
}

// flag is OBX-8: L, H or N (table 0078).
func (a analyte) flag(v float64) string {
	switch {
	case a.low > 0 && v < a.low:
		return "L"
	case a.high > 0 && v > a.high:
		return "H"
	}
	return "N"
}

// pv1 is the visit of a message about someone: their stay, or an
// outpatient attendance.
func (f *Feed) pv1(s *admission) string {
	if s != nil {
		return f.inpatientPV1(s, -1)
	}
	return segment("PV1", fields{1: "1", 2: "O"})
}

// document sends the discharge summary of the earliest discharge not yet
// summarised, else a clinic letter for someone already named.
func (f *Feed) document(now time.Time) []byte {
	var (
		pi     int
		s      *admission
		lines  []string
		author *practitioner
	)
	typ := comp("CN", "Consultation")
	if len(f.letters) > 0 {
		s, f.letters = f.letters[0], f.letters[1:]
		pi, typ, author = s.person, comp("DS", "Discharge summary"), s.consultant
		reason := "an acute medical illness"
		if s.reason != nil {
			reason = strings.ToLower(s.reason.text)
		}
		lines = []string{
			fmt.Sprintf("Admitted to %s on %s with %s.", wards[s.ward].name, fUK(s.admitted), reason),
			"Treated according to local guidelines; observations settled and mobilising independently.",
			fmt.Sprintf("Discharged home on %s under the care of Dr %s %s.", fUK(s.discharged), author.given, author.family),
			"GP: please review in two weeks and repeat urea and electrolytes.",
		}
	} else {
		if pi, _ = f.someoneKnown(); pi < 0 {
			return nil
		}
		c := clinics[f.r.IntN(len(clinics))]
		author = f.consultant(c.spec)
		lines = []string{
			fmt.Sprintf("Seen today in the %s.", c.name),
			"Symptoms stable; examination unremarkable. No change to medication.",
			"Plan: routine follow-up in three months.",
		}
	}
	segs := []string{
		f.msh(KindDocuments, "MDM^T02^MDM_T02", now),
		segment("EVN", fields{1: "T02", 2: ts(now)}),
		f.pid(pi),
		f.pv1(s),
		segment("TXA", fields{1: "1", 2: typ, 3: "TX", 4: ts(now), 5: xcn(author), 12: f.newID("DOC", now), 17: "AU"}),
	}
	for j, l := range lines {
		segs = append(segs, segment("OBX", fields{1: strconv.Itoa(j + 1), 2: "TX", 3: typ, 5: comp(l), 11: "F"}))
	}
	return message(segs...)
}

// appointment books an outpatient appointment for someone already named,
// or now and then cancels one booked earlier.
func (f *Feed) appointment(now time.Time) []byte {
	if len(f.booked) > 2 && f.r.Float64() < 0.15 {
		i := f.r.IntN(len(f.booked))
		b := f.booked[i]
		f.booked = slices.Delete(f.booked, i, i+1)
		return f.siu("S15", b, now, comp("PAT", "Patient request"), "Cancelled")
	}
	pi, _ := f.someoneKnown()
	if pi < 0 {
		return nil
	}
	c := f.r.IntN(len(clinics))
	day := now.AddDate(0, 0, 7+f.r.IntN(50))
	day = time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, time.UTC)
	for day.Weekday() == time.Saturday || day.Weekday() == time.Sunday {
		day = day.AddDate(0, 0, 1)
	}
	b := booking{person: pi, placer: f.newID("PA", now), id: f.newID("APT", now), clinic: c,
		start: day.Add(time.Duration(9*4+f.r.IntN(7*4)) * 15 * time.Minute), consultant: f.consultant(clinics[c].spec),
		reason: [2]string{"FU", "Follow up"}, kind: [2]string{"FOLLOWUP", "A follow up visit from a previous appointment"}}
	if f.r.Float64() < 0.4 {
		b.reason, b.kind = [2]string{"NEW", "New referral"}, [2]string{"ROUTINE", "Routine appointment - default if not valued"}
	}
	f.booked = append(f.booked, b)
	if len(f.booked) > 50 {
		f.booked = f.booked[1:]
	}
	return f.siu("S12", b, now, "", "Booked")
}

func (f *Feed) siu(event string, b booking, now time.Time, why, status string) []byte {
	const minutes = 30
	place := comp(clinics[b.clinic].code, "", "", f.ods)
	return message(
		f.msh(KindAppointments, "SIU^"+event+"^SIU_S12", now),
		segment("SCH", fields{1: b.placer, 2: b.id, 6: why, 7: comp(b.reason[0], b.reason[1], "WYVPAS"),
			8: comp(b.kind[0], b.kind[1], "HL70276"), 9: strconv.Itoa(minutes), 10: "min",
			11: comp("", "", strconv.Itoa(minutes), ts(b.start), ts(b.start.Add(minutes*time.Minute))), 25: status}),
		f.pid(b.person),
		segment("PV1", fields{1: "1", 2: "O", 3: place}),
		segment("RGS", fields{1: "1"}),
		segment("AIL", fields{1: "1", 3: place}),
		segment("AIP", fields{1: "1", 3: xcn(b.consultant)}),
	)
}
