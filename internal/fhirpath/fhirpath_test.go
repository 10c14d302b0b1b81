package fhirpath

import (
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

const patientJSON = `{"resourceType":"Patient","id":"p1",
 "identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000009"}],
 "name":[{"use":"official","family":"Smith","given":["Jane","Ann"]},{"use":"nickname","given":["Janey"]}],
 "birthDate":"1980-02-29","deceasedBoolean":false,
 "contained":[{"resourceType":"Organization","id":"gp","name":"The Surgery"}],
 "generalPractitioner":[{"reference":"#gp"}]}`

const observationJSON = `{"resourceType":"Observation","id":"o1","status":"final",
 "code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},
 "subject":{"reference":"Patient/p1"},
 "effectiveDateTime":"2024-03-01T10:00:00Z",
 "valueQuantity":{"value":72.50,"unit":"beats/min","system":"http://unitsofmeasure.org","code":"/min"}}`

func eval(t *testing.T, expr, resource string, opts *Options) Collection {
	t.Helper()
	e, err := Compile(expr)
	if err != nil {
		t.Fatalf("Compile(%q): %v", expr, err)
	}
	got, err := e.Evaluate([]byte(resource), opts)
	if err != nil {
		t.Fatalf("Evaluate(%q): %v", expr, err)
	}
	return got
}

func jsonOf(t *testing.T, c Collection) string {
	t.Helper()
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestEvaluate(t *testing.T) {
	tests := []struct {
		name, expr, resource, want string
	}{
		{"search path", "Patient.name.where(use='official').family", patientJSON, `["Smith"]`},
		{"given names", "Patient.name.given", patientJSON, `["Jane","Ann","Janey"]`},
		{"identifier", "Patient.identifier.where(system=%nhs).value", patientJSON, `["9000000009"]`},
		{"choice element", "Patient.deceased", patientJSON, `[false]`},
		{"choice type", "Patient.deceased is boolean", patientJSON, `[true]`},
		{"polymorphic value keeps precision", "Observation.value.value", observationJSON, `[72.50]`},
		{"ofType", "Observation.value.ofType(Quantity).code", observationJSON, `["/min"]`},
		{"as Quantity compares with UCUM", "(Observation.value as Quantity) > 1 '/s'", observationJSON, `[true]`},
		{"date arithmetic", "Patient.birthDate + 1 year", patientJSON, `["1981-02-28"]`},
		{"dateTime to UTC order", "Observation.effective > @2024-03-01T10:30:00+01:00", observationJSON, `[true]`},
		{"partial precision is unknown", "Patient.birthDate = @1980-02", patientJSON, `[]`},
		{"resolve contained", "Patient.generalPractitioner.resolve().name", patientJSON, `["The Surgery"]`},
		{"exact decimals", "0.1 + 0.2 = 0.3", "", `[true]`},
		{"division precision", "1 / 3", "", `[0.33333333]`},
		{"quantity literal", "4 'g' + 10 'mg'", "", `[{"code":"g","system":"http://unitsofmeasure.org","unit":"g","value":4.01}]`},
		{"type()", "Patient.name.type().name", patientJSON, `["HumanName","HumanName"]`},
		{"no resource", "today() > @2000-01-01", "", `[true]`},
	}
	vars := map[string]Collection{"nhs": {String("https://fhir.nhs.uk/Id/nhs-number")}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := jsonOf(t, eval(t, tt.expr, tt.resource, &Options{Variables: vars}))
			if got != tt.want {
				t.Errorf("%s = %s, want %s", tt.expr, got, tt.want)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		expr      string
		kind      error
		line, col int
		msg       string
	}{
		{"Patient.name.", ErrSyntax, 1, 14, "expected a name"},
		{"Patient.name\n  .where(use = 'x'", ErrSyntax, 2, 19, "expected ')'"},
		{"'unterminated", ErrSyntax, 1, 1, "unterminated"},
		{"Patient.frobnicate()", ErrSemantic, 1, 9, "unknown function frobnicate()"},
		{"Patient.name.where()", ErrSemantic, 1, 14, "where() takes 1 argument"},
		{"Patient.name.ofType(Nonsense)", ErrSemantic, 1, 14, "unknown type Nonsense"},
		{"Patient.name.given + 1", ErrExecution, 1, 20, "needs a single item"},
		{"Patient.name.single()", ErrExecution, 1, 14, "2 items"},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			e, err := Compile(tt.expr)
			if err == nil {
				_, err = e.Evaluate([]byte(patientJSON), nil)
			}
			var fe *Error
			if !errors.As(err, &fe) || !errors.Is(err, tt.kind) {
				t.Fatalf("got %v, want a %v", err, tt.kind)
			}
			if fe.Line != tt.line || fe.Col != tt.col || !strings.Contains(fe.Msg, tt.msg) {
				t.Errorf("got %d:%d %q, want %d:%d containing %q", fe.Line, fe.Col, fe.Msg, tt.line, tt.col, tt.msg)
			}
		})
	}
}

func TestHooks(t *testing.T) {
	var traced []string
	opts := &Options{
		Now:   time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC),
		Trace: func(name string, items Collection) { traced = append(traced, name) },
		Resolve: func(ref string) (map[string]any, error) {
			if ref == "Patient/p1" {
				return map[string]any{"resourceType": "Patient", "id": "p1", "gender": "female"}, nil
			}
			return nil, nil
		},
		MemberOf: func(item Value, vs string) (bool, error) { return vs == "http://example.org/vs", nil },
	}
	if got := jsonOf(t, eval(t, "Observation.subject.resolve().gender", observationJSON, opts)); got != `["female"]` {
		t.Errorf("resolve hook: %s", got)
	}
	if got := jsonOf(t, eval(t, "today()", "", opts)); got != `["2024-05-06"]` {
		t.Errorf("today(): %s", got)
	}
	if got := jsonOf(t, eval(t, "Observation.code.coding.code.memberOf('http://example.org/vs')", observationJSON, opts)); got != `[true]` {
		t.Errorf("memberOf hook: %s", got)
	}
	eval(t, "Observation.status.trace('status')", observationJSON, opts)
	if len(traced) != 1 || traced[0] != "status" {
		t.Errorf("trace: %v", traced)
	}
	e := MustCompile("Observation.code.coding.code.memberOf('http://example.org/vs')")
	if _, err := e.Evaluate([]byte(observationJSON), nil); !errors.Is(err, ErrExecution) {
		t.Errorf("memberOf without a hook: %v", err)
	}
}

