package server

import (
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"carerecord/internal/config"
	"carerecord/internal/ingest"
	"carerecord/internal/queue"
)

// What the engine knows of each feed, for /engine/status and /metrics.
// The figures are kept in memory from the engine's start: a restart begins
// them again (the queue's own counts, what is waiting and the dead
// letters, are read from the queue and survive it).
//
// Two doors tell the heartbeat what they take (ingest.Stats): the MLLP
// listener, with its connections, and files of messages (posted or
// dropped). The consumer tells it what became of each message it handled
// (note), with when the queue stored it, which gives the processing lag.
// Each feed keeps totals since the start and a window of its last minute,
// a ring of one-second slots, from which come the rates, the error rate,
// the lag's quantiles and the feed's state.

// windowSeconds is the length of the sliding window: "per minute".
const windowSeconds = 60

// lagBounds are the upper bounds, in seconds, of the processing-lag
// histogram: the buckets /metrics exposes, and those the window's
// quantiles are estimated from.
var lagBounds = [...]float64{0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 60, 120, 300, 600, 1800, 3600}

// Feed states, worst first.
const (
	stateFailing = "failing" // at least half of the last minute's messages failed
	stateSilent  = "silent"  // nothing received for longer than the feed's heartbeat
	stateIdle    = "idle"    // nothing received lately, and that is not (yet) a fault
	stateOK      = "ok"      // messages arriving as expected
)

// tally counts a feed's messages.
type tally struct {
	received     int64 // taken at a door (MLLP or file), whatever became of them
	rejected     int64 // of those, dead-lettered at the door: they did not parse
	notStored    int64 // of those, not stored: the queue refused them or failed
	applied      int64 // applied to the record, or with nothing for it
	unsupported  int64 // of those, of a type the record does not map (in the message log as unsupported)
	failed       int64 // failed attempts to map or apply one (each retry counts)
	deadLettered int64 // given up on: rejected at the door, or unmappable
}

func (t *tally) add(o tally) {
	t.received += o.received
	t.rejected += o.rejected
	t.notStored += o.notStored
	t.applied += o.applied
	t.unsupported += o.unsupported
	t.failed += o.failed
	t.deadLettered += o.deadLettered
}

// errors counts the failures among the tally's outcomes.
func (t tally) errors() int64 { return t.failed + t.rejected + t.notStored }

// outcomes counts what was done with messages: applied, failed attempts,
// and messages the door could not queue.
func (t tally) outcomes() int64 { return t.applied + t.errors() }

// errorRate is the fraction of outcomes that were failures; 0 with none.
func (t tally) errorRate() float64 {
	if t.outcomes() == 0 {
		return 0
	}
	return float64(t.errors()) / float64(t.outcomes())
}

// lagHist is a histogram of processing lags over lagBounds (the last count
// is above the last bound).
type lagHist struct {
	counts   [len(lagBounds) + 1]uint64
	sum      time.Duration
	min, max time.Duration // of the lags counted; min is 0 with none
}

func (h *lagHist) observe(d time.Duration) {
	d = max(d, 0) // the queue's clock and ours may disagree a little
	if h.total() == 0 || d < h.min {
		h.min = d
	}
	s := d.Seconds()
	i := 0
	for i < len(lagBounds) && s > lagBounds[i] {
		i++
	}
	h.counts[i]++
	h.sum += d
	h.max = max(h.max, d)
}

func (h *lagHist) merge(o *lagHist) {
	if o.total() == 0 {
		return
	}
	if h.total() == 0 || o.min < h.min {
		h.min = o.min
	}
	for i, n := range o.counts {
		h.counts[i] += n
	}
	h.sum += o.sum
	h.max = max(h.max, o.max)
}

func (h *lagHist) total() uint64 {
	var n uint64
	for _, c := range h.counts {
		n += c
	}
	return n
}

