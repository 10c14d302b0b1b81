package bench

import (
	"encoding/json"
	"strings"
	"testing"
)

type observation struct {
	ResourceType string `json:"resourceType"`
	ID           string `json:"id"`
	Identifier   []struct {
		System, Value string
	} `json:"identifier"`
	Status  string `json:"status"`
	Subject struct {
		Reference string `json:"reference"`
	} `json:"subject"`
	Component []struct {
		ValueQuantity struct {
			Value float64 `json:"value"`
			Code  string  `json:"code"`
		} `json:"valueQuantity"`
	} `json:"component"`
}

func TestObservationIsAboutOneKilobyteOfValidJSON(t *testing.T) {
	g := newObservationGen(42, "run-1")
	seen := map[string]bool{}
	for i := range 200 {
		body := g.next("")
		if len(body) < 900 || len(body) > 1200 {
			t.Fatalf("Observation %d is %d bytes, want about 1 KB", i, len(body))
		}
		var o observation
		if err := json.Unmarshal(body, &o); err != nil {
			t.Fatalf("Observation %d is not JSON: %v\n%s", i, err, body)
		}
		if o.ResourceType != "Observation" || o.Status != "final" || o.ID != "" {
			t.Fatalf("Observation %d: resourceType %q status %q id %q", i, o.ResourceType, o.Status, o.ID)
		}
		if !strings.HasPrefix(o.Subject.Reference, "Patient/bench-patient-") {
			t.Fatalf("subject %q, want a synthetic Patient reference", o.Subject.Reference)
		}
		if len(o.Component) != 2 || o.Component[0].ValueQuantity.Code != "mm[Hg]" || o.Component[1].ValueQuantity.Value <= 0 {
			t.Fatalf("components %+v, want systolic and diastolic", o.Component)
		}
		if len(o.Identifier) != 1 || seen[o.Identifier[0].Value] {
			t.Fatalf("identifier %+v is missing or repeated", o.Identifier)
		}
		seen[o.Identifier[0].Value] = true
	}
}

func TestBulkBundle(t *testing.T) {
	b := Bulk{Prefix: "bulkx", N: 25}
	body := b.bundle(newObservationGen(1, "w0"), 10, 15)
	var bundle struct {
		ResourceType, Type string
		Entry              []struct {
			Resource observation `json:"resource"`
			Request  struct {
				Method, URL string
			} `json:"request"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(body, &bundle); err != nil {
		t.Fatalf("bundle is not JSON: %v", err)
	}
	if bundle.ResourceType != "Bundle" || bundle.Type != "transaction" || len(bundle.Entry) != 5 {
		t.Fatalf("got %s/%s with %d entries, want a transaction of 5", bundle.ResourceType, bundle.Type, len(bundle.Entry))
	}
	for i, e := range bundle.Entry {
		id := b.id(10 + i)
		if e.Resource.ID != id || e.Request.Method != "PUT" || e.Request.URL != "Observation/"+id {
			t.Errorf("entry %d: id %q, %s %s; want PUT Observation/%s", i, e.Resource.ID, e.Request.Method, e.Request.URL, id)
		}
	}
}
