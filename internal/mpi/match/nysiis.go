package match

// nysiis returns the NYSIIS phonetic key of a folded name (lower-case ASCII
// letters; anything else is skipped), truncated to six letters as in the
// original. NYSIIS (New York State Identification and Intelligence System,
// R. L. Taft, "Name Search Techniques", 1970) was designed for matching
// person names in record linkage and keeps more of a name than Soundex:
// Catherine and Katherine share CATARA, Phillips and Filips share FALAP.
//
// This is our own implementation of the published rules, written for this
// package because no maintained Go library under a permissive licence
// offers a name phonetic code (see the README); the tests pin its outputs.
func nysiis(name string) string {
	var buf [32]byte
	w := buf[:0]
	for i := 0; i < len(name) && len(w) < len(buf); i++ {
		if c := name[i]; c >= 'a' && c <= 'z' {
			w = append(w, c-'a'+'A')
		}
	}
	if len(w) == 0 {
		return ""
	}
	// Rule 1: the start of the name.
	switch {
	case hasPrefix(w, "MAC"):
		w[1] = 'C'
	case hasPrefix(w, "KN"):
		w[0] = 'N'
	case w[0] == 'K':
		w[0] = 'C'
	case hasPrefix(w, "PH"), hasPrefix(w, "PF"):
		w[0], w[1] = 'F', 'F'
	case hasPrefix(w, "SCH"):
		w[1], w[2] = 'S', 'S'
	}
	// Rule 2: the end of the name.
	if n := len(w); n >= 2 {
		switch string(w[n-2:]) {
		case "EE", "IE":
			w = append(w[:n-2], 'Y')
		case "DT", "RT", "RD", "NT", "ND":
			w = append(w[:n-2], 'D')
		}
	}
	// Rules 3 to 6: the first letter stays; the rest are translated in
	// place, left to right, and a letter joins the key unless it repeats
	// the key's last letter.
	key := make([]byte, 1, len(w))
	key[0] = w[0]
	for i := 1; i < len(w); i++ {
		switch c := w[i]; {
		case c == 'E' && i+1 < len(w) && w[i+1] == 'V':
			w[i], w[i+1] = 'A', 'F'
		case isVowel(c):
			w[i] = 'A'
		case c == 'Q':
			w[i] = 'G'
		case c == 'Z':
			w[i] = 'S'
		case c == 'M':
			w[i] = 'N'
		case c == 'K':
			if i+1 < len(w) && w[i+1] == 'N' {
				w[i] = 'N'
			} else {
				w[i] = 'C'
			}
		case c == 'S' && i+2 < len(w) && w[i+1] == 'C' && w[i+2] == 'H':
			w[i+1], w[i+2] = 'S', 'S'
		case c == 'P' && i+1 < len(w) && w[i+1] == 'H':
			w[i], w[i+1] = 'F', 'F'
		case c == 'H' && (!isVowel(w[i-1]) || (i+1 < len(w) && !isVowel(w[i+1]))):
			w[i] = w[i-1]
		case c == 'W' && isVowel(w[i-1]):
			w[i] = w[i-1]
		}
		if w[i] != key[len(key)-1] {
			key = append(key, w[i])
		}
	}
	// Rules 7 to 9: the end of the key.
	if n := len(key); n > 1 && key[n-1] == 'S' {
		key = key[:n-1]
	}
	if n := len(key); n > 1 && key[n-2] == 'A' && key[n-1] == 'Y' {
		key = append(key[:n-2], 'Y')
	}
	if n := len(key); n > 1 && key[n-1] == 'A' {
		key = key[:n-1]
	}
	if len(key) > 6 {
		key = key[:6]
	}
	return string(key)
}

func isVowel(c byte) bool {
	return c == 'A' || c == 'E' || c == 'I' || c == 'O' || c == 'U'
}

func hasPrefix(w []byte, p string) bool {
	return len(w) >= len(p) && string(w[:len(p)]) == p
}
