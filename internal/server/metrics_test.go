package server_test

import (
	"context"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"carerecord/internal/config"
	"carerecord/internal/ingest"
	"carerecord/internal/server/servertest"
)

// feedFigures is one feed of /engine/status, as an operator's tool reads it.
type feedFigures struct {
	Name             string     `json:"name"`
	Applied          int64      `json:"applied"`
	Failed           int64      `json:"failedAttempts"`
	Waiting          uint64     `json:"waiting"`
	DeadLetters      uint64     `json:"deadLetters"`
	State            string     `json:"state"`
	Reason           string     `json:"reason"`
	HeartbeatSeconds float64    `json:"heartbeatSeconds"`
	Connections      int64      `json:"connections"`
	Received         int64      `json:"received"`
	Rejected         int64      `json:"rejected"`
	DeadLettered     int64      `json:"deadLettered"`
	LastReceived     *time.Time `json:"lastReceived"`
	LastMinute       struct {
		Received     int64   `json:"received"`
		Applied      int64   `json:"applied"`
		Failed       int64   `json:"failedAttempts"`
		DeadLettered int64   `json:"deadLettered"`
		ErrorRate    float64 `json:"errorRate"`
	} `json:"lastMinute"`
	Lag *struct {
		Last float64  `json:"last"`
		P50  *float64 `json:"p50"`
		P99  *float64 `json:"p99"`
	} `json:"lagSeconds"`
}

type statusFigures struct {
	Feeds         []feedFigures `json:"feeds"`
	Live          []uint64      `json:"liveWaitingByPartition"`
	DeadLetters   uint64        `json:"deadLetters"`
	CountingSince *time.Time    `json:"countingSince"`
}

