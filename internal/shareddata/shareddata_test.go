package shareddata

import (
	"os"
	"path/filepath"
	"testing"
)

func TestPath(t *testing.T) {
	root := t.TempDir()
	repo := filepath.Join(root, "repo")
	sub := filepath.Join(repo, "internal", "pkg")
	data := filepath.Join(root, "shared", "testdata", "x")
	for _, d := range []string{sub, data} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(repo, "go.mod"), []byte("module m\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(sub)
	if got := Path("testdata", "x"); got != data {
		t.Errorf("Path(testdata, x) = %q, want %q", got, data)
	}
	if got := Path("testdata", "missing"); got != "" {
		t.Errorf("Path of a missing folder = %q, want empty", got)
	}
	t.Run("skips", func(t *testing.T) {
		Require(t, "testdata", "missing")
		t.Error("Require did not skip for a missing folder")
	})
}
