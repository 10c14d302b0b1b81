package fhir

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Bad cases live in testdata/bad as NAME.json with NAME.issues beside it:
// one line per expected issue, "code<TAB>expression" ("-" for none), in
// the order Validate reports them.

func TestValidateGood(t *testing.T) {
	files, err := filepath.Glob("testdata/good/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no good cases: %v", err)
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".json"), func(t *testing.T) {
			body := readFile(t, f)
			h, err := Validate(body)
			if err != nil {
				t.Fatalf("Validate: %v", err)
			}
			var m struct {
				ResourceType string `json:"resourceType"`
				ID           string `json:"id"`
			}
			if err := json.Unmarshal(body, &m); err != nil {
				t.Fatal(err)
			}
			if h != (Header{m.ResourceType, m.ID}) {
				t.Errorf("Header = %+v, want %+v", h, m)
			}
		})
	}
}

func TestValidateBad(t *testing.T) {
	files, err := filepath.Glob("testdata/bad/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no bad cases: %v", err)
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".json"), func(t *testing.T) {
			body := readFile(t, f)
			want := readIssues(t, strings.TrimSuffix(f, ".json")+".issues")
			_, err := Validate(body)
			got := issueLines(t, err)
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("issues:\n got %q\nwant %q\n(%v)", got, want, err)
			}
			assertNoValuesInDiagnostics(t, body, err)
		})
	}
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readIssues(t *testing.T, path string) []string {
	t.Helper()
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(string(readFile(t, path))), "\n") {
		code, expr, ok := strings.Cut(l, "\t")
		if !ok {
			t.Fatalf("%s: bad line %q", path, l)
		}
		lines = append(lines, code+" "+expr)
	}
	return lines
}

// issueLines renders an *Error's issues as "code expression" lines.
func issueLines(t *testing.T, err error) []string {
	t.Helper()
	var ferr *Error
	if !errors.As(err, &ferr) {
		t.Fatalf("error = %v, want *Error", err)
	}
	var lines []string
	for _, is := range ferr.Issues {
		if is.Severity != "error" || is.Diagnostics == "" {
			t.Errorf("issue %+v: want severity error and diagnostics", is)
		}
		expr := "-"
		if len(is.Expression) > 0 {
			expr = strings.Join(is.Expression, ",")
		}
		lines = append(lines, is.Code+" "+expr)
	}
	return lines
}

// assertNoValuesInDiagnostics checks that no string value of the body
// (possible patient data) appears in the error text.
func assertNoValuesInDiagnostics(t *testing.T, body []byte, err error) {
	t.Helper()
	var v any
	if json.Unmarshal(body, &v) != nil {
		return
	}
	text := err.Error()
	var walk func(any)
	walk = func(x any) {
		switch x := x.(type) {
		case map[string]any:
			for _, y := range x {
				walk(y)
			}
		case []any:
			for _, y := range x {
				walk(y)
			}
		case string:
			if len(x) >= 5 && !IsResourceType(x) && strings.Contains(text, x) {
				t.Errorf("error text %q contains the value %q", text, x)
			}
		case float64:
			if s := fmt.Sprint(x); len(s) >= 5 && strings.Contains(text, s) {
				t.Errorf("error text %q contains the value %s", text, s)
			}
		}
	}
	walk(v)
}

func TestValidateNHSNumberDiagnostics(t *testing.T) {
	body := []byte(`{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000019"}]}`)
	_, err := Validate(body)
	var ferr *Error
	if !errors.As(err, &ferr) || len(ferr.Issues) != 1 {
		t.Fatalf("Validate = %v, want one issue", err)
	}
	is := ferr.Issues[0]
	if is.Code != "value" || strings.Contains(is.Diagnostics, "999") || !strings.Contains(is.Diagnostics, "modulus 11") {
		t.Errorf("issue = %+v", is)
	}
	// The same value under another system is not an NHS number.
	other := strings.Replace(string(body), NHSNumberSystem, "https://example.org/mrn", 1)
	if _, err := Validate([]byte(other)); err != nil {
		t.Errorf("other system: %v", err)
	}
}