// quantile estimates the q-quantile (0 < q ≤ 1) by linear interpolation
// within its bucket, as Prometheus's histogram_quantile does, narrowed to
// the smallest and largest lags seen; 0 for an empty histogram.
func (h *lagHist) quantile(q float64) time.Duration {
	n := h.total()
	if n == 0 {
		return 0
	}
	rank := q * float64(n)
	var below uint64
	for i, c := range h.counts {
		if c == 0 || float64(below+c) < rank {
			below += c
			continue
		}
		lo, hi := h.min.Seconds(), h.max.Seconds()
		if i > 0 {
			lo = max(lagBounds[i-1], lo)
		}
		if i < len(lagBounds) {
			hi = min(lagBounds[i], hi)
		}
		s := lo + (hi-lo)*(rank-float64(below))/float64(c)
		return min(time.Duration(s*float64(time.Second)), h.max)
	}
	return h.max
}

// second is one slot of a feed's window: what happened in one second.
type second struct {
	at int64 // the Unix second it counts; a slot of an older second is stale
	tally
	lag lagHist
}

// window is a feed's last minute as a ring of seconds, slot at%60.
type window [windowSeconds]second

// slot returns the slot of t's second, emptied first when it held an
// older one.
func (w *window) slot(t time.Time) *second {
	s := t.Unix()
	sl := &w[((s%windowSeconds)+windowSeconds)%windowSeconds]
	if sl.at != s {
		*sl = second{at: s}
	}
	return sl
}

// last sums the seconds in the minute up to now: (now-60 s, now].
func (w *window) last(now time.Time) (tally, lagHist) {
	var t tally
	var h lagHist
	n := now.Unix()
	for i := range w {
		if sl := &w[i]; sl.at > n-windowSeconds && sl.at <= n {
			t.add(sl.tally)
			h.merge(&sl.lag)
		}
	}
	return t, h
}

// feedFigures is what the heartbeat keeps of one feed.
type feedFigures struct {
	mu           sync.Mutex
	conns        int64
	total        tally
	lag          lagHist // since the start, for /metrics
	lastLag      time.Duration
	lastReceived time.Time
	lastApplied  time.Time
	lastFailed   time.Time
	win          window
}

// heartbeat keeps the figures of every feed. Its zero value is ready;
// start marks when counting began.
type heartbeat struct {
	now func() time.Time // the clock; nil is time.Now (tests set it)

	mu      sync.RWMutex
	started time.Time
	feeds   map[string]*feedFigures
}

func (h *heartbeat) clock() time.Time {
	if h.now != nil {
		return h.now().UTC()
	}
	return time.Now().UTC()
}

// start records when the engine began counting: a feed that has brought
// nothing since is measured from then.
func (h *heartbeat) start() {
	h.mu.Lock()
	h.started = h.clock()
	h.mu.Unlock()
}

// since is when counting began; zero before start.
func (h *heartbeat) since() time.Time {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.started
}

