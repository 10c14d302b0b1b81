package fhir

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"sync"

	"github.com/go-json-experiment/json/jsontext"
)

const (
	maxIssues = 50 // Validate stops after this many issues
	maxDepth  = 64 // deepest nesting of JSON objects Validate accepts
)

// Header is the type and id of a resource.
type Header struct {
	ResourceType string
	ID           string
}

// errStop aborts a walk: too many issues, or nesting too deep.
var errStop = errors.New("fhir: validation stopped")

// decOpts: duplicate member names are found by the validator itself, with
// a FHIRPath location, which is cheaper than the decoder's name tracking.
var decOpts = []jsontext.Options{jsontext.AllowDuplicateNames(true)}

// Validate checks that body is one FHIR R4 resource in JSON form: well
// formed, of a known resourceType, every element known at its path and of
// the right JSON kind and cardinality, primitive values of the right
// lexical form, required elements present, references well formed, and NHS
// numbers (UK Core identifier system) passing the modulus 11 check.
// Contained resources and Bundle entries are validated by their own type.
//
// It returns the top-level resourceType and id (on failure, as far as they
// could be read). A failure is an *Error with one issue per problem (at
// most 50), each with an IssueType code (structure, invalid, value,
// required, code-invalid) and a FHIRPath-style location such as
// Patient.name[0].given[1]. Diagnostics never quote values from body.
// Validate is safe for concurrent use and never panics.
func Validate(body []byte) (Header, error) {
	v := validatorPool.Get().(*validator)
	defer v.release()
	v.reset(body)
	err := v.run()
	var serr *jsontext.SyntacticError
	switch {
	case err == nil, errors.Is(err, errStop):
	case errors.As(err, &serr):
		v.issues = append(v.issues[:0], Issue{Severity: "error", Code: "structure",
			Diagnostics: fmt.Sprintf("malformed JSON at byte offset %d: %v", serr.ByteOffset, serr.Err)})
	default:
		v.issues = append(v.issues[:0], Issue{Severity: "error", Code: "structure",
			Diagnostics: fmt.Sprintf("malformed JSON at byte offset %d: %v", v.d.InputOffset(), err)})
	}
	h := v.hdr
	if len(v.issues) > 0 {
		return h, &Error{Issues: slices.Clone(v.issues)}
	}
	return h, nil
}

// frame is the state of one JSON object being validated.
type frame struct {
	t         *typeInfo
	bits      int // offset in validator.bits of three bitsets: seen, seen as _x, choice group used
	arrs      int // offset in validator.arrs of this object's primitive arrays
	members   int
	nhsSystem bool   // Identifier.system is the NHS number system
	nhsValue  string // diagnostics if Identifier.value is not a valid NHS number
}

// primArray records a repeating primitive array (or its _x sibling) so that
// nulls can be matched with the sibling at the end of the object.
type primArray struct {
	elem    int
	ext     bool
	n       int
	hasNull bool
}

type validator struct {
	d       *jsontext.Decoder
	top     jsontext.Decoder
	src     bytes.Buffer
	path    []byte
	frames  []frame
	bits    []uint64
	arrs    []primArray
	issues  []Issue
	scratch []byte
	hdr     Header
	m       *model
}

var validatorPool = sync.Pool{New: func() any { return new(validator) }}

func (v *validator) reset(body []byte) {
	v.src = *bytes.NewBuffer(body)
	v.top.Reset(&v.src, decOpts...)
	v.d = &v.top
	v.path = v.path[:0]
	v.frames = v.frames[:0]
	v.bits = v.bits[:0]
	v.arrs = v.arrs[:0]
	v.issues = v.issues[:0]
	v.hdr = Header{}
	v.m = r4()
}

func (v *validator) release() {
	v.src = bytes.Buffer{}
	v.top.Reset(&v.src) // drop the reference to body
	v.d = nil
	if cap(v.scratch) > 64<<10 {
		v.scratch = nil
	}
	validatorPool.Put(v)
}

// issue records a problem at the current path (plus suffix). It returns
// errStop once the cap is reached.
func (v *validator) issue(code, suffix, diag string) error {
	expr := string(v.path) + suffix
	is := Issue{Severity: "error", Code: code, Diagnostics: diag}
	if expr != "" {
		is.Expression = []string{expr}
	}
	v.issues = append(v.issues, is)
	if len(v.issues) >= maxIssues {
		return errStop
	}
	return nil
}

// peek returns the kind of the next token, or the decoder's error.
func (v *validator) peek() (jsontext.Kind, error) {
	if k := v.d.PeekKind(); k != 0 {
		return k, nil
	}
	_, err := v.d.ReadToken()
	if err == nil || err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return 0, err
}

// skip consumes the next value after an issue about it was recorded.
func (v *validator) skip(err error) error {
	if err != nil {
		return err
	}
	return v.d.SkipValue()
}

func (v *validator) run() error {
	k, err := v.peek()
	if err != nil {
		return err
	}
	if k != '{' {
		return v.issue("structure", "", "body must be a JSON object (a FHIR resource)")
	}
	if err := v.resource(); err != nil {
		return err
	}
	v.path = v.path[:0]
	if _, err := v.d.ReadToken(); err != io.EOF {
		if err != nil {
			return err
		}
		return v.issue("structure", "", "unexpected data after the resource")
	}
	return nil
}

// unquote returns the content of a raw JSON string, unescaping it into the
// scratch buffer if needed. The result is valid until the next call.
func (v *validator) unquote(raw jsontext.Value) ([]byte, error) {
	s := raw[1 : len(raw)-1]
	if bytes.IndexByte(s, '\\') < 0 {
		return s, nil
	}
	var err error
	v.scratch, err = jsontext.AppendUnquote(v.scratch[:0], raw)
	return v.scratch, err
}

func (v *validator) appendIndex(i int) {
	v.path = append(v.path, '[')
	v.path = strconv.AppendInt(v.path, int64(i), 10)
	v.path = append(v.path, ']')
}
