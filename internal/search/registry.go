package search

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"carerecord/internal/fhir"
)

// paramSpec is one row of the generated table r4Params.
type paramSpec struct {
	id, code, typ, base, expr, targets, comparators, modifiers string
	components                                                 []componentSpec
}

type componentSpec struct{ definition, expr string }

const r4URLPrefix = "http://hl7.org/fhir/SearchParameter/"

// r4 decodes the generated table once.
var r4 = sync.OnceValue(func() []*Param {
	out := make([]*Param, 0, len(r4Params))
	for _, s := range r4Params {
		p := &Param{
			Code: s.code, URL: r4URLPrefix + s.id, Type: Type(s.typ),
			Base: strings.Split(s.base, ","), Expression: s.expr,
		}
		if s.targets != "" && s.targets != "*" {
			p.Targets = strings.Split(s.targets, ",")
		}
		for _, c := range splitList(s.comparators) {
			p.Comparators = append(p.Comparators, Prefix(c))
		}
		for _, m := range splitList(s.modifiers) {
			p.Modifiers = append(p.Modifiers, Modifier(m))
		}
		for _, c := range s.components {
			p.Components = append(p.Components, Component{Definition: r4URLPrefix + c.definition, Expression: c.expr})
		}
		out = append(out, p)
	}
	return out
})

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// builtins are the parameters R4 defines in the search page rather than as
// SearchParameter resources; the store implements them.
var builtins = []*Param{
	{Code: "_list", URL: r4URLPrefix + "Resource-list", Type: TypeSpecial, Base: []string{"Resource"}},
}

// PatientCompartment returns the parameters of resourceType that put a
// resource in a Patient's compartment (from the official Patient
// CompartmentDefinition): a resource is in Patient/x's compartment when one
// of these reference parameters points at Patient/x. It returns nil for a
// type that is never in a Patient compartment (and for Patient itself,
// whose compartment is the resource with that id).
func PatientCompartment(resourceType string) []string {
	return splitList(patientCompartment[resourceType])
}

// Registry holds the search parameters the server knows: the official R4
// ones and those added with Add. It is safe for concurrent use.
//
// Version counts the changes: the store records, with each resource's
// index rows, the Version they were extracted under, and reindexes the
// types ChangedSince names when the version moves on.
type Registry struct {
	engine Engine

	mu      sync.RWMutex
	version uint64
	byType  map[string]map[string]*Param // base type -> code -> param
	byURL   map[string]*Param
	changed map[string]uint64 // base type -> version of its last change
	plans   map[string]*plan  // resource type -> compiled extraction plan
	progs   map[string]*compiled
}

// NewRegistry returns a registry of the official R4 search parameters that
// extracts with engine (the FHIRPath engine; see Engine). engine may be nil
// for a registry used only to parse requests.
func NewRegistry(engine Engine) *Registry {
	r := &Registry{
		engine:  engine,
		byType:  map[string]map[string]*Param{},
		byURL:   map[string]*Param{},
		changed: map[string]uint64{},
		plans:   map[string]*plan{},
		progs:   map[string]*compiled{},
	}
	for _, p := range r4() {
		r.put(p)
	}
	for _, p := range builtins {
		r.put(p)
	}
	return r
}

func (r *Registry) put(p *Param) {
	for _, b := range p.Base {
		m := r.byType[b]
		if m == nil {
			m = map[string]*Param{}
			r.byType[b] = m
		}
		m[p.Code] = p
		r.changed[b] = r.version
	}
	r.byURL[p.URL] = p
}

// Version is the number of changes since the registry was made (0 for the
// official parameters alone).
func (r *Registry) Version() uint64 {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.version
}

// ChangedSince reports whether the parameters of resourceType changed after
// version v (so its resources need reindexing).
func (r *Registry) ChangedSince(resourceType string, v uint64) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, b := range bases(resourceType) {
		if r.changed[b] > v {
			return true
		}
	}
	return false
}

// bases are the types whose parameters apply to resourceType, most
// specific first.
func bases(resourceType string) []string {
	switch resourceType {
	case "Bundle", "Binary", "Parameters", "Resource":
		return []string{resourceType, "Resource"}
	case "DomainResource":
		return []string{"DomainResource", "Resource"}
	}
	return []string{resourceType, "DomainResource", "Resource"}
}

// Lookup returns the parameter code of resourceType (including those
// defined on Resource and DomainResource), or nil.
func (r *Registry) Lookup(resourceType, code string) *Param {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.lookup(resourceType, code)
}

func (r *Registry) lookup(resourceType, code string) *Param {
	for _, b := range bases(resourceType) {
		if p := r.byType[b][code]; p != nil {
			return p
		}
	}
	return nil
}

// ByURL returns the parameter with the canonical URL, or nil.
func (r *Registry) ByURL(url string) *Param {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.byURL[url]
}

// Params lists the parameters of resourceType, sorted by code.
func (r *Registry) Params(resourceType string) []*Param {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.params(resourceType)
}

