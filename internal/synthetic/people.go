package synthetic

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Person is someone of the population as a hospital's messages name them:
// the identity and demographics the live feeds put in PID.
type Person struct {
	NHSNumber string
	Verified  bool   // NHS number traced and verified (PID-32 01, else 02)
	Trust     string // ODS code of the acute trust that issued MRN
	MRN       string // the trust's local patient identifier
	Family    string
	Given     []string
	Prefix    string
	Female    bool
	BirthDate time.Time
	Line      []string // address lines
	Town      string
	Postcode  string
}

// mrnSystemSuffix ends the identifier system of an acute trust's MRNs:
// https://fhir.<ods>.wyvernvale.example/Id/local-patient-identifier.
const mrnSystemSuffix = "/local-patient-identifier"

// LocalSystem is the base URI of an acute trust's identifier systems in the
// generated population: its MRNs are LocalSystem(ods) +
// "/local-patient-identifier". A feed configured with this base maps the
// MRN of a message to exactly the identifier the generated Patient holds.
func LocalSystem(ods string) string {
	return "https://fhir." + strings.ToLower(ods) + ".wyvernvale.example/Id"
}

// PersonOf reads a Person from a Patient resource as Generate writes it. It
// reports false for anyone a hospital feed would not send about: a Patient
// without an NHS number or an acute trust MRN, and the dead.
func PersonOf(patient []byte) (Person, bool) {
	var r patientRes
	if err := json.Unmarshal(patient, &r); err != nil || r.ResourceType != "Patient" || r.DeceasedDateTime != "" {
		return Person{}, false
	}
	var p Person
	for _, id := range r.Identifier {
		switch {
		case id.System == systemNHSNumber:
			p.NHSNumber = id.Value
			for _, x := range id.Extension {
				if x.URL == urlNHSVerification && x.ValueCodeableConcept != nil {
					for _, c := range x.ValueCodeableConcept.Coding {
						p.Verified = c.Code == "01"
					}
				}
			}
		case strings.HasSuffix(id.System, mrnSystemSuffix) && strings.HasPrefix(id.System, "https://fhir."):
			host := strings.TrimPrefix(strings.TrimSuffix(id.System, "/Id"+mrnSystemSuffix), "https://fhir.")
			ods, _, _ := strings.Cut(host, ".")
			p.Trust, p.MRN = strings.ToUpper(ods), id.Value
		}
	}
	birth, err := time.Parse("2006-01-02", r.BirthDate)
	if p.NHSNumber == "" || p.MRN == "" || len(r.Name) == 0 || err != nil {
		return Person{}, false
	}
	p.BirthDate = birth
	p.Family, p.Given = r.Name[0].Family, r.Name[0].Given
	if len(r.Name[0].Prefix) > 0 {
		p.Prefix = r.Name[0].Prefix[0]
	}
	p.Female = r.Gender == "female"
	if len(r.Address) > 0 {
		a := r.Address[0]
		p.Line, p.Town, p.Postcode = a.Line, a.City, a.PostalCode
	}
	return p, true
}

var errEnough = errors.New("enough people")

// People returns the first n living people of the population opts
// describes (fewer if it has fewer), generating only as far as needed.
func People(opts Options, n int) ([]Person, error) {
	var out []Person
	if n <= 0 {
		return nil, nil
	}
	err := Generate(opts, func(r Resource) error {
		if r.Type != "Patient" {
			return nil
		}
		if p, ok := PersonOf(r.Body); ok {
			out = append(out, p)
		}
		if len(out) == n {
			return errEnough
		}
		return nil
	})
	if err != nil && !errors.Is(err, errEnough) {
		return nil, fmt.Errorf("synthetic: people: %w", err)
	}
	return out, nil
}