// pollFeed reads /engine/status until ok accepts the feed's figures.
func pollFeed(t *testing.T, srv *servertest.Server, name, what string, ok func(feedFigures) bool) feedFigures {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var st statusFigures
		getJSON(t, srv.URL()+"/engine/status", &st)
		i := slices.IndexFunc(st.Feeds, func(f feedFigures) bool { return f.Name == name })
		if i < 0 {
			t.Fatalf("no feed %s in %+v", name, st)
		}
		if ok(st.Feeds[i]) {
			return st.Feeds[i]
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 30 s, still not %s: %+v", what, st.Feeds[i])
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// scrape reads /metrics as Prometheus would.
func scrape(t *testing.T, srv *servertest.Server) metrics {
	t.Helper()
	resp, err := http.Get(srv.URL() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("/metrics: %s, %s", resp.Status, resp.Header.Get("Content-Type"))
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("/metrics is not the Prometheus text format: %v", err)
	}
	out := metrics{}
	for name, mf := range mfs {
		for _, m := range mf.GetMetric() {
			key := name
			for _, l := range m.GetLabel() {
				key += "," + l.GetName() + "=" + l.GetValue()
			}
			switch {
			case m.GetCounter() != nil:
				out[key] = m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				out[key] = m.GetGauge().GetValue()
			case m.GetHistogram() != nil:
				out[key+",count"] = float64(m.GetHistogram().GetSampleCount())
				out[key+",sum"] = m.GetHistogram().GetSampleSum()
			case m.GetUntyped() != nil:
				out[key] = m.GetUntyped().GetValue()
			}
		}
	}
	return out
}

// metrics holds scraped values by name and labels: "name,label=value".
type metrics map[string]float64

func (m metrics) want(t *testing.T, key string, ok func(float64) bool, what string) {
	t.Helper()
	v, found := m[key]
	if !found {
		t.Errorf("/metrics has no %s", key)
		return
	}
	if !ok(v) {
		t.Errorf("%s = %v, want %s", key, v, what)
	}
}

func eq(want float64) func(float64) bool { return func(v float64) bool { return v == want } }
func positive(v float64) bool            { return v > 0 }

// A feed's figures over /engine/status and /metrics: a sender connected
// and gone, messages received over MLLP and in a file, applied with their
// lag, one unmappable (dead-lettered by the consumer) and one unreadable
// (dead-lettered at the door), all counted once, the same in both.
func TestFeedFigures(t *testing.T) {
	srv := servertest.Start(t, servertest.WithConfig(func(c *config.Config) {
		c.Feeds = []config.Feed{{Name: "pas", MLLP: "127.0.0.1:0", Heartbeat: time.Hour}}
	}))
	addr := srv.Server.MLLPAddrs()[0]

	// A sender connects and stays: counted until it leaves.
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	f := pollFeed(t, srv, "pas", "one sender connected", func(f feedFigures) bool { return f.Connections == 1 })
	if f.State != "idle" || f.Received != 0 || f.HeartbeatSeconds != 3600 {
		t.Errorf("before any message: %+v", f)
	}
	conn.Close()
	pollFeed(t, srv, "pas", "no sender connected", func(f feedFigures) bool { return f.Connections == 0 })

	unmappable := "MSH|^~\\&|PAS|RZZ|CARERECORD|ICS|20240312093000||ADT^A01^ADT_A01|FIG-NOPID|P|2.4\rEVN|A01|20240312093000\rPV1|1|I|WARD7\r"
	msgs := [][]byte{
		[]byte(admission("FIG1", "9990000018", "ONE")),
		[]byte(admission("FIG2", "9990000026", "TWO")),
		[]byte(unmappable),
		[]byte(broken("FIG-BAD")),
		[]byte(admission("FIG3", "9990000034", "THREE")),
	}
	sum, err := ingest.Send(context.Background(), addr, slices.Values(msgs), ingest.SendOptions{})
	if err != nil || sum.Accepted != 4 || sum.Rejected != 1 {
		t.Fatalf("send: %+v, %v", sum, err)
	}
	if status, rep := postFile(t, srv.URL()+"/engine/feeds/pas/messages?lane=live", admission("FIG4", "9990000042", "FOUR")); status != http.StatusAccepted || rep.Queued != 1 {
		t.Fatalf("post: %d %+v", status, rep)
	}

	f = pollFeed(t, srv, "pas", "settled", func(f feedFigures) bool {
		return f.Applied == 4 && f.DeadLetters == 2 && f.Waiting == 0 && f.Connections == 0
	})
	if f.Received != 6 || f.Rejected != 1 || f.DeadLettered != 2 || f.Failed < 1 {
		t.Errorf("totals: received %d (want 6), rejected %d (1), dead-lettered %d (2), failed attempts %d (≥ 1)", f.Received, f.Rejected, f.DeadLettered, f.Failed)
	}
	if m := f.LastMinute; m.Received != 6 || m.Applied != 4 || m.DeadLettered != 2 || m.ErrorRate <= 0 || m.ErrorRate >= 0.5 {
		t.Errorf("last minute: %+v", m)
	}
	if f.LastReceived == nil || time.Since(*f.LastReceived) > time.Minute {
		t.Errorf("last received %v", f.LastReceived)
	}
	if f.Lag == nil || f.Lag.Last <= 0 || f.Lag.P50 == nil || *f.Lag.P50 <= 0 || f.Lag.P99 == nil || *f.Lag.P99 < *f.Lag.P50 {
		t.Errorf("lag %+v", f.Lag)
	}
	if f.State != "ok" || !strings.Contains(f.Reason, "last message received") {
		t.Errorf("state %q: %s", f.State, f.Reason)
	}
	var st statusFigures
	getJSON(t, srv.URL()+"/engine/status", &st)
	if st.DeadLetters != 2 || len(st.Live) == 0 || st.CountingSince == nil {
		t.Errorf("engine: dead letters %d, live partitions %d, counting since %v", st.DeadLetters, len(st.Live), st.CountingSince)
	}

	m := scrape(t, srv)
	const pas = ",feed=pas"
	m.want(t, "carerecord_feed_connections"+pas, eq(0), "0")
	m.want(t, "carerecord_feed_messages_received_total"+pas, eq(6), "6")
	m.want(t, "carerecord_feed_messages_rejected_total"+pas, eq(1), "1")
	m.want(t, "carerecord_feed_messages_applied_total"+pas, eq(4), "4")
	m.want(t, "carerecord_feed_apply_failures_total"+pas, eq(float64(f.Failed)), "as /engine/status says")
	m.want(t, "carerecord_feed_dead_letters"+pas, eq(2), "2")
	m.want(t, "carerecord_feed_queue_waiting"+pas, eq(0), "0")
	m.want(t, "carerecord_feed_last_received_timestamp_seconds"+pas, eq(float64(f.LastReceived.UnixMilli())/1e3), "the status's lastReceived")
	m.want(t, "carerecord_feed_heartbeat_seconds"+pas, eq(3600), "3600")
	m.want(t, "carerecord_feed_silent"+pas, eq(0), "0")
	m.want(t, "carerecord_feed_processing_lag_seconds"+pas+",count", eq(4), "4 lags")
	m.want(t, "carerecord_feed_processing_lag_seconds"+pas+",sum", positive, "> 0")
	m.want(t, "carerecord_queue_waiting,lane=live", eq(0), "0")
	m.want(t, "carerecord_queue_waiting,lane=bulk", eq(0), "0")
	m.want(t, "carerecord_queue_dead_letters", eq(2), "2")
	m.want(t, "carerecord_queue_up", eq(1), "1")
	m.want(t, "go_goroutines", positive, "> 0")

	// Scraping again counts nothing twice.
	if again := scrape(t, srv); again["carerecord_feed_messages_received_total"+pas] != 6 {
		t.Errorf("second scrape: received %v", again["carerecord_feed_messages_received_total"+pas])
	}
}

// A feed with a heartbeat is flagged silent once nothing has come for
// longer, in the status and in /metrics.
func TestFeedSilent(t *testing.T) {
	const heartbeat = 300 * time.Millisecond
	srv := servertest.Start(t, servertest.WithConfig(func(c *config.Config) {
		c.Feeds = []config.Feed{{Name: "lab", MLLP: "127.0.0.1:0", Heartbeat: heartbeat}}
	}))
	msg := [][]byte{[]byte(admission("HB1", "9990000018", "BEAT"))}
	if sum, err := ingest.Send(context.Background(), srv.Server.MLLPAddrs()[0], slices.Values(msg), ingest.SendOptions{}); err != nil || sum.Accepted != 1 {
		t.Fatalf("send: %+v, %v", sum, err)
	}
	f := pollFeed(t, srv, "lab", "silent", func(f feedFigures) bool { return f.State == "silent" })
	if f.Received != 1 || f.LastReceived == nil || time.Since(*f.LastReceived) <= heartbeat {
		t.Errorf("silent feed: %+v", f)
	}
	if !strings.Contains(f.Reason, "nothing received for") || !strings.Contains(f.Reason, "expected at least every 300ms") {
		t.Errorf("reason %q", f.Reason)
	}
	scrape(t, srv).want(t, "carerecord_feed_silent,feed=lab", eq(1), "1")
}

// /metrics answers with no feed configured: the runtime's figures, none of
// the engine's.
func TestMetricsWithoutFeeds(t *testing.T) {
	srv := servertest.Start(t)
	m := scrape(t, srv)
	m.want(t, "go_goroutines", positive, "> 0")
	for k := range m {
		if strings.HasPrefix(k, "carerecord_") {
			t.Errorf("%s with no feed configured", k)
		}
	}
}
