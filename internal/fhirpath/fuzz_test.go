package fhirpath

import (
	"carerecord/internal/shareddata"
	"os"
	"path/filepath"
	"testing"
)

// FuzzCompile checks that the parser never panics, and that whatever
// compiles also evaluates without panicking against a small resource. The
// corpus is seeded from the official suite's expressions when present.
func FuzzCompile(f *testing.F) {
	for _, s := range []string{
		"Patient.name.where(use = 'official').given.first()",
		"(1 | 2 | 3).aggregate($this + $total, 0)",
		"@2014-01-01T08:05+08:00.lowBoundary(17) < now()",
		"%`vs-administrative-gender` = 'x'",
		"4.0000 'g' = 4000.0 'mg' and 7 days = 1 week",
		"'a\\u0065\\'' ~ 'AE''",
		"/* c */ -1.convertsToInteger() // end",
		"Observation.value.ofType(Quantity).value > 1.5",
	} {
		f.Add(s)
	}
	if dir := shareddata.Path("testdata", "fhirpath"); dir != "" {
		if data, err := os.ReadFile(filepath.Join(dir, "r4", "tests-fhir-r4.xml")); err == nil {
			if s, err := parseSuite(data); err == nil {
				for _, g := range s.Groups {
					for _, tc := range g.Tests {
						f.Add(tc.Expression.Text)
					}
				}
			}
		}
	}
	resource := []byte(patientJSON)
	f.Fuzz(func(t *testing.T, expr string) {
		e, err := Compile(expr)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("Compile(%q) returned %T, not *Error", expr, err)
			}
			return
		}
		_, _ = e.Evaluate(resource, &Options{})
	})
}