func TestValidateIssueCap(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"resourceType":"Patient"`)
	for i := range 80 {
		fmt.Fprintf(&b, `,"x%d":1`, i)
	}
	b.WriteString("}")
	_, err := Validate([]byte(b.String()))
	var ferr *Error
	if !errors.As(err, &ferr) {
		t.Fatalf("Validate = %v", err)
	}
	if len(ferr.Issues) != maxIssues {
		t.Errorf("%d issues, want the cap %d", len(ferr.Issues), maxIssues)
	}
	if got := ferr.Issues[0].Expression[0]; got != "Patient.x0" {
		t.Errorf("first issue at %q", got)
	}
}

func TestValidateDepthLimit(t *testing.T) {
	nest := func(levels int) []byte {
		var b strings.Builder
		b.WriteString(`{"resourceType":"Questionnaire","status":"draft"`)
		for i := range levels {
			fmt.Fprintf(&b, `,"item":[{"linkId":"%d","type":"group"`, i)
		}
		b.WriteString(strings.Repeat("}]", levels) + "}")
		return []byte(b.String())
	}
	if _, err := Validate(nest(maxDepth - 1)); err != nil {
		t.Errorf("%d levels: %v", maxDepth-1, err)
	}
	_, err := Validate(nest(maxDepth + 10))
	var ferr *Error
	if !errors.As(err, &ferr) || len(ferr.Issues) != 1 || ferr.Issues[0].Code != "structure" ||
		!strings.Contains(ferr.Issues[0].Diagnostics, "nested deeper") {
		t.Fatalf("Validate = %v, want one depth issue", err)
	}
	// The Questionnaire is the first object, so the item at depth maxDepth
	// is the one refused.
	want := "Questionnaire" + strings.Repeat(".item[0]", maxDepth)
	if got := ferr.Issues[0].Expression[0]; got != want {
		t.Errorf("expression = %q, want %q", got, want)
	}
	// Deep JSON inside an unknown element is skipped, not recursed into.
	deep := `{"resourceType":"Patient","x":` + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + "}"
	if _, err := Validate([]byte(deep)); err == nil {
		t.Error("unknown deep element accepted")
	}
}

func TestValidateRejectsOddInput(t *testing.T) {
	for name, body := range map[string]string{
		"empty":        "",
		"whitespace":   "  \n",
		"null":         "null",
		"string":       `"Patient"`,
		"number":       "1",
		"unterminated": `{"resourceType":"Patient"`,
		"bad escape":   `{"resourceType":"Patient","id":"\x"}`,
		"two objects":  `{"resourceType":"Patient"}{"resourceType":"Patient"}`,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Validate([]byte(body))
			var ferr *Error
			if !errors.As(err, &ferr) || len(ferr.Issues) != 1 || ferr.Issues[0].Code != "structure" {
				t.Errorf("Validate = %v, want one structure issue", err)
			}
		})
	}
}

// TestValidateEscapedNames checks that member names and resourceType are
// compared after JSON unescaping.
func TestValidateEscapedNames(t *testing.T) {
	body := `{"resourceType":"Pati\u0065nt","\u0061ctive":true,"gender":"m\u0061le"}`
	h, err := Validate([]byte(body))
	if err != nil || h.ResourceType != "Patient" {
		t.Errorf("Validate = %+v, %v", h, err)
	}
}

// TestValidateConcurrent runs Validate from several goroutines (the
// validator state is pooled) and compares with sequential results.
func TestValidateConcurrent(t *testing.T) {
	files, _ := filepath.Glob("testdata/*/*.json")
	bodies := make([][]byte, len(files))
	want := make([]string, len(files))
	for i, f := range files {
		bodies[i] = readFile(t, f)
		_, err := Validate(bodies[i])
		want[i] = fmt.Sprint(err)
	}
	errs := make(chan string, 4)
	for range 4 {
		go func() {
			for rep := range 20 {
				for i, b := range bodies {
					if _, err := Validate(b); fmt.Sprint(err) != want[i] {
						errs <- fmt.Sprintf("%s (rep %d): %v, want %s", files[i], rep, err, want[i])
						return
					}
				}
			}
			errs <- ""
		}()
	}
	for range 4 {
		if msg := <-errs; msg != "" {
			t.Error(msg)
		}
	}
}
