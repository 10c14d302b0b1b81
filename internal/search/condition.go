package search

import (
	"strings"

	"carerecord/internal/fhir"
)

// condition reads one parameter name (with its modifier, chain or _has)
// and one value of its OR-list, for resource type rt.
func (p *parser) condition(rt, key, value string, depth int) (Condition, error) {
	if depth > maxChainDepth {
		return Condition{}, bad(key, "chains and _has nest at most %d deep", maxChainDepth)
	}
	if p.conditions++; p.conditions > maxConditions {
		return Condition{}, bad(key, "the request is too complex (more than %d conditions)", maxConditions)
	}
	if rest, ok := strings.CutPrefix(key, "_has:"); ok {
		return p.has(rt, key, rest, value, depth)
	}
	head, rest, chained := strings.Cut(key, ".")
	code, mod, _ := strings.Cut(head, ":")
	prm := p.lookup(rt, code)
	if prm == nil {
		return Condition{}, bad(key, "unknown search parameter %q for %s", code, typeName(rt))
	}
	if chained {
		return p.chain(rt, key, prm, mod, rest, value, depth)
	}
	c := Condition{Param: prm, Prefix: PrefixEq}
	if mod == string(ModMissing) {
		switch value {
		case "true", "false":
			c.Modifier, c.Missing = ModMissing, value == "true"
			return c, nil
		}
		return c, bad(key, "%q: :missing takes true or false", value)
	}
	if prm.Type == TypeReference && mod != "" && isResourceTypeName(mod) {
		if !prm.TargetsType(mod) {
			return c, bad(key, "%s cannot refer to %s", code, mod)
		}
		c.Value.TargetType = mod
	} else if mod != "" {
		c.Modifier = Modifier(mod)
		if !modifierAllowed(prm.Type, c.Modifier) {
			return c, bad(key, "modifier :%s is not allowed on %s parameters", mod, prm.Type)
		}
	}
	if prm.Type == TypeSpecial && prm.Code != "_list" {
		return c, bad(key, "the special parameter %s is not supported", prm.Code)
	}
	if err := p.value(&c, prm, value); err != nil {
		return c, bad(key, "%s", err.Error())
	}
	return c, nil
}

// modifierAllowed is the R4 table of modifiers by parameter type.
func modifierAllowed(t Type, m Modifier) bool {
	switch m {
	case ModNone:
		return true
	case ModExact, ModContains:
		return t == TypeString
	case ModText:
		return t == TypeToken || t == TypeReference
	case ModNot, ModIn, ModNotIn, ModOfType:
		return t == TypeToken
	case ModAbove, ModBelow:
		return t == TypeToken || t == TypeURI || t == TypeReference
	case ModIdentifier:
		return t == TypeReference
	}
	return false
}

// chain reads "ref[:Type].rest": rest is read against each type ref may
// point at that has the next parameter.
func (p *parser) chain(rt, key string, prm *Param, mod, rest, value string, depth int) (Condition, error) {
	c := Condition{Param: prm, Prefix: PrefixEq}
	if prm.Type != TypeReference {
		return c, bad(key, "%s is not a reference parameter and cannot be chained", prm.Code)
	}
	var candidates []string
	switch {
	case mod != "":
		if !isResourceTypeName(mod) || !prm.TargetsType(mod) {
			return c, bad(key, "%s cannot refer to %q", prm.Code, mod)
		}
		candidates = []string{mod}
	case len(prm.Targets) > 0:
		candidates = prm.Targets
	default:
		candidates = allResourceTypes()
	}
	next, _, _ := strings.Cut(rest, ".")
	next, _, _ = strings.Cut(next, ":")
	ch := &Chain{}
	var firstErr error
	for _, t := range candidates {
		if !strings.HasPrefix(rest, "_has:") && p.reg.Lookup(t, next) == nil {
			continue
		}
		sub, err := p.condition(t, rest, value, depth+1)
		if err != nil && p.conditions > maxConditions {
			return c, err
		}
		if err != nil {
			// A candidate type whose parameter of that name does not fit
			// (not a reference, another type) is left out; if every
			// candidate fails, the first failure is the answer.
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		ch.Targets = append(ch.Targets, ChainTarget{Type: t, Cond: sub})
	}
	if len(ch.Targets) == 0 {
		if firstErr != nil {
			return c, firstErr
		}
		return c, bad(key, "no type %s may refer to has a search parameter %q", prm.Code, next)
	}
	c.Chain = ch
	return c, nil
}

// has reads "_has:Type:refParam:rest".
func (p *parser) has(rt, key, spec, value string, depth int) (Condition, error) {
	typ, rest, ok1 := strings.Cut(spec, ":")
	ref, rest, ok2 := strings.Cut(rest, ":")
	if !ok1 || !ok2 || rest == "" {
		return Condition{}, bad(key, "_has takes _has:Type:reference:parameter")
	}
	if !isResourceTypeName(typ) {
		return Condition{}, bad(key, "%q is not a resource type", typ)
	}
	refp := p.reg.Lookup(typ, ref)
	if refp == nil || refp.Type != TypeReference {
		return Condition{}, bad(key, "%s is not a reference parameter of %s", ref, typ)
	}
	if rt != "" && !refp.TargetsType(rt) {
		return Condition{}, bad(key, "%s:%s cannot refer to %s", typ, ref, rt)
	}
	sub, err := p.condition(typ, rest, value, depth+1)
	if err != nil {
		return Condition{}, err
	}
	return Condition{Has: &Has{Type: typ, Param: refp, Cond: sub}}, nil
}

// allResourceTypes lists every R4 resource type, for reference parameters
// that may point at any.
var allResourceTypes = fhir.ResourceTypes
