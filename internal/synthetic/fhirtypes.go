package synthetic

// The small subset of FHIR R4 datatypes the generator writes. Field order is
// JSON order; every optional element is omitempty so absent data is absent,
// never null or empty.

type coding struct {
	System  string `json:"system,omitempty"`
	Code    string `json:"code,omitempty"`
	Display string `json:"display,omitempty"`
}

type concept struct {
	Coding []coding `json:"coding,omitempty"`
	Text   string   `json:"text,omitempty"`
}

type reference struct {
	Reference string `json:"reference,omitempty"`
	Display   string `json:"display,omitempty"`
}

type period struct {
	Start string `json:"start,omitempty"`
	End   string `json:"end,omitempty"`
}

type quantity struct {
	Value      float64 `json:"value"`
	Comparator string  `json:"comparator,omitempty"`
	Unit       string  `json:"unit,omitempty"`
	System     string  `json:"system,omitempty"`
	Code       string  `json:"code,omitempty"`
}

type extension struct {
	URL                  string   `json:"url"`
	ValueCodeableConcept *concept `json:"valueCodeableConcept,omitempty"`
}

type identifier struct {
	Extension []extension `json:"extension,omitempty"`
	Use       string      `json:"use,omitempty"`
	Type      *concept    `json:"type,omitempty"`
	System    string      `json:"system,omitempty"`
	Value     string      `json:"value,omitempty"`
	Assigner  *reference  `json:"assigner,omitempty"`
}

type humanName struct {
	Use    string   `json:"use,omitempty"`
	Text   string   `json:"text,omitempty"`
	Family string   `json:"family,omitempty"`
	Given  []string `json:"given,omitempty"`
	Prefix []string `json:"prefix,omitempty"`
}

type contactPoint struct {
	System string `json:"system,omitempty"`
	Value  string `json:"value,omitempty"`
	Use    string `json:"use,omitempty"`
	Rank   int    `json:"rank,omitzero"`
}

type address struct {
	Use        string   `json:"use,omitempty"`
	Type       string   `json:"type,omitempty"`
	Text       string   `json:"text,omitempty"`
	Line       []string `json:"line,omitempty"`
	City       string   `json:"city,omitempty"`
	District   string   `json:"district,omitempty"`
	PostalCode string   `json:"postalCode,omitempty"`
	Country    string   `json:"country,omitempty"`
}

type annotation struct {
	AuthorReference *reference `json:"authorReference,omitempty"`
	Time            string     `json:"time,omitempty"`
	Text            string     `json:"text"`
}

type attachment struct {
	ContentType string `json:"contentType,omitempty"`
	Language    string `json:"language,omitempty"`
	Data        string `json:"data,omitempty"`
	Title       string `json:"title,omitempty"`
	Creation    string `json:"creation,omitempty"`
}

// ucum builds a Quantity in UCUM units, where unit and code are the same.
func ucum(v float64, unit string) *quantity {
	return &quantity{Value: v, Unit: unit, System: systemUCUM, Code: unit}
}

func sct(code, display string) coding {
	return coding{System: systemSNOMED, Code: code, Display: display}
}

func loinc(code, display string) coding {
	return coding{System: systemLOINC, Code: code, Display: display}
}

func cc(c ...coding) *concept { return &concept{Coding: c} }

func ccText(text string, c ...coding) *concept { return &concept{Coding: c, Text: text} }

func ref(typ, id string) *reference { return &reference{Reference: typ + "/" + id} }

func refD(typ, id, display string) *reference {
	return &reference{Reference: typ + "/" + id, Display: display}
}
