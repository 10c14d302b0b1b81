package bench

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestThousands(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{0, "0"},
		{999, "999"},
		{1000, "1,000"},
		{20_000.4, "20,000"},
		{999_999.5, "1,000,000"},
		{1_234_567, "1,234,567"},
		{-4321, "-4,321"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := thousands(tt.in); got != tt.want {
				t.Errorf("thousands(%v) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// timed makes a Result of ok requests in one second, each taking lat.
func timed(clients int, ok, errs int64, lat time.Duration) *Result {
	r := &Result{Clients: clients, OK: ok, Errors: errs, Elapsed: time.Second}
	for range ok {
		r.Latency.Record(lat)
	}
	return r
}

func TestGoalsMet(t *testing.T) {
	tests := []struct {
		name    string
		row     Row
		wantMet string
	}{
		{"fast reads", ReadRow(timed(32, 25_000, 0, time.Millisecond), 1000, "SQLite"), "✔ met"},
		{"reads too slow at p99", ReadRow(timed(32, 25_000, 0, 6*time.Millisecond), 1000, "SQLite"), "✘ not met"},
		{"too few reads", ReadRow(timed(32, 19_000, 0, time.Millisecond), 1000, "SQLite"), "✘ not met"},
		{"reads with errors", ReadRow(timed(32, 25_000, 1, time.Millisecond), 1000, "SQLite"), "✘ not met"},
		{"fast creates", CreateRow(timed(32, 6_000, 0, 5*time.Millisecond), "SQLite"), "✔ met"},
		{"slow creates", CreateRow(timed(32, 4_000, 0, 5*time.Millisecond), "SQLite"), "✘ not met"},
		{"creates with other clients", CreateRow(timed(8, 6_000, 0, 5*time.Millisecond), ""), "not comparable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(tt.row.Goal, tt.wantMet) {
				t.Errorf("goal %q, want it to say %q", tt.row.Goal, tt.wantMet)
			}
		})
	}
}

func TestReportWritesMarkdownRows(t *testing.T) {
	rep := Report{
		Machine: Machine{CPU: "Test CPU", Cores: 2, RAM: 24 << 30, Go: "go1.26 linux/amd64"},
		Notes:   []string{"shared cores"},
		Rows: []Row{
			ReadRow(timed(32, 1500, 0, 2*time.Millisecond), 1000, "SQLite"),
			{Name: "pipe | in name", Figure: "1", Goal: "—"},
		},
	}
	var out bytes.Buffer
	rep.Write(&out)
	text := out.String()
	for _, want := range []string{
		"Machine: Test CPU, 2 cores, 24 GiB RAM, go1.26 linux/amd64",
		"| benchmark | figure | goal | machine |",
		"| read Observation by id, 32 clients, 1,000 ids [SQLite] | 1,500 req/s; p50 2.00 ms, p90 2.00 ms, p99 2.00 ms, max 2.00 ms; 0 errors (1,500 requests in 1.0 s) |",
		`| pipe \| in name | 1 | — | Test CPU, 2 cores, 24 GiB |`,
		"- shared cores",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("report lacks %q:\n%s", want, text)
		}
	}
}
