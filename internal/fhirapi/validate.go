package fhirapi

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"net/http"
	"strings"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"carerecord/internal/fhir"
)

// This file holds the $validate operation on a type and on an instance
// (http://hl7.org/fhir/R4/resource-operation-validate.html). The checks are
// the write path's own: fhir.Validate (R4 structure and the UK Core NHS
// number rule) and the type and id rules of newResourceOp; nothing is
// written.
//
// A request that could be validated answers 200 with an OperationOutcome,
// whether the resource is valid or not. A request that cannot be carried
// out (no resource, a malformed Parameters, an unknown mode, mode=delete of
// a resource that does not exist) is an error, mapped as every other.

// Validation modes (http://hl7.org/fhir/ValueSet/resource-validation-mode);
// "" is general validation.
const (
	modeCreate = "create"
	modeUpdate = "update"
	modeDelete = "delete"
)

// validateRequest is one $validate call, gathered from the URL, the query
// and the body.
type validateRequest struct {
	typ      string // resource type in the URL
	id       string // resource id in the URL; "" at type level
	resource []byte // the resource to validate; nil when none was sent
	mode     string
	profile  string
}

// validate: POST /T/$validate, POST /T/id/$validate and GET /T/id/$validate.
// GET validates the stored resource.
func (a *api) validate(w http.ResponseWriter, r *http.Request, typ string) error {
	req := &validateRequest{typ: typ, id: r.PathValue("id")}
	post := r.Method == http.MethodPost
	if req.id == "" && !post {
		w.Header().Set("Allow", http.MethodPost)
		return newError(http.StatusMethodNotAllowed, "not-supported", "",
			"$validate on a type takes the resource in a POST")
	}
	if req.id != "" && !fhir.ValidID(req.id) {
		return newError(http.StatusBadRequest, "invalid", typ+".id", "invalid resource id in the URL")
	}
	if err := req.readQuery(r); err != nil {
		return err
	}
	if post {
		body, err := a.readOptionalBody(w, r)
		if err != nil {
			return err
		}
		if err := req.readBody(body); err != nil {
			return err
		}
	}
	if err := req.checkMode(post); err != nil {
		return err
	}

	if req.mode == modeDelete || !post {
		// No further checks stand between an existing resource and its
		// delete: the store keeps no referential integrity rules.
		res, err := a.st.Read(r.Context(), typ, req.id)
		if err != nil {
			return err
		}
		if req.mode == modeDelete {
			writeOutcome(w, http.StatusOK, []fhir.Issue{allOK("the resource exists and may be deleted")})
			return nil
		}
		req.resource = res.Body
	}
	writeOutcome(w, http.StatusOK, req.check())
	return nil
}

// readQuery takes mode and profile from the URL. A value given again in a
// Parameters body must agree with it.
func (req *validateRequest) readQuery(r *http.Request) error {
	q := r.URL.Query()
	for _, name := range []string{"mode", "profile"} {
		if len(q[name]) > 1 {
			return newError(http.StatusBadRequest, "invalid", "", "the "+name+" parameter is given more than once")
		}
	}
	req.mode, req.profile = q.Get("mode"), q.Get("profile")
	return nil
}

// readOptionalBody reads a POST body that may be empty (mode=delete needs
// no resource). A non-empty body must be FHIR JSON.
func (a *api) readOptionalBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body, err := a.readRaw(w, r)
	if err != nil || len(bytes.TrimSpace(body)) == 0 {
		return nil, err
	}
	if ct := r.Header.Get("Content-Type"); ct != "" && !isJSONMedia(ct) {
		return nil, newError(http.StatusUnsupportedMediaType, "not-supported", "",
			"Content-Type must be application/fhir+json or application/json")
	}
	return body, nil
}

// readBody takes the body as the resource itself, or as a Parameters
// wrapping it. On Parameters/$validate a Parameters without a resource
// parameter is the resource to validate.
func (req *validateRequest) readBody(body []byte) error {
	if len(body) == 0 {
		return nil
	}
	if h, err := fhir.Peek(body); err != nil || h.ResourceType != "Parameters" {
		req.resource = body // not a wrapper: Validate reports what is wrong with it
		return nil
	}
	p, err := parseValidateParameters(body)
	if req.typ == "Parameters" && (err != nil || p.resource == nil) {
		req.resource = body
		return nil
	}
	if err != nil {
		return err
	}
	req.resource = p.resource
	if err := agree(&req.mode, p.mode, "mode"); err != nil {
		return err
	}
	return agree(&req.profile, p.profile, "profile")
}

