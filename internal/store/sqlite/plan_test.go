package sqlite_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"carerecord/internal/search"
	"carerecord/internal/store"
	"carerecord/internal/store/sqlite"
)

// The searches of a clinician's view start from an index lookup, never a
// scan of every resource or version: a change that loses that (a planner
// choosing the wrong index once cost 15×) fails here. SQLite plans
// without statistics, so the plan does not depend on the data.
func TestSearchPlans(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	reg := search.NewRegistry(search.FHIRPath)
	// A resource of each parameter used below, so that each has a pid.
	for _, r := range []struct{ typ, id, body string }{
		{"Patient", "p", `{"resourceType":"Patient","id":"p","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000018"}]}`},
		{"Observation", "o", `{"resourceType":"Observation","id":"o","status":"final","category":[{"coding":[{"code":"vital-signs"}]}],"code":{"text":"x"},"subject":{"reference":"Patient/p"},"encounter":{"reference":"Encounter/e"},"effectiveDateTime":"2024-01-01"}`},
		{"Condition", "c", `{"resourceType":"Condition","id":"c","clinicalStatus":{"coding":[{"code":"active"}]},"subject":{"reference":"Patient/p"}}`},
	} {
		x, err := reg.Extract(r.typ, []byte(r.body))
		if err != nil {
			t.Fatal(err)
		}
		if err := st.Write(ctx, func(tx store.Tx) error {
			_, err := tx.Put(ctx, store.Put{Type: r.typ, ID: r.id, Body: []byte(r.body), Index: x})
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		typ, query string
		want       string // an index the plan must use
	}{
		{"Observation", "patient=Patient/p&category=vital-signs&_sort=-date&_count=50", "idx_ref_lookup"},
		{"Condition", "patient=Patient/p&clinical-status=active", "idx_ref_lookup"},
		{"Patient", "identifier=https://fhir.nhs.uk/Id/nhs-number|9990000018", "idx_token_lookup"},
		{"Observation", "subject:Patient.identifier=https://fhir.nhs.uk/Id/nhs-number|9990000018", "idx_token_lookup"},
		{"Patient", "_has:Condition:patient:clinical-status=active", "idx_token_lookup"},
		{"Observation", "_id=o,x", "PRIMARY KEY"},
	}
	for _, tc := range tests {
		t.Run(tc.typ+"?"+tc.query, func(t *testing.T) {
			vals, _ := url.ParseQuery(tc.query)
			q, _, err := search.Parse(reg, tc.typ, vals, true)
			if err != nil {
				t.Fatal(err)
			}
			plan, err := st.ExplainSearch(ctx, q, store.SearchOptions{Registry: reg})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("plan:\n%s", plan)
			if !strings.Contains(plan, tc.want) {
				t.Errorf("plan does not use %s:\n%s", tc.want, plan)
			}
			for _, line := range strings.Split(plan, "\n") {
				// SCAN p is the outer query reading the page it chose.
				scan := strings.HasPrefix(line, "SCAN ") && !strings.HasPrefix(line, "SCAN p")
				// A search of v by type alone walks every version of the type.
				if scan || strings.Contains(line, "(type=?)") {
					t.Errorf("plan scans a table: %q\n%s", line, plan)
				}
			}
		})
	}
}
