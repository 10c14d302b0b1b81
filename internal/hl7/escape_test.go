package hl7

import "testing"

func TestUnescape(t *testing.T) {
	d := DefaultDelimiters
	for _, tt := range []struct{ in, want string }{
		{"plain", "plain"},
		{`a\F\b`, "a|b"},
		{`\S\\T\\R\\E\`, `^&~\`},
		{`x\P\y`, `x\P\y`}, // no truncation character in MSH-2: kept
		{`\X0D0A\`, "\r\n"},
		{`\X41\\xab\`, `A\xab\`}, // lower-case x is not the hex escape
		{`\Xe9\`, "\xe9"},
		{`\X0\`, `\X0\`},   // odd digits: kept
		{`\XZZ\`, `\XZZ\`}, // not hex: kept
		{`\X\`, `\X\`},
		{`one\.br\two`, "one\ntwo"},
		{`\.sp2\\.in+4\\.ti-2\\.ce\\.fi\\.nf\\.sk3\`, `\.sp2\\.in+4\\.ti-2\\.ce\\.fi\\.nf\\.sk3\`},
		{`\H\bold\N\`, `\H\bold\N\`},
		{`\C2842\kanji\C2B42\`, `\C2842\kanji\C2B42\`},
		{`\M2442\x\`, `\M2442\x\`},
		{`\Zlocal\`, `\Zlocal\`},
		{`C:\MIME\file.pdf`, `C:\MIME\file.pdf`}, // unknown sequence: kept
		{`trailing\`, `trailing\`},
		{`open \F`, `open \F`},
		{`\\`, `\\`},
		{`\\F\`, `\\F\`},
	} {
		if got := Unescape(tt.in, d); got != tt.want {
			t.Errorf("Unescape(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	d.Truncation = '#'
	if got := Unescape(`x\P\y`, d); got != "x#y" {
		t.Errorf(`\P\ with truncation = %q`, got)
	}
}

func TestEscape(t *testing.T) {
	d := DefaultDelimiters
	for _, tt := range []struct{ in, want string }{
		{"plain text", "plain text"},
		{"a|b^c&d~e\\f", `a\F\b\S\c\T\d\R\e\E\f`},
		{"line\nbreak", `line\.br\break`},
		{"cr\r\nlf", `cr\X0D\\.br\lf`},
		{"", ""},
		{"#", "#"},
	} {
		got := Escape(tt.in, d)
		if got != tt.want {
			t.Errorf("Escape(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if back := Unescape(got, d); back != tt.in {
			t.Errorf("Unescape(Escape(%q)) = %q", tt.in, back)
		}
	}
	d.Truncation = '#'
	if got := Escape("#", d); got != `\P\` {
		t.Errorf("Escape(#) with truncation = %q", got)
	}
}

func FuzzEscape(f *testing.F) {
	f.Add("a|b^c&d~e\\f\r\n#")
	f.Add(`\X41\`)
	f.Fuzz(func(t *testing.T, s string) {
		for _, d := range []Delimiters{DefaultDelimiters, {Field: '#', Component: '$', Repetition: '*', Escape: '!', Subcomponent: '%', Truncation: '@'}} {
			e := Escape(s, d)
			if got := Unescape(e, d); got != s {
				t.Fatalf("Unescape(Escape(%q)) = %q", s, got)
			}
			for i := 0; i < len(e); i++ {
				if c := e[i]; c == d.Field || c == d.Component || c == d.Repetition || c == d.Subcomponent || c == '\r' || c == '\n' {
					t.Fatalf("Escape(%q) = %q holds a delimiter", s, e)
				}
			}
			_ = Unescape(s, d)
		}
	})
}
