package search

import (
	"slices"
	"strings"
)

// Type is a search parameter type.
type Type string

// The R4 search parameter types.
const (
	TypeNumber    Type = "number"
	TypeDate      Type = "date"
	TypeString    Type = "string"
	TypeToken     Type = "token"
	TypeReference Type = "reference"
	TypeComposite Type = "composite"
	TypeQuantity  Type = "quantity"
	TypeURI       Type = "uri"
	TypeSpecial   Type = "special"
)

func validType(t Type) bool {
	switch t {
	case TypeNumber, TypeDate, TypeString, TypeToken, TypeReference, TypeComposite, TypeQuantity, TypeURI, TypeSpecial:
		return true
	}
	return false
}

// Param is one search parameter definition: an official R4
// SearchParameter or a custom one added with Registry.Add. A *Param is
// immutable once registered; a Registry hands out the same pointer for a
// definition until Add replaces it.
type Param struct {
	Code        string
	URL         string
	Type        Type
	Base        []string // resource types (or "Resource", "DomainResource")
	Expression  string   // FHIRPath; "" for parameters the server implements itself (_text, _content, _list, near...)
	Targets     []string // reference: the resource types it may point at (any when empty)
	Components  []Component
	Comparators []Prefix   // as declared; empty means not declared
	Modifiers   []Modifier // as declared; empty means not declared
	Custom      bool       // added with Registry.Add
}

// Component is one part of a composite parameter: the definition of the
// parameter that gives its type and the expression, relative to the
// composite's element, that selects its value.
type Component struct {
	Definition string // canonical URL of a SearchParameter
	Expression string
}

// TargetsType reports whether a reference parameter may point at rt.
func (p *Param) TargetsType(rt string) bool {
	return len(p.Targets) == 0 || slices.Contains(p.Targets, rt)
}

// String is the parameter's URL, or its code when it has none.
func (p *Param) String() string {
	if p.URL != "" {
		return p.URL
	}
	return p.Code
}

// splitUnion splits a FHIRPath expression at its top-level "|" operators,
// leaving parenthesised groups, function arguments and string literals
// whole, and trims each part.
func splitUnion(expr string) []string {
	var parts []string
	depth, start := 0, 0
	inStr := false
	for i := 0; i < len(expr); i++ {
		c := expr[i]
		switch {
		case inStr:
			if c == '\\' {
				i++
			} else if c == '\'' {
				inStr = false
			}
		case c == '\'':
			inStr = true
		case c == '(' || c == '[':
			depth++
		case c == ')' || c == ']':
			depth--
		case c == '|' && depth == 0:
			parts = append(parts, strings.TrimSpace(expr[start:i]))
			start = i + 1
		}
	}
	return append(parts, strings.TrimSpace(expr[start:]))
}

// rootType is the resource type a union part starts with: "Observation"
// for "Observation.code" or "(Observation.value.ofType(Quantity))", ""
// when the part does not start with a capitalised name.
func rootType(part string) string {
	part = strings.TrimLeft(part, "( ")
	end := 0
	for end < len(part) && isNameByte(part[end]) {
		end++
	}
	name := part[:end]
	if name == "" || name[0] < 'A' || name[0] > 'Z' {
		return ""
	}
	return name
}

func isNameByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// expressionFor returns the parts of a parameter's expression that apply to
// resourceType: a multi-base parameter such as clinical-code is one union
// with a part per base; only that type's parts are evaluated. Parts that
// start with Resource or DomainResource, or with no type, apply to all.
func expressionFor(expr, resourceType string) string {
	parts := splitUnion(expr)
	if len(parts) == 1 {
		return expr
	}
	var keep []string
	for _, p := range parts {
		switch rootType(p) {
		case resourceType, "Resource", "DomainResource", "":
			keep = append(keep, p)
		}
	}
	return strings.Join(keep, " | ")
}

// resolveFilter finds the common pattern "X.where(resolve() is T)" and
// returns "X" and T, so that extraction keeps only references whose type
// is known to be T (from the reference itself or Reference.type) instead
// of asking the engine to resolve references it cannot see.
func resolveFilter(part string) (path, target string, ok bool) {
	const pre = ".where(resolve() is "
	i := strings.Index(part, pre)
	if i < 0 {
		return part, "", false
	}
	rest := part[i+len(pre):]
	j := strings.IndexByte(rest, ')')
	if j < 0 || strings.TrimSpace(rest[j+1:]) != "" {
		return part, "", false
	}
	return part[:i], strings.TrimSpace(rest[:j]), true
}
