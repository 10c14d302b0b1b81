package main

import (
	"go/format"
	"path/filepath"
	"strings"
	"testing"
)

// TestGenerate runs the generator over a miniature set of definitions in
// testdata and checks the emitted tables.
func TestGenerate(t *testing.T) {
	var sds []structureDefinition
	for _, f := range []string{"profiles-types.json", "profiles-resources.json"} {
		b, err := readBundle(filepath.Join("testdata", f))
		if err != nil {
			t.Fatal(err)
		}
		sds = append(sds, b...)
	}
	g := newGenerator()
	if err := g.run(sds); err != nil {
		t.Fatalf("run: %v", err)
	}
	if strings.Join(g.resources, ",") != "Thing" {
		t.Errorf("resources = %v, want only Thing (no abstract, no 4.3.0)", g.resources)
	}
	if strings.Join(g.primitives, ",") != "boolean,id,string,uri" {
		t.Errorf("primitives = %v", g.primitives)
	}
	src, err := format.Source(g.emit())
	if err != nil {
		t.Fatalf("emitted code does not parse: %v", err)
	}
	code := string(src)
	for _, want := range []string{
		`{"Resource", "", []elemSpec{` + "\n\t\t" + `{"id", "id", 0, false, ""},`,
		`{"DomainResource", "Resource", []elemSpec{` + "\n\t\t" + `{"extension", "Extension", 0, true, ""},`,
		`{"Thing", "DomainResource", []elemSpec{`,
		`{"status", "boolean", 1, false, ""},`,
		`{"deadBoolean", "boolean", 0, false, "dead"},`,
		`{"deadString", "string", 0, false, "dead"},`,
		`{"part", "Thing.part", 0, true, ""},`,
		`{"Thing.part", "BackboneElement", []elemSpec{` + "\n\t\t" + `{"label", "string", 0, false, ""},`,
		`{"part", "Thing.part", 0, true, ""},` + "\n\t}},",
		`{"Extension", "Element", []elemSpec{` + "\n\t\t" + `{"url", "uri", 1, false, ""},`,
		`{"valueString", "string", 0, false, "value"},`,
	} {
		if !strings.Contains(code, want) {
			t.Errorf("generated code lacks %q", want)
		}
	}
	for _, unwanted := range []string{`"gone"`, `"SimpleThing"`, `"Later"`, `"value[x]"`} {
		if strings.Contains(code, unwanted) {
			t.Errorf("generated code has %s", unwanted)
		}
	}
}

func TestGenerateRejectsUnknownType(t *testing.T) {
	b, err := readBundle(filepath.Join("testdata", "profiles-resources.json"))
	if err != nil {
		t.Fatal(err)
	}
	// Without profiles-types.json, Extension and boolean are unknown.
	if err := newGenerator().run(b); err == nil {
		t.Error("run accepted definitions with unknown types")
	}
}
