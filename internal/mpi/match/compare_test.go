package match

import "testing"

func rec(given, family, dob string) Record {
	r := Record{Family: family, BirthDate: dob}
	if given != "" {
		r.Given = []string{given}
	}
	return r
}

func TestNameLevels(t *testing.T) {
	tests := []struct {
		name          string
		a, b          Record
		given, family uint8
	}{
		{"exact", rec("John", "Smith", ""), rec("JOHN", "smith", ""), lvlExact, lvlExact},
		{"nickname", rec("Bill", "Smith", ""), rec("William", "Smith", ""), lvlClose, lvlExact},
		{"middle name used", Record{Given: []string{"Ann", "Louise"}, Family: "Hall"}, rec("Louise", "Hall", ""), lvlClose, lvlExact},
		{"hyphenation", rec("Mary-Jane", "Hall", ""), rec("Maryjane", "Hall", ""), lvlClose, lvlExact},
		{"double-barrelled", rec("Ann", "Smith-Jones", ""), rec("Ann", "Jones", ""), lvlExact, lvlClose},
		{"typo", rec("Jonathan", "Thompson", ""), rec("Jonathon", "Thomspon", ""), lvlClose, lvlClose},
		{"phonetic", rec("Catherine", "Stephens", ""), rec("Katherine", "Stevens", ""), lvlClose, lvlPhonetic},
		{"initial", rec("J", "Smith", ""), rec("John", "Smith", ""), lvlWeak, lvlExact},
		{"other initial", rec("P", "Smith", ""), rec("John", "Smith", ""), lvlDiffName, lvlExact},
		{"different", rec("Oliver", "Patel", ""), rec("Grace", "Okafor", ""), lvlDiffName, lvlDiffName},
		{"transposed", rec("Smith", "John", ""), rec("John", "Smith", ""), lvlClose, lvlClose},
		{"transposed with a middle name", Record{Given: []string{"Oliver", "Oliver"}, Family: "Ahmed"}, rec("Ahmed", "Oliver", ""), lvlClose, lvlClose},
		{"missing given", rec("", "Smith", ""), rec("John", "Smith", ""), lvlMissing, lvlExact},
		{"title dropped", rec("Mrs Ann", "O'Brien", ""), rec("Ann", "OBRIEN", ""), lvlExact, lvlExact},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := prepare(tt.a), prepare(tt.b)
			g := compare(&a, &b)
			if g[cmpGiven] != tt.given || g[cmpFamily] != tt.family {
				t.Errorf("given %d family %d, want %d %d", g[cmpGiven], g[cmpFamily], tt.given, tt.family)
			}
			h := compare(&b, &a)
			if h[cmpGiven] != g[cmpGiven] || h[cmpFamily] != g[cmpFamily] {
				t.Errorf("not symmetric: %d %d one way, %d %d the other", g[cmpGiven], g[cmpFamily], h[cmpGiven], h[cmpFamily])
			}
		})
	}
}

func TestDOBLevels(t *testing.T) {
	tests := []struct {
		a, b string
		want uint8
	}{
		{"1985-03-07", "19850307", dobExact},
		{"1985-03-07", "1985-07-03", dobSwap},
		{"1985-03-07", "1985-03-08", dobTypo},
		{"1985-03-07", "1958-03-07", dobTypo}, // adjacent digits transposed
		{"1985-03-07", "1985-11-20", dobYear},
		{"1985-03-07", "1985", dobYear},
		{"1985-03-07", "1985-03", dobYear},
		{"1985-03-07", "1985-04", dobDiff},
		{"1985-03-07", "1990-01-01", dobDiff},
		{"1985-03-07", "", lvlMissing},
	}
	for _, tt := range tests {
		if got := compareDOB(parseDate(tt.a), parseDate(tt.b)); got != tt.want {
			t.Errorf("compareDOB(%s, %s) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestPostcodeLevels(t *testing.T) {
	tests := []struct {
		a, b string
		want uint8
	}{
		{"LS1 4AB", "ls14ab", pcExact},
		{"LS1 4AB", "LS1 4AD", pcClose},   // same sector
		{"LS1 4AB", "LS1 7ZZ", pcOutward}, // same outward code
		{"LS1 4AB", "LS14 4AB", pcClose},  // one character
		{"LS1 4AB", "M1 1AE", pcDiff},
		{"2119", "2191", pcClose},
		{"2119", "3000", pcDiff},
		{"", "LS1 4AB", lvlMissing},
	}
	for _, tt := range tests {
		if got := comparePostcode(parsePostcode(tt.a), parsePostcode(tt.b)); got != tt.want {
			t.Errorf("comparePostcode(%s, %s) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestAddressLevels(t *testing.T) {
	tests := []struct {
		a, b []string
		want uint8
	}{
		{[]string{"12 High Street", "Leeds"}, []string{"12 HIGH ST", "LEEDS"}, addrExact},
		{[]string{"7 pridham street", "milton"}, []string{"7 pridhamstreet", "milton"}, addrHigh},
		{[]string{"Flat 3", "12 High Street", "Leeds"}, []string{"12 High Street", "Leeds"}, addrHigh},
		{[]string{"12 High Street", "Leeds"}, []string{"12 High Street", "York"}, addrSome},
		{[]string{"12 High Street", "Leeds"}, []string{"3 Mill Lane", "York"}, addrDiff},
		{nil, []string{"3 Mill Lane"}, lvlMissing},
	}
	for _, tt := range tests {
		if got := compareAddress(addressTokens(tt.a), addressTokens(tt.b)); got != tt.want {
			t.Errorf("compareAddress(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestIdentifierLevels(t *testing.T) {
	id := func(sys, v string) []Identifier { return []Identifier{{System: sys, Value: normaliseID(v)}} }
	tests := []struct {
		name string
		a, b []Identifier
		want uint8
	}{
		{"same", id("mrn", "A123"), id("mrn", "a 123"), lvlSame},
		{"keying error", id("mrn", "8520720"), id("mrn", "8529720"), lvlNear},
		{"transposed digits", id("mrn", "2211117"), id("mrn", "2211171"), lvlNear},
		{"consecutive: twins registered together", id("mrn", "1000457"), id("mrn", "1000458"), lvlFar},
		{"different", id("mrn", "1000457"), id("mrn", "5554444"), lvlFar},
		{"other systems", id("mrn", "1"), id("gp", "1"), lvlMissing},
	}
	for _, tt := range tests {
		if got := compareIdentifiers(tt.a, tt.b); got != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestOneEdit(t *testing.T) {
	for _, p := range [][2]string{{"abc", "abc"}, {"abc", "abd"}, {"abc", "acb"}, {"abc", "ab"}, {"abc", "xabc"}, {"", "a"}} {
		if !oneEdit(p[0], p[1]) || !oneEdit(p[1], p[0]) {
			t.Errorf("oneEdit(%q, %q) = false", p[0], p[1])
		}
	}
	for _, p := range [][2]string{{"abc", "bca"}, {"abc", "a"}, {"abcd", "abdc1"}, {"emma", "ella"}} {
		if oneEdit(p[0], p[1]) || oneEdit(p[1], p[0]) {
			t.Errorf("oneEdit(%q, %q) = true", p[0], p[1])
		}
	}
}
