// Package nhsnumber owns the NHS number: the modulus 11 check digit of the
// NHS Data Dictionary, the 3-3-4 display form, and the reserved test range
// 999 000 0000 – 999 999 9999 that synthetic data must draw from.
//
// Numbers are handled as strings of exactly ten ASCII digits, without
// spaces, as they are stored and compared. The package is layer 0: pure,
// no I/O, no dependencies. Anyone may import it.
package nhsnumber

import "fmt"

// weights are the modulus 11 weighting factors of digits 1 to 9.
var weights = [9]int{10, 9, 8, 7, 6, 5, 4, 3, 2}

// CheckDigit returns the check digit of a nine-digit stem. ok is false when
// stem is not nine ASCII digits or when the algorithm gives 10, which means
// no NHS number can be made from the stem.
func CheckDigit(stem string) (digit int, ok bool) {
	if len(stem) != 9 {
		return 0, false
	}
	sum := 0
	for i := range 9 {
		c := stem[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		sum += int(c-'0') * weights[i]
	}
	return checkFromSum(sum)
}

// checkFromSum applies steps 3 and 4 of the algorithm to a weighted sum.
func checkFromSum(sum int) (int, bool) {
	d := 11 - sum%11
	switch d {
	case 11:
		return 0, true
	case 10:
		return 0, false
	}
	return d, true
}

// Valid reports whether s is ten ASCII digits whose last digit is the
// modulus 11 check digit of the first nine.
func Valid(s string) bool {
	if len(s) != 10 {
		return false
	}
	d, ok := CheckDigit(s[:9])
	return ok && s[9] == byte('0'+d)
}

// Format returns the 3-3-4 display form ("999 000 0018") of a ten-digit
// string. Anything else is returned unchanged.
func Format(s string) string {
	if len(s) != 10 {
		return s
	}
	for i := range 10 {
		if s[i] < '0' || s[i] > '9' {
			return s
		}
	}
	return s[:3] + " " + s[3:6] + " " + s[6:]
}

// TestCount is the number of valid NHS numbers in the test range
// 999 000 0000 – 999 999 9999, so Test accepts 0 <= n < TestCount.
const TestCount = 909091

// Test range layout: the stem is "999" followed by six free digits.
const (
	testPrefixSum = 9*10 + 9*9 + 9*8 // weighted sum of the "999" prefix
	freeDigits    = 6
)

// invalidBelow[k][r] counts the assignments of the last k free digits that
// leave no check digit (weighted sum ≡ 1 mod 11) when the digits before
// them already sum to r modulo 11.
var invalidBelow = func() (t [freeDigits + 1][11]int) {
	t[0][1] = 1 // sum ≡ 1 gives 11-1 = 10: no check digit
	for k := 1; k <= freeDigits; k++ {
		w := weights[9-k] // weight of the first of the last k digits
		for r := range 11 {
			for d := range 10 {
				t[k][r] += t[k-1][(r+w*d)%11]
			}
		}
	}
	return t
}()

// Test returns the n-th (0-based) valid NHS number of the test range in
// ascending order: Test(0) is "9990000018". It is meant for synthetic data
// generators and panics if n is outside [0, TestCount).
func Test(n int) string {
	if n < 0 || n >= TestCount {
		panic(fmt.Sprintf("nhsnumber: Test(%d) outside [0, %d)", n, TestCount))
	}
	var b [10]byte
	copy(b[:], "999")
	sum := testPrefixSum
	size := 1_000_000 // stems below the current position
	for pos := 3; pos < 9; pos++ {
		size /= 10
		rest := 8 - pos // free digits after this one
		for d := range 10 {
			s := sum + weights[pos]*d
			valid := size - invalidBelow[rest][s%11]
			if n < valid {
				b[pos] = byte('0' + d)
				sum = s
				break
			}
			n -= valid
		}
	}
	d, _ := checkFromSum(sum)
	b[9] = byte('0' + d)
	return string(b[:])
}
