package match

import (
	"strings"
	"unicode/utf8"
)

// fold lower-cases s, turns the common accented Latin letters into their
// plain ASCII letters (é→e, ø→o, ß→ss) and every other character that is not
// an ASCII letter or digit into a space. Apostrophes vanish (O'Brien →
// obrien) rather than split a name.
func fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case r >= 'A' && r <= 'Z':
			b.WriteByte(byte(r) + 'a' - 'A')
		case r == '\'' || r == '’' || r == '`':
		case r < utf8.RuneSelf:
			b.WriteByte(' ')
		default:
			if f, ok := accents[r]; ok {
				b.WriteString(f)
			} else {
				b.WriteByte(' ')
			}
		}
	}
	return b.String()
}

// accents maps the accented letters met in UK patient names to ASCII.
var accents = func() map[rune]string {
	m := map[rune]string{'ß': "ss", 'æ': "ae", 'Æ': "ae", 'œ': "oe", 'Œ': "oe", 'ø': "o", 'Ø': "o", 'ł': "l", 'Ł': "l", 'đ': "d", 'Đ': "d", 'ı': "i"}
	groups := []struct{ to, from string }{
		{"a", "àáâãäåāăąÀÁÂÃÄÅĀĂĄ"}, {"c", "çćčÇĆČ"}, {"e", "èéêëēėęěÈÉÊËĒĖĘĚ"},
		{"i", "ìíîïīįÌÍÎÏĪĮİ"}, {"n", "ñńňÑŃŇ"}, {"o", "òóôõöōőÒÓÔÕÖŌŐ"},
		{"u", "ùúûüūůűųÙÚÛÜŪŮŰŲ"}, {"y", "ýÿÝŸ"}, {"s", "śšşŚŠŞ"}, {"z", "źżžŹŻŽ"},
		{"r", "řŘ"}, {"g", "ğĞ"}, {"t", "ţťŢŤ"},
	}
	for _, g := range groups {
		for _, r := range g.from {
			m[r] = g.to
		}
	}
	return m
}()

// tokens folds s and splits it into words; hyphens, dots and other
// punctuation separate words.
func tokens(s string) []string {
	return strings.Fields(fold(s))
}

// nameTitles are honorifics and suffixes that sources put in name fields;
// they say nothing about who a person is.
var nameTitles = map[string]bool{
	"mr": true, "mrs": true, "ms": true, "miss": true, "mx": true, "dr": true, "prof": true,
	"sir": true, "dame": true, "rev": true, "jr": true, "jnr": true, "sr": true, "snr": true,
	"baby": true, "unknown": true, "unk": true,
}

// nameTokens returns the words of the name parts, without titles.
func nameTokens(parts []string) []string {
	var out []string
	for _, p := range parts {
		for _, t := range tokens(p) {
			if !nameTitles[t] {
				out = append(out, t)
			}
		}
	}
	return out
}

// date is a date of birth as its components; 0 means unknown. Components
// are kept as written even when they do not make a calendar date (month 13
// is more likely a typo than no date at all), and digits holds YYYYMMDD for
// the typo comparisons when all three are known.
type date struct {
	y      int16
	m, d   uint8
	digits [8]byte
}

func (d date) full() bool    { return d.y > 0 && d.m > 0 && d.d > 0 }
func (d date) missing() bool { return d.y == 0 }

// parseDate reads a date of birth written as YYYY-MM-DD (FHIR, with an
// optional time), YYYYMMDD (HL7 v2 and FEBRL, with an optional time),
// YYYY-MM, YYYYMM, YYYY, or DD/MM/YYYY, DD-MM-YYYY and DD.MM.YYYY (the UK's
// written order). Anything else is missing.
func parseDate(s string) date {
	s = strings.TrimSpace(s)
	if t := strings.IndexAny(s, "T "); t >= 0 {
		s = s[:t]
	}
	var y, m, d int
	var ok bool
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == '/' || r == '-' || r == '.' })
	switch {
	case len(parts) == 3 && len(parts[0]) <= 2 && len(parts[2]) == 4: // DD/MM/YYYY
		d, ok = number(parts[0])
		if ok {
			m, ok = number(parts[1])
		}
		if ok {
			y, ok = number(parts[2])
		}
	case len(parts) > 1 && len(parts) <= 3 && len(parts[0]) == 4: // YYYY-MM[-DD]
		y, ok = number(parts[0])
		if ok {
			m, ok = number(parts[1])
		}
		if ok && len(parts) == 3 {
			d, ok = number(parts[2])
		}
	case len(parts) == 1 && (len(s) == 4 || len(s) == 6 || len(s) >= 8): // YYYY[MM[DD...]]
		y, ok = number(s[:4])
		if ok && len(s) >= 6 {
			m, ok = number(s[4:6])
		}
		if ok && len(s) >= 8 {
			d, ok = number(s[6:8])
		}
	}
	if !ok || y < 1000 || y > 9999 || m > 99 || d > 99 {
		return date{}
	}
	if m == 0 {
		d = 0
	}
	out := date{y: int16(y), m: uint8(m), d: uint8(d)}
	if out.full() {
		v := y*10000 + m*100 + d
		for i := 7; i >= 0; i-- {
			out.digits[i] = byte('0' + v%10)
			v /= 10
		}
	}
	return out
}

