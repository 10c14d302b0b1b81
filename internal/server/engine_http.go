package server

import (
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"strconv"
	"time"

	"carerecord/internal/config"
	"carerecord/internal/queue"
)

// The integration engine's operator endpoints, beside the FHIR API:
//
//	GET    /engine/status                       feeds (state, senders, rates, lag, errors), backlog per partition, dead-letter count
//	GET    /metrics                             the same in the Prometheus text format (metrics.go)
//	GET    /engine/dead-letters?feed=F&after=N  dead letters (metadata only)
//	GET    /engine/dead-letters/{id}            one, with the raw message
//	POST   /engine/dead-letters/{id}/reprocess  queue it again (a body replaces the message: the fix)
//	DELETE /engine/dead-letters/{id}            discard it
//	POST   /engine/dead-letters/reprocess?feed=F  queue again every dead letter (of feed F) as it is
//	POST   /engine/feeds/{feed}/messages?lane=bulk|live  a file of messages into the queue (engine_ingest.go)
//	POST   /engine/feeds/{feed}/fhir?lane=live|bulk      a Bundle or NDJSON of FHIR resources into the queue (engine_fhir.go)
//
// Dead letters hold patient data; until the access issue puts these
// behind the operator role they are served on the same address as the API,
// which is loopback by default.

// feedStatus is one feed in /engine/status. The counts and times come from
// the engine's memory since it started (countingSince; see feedstats.go);
// waiting and deadLetters are read from the queue.
type feedStatus struct {
	Name        string     `json:"name"`
	MLLP        string     `json:"mllp"`
	Drop        string     `json:"drop,omitempty"`
	ODS         string     `json:"ods"`
	Applied     int64      `json:"applied"`
	Failed      int64      `json:"failedAttempts"`
	LastApplied *time.Time `json:"lastApplied,omitempty"`
	LastFailed  *time.Time `json:"lastFailed,omitempty"`
	Waiting     uint64     `json:"waiting"`
	DeadLetters uint64     `json:"deadLetters"`

	State            string     `json:"state"`  // ok, silent, failing or idle
	Reason           string     `json:"reason"` // the state in plain words
	HeartbeatSeconds float64    `json:"heartbeatSeconds"`
	Connections      int64      `json:"connections"`
	Received         int64      `json:"received"`
	Rejected         int64      `json:"rejected"`
	NotStored        int64      `json:"notStored"`
	DeadLettered     int64      `json:"deadLettered"`
	Unsupported      int64      `json:"unsupported"` // of the applied: a type the record does not map
	LastReceived     *time.Time `json:"lastReceived,omitempty"`
	LastMinute       minuteJSON `json:"lastMinute"`
	Lag              *lagJSON   `json:"lagSeconds,omitempty"`
}

// minuteJSON is a feed's last 60 seconds.
type minuteJSON struct {
	Received     int64   `json:"received"`
	Applied      int64   `json:"applied"`
	Unsupported  int64   `json:"unsupported"`
	Failed       int64   `json:"failedAttempts"`
	Rejected     int64   `json:"rejected"`
	NotStored    int64   `json:"notStored"`
	DeadLettered int64   `json:"deadLettered"`
	ErrorRate    float64 `json:"errorRate"`
}

// lagJSON is the processing lag, from the queue storing a message to its
// being applied: the last one, and quantiles of the last minute's
// (estimated from the histogram's buckets; absent when none was applied).
type lagJSON struct {
	Last float64  `json:"last"`
	P50  *float64 `json:"p50,omitempty"`
	P99  *float64 `json:"p99,omitempty"`
	Max  *float64 `json:"max,omitempty"`
}

