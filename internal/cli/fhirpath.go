package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"carerecord/internal/fhirpath"
)

const fhirpathUsage = `usage: carerecord fhirpath EXPRESSION [FILE|-]

Evaluates a FHIRPath expression against a FHIR JSON resource read from FILE,
or from standard input when FILE is - or absent, and prints the result
collection as JSON. Exit 1 on a parse or evaluation error, 2 on bad usage.
`

// runFHIRPath implements "carerecord fhirpath EXPRESSION [FILE|-]".
func runFHIRPath(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
		fmt.Fprint(stdout, fhirpathUsage)
		return 0
	}
	if len(args) < 1 || len(args) > 2 || args[0] == "" {
		fmt.Fprint(stderr, fhirpathUsage)
		return 2
	}
	expr, err := fhirpath.Compile(args[0])
	if err != nil {
		fmt.Fprintf(stderr, "carerecord: %v\n", err)
		return 1
	}
	in, name := stdin, "standard input"
	if len(args) == 2 && args[1] != "-" {
		f, err := os.Open(args[1])
		if err != nil {
			fmt.Fprintf(stderr, "carerecord fhirpath: %v\n", err)
			return 1
		}
		defer f.Close()
		in, name = f, args[1]
	}
	resource, err := io.ReadAll(in)
	if err != nil {
		fmt.Fprintf(stderr, "carerecord fhirpath: read %s: %v\n", name, err)
		return 1
	}
	result, err := expr.Evaluate(resource, nil)
	if err != nil {
		fmt.Fprintf(stderr, "carerecord: %s: %v\n", name, err)
		return 1
	}
	out, err := json.MarshalIndent(result, "", "  ")
	if err != nil {
		fmt.Fprintf(stderr, "carerecord fhirpath: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "%s\n", out)
	return 0
}
