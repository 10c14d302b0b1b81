package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestGenerate runs the generator over miniature definitions in testdata
// and checks the emitted table.
func TestGenerate(t *testing.T) {
	params, err := readParams(filepath.Join("testdata", "search-parameters.json"))
	if err != nil {
		t.Fatal(err)
	}
	comp, err := readCompartment(filepath.Join("testdata", "compartmentdefinition-patient.json"))
	if err != nil {
		t.Fatal(err)
	}
	src, err := generate(params, comp)
	if err != nil {
		t.Fatal(err)
	}
	code := string(src)
	for _, want := range []string{
		"// r4Params are the 5 official R4 search parameters, by id.",
		`{"Thing-any", "any", "reference", "Thing", "Thing.any", "*", "", "", nil},`,
		`{"Thing-code", "code", "token", "Thing", "Thing.code", "", "", "", nil},`,
		`{"Thing-code-when", "code-when", "composite", "Thing", "Thing", "", "", "", []componentSpec{{"Thing-code", "code"}, {"Thing-when", "when"}}},`,
		`{"Thing-owner", "owner", "reference", "Thing", "Thing.owner", "Patient,Thing", "", "", nil},`,
		`{"Thing-when", "when", "date", "Thing", "Thing.when", "", "eq,ne", "", nil},`,
		`"Thing":   "owner,any",`,
	} {
		if !strings.Contains(code, want) {
			t.Errorf("generated code lacks %s\n%s", want, code)
		}
	}
	for _, unwanted := range []string{"Later", "not-a-parameter", `"Other"`} {
		if strings.Contains(code, unwanted) {
			t.Errorf("generated code has %s", unwanted)
		}
	}
}

func TestCheckRejects(t *testing.T) {
	good := searchParameter{ID: "T-x", URL: urlPrefix + "T-x", Code: "x", Base: []string{"T"}, Type: "token"}
	if err := check(good); err != nil {
		t.Fatal(err)
	}
	for name, mod := range map[string]func(*searchParameter){
		"no code":       func(p *searchParameter) { p.Code = "" },
		"foreign url":   func(p *searchParameter) { p.URL = "http://example.org/x" },
		"no base":       func(p *searchParameter) { p.Base = nil },
		"unknown type":  func(p *searchParameter) { p.Type = "fuzzy" },
		"foreign comp.": func(p *searchParameter) { p.Component = append(p.Component, component{"http://x", "a"}) },
	} {
		p := good
		mod(&p)
		if err := check(p); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