// params is Params with r.mu held.
func (r *Registry) params(resourceType string) []*Param {
	seen := map[string]bool{}
	var out []*Param
	for _, b := range bases(resourceType) {
		for code, p := range r.byType[b] {
			if !seen[code] {
				seen[code] = true
				out = append(out, p)
			}
		}
	}
	slices.SortFunc(out, func(a, b *Param) int { return strings.Compare(a.Code, b.Code) })
	return out
}

// ErrInvalidParameter is wrapped by Add's errors for a SearchParameter the
// registry cannot use.
var ErrInvalidParameter = errors.New("search: invalid SearchParameter")

// searchParameterJSON is the part of a SearchParameter resource Add reads.
type searchParameterJSON struct {
	ResourceType string   `json:"resourceType"`
	URL          string   `json:"url"`
	Code         string   `json:"code"`
	Base         []string `json:"base"`
	Type         string   `json:"type"`
	Expression   string   `json:"expression"`
	Target       []string `json:"target"`
	Comparator   []string `json:"comparator"`
	Modifier     []string `json:"modifier"`
	Component    []struct {
		Definition string `json:"definition"`
		Expression string `json:"expression"`
	} `json:"component"`
}

// Add registers a custom SearchParameter resource (JSON). It replaces a
// parameter with the same code on the same base, official or custom. The
// code, base types, type, target types and component definitions are
// checked, and the expression must compile with the registry's engine.
// Add moves Version on; the resources of the base types need reindexing.
func (r *Registry) Add(searchParameter []byte) (*Param, error) {
	var sp searchParameterJSON
	if err := json.Unmarshal(searchParameter, &sp); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidParameter, err)
	}
	p, err := r.checkCustom(sp)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range p.Components {
		if r.byURL[c.Definition] == nil {
			return nil, fmt.Errorf("%w: component definition %q is not a known SearchParameter", ErrInvalidParameter, c.Definition)
		}
	}
	r.version++
	r.put(p)
	clear(r.plans)
	return p, nil
}

// CheckParameter reports why Add would refuse a SearchParameter resource,
// without registering it: for refusing one before it is stored.
func (r *Registry) CheckParameter(searchParameter []byte) error {
	var sp searchParameterJSON
	if err := json.Unmarshal(searchParameter, &sp); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidParameter, err)
	}
	p, err := r.checkCustom(sp)
	if err != nil {
		return err
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, c := range p.Components {
		if r.byURL[c.Definition] == nil {
			return fmt.Errorf("%w: component definition %q is not a known SearchParameter", ErrInvalidParameter, c.Definition)
		}
	}
	return nil
}

var codePattern = func(s string) bool {
	if s == "" || len(s) > 64 || s[0] == '_' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isNameByte(c) && c != '-' {
			return false
		}
	}
	return true
}

func (r *Registry) checkCustom(sp searchParameterJSON) (*Param, error) {
	bad := func(format string, args ...any) (*Param, error) {
		return nil, fmt.Errorf("%w: "+format, append([]any{ErrInvalidParameter}, args...)...)
	}
	switch {
	case sp.ResourceType != "SearchParameter":
		return bad("resourceType is %q", sp.ResourceType)
	case !codePattern(sp.Code):
		return bad("code %q is not a name of letters, digits, '-' and '_' (not starting with '_')", sp.Code)
	case sp.URL == "":
		return bad("url is required")
	case len(sp.Base) == 0:
		return bad("base is required")
	case !validType(Type(sp.Type)) || sp.Type == string(TypeSpecial):
		return bad("type %q is not a search parameter type this server can index", sp.Type)
	case strings.TrimSpace(sp.Expression) == "":
		return bad("expression is required")
	case sp.Type == string(TypeComposite) && len(sp.Component) < 2:
		return bad("a composite needs at least two components")
	}
	for _, b := range sp.Base {
		if !fhir.IsResourceType(b) && b != "Resource" && b != "DomainResource" {
			return bad("base %q is not a resource type", b)
		}
	}
	for _, t := range sp.Target {
		if !fhir.IsResourceType(t) {
			return bad("target %q is not a resource type", t)
		}
	}
	p := &Param{
		Code: sp.Code, URL: sp.URL, Type: Type(sp.Type), Base: sp.Base,
		Expression: sp.Expression, Targets: sp.Target, Custom: true,
	}
	for _, c := range sp.Comparator {
		p.Comparators = append(p.Comparators, Prefix(c))
	}
	for _, m := range sp.Modifier {
		p.Modifiers = append(p.Modifiers, Modifier(m))
	}
	exprs := []string{p.Expression}
	for _, c := range sp.Component {
		if c.Definition == "" || c.Expression == "" {
			return bad("component without definition or expression")
		}
		p.Components = append(p.Components, Component{Definition: c.Definition, Expression: c.Expression})
		exprs = append(exprs, c.Expression)
	}
	if r.engine != nil {
		for _, e := range exprs {
			if _, err := r.engine.Compile(e); err != nil {
				return bad("expression %q: %v", e, err)
			}
		}
	}
	return p, nil
}
