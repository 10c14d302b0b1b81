package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"time"

	"carerecord/internal/fhir"
	"carerecord/internal/search"
	"carerecord/internal/server"
	"carerecord/internal/store"
	"carerecord/internal/synthetic"
)

// Goals from the search issue.
const (
	GoalCompartmentRate = 5_000 // searches/s
	GoalCompartmentP99  = 10 * time.Millisecond
	GoalIdentifierRate  = 10_000 // searches/s
	GoalChainP99        = 25 * time.Millisecond
	GoalEverythingFirst = 30 * time.Millisecond
)

// SearchOptions configure SearchBench.
type SearchOptions struct {
	// Load sets clients, duration and request bound; SearchBench sets BaseURL.
	Load Load
	// DataDir holds the SQLite store; empty: a temporary folder, removed
	// at the end. A folder that already holds a store is searched as it is
	// (no new population), so one large store serves several runs.
	DataDir string
	// PostgresDSN selects the PostgreSQL store (a database of its own; the
	// population is left there and reused by the next run).
	PostgresDSN string
	// Patients is the synthetic population to generate (about 105
	// resources each; 10,000 patients make a store of a million).
	Patients int
	// Only, when set, runs just the searches whose name contains it.
	Only string
	// Progress receives a line as each step starts (nil: none).
	Progress io.Writer
	// Logger receives the server's logs (nil: discarded).
	Logger *slog.Logger
}

// samplePatient is what the searches pick from.
type samplePatient struct {
	id, nhs string
}