// number reads a string of ASCII digits.
func number(t string) (int, bool) {
	if t == "" {
		return 0, false
	}
	n := 0
	for i := 0; i < len(t); i++ {
		if t[i] < '0' || t[i] > '9' {
			return 0, false
		}
		n = n*10 + int(t[i]-'0')
	}
	return n, true
}

// postcode is a normalised postcode: upper case without spaces. outward and
// sector are set only for a UK-shaped postcode ("LS1 4AB": outward "LS1",
// sector "LS14").
type postcode struct {
	full, outward, sector string
}

// parsePostcode normalises s and splits a UK postcode into outward code and
// sector. Postcodes of other shapes (FEBRL's Australian four digits) keep
// only the full form.
func parsePostcode(s string) postcode {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z':
			b.WriteByte(c - 'a' + 'A')
		case c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
			b.WriteByte(c)
		}
	}
	p := postcode{full: b.String()}
	if isUKPostcode(p.full) {
		n := len(p.full)
		p.outward = p.full[:n-3]
		p.sector = p.full[:n-2]
	}
	return p
}

// isUKPostcode reports whether s (upper case, no spaces) has the shape of a
// UK postcode: an outward code A9, A99, AA9, AA99, A9A or AA9A and an inward
// code 9AA.
func isUKPostcode(s string) bool {
	n := len(s)
	if n < 5 || n > 7 {
		return false
	}
	letter := func(c byte) bool { return c >= 'A' && c <= 'Z' }
	digit := func(c byte) bool { return c >= '0' && c <= '9' }
	if !digit(s[n-3]) || !letter(s[n-2]) || !letter(s[n-1]) {
		return false
	}
	out := s[:n-3]
	if !letter(out[0]) {
		return false
	}
	i := 1
	if letter(out[i]) {
		i++
	}
	if i >= len(out) || !digit(out[i]) {
		return false
	}
	i++
	if i < len(out) && (digit(out[i]) || letter(out[i])) {
		i++
	}
	return i == len(out)
}

// normalisePhone keeps the digits of a telephone number and writes a UK
// international prefix (+44, 0044) as the trunk 0, so "+44 7700 900123" and
// "07700 900123" agree. Numbers with fewer than 6 digits are dropped.
func normalisePhone(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			b.WriteByte(s[i])
		}
	}
	d := b.String()
	switch {
	case strings.HasPrefix(d, "0044"):
		d = "0" + d[4:]
	case strings.HasPrefix(d, "44") && strings.HasPrefix(strings.TrimSpace(s), "+"):
		d = "0" + d[2:]
	}
	if len(d) < 6 {
		return ""
	}
	return d
}

// streetWords are the generic words of an address (street types, flat and
// unit markers) in the UK and Australia; they are dropped before addresses
// are compared, since two strangers' addresses share them all the time.
var streetWords = map[string]bool{
	"street": true, "st": true, "road": true, "rd": true, "avenue": true, "ave": true, "av": true,
	"lane": true, "ln": true, "place": true, "pl": true, "close": true, "cl": true, "drive": true,
	"dr": true, "way": true, "court": true, "ct": true, "crescent": true, "cres": true, "crt": true,
	"grove": true, "gr": true, "gardens": true, "gdns": true, "terrace": true, "tce": true,
	"square": true, "sq": true, "parade": true, "pde": true, "boulevard": true, "blvd": true,
	"highway": true, "hwy": true, "circuit": true, "cct": true, "mews": true, "row": true,
	"walk": true, "the": true, "of": true, "flat": true, "apartment": true, "apt": true,
	"unit": true, "house": true,
}

// addressTokens returns the distinct informative words of the address lines,
// sorted: house numbers, street and place names.
func addressTokens(lines []string) []string {
	var out []string
	for _, l := range lines {
		for _, t := range tokens(l) {
			if !streetWords[t] {
				out = append(out, t)
			}
		}
	}
	return sortedSet(out)
}

// houseKey finds the first address line with a house number followed by a
// street name and returns the number and the street's first three letters
// ("12 hig" for "12 High Street"), or "".
func houseKey(lines []string) string {
	for _, l := range lines {
		ts := tokens(l)
		for i, t := range ts {
			if t[0] < '0' || t[0] > '9' {
				continue
			}
			for _, s := range ts[i+1:] {
				if s[0] > '9' && !streetWords[s] && len(s) >= 3 {
					return t + " " + s[:3]
				}
			}
			break
		}
	}
	return ""
}

// sortedSet sorts ss in place and removes repeats.
func sortedSet(ss []string) []string {
	if len(ss) < 2 {
		return ss
	}
	for i := 1; i < len(ss); i++ { // insertion sort: a handful of words
		for j := i; j > 0 && ss[j] < ss[j-1]; j-- {
			ss[j], ss[j-1] = ss[j-1], ss[j]
		}
	}
	out := ss[:1]
	for _, s := range ss[1:] {
		if s != out[len(out)-1] {
			out = append(out, s)
		}
	}
	return out
}

// normaliseID upper-cases an identifier value and drops spaces and
// punctuation, so "943 476 5919" and "9434765919" agree.
func normaliseID(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z':
			b.WriteByte(c - 'a' + 'A')
		case c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
			b.WriteByte(c)
		}
	}
	return b.String()
}
