package server

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// GET /metrics answers in the Prometheus text exposition format: the
// integration engine's feeds and queue (engineCollector), and the Go
// runtime's and the process's figures. The registry is the server's own,
// not the library's global one, so two servers in one process (tests) do
// not mix their figures. The engine's figures are read when Prometheus
// scrapes, from the same memory /engine/status reads, so nothing is
// counted twice; with no feed configured only the runtime's are there.
//
// Per feed (label feed):
//
//	carerecord_feed_connections                      gauge      senders connected to its MLLP listener
//	carerecord_feed_messages_received_total          counter    taken at its doors (MLLP, files), whatever became of them
//	carerecord_feed_messages_rejected_total          counter    of those, unreadable: dead-lettered at the door
//	carerecord_feed_messages_applied_total           counter    applied to the record
//	carerecord_feed_messages_unsupported_total       counter    of those, a type the record does not map (logged, not dropped)
//	carerecord_feed_apply_failures_total             counter    failed attempts to map or apply (each retry counts)
//	carerecord_feed_dead_letters                     gauge      in the dead-letter store now
//	carerecord_feed_queue_waiting                    gauge      waiting in the queue, both lanes
//	carerecord_feed_last_received_timestamp_seconds  gauge      Unix time of the last message taken (absent before the first)
//	carerecord_feed_heartbeat_seconds                gauge      expected interval between messages (0: not watched)
//	carerecord_feed_silent                           gauge      1 when nothing came for longer than the heartbeat
//	carerecord_feed_processing_lag_seconds           histogram  from the queue storing a message to its being applied
//
// And the queue: carerecord_queue_waiting{lane="live"|"bulk"},
// carerecord_queue_dead_letters, and carerecord_queue_up (0 when the queue
// did not answer the scrape; the queue's figures are then absent). The
// counters start again at zero when the server restarts.

func (s *Server) metricsHandler() http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		newEngineCollector(s),
	)
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorLog:      promLog{s.opts.Logger},
		ErrorHandling: promhttp.ContinueOnError,
	})
}

// promLog hands the metrics handler's errors to the server's log.
type promLog struct{ log *slog.Logger }

func (l promLog) Println(v ...any) {
	if l.log != nil {
		l.log.Error("metrics", "err", v)
	}
}

// queueStatsTimeout bounds the queue's answer during a scrape.
const queueStatsTimeout = 5 * time.Second

// engineCollector reads the engine's feeds and queue at each scrape.
type engineCollector struct {
	s *Server

	connections, received, rejected, applied, failures *prometheus.Desc
	unsupported                                        *prometheus.Desc
	deadLetters, waiting, lastReceived, heartbeat      *prometheus.Desc
	silent, lag                                        *prometheus.Desc
	queueWaiting, queueDeadLetters, queueUp            *prometheus.Desc
}

var _ prometheus.Collector = (*engineCollector)(nil)

func newEngineCollector(s *Server) *engineCollector {
	feed := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc("carerecord_feed_"+name, help, []string{"feed"}, nil)
	}
	return &engineCollector{
		s:            s,
		connections:  feed("connections", "Senders connected to the feed's MLLP listener now."),
		received:     feed("messages_received_total", "Messages taken at the feed's doors (MLLP or files) since the server started, whatever became of them."),
		rejected:     feed("messages_rejected_total", "Messages taken that did not parse: dead-lettered at the door."),
		applied:      feed("messages_applied_total", "Messages of the feed applied to the record since the server started."),
		unsupported:  feed("messages_unsupported_total", "Of the applied, messages of a type the record does not map: logged, not dropped."),
		failures:     feed("apply_failures_total", "Failed attempts to map or apply a message of the feed (each retry counts)."),
		deadLetters:  feed("dead_letters", "Dead letters of the feed in the dead-letter store now."),
		waiting:      feed("queue_waiting", "Messages of the feed waiting in the queue, both lanes, those in hand included."),
		lastReceived: feed("last_received_timestamp_seconds", "Unix time of the last message taken at the feed's doors."),
		heartbeat:    feed("heartbeat_seconds", "How often the feed is expected to bring a message; 0 when it is not watched."),
		silent:       feed("silent", "1 when nothing was received for longer than the feed's heartbeat, else 0."),
		lag:          feed("processing_lag_seconds", "Time from the queue storing a message to its being applied."),
		queueWaiting: prometheus.NewDesc("carerecord_queue_waiting", "Messages waiting in the queue's lane, those in hand included.",
			[]string{"lane"}, nil),
		queueDeadLetters: prometheus.NewDesc("carerecord_queue_dead_letters", "Messages in the dead-letter store.", nil, nil),
		queueUp:          prometheus.NewDesc("carerecord_queue_up", "1 when the queue answered this scrape, else 0.", nil, nil),
	}
}

func (c *engineCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.connections, c.received, c.rejected, c.applied, c.unsupported, c.failures,
		c.deadLetters, c.waiting, c.lastReceived, c.heartbeat, c.silent, c.lag,
		c.queueWaiting, c.queueDeadLetters, c.queueUp} {
		ch <- d
	}
}

func (c *engineCollector) Collect(ch chan<- prometheus.Metric) {
	e := c.s.engine
	if e == nil {
		return
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v int64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	for _, f := range e.feeds {
		v := e.beat.view(f)
		gauge(c.connections, float64(v.conns), f.Name)
		counter(c.received, v.total.received, f.Name)
		counter(c.rejected, v.total.rejected, f.Name)
		counter(c.applied, v.total.applied, f.Name)
		counter(c.unsupported, v.total.unsupported, f.Name)
		counter(c.failures, v.total.failed, f.Name)
		if !v.lastReceived.IsZero() {
			gauge(c.lastReceived, float64(v.lastReceived.UnixMilli())/1e3, f.Name)
		}
		gauge(c.heartbeat, f.Heartbeat.Seconds(), f.Name)
		silent := 0.0
		if v.state == stateSilent {
			silent = 1
		}
		gauge(c.silent, silent, f.Name)
		ch <- prometheus.MustNewConstHistogram(c.lag, v.lag.total(), v.lag.sum.Seconds(), cumulative(&v.lag), f.Name)
	}
	ctx, cancel := context.WithTimeout(context.Background(), queueStatsTimeout)
	defer cancel()
	st, err := e.q.Stats(ctx)
	if err != nil {
		if c.s.opts.Logger != nil {
			c.s.opts.Logger.Warn("metrics: the queue did not answer", "err", err)
		}
		gauge(c.queueUp, 0)
		return
	}
	gauge(c.queueUp, 1)
	for _, f := range e.feeds {
		gauge(c.waiting, float64(st.Live.ByFeed[f.Name]+st.Bulk.ByFeed[f.Name]), f.Name)
		gauge(c.deadLetters, float64(st.DeadLetters.ByFeed[f.Name]), f.Name)
	}
	gauge(c.queueWaiting, float64(st.Live.Messages), "live")
	gauge(c.queueWaiting, float64(st.Bulk.Messages), "bulk")
	gauge(c.queueDeadLetters, float64(st.DeadLetters.Messages))
}

// cumulative turns the histogram's counts into Prometheus's buckets: the
// count at or below each upper bound (+Inf is the total).
func cumulative(h *lagHist) map[float64]uint64 {
	out := make(map[float64]uint64, len(lagBounds))
	var n uint64
	for i, b := range lagBounds {
		n += h.counts[i]
		out[b] = n
	}
	return out
}
