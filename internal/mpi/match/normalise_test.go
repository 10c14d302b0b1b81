package match

import (
	"slices"
	"testing"
)

func TestFold(t *testing.T) {
	for in, want := range map[string]string{
		"O'Brien":        "obrien",
		"Smith-Jones":    "smith jones",
		"  ZOË  Ågren ":  "  zoe  agren ",
		"Łukasz Müßig":   "lukasz mussig",
		"van der Berg":   "van der berg",
		"D’Arcy":         "darcy",
		"Mary-Jane, Jr.": "mary jane  jr ",
	} {
		if got := fold(in); got != want {
			t.Errorf("fold(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNameTokens(t *testing.T) {
	got := nameTokens([]string{"Mrs Mary-Jane", "Ann"})
	if want := []string{"mary", "jane", "ann"}; !slices.Equal(got, want) {
		t.Errorf("nameTokens = %q, want %q", got, want)
	}
}

func TestParseDate(t *testing.T) {
	tests := []struct {
		in      string
		y, m, d int
	}{
		{"1985-03-07", 1985, 3, 7},
		{"1985-03-07T10:00:00Z", 1985, 3, 7},
		{"19850307", 1985, 3, 7},
		{"198503071230", 1985, 3, 7},
		{"07/03/1985", 1985, 3, 7}, // UK order: day first
		{"7.3.1985", 1985, 3, 7},
		{"1985-03", 1985, 3, 0},
		{"198503", 1985, 3, 0},
		{"1985", 1985, 0, 0},
		{"19681303", 1968, 13, 3}, // kept: a typo is still evidence
		{"", 0, 0, 0},
		{"unknown", 0, 0, 0},
		{"85-03-07", 0, 0, 0},
		{"1985-xx-07", 0, 0, 0},
	}
	for _, tt := range tests {
		d := parseDate(tt.in)
		if int(d.y) != tt.y || int(d.m) != tt.m || int(d.d) != tt.d {
			t.Errorf("parseDate(%q) = %d-%d-%d, want %d-%d-%d", tt.in, d.y, d.m, d.d, tt.y, tt.m, tt.d)
		}
	}
	if d := parseDate("1985-03-07"); string(d.digits[:]) != "19850307" || !d.full() {
		t.Errorf("digits %q", d.digits)
	}
}

func TestParsePostcode(t *testing.T) {
	tests := []struct{ in, full, outward, sector string }{
		{"ls1 4ab", "LS14AB", "LS1", "LS14"},
		{"SW1A 1AA", "SW1A1AA", "SW1A", "SW1A1"},
		{"M1 1AE", "M11AE", "M1", "M11"},
		{"B33 8TH", "B338TH", "B33", "B338"},
		{"CR2 6XH", "CR26XH", "CR2", "CR26"},
		{"DN55 1PT", "DN551PT", "DN55", "DN551"},
		{"2119", "2119", "", ""}, // FEBRL's Australian postcodes: no UK parts
		{"L1 ABC", "L1ABC", "", ""},
		{"", "", "", ""},
	}
	for _, tt := range tests {
		p := parsePostcode(tt.in)
		if p.full != tt.full || p.outward != tt.outward || p.sector != tt.sector {
			t.Errorf("parsePostcode(%q) = %+v, want {%s %s %s}", tt.in, p, tt.full, tt.outward, tt.sector)
		}
	}
}

func TestNormalisePhone(t *testing.T) {
	for in, want := range map[string]string{
		"+44 7700 900123":  "07700900123",
		"0044 7700 900123": "07700900123",
		"07700 900123":     "07700900123",
		"(0113) 496 0000":  "01134960000",
		"123":              "",
		"":                 "",
	} {
		if got := normalisePhone(in); got != want {
			t.Errorf("normalisePhone(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAddressWords(t *testing.T) {
	got := addressTokens([]string{"Flat 3", "12 High Street", "Leeds"})
	if want := []string{"12", "3", "high", "leeds"}; !slices.Equal(got, want) {
		t.Errorf("addressTokens = %q, want %q", got, want)
	}
	for in, want := range map[string]string{
		"Flat 3|12 High Street|Leeds": "12 hig",
		"7 wallaby place":             "7 wal",
		"the cottage|church lane":     "",
		"12 colebatchplace":           "12 col",
	} {
		if got := houseKey(splitBar(in)); got != want {
			t.Errorf("houseKey(%q) = %q, want %q", in, got, want)
		}
	}
}

func splitBar(s string) []string {
	var out []string
	for len(s) > 0 {
		i := 0
		for i < len(s) && s[i] != '|' {
			i++
		}
		out = append(out, s[:i])
		if i == len(s) {
			break
		}
		s = s[i+1:]
	}
	return out
}

func TestNYSIIS(t *testing.T) {
	// Pinned outputs of our implementation, checked by hand against the
	// published rules; the pairs on one line must share a code.
	for _, group := range [][]string{
		{"catherine", "katherine"},
		{"knight", "night"},
		{"macdonald", "mcdonald"},
		{"phillips", "filips"},
		{"johnson", "jonson"},
		{"brown", "browne"},
		{"stevens", "stephens"},
	} {
		want := nysiis(group[0])
		for _, n := range group[1:] {
			if got := nysiis(n); got != want {
				t.Errorf("nysiis(%q) = %q, want %q like %q", n, got, want, group[0])
			}
		}
	}
	for in, want := range map[string]string{
		"catherine": "CATARA", "smith": "SNAT", "schmidt": "SNAD", "knight": "NAGT",
		"phillips": "FALAP", "william": "WALAN", "jones": "JAN", "hughes": "HAG",
		"mitchell": "MATCAL", "wright": "WRAGT", "": "", "o brien": "OBRAN",
	} {
		if got := nysiis(in); got != want {
			t.Errorf("nysiis(%q) = %q, want %q", in, got, want)
		}
	}
	if nysiis("smith") == nysiis("jones") {
		t.Error("smith and jones share a code")
	}
}

func TestNicknames(t *testing.T) {
	for _, p := range [][2]string{{"bill", "william"}, {"peggy", "margaret"}, {"liz", "elizabeth"}, {"jack", "john"}, {"sandy", "alexandra"}} {
		if !nicknames(p[0], p[1]) || !nicknames(p[1], p[0]) {
			t.Errorf("%s and %s not nicknames", p[0], p[1])
		}
	}
	// A short form shared by two formal names does not make them one.
	for _, p := range [][2]string{{"alexander", "alexandra"}, {"william", "robert"}, {"emma", "emily"}} {
		if nicknames(p[0], p[1]) {
			t.Errorf("%s and %s are nicknames", p[0], p[1])
		}
	}
}
