package server

import (
	"errors"
	"strings"
	"testing"
	"time"

	"carerecord/internal/config"
	"carerecord/internal/ingest"
	"carerecord/internal/queue"
)

// fakeClock is a clock the test moves by hand.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newBeat() (*heartbeat, *fakeClock) {
	clk := &fakeClock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	h := &heartbeat{now: clk.now}
	h.start()
	return h, clk
}

// The window sums the last 60 seconds: what happened a minute ago falls
// out, and a slot is emptied before it counts a later second.
func TestWindowSlides(t *testing.T) {
	h, clk := newBeat()
	feed := config.Feed{Name: "pas"}
	door := h.door("pas")
	minute := func() tally { return h.view(feed).minute }

	door.Received(ingest.Queued, 3) // at 0 s
	clk.advance(30 * time.Second)
	door.Received(ingest.Queued, 2) // at 30 s
	h.note("pas", clk.t.Add(-time.Second), nil)
	clk.advance(29 * time.Second) // at 59 s: all of it is within the minute
	if m := minute(); m.received != 5 || m.applied != 1 {
		t.Fatalf("at 59 s: %+v", m)
	}
	clk.advance(time.Second) // at 60 s: the first second has left the window
	if m := minute(); m.received != 2 || m.applied != 1 {
		t.Fatalf("at 60 s: %+v", m)
	}
	door.Received(ingest.DeadLettered, 1) // at 60 s: reuses the slot of 0 s
	if m := minute(); m.received != 3 || m.rejected != 1 || m.deadLettered != 1 {
		t.Fatalf("at 60 s, after reusing a slot: %+v", m)
	}
	clk.advance(10 * time.Minute)
	if m := minute(); m != (tally{}) {
		t.Fatalf("ten minutes later: %+v", m)
	}
	if v := h.view(feed); v.total.received != 6 || v.total.applied != 1 || v.total.rejected != 1 {
		t.Errorf("totals since the start: %+v", v.total)
	}
}

// Lags are measured from the queue's time, kept as the last and as a
// histogram, whose quantiles fall in the right bucket and never above the
// largest lag.
func TestLag(t *testing.T) {
	h, clk := newBeat()
	feed := config.Feed{Name: "pas"}
	for i := range 100 {
		lag := 10 * time.Millisecond // 99 of them
		if i == 99 {
			lag = 3 * time.Second
		}
		h.note("pas", clk.t.Add(-lag), nil)
	}
	h.note("pas", time.Time{}, nil) // no queue time: applied, no lag
	v := h.view(feed)
	if v.total.applied != 101 || v.lag.total() != 100 || v.lastLag != 3*time.Second {
		t.Fatalf("applied %d, lags %d, last %s", v.total.applied, v.lag.total(), v.lastLag)
	}
	if p50 := v.minuteLag.quantile(0.5); p50 <= 5*time.Millisecond || p50 > 10*time.Millisecond {
		t.Errorf("p50 %s, want in (5ms, 10ms]", p50)
	}
	if p99 := v.minuteLag.quantile(0.99); p99 <= 5*time.Millisecond || p99 > 10*time.Millisecond {
		t.Errorf("p99 %s, want in (5ms, 10ms]: 99 of 100 lags are 10ms", p99)
	}
	if q := v.minuteLag.quantile(1); q != 3*time.Second {
		t.Errorf("p100 %s, want the largest lag, 3s", q)
	}
	if v.minuteLag.max != 3*time.Second || v.lag.sum != 99*10*time.Millisecond+3*time.Second {
		t.Errorf("max %s sum %s", v.minuteLag.max, v.lag.sum)
	}
	b := cumulative(&v.lag)
	if b[0.005] != 0 || b[0.01] != 99 || b[2] != 99 || b[5] != 100 || b[3600] != 100 {
		t.Errorf("cumulative buckets %v", b)
	}
	var empty, one lagHist
	if empty.quantile(0.5) != 0 {
		t.Error("quantile of no lags")
	}
	one.observe(72 * time.Millisecond)
	if p50, p99 := one.quantile(0.5), one.quantile(0.99); p50 != 72*time.Millisecond || p99 != p50 {
		t.Errorf("one lag of 72ms: p50 %s, p99 %s", p50, p99)
	}
	clk.advance(2 * time.Minute)
	if v := h.view(feed); v.minuteLag.total() != 0 || v.lag.total() != 100 {
		t.Errorf("two minutes later: %d lags in the window, %d since the start", v.minuteLag.total(), v.lag.total())
	}
}

