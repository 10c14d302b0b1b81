package search

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Normalize is the form string values are matched in: lower-cased, Latin
// diacritics removed (é→e, ß→ss, Ø→o, Æ→ae), punctuation kept, runs of
// white space collapsed to one space and trimmed. Search values and
// StringRow.Norm both go through it.
func Normalize(s string) string {
	if isPlainLower(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		if r < utf8.RuneSelf {
			if 'A' <= r && r <= 'Z' {
				r += 'a' - 'A'
			}
			b.WriteByte(byte(r))
			continue
		}
		if f, ok := folds[r]; ok {
			b.WriteString(f)
			continue
		}
		if unicode.Is(unicode.Mn, r) { // a combining accent (decomposed input)
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// isPlainLower reports whether s is already normal: ASCII, no upper case,
// single spaces, not at the ends.
func isPlainLower(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= utf8.RuneSelf, 'A' <= c && c <= 'Z', c == '\t', c == '\n', c == '\r', c == '\v', c == '\f':
			return false
		case c == ' ' && (i == 0 || i == len(s)-1 || s[i-1] == ' '):
			return false
		}
	}
	return true
}

// folds maps accented Latin letters (Latin-1 Supplement and Latin
// Extended-A) to their lower-case base letters.
var folds = func() map[rune]string {
	m := map[rune]string{}
	add := func(base string, letters string) {
		for _, r := range letters {
			m[r] = base
		}
	}
	add("a", "ÀÁÂÃÄÅàáâãäåĀāĂăĄą")
	add("ae", "Ææ")
	add("c", "ÇçĆćĈĉĊċČč")
	add("d", "ĎďĐđÐð")
	add("e", "ÈÉÊËèéêëĒēĔĕĖėĘęĚě")
	add("g", "ĜĝĞğĠġĢģ")
	add("h", "ĤĥĦħ")
	add("i", "ÌÍÎÏìíîïĨĩĪīĬĭĮįİı")
	add("ij", "Ĳĳ")
	add("j", "Ĵĵ")
	add("k", "Ķķĸ")
	add("l", "ĹĺĻļĽľĿŀŁł")
	add("n", "ÑñŃńŅņŇňŉŊŋ")
	add("o", "ÒÓÔÕÖØòóôõöøŌōŎŏŐő")
	add("oe", "Œœ")
	add("r", "ŔŕŖŗŘř")
	add("s", "ŚśŜŝŞşŠšſ")
	add("ss", "ß")
	add("t", "ŢţŤťŦŧ")
	add("th", "Þþ")
	add("u", "ÙÚÛÜùúûüŨũŪūŬŭŮůŰűŲų")
	add("w", "Ŵŵ")
	add("y", "ÝýÿŶŷŸ")
	add("z", "ŹźŻżŽž")
	return m
}()

// narrativeText is the text of a resource's narrative (text.div) without
// its XHTML tags, for _text; "" when there is none.
func narrativeText(resource map[string]any) string {
	div := str(obj(resource, "text"), "div")
	if div == "" {
		return ""
	}
	var b strings.Builder
	inTag := false
	for _, r := range div {
		switch {
		case r == '<':
			inTag = true
			b.WriteByte(' ')
		case r == '>':
			inTag = false
		case !inTag:
			b.WriteRune(r)
		}
	}
	t := strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">", "&quot;", `"`, "&#39;", "'", "&nbsp;", " ").Replace(b.String())
	return strings.Join(strings.Fields(t), " ")
}