// agree sets *v to the value from the Parameters body, unless the query
// already gave a different one.
func agree(v *string, fromBody, name string) error {
	switch {
	case fromBody == "":
	case *v != "" && *v != fromBody:
		return newError(http.StatusBadRequest, "invalid", "",
			"the "+name+" parameter differs between the URL and the Parameters body")
	default:
		*v = fromBody
	}
	return nil
}

// checkMode checks the mode is known and fits the level, and that a
// resource was sent when the mode needs one.
func (req *validateRequest) checkMode(post bool) error {
	switch req.mode {
	case "":
	case modeCreate:
		if req.id != "" {
			return newError(http.StatusBadRequest, "invalid", "",
				"mode create is for $validate on a type, not on an instance")
		}
	case modeUpdate, modeDelete:
		if req.id == "" {
			return newError(http.StatusBadRequest, "invalid", "",
				"mode "+req.mode+" is for $validate on an instance, not on a type")
		}
	default:
		return newError(http.StatusBadRequest, "code-invalid", "",
			"mode must be create, update or delete")
	}
	if post && req.resource == nil && req.mode != modeDelete {
		return newError(http.StatusBadRequest, "required", "",
			"no resource to validate: send it as the body or as the resource parameter of a Parameters")
	}
	return nil
}

// check validates req.resource and returns the issues to report: the
// validator's, then those of the mode and the profile, or one
// informational issue when there is no error or warning.
func (req *validateRequest) check() []fhir.Issue {
	hdr, err := fhir.Validate(req.resource)
	var issues []fhir.Issue
	if err != nil {
		var fe *fhir.Error
		if !errors.As(err, &fe) { // Validate returns only *fhir.Error; be safe
			fe = fhir.Errorf("structure", "", "the body is not a FHIR JSON resource")
		}
		issues = append(issues, fe.Issues...)
	}
	rt := hdr.ResourceType
	switch {
	case rt == "":
		rt = req.typ // Validate has reported the missing or unknown type
	case rt != req.typ:
		issues = append(issues, errorIssue("invalid", "resourceType",
			fmt.Sprintf("resourceType %s does not match the %s in the URL", rt, req.typ)))
	}
	issues = append(issues, req.idIssues(rt, hdr.ID, err == nil)...)
	issues = append(issues, profileIssues(req.profile, rt)...)
	for _, is := range issues {
		if is.Severity == "error" || is.Severity == "fatal" || is.Severity == "warning" {
			return issues
		}
	}
	return append(issues, allOK("no errors or warnings found"))
}

// idIssues applies the update rules of newResourceOp to the resource's id.
// Without a mode, an id that contradicts the URL is still an error.
func (req *validateRequest) idIssues(rt, id string, structureOK bool) []fhir.Issue {
	expr := rt + ".id"
	switch {
	case req.id == "":
		return nil
	case req.mode == modeUpdate && id == "":
		return []fhir.Issue{errorIssue("required", expr, "an update must carry the id given in the URL")}
	case id != "" && id != req.id:
		return []fhir.Issue{errorIssue("invalid", expr, "the resource id does not match the id in the URL")}
	case structureOK && id != "" && !fhir.ValidID(id):
		return []fhir.Issue{errorIssue("invalid", expr, "invalid resource id")}
	}
	return nil
}

// Profiles whose rules are the ones the validator applies: the base R4
// profile of each type, and the UK Core profile of the type (UK Core's own
// rule that is checked is the NHS number's; its other constraints are not,
// and the outcome says so).
const (
	baseProfilePrefix   = "http://hl7.org/fhir/StructureDefinition/"
	ukCoreProfilePrefix = "https://fhir.hl7.org.uk/StructureDefinition/UKCore-"
)

// profileSeverity is the severity of the issue for a profile that is not
// checked. The R4 operation says a server that cannot validate against a
// nominated profile SHALL return an error; carerecord warns instead, so that
// a client can still see the base R4 result.
const profileSeverity = "warning"