// A feed is failing when at least half of the last minute's attempts
// failed, silent when nothing came for longer than its heartbeat, idle
// when nothing came and that is not a fault, and ok otherwise; each with
// the reason in words.
func TestFeedState(t *testing.T) {
	permanent := queue.Permanent(errors.New("no PID"))
	tests := []struct {
		name      string
		heartbeat time.Duration
		steps     func(h *heartbeat, clk *fakeClock)
		state     string
		reason    string
	}{
		{"new, watched", 5 * time.Minute, func(h *heartbeat, clk *fakeClock) { clk.advance(time.Minute) },
			stateIdle, "nothing received yet since the engine started 1m0s ago; expected at least every 5m0s"},
		{"new, watched, overdue", 5 * time.Minute, func(h *heartbeat, clk *fakeClock) { clk.advance(6 * time.Minute) },
			stateSilent, "nothing received since the engine started 6m0s ago; expected at least every 5m0s"},
		{"new, not watched", 0, func(h *heartbeat, clk *fakeClock) { clk.advance(time.Hour) },
			stateIdle, "no heartbeat is set"},
		{"receiving", 5 * time.Minute, func(h *heartbeat, clk *fakeClock) {
			h.door("pas").Received(ingest.Queued, 1)
			clk.advance(4 * time.Minute)
		}, stateOK, "last message received 4m0s ago"},
		{"quiet longer than the heartbeat", 5 * time.Minute, func(h *heartbeat, clk *fakeClock) {
			h.door("pas").Received(ingest.Queued, 1)
			clk.advance(5*time.Minute + time.Second)
		}, stateSilent, "nothing received for 5m1s; expected at least every 5m0s"},
		{"quiet, not watched", 0, func(h *heartbeat, clk *fakeClock) {
			h.door("pas").Received(ingest.Queued, 1)
			clk.advance(2 * time.Minute)
		}, stateIdle, "nothing received for 2m0s; no heartbeat is set"},
		{"sub-second heartbeat", 200 * time.Millisecond, func(h *heartbeat, clk *fakeClock) {
			h.door("pas").Received(ingest.Queued, 1)
			clk.advance(250 * time.Millisecond)
		}, stateSilent, "nothing received for 250ms; expected at least every 200ms"},
		{"half failed", 5 * time.Minute, func(h *heartbeat, clk *fakeClock) {
			h.door("pas").Received(ingest.Queued, 2)
			h.note("pas", clk.t, nil)
			h.note("pas", clk.t, permanent)
		}, stateFailing, "1 of 2 attempts in the last minute failed; 1 dead-lettered"},
		{"a few failures among many", 5 * time.Minute, func(h *heartbeat, clk *fakeClock) {
			h.door("pas").Received(ingest.DeadLettered, 1)
			for range 3 {
				h.note("pas", clk.t, nil)
			}
			h.note("pas", clk.t, errors.New("database is locked"))
		}, stateOK, "last message received 0s ago"},
		{"failing, then a quiet minute", 5 * time.Minute, func(h *heartbeat, clk *fakeClock) {
			h.door("pas").Received(ingest.NotStored, 1)
			clk.advance(90 * time.Second)
		}, stateOK, "last message received 1m30s ago"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, clk := newBeat()
			tt.steps(h, clk)
			v := h.view(config.Feed{Name: "pas", Heartbeat: tt.heartbeat})
			if v.state != tt.state || !strings.Contains(v.reason, tt.reason) {
				t.Errorf("state %q (%s), want %q (%s)", v.state, v.reason, tt.state, tt.reason)
			}
		})
	}
}

// The error rate is the share of the last minute's outcomes that failed:
// attempts to map or apply, and messages the door could not queue.
func TestErrorRate(t *testing.T) {
	h, clk := newBeat()
	door := h.door("pas")
	door.Received(ingest.Queued, 6)
	door.Received(ingest.DeadLettered, 1)
	door.Received(ingest.NotStored, 1)
	for range 5 {
		h.note("pas", clk.t, nil)
	}
	h.note("pas", clk.t, queue.Permanent(errors.New("unmappable")))
	h.note("pas", clk.t, errors.New("transient"))
	h.note("pas", clk.t, nil) // the transient one, retried
	m := h.view(config.Feed{Name: "pas"}).minute
	if m.received != 8 || m.applied != 6 || m.failed != 2 || m.deadLettered != 2 || m.errors() != 4 {
		t.Fatalf("minute %+v", m)
	}
	if r := m.errorRate(); r != 0.4 {
		t.Errorf("error rate %v, want 4 failures of 10 outcomes", r)
	}
	if (tally{}).errorRate() != 0 {
		t.Error("error rate with nothing done")
	}
}

// Connections are counted up and down, from several goroutines at once
// (run with -race).
func TestConnections(t *testing.T) {
	h, _ := newBeat()
	door := h.door("pas")
	done := make(chan struct{})
	for range 8 {
		go func() {
			for range 100 {
				door.Connected()
				door.Received(ingest.Queued, 1)
				door.Disconnected()
			}
			done <- struct{}{}
		}()
	}
	door.Connected()
	for range 8 {
		<-done
	}
	if v := h.view(config.Feed{Name: "pas"}); v.conns != 1 || v.total.received != 800 {
		t.Errorf("connections %d, received %d", v.conns, v.total.received)
	}
}
