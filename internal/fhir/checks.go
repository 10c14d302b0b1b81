package fhir

import "carerecord/internal/nhsnumber"

// This file holds the checks that go beyond an element's type: hooks on
// particular elements, and the checks run when an object ends.

// hook runs the checks some elements have beyond their type.
func (v *validator) hook(fi int, e *elemInfo, s []byte) error {
	switch e.hook {
	case hookReference:
		if msg := checkReference(s); msg != "" {
			return v.issue("invalid", "", msg)
		}
	case hookIdentSys:
		v.frames[fi].nhsSystem = string(s) == NHSNumberSystem
	case hookIdentValue:
		switch {
		case len(s) != 10 || !allDigits(s):
			v.frames[fi].nhsValue = "NHS number must be 10 digits without spaces"
		case !nhsnumber.Valid(string(s)):
			v.frames[fi].nhsValue = "NHS number fails the modulus 11 check"
		}
	}
	if fi == 0 && e.name == "id" {
		v.hdr.ID = string(s)
	}
	return nil
}

// endFrame runs the checks that need the whole object.
func (v *validator) endFrame(fi int) error {
	f := &v.frames[fi]
	t, off, w := f.t, f.bits, f.t.words
	if f.members == 0 {
		if err := v.issue("structure", "", "empty object is not allowed"); err != nil {
			return err
		}
	}
	for _, i := range t.required {
		e := &t.elems[i]
		present, name := v.bit(off, i) || v.bit(off+w, i), e.name
		if e.group >= 0 {
			present, name = v.bit(off+2*w, e.group), e.choice+"[x]"
		}
		if !present {
			if err := v.issue("required", "."+name, "missing required element"); err != nil {
				return err
			}
		}
	}
	if err := v.checkPrimArrays(fi); err != nil {
		return err
	}
	if t.extension && v.bit(off, v.m.extExtension) && v.bit(off+2*w, v.m.extValue) {
		if err := v.issue("invalid", "", "extension must have a value or nested extensions, not both"); err != nil {
			return err
		}
	}
	if f.nhsSystem && f.nhsValue != "" {
		return v.issue("value", ".value", f.nhsValue)
	}
	return nil
}

// checkPrimArrays matches the nulls of repeating primitive arrays with
// their _x siblings: a null must be paired with an extension, and both
// arrays must be of the same length.
func (v *validator) checkPrimArrays(fi int) error {
	f := &v.frames[fi]
	arrs := v.arrs[f.arrs:]
	for i, a := range arrs {
		var other *primArray
		for j := range arrs {
			if j != i && arrs[j].elem == a.elem && arrs[j].ext != a.ext {
				other = &arrs[j]
			}
		}
		name := f.t.elems[a.elem].name
		switch {
		case other == nil && a.hasNull && !a.ext:
			return v.issue("structure", "."+name, "null in a primitive array needs a matching _"+name+" entry")
		case other == nil && a.hasNull:
			return v.issue("structure", "._"+name, "null in _"+name+" needs a matching "+name+" value")
		case other != nil && a.ext && other.n != a.n:
			return v.issue("structure", "._"+name, "arrays "+name+" and _"+name+" differ in length")
		}
	}
	return nil
}
