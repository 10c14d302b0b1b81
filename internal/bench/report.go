package bench

import (
	"fmt"
	"io"
	"runtime"
	"strings"
	"time"
)

// Goals from the foundation issue.
const (
	GoalImportRate = 20_000 // resources/s
	GoalCreateRate = 5_000  // creates/s with 32 clients
	GoalReadRate   = 20_000 // reads/s
	GoalReadP99    = 5 * time.Millisecond
	GoalRSS        = 300_000_000 // bytes while serving GoalRSSAt resources
	GoalRSSAt      = 1_000_000   // resources
)

// Row is one line of the README's benchmark table.
type Row struct {
	Name   string // what was measured, with the store
	Figure string // the measurement
	Goal   string // the target, with whether it was met; "—" when none
}

// Report is a set of rows measured on one machine.
type Report struct {
	Machine Machine
	Notes   []string // printed under the table
	Rows    []Row
}

// Write prints the machine, a Markdown table and the notes.
func (r *Report) Write(w io.Writer) {
	fmt.Fprintf(w, "\nMachine: %s\n\n", r.Machine)
	fmt.Fprintln(w, "| benchmark | figure | goal | machine |")
	fmt.Fprintln(w, "| --- | --- | --- | --- |")
	for _, row := range r.Rows {
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", cell(row.Name), cell(row.Figure), cell(row.Goal), cell(r.Machine.Short()))
	}
	if len(r.Notes) > 0 {
		fmt.Fprintln(w)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "- %s\n", n)
	}
}

func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// loadNote says how busy the machine was, when it was: other processes
// on the same cores make every figure lower.
func loadNote(before, after float64) string {
	if before < 0 || after < 0 {
		return ""
	}
	return fmt.Sprintf("Load average (1 min) was %.2f before the run and %.2f at its end. The benchmark alone brings it towards %d; a load before it started means other work shared the cores and the figures are understated.",
		before, after, runtime.GOMAXPROCS(0))
}

// goal renders a goal and whether this run met it.
func goal(text string, met bool) string {
	if met {
		return text + " ✔ met"
	}
	return text + " ✘ not met"
}

// latencyFigure describes a timed HTTP run.
func latencyFigure(r *Result) string {
	h := &r.Latency
	s := fmt.Sprintf("%s req/s; p50 %s, p90 %s, p99 %s, max %s; %s errors (%s requests in %.1f s)",
		thousands(r.Rate()), ms(h.Quantile(0.50)), ms(h.Quantile(0.90)), ms(h.Quantile(0.99)), ms(h.Max()),
		thousands(float64(r.Errors)), thousands(float64(r.OK+r.Errors)), r.Elapsed.Seconds())
	if c := r.CPUPerRequest(); c > 0 {
		s += fmt.Sprintf("; %s µs CPU/request", thousands(float64(c)/float64(time.Microsecond)))
	}
	return s
}

// CreateRow reports a create run.
func CreateRow(r *Result, store string) Row {
	row := Row{
		Name:   fmt.Sprintf("create Observation (~1 KB), %d clients%s", r.Clients, storeTag(store)),
		Figure: latencyFigure(r),
		Goal:   goal("≥ 5,000/s with 32 clients, every commit durable", r.Rate() >= GoalCreateRate && r.Errors == 0),
	}
	if r.Clients != 32 {
		row.Goal = "≥ 5,000/s with 32 clients (not comparable: other client count)"
	}
	return row
}

// ReadRow reports a read run over ids resources.
func ReadRow(r *Result, ids int, store string) Row {
	met := r.Rate() >= GoalReadRate && r.Latency.Quantile(0.99) < GoalReadP99 && r.Errors == 0
	return Row{
		Name:   fmt.Sprintf("read Observation by id, %d clients, %s ids%s", r.Clients, thousands(float64(ids)), storeTag(store)),
		Figure: latencyFigure(r),
		Goal:   goal("≥ 20,000 req/s, p99 < 5 ms", met),
	}
}

func storeTag(store string) string {
	if store == "" {
		return ""
	}
	return " [" + store + "]"
}

// ms formats a duration in milliseconds.
func ms(d time.Duration) string {
	return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
}

// mb formats bytes in megabytes (10^6, as the goals are written).
func mb(n int64) string {
	return fmt.Sprintf("%.0f MB", float64(n)/1e6)
}

// thousands formats f rounded to an integer with comma separators.
func thousands(f float64) string {
	n := int64(f + 0.5)
	if f < 0 {
		n = int64(f - 0.5)
	}
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
