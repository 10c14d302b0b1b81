// Package shareddata finds the project's shared outside material — the
// Synthea bundles, the HL7 v2 corpora, the FHIRPath suite, FEBRL — in the
// folder `shared` beside the repository (../shared from the module root).
// That data is read where it lies, never copied into the repository, and
// a user's clone may not have it: tests call Require, which skips with a
// message saying what is missing.
//
// Layer 0: standard library only; tests of every layer and the benchmark
// command use it.
package shareddata

import (
	"os"
	"path/filepath"
	"testing"
)

// Path returns the absolute path of shared/<elem...> beside the module root
// that holds the working directory, or "" when the module root or the path
// does not exist.
func Path(elem ...string) string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			p := filepath.Join(append([]string{filepath.Dir(dir), "shared"}, elem...)...)
			if _, err := os.Stat(p); err != nil {
				return ""
			}
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// Require is Path for tests: it skips tb, naming the missing folder, when
// the path is absent.
func Require(tb testing.TB, elem ...string) string {
	tb.Helper()
	p := Path(elem...)
	if p == "" {
		tb.Skipf("skipping: ../shared/%s is not beside the repository (outside test data, not part of the clone)", filepath.Join(elem...))
	}
	return p
}