func TestBundleResolve(t *testing.T) {
	bundle := `{"resourceType":"Bundle","type":"collection","entry":[
	 {"fullUrl":"urn:uuid:1","resource":` + patientJSON + `},
	 {"fullUrl":"urn:uuid:2","resource":{"resourceType":"Observation","subject":{"reference":"urn:uuid:1"}}}]}`
	got := jsonOf(t, eval(t, "Bundle.entry.resource.ofType(Observation).subject.resolve().id", bundle, nil))
	if got != `["p1"]` {
		t.Errorf("got %s", got)
	}
}

func TestStrict(t *testing.T) {
	e := MustCompile("Patient.nmae.given")
	if got, err := e.Evaluate([]byte(patientJSON), nil); err != nil || len(got) != 0 {
		t.Errorf("lenient: %v %v", got, err)
	}
	if _, err := e.Evaluate([]byte(patientJSON), &Options{Strict: true}); !errors.Is(err, ErrSemantic) {
		t.Errorf("strict: %v", err)
	}
}

// TestConcurrent evaluates one compiled expression from many goroutines (run with -race).
func TestConcurrent(t *testing.T) {
	e := MustCompile("Patient.name.where(use='official').given.first() & ' ' & Patient.name.family.first()")
	res, err := Decode([]byte(patientJSON))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 50 {
				got, err := e.EvaluateValue(Collection{res}, nil)
				if err != nil || len(got) != 1 || got[0].Str() != "Jane Smith" {
					t.Errorf("got %v, %v", got, err)
					return
				}
			}
		})
	}
	wg.Wait()
}
