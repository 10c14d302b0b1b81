#!/usr/bin/env bash
# The whole test suite: formatting, vet, staticcheck, and every test (with the
# race detector when a C compiler is present). This is the README's test
# command; .ci/run runs it too.
set -euo pipefail
cd "$(dirname "$0")/.."

STATICCHECK_VERSION=v0.8.2   # honnef.co/go/tools, fetched through the Go module proxy

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './data/*'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:"; echo "$unformatted"; exit 1
fi

echo "== go vet"
go vet ./...

echo "== staticcheck"
go run "honnef.co/go/tools/cmd/staticcheck@${STATICCHECK_VERSION}" ./...

echo "== go test"
race=-race
if ! command -v "${CC:-gcc}" >/dev/null 2>&1 && ! command -v cc >/dev/null 2>&1; then
  echo "note: no C compiler found, so running the tests without the race detector (install gcc for -race)"
  race=
fi
# Benchmarks run once each so they keep compiling; figures come from `carerecord bench`.
go test $race -count=1 -timeout 15m -bench=. -benchtime=1x -run . ./... "$@"
if [ -n "$race" ]; then
  # Searches over the Synthea sample against an independent oracle: too slow
  # under the race detector (it skips itself there), so once more without.
  echo "== go test (without -race): Synthea search oracle"
  go test -count=1 -timeout 5m -run 'TestSyntheaSearch' ./internal/store/sqlite/
fi
