package v2fhir

import "strings"

// orderKey is an order's key: ORC-2 placer, else ORC-3 filler.
func orderKey(orc seg) string {
	if k := orc.f(2); k != "" {
		return k
	}
	return orc.f(3)
}

// dose is a Quantity from an amount field and a units CE.
func (m *mapper) dose(s seg, amount, units int) *object {
	v := s.f(amount)
	if !isDecimal(v) {
		return nil
	}
	u := s.fld(units, 1)
	unit := u.c(2)
	if unit == "" {
		unit = u.c(1)
	}
	return obj("value", number(v), "unit", unit)
}

// orders yields each ORC with the first segment named name after it.
func (m *mapper) orders(name string) [][2]seg {
	var out [][2]seg
	var orc seg
	for _, s := range m.segs {
		switch s.Name() {
		case "ORC":
			orc = s
		case name:
			out = append(out, [2]seg{orc, s})
		}
	}
	return out
}

// route is RXR-1 of the first RXR after segment s.
func (m *mapper) route(after seg) *object {
	for _, s := range m.segs {
		if s.Index() > after.Index() && s.Name() == "RXR" {
			return m.cwe(s.fld(1, 1))
		}
		if s.Index() > after.Index() && (s.Name() == "ORC" || s.Name() == after.Name()) {
			break
		}
	}
	return nil
}

// pharmacyOrders checks the segments every pharmacy message needs (MSH,
// EVN or MSH-7, PID, and at least one name segment) and returns each ORC
// with its name segment.
func (m *mapper) pharmacyOrders(name string) ([][2]seg, error) {
	if _, err := m.common(); err != nil {
		return nil, err
	}
	if _, err := m.need(name); err != nil {
		return nil, err
	}
	return m.orders(name), nil
}

// orderKeyOr is the order's key: ORC-2 (or ORC-3, see orderKey), else
// field fallback of s when fallback > 0; a missing key is an error at
// ORC-2.
func orderKeyOr(orc, s seg, fallback int) (string, error) {
	key := orderKey(orc)
	if key == "" && fallback > 0 {
		key = s.f(fallback)
	}
	if key == "" {
		return "", &Error{"ORC-2", ErrMissingField}
	}
	return key, nil
}

// rde maps RDE^O11 to MedicationRequests.
func (m *mapper) rde() error {
	ps, err := m.pharmacyOrders("RXE")
	if err != nil {
		return err
	}
	for _, p := range ps {
		orc, rxe := p[0], p[1]
		key, err := orderKeyOr(orc, rxe, 15)
		if err != nil {
			return err
		}
		id := m.id("MedicationRequest", key)
		r := resource("MedicationRequest", id)
		status := map[string]string{"CA": "cancelled", "DC": "stopped", "HD": "on-hold", "CM": "completed",
			"IP": "active", "SC": "active", "A": "active"}[orc.f(5)]
		switch orc.f(1) {
		case "CA", "OC", "CR":
			status = "cancelled"
		case "DC", "OD", "DR":
			status = "stopped"
		case "HD", "OH":
			status = "on-hold"
		}
		if status == "" {
			status = "active"
		}
		r.set("identifier", []*object{obj("system", m.localBase+"/placer-order", "value", key)})
		r.set("status", status).set("intent", "order")
		med := m.cwe(rxe.fld(2, 1))
		if med.empty() {
			return &Error{rxe.loc(2, 0), ErrMissingField}
		}
		r.set("medicationCodeableConcept", med).set("subject", m.patientRef()).set("encounter", m.encounterRef())
		r.set("authoredOn", m.dateTime(orc.f(9), orc.loc(9, 0)))
		r.set("requester", m.xcn(orc.fld(12, 1)))
		var text []string
		for _, f := range rxe.repsOf(7) {
			if t := f.c(2); t != "" {
				text = append(text, t)
			} else if t := f.c(1); t != "" {
				text = append(text, t)
			}
		}
		di := obj("text", strings.Join(text, "\n"), "route", m.route(rxe))
		if d := m.dose(rxe, 3, 5); d != nil {
			di.set("doseAndRate", []*object{obj("doseQuantity", d)})
		}
		r.set("dosageInstruction", []*object{di})
		if q := m.dose(rxe, 10, 11); q != nil {
			r.set("dispenseRequest", obj("quantity", q))
		}
		m.add(OpUpsert, "MedicationRequest", id, "", "", r)
	}
	return nil
}