// profileIssues reports on the requested profile: nothing for the base R4
// profile of the type, a note for its UK Core profile, an error for a
// profile of another type, and a warning for any other profile.
func profileIssues(profile, rt string) []fhir.Issue {
	if profile == "" {
		return nil
	}
	url, version, _ := strings.Cut(profile, "|")
	if version != "" && version != "4.0.1" && strings.HasPrefix(url, baseProfilePrefix) {
		return []fhir.Issue{profileNotChecked(profile)}
	}
	if t, ok := strings.CutPrefix(url, baseProfilePrefix); ok && fhir.IsResourceType(t) {
		if t != rt {
			return []fhir.Issue{errorIssue("invalid", "",
				fmt.Sprintf("profile is the base profile of %s, not of %s", t, rt))}
		}
		return nil
	}
	if t, ok := strings.CutPrefix(url, ukCoreProfilePrefix); ok && t == rt {
		return []fhir.Issue{{Severity: "information", Code: "informational",
			Diagnostics: "profile UKCore-" + rt + ": checked against the base R4 definitions and the " +
				"UK Core NHS number rule only; its other constraints and bindings are not checked"}}
	}
	return []fhir.Issue{profileNotChecked(profile)}
}

func profileNotChecked(profile string) fhir.Issue {
	return fhir.Issue{Severity: profileSeverity, Code: "not-supported",
		Diagnostics: "profile " + profile + " is not known to this server and was not checked; " +
			"the resource was checked against the base R4 definitions only"}
}

func errorIssue(code, expression, diagnostics string) fhir.Issue {
	return fhir.Errorf(code, expression, diagnostics).Issues[0]
}

func allOK(detail string) fhir.Issue {
	return fhir.Issue{Severity: "information", Code: "informational", Diagnostics: "All OK: " + detail}
}

// validateParams is what $validate reads of a Parameters body.
type validateParams struct {
	resource      []byte
	mode, profile string
}

// parametersIn is the wire form of a Parameters body.
type parametersIn struct {
	Parameter []struct {
		Name           string         `json:"name"`
		Resource       jsontext.Value `json:"resource"`
		ValueCode      *string        `json:"valueCode"`
		ValueURI       *string        `json:"valueUri"`
		ValueCanonical *string        `json:"valueCanonical"`
	} `json:"parameter"`
}

// parametersDecoding leaves the wrapped resource's duplicate members and
// invalid UTF-8 to fhir.Validate, which reports them with a location.
var parametersDecoding = jsonv2.JoinOptions(
	jsontext.AllowDuplicateNames(true),
	jsontext.AllowInvalidUTF8(true),
)

// parseValidateParameters reads the resource, mode and profile parameters
// of a Parameters body. Other parameters, repeats and values of the wrong
// type are errors (400).
func parseValidateParameters(body []byte) (validateParams, error) {
	var in parametersIn
	var p validateParams
	if err := jsonv2.Unmarshal(body, &in, parametersDecoding); err != nil {
		return p, newError(http.StatusBadRequest, "structure", "", "the body is not a valid Parameters resource")
	}
	seen := map[string]bool{}
	for i, par := range in.Parameter {
		expr := fmt.Sprintf("Parameters.parameter[%d]", i)
		if seen[par.Name] {
			return p, newError(http.StatusBadRequest, "invalid", expr+".name", "parameter given more than once")
		}
		seen[par.Name] = true
		var need string // what the parameter lacks
		switch par.Name {
		case "resource":
			if par.Resource.Kind() != '{' {
				need = "a resource"
			}
			p.resource = []byte(par.Resource)
		case "mode":
			if par.ValueCode == nil {
				need = "a valueCode"
				break
			}
			p.mode = *par.ValueCode
		case "profile":
			v := cmp.Or(par.ValueURI, par.ValueCanonical)
			if v == nil {
				need = "a valueUri"
				break
			}
			p.profile = *v
		default:
			return p, newError(http.StatusBadRequest, "not-supported", expr+".name",
				"unknown parameter: $validate takes resource, mode and profile")
		}
		if need != "" {
			return p, newError(http.StatusBadRequest, "invalid", expr, "parameter "+par.Name+" needs "+need)
		}
	}
	return p, nil
}
