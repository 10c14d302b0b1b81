// Package fhir owns the FHIR R4 model as the rest of carerecord sees it:
// resource JSON as bytes, the R4 definitions (generated from the official
// StructureDefinitions), validation on write, OperationOutcome, and small
// byte-level helpers (peek at type and id, set meta, walk references).
//
// It is layer 0: pure, no I/O beyond bytes, fuzzable. Anyone may import it.
package fhir

import (
	"encoding/json"
	"strings"
)

// NHSNumberSystem is the UK Core identifier system of the NHS number.
const NHSNumberSystem = "https://fhir.nhs.uk/Id/nhs-number"

// Issue is one OperationOutcome.issue.
type Issue struct {
	Severity    string   `json:"severity"` // fatal | error | warning | information
	Code        string   `json:"code"`     // IssueType: invalid, structure, required, value, not-found, conflict, too-long, ...
	Diagnostics string   `json:"diagnostics,omitempty"`
	Expression  []string `json:"expression,omitempty"` // FHIRPath of the problem, e.g. "Patient.identifier[0].value"
}

// Error is a client error that carries OperationOutcome issues. Validation
// returns it; the API turns it into a 4xx OperationOutcome.
type Error struct {
	Issues []Issue
}

func (e *Error) Error() string {
	parts := make([]string, 0, len(e.Issues))
	for _, is := range e.Issues {
		s := is.Diagnostics
		if len(is.Expression) > 0 {
			s = strings.Join(is.Expression, ",") + ": " + s
		}
		parts = append(parts, s)
	}
	return "fhir: " + strings.Join(parts, "; ")
}

// Errorf is a one-issue Error with severity "error".
func Errorf(code, expression, diagnostics string) *Error {
	is := Issue{Severity: "error", Code: code, Diagnostics: diagnostics}
	if expression != "" {
		is.Expression = []string{expression}
	}
	return &Error{Issues: []Issue{is}}
}

// Outcome renders an OperationOutcome resource.
func Outcome(issues ...Issue) []byte {
	if len(issues) == 0 {
		issues = []Issue{{Severity: "information", Code: "informational", Diagnostics: "ok"}}
	}
	b, _ := json.Marshal(struct {
		ResourceType string  `json:"resourceType"`
		Issue        []Issue `json:"issue"`
	}{"OperationOutcome", issues})
	return b
}
