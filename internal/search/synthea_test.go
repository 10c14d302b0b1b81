package search

import (
	"bytes"
	"carerecord/internal/shareddata"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

type syntheaResource struct {
	typ  string
	body []byte
}

// loadSynthea reads the entry resources of every Synthea bundle.
var loadSynthea = sync.OnceValues(func() ([]syntheaResource, error) {
	files, _ := filepath.Glob(filepath.Join(shareddata.Path("testdata", "synthea", "bundles"), "*.json.gz"))
	var out []syntheaResource
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return nil, err
		}
		body, err := io.ReadAll(zr)
		if err != nil {
			return nil, err
		}
		var b struct {
			Entry []struct {
				Resource json.RawMessage `json:"resource"`
			} `json:"entry"`
		}
		if err := json.Unmarshal(body, &b); err != nil {
			return nil, err
		}
		for _, e := range b.Entry {
			var h struct {
				ResourceType string `json:"resourceType"`
			}
			if err := json.Unmarshal(e.Resource, &h); err != nil {
				return nil, err
			}
			out = append(out, syntheaResource{h.ResourceType, e.Resource})
		}
	}
	return out, nil
})

func synthea(t testing.TB) []syntheaResource {
	t.Helper()
	rs, err := loadSynthea()
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) == 0 {
		t.Skip("no Synthea bundles in ../shared/testdata/synthea/bundles")
	}
	return rs
}

// TestExtractSynthea extracts every resource of the Synthea bundles with
// the real FHIRPath engine and spot-checks the rows.
func TestExtractSynthea(t *testing.T) {
	rs := synthea(t)
	reg := NewRegistry(FHIRPath)
	var total Index
	skipped := map[string]int{}
	start := time.Now()
	checked := 0
	for _, r := range rs {
		x, err := reg.Extract(r.typ, r.body)
		if err != nil {
			t.Fatalf("%s: %v", r.typ, err)
		}
		for _, s := range x.Skipped {
			skipped[r.typ+"."+s]++
		}
		total.append(x)
		total.Composites = append(total.Composites, x.Composites...)
		if r.typ == "Observation" && checked < 50 {
			checked++
			checkObservation(t, r.body, x)
		}
	}
	elapsed := time.Since(start)
	t.Logf("%d resources in %v (%.0f resources/s): strings %d, tokens %d, dates %d, references %d, quantities %d, numbers %d, uris %d, composites %d",
		len(rs), elapsed.Round(time.Millisecond), float64(len(rs))/elapsed.Seconds(),
		len(total.Strings), len(total.Tokens), len(total.Dates), len(total.References),
		len(total.Quantities), len(total.Numbers), len(total.URIs), len(total.Composites))
	keys := make([]string, 0, len(skipped))
	for k := range skipped {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		t.Logf("skipped (evaluation failed): %s on %d resources", k, skipped[k])
	}
}

// checkObservation checks an Observation's code, subject and date rows
// against its JSON.
func checkObservation(t *testing.T, body []byte, x *Index) {
	t.Helper()
	var o struct {
		Code struct {
			Coding []struct{ System, Code string }
		}
		Subject           struct{ Reference string }
		EffectiveDateTime string
	}
	if err := json.Unmarshal(body, &o); err != nil {
		t.Fatal(err)
	}
	for _, c := range o.Code.Coding {
		if !slices.ContainsFunc(x.Tokens, func(r TokenRow) bool {
			return r.Param == "code" && r.System == c.System && r.Code == c.Code
		}) {
			t.Errorf("Observation code %s|%s not in tokens", c.System, c.Code)
		}
	}
	if strings.HasPrefix(o.Subject.Reference, "urn:uuid:") && !slices.ContainsFunc(x.References, func(r ReferenceRow) bool {
		return r.Param == "subject" && r.URL == o.Subject.Reference
	}) {
		t.Errorf("Observation subject %s not in references", o.Subject.Reference)
	}
	if o.EffectiveDateTime != "" {
		want, err := ParseDate(o.EffectiveDateTime)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(x.Dates, func(r DateRow) bool { return r.Param == "date" && r.DateRange == want }) {
			t.Errorf("Observation date %s not in dates %v", o.EffectiveDateTime, x.Dates)
		}
	}
	if !slices.Contains(x.Present, "code") || !slices.Contains(x.Present, "subject") || slices.Contains(x.Present, "patient") {
		t.Errorf("Present = %v", x.Present)
	}
}