// feed returns the figures of the named feed, created on first use.
func (h *heartbeat) feed(name string) *feedFigures {
	h.mu.RLock()
	f := h.feeds[name]
	h.mu.RUnlock()
	if f != nil {
		return f
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.feeds == nil {
		h.feeds = map[string]*feedFigures{}
	}
	if f = h.feeds[name]; f == nil {
		f = &feedFigures{}
		h.feeds[name] = f
	}
	return f
}

// door is what a feed's doors (its MLLP listener, files posted or
// dropped) tell the heartbeat.
func (h *heartbeat) door(feed string) ingest.Stats { return doorStats{h, h.feed(feed)} }

type doorStats struct {
	h *heartbeat
	f *feedFigures
}

var _ ingest.Stats = doorStats{}

func (d doorStats) Connected()    { d.f.mu.Lock(); d.f.conns++; d.f.mu.Unlock() }
func (d doorStats) Disconnected() { d.f.mu.Lock(); d.f.conns--; d.f.mu.Unlock() }

func (d doorStats) Received(fate ingest.Fate, n int) {
	now := d.h.clock()
	t := tally{received: int64(n)}
	switch fate {
	case ingest.DeadLettered:
		t.rejected, t.deadLettered = int64(n), int64(n)
	case ingest.NotStored:
		t.notStored = int64(n)
	}
	f := d.f
	f.mu.Lock()
	defer f.mu.Unlock()
	f.total.add(t)
	f.win.slot(now).add(t)
	f.lastReceived = now
}

// note records what became of one message the consumer handled: applied
// (err nil), or a failed attempt, which is dead-lettered at once when
// permanent (it cannot be mapped). queued is when the queue stored it: the
// lag of an applied message is measured from then.
func (h *heartbeat) note(feed string, queued time.Time, err error) {
	h.noteApplied(feed, queued, err, false)
}

// noteApplied is note, saying also whether an applied message was of a
// type the record does not map.
func (h *heartbeat) noteApplied(feed string, queued time.Time, err error, unsupported bool) {
	now := h.clock()
	f := h.feed(feed)
	f.mu.Lock()
	defer f.mu.Unlock()
	sl := f.win.slot(now)
	if err != nil {
		t := tally{failed: 1}
		if errors.Is(err, queue.ErrPermanent) {
			t.deadLettered = 1
		}
		f.total.add(t)
		sl.add(t)
		f.lastFailed = now
		return
	}
	t := tally{applied: 1}
	if unsupported {
		t.unsupported = 1
	}
	f.total.add(t)
	sl.add(t)
	f.lastApplied = now
	if !queued.IsZero() {
		lag := max(now.Sub(queued), 0)
		f.lag.observe(lag)
		sl.lag.observe(lag)
		f.lastLag = lag
	}
}

// feedView is one feed's figures at one moment, with its state.
type feedView struct {
	conns        int64
	total        tally
	lag          lagHist
	lastLag      time.Duration
	lastReceived time.Time
	lastApplied  time.Time
	lastFailed   time.Time
	minute       tally   // the last minute
	minuteLag    lagHist // the last minute's lags
	state        string
	reason       string
}

// view reads feed f's figures and judges its state against its heartbeat.
func (h *heartbeat) view(f config.Feed) feedView {
	now := h.clock()
	started := h.since()
	if started.IsZero() {
		started = now
	}
	ff := h.feed(f.Name)
	ff.mu.Lock()
	v := feedView{conns: ff.conns, total: ff.total, lag: ff.lag, lastLag: ff.lastLag,
		lastReceived: ff.lastReceived, lastApplied: ff.lastApplied, lastFailed: ff.lastFailed}
	v.minute, v.minuteLag = ff.win.last(now)
	ff.mu.Unlock()
	v.state, v.reason = judge(v, f.Heartbeat, started, now)
	return v
}

// judge names a feed's state, with the reason in plain words.
func judge(v feedView, heartbeat time.Duration, started, now time.Time) (state, reason string) {
	m := v.minute
	if e := m.errors(); e > 0 && 2*e >= m.outcomes() {
		reason = fmt.Sprintf("%d of %d attempts in the last minute failed", e, m.outcomes())
		if m.deadLettered > 0 {
			reason += fmt.Sprintf("; %d dead-lettered (see /engine/dead-letters)", m.deadLettered)
		}
		return stateFailing, reason
	}
	if v.lastReceived.IsZero() {
		up := now.Sub(started)
		switch {
		case heartbeat > 0 && up > heartbeat:
			return stateSilent, fmt.Sprintf("nothing received since the engine started %s ago; expected at least every %s", short(up), heartbeat)
		case heartbeat > 0:
			return stateIdle, fmt.Sprintf("nothing received yet since the engine started %s ago; expected at least every %s", short(up), heartbeat)
		default:
			return stateIdle, fmt.Sprintf("nothing received since the engine started %s ago; no heartbeat is set for this feed", short(up))
		}
	}
	quiet := now.Sub(v.lastReceived)
	switch {
	case heartbeat > 0 && quiet > heartbeat:
		return stateSilent, fmt.Sprintf("nothing received for %s; expected at least every %s", short(quiet), heartbeat)
	case heartbeat == 0 && quiet > windowSeconds*time.Second:
		return stateIdle, fmt.Sprintf("nothing received for %s; no heartbeat is set for this feed", short(quiet))
	}
	return stateOK, fmt.Sprintf("last message received %s ago", short(quiet))
}

// short rounds a duration for people: to the second, or the millisecond
// under one.
func short(d time.Duration) time.Duration {
	if d < time.Second {
		return d.Round(time.Millisecond)
	}
	return d.Round(time.Second)
}

// seconds turns a duration into seconds for JSON and metrics, to the
// microsecond.
func seconds(d time.Duration) float64 {
	return math.Round(d.Seconds()*1e6) / 1e6
}
