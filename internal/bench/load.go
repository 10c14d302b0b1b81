package bench

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// maxErrorSamples is how many distinct error texts a Result keeps.
const maxErrorSamples = 5

// Result is what one benchmark run measured.
type Result struct {
	Name     string        // e.g. "create"
	Clients  int           // concurrent clients
	OK       int64         // requests that succeeded
	Errors   int64         // requests that failed
	Elapsed  time.Duration // wall time from the first request to the last answer
	CPU      time.Duration // CPU time this whole process used meanwhile (0: unknown)
	Latency  Histogram     // latency of the successful requests
	Problems []string      // up to maxErrorSamples distinct error texts
}

// CPUPerRequest is this process's CPU time per request, 0 when unknown. It
// hardly depends on what else the machine is doing, unlike Rate.
func (r *Result) CPUPerRequest() time.Duration {
	if r.CPU <= 0 || r.OK+r.Errors == 0 {
		return 0
	}
	return r.CPU / time.Duration(r.OK+r.Errors)
}

// Rate is successful requests per second.
func (r *Result) Rate() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.OK) / r.Elapsed.Seconds()
}

// worker is one client's state during a run.
type worker struct {
	n   int // worker number, 0..clients-1
	gen *observationGen
	rnd *rand.Rand // the search benchmark's choices
}

// runLoad runs op from clients goroutines until d has passed or maxOps
// operations have been started, whichever comes first; a cancelled ctx
// stops it too. Every loop is bounded in count and in time.
func runLoad(ctx context.Context, name string, clients int, d time.Duration, maxOps int64,
	newWorker func(n int) *worker, op func(ctx context.Context, w *worker) error) Result {
	res := Result{Name: name, Clients: clients}
	var (
		started atomic.Int64
		mu      sync.Mutex
		wg      sync.WaitGroup
		hists   = make([]Histogram, clients)
		oks     = make([]int64, clients)
		errs    = make([]int64, clients)
	)
	note := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if len(res.Problems) >= maxErrorSamples {
			return
		}
		for _, p := range res.Problems {
			if p == err.Error() {
				return
			}
		}
		res.Problems = append(res.Problems, err.Error())
	}
	cpu0 := processCPU()
	start := time.Now()
	deadline := start.Add(d)
	for i := range clients {
		w := newWorker(i)
		wg.Go(func() {
			var ok, bad int64
			defer func() { oks[i], errs[i] = ok, bad }()
			for time.Now().Before(deadline) && started.Add(1) <= maxOps && ctx.Err() == nil {
				t0 := time.Now()
				err := op(ctx, w)
				lat := time.Since(t0)
				switch {
				case err == nil:
					ok++
					hists[i].Record(lat)
				case ctx.Err() != nil && errors.Is(err, ctx.Err()):
					return // interrupted, not a server failure
				default:
					bad++
					note(err)
				}
			}
		})
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	if cpu0 > 0 {
		res.CPU = processCPU() - cpu0
	}
	for i := range clients {
		res.OK += oks[i]
		res.Errors += errs[i]
		res.Latency.Merge(&hists[i])
	}
	return res
}
