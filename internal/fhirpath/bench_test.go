package fhirpath

import (
	"bytes"
	"carerecord/internal/shareddata"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// syntheaResource returns the first resource of a type from a Synthea
// bundle under ../shared/testdata/synthea, skipping when it is absent.
func syntheaResource(b *testing.B, resourceType string) []byte {
	b.Helper()
	dir := shareddata.Path("testdata", "fhirpath")
	if dir == "" {
		b.Skip("Synthea bundles not found under ../shared/testdata/synthea")
	}
	files, _ := filepath.Glob(filepath.Join(dir, "..", "synthea", "bundles", "*.json.gz"))
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			b.Fatal(err)
		}
		data, err := io.ReadAll(zr)
		if err != nil {
			b.Fatal(err)
		}
		var bundle struct {
			Entry []struct {
				Resource json.RawMessage `json:"resource"`
			} `json:"entry"`
		}
		if err := json.Unmarshal(data, &bundle); err != nil {
			b.Fatal(err)
		}
		for _, e := range bundle.Entry {
			var head struct{ ResourceType string }
			if json.Unmarshal(e.Resource, &head) == nil && head.ResourceType == resourceType {
				return e.Resource
			}
		}
	}
	b.Skipf("no %s in the Synthea bundles", resourceType)
	return nil
}

func BenchmarkCompile(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compile("Patient.name.where(use='official').family | Patient.telecom.where(system='phone').value"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEvaluate measures typical search-parameter paths on a decoded
// Synthea resource (decoding once, as extraction of many parameters does).
func BenchmarkEvaluate(b *testing.B) {
	for _, bc := range []struct{ name, resourceType, expr string }{
		{"ObservationCodeCoding", "Observation", "Observation.code.coding"},
		{"ObservationValueQuantity", "Observation", "(Observation.value as Quantity).value"},
		{"PatientOfficialFamily", "Patient", "Patient.name.where(use='official').family"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			res, err := Decode(syntheaResource(b, bc.resourceType))
			if err != nil {
				b.Fatal(err)
			}
			e := MustCompile(bc.expr)
			ctx := Collection{res}
			b.ReportAllocs()
			for b.Loop() {
				out, err := e.EvaluateValue(ctx, nil)
				if err != nil || len(out) == 0 {
					b.Fatalf("%v %v", out, err)
				}
			}
		})
	}
}

// BenchmarkEvaluateJSON includes decoding the resource each time.
func BenchmarkEvaluateJSON(b *testing.B) {
	data := syntheaResource(b, "Patient")
	e := MustCompile("Patient.name.where(use='official').family")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Evaluate(data, nil); err != nil {
			b.Fatal(err)
		}
	}
}
