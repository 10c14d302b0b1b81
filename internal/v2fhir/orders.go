package v2fhir

import (
	"encoding/base64"
	"strconv"
	"strings"
)

// mdm maps MDM T02/T04/T06/T08 to a DocumentReference and its content as a Binary.
func (m *mapper) mdm(event string) error {
	if _, err := m.common(); err != nil {
		return err
	}
	txa, err := m.need("TXA")
	if err != nil {
		return err
	}
	key := txa.f(12)
	if key == "" {
		return &Error{"TXA-12", ErrMissingField}
	}
	id := m.id("DocumentReference", key)
	d := resource("DocumentReference", id)
	d.set("masterIdentifier", obj("system", m.localBase+"/document", "value", key))
	d.set("status", "current")
	switch txa.f(17) {
	case "AU", "LA":
		d.set("docStatus", "final")
	case "DI", "DO", "IN", "IP", "PA":
		d.set("docStatus", "preliminary")
	}
	if t := txa.fld(2, 1); t.c(1) != "" {
		if t.c(3) == "" {
			d.set("type", obj("coding", []*object{v2Coding("0270", t.c(1), t.c(2))}))
		} else {
			d.set("type", m.cwe(t))
		}
	}
	d.set("subject", m.patientRef())
	date := txa.f(4)
	if date == "" {
		date = txa.f(6)
	}
	d.set("date", m.instant(date, "TXA-4"))
	var authors []*object
	for _, f := range txa.repsOf(5) {
		authors = append(authors, m.xcn(f))
	}
	d.set("author", authors)
	if parent := txa.f(13); parent != "" && (event == "T06" || event == "T08") {
		code := "appends"
		if event == "T08" {
			code = "replaces"
			pid := m.id("DocumentReference", parent)
			m.add(OpMarkStatus, "DocumentReference", pid, "superseded", "", nil)
		}
		d.set("relatesTo", []*object{obj("code", code, "target", ref("DocumentReference", m.id("DocumentReference", parent)))})
	}
	content, ctype := m.documentContent()
	if content == "" {
		m.warn("OBX-5", "document without content")
		d.set("content", []*object{obj("attachment", obj("contentType", "text/plain", "title", "no content"))})
	} else {
		bid := m.id("Binary", key)
		m.add(OpUpsert, "Binary", bid, "", "", resource("Binary", bid).set("contentType", ctype).set("data", content))
		d.set("content", []*object{obj("attachment", obj("contentType", ctype, "url", "Binary/"+bid))})
	}
	if m.encID != "" {
		d.set("context", obj("encounter", []*object{m.encounterRef()}))
	}
	m.add(OpUpsert, "DocumentReference", id, "", "", d)
	return nil
}

// documentContent joins the OBX text lines of a document, or takes its
// encapsulated data; it returns base64 and the content type.
func (m *mapper) documentContent() (string, string) {
	var lines []string
	for _, s := range m.all("OBX") {
		if s.f(2) == "ED" {
			if a := m.attachment(s); a != nil {
				return a.get("data").(string), a.get("contentType").(string)
			}
			continue
		}
		if s.f(2) == "HD" || s.f(2) == "RP" {
			continue
		}
		for _, f := range s.repsOf(5) {
			lines = append(lines, s.Get(strconv.Itoa(f.n)+"["+strconv.Itoa(f.rep)+"]"))
		}
	}
	if len(lines) == 0 {
		return "", ""
	}
	return base64.StdEncoding.EncodeToString([]byte(strings.Join(lines, "\n"))), "text/plain; charset=utf-8"
}

// siu maps SIU S12–S17 to an Appointment.
func (m *mapper) siu(event string) error {
	if _, err := m.common(); err != nil {
		return err
	}
	sch, err := m.need("SCH")
	if err != nil {
		return err
	}
	key := sch.f(2)
	if key == "" {
		key = sch.f(1)
	}
	if key == "" {
		return &Error{"SCH-2", ErrMissingField}
	}
	id := m.id("Appointment", key)
	a := resource("Appointment", id)
	a.set("identifier", []*object{obj("system", m.localBase+"/appointment", "value", key)})
	status := map[string]string{"Booked": "booked", "Cancelled": "cancelled", "Complete": "fulfilled",
		"Noshow": "noshow", "Pending": "pending", "Waitlist": "waitlist", "Overbook": "booked",
		"Started": "arrived", "Deleted": "entered-in-error", "Blocked": "booked", "DC": "cancelled"}[sch.f(25)]
	switch event {
	case "S15", "S16":
		status = "cancelled"
	case "S17":
		status = "entered-in-error"
	}
	if status == "" {
		status = "booked"
	}
	a.set("status", status)
	if r := sch.fld(6, 1); status == "cancelled" && (r.c(1) != "" || r.c(2) != "") {
		a.set("cancelationReason", m.cwe(r))
	}
	if t := sch.fld(8, 1); t.c(1) != "" || t.c(2) != "" {
		a.set("appointmentType", m.cwe(t))
	}
	if r := sch.fld(7, 1); r.c(1) != "" || r.c(2) != "" {
		a.set("reasonCode", []*object{m.cwe(r)})
	}
	start, end := sch.get(11, 1, 4, 0), sch.get(11, 1, 5, 0)
	if tq1, ok := m.first("TQ1"); ok && start == "" {
		start, end = tq1.f(7), tq1.f(8)
	}
	if ais, ok := m.first("AIS"); ok && start == "" {
		start = ais.f(4)
	}
	a.set("start", m.instant(start, "SCH-11")).set("end", m.instant(end, "SCH-11"))
	if a.get("start") == nil && status != "cancelled" && status != "entered-in-error" {
		m.warn("SCH-11", "appointment without start time")
	}
	parts := []*object{obj("actor", m.patientRef(), "status", "accepted")}
	for _, s := range m.all("AIP") {
		if r := m.xcn(s.fld(3, 1)); r != nil {
			parts = append(parts, obj("actor", r, "status", "accepted"))
		}
	}
	for _, s := range m.all("AIL") {
		if r := m.pl(s.fld(3, 1)); r != nil {
			parts = append(parts, obj("actor", r, "status", "accepted"))
		}
	}
	a.set("participant", parts)
	if status == "entered-in-error" {
		m.add(OpMarkStatus, "Appointment", id, status, "", a)
	} else {
		m.add(OpUpsert, "Appointment", id, "", "", a)
	}
	return nil
}