// rds maps RDS^O13 to MedicationDispenses.
func (m *mapper) rds() error {
	ps, err := m.pharmacyOrders("RXD")
	if err != nil {
		return err
	}
	for _, p := range ps {
		orc, rxd := p[0], p[1]
		key, err := orderKeyOr(orc, rxd, 7)
		if err != nil {
			return err
		}
		id := m.id("MedicationDispense", key, rxd.f(1))
		d := resource("MedicationDispense", id).set("status", "completed")
		med := m.cwe(rxd.fld(2, 1))
		if med.empty() {
			return &Error{rxd.loc(2, 0), ErrMissingField}
		}
		d.set("medicationCodeableConcept", med).set("subject", m.patientRef())
		if orderKey(orc) != "" {
			d.set("authorizingPrescription", []*object{ref("MedicationRequest", m.id("MedicationRequest", orderKey(orc)))})
		}
		d.set("quantity", m.dose(rxd, 4, 5))
		d.set("whenHandedOver", m.dateTime(rxd.f(3), rxd.loc(3, 0)))
		m.add(OpUpsert, "MedicationDispense", id, "", "", d)
	}
	return nil
}

// administered maps RXA-20 (table 0322) to an event status.
func administered(code string) string {
	switch code {
	case "RE", "NA":
		return "not-done"
	case "PA", "CP", "":
		return "completed"
	}
	return "unknown"
}

// ras maps RAS^O17 to MedicationAdministrations.
func (m *mapper) ras() error {
	ps, err := m.pharmacyOrders("RXA")
	if err != nil {
		return err
	}
	for _, p := range ps {
		orc, rxa := p[0], p[1]
		key, err := orderKeyOr(orc, rxa, 0)
		if err != nil {
			return err
		}
		id := m.id("MedicationAdministration", key, rxa.f(1), rxa.f(2))
		a := resource("MedicationAdministration", id).set("status", administered(rxa.f(20)))
		med := m.cwe(rxa.fld(5, 1))
		if med.empty() {
			return &Error{rxa.loc(5, 0), ErrMissingField}
		}
		a.set("medicationCodeableConcept", med).set("subject", m.patientRef()).set("context", m.encounterRef())
		start := m.dateTime(rxa.f(3), rxa.loc(3, 0))
		if start == "" {
			return &Error{rxa.loc(3, 0), ErrMissingField}
		}
		if end := m.dateTime(rxa.f(4), rxa.loc(4, 0)); end != "" && end != start {
			a.set("effectivePeriod", obj("start", start, "end", end))
		} else {
			a.set("effectiveDateTime", start)
		}
		a.set("request", ref("MedicationRequest", m.id("MedicationRequest", key)))
		a.set("dosage", obj("route", m.route(rxa), "dose", m.dose(rxa, 6, 7)))
		m.add(OpUpsert, "MedicationAdministration", id, "", "", a)
	}
	return nil
}

// vxu maps VXU^V04 to Immunizations.
func (m *mapper) vxu() error {
	ps, err := m.pharmacyOrders("RXA")
	if err != nil {
		return err
	}
	for _, p := range ps {
		orc, rxa := p[0], p[1]
		vaccine := m.cwe(rxa.fld(5, 1))
		if vaccine.empty() {
			return &Error{rxa.loc(5, 0), ErrMissingField}
		}
		when := m.dateTime(rxa.f(3), rxa.loc(3, 0))
		if when == "" {
			return &Error{rxa.loc(3, 0), ErrMissingField}
		}
		key := orc.f(3)
		if key == "" {
			key = rxa.get(5, 1, 1, 0) + "^" + rxa.f(3)
		}
		id := m.id("Immunization", m.patientID, key)
		im := resource("Immunization", id)
		status := "completed"
		if administered(rxa.f(20)) == "not-done" {
			status = "not-done"
		}
		if rxa.f(21) == "D" {
			status = "entered-in-error"
		}
		im.set("status", status).set("vaccineCode", vaccine).set("patient", m.patientRef())
		im.set("encounter", m.encounterRef()).set("occurrenceDateTime", when)
		im.set("primarySource", rxa.f(9) == "00" || rxa.f(9) == "")
		im.set("lotNumber", rxa.f(15))
		im.set("route", m.route(rxa))
		im.set("doseQuantity", m.dose(rxa, 6, 7))
		if status == "entered-in-error" {
			m.add(OpMarkStatus, "Immunization", id, status, "", im)
		} else {
			m.add(OpUpsert, "Immunization", id, "", "", im)
		}
	}
	return nil
}
