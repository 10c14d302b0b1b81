package nhsnumber

import (
	"strconv"
	"strings"
	"testing"
)

// The test vectors of shared/research/nhs-number.md, written in display form.
var vectors = []struct {
	number string
	valid  bool
	note   string
}{
	{"943 476 5919", true, "standard worked example"},
	{"999 999 9999", true, "UCLH EMAP HL7 fixtures"},
	{"999 050 0002", true, "JSAT ADT samples"},
	{"999 000 0018", true, "first valid number in the test range"},
	{"999 999 9468", true, ""},
	{"944 930 5552", true, "NW GMSA IG example"},
	{"900 000 0009", true, "sandbox-style fixture"},
	{"900 000 0017", true, "sandbox-style fixture"},
	{"987 654 3210", true, "check digit 0"},
	{"401 023 2137", true, ""},
	{"111 111 1111", true, "degenerate, valid by checksum"},
	{"333 333 3333", true, "degenerate, valid by checksum"},
	{"000 000 0000", true, "degenerate, valid by checksum"},
	{"999 000 0000", false, "stem gives 10"},
	{"999 123 4560", false, "stem gives 10"},
	{"123 456 7890", false, "stem gives 10"},
	{"921 906 8409", false, "correct check digit would be 0"},
	{"231 232 4212", false, "correct check digit 0"},
	{"999 999 9991", false, "wrong check digit"},
}

func TestValidVectors(t *testing.T) {
	for _, v := range vectors {
		t.Run(v.number, func(t *testing.T) {
			s := strings.ReplaceAll(v.number, " ", "")
			if got := Valid(s); got != v.valid {
				t.Errorf("Valid(%q) = %v, want %v (%s)", s, got, v.valid, v.note)
			}
			if got := Format(s); got != v.number {
				t.Errorf("Format(%q) = %q, want %q", s, got, v.number)
			}
		})
	}
}

func TestValidRejectsMalformed(t *testing.T) {
	for _, s := range []string{"", "999000001", "99900000188", "999 000 0018", "99900000a8", "９９９0000018", "-999000001"} {
		t.Run(s, func(t *testing.T) {
			if Valid(s) {
				t.Errorf("Valid(%q) = true", s)
			}
		})
	}
}

func TestCheckDigit(t *testing.T) {
	tests := []struct {
		stem  string
		digit int
		ok    bool
	}{
		{"943476591", 9, true},
		{"987654321", 0, true},
		{"999000001", 8, true},
		{"999000000", 0, false},
		{"12345678", 0, false},
		{"12345678x", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.stem, func(t *testing.T) {
			d, ok := CheckDigit(tt.stem)
			if d != tt.digit || ok != tt.ok {
				t.Errorf("CheckDigit(%q) = %d, %v; want %d, %v", tt.stem, d, ok, tt.digit, tt.ok)
			}
		})
	}
}

func TestFormatLeavesOtherInputAlone(t *testing.T) {
	for _, s := range []string{"", "123", "999000001x", "99900000188"} {
		if got := Format(s); got != s {
			t.Errorf("Format(%q) = %q, want it unchanged", s, got)
		}
	}
}

// TestTestEnumeratesRange compares Test against a brute-force walk over
// every stem of the test range.
func TestTestEnumeratesRange(t *testing.T) {
	n := 0
	for stem := 999_000_000; stem <= 999_999_999; stem++ {
		s := strconv.Itoa(stem)
		d, ok := CheckDigit(s)
		if !ok {
			continue
		}
		want := s + strconv.Itoa(d)
		if got := Test(n); got != want {
			t.Fatalf("Test(%d) = %q, want %q", n, got, want)
		}
		n++
	}
	if n != TestCount {
		t.Errorf("brute force found %d valid test numbers, TestCount = %d", n, TestCount)
	}
}

func TestTestPanicsOutOfRange(t *testing.T) {
	for _, n := range []int{-1, TestCount} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("Test(%d) did not panic", n)
				}
			}()
			Test(n)
		})
	}
}

func BenchmarkTest(b *testing.B) {
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		_ = Test(n)
		n = (n + 7919) % TestCount
	}
}
