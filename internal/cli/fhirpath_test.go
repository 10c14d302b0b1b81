package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFHIRPathCommand(t *testing.T) {
	patient := `{"resourceType":"Patient","id":"p1","name":[{"use":"official","family":"Smith","given":["Jane"]}],"birthDate":"1980-02-29"}`
	file := filepath.Join(t.TempDir(), "patient.json")
	if err := os.WriteFile(file, []byte(patient), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		args     []string
		stdin    string
		code     int
		stdout   string
		inStderr string
	}{
		{"file", []string{"Patient.name.where(use='official').family", file}, "", 0, "[\n  \"Smith\"\n]\n", ""},
		{"stdin dash", []string{"Patient.birthDate", "-"}, patient, 0, "[\n  \"1980-02-29\"\n]\n", ""},
		{"stdin implied", []string{"Patient.name.given.count() = 1"}, patient, 0, "[\n  true\n]\n", ""},
		{"empty result", []string{"Patient.gender", file}, "", 0, "[]\n", ""},
		{"no resource", []string{"1 + 1", "-"}, "", 0, "[\n  2\n]\n", ""},
		{"parse error", []string{"Patient.name.", file}, "", 1, "", "syntax error at 1:14"},
		{"evaluation error", []string{"Patient.name.given + 1", file}, "", 1, "", "execution error"},
		{"bad json", []string{"Patient.id", "-"}, "{not json", 1, "", "decode resource"},
		{"missing file", []string{"Patient.id", filepath.Join(t.TempDir(), "none.json")}, "", 1, "", "none.json"},
		{"no expression", nil, "", 2, "", "usage"},
		{"too many arguments", []string{"a", "b", "c"}, "", 2, "", "usage"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := runFHIRPath(tt.args, strings.NewReader(tt.stdin), &out, &errb)
			if code != tt.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, tt.code, errb.String())
			}
			if tt.code == 0 && out.String() != tt.stdout {
				t.Errorf("stdout %q, want %q", out.String(), tt.stdout)
			}
			if !strings.Contains(errb.String(), tt.inStderr) {
				t.Errorf("stderr %q lacks %q", errb.String(), tt.inStderr)
			}
		})
	}
}

func TestFHIRPathWiredIntoMain(t *testing.T) {
	code, out, _ := run(t, "fhirpath", "--help")
	if code != 0 || !strings.Contains(out, "FHIRPath") {
		t.Errorf("exit %d, stdout %q", code, out)
	}
	if _, out, _ := run(t, "help"); !strings.Contains(out, "carerecord fhirpath EXPRESSION [FILE|-]") {
		t.Errorf("usage lacks the fhirpath line: %q", out)
	}
}
