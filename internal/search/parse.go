package search

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// maxChainDepth bounds chains and nested _has (each link is a join), and
// maxConditions the conditions one request may expand to (a chain without
// a type expands to one condition per candidate type).
const (
	maxChainDepth = 4
	maxConditions = 2000
)

// Parse reads a search request for resourceType ("" for a system-level
// search) into a Query. An unknown parameter, or one whose value or
// modifier is invalid, is dropped with a Warning when strict is false
// (Prefer: handling=lenient, the default) and makes Parse fail with an
// *Error naming it when strict is true. A parameter with an empty value is
// ignored. Parameters are read in sorted order, so the result does not
// depend on map order.
func Parse(reg *Registry, resourceType string, query url.Values, strict bool) (*Query, []Warning, error) {
	p := &parser{reg: reg, q: &Query{ResourceType: resourceType, Count: -1}}
	if resourceType != "" && !isResourceTypeName(resourceType) {
		return nil, nil, &Error{Param: "", Reason: fmt.Sprintf("%q is not a resource type", resourceType)}
	}
	keys := make([]string, 0, len(query))
	for k := range query {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	// _type first: it says which types the other parameters are read against.
	if vs, ok := query["_type"]; ok {
		p.handle("_type", p.types(vs))
	}
	for _, k := range keys {
		if k == "_type" {
			continue
		}
		for _, v := range query[k] {
			if v == "" {
				continue
			}
			p.handle(k, p.param(k, v))
		}
	}
	if strict && len(p.warnings) > 0 {
		w := p.warnings[0]
		return nil, nil, &Error{Param: w.Param, Reason: w.Reason}
	}
	return p.q, p.warnings, nil
}

type parser struct {
	reg        *Registry
	q          *Query
	warnings   []Warning
	conditions int // made so far, against maxConditions
}

// handle records an error of one parameter as a warning (Parse turns the
// first into an error under strict handling).
func (p *parser) handle(key string, err error) {
	if err == nil {
		return
	}
	e, ok := err.(*Error)
	if !ok {
		e = &Error{Param: key, Reason: err.Error()}
	}
	e.Param = key // the parameter as given, not a link of its chain
	p.warnings = append(p.warnings, Warning(*e))
}

func bad(key, format string, args ...any) *Error {
	return &Error{Param: key, Reason: fmt.Sprintf(format, args...)}
}

// param reads one parameter occurrence.
func (p *parser) param(key, value string) error {
	switch key {
	case "_format", "_pretty":
		return nil
	case "_sort":
		return p.sort(value)
	case "_count":
		n, err := strconv.Atoi(value)
		if err != nil || n < 0 {
			return bad(key, "%q is not a count (a whole number, 0 or more)", value)
		}
		p.q.Count = n
		return nil
	case "_offset":
		n, err := strconv.Atoi(value)
		if err != nil || n < 0 {
			return bad(key, "%q is not an offset (a whole number, 0 or more)", value)
		}
		p.q.Offset = n
		return nil
	case "_cursor":
		p.q.Cursor = value
		return nil
	case "_total":
		switch t := Total(value); t {
		case TotalNone, TotalEstimate, TotalAccurate:
			p.q.Total = t
			return nil
		}
		return bad(key, "%q is not none, estimate or accurate", value)
	case "_summary":
		switch s := Summary(value); s {
		case SummaryTrue, SummaryText, SummaryData, SummaryCount, SummaryFalse:
			p.q.Summary = s
			return nil
		}
		return bad(key, "%q is not true, text, data, count or false", value)
	case "_elements":
		return p.elements(value)
	case "_include", "_include:iterate", "_include:recurse":
		inc, err := p.include(key, value, false)
		if err == nil {
			p.q.Include = append(p.q.Include, inc)
		}
		return err
	case "_revinclude", "_revinclude:iterate", "_revinclude:recurse":
		inc, err := p.include(key, value, true)
		if err == nil {
			p.q.RevInclude = append(p.q.RevInclude, inc)
		}
		return err
	case "_contained", "_containedType", "_query", "_filter", "_graph":
		return bad(key, "not supported by this server")
	}
	var clause Clause
	for _, part := range SplitEscaped(value, ',') {
		if part == "" {
			continue
		}
		c, err := p.condition(p.types1(), key, part, 0)
		if err != nil {
			return err
		}
		clause = append(clause, c)
	}
	if len(clause) > 0 {
		p.q.And = append(p.q.And, clause)
	}
	return nil
}

// types1 is the type a parameter is looked up on: the searched type, the
// only _type, or "Resource" for a search across types.
func (p *parser) types1() string {
	switch {
	case p.q.ResourceType != "":
		return p.q.ResourceType
	case len(p.q.Types) == 1:
		return p.q.Types[0]
	}
	return ""
}

func (p *parser) types(vs []string) error {
	if p.q.ResourceType != "" {
		return bad("_type", "only allowed in a search across all types")
	}
	for _, v := range vs {
		for _, t := range strings.Split(v, ",") {
			if t = strings.TrimSpace(t); t == "" {
				continue
			}
			if !isResourceTypeName(t) {
				return bad("_type", "%q is not a resource type", t)
			}
			if !slices.Contains(p.q.Types, t) {
				p.q.Types = append(p.q.Types, t)
			}
		}
	}
	return nil
}

// lookup finds a parameter for rt; rt "" (several or no _type) means the
// parameter must exist, with one type, on every type searched.
func (p *parser) lookup(rt, code string) *Param {
	if rt != "" {
		return p.reg.Lookup(rt, code)
	}
	if len(p.q.Types) == 0 {
		return p.reg.Lookup("DomainResource", code)
	}
	var first *Param
	for _, t := range p.q.Types {
		prm := p.reg.Lookup(t, code)
		if prm == nil || first != nil && prm.Type != first.Type {
			return nil
		}
		if first == nil {
			first = prm
		}
	}
	return first
}

func (p *parser) sort(value string) error {
	for _, k := range strings.Split(value, ",") {
		k = strings.TrimSpace(k)
		desc := strings.HasPrefix(k, "-")
		code := strings.TrimPrefix(k, "-")
		if code == "" {
			continue
		}
		prm := p.lookup(p.types1(), code)
		if prm == nil {
			return bad("_sort", "%q is not a search parameter of %s", code, typeName(p.types1()))
		}
		if prm.Type == TypeComposite || prm.Type == TypeSpecial {
			return bad("_sort", "cannot sort on %s (type %s)", code, prm.Type)
		}
		p.q.Sort = append(p.q.Sort, SortKey{Param: prm, Descending: desc})
	}
	return nil
}

func typeName(rt string) string {
	if rt == "" {
		return "every type searched"
	}
	return rt
}

func (p *parser) elements(value string) error {
	for _, e := range strings.Split(value, ",") {
		e = strings.TrimSpace(e)
		if i := strings.IndexByte(e, '.'); i >= 0 && isResourceTypeName(e[:i]) {
			e = e[i+1:]
		}
		if e == "" {
			continue
		}
		for i := 0; i < len(e); i++ {
			if !isNameByte(e[i]) {
				return bad("_elements", "%q is not an element name", e)
			}
		}
		if !slices.Contains(p.q.Elements, e) {
			p.q.Elements = append(p.q.Elements, e)
		}
	}
	return nil
}

// include reads Type:param[:targetType] (or "*", "Type:*").
func (p *parser) include(key, value string, rev bool) (Include, error) {
	inc := Include{Iterate: strings.HasSuffix(key, ":iterate") || strings.HasSuffix(key, ":recurse")}
	if value == "*" {
		if rev {
			return inc, bad(key, "a wildcard needs a source type (Type:*)")
		}
		inc.SourceType = p.q.ResourceType
		return inc, nil
	}
	parts := strings.Split(value, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return inc, bad(key, "%q is not Type:parameter or Type:parameter:targetType", value)
	}
	inc.SourceType = parts[0]
	if !isResourceTypeName(inc.SourceType) {
		return inc, bad(key, "%q is not a resource type", inc.SourceType)
	}
	if !rev && !inc.Iterate && p.q.ResourceType != "" && inc.SourceType != p.q.ResourceType && !slices.Contains(p.q.Types, inc.SourceType) {
		return inc, bad(key, "%s is not the type searched (use _include:iterate)", inc.SourceType)
	}
	if parts[1] == "*" {
		return inc, nil
	}
	inc.Param = p.reg.Lookup(inc.SourceType, parts[1])
	if inc.Param == nil || inc.Param.Type != TypeReference {
		return inc, bad(key, "%s is not a reference parameter of %s", parts[1], inc.SourceType)
	}
	if len(parts) == 3 {
		inc.TargetType = parts[2]
		if !isResourceTypeName(inc.TargetType) || !inc.Param.TargetsType(inc.TargetType) {
			return inc, bad(key, "%s:%s cannot refer to %q", inc.SourceType, parts[1], inc.TargetType)
		}
	}
	if rev && !inc.Iterate && p.q.ResourceType != "" && !inc.Param.TargetsType(p.q.ResourceType) {
		return inc, bad(key, "%s:%s cannot refer to %s", inc.SourceType, parts[1], p.q.ResourceType)
	}
	return inc, nil
}
