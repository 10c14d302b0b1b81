package fhirapi

import (
	"carerecord/internal/search"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"

	"carerecord/internal/fhir"
	"carerecord/internal/store"
)

// lookup is what matching criteria needs; store.Store and store.Tx both
// provide it, and a transaction adds the Bundle's own entries on top.
type lookup interface {
	Read(ctx context.Context, typ, id string) (*store.Resource, error)
	FindByToken(ctx context.Context, typ, param, system, value string) ([]string, error)
}

// Search parameters the criteria understand. The search issue widens this.
const (
	paramID         = "_id"
	paramIdentifier = "identifier"
)

// ignoredParams never select resources: formatting and paging controls.
var ignoredParams = map[string]bool{"_format": true, "_pretty": true}

// criteria are search criteria as used by conditional interactions and the
// minimal search: terms are ANDed, the values within a term ORed.
type criteria struct {
	terms []term
}

type term struct {
	param  string // paramID or paramIdentifier
	values []tokenValue
}

// tokenValue is one token search value: "system|value", "|value" (no
// system) or "value" (any system).
type tokenValue struct {
	system   string
	value    string
	noSystem bool
}

func (c *criteria) empty() bool { return c == nil || len(c.terms) == 0 }

// parseCriteria reads criteria from query parameters. Parameters it does not
// support are returned in unknown (sorted) for the caller to refuse or warn
// about; values it cannot read are an error.
func parseCriteria(q url.Values) (c *criteria, unknown []string, err error) {
	c = &criteria{}
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if ignoredParams[k] {
			continue
		}
		if k != paramID && k != paramIdentifier {
			unknown = append(unknown, k)
			continue
		}
		for _, raw := range q[k] {
			t := term{param: k}
			for _, part := range search.SplitEscaped(raw, ',') {
				tv, err := parseToken(k, part)
				if err != nil {
					return nil, nil, err
				}
				t.values = append(t.values, tv)
			}
			c.terms = append(c.terms, t)
		}
	}
	return c, unknown, nil
}

// parseConditional reads criteria for a conditional interaction, where every
// parameter must be understood and at least one given.
func parseConditional(q url.Values, what string) (*criteria, error) {
	c, unknown, err := parseCriteria(q)
	if err != nil {
		return nil, err
	}
	if len(unknown) > 0 {
		return nil, errUnsupportedParams(unknown)
	}
	if c.empty() {
		return nil, newError(http.StatusBadRequest, "required", "",
			what+" needs search criteria (identifier or _id)")
	}
	return c, nil
}

// parseConditionalString is parseConditional for a header or request.url
// query such as "identifier=https://fhir.nhs.uk/Id/nhs-number|9990000018".
func parseConditionalString(s, what string) (*criteria, error) {
	if i := strings.IndexByte(s, '?'); i >= 0 && !strings.Contains(s[:i], "=") {
		s = s[i+1:] // "Patient?identifier=..." or "?identifier=..."
	}
	q, err := url.ParseQuery(s)
	if err != nil {
		return nil, newError(http.StatusBadRequest, "invalid", "", what+" is not a valid query string")
	}
	return parseConditional(q, what)
}

func errUnsupportedParams(names []string) error {
	return newError(http.StatusBadRequest, "not-supported", "",
		fmt.Sprintf("search parameter %s is not supported yet (supported: _id, identifier)", strings.Join(names, ", ")))
}

func parseToken(param, s string) (tokenValue, error) {
	if param == paramID {
		if s == "" {
			return tokenValue{}, newError(http.StatusBadRequest, "invalid", "", "_id needs a value")
		}
		return tokenValue{value: search.Unescape(s)}, nil
	}
	parts := search.SplitEscaped(s, '|')
	switch {
	case len(parts) == 1 && parts[0] != "":
		return tokenValue{value: search.Unescape(parts[0])}, nil
	case len(parts) == 2 && parts[1] != "":
		return tokenValue{system: search.Unescape(parts[0]), value: search.Unescape(parts[1]), noSystem: parts[0] == ""}, nil
	case len(parts) == 2 && parts[0] != "":
		return tokenValue{}, newError(http.StatusBadRequest, "not-supported", "",
			"identifier with a system and no value is not supported yet")
	}
	return tokenValue{}, newError(http.StatusBadRequest, "invalid", "",
		"identifier must be system|value, |value or value")
}

// match returns the sorted ids of current resources of typ that meet c.
func (c *criteria) match(ctx context.Context, look lookup, typ string) ([]string, error) {
	var result map[string]bool
	for _, t := range c.terms {
		set := map[string]bool{}
		for _, v := range t.values {
			ids, err := matchToken(ctx, look, typ, t.param, v)
			if err != nil {
				return nil, err
			}
			for _, id := range ids {
				set[id] = true
			}
		}
		if result == nil {
			result = set
			continue
		}
		for id := range result {
			if !set[id] {
				delete(result, id)
			}
		}
	}
	ids := make([]string, 0, len(result))
	for id := range result {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids, nil
}

func matchToken(ctx context.Context, look lookup, typ, param string, v tokenValue) ([]string, error) {
	if param == paramID {
		_, err := look.Read(ctx, typ, v.value)
		switch {
		case err == nil:
			return []string{v.value}, nil
		case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrGone):
			return nil, nil
		}
		return nil, fmt.Errorf("match _id: %w", err)
	}
	ids, err := look.FindByToken(ctx, typ, paramIdentifier, v.system, v.value)
	if err != nil {
		return nil, fmt.Errorf("match identifier: %w", err)
	}
	if !v.noSystem {
		return ids, nil
	}
	// "|value": only identifiers without a system. The index cannot say
	// "no system", so check the candidates' own identifiers.
	kept := ids[:0:0]
	for _, id := range ids {
		res, err := look.Read(ctx, typ, id)
		if err != nil {
			continue
		}
		for _, ident := range fhir.Identifiers(res.Body) {
			if ident.System == "" && ident.Value == v.value {
				kept = append(kept, id)
				break
			}
		}
	}
	return kept, nil
}

// matchOne applies conditional-interaction rules to criteria: the single
// match's id, "" for none, 412 for several.
func (c *criteria) matchOne(ctx context.Context, look lookup, typ, what string) (string, error) {
	ids, err := c.match(ctx, look, typ)
	if err != nil {
		return "", err
	}
	switch len(ids) {
	case 0:
		return "", nil
	case 1:
		return ids[0], nil
	}
	return "", errPrecondition(fmt.Sprintf("%s matched %d resources; the criteria must select one", what, len(ids)))
}

// Index is the search index written with a resource. Everything that
// writes resources outside the API (the demo loader) uses it, so the store
// holds the same index whichever way a resource came in.
func Index(reg *search.Registry, typ string, body []byte) (*search.Index, error) {
	return extractIndex(reg, typ, body)
}
