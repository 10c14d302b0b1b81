package fhirapi

import (
	"encoding/json"
	"net/http"
	"slices"
	"time"

	"carerecord/internal/fhir"
	"carerecord/internal/search"
)

// The interactions this package implements, as the CapabilityStatement
// names them. capability_test.go exercises each one for Patient, so a new
// claim here needs a test there.
var (
	typeInteractions = []string{
		"read", "vread", "update", "patch", "delete",
		"history-instance", "history-type", "create", "search-type",
	}
	systemInteractions = []string{"transaction", "batch", "history-system", "search-system"}
)

type capCode struct {
	Code string `json:"code"`
}

type capSearchParam struct {
	Name          string `json:"name"`
	Definition    string `json:"definition,omitempty"`
	Type          string `json:"type"`
	Documentation string `json:"documentation,omitempty"`
}

type capOperation struct {
	Name       string `json:"name"`
	Definition string `json:"definition"`
}

// typeOperations are the operations each resource type supports.
var typeOperations = []capOperation{
	{Name: "validate", Definition: "http://hl7.org/fhir/OperationDefinition/Resource-validate"},
}

// resourceOperations are a type's operations beyond typeOperations.
var resourceOperations = map[string][]capOperation{
	"Patient": {
		{Name: "everything", Definition: "http://hl7.org/fhir/OperationDefinition/Patient-everything"},
		{Name: "export", Definition: "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/patient-export"},
	},
	"Group": {{Name: "export", Definition: "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/group-export"}},
}

// systemOperations are the operations on the base.
var systemOperations = []capOperation{
	{Name: "export", Definition: "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export"},
}

type capResource struct {
	Type              string           `json:"type"`
	Interaction       []capCode        `json:"interaction"`
	Versioning        string           `json:"versioning"`
	ReadHistory       bool             `json:"readHistory"`
	UpdateCreate      bool             `json:"updateCreate"`
	ConditionalCreate bool             `json:"conditionalCreate"`
	ConditionalRead   string           `json:"conditionalRead"`
	ConditionalUpdate bool             `json:"conditionalUpdate"`
	ConditionalDelete string           `json:"conditionalDelete"`
	SearchParam       []capSearchParam `json:"searchParam"`
	Operation         []capOperation   `json:"operation,omitempty"`
}

const restDocumentation = "Search (GET and POST _search, type and system level) " +
	"supports every R4 SearchParameter listed per type, with prefixes, modifiers " +
	"(but :below/:above on tokens, which need a terminology server; :in and " +
	":not-in take ValueSets stored here that list their codes), chains, _has, " +
	"_include/_revinclude (:iterate), _sort, _total, _summary, _elements, _list, " +
	"_text and _content; _count pages with _cursor links (next, previous, first) " +
	"that stay right while data changes. SearchParameter resources written here " +
	"become searchable once their base types are reindexed (in the background). " +
	"Unknown parameters are refused under " +
	"Prefer: handling=strict and otherwise ignored with a warning. Conditional " +
	"create, update and delete accept _id and identifier. Delete is " +
	"idempotent: deleting a deleted or never-existing resource returns 204."

// capabilityStatement renders the server's CapabilityStatement once, at New.
func capabilityStatement(base, version string, now time.Time, reg *search.Registry) []byte {
	codes := func(names []string) []capCode {
		out := make([]capCode, len(names))
		for i, n := range names {
			out[i] = capCode{n}
		}
		return out
	}
	var resources []capResource
	for _, t := range fhir.ResourceTypes() {
		var params []capSearchParam
		for _, p := range reg.Params(t) {
			if p.Code == "_query" {
				continue // named queries: none defined
			}
			params = append(params, capSearchParam{Name: p.Code, Definition: p.URL, Type: string(p.Type)})
		}
		resources = append(resources, capResource{
			Type:              t,
			Interaction:       codes(typeInteractions),
			Versioning:        "versioned-update",
			ReadHistory:       true,
			UpdateCreate:      true,
			ConditionalCreate: true,
			ConditionalRead:   "not-supported",
			ConditionalUpdate: true,
			ConditionalDelete: "single",
			SearchParam:       params,
			Operation:         append(slices.Clone(typeOperations), resourceOperations[t]...),
		})
	}
	type named struct {
		Name    string `json:"name"`
		Version string `json:"version,omitempty"`
	}
	cs := struct {
		ResourceType   string   `json:"resourceType"`
		Status         string   `json:"status"`
		Date           string   `json:"date"`
		Publisher      string   `json:"publisher"`
		Kind           string   `json:"kind"`
		Software       named    `json:"software"`
		Implementation any      `json:"implementation"`
		FHIRVersion    string   `json:"fhirVersion"`
		Format         []string `json:"format"`
		PatchFormat    []string `json:"patchFormat"`
		Rest           []any    `json:"rest"`
		Instantiates   []string `json:"instantiates,omitempty"`
	}{
		Instantiates: []string{"http://hl7.org/fhir/uv/bulkdata/CapabilityStatement/bulk-data"},
		ResourceType: "CapabilityStatement",
		Status:       "active",
		Date:         instant(now),
		Publisher:    "carerecord",
		Kind:         "instance",
		Software:     named{"carerecord", version},
		Implementation: struct {
			Description string `json:"description"`
			URL         string `json:"url"`
		}{"carerecord FHIR R4 API", base},
		FHIRVersion: "4.0.1",
		Format:      []string{"json", "application/fhir+json"},
		PatchFormat: []string{mediaJSONPatch},
		Rest: []any{struct {
			Mode          string         `json:"mode"`
			Documentation string         `json:"documentation"`
			Resource      []capResource  `json:"resource"`
			Interaction   []capCode      `json:"interaction"`
			Operation     []capOperation `json:"operation,omitempty"`
		}{"server", restDocumentation, resources, codes(systemInteractions), systemOperations}},
	}
	b, err := json.Marshal(cs)
	if err != nil {
		panic("fhirapi: CapabilityStatement: " + err.Error()) // static data: cannot fail
	}
	return b
}

// metadata: GET /metadata.
func (a *api) metadata(w http.ResponseWriter, r *http.Request) error {
	w.WriteHeader(http.StatusOK)
	w.Write(a.capability)
	return nil
}
