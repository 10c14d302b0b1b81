package fhir

import "unicode/utf8"

// This file holds the lexical rules of the R4 primitive types, written out
// by hand from the regular expressions in the R4 StructureDefinitions
// (plus calendar validity of dates). Each check returns "" when the value
// is acceptable, or diagnostics that never quote the value.

const maxStringLen = 1 << 20 // R4: strings SHALL NOT exceed 1MB

// jsonKindOf is the JSON kind a primitive is carried as: 't' for boolean
// (true or false), '0' for numbers, '"' for the rest.
func jsonKindOf(p primKind) byte {
	switch p {
	case primBoolean:
		return 't'
	case primInteger, primPositiveInt, primUnsignedInt, primDecimal:
		return '0'
	}
	return '"'
}

// checkNumber checks the raw JSON number token of a numeric primitive.
func checkNumber(p primKind, n []byte) string {
	switch p {
	case primInteger:
		if !intInRange(n, -1<<31, 1<<31-1) {
			return "not a valid integer (32-bit, no fraction or exponent)"
		}
	case primPositiveInt:
		if !intInRange(n, 1, 1<<31-1) {
			return "not a valid positiveInt (1 to 2147483647)"
		}
	case primUnsignedInt:
		if !intInRange(n, 0, 1<<31-1) {
			return "not a valid unsignedInt (0 to 2147483647)"
		}
	}
	return "" // decimal: the JSON number grammar is the decimal grammar
}

// intInRange reports whether n matches -?(0|[1-9][0-9]*) within [lo, hi].
func intInRange(n []byte, lo, hi int64) bool {
	neg := len(n) > 0 && n[0] == '-'
	if neg {
		n = n[1:]
	}
	if len(n) == 0 || len(n) > 10 || (n[0] == '0' && len(n) > 1) {
		return false
	}
	var v int64
	for _, c := range n {
		if c < '0' || c > '9' {
			return false
		}
		v = v*10 + int64(c-'0')
	}
	if neg {
		v = -v
	}
	return v >= lo && v <= hi
}

// checkString checks the (unescaped) content of a string primitive.
func checkString(p primKind, s []byte) string {
	if len(s) == 0 {
		return "empty string is not allowed (omit the element instead)"
	}
	switch p {
	case primString, primMarkdown:
		if len(s) > maxStringLen && utf8.RuneCount(s) > maxStringLen {
			return "string longer than 1MB"
		}
	case primCode:
		if !validCode(s) {
			return "not a valid code (no leading, trailing or repeated whitespace)"
		}
	case primID:
		if !validID(s) {
			return "not a valid id (1-64 of A-Z a-z 0-9 - .)"
		}
	case primURI, primURL, primCanonical:
		if hasSpace(s) {
			return "not a valid " + primLabel(p) + " (whitespace is not allowed)"
		}
	case primOID:
		if !validOID(s) {
			return "not a valid oid (urn:oid:...)"
		}
	case primUUID:
		if len(s) < 9 || string(s[:9]) != "urn:uuid:" || !validUUID(s[9:]) {
			return "not a valid uuid (urn:uuid: and lower-case 8-4-4-4-12 hex)"
		}
	case primBase64Binary:
		if !validBase64(s) {
			return "not valid base64"
		}
	case primDate:
		if n := dateLen(s); n != len(s) {
			return "not a valid date (YYYY, YYYY-MM or YYYY-MM-DD)"
		}
	case primDateTime:
		if !validDateTime(s, false) {
			return "not a valid dateTime (a date, or a full date and time with time zone)"
		}
	case primInstant:
		if !validDateTime(s, true) {
			return "not a valid instant (full date and time with time zone)"
		}
	case primTime:
		if n := timeLen(s); n != len(s) {
			return "not a valid time (hh:mm:ss)"
		}
	case primXHTML:
		if !validXHTML(s) {
			return "narrative must be an XHTML <div> element"
		}
	}
	return ""
}

func primLabel(p primKind) string {
	switch p {
	case primURL:
		return "url"
	case primCanonical:
		return "canonical"
	}
	return "uri"
}

// isSpace is \s of the FHIR regular expressions: space, \t, \n, \v, \f, \r.
func isSpace(c byte) bool {
	return c == ' ' || (c >= '\t' && c <= '\r')
}

func hasSpace(s []byte) bool {
	for _, c := range s {
		if isSpace(c) {
			return true
		}
	}
	return false
}

// validCode matches [^\s]+(\s[^\s]+)*.
func validCode(s []byte) bool {
	if len(s) == 0 || isSpace(s[0]) || isSpace(s[len(s)-1]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if isSpace(s[i]) && isSpace(s[i-1]) {
			return false
		}
	}
	return true
}

