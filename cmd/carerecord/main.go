// Command carerecord is the shared care record: one binary that serves the
// FHIR API, runs the demo, imports data and checks its configuration.
// Everything lives in internal/; see internal/cli for the commands.
package main

import (
	"os"

	"carerecord/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr))
}
