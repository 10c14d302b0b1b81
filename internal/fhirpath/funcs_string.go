package fhirpath

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"html"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// String functions. Positions and lengths count characters, not bytes.
func init() {
	register("indexOf", 1, 1, func(c *call) (Collection, error) {
		return strFunc2(c, func(s, sub string) (Collection, error) {
			i := strings.Index(s, sub)
			if i > 0 {
				i = utf8.RuneCountInString(s[:i])
			}
			return one(intValue(int64(i)))
		})
	})
	register("lastIndexOf", 1, 1, func(c *call) (Collection, error) {
		return strFunc2(c, func(s, sub string) (Collection, error) {
			i := strings.LastIndex(s, sub)
			if i > 0 {
				i = utf8.RuneCountInString(s[:i])
			}
			return one(intValue(int64(i)))
		})
	})
	register("substring", 1, 2, substring)
	register("startsWith", 1, 1, func(c *call) (Collection, error) {
		return strFunc2(c, func(s, p string) (Collection, error) { return boolResult(strings.HasPrefix(s, p)) })
	})
	register("endsWith", 1, 1, func(c *call) (Collection, error) {
		return strFunc2(c, func(s, p string) (Collection, error) { return boolResult(strings.HasSuffix(s, p)) })
	})
	register("contains", 1, 1, func(c *call) (Collection, error) {
		return strFunc2(c, func(s, p string) (Collection, error) { return boolResult(strings.Contains(s, p)) })
	})
	register("upper", 0, 0, func(c *call) (Collection, error) { return strFunc(c, strings.ToUpper) })
	register("lower", 0, 0, func(c *call) (Collection, error) { return strFunc(c, strings.ToLower) })
	register("trim", 0, 0, func(c *call) (Collection, error) { return strFunc(c, strings.TrimSpace) })
	register("length", 0, 0, func(c *call) (Collection, error) {
		s, ok, err := c.inputString()
		if err != nil || !ok {
			return nil, err
		}
		return one(intValue(int64(utf8.RuneCountInString(s))))
	})
	register("toChars", 0, 0, func(c *call) (Collection, error) {
		s, ok, err := c.inputString()
		if err != nil || !ok {
			return nil, err
		}
		var out Collection
		for _, r := range s {
			out = append(out, stringValue(string(r)))
		}
		return out, nil
	})
	register("replace", 2, 2, func(c *call) (Collection, error) {
		return strFunc3(c, func(s, a, b string) (Collection, error) { return one(stringValue(strings.ReplaceAll(s, a, b))) })
	})
	register("matches", 1, 1, func(c *call) (Collection, error) { return matches(c, false) })
	register("matchesFull", 1, 1, func(c *call) (Collection, error) { return matches(c, true) })
	register("replaceMatches", 2, 2, func(c *call) (Collection, error) {
		return strFunc3(c, func(s, pattern, repl string) (Collection, error) {
			if pattern == "" {
				return one(stringValue(s))
			}
			re, err := regexp.Compile("(?s)" + pattern)
			if err != nil {
				return nil, c.errorf("bad regular expression: %v", err)
			}
			return one(stringValue(re.ReplaceAllString(s, repl)))
		})
	})
	register("split", 1, 1, func(c *call) (Collection, error) {
		return strFunc2(c, func(s, sep string) (Collection, error) {
			var out Collection
			for _, p := range strings.Split(s, sep) {
				out = append(out, stringValue(p))
			}
			return out, nil
		})
	})
	register("join", 0, 1, func(c *call) (Collection, error) {
		sep, _, err := c.argString(0)
		if err != nil {
			return nil, err
		}
		parts := make([]string, 0, len(c.in))
		for _, v := range present(c.in) {
			if v.kind != KindString {
				return nil, c.errorf("the input must be Strings, found %s", v.TypeName())
			}
			parts = append(parts, v.s)
		}
		return one(stringValue(strings.Join(parts, sep)))
	})
	register("encode", 1, 1, func(c *call) (Collection, error) { return codec(c, true) })
	register("decode", 1, 1, func(c *call) (Collection, error) { return codec(c, false) })
	register("escape", 1, 1, func(c *call) (Collection, error) { return escape(c, true) })
	register("unescape", 1, 1, func(c *call) (Collection, error) { return escape(c, false) })
}

