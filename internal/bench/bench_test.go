package bench

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"carerecord/internal/server/servertest"
)

// short is a load small enough for a test: the figures are not checked,
// only that every request succeeded and was counted.
func short(url string) Load {
	return Load{BaseURL: url, Clients: 4, Duration: time.Second, MaxRequests: 20_000}
}

func checkRun(t *testing.T, res Result) {
	t.Helper()
	if res.OK == 0 {
		t.Errorf("%s: no successful requests", res.Name)
	}
	if res.Errors != 0 {
		t.Errorf("%s: %d errors, first: %q", res.Name, res.Errors, res.Problems)
	}
	if res.Latency.Count() != res.OK {
		t.Errorf("%s: %d latency samples for %d successes", res.Name, res.Latency.Count(), res.OK)
	}
}

func TestCreateAndReadAgainstAServer(t *testing.T) {
	srv := servertest.Start(t)
	ctx := context.Background()
	l := short(srv.FHIR)

	t.Run("create", func(t *testing.T) {
		res, err := l.Create(ctx)
		if err != nil {
			t.Fatal(err)
		}
		checkRun(t, res)
	})
	t.Run("read", func(t *testing.T) {
		res, err := l.Read(ctx, 50)
		if err != nil {
			t.Fatal(err)
		}
		checkRun(t, res)
	})
	t.Run("bulk load then read", func(t *testing.T) {
		b, err := l.BulkLoad(ctx, 250, 100, 2, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if b.Written != 250 || b.OK != 3 {
			t.Fatalf("bulk load wrote %d Observations in %d Bundles, want 250 in 3", b.Written, b.OK)
		}
		res, err := l.ReadBulk(ctx, &b)
		if err != nil {
			t.Fatal(err)
		}
		checkRun(t, res)
	})
}

func TestCommandRefusesRemoteTargets(t *testing.T) {
	var out, errOut bytes.Buffer
	code := Main(context.Background(), []string{"create", "--url", "http://192.0.2.10:8080/fhir", "--duration", "1s"}, &out, &errOut)
	if code != 1 || !strings.Contains(errOut.String(), "not a loopback address") {
		t.Fatalf("exit %d, stderr %q; want 1 and a loopback refusal", code, errOut.String())
	}
	if out.Len() != 0 {
		t.Errorf("printed a report for a refused target: %q", out.String())
	}
}

func TestCommandUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"no benchmark", nil, 2},
		{"help", []string{"--help"}, 0},
		{"unknown benchmark", []string{"delete"}, 2},
		{"bad flag", []string{"read", "--clients", "many"}, 2},
		{"stray argument", []string{"create", "extra"}, 2},
		{"no clients", []string{"create", "--clients", "0"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			if code := Main(context.Background(), tt.args, &out, &errOut); code != tt.code {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tt.code, errOut.String())
			}
		})
	}
}

func TestCommandCreatePrintsATableRow(t *testing.T) {
	srv := servertest.Start(t)
	var out, errOut bytes.Buffer
	args := []string{"create", "--url", srv.FHIR, "--clients", "2", "--duration", "500ms"}
	if code := Main(context.Background(), args, &out, &errOut); code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, errOut.String())
	}
	if !strings.Contains(out.String(), "| create Observation (~1 KB), 2 clients | ") ||
		!strings.Contains(out.String(), "; 0 errors (") {
		t.Errorf("stdout lacks the create row with zero errors:\n%s", out.String())
	}
}

func TestAllWithASmallLoad(t *testing.T) {
	o := AllOptions{
		Load:      Load{Clients: 2, Duration: 300 * time.Millisecond, MaxRequests: 5000},
		ReadIDs:   20,
		Resources: 300,
		Batch:     100,
	}
	rep, err := All(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"create Observation", "read Observation by id, 2 clients, 20 ids", "bulk load",
		"read Observation by id, 2 clients, 300 ids", "memory (RSS)", "bytes on disk per resource"}
	if len(rep.Rows) != len(want) {
		t.Fatalf("%d rows, want %d: %+v", len(rep.Rows), len(want), rep.Rows)
	}
	for i, w := range want {
		row := rep.Rows[i]
		if !strings.HasPrefix(row.Name, w) || !strings.HasSuffix(row.Name, "[SQLite]") {
			t.Errorf("row %d is %q, want %q ... [SQLite]", i, row.Name, w)
		}
		if strings.HasPrefix(row.Figure, "failed") || strings.HasPrefix(row.Figure, "n/a") {
			t.Errorf("row %q: %s", row.Name, row.Figure)
		}
	}
}

// The search benchmark runs every search it reports against a small
// population, each answered 200 (a search the server refuses shows as
// failed in its row).
func TestSearchBench(t *testing.T) {
	var progress bytes.Buffer
	rep, err := SearchBench(context.Background(), SearchOptions{
		Load:     Load{Clients: 2, Duration: 300 * time.Millisecond, MaxRequests: 200},
		Patients: 12, Progress: &progress,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Rows) != 7 {
		t.Fatalf("%d rows, want the load and 6 searches", len(rep.Rows))
	}
	for _, row := range rep.Rows {
		if strings.Contains(row.Figure, "failed") || strings.Contains(row.Figure, " 0 req/s") {
			t.Errorf("%s: %s", row.Name, row.Figure)
		}
		if !strings.Contains(row.Figure, " 0 errors") && row.Goal != "—" {
			t.Errorf("%s: errors: %s", row.Name, row.Figure)
		}
	}
}
