package synthetic

import (
	"time"
)

// Appointments: fulfilled ones before the contacts they led to, missed and
// cancelled ones, and booked ones after today.

type apptSpec struct {
	status  string // booked | fulfilled | cancelled | noshow
	start   time.Time
	mins    int
	who     *practitioner
	where   *location
	kind    string // v2-0276 appointment type
	spec    specialty
	reason  coding
	desc    string
	created time.Time // when booked; zero: some weeks before
}

var apptTypes = map[string]string{
	"ROUTINE":  "Routine appointment - default if not valued",
	"FOLLOWUP": "A follow up visit from a previous appointment",
	"CHECKUP":  "A routine check-up, such as an annual physical",
}

var cancelledByPatient = cc(coding{System: systemApptCancel, Code: "pat", Display: "Patient"})

func (g *generator) appointment(p *patient, s apptSpec) string {
	id := g.newID()
	end := s.start.Add(minutes(s.mins))
	if s.status != "booked" {
		end = p.cap(end)
	}
	created := s.created
	if created.IsZero() {
		created = s.start.Add(-day * time.Duration(g.intIn(1, 35)))
	}
	created = earlier(later(created, p.birth), g.now)
	desc := s.desc
	if desc == "" {
		desc = apptDescription(s)
	}
	res := appointmentRes{ResourceType: "Appointment", ID: id, Status: s.status,
		AppointmentType: cc(coding{System: systemApptType, Code: s.kind, Display: apptTypes[s.kind]}),
		Description:     desc,
		Start:           fTime(s.start), End: fTime(end), MinutesDuration: max(1, int(end.Sub(s.start).Minutes())),
		Created: fTime(created),
		Participant: []appointmentParticipant{
			{Actor: ref("Patient", p.id), Required: "required", Status: "accepted"},
			{Actor: refD("Practitioner", s.who.id, s.who.display), Required: "required", Status: "accepted"},
			{Actor: refD("Location", s.where.id, s.where.name), Required: "required", Status: "accepted"},
		},
	}
	if s.status == "cancelled" {
		res.CancelationReason = cancelledByPatient
		res.Participant[0].Status = "declined"
	}
	if s.spec.code != "" {
		res.Specialty = []concept{{Coding: []coding{s.spec.coding()}}}
	}
	if s.reason.Code != "" {
		res.ReasonCode = []concept{{Coding: []coding{s.reason}}}
	}
	g.put("Appointment", id, res)
	return id
}

func apptDescription(s apptSpec) string {
	switch {
	case s.spec == specGP:
		return "GP appointment"
	case s.kind == "FOLLOWUP":
		return s.spec.display + " outpatient follow-up"
	}
	return s.spec.display + " outpatient appointment"
}