func strFunc(c *call, f func(string) string) (Collection, error) {
	s, ok, err := c.inputString()
	if err != nil || !ok {
		return nil, err
	}
	return one(stringValue(f(s)))
}

// strFunc2 applies f to the String input and a String argument; either
// empty gives empty.
func strFunc2(c *call, f func(s, a string) (Collection, error)) (Collection, error) {
	s, ok, err := c.inputString()
	if err != nil || !ok {
		return nil, err
	}
	a, ok, err := c.argString(0)
	if err != nil || !ok {
		return nil, err
	}
	return f(s, a)
}

func strFunc3(c *call, f func(s, a, b string) (Collection, error)) (Collection, error) {
	s, ok, err := c.inputString()
	if err != nil || !ok {
		return nil, err
	}
	a, ok, err := c.argString(0)
	if err != nil || !ok {
		return nil, err
	}
	b, ok, err := c.argString(1)
	if err != nil || !ok {
		return nil, err
	}
	return f(s, a, b)
}

func substring(c *call) (Collection, error) {
	s, ok, err := c.inputString()
	if err != nil || !ok {
		return nil, err
	}
	start, ok, err := c.argInt(0)
	if err != nil || !ok {
		return nil, err
	}
	r := []rune(s)
	if start < 0 || start >= int64(len(r)) {
		return nil, nil
	}
	end := int64(len(r))
	if c.hasArg(1) {
		n, ok, err := c.argInt(1)
		if err != nil {
			return nil, err
		}
		if ok {
			end = min(start+max(n, 0), end)
		}
	}
	return one(stringValue(string(r[start:end])))
}

// matches is a regular expression test: partial, or of the whole string.
// Dot matches newlines (single-line mode), as the specification requires.
func matches(c *call, full bool) (Collection, error) {
	return strFunc2(c, func(s, pattern string) (Collection, error) {
		if full {
			pattern = "^(?:" + pattern + ")$"
		}
		re, err := regexp.Compile("(?s)" + pattern)
		if err != nil {
			return nil, c.errorf("bad regular expression: %v", err)
		}
		return boolResult(re.MatchString(s))
	})
}

func codec(c *call, encode bool) (Collection, error) {
	return strFunc2(c, func(s, format string) (Collection, error) {
		var enc interface {
			EncodeToString([]byte) string
			DecodeString(string) ([]byte, error)
		}
		switch format {
		case "base64":
			enc = base64.StdEncoding
		case "urlbase64":
			enc = base64.URLEncoding
		case "hex":
			if encode {
				return one(stringValue(hex.EncodeToString([]byte(s))))
			}
			b, err := hex.DecodeString(s)
			if err != nil {
				return nil, nil
			}
			return one(stringValue(string(b)))
		default:
			return nil, c.errorf("unknown encoding %q", format)
		}
		if encode {
			return one(stringValue(enc.EncodeToString([]byte(s))))
		}
		b, err := enc.DecodeString(s)
		if err != nil {
			return nil, nil
		}
		return one(stringValue(string(b)))
	})
}

func escape(c *call, esc bool) (Collection, error) {
	return strFunc2(c, func(s, format string) (Collection, error) {
		switch format {
		case "html":
			if esc {
				return one(stringValue(htmlEscaper.Replace(s)))
			}
			return one(stringValue(html.UnescapeString(s)))
		case "json":
			if esc {
				var b strings.Builder
				e := json.NewEncoder(&b)
				e.SetEscapeHTML(false)
				_ = e.Encode(s)
				out := strings.TrimSuffix(b.String(), "\n")
				return one(stringValue(out[1 : len(out)-1]))
			}
			return one(stringValue(unescapeJSON(s)))
		}
		return nil, c.errorf("unknown escape format %q", format)
	})
}

var htmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#39;")

// unescapeJSON replaces the JSON string escapes in s; other text is kept.
func unescapeJSON(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 >= len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		switch c := s[i]; c {
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			if i+4 < len(s) {
				if n, err := strconv.ParseUint(s[i+1:i+5], 16, 32); err == nil {
					b.WriteRune(rune(n))
					i += 4
					continue
				}
			}
			b.WriteString(`\u`)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