func newFeedStatus(f config.Feed, v feedView) feedStatus {
	fs := feedStatus{Name: f.Name, Drop: f.Drop, ODS: f.ODS,
		Applied: v.total.applied, Failed: v.total.failed,
		State: v.state, Reason: v.reason, HeartbeatSeconds: seconds(f.Heartbeat),
		Connections: v.conns, Received: v.total.received, Rejected: v.total.rejected,
		NotStored: v.total.notStored, DeadLettered: v.total.deadLettered, Unsupported: v.total.unsupported,
		LastApplied: timeOrNil(v.lastApplied), LastFailed: timeOrNil(v.lastFailed), LastReceived: timeOrNil(v.lastReceived),
		LastMinute: minuteJSON{Received: v.minute.received, Applied: v.minute.applied, Unsupported: v.minute.unsupported, Failed: v.minute.failed,
			Rejected: v.minute.rejected, NotStored: v.minute.notStored, DeadLettered: v.minute.deadLettered,
			ErrorRate: math.Round(v.minute.errorRate()*1e4) / 1e4},
	}
	if v.lag.total() > 0 {
		fs.Lag = &lagJSON{Last: seconds(v.lastLag)}
		if v.minuteLag.total() > 0 {
			p50, p99, mx := seconds(v.minuteLag.quantile(0.5)), seconds(v.minuteLag.quantile(0.99)), seconds(v.minuteLag.max)
			fs.Lag.P50, fs.Lag.P99, fs.Lag.Max = &p50, &p99, &mx
		}
	}
	return fs
}

func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func (s *Server) engineRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /engine/status", s.engineStatus)
	mux.Handle("GET /metrics", s.metricsHandler())
	mux.HandleFunc("GET /engine/dead-letters", s.deadLetters)
	mux.HandleFunc("GET /engine/dead-letters/{id}", s.deadLetter)
	mux.HandleFunc("POST /engine/dead-letters/{id}/reprocess", s.reprocess)
	mux.HandleFunc("DELETE /engine/dead-letters/{id}", s.discard)
	mux.HandleFunc("POST /engine/dead-letters/reprocess", s.reprocessAll)
	mux.HandleFunc("POST /engine/feeds/{feed}/messages", s.ingestMessages)
	mux.HandleFunc("POST /engine/feeds/{feed}/fhir", s.ingestFHIR)
	s.messageRoutes(mux) // GET /engine/messages[/{id}]: the record's message log (engine_messages.go)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Server) engineOr404(w http.ResponseWriter) *engine {
	if s.engine == nil {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no HL7 v2 feed is configured (serve --mllp HOST:PORT)"})
	}
	return s.engine
}

func (s *Server) engineStatus(w http.ResponseWriter, r *http.Request) {
	e := s.engineOr404(w)
	if e == nil {
		return
	}
	st, err := e.q.Stats(r.Context())
	if err != nil {
		s.opts.Logger.Error("engine status", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "the queue is not answering"})
		return
	}
	out := struct {
		Feeds       []feedStatus `json:"feeds"`
		Live        []uint64     `json:"liveWaitingByPartition"`
		Bulk        []uint64     `json:"bulkWaitingByPartition"`
		DeadLetters uint64       `json:"deadLetters"`
		QueueFull   bool         `json:"queueFull"`
		Since       *time.Time   `json:"countingSince,omitempty"` // the feeds' counts are since then
	}{Live: st.Live.ByPartition, Bulk: st.Bulk.ByPartition, DeadLetters: st.DeadLetters.Messages,
		QueueFull: st.Live.Full() || st.Bulk.Full() || st.DeadLetters.Full(), Since: timeOrNil(e.beat.since())}
	for i, f := range e.feeds {
		fs := newFeedStatus(f, e.beat.view(f))
		fs.Waiting, fs.DeadLetters = st.Live.ByFeed[f.Name]+st.Bulk.ByFeed[f.Name], st.DeadLetters.ByFeed[f.Name]
		if ln := e.lns[i]; ln != nil {
			fs.MLLP = ln.Addr().String()
		}
		out.Feeds = append(out.Feeds, fs)
	}
	writeJSON(w, http.StatusOK, out)
}

// DeadLetterJSON is a dead letter as /engine/dead-letters answers it (the
// command line decodes the same type).
type DeadLetterJSON struct {
	ID        uint64    `json:"id"`
	Feed      string    `json:"feed"`
	ControlID string    `json:"controlId"`
	Lane      string    `json:"lane"`
	Error     string    `json:"error"`
	Location  string    `json:"location,omitempty"`
	Attempts  int       `json:"attempts"`
	Queued    time.Time `json:"queued"`
	Failed    time.Time `json:"failed"`
	Message   string    `json:"message,omitempty"`
}

