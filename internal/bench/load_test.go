package bench

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"
)

func plainWorkers(n int) *worker { return &worker{n: n} }

func TestRunLoadStopsAtTheRequestBound(t *testing.T) {
	var calls atomic.Int64
	res := runLoad(context.Background(), "count", 4, time.Minute, 30, plainWorkers,
		func(context.Context, *worker) error {
			k := calls.Add(1)
			if k%3 == 0 {
				return fmt.Errorf("failure %d", k)
			}
			return nil
		})
	if calls.Load() != 30 {
		t.Fatalf("op ran %d times, want exactly the bound 30", calls.Load())
	}
	if res.OK != 20 || res.Errors != 10 {
		t.Errorf("OK, Errors = %d, %d; want 20, 10", res.OK, res.Errors)
	}
	if res.Latency.Count() != res.OK {
		t.Errorf("latency samples %d, want one per success (%d)", res.Latency.Count(), res.OK)
	}
	if len(res.Problems) != maxErrorSamples {
		t.Errorf("kept %d error texts, want the cap %d", len(res.Problems), maxErrorSamples)
	}
	if res.Clients != 4 || res.Name != "count" {
		t.Errorf("Clients, Name = %d, %q", res.Clients, res.Name)
	}
}

func TestRunLoadStopsAtTheTimeBound(t *testing.T) {
	var calls atomic.Int64
	res := runLoad(context.Background(), "time", 2, 50*time.Millisecond, 1<<62, plainWorkers,
		func(context.Context, *worker) error {
			calls.Add(1)
			time.Sleep(time.Millisecond)
			return nil
		})
	if res.OK == 0 || res.OK != calls.Load() || res.Errors != 0 {
		t.Errorf("OK %d, Errors %d, calls %d; want every call to succeed", res.OK, res.Errors, calls.Load())
	}
}

func TestRunLoadKeepsDistinctProblems(t *testing.T) {
	errSame := errors.New("HTTP 500")
	res := runLoad(context.Background(), "same", 3, time.Minute, 12, plainWorkers,
		func(context.Context, *worker) error { return errSame })
	if res.Errors != 12 || res.OK != 0 {
		t.Errorf("OK, Errors = %d, %d; want 0, 12", res.OK, res.Errors)
	}
	if len(res.Problems) != 1 || res.Problems[0] != "HTTP 500" {
		t.Errorf("Problems = %q, want the one text once", res.Problems)
	}
	if res.Rate() != 0 {
		t.Errorf("Rate = %v with no successes, want 0", res.Rate())
	}
}

func TestRunLoadCancelledIsNotAnError(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var calls atomic.Int64
	res := runLoad(ctx, "cancel", 1, time.Minute, 1<<62, plainWorkers,
		func(ctx context.Context, _ *worker) error {
			if calls.Add(1) == 5 {
				cancel()
			}
			if ctx.Err() != nil {
				return fmt.Errorf("request: %w", ctx.Err())
			}
			return nil
		})
	if res.Errors != 0 {
		t.Errorf("Errors = %d after cancellation, want 0 (%q)", res.Errors, res.Problems)
	}
	if res.OK != 4 {
		t.Errorf("OK = %d, want the 4 calls before cancellation", res.OK)
	}
}
