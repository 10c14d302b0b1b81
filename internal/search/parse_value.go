package search

import (
	"errors"
	"fmt"
	"strings"
)

// SplitEscaped splits s at sep, except where sep is escaped with "\"; the
// parts keep their escapes.
func SplitEscaped(s string, sep byte) []string {
	var parts []string
	start := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case sep:
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	return append(parts, s[start:])
}

// Unescape removes the search escapes \, \| \$ \\ (a lone "\" stays).
func Unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			switch s[i+1] {
			case ',', '|', '$', '\\':
				i++
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

var prefixes = []Prefix{PrefixEq, PrefixNe, PrefixGt, PrefixLt, PrefixGe, PrefixLe, PrefixSa, PrefixEb, PrefixAp}

// cutPrefix splits a leading comparison prefix off a number, date or
// quantity value.
func cutPrefix(s string) (Prefix, string) {
	if len(s) > 2 {
		for _, p := range prefixes {
			if s[:2] == string(p) {
				return p, s[2:]
			}
		}
	}
	return PrefixEq, s
}

// value parses the value of a Condition by its parameter's type.
func (p *parser) value(c *Condition, prm *Param, raw string) error {
	var err error
	switch prm.Type {
	case TypeComposite:
		parts := SplitEscaped(raw, '$')
		if len(parts) != len(prm.Components) {
			return fmt.Errorf("%q: a %s value has %d parts separated by $", Unescape(raw), prm.Code, len(prm.Components))
		}
		c.Value.Raw = Unescape(raw)
		for i, part := range parts {
			def := p.reg.ByURL(prm.Components[i].Definition)
			if def == nil {
				return fmt.Errorf("component %d of %s is not defined", i+1, prm.Code)
			}
			var v Value
			pre, perr := parseValue(&v, def.Type, ModNone, part)
			if perr != nil {
				return perr
			}
			if pre != PrefixEq {
				c.Prefix = pre // the prefix of the composite's value component
			}
			c.Value.Components = append(c.Value.Components, v)
		}
		return nil
	case TypeReference:
		tt := c.Value.TargetType
		c.Prefix, err = parseValue(&c.Value, TypeReference, c.Modifier, raw)
		if err == nil && tt != "" && c.Value.TargetType != tt && c.Value.TargetType != "" {
			return fmt.Errorf("%q is not a %s reference", c.Value.Raw, tt)
		}
		if c.Value.TargetType == "" {
			c.Value.TargetType = tt
		}
		return err
	}
	if prm.Type != TypeNumber && prm.Type != TypeDate && prm.Type != TypeQuantity {
		_, err = parseValue(&c.Value, prm.Type, c.Modifier, raw)
		return err
	}
	if len(prm.Comparators) > 0 {
		pre, _ := cutPrefix(raw)
		if !prefixAllowed(prm, pre) {
			return fmt.Errorf("prefix %s is not allowed on %s", pre, prm.Code)
		}
	}
	c.Prefix, err = parseValue(&c.Value, prm.Type, c.Modifier, raw)
	return err
}

func prefixAllowed(prm *Param, pre Prefix) bool {
	for _, c := range prm.Comparators {
		if c == pre {
			return true
		}
	}
	return pre == PrefixEq
}

var errEmpty = errors.New("empty value")

// parseValue fills v from raw (escapes still in it) for a parameter of
// type t; it returns the prefix of a number, date or quantity.
func parseValue(v *Value, t Type, mod Modifier, raw string) (Prefix, error) {
	v.Raw = Unescape(raw)
	if v.Raw == "" {
		return PrefixEq, errEmpty
	}
	switch t {
	case TypeString:
		v.Str = Normalize(v.Raw)
	case TypeURI:
		v.Str = v.Raw
	case TypeSpecial:
		v.Str = v.Raw
	case TypeToken:
		return PrefixEq, parseToken(v, mod, raw)
	case TypeNumber:
		pre, rest := cutPrefix(v.Raw)
		n, err := ParseNumber(rest)
		if err != nil {
			return pre, fmt.Errorf("%q is not a number", v.Raw)
		}
		v.Number = n
		return pre, nil
	case TypeDate:
		pre, rest := cutPrefix(v.Raw)
		d, err := ParseDate(rest)
		if err != nil {
			return pre, fmt.Errorf("%q is not a date (YYYY, YYYY-MM, YYYY-MM-DD or a dateTime)", v.Raw)
		}
		v.Date = d
		return pre, nil
	case TypeQuantity:
		return parseQuantity(v, raw)
	case TypeReference:
		return PrefixEq, parseReferenceValue(v, mod, raw)
	default:
		return PrefixEq, fmt.Errorf("cannot search %s parameters", t)
	}
	return PrefixEq, nil
}

// parseToken reads code, |code, system|code or system| (and, with
// :of-type, typeSystem|typeCode|value).
func parseToken(v *Value, mod Modifier, raw string) error {
	switch mod {
	case ModText:
		v.Str = Normalize(v.Raw)
		return nil
	case ModIn, ModNotIn:
		v.Str = v.Raw // a ValueSet canonical
		return nil
	}
	parts := SplitEscaped(raw, '|')
	if mod == ModOfType {
		if len(parts) != 3 || parts[1] == "" || parts[2] == "" {
			return fmt.Errorf("%q: :of-type takes system|code|value", v.Raw)
		}
		v.TypeSystem, v.TypeCode, v.Code = Unescape(parts[0]), Unescape(parts[1]), Unescape(parts[2])
		return nil
	}
	switch len(parts) {
	case 1:
		v.Code = v.Raw
	case 2:
		v.HasSystem = true
		v.System, v.Code = Unescape(parts[0]), Unescape(parts[1])
		if v.System == "" && v.Code == "" {
			return fmt.Errorf("%q has neither system nor code", v.Raw)
		}
	default:
		return fmt.Errorf("%q: a token is code, system|code, |code or system|", v.Raw)
	}
	return nil
}

// parseQuantity reads [prefix]number[|system|code].
func parseQuantity(v *Value, raw string) (Prefix, error) {
	parts := SplitEscaped(raw, '|')
	if len(parts) != 1 && len(parts) != 3 {
		return PrefixEq, fmt.Errorf("%q: a quantity is number or number|system|code", v.Raw)
	}
	pre, num := cutPrefix(Unescape(parts[0]))
	n, err := ParseNumber(num)
	if err != nil {
		return pre, fmt.Errorf("%q: %q is not a number", v.Raw, num)
	}
	v.Number = n
	if len(parts) == 3 {
		v.System, v.Code = Unescape(parts[1]), Unescape(parts[2])
		v.HasSystem = v.System != ""
		if cc, cn, ok := Canonical(v.System, v.Code, n); ok {
			v.CanonicalCode, v.Canonical = cc, cn
		}
	}
	return pre, nil
}

// parseReferenceValue reads Type/id, id, an absolute URL or a canonical
// (url|version); with :identifier a token.
func parseReferenceValue(v *Value, mod Modifier, raw string) error {
	switch mod {
	case ModIdentifier:
		return parseToken(v, ModNone, raw)
	case ModText:
		v.Str = Normalize(v.Raw)
		return nil
	}
	if strings.Contains(v.Raw, ":") {
		v.URL, v.Version, _ = strings.Cut(v.Raw, "|")
		v.TargetType = urlType(v.URL)
		return nil
	}
	if !strings.Contains(v.Raw, "/") {
		v.TargetID = v.Raw
		return nil
	}
	typ, id, _, version := ParseReference(v.Raw)
	if typ == "" {
		return fmt.Errorf("%q is not Type/id, an id or an absolute URL", v.Raw)
	}
	v.TargetType, v.TargetID, v.Version = typ, id, version
	return nil
}
