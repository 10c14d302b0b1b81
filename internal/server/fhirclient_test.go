package server_test

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"carerecord/internal/server/servertest"
)

// TestStandardFHIRClient drives a whole server with fhir-kit-client, a
// FHIR client from npm that knows nothing of carerecord
// (interop/fhirkit/crud.mjs): capability, CRUD, vread, conditional create,
// patch, search, history, paging, transaction and batch. It needs Node and
// `npm ci --prefix interop/fhirkit`; .ci/run provides both, and under
// CI=true their absence fails the test instead of skipping it.
func TestStandardFHIRClient(t *testing.T) {
	node, dir := npmClient(t, "interop/fhirkit", "fhir-kit-client")
	srv := servertest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "crud.mjs")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "FHIR_BASE="+srv.FHIR)
	out, err := cmd.CombinedOutput()
	t.Logf("fhir-kit-client against %s:\n%s", srv.FHIR, out)
	if err != nil {
		t.Fatalf("fhir-kit-client run failed: %v", err)
	}
}
