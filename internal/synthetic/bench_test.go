package synthetic

import (
	"testing"
)

// BenchmarkGenerate measures generating 100 patients (plus the shared
// world). go test -bench Generate -run ^$ ./internal/synthetic
func BenchmarkGenerate(b *testing.B) {
	b.ReportAllocs()
	resources, bytes := 0, 0
	for b.Loop() {
		resources, bytes = 0, 0
		err := Generate(Options{Seed: 1, Patients: 100, Now: testNow}, func(r Resource) error {
			resources++
			bytes += len(r.Body)
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(resources), "resources/op")
	b.ReportMetric(float64(bytes)/1e6, "MB/op")
}
