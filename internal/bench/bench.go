// Package bench owns carerecord's load generator: `carerecord bench create`,
// `bench read` and `bench all`, which produce the README's benchmark figures
// (requests/s, latency percentiles, import rate, bytes on disk per resource
// and the server's memory) as Markdown table rows beside the goals.
//
// Contract: Load drives a running server's FHIR API over HTTP with keep-alive
// connections; every run is bounded both in time and in request count, and
// only loopback targets are accepted unless remote is explicitly allowed
// (CheckTarget). All data it sends is synthetic (observation.go). All starts
// its own server in-process, so the load generator and the server share the
// machine's cores, which the output says.
//
// Top layer (7), beside cli: it imports server, config and fhirimport; only
// internal/cli imports it.
package bench

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"
)

// Load describes how hard to drive one FHIR server.
type Load struct {
	// BaseURL is the FHIR base, e.g. http://127.0.0.1:8080/fhir.
	BaseURL string
	// Clients is the number of concurrent clients (default 32).
	Clients int
	// Duration bounds each timed run (default 10 s).
	Duration time.Duration
	// MaxRequests bounds each timed run in count (default 10,000,000).
	MaxRequests int64
	// AllowRemote permits a BaseURL whose host is not loopback.
	AllowRemote bool
}

// Defaults.
const (
	DefaultClients     = 32
	DefaultDuration    = 10 * time.Second
	DefaultMaxRequests = 10_000_000
	DefaultReadIDs     = 1000
	// seedTimeout bounds creating the resources a read benchmark reads.
	seedTimeout = 10 * time.Minute
)

func (l Load) withDefaults() (Load, error) {
	if l.Clients <= 0 {
		l.Clients = DefaultClients
	}
	if l.Duration <= 0 {
		l.Duration = DefaultDuration
	}
	if l.MaxRequests <= 0 {
		l.MaxRequests = DefaultMaxRequests
	}
	if _, err := CheckTarget(l.BaseURL, l.AllowRemote); err != nil {
		return l, err
	}
	return l, nil
}

// runPrefix tells one run's identifiers from another's, so repeated runs
// against one database never collide.
func runPrefix() string {
	return strconv.FormatInt(time.Now().UnixNano()%(1<<40), 36)
}

func (l Load) observationWorkers(prefix string) func(int) *worker {
	return func(n int) *worker {
		seed := uint64(time.Now().UnixNano()) + uint64(n)*7919
		return &worker{n: n, gen: newObservationGen(seed, prefix+"-"+strconv.Itoa(n))}
	}
}

// Create measures single-resource creates: each client POSTs new
// Observations back to back for the Duration.
func (l Load) Create(ctx context.Context) (Result, error) {
	l, err := l.withDefaults()
	if err != nil {
		return Result{}, err
	}
	c := newClient(l.BaseURL, l.Clients)
	defer c.close()
	res := runLoad(ctx, "create", l.Clients, l.Duration, l.MaxRequests, l.observationWorkers(runPrefix()),
		func(ctx context.Context, w *worker) error {
			_, err := c.create(ctx, w.gen.next(""))
			return err
		})
	return res, ctx.Err()
}

// Read first creates ids Observations (not timed), then measures reads of
// them by id, chosen at random, for the Duration.
func (l Load) Read(ctx context.Context, ids int) (Result, error) {
	l, err := l.withDefaults()
	if err != nil {
		return Result{}, err
	}
	if ids <= 0 {
		ids = DefaultReadIDs
	}
	c := newClient(l.BaseURL, l.Clients)
	defer c.close()
	created, err := l.seed(ctx, c, ids)
	if err != nil {
		return Result{}, err
	}
	return l.readIDs(ctx, c, "read", func(r *rand.Rand) string { return created[r.IntN(len(created))] })
}

// readIDs measures reads of the ids pick returns.
func (l Load) readIDs(ctx context.Context, c *client, name string, pick func(*rand.Rand) string) (Result, error) {
	res := runLoad(ctx, name, l.Clients, l.Duration, l.MaxRequests,
		func(n int) *worker {
			seed := uint64(time.Now().UnixNano()) + uint64(n)*7919
			return &worker{n: n, gen: newObservationGen(seed, "")}
		},
		func(ctx context.Context, w *worker) error {
			return c.read(ctx, pick(w.gen.rng))
		})
	return res, ctx.Err()
}

// seed creates n Observations and returns their ids.
func (l Load) seed(ctx context.Context, c *client, n int) ([]string, error) {
	var (
		mu  sync.Mutex
		ids = make([]string, 0, n)
	)
	res := runLoad(ctx, "seed", l.Clients, seedTimeout, int64(n), l.observationWorkers(runPrefix()),
		func(ctx context.Context, w *worker) error {
			id, err := c.create(ctx, w.gen.next(""))
			if err == nil {
				mu.Lock()
				ids = append(ids, id)
				mu.Unlock()
			}
			return err
		})
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if res.Errors > 0 || len(ids) < n {
		return nil, fmt.Errorf("bench: creating %d Observations to read: %d created, %d failed: %w",
			n, len(ids), res.Errors, firstProblem(res))
	}
	return ids, nil
}

func firstProblem(r Result) error {
	if len(r.Problems) == 0 {
		return errors.New("ran out of time")
	}
	return errors.New(r.Problems[0])
}
