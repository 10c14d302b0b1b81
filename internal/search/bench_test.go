package search

import (
	"testing"
)

func benchmarkExtract(b *testing.B, typ string) {
	var body []byte
	for _, r := range synthea(b) {
		if r.typ == typ {
			body = r.body
			break
		}
	}
	reg := NewRegistry(FHIRPath)
	if _, err := reg.Extract(typ, body); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := reg.Extract(typ, body); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "resources/s")
}

func BenchmarkExtractObservation(b *testing.B) { benchmarkExtract(b, "Observation") }
func BenchmarkExtractPatient(b *testing.B)     { benchmarkExtract(b, "Patient") }
