package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestCheckConfig(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.yml")
	os.WriteFile(bad, []byte("listen: nowhere\nlog_level: loud\n"), 0o600)
	tests := []struct {
		name     string
		args     []string
		code     int
		inStdout string
		inStderr []string
	}{
		{"defaults are valid", []string{"check-config"}, 0, "configuration ok", nil},
		{"flags apply", []string{"check-config", "--listen", "127.0.0.1:9999"}, 0, "listen: 127.0.0.1:9999", nil},
		{"bad file names every problem", []string{"check-config", "--config", bad}, 2, "", []string{"listen", "log_level"}},
		{"missing file", []string{"check-config", "--config", filepath.Join(t.TempDir(), "none.yml")}, 2, "", []string{"none.yml"}},
		{"unknown flag", []string{"check-config", "--lisen", "x"}, 2, "", []string{"lisen"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := run(t, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, tt.code, errs)
			}
			if !strings.Contains(out, tt.inStdout) {
				t.Errorf("stdout %q lacks %q", out, tt.inStdout)
			}
			for _, s := range tt.inStderr {
				if !strings.Contains(errs, s) {
					t.Errorf("stderr %q lacks %q", errs, s)
				}
			}
		})
	}
}

func TestUnknownCommand(t *testing.T) {
	code, _, errs := run(t, "frobnicate")
	if code != 2 || !strings.Contains(errs, "frobnicate") {
		t.Errorf("exit %d, stderr %q", code, errs)
	}
}

func TestImportNeedsPaths(t *testing.T) {
	code, _, errs := run(t, "import", "--data", t.TempDir())
	if code != 1 || !strings.Contains(errs, "files or folders") {
		t.Errorf("exit %d, stderr %q", code, errs)
	}
}
