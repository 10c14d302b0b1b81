package search

import (
	"carerecord/internal/fhirpath"
)

// FHIRPath is the Engine every real Registry uses: package fhirpath, the
// engine that passes the official R4 suite. (search may import fhirpath
// although both are layer 1: the one same-layer edge internal/deps_test.go
// allows here, because extraction is FHIRPath evaluation.) Tests may pass
// another Engine to NewRegistry.
var FHIRPath Engine = fhirpathEngine{}

// fhirpathEngine adapts package fhirpath to Engine.
type fhirpathEngine struct{}

var _ Engine = fhirpathEngine{}

func (fhirpathEngine) Compile(expr string) (Program, error) {
	e, err := fhirpath.Compile(expr)
	if err != nil {
		return nil, err
	}
	return fhirpathProgram{e}, nil
}

func (fhirpathEngine) Decode(resource []byte) (Node, error) {
	v, err := fhirpath.Decode(resource)
	if err != nil {
		return Node{}, err
	}
	return fhirpathNode(v), nil
}

type fhirpathProgram struct{ e *fhirpath.Expression }

func (p fhirpathProgram) Eval(context Node) ([]Node, error) {
	v, _ := context.Handle.(fhirpath.Value)
	c, err := p.e.EvaluateValue(fhirpath.Collection{v}, nil)
	if err != nil {
		return nil, err
	}
	out := make([]Node, 0, len(c))
	for _, v := range c {
		out = append(out, fhirpathNode(v))
	}
	return out, nil
}

func fhirpathNode(v fhirpath.Value) Node {
	n := Node{Type: v.FHIRType(), Handle: v}
	if v.Kind() == fhirpath.KindObject {
		n.Object = v.Object()
	} else if v.HasValue() {
		n.Text = v.String()
	}
	return n
}
