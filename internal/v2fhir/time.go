package v2fhir

import (
	"carerecord/internal/hl7"
)

// parseTime reads an HL7 DTM in the feed's zone; ok is false when s is empty
// or unreadable (unreadable ones are reported as a warning at where).
func (m *mapper) parseTime(s, where string) (hl7.Time, bool) {
	if s == "" {
		return hl7.Time{}, false
	}
	t, err := hl7.ParseTime(s, m.feed.Location)
	if err != nil {
		m.warn(where, "unreadable date/time; dropped")
		return hl7.Time{}, false
	}
	return t, true
}

// dateTime maps a DTM to a FHIR dateTime, keeping its precision: a date alone
// stays a date; a time is given to the second at least, with its offset.
func (m *mapper) dateTime(s, where string) string {
	t, ok := m.parseTime(s, where)
	if !ok {
		return ""
	}
	return fhirDateTime(t)
}

// instant maps a DTM to a FHIR instant (seconds and offset required).
func (m *mapper) instant(s, where string) string {
	t, ok := m.parseTime(s, where)
	if !ok {
		return ""
	}
	if t.Precision < hl7.PrecisionSecond {
		t.Precision = hl7.PrecisionSecond
	}
	return fhirDateTime(t)
}

// date maps a DTM to a FHIR date (birth dates).
func (m *mapper) date(s, where string) string {
	t, ok := m.parseTime(s, where)
	if !ok {
		return ""
	}
	if t.Precision > hl7.PrecisionDay {
		t.Precision = hl7.PrecisionDay
	}
	return fhirDateTime(t)
}

func fhirDateTime(t hl7.Time) string {
	layout := "2006-01-02T15:04:05Z07:00"
	switch t.Precision {
	case hl7.PrecisionYear:
		layout = "2006"
	case hl7.PrecisionMonth:
		layout = "2006-01"
	case hl7.PrecisionDay:
		layout = "2006-01-02"
	case hl7.PrecisionTenth:
		layout = "2006-01-02T15:04:05.0Z07:00"
	case hl7.PrecisionHundredth:
		layout = "2006-01-02T15:04:05.00Z07:00"
	case hl7.PrecisionMilli:
		layout = "2006-01-02T15:04:05.000Z07:00"
	case hl7.PrecisionTenThousandth:
		layout = "2006-01-02T15:04:05.0000Z07:00"
	}
	return t.Format(layout)
}
