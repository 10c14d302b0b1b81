package search

import (
	"testing"

	"carerecord/internal/fhir"
)

func TestCompileAll(t *testing.T) {
	reg := NewRegistry(FHIRPath)
	skipped := reg.Check(fhir.ResourceTypes())
	for _, s := range skipped {
		t.Logf("does not compile: %s.%s %q: %v", s.ResourceType, s.Code, s.Expression, s.Err)
	}
	t.Logf("%d of the parameters of %d resource types do not compile with internal/fhirpath", len(skipped), len(fhir.ResourceTypes()))
}
