package fhirpath

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"testing"
)

// A test helper: FHIR XML to FHIR JSON, driven by the R4 type tables, so
// the official suite's XML inputs can be evaluated as the JSON we store.
// It follows the FHIR XML rules: primitives carry a value attribute (and
// id/extension, which become the _name sibling), Extension.url is an
// attribute, repeating elements become arrays, resources inside contained,
// Bundle.entry.resource and Parameters.parameter.resource are wrapped in an
// element named by their type, and the narrative div is XHTML kept as text.

// xmlNode is one element of the parsed document.
type xmlNode struct {
	name  string
	attrs map[string]string
	kids  []*xmlNode
	raw   string // the element's own XML, for xhtml
	start int64  // offset of the start tag while parsing
}

func parseXMLTree(data []byte) (*xmlNode, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	var stack []*xmlNode
	var root *xmlNode
	for {
		start := d.InputOffset()
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			n := &xmlNode{name: t.Name.Local, attrs: map[string]string{}}
			for _, a := range t.Attr {
				if a.Name.Space == "" {
					n.attrs[a.Name.Local] = a.Value
				}
			}
			n.start = start
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.kids = append(p.kids, n)
			} else {
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			n := stack[len(stack)-1]
			n.raw = string(data[n.start:d.InputOffset()])
			stack = stack[:len(stack)-1]
		}
	}
	if root == nil {
		return nil, fmt.Errorf("no root element")
	}
	return root, nil
}

// fhirXMLToJSON converts a FHIR XML resource to its JSON form.
func fhirXMLToJSON(data []byte) ([]byte, error) {
	root, err := parseXMLTree(data)
	if err != nil {
		return nil, err
	}
	m, err := xmlResource(root)
	if err != nil {
		return nil, err
	}
	return json.Marshal(m)
}

func xmlResource(n *xmlNode) (map[string]any, error) {
	if model().types[n.name] == nil {
		return nil, fmt.Errorf("unknown resource type %s", n.name)
	}
	m, err := xmlComplex(n, n.name)
	if err != nil {
		return nil, err
	}
	m["resourceType"] = n.name
	return m, nil
}

// slot collects the values of one JSON member and of its _member sibling.
type slot struct {
	vals, exts []any
	repeats    bool
}

func xmlComplex(n *xmlNode, typ string) (map[string]any, error) {
	t := model().types[typ]
	if t == nil {
		return nil, fmt.Errorf("unknown type %s", typ)
	}
	m := map[string]any{}
	for _, a := range []string{"id", "url"} {
		if v, ok := n.attrs[a]; ok && t.elems[a] != nil {
			m[a] = v
		}
	}
	slots := map[string]*slot{}
	var order []string
	for _, k := range n.kids {
		e := t.elems[k.name]
		if e == nil {
			return nil, fmt.Errorf("%s has no element %s", typ, k.name)
		}
		s := slots[k.name]
		if s == nil {
			s = &slot{repeats: e.repeats}
			slots[k.name] = s
			order = append(order, k.name)
		}
		val, ext, err := xmlElement(k, e.typ)
		if err != nil {
			return nil, err
		}
		s.vals, s.exts = append(s.vals, val), append(s.exts, ext)
	}
	for _, name := range order {
		s := slots[name]
		hasVal, hasExt := false, false
		for i := range s.vals {
			hasVal = hasVal || s.vals[i] != nil
			hasExt = hasExt || s.exts[i] != nil
		}
		if !s.repeats {
			if hasVal {
				m[name] = s.vals[0]
			}
			if hasExt {
				m["_"+name] = s.exts[0]
			}
			continue
		}
		if hasVal {
			m[name] = s.vals
		}
		if hasExt {
			m["_"+name] = s.exts
		}
	}
	return m, nil
}

// xmlElement converts one element: its JSON value and, for a primitive, its
// _element object (nil when it has no id or extension).
func xmlElement(n *xmlNode, typ string) (val, ext any, err error) {
	switch {
	case typ == "xhtml":
		return n.raw, nil, nil
	case typ == "Resource":
		if len(n.kids) != 1 {
			return nil, nil, fmt.Errorf("%s should hold one resource", n.name)
		}
		r, err := xmlResource(n.kids[0])
		return r, nil, err
	}
	if _, prim := model().primitives[typ]; !prim {
		m, err := xmlComplex(n, typ)
		return m, nil, err
	}
	if v, ok := n.attrs["value"]; ok {
		switch typ {
		case "boolean":
			val = v == "true"
		case "integer", "positiveInt", "unsignedInt", "decimal":
			val = json.Number(strings.TrimSpace(v))
		default:
			val = v
		}
	}
	if _, ok := n.attrs["id"]; ok || len(n.kids) > 0 {
		e, err := xmlComplex(&xmlNode{name: n.name, attrs: map[string]string{"id": n.attrs["id"]}, kids: n.kids}, "Element")
		if err != nil {
			return nil, nil, err
		}
		if _, ok := n.attrs["id"]; !ok {
			delete(e, "id")
		}
		ext = e
	}
	return val, ext, nil
}

func TestFHIRXMLToJSON(t *testing.T) {
	in := `<Patient xmlns="http://hl7.org/fhir"><id value="p1"/>
	<text><status value="generated"/><div xmlns="http://www.w3.org/1999/xhtml"><p>Hi</p></div></text>
	<active value="true"/>
	<name><given value="A"/><given id="g2"><extension url="http://x"><valueString value="e"/></extension></given></name>
	<birthDate value="1974-12-25"><extension url="http://y"><valueDateTime value="1974-12-25T14:35:45-05:00"/></extension></birthDate>
	<contained><Organization><id value="o1"/></Organization></contained>
	<multipleBirthInteger value="2"/></Patient>`
	got, err := fhirXMLToJSON([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"_birthDate":{"extension":[{"url":"http://y","valueDateTime":"1974-12-25T14:35:45-05:00"}]},"active":true,"birthDate":"1974-12-25",` +
		`"contained":[{"id":"o1","resourceType":"Organization"}],"id":"p1","multipleBirthInteger":2,` +
		`"name":[{"_given":[null,{"extension":[{"url":"http://x","valueString":"e"}],"id":"g2"}],"given":["A",null]}],` +
		`"resourceType":"Patient","text":{"div":"\u003cdiv xmlns=\"http://www.w3.org/1999/xhtml\"\u003e\u003cp\u003eHi\u003c/p\u003e\u003c/div\u003e","status":"generated"}}`
	if string(got) != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}