// SearchBench starts a server in this process over a synthetic population
// and times the searches a clinician's view makes: patient-compartment
// searches, identifier search, a chained search and an _include, and the
// first page of Patient/$everything.
func SearchBench(ctx context.Context, o SearchOptions) (*Report, error) {
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	dir, cleanup, err := dataFolder(o.DataDir, o.PostgresDSN)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	srv, stop, err := startServer(ctx, dir, AllOptions{PostgresDSN: o.PostgresDSN, Logger: o.Logger})
	if err != nil {
		return nil, err
	}
	defer stop()
	storeName := "SQLite"
	if o.PostgresDSN != "" {
		storeName = "PostgreSQL"
	}
	rep := &Report{Machine: ThisMachine()}
	st := srv.Store()
	total, _, err := st.(store.Stats).Count(ctx)
	if err != nil {
		return nil, err
	}
	if total == 0 {
		fmt.Fprintf(o.Progress, "bench: generating %d synthetic patients ...\n", o.Patients)
		start := time.Now()
		n, err := server.LoadSynthetic(ctx, st, search.NewRegistry(search.FHIRPath), synthetic.Options{
			Seed: 1, Patients: o.Patients, Now: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)})
		if err != nil {
			return nil, err
		}
		el := time.Since(start)
		rep.Rows = append(rep.Rows, Row{
			Name:   fmt.Sprintf("load and index %d synthetic patients in 2,000-resource transactions%s", o.Patients, storeTag(storeName)),
			Figure: fmt.Sprintf("%s resources/s (%s resources in %.1f s)", thousands(float64(n)/el.Seconds()), thousands(float64(n)), el.Seconds()),
			Goal:   "—",
		})
		total = int64(n)
	}
	patients, err := samplePatients(ctx, st, 5000)
	if err != nil {
		return nil, err
	}
	if len(patients) == 0 {
		return nil, errors.New("bench: the store holds no patients")
	}
	load := o.Load
	load.BaseURL = srv.URL() + "/fhir"
	if load, err = load.withDefaults(); err != nil {
		return nil, err
	}
	c := newClient(load.BaseURL, load.Clients)
	defer c.close()
	pick := func(w *worker) samplePatient { return patients[w.rnd.IntN(len(patients))] }
	const nhsSystem = "https://fhir.nhs.uk/Id/nhs-number"
	runs := []struct {
		name    string
		query   func(p samplePatient, r *rand.Rand) string
		goal    func(r *Result) string
		clients int // 0: load.Clients
	}{
		{"patient-compartment searches (vital signs by date, active conditions, active medication requests, in turn)",
			func(p samplePatient, r *rand.Rand) string {
				switch r.IntN(3) {
				case 0:
					return "/Observation?patient=Patient/" + p.id + "&category=vital-signs&_sort=-date&_count=50"
				case 1:
					return "/Condition?patient=Patient/" + p.id + "&clinical-status=active"
				}
				return "/MedicationRequest?patient=Patient/" + p.id + "&status=active"
			},
			func(r *Result) string {
				return goal("≥ 5,000/s, p99 < 10 ms", r.Rate() >= GoalCompartmentRate && r.Latency.Quantile(0.99) < GoalCompartmentP99 && r.Errors == 0)
			}, 0},
		{"Patient?identifier=nhs-number|N",
			func(p samplePatient, _ *rand.Rand) string {
				return "/Patient?identifier=" + url.QueryEscape(nhsSystem+"|"+p.nhs)
			},
			func(r *Result) string {
				return goal("≥ 10,000/s", r.Rate() >= GoalIdentifierRate && r.Errors == 0)
			}, 0},
		{"chained: Observation?subject:Patient.identifier=nhs-number|N&_count=50",
			func(p samplePatient, _ *rand.Rand) string {
				return "/Observation?subject:Patient.identifier=" + url.QueryEscape(nhsSystem+"|"+p.nhs) + "&_count=50"
			},
			func(r *Result) string {
				return goal("p99 < 25 ms", r.Latency.Quantile(0.99) < GoalChainP99 && r.Errors == 0)
			}, 0},
		{"_include: Observation?patient=P&_include=Observation:encounter&_count=50",
			func(p samplePatient, _ *rand.Rand) string {
				return "/Observation?patient=Patient/" + p.id + "&_include=Observation:encounter&_count=50"
			},
			func(r *Result) string {
				return goal("p99 < 25 ms", r.Latency.Quantile(0.99) < GoalChainP99 && r.Errors == 0)
			}, 0},
		{"Patient/P/$everything, first page of 100, one client at a time (the time a clinician waits)",
			func(p samplePatient, _ *rand.Rand) string { return "/Patient/" + p.id + "/$everything?_count=100" },
			func(r *Result) string {
				return goal("< 30 ms to the first page (p99)", r.Latency.Quantile(0.99) < GoalEverythingFirst && r.Errors == 0)
			}, 1},
		{"Patient/P/$everything, first page of 100",
			func(p samplePatient, _ *rand.Rand) string { return "/Patient/" + p.id + "/$everything?_count=100" },
			func(r *Result) string { return "—" }, 0},
	}
	for _, run := range runs {
		if ctx.Err() != nil {
			break
		}
		if o.Only != "" && !strings.Contains(run.name, o.Only) {
			continue
		}
		fmt.Fprintf(o.Progress, "bench: %s ...\n", run.name)
		clients := load.Clients
		if run.clients > 0 {
			clients = run.clients
		}
		res := runLoad(ctx, run.name, clients, load.Duration, load.MaxRequests, searchWorker,
			func(ctx context.Context, w *worker) error {
				return c.get(ctx, c.base+run.query(pick(w), w.rnd))
			})
		over := fmt.Sprintf(" over %s resources, %s patients sampled, %d clients%s",
			thousands(float64(total)), thousands(float64(len(patients))), clients, storeTag(storeName))
		row := Row{Name: run.name + over, Figure: latencyFigure(&res), Goal: run.goal(&res)}
		if res.OK == 0 {
			row.Figure = "failed: " + firstProblem(res).Error()
		}
		rep.Rows = append(rep.Rows, row)
	}
	rep.Notes = append(rep.Notes,
		fmt.Sprintf("The load generator and the server run in one process and share the machine's %d cores.", runtime.GOMAXPROCS(0)),
		"Each request picks a patient at random from a sample of the population, so most pages come from disk cache rather than a hot set.")
	return rep, nil
}

func searchWorker(n int) *worker {
	return &worker{n: n, rnd: rand.New(rand.NewPCG(uint64(n)+1, 42))}
}

// get GETs a URL and wants 200.
func (c *client) get(ctx context.Context, u string) error {
	resp, err := c.do(ctx, http.MethodGet, u, nil, "")
	if err != nil {
		return err
	}
	if resp.status != http.StatusOK {
		return resp.err("search")
	}
	return nil
}

// samplePatients reads up to n patients' ids and NHS numbers.
func samplePatients(ctx context.Context, st store.Store, n int) ([]samplePatient, error) {
	sc, ok := st.(store.Scanner)
	if !ok {
		return nil, errors.New("bench: the store cannot list patients")
	}
	rs, err := sc.Scan(ctx, "Patient", "", time.Time{}, n)
	if err != nil {
		return nil, err
	}
	var out []samplePatient
	for _, r := range rs {
		for _, id := range fhir.Identifiers(r.Body) {
			if id.System == fhir.NHSNumberSystem {
				out = append(out, samplePatient{r.ID, id.Value})
				break
			}
		}
	}
	return out, nil
}
