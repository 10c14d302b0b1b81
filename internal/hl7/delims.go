package hl7

// Delimiters are a message's separator and escape characters, from MSH-1 and
// MSH-2 (or FHS/BHS-1 and -2). Truncation is 0 when MSH-2 has only the four
// characters of versions before 2.7.
type Delimiters struct {
	Field        byte
	Component    byte
	Repetition   byte
	Escape       byte
	Subcomponent byte
	Truncation   byte
}

// DefaultDelimiters are the ones nearly every sender uses: |^~\&.
var DefaultDelimiters = Delimiters{Field: '|', Component: '^', Repetition: '~', Escape: '\\', Subcomponent: '&'}

// EncodingCharacters returns MSH-2 for these delimiters, e.g. "^~\&".
func (d Delimiters) EncodingCharacters() string {
	b := []byte{d.Component, d.Repetition, d.Escape, d.Subcomponent}
	if d.Truncation != 0 {
		b = append(b, d.Truncation)
	}
	return string(b)
}

// validDelimiter reports whether c may serve as a delimiter: printable ASCII
// that is neither a letter, a digit nor a space, and not the double quote
// (which spells the HL7 null).
func validDelimiter(c byte) bool {
	switch {
	case c <= ' ' || c >= 0x7f, c == '"':
		return false
	case c >= '0' && c <= '9', c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z':
		return false
	}
	return true
}

// parseDelimiters reads the field separator and the encoding characters at
// the start of a header segment (MSH, FHS or BHS): seg[3] is the field
// separator and MSH-2 runs up to the next one. It returns the delimiters and
// which field is wrong (1 or 2) when they are invalid.
func parseDelimiters(seg []byte) (Delimiters, int, bool) {
	var d Delimiters
	if len(seg) < 4 || !validDelimiter(seg[3]) {
		return d, 1, false
	}
	d.Field = seg[3]
	enc := seg[4:]
	for i, c := range enc {
		if c == d.Field {
			enc = enc[:i]
			break
		}
	}
	if len(enc) == 5 && enc[2] == enc[3] && enc[2] == '\\' {
		// ^~\\& : the escape character written twice, as in a message
		// pasted from a program's source (two public corpora have it).
		// Read it as ^~\& rather than refuse the message; the message
		// keeps its bytes, and our acknowledgements say ^~\&.
		enc = []byte{enc[0], enc[1], enc[2], enc[4]}
	}
	if len(enc) < 4 || len(enc) > 5 {
		return d, 2, false
	}
	d.Component, d.Repetition, d.Escape, d.Subcomponent = enc[0], enc[1], enc[2], enc[3]
	if len(enc) == 5 {
		d.Truncation = enc[4]
	}
	// Every delimiter valid and all distinct, or a value could not say what
	// it means (with \ as both escape and subcomponent separator, is \F\ an
	// escape or two subcomponents?).
	all := []byte{d.Field, d.Component, d.Repetition, d.Escape, d.Subcomponent}
	if d.Truncation != 0 {
		all = append(all, d.Truncation)
	}
	for i, c := range all {
		if !validDelimiter(c) {
			return d, 2, false
		}
		for _, o := range all[:i] {
			if o == c {
				return d, 2, false
			}
		}
	}
	return d, 0, true
}
