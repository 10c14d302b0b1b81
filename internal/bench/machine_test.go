package bench

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestProcFields(t *testing.T) {
	tests := []struct {
		name, file, key string
		wantText        string
		wantKB          int64 // -1: not a kB field
		wantErr         error
	}{
		{"cpu model", "cpuinfo.txt", "model name", "Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz", -1, nil},
		{"resident set", "status.txt", "VmRSS", "183044 kB", 183044, nil},
		{"high-water mark, not RSS", "status.txt", "VmHWM", "190212 kB", 190212, nil},
		{"key is a whole word", "status.txt", "Vm", "", -1, ErrNoField},
		{"missing", "status.txt", "VmSwap", "", -1, ErrNoField},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			got, err := procText(strings.NewReader(string(data)), tt.key)
			if !errors.Is(err, tt.wantErr) || got != tt.wantText {
				t.Fatalf("procText(%s) = %q, %v; want %q, %v", tt.key, got, err, tt.wantText, tt.wantErr)
			}
			if tt.wantKB < 0 {
				return
			}
			kb, err := procKB(strings.NewReader(string(data)), tt.key)
			if err != nil || kb != tt.wantKB {
				t.Fatalf("procKB(%s) = %d, %v; want %d", tt.key, kb, err, tt.wantKB)
			}
		})
	}
}

func TestProcKBRejectsText(t *testing.T) {
	if _, err := procKB(strings.NewReader("State:\tS (sleeping)\n"), "State"); err == nil {
		t.Fatal("procKB accepted a field that is not a number of kB")
	}
}

func TestCleanCPU(t *testing.T) {
	got := cleanCPU("Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz")
	if want := "Intel Xeon Platinum 8375C CPU @ 2.90GHz"; got != want {
		t.Errorf("cleanCPU = %q, want %q", got, want)
	}
}

func TestSelfMemory(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("no /proc on this system")
	}
	before, err := selfMemory()
	if err != nil {
		t.Fatal(err)
	}
	// Touch 64 MB so the anonymous resident set must grow by most of it.
	buf := make([]byte, 64<<20)
	for i := range buf {
		buf[i] = byte(i)
	}
	after, err := selfMemory()
	if err != nil {
		t.Fatal(err)
	}
	if after.Anon-before.Anon < 32<<20 || after.RSS-before.RSS < 32<<20 {
		t.Errorf("after touching 64 MB: anon grew %d, RSS grew %d bytes; want at least 32 MB each",
			after.Anon-before.Anon, after.RSS-before.RSS)
	}
	if after.Anon+after.File > after.RSS {
		t.Errorf("anon %d + file %d exceed RSS %d", after.Anon, after.File, after.RSS)
	}
	_ = buf[len(buf)-1]
}