func toJSON(d queue.DeadLetter, withBody bool) DeadLetterJSON {
	out := DeadLetterJSON{ID: d.ID, Feed: d.Message.Feed, ControlID: d.Message.ID, Lane: d.Lane.String(),
		Error: d.Error, Location: d.Location, Attempts: d.Attempts, Queued: d.Queued, Failed: d.Failed}
	if withBody {
		out.Message = string(d.Message.Body)
	}
	return out
}

func (s *Server) deadLetters(w http.ResponseWriter, r *http.Request) {
	e := s.engineOr404(w)
	if e == nil {
		return
	}
	f := queue.DeadLetterFilter{Feed: r.URL.Query().Get("feed")}
	if a := r.URL.Query().Get("after"); a != "" {
		n, err := strconv.ParseUint(a, 10, 64)
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "after: want a dead-letter id"})
			return
		}
		f.After = n
	}
	ds, err := e.q.DeadLetters(r.Context(), f)
	if err != nil {
		s.engineError(w, err)
		return
	}
	out := make([]DeadLetterJSON, 0, len(ds))
	for _, d := range ds {
		out = append(out, toJSON(d, false))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) deadLetterID(w http.ResponseWriter, r *http.Request) (*engine, uint64, bool) {
	e := s.engineOr404(w)
	if e == nil {
		return nil, 0, false
	}
	id, err := strconv.ParseUint(r.PathValue("id"), 10, 64)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "want a dead-letter id"})
		return nil, 0, false
	}
	return e, id, true
}

func (s *Server) deadLetter(w http.ResponseWriter, r *http.Request) {
	e, id, ok := s.deadLetterID(w, r)
	if !ok {
		return
	}
	d, err := e.q.DeadLetter(r.Context(), id)
	if err != nil {
		s.engineError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, toJSON(d, true))
}

func (s *Server) reprocess(w http.ResponseWriter, r *http.Request) {
	e, id, ok := s.deadLetterID(w, r)
	if !ok {
		return
	}
	fixed, err := io.ReadAll(http.MaxBytesReader(w, r.Body, queue.MaxMessageBytes))
	if err != nil {
		writeJSON(w, http.StatusRequestEntityTooLarge, map[string]string{"error": "the fixed message is too large"})
		return
	}
	if len(fixed) == 0 {
		fixed = nil
	}
	if err := e.q.Reprocess(r.Context(), id, fixed); err != nil {
		s.engineError(w, err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"reprocessing": id})
}

// reprocessAll queues again, as they are, the dead letters present when it
// starts (of one feed with ?feed=) and answers how many.
func (s *Server) reprocessAll(w http.ResponseWriter, r *http.Request) {
	e := s.engineOr404(w)
	if e == nil {
		return
	}
	feed := r.URL.Query().Get("feed")
	if feed != "" && !config.ValidFeedName(feed) {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "feed: use letters, digits, - and _"})
		return
	}
	n, err := e.q.ReprocessAll(r.Context(), feed)
	if err != nil && n == 0 {
		s.engineError(w, err)
		return
	}
	if err != nil {
		s.opts.Logger.Error("reprocess all dead letters: stopped", "reprocessed", n, "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"reprocessed": n, "error": "stopped after some: the queue is not answering"})
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"reprocessed": n})
}

func (s *Server) discard(w http.ResponseWriter, r *http.Request) {
	e, id, ok := s.deadLetterID(w, r)
	if !ok {
		return
	}
	if err := e.q.Discard(r.Context(), id); err != nil {
		s.engineError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// engineError answers a queue error without its detail (which may quote
// the message) unless it is a not-found or invalid request.
func (s *Server) engineError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, queue.ErrNotFound):
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such dead letter"})
	case errors.Is(err, queue.ErrInvalid):
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "the message cannot be queued as given"})
	default:
		s.opts.Logger.Error("engine", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "the queue is not answering"})
	}
}
