package server_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// npmClient returns node and the folder of one of the outside clients in
// interop/ (dir, relative to the repository root) with its npm module
// installed, or skips the test saying what is missing; under CI=true,
// where .ci/run installs both, their absence fails it instead.
func npmClient(t *testing.T, dir, module string) (node, abs string) {
	t.Helper()
	abs, err := filepath.Abs(filepath.Join("../..", dir))
	if err != nil {
		t.Fatal(err)
	}
	node, err = exec.LookPath("node")
	missing := ""
	switch {
	case err != nil:
		missing = "node is not installed"
	default:
		if _, err := os.Stat(filepath.Join(abs, "node_modules", module)); err != nil {
			missing = module + " is not installed (run: npm ci --prefix " + dir + ")"
		}
	}
	if missing != "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true but %s", missing)
		}
		t.Skipf("skipping the %s test: %s", module, missing)
	}
	return node, abs
}