// ValidID reports whether s is a FHIR id: [A-Za-z0-9\-\.]{1,64}.
func ValidID(s string) bool { return validID(s) }

// validID matches [A-Za-z0-9\-\.]{1,64}.
func validID[T ~string | ~[]byte](s T) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// validOID matches urn:oid:[0-2](\.(0|[1-9][0-9]*))+.
func validOID(s []byte) bool {
	if len(s) < 8 || string(s[:8]) != "urn:oid:" {
		return false
	}
	return validOIDBody(s[8:])
}

func validOIDBody(s []byte) bool {
	if len(s) < 3 || s[0] < '0' || s[0] > '2' || s[1] != '.' {
		return false
	}
	for _, arc := range splitDots(s[2:]) {
		if len(arc) == 0 || (arc[0] == '0' && len(arc) > 1) || !allDigits(arc) {
			return false
		}
	}
	return true
}

func splitDots(s []byte) [][]byte {
	var parts [][]byte
	start := 0
	for i, c := range s {
		if c == '.' {
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	return append(parts, s[start:])
}

func allDigits(s []byte) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// validUUID matches [0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}.
func validUUID(s []byte) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range s {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if c != '-' {
				return false
			}
		} else if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// validBase64 accepts standard base64 in groups of four, with padding only
// at the end; whitespace may appear anywhere (as the R4 regex allows).
func validBase64(s []byte) bool {
	n, pad := 0, 0
	for _, c := range s {
		switch {
		case isSpace(c):
			continue
		case c == '=':
			pad++
		case pad > 0:
			return false // data after padding
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '+', c == '/':
		default:
			return false
		}
		n++
	}
	return n > 0 && n%4 == 0 && pad <= 2
}

func validXHTML(s []byte) bool {
	i := 0
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	s = s[i:]
	return len(s) >= 5 && string(s[:4]) == "<div" && (s[4] == '>' || s[4] == '/' || isSpace(s[4]))
}

// digits returns the value of s[i:i+n] if those are all digits, else -1.
func digits(s []byte, i, n int) int {
	if i+n > len(s) {
		return -1
	}
	v := 0
	for _, c := range s[i : i+n] {
		if c < '0' || c > '9' {
			return -1
		}
		v = v*10 + int(c-'0')
	}
	return v
}

// dateLen returns the length of the longest valid date prefix of s
// (YYYY, YYYY-MM, YYYY-MM-DD; year 0001-9999, real calendar days), or -1.
func dateLen(s []byte) int {
	y := digits(s, 0, 4)
	if y < 1 {
		return -1
	}
	if len(s) == 4 || s[4] != '-' {
		return 4
	}
	m := digits(s, 5, 2)
	if m < 1 || m > 12 {
		return -1
	}
	if len(s) == 7 || s[7] != '-' {
		return 7
	}
	d := digits(s, 8, 2)
	if d < 1 || d > daysIn(y, m) {
		return -1
	}
	return 10
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// timeLen returns the length of a valid hh:mm:ss(.f+)? prefix, or -1.
func timeLen(s []byte) int {
	h, m, sec := digits(s, 0, 2), digits(s, 3, 2), digits(s, 6, 2)
	if len(s) < 8 || s[2] != ':' || s[5] != ':' || h < 0 || h > 23 || m < 0 || m > 59 || sec < 0 || sec > 60 {
		return -1
	}
	i := 8
	if i < len(s) && s[i] == '.' {
		j := i + 1
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j == i+1 {
			return -1
		}
		i = j
	}
	return i
}

// validDateTime checks a dateTime, or an instant when full is set: a
// partial or full date, and if a time follows it must carry a zone.
func validDateTime(s []byte, full bool) bool {
	n := dateLen(s)
	if n < 0 {
		return false
	}
	if n == len(s) {
		return !full
	}
	if n != 10 || s[n] != 'T' {
		return false
	}
	s = s[n+1:]
	t := timeLen(s)
	if t < 0 {
		return false
	}
	return validZone(s[t:])
}

// validZone matches Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00).
func validZone(z []byte) bool {
	if len(z) == 1 {
		return z[0] == 'Z'
	}
	if len(z) != 6 || (z[0] != '+' && z[0] != '-') || z[3] != ':' {
		return false
	}
	h, m := digits(z, 1, 2), digits(z, 4, 2)
	return h >= 0 && m >= 0 && (h <= 13 && m <= 59 || h == 14 && m == 0)
}
