package ingest_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"carerecord/internal/hl7"
	"carerecord/internal/ingest"
	"carerecord/internal/mllp"
	"carerecord/internal/queue"
)

// wait bounds every "eventually"; no test asserts timing.
const wait = 60 * time.Second

// openQueue opens an embedded queue in a temp folder for the test.
func openQueue(tb testing.TB) *queue.Queue {
	tb.Helper()
	b := make([]byte, 6)
	rand.Read(b)
	q, err := queue.Open(context.Background(), queue.Config{
		DataDir: tb.TempDir(), Prefix: "t" + hex.EncodeToString(b),
		MaxBytes: 64 << 20, DeadLetterMaxBytes: 16 << 20,
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		tb.Fatalf("open queue: %v", err)
	}
	tb.Cleanup(func() { q.Close() })
	return q
}

// serve starts a listener for feed on a loopback port and returns its address.
func serve(tb testing.TB, feed ingest.FeedConfig, q ingest.Queue) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	if feed.Name == "" {
		feed.Name = "pas-adt"
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ingest.Serve(ctx, ln, feed, q, slog.New(slog.DiscardHandler)) }()
	tb.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				tb.Errorf("serve: %v", err)
			}
		case <-time.After(wait):
			tb.Errorf("serve did not stop")
		}
	})
	return ln.Addr().String()
}

// client is one test sender.
type client struct {
	tb   testing.TB
	conn net.Conn
	r    *mllp.Reader
}

func dial(tb testing.TB, addr string) *client {
	tb.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { conn.Close() })
	_ = conn.SetDeadline(time.Now().Add(wait))
	return &client{tb: tb, conn: conn, r: mllp.NewReader(conn)}
}

func (c *client) write(raw []byte) {
	c.tb.Helper()
	if _, err := c.conn.Write(raw); err != nil {
		c.tb.Fatalf("write: %v", err)
	}
}

func (c *client) send(msg string) { c.write(frame(msg)) }

// ack reads the next acknowledgement.
func (c *client) ack() *hl7.Message {
	c.tb.Helper()
	f, err := c.r.ReadFrame()
	if err != nil {
		c.tb.Fatalf("read ack: %v", err)
	}
	m, err := hl7.Parse(f)
	if err != nil {
		c.tb.Fatalf("parse ack: %v", err)
	}
	return m
}

// roundTrip sends msg and returns the code of its ack, checking MSA-2.
func (c *client) roundTrip(msg string) hl7.AckCode {
	c.tb.Helper()
	c.send(msg)
	a := c.ack()
	want, _ := hl7.ParseHeader([]byte(msg))
	if got := a.Get("MSA-2"); want != nil && got != want.ControlID() {
		c.tb.Fatalf("MSA-2 %q, want %q", got, want.ControlID())
	}
	return hl7.AckCode(a.Get("MSA-1"))
}

// closed reports whether the server closed the connection.
func (c *client) closed() bool {
	_, err := c.r.ReadFrame()
	return err != nil && !errors.Is(err, mllp.ErrOutsideFrame)
}

func frame(msg string) []byte {
	var b bytes.Buffer
	if err := mllp.WriteFrame(&b, []byte(msg)); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// adt is a synthetic ADT^A01 for a test NHS number, with mode MSH-15/16.
func adt(id, nhs, mode string) string {
	return "MSH|^~\\&|PAS|RRV|CR|CR|20260101120000||ADT^A01^ADT_A01|" + id + "|P|2.5.1|||" + mode + "\r" +
		"EVN|A01|20260101115900\r" +
		"PID|||" + nhs + "^^^NHS^NH~M" + id + "^^^RRV^MR||TEST^PATIENT^ONE||19800101|F\r"
}

// malformed has a readable header and a bad segment name.
func malformed(id, mode string) string {
	return "MSH|^~\\&|PAS|RRV|CR|CR|20260101120000||ADT^A01^ADT_A01|" + id + "|P|2.5.1|||" + mode + "\r" +
		"EVN|A01|20260101115900\r" +
		"P!D|||9990000018^^^NHS^NH\r"
}

// collected consumes the queue until the test ends.
type collected struct {
	mu  sync.Mutex
	got []queue.Delivery
}

func consume(tb testing.TB, q *queue.Queue) *collected {
	c := &collected{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		q.Consume(ctx, func(_ context.Context, d queue.Delivery) error {
			c.mu.Lock()
			c.got = append(c.got, d)
			c.mu.Unlock()
			return nil
		}, queue.ConsumeOptions{})
	}()
	tb.Cleanup(func() { cancel(); <-done })
	return c
}

func (c *collected) wait(tb testing.TB, n int) []queue.Delivery {
	tb.Helper()
	deadline := time.Now().Add(wait)
	for {
		c.mu.Lock()
		got := append([]queue.Delivery(nil), c.got...)
		c.mu.Unlock()
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			tb.Fatalf("got %d messages, want %d", len(got), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func liveCount(tb testing.TB, q *queue.Queue) uint64 {
	tb.Helper()
	st, err := q.Stats(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return st.Live.Messages
}

// failingQueue refuses the first n publishes with err (default ErrFull).
type failingQueue struct {
	ingest.Queue
	mu  sync.Mutex
	n   int
	err error
}

func (f *failingQueue) Publish(ctx context.Context, m queue.Message) error {
	f.mu.Lock()
	fail := f.n > 0
	f.n--
	f.mu.Unlock()
	if fail && f.err != nil {
		return f.err
	}
	if fail {
		return queue.ErrFull
	}
	return f.Queue.Publish(ctx, m)
}

func ids(ds []queue.Delivery, key string) []string {
	var out []string
	for _, d := range ds {
		if d.Key == key {
			out = append(out, d.ID)
		}
	}
	return out
}

func TestKey(t *testing.T) {
	msh := "MSH|^~\\&|PAS|RRV|CR|CR|20260101120000||ADT^A01|C1|P|2.5.1\r"
	for _, tc := range []struct{ name, pid, want string }{
		{"nhs number", "PID|||M1^^^RRV^MR~9990000018^^^NHS^NH\r", "nhs:9990000018"},
		{"HN code", "PID|||999 000 0026^^^NHS^HN\r", "nhs:9990000026"},
		{"mrn only", "PID|||~M1^^^RRV^MR\r", "mrn:RRV|M1"},
		{"no identifiers", "PID|||\r", "msg:C1"},
		{"no PID", "", "msg:C1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := hl7.Parse([]byte(msh + tc.pid))
			if err != nil {
				t.Fatal(err)
			}
			if got := ingest.Key(m, ingest.DefaultNHSNumberTypeCodes); got != tc.want {
				t.Errorf("Key = %q, want %q", got, tc.want)
			}
		})
	}
}

// Valid messages are acknowledged AA and are on the queue byte for byte, in
// order per patient.
func TestQueuedThenAcked(t *testing.T) {
	t.Parallel()
	q := openQueue(t)
	addr := serve(t, ingest.FeedConfig{}, q)
	c := dial(t, addr)
	var sent []string
	for i, nhs := range []string{"9990000018", "9990000026", "9990000018", "9990000026", "9990000018"} {
		m := adt("C"+string(rune('0'+i)), nhs, "")
		sent = append(sent, m)
		if code := c.roundTrip(m); code != hl7.AA {
			t.Fatalf("message %d: %s, want AA", i, code)
		}
	}
	got := consume(t, q).wait(t, len(sent))
	byID := map[string]queue.Delivery{}
	for _, d := range got {
		byID[d.ID] = d
	}
	for i, m := range sent {
		d := byID["C"+string(rune('0'+i))]
		if !bytes.Equal(d.Body, []byte(m)) || d.Feed != "pas-adt" || d.EventTime.IsZero() {
			t.Errorf("message %d on the queue: %+v", i, d)
		}
	}
	if got, want := strings.Join(ids(got, "nhs:9990000018"), ","), "C0,C2,C4"; got != want {
		t.Errorf("order for one patient %s, want %s", got, want)
	}
}

// A malformed message gets AR with an ERR segment and is dead-lettered with
// its reason; the connection goes on.
func TestMalformedRejected(t *testing.T) {
	t.Parallel()
	q := openQueue(t)
	c := dial(t, serve(t, ingest.FeedConfig{}, q))
	c.send(malformed("BAD1", ""))
	a := c.ack()
	if a.Get("MSA-1") != "AR" || a.Get("MSA-2") != "BAD1" {
		t.Errorf("ack MSA %q %q", a.Get("MSA-1"), a.Get("MSA-2"))
	}
	if _, ok := a.Find("ERR", 1); !ok || a.Get("ERR-3.1") == "" || a.Get("ERR-8") == "" {
		t.Errorf("ack has no ERR with a code and text:\n%s", strings.ReplaceAll(string(a.Bytes()), "\r", "\n"))
	}
	dls, err := q.DeadLetters(context.Background(), queue.DeadLetterFilter{Feed: "pas-adt"})
	if err != nil || len(dls) != 1 {
		t.Fatalf("dead letters: %d, %v", len(dls), err)
	}
	if string(dls[0].Message.Body) != malformed("BAD1", "") || dls[0].Error == "" || dls[0].Message.ID != "BAD1" {
		t.Errorf("dead letter %+v", dls[0])
	}
	if code := c.roundTrip(adt("OK1", "9990000018", "")); code != hl7.AA {
		t.Errorf("after a reject: %s", code)
	}
}

// Garbage between frames, a frame cut short and a frame without a readable
// header do not crash the listener or lose the valid messages around them.
func TestGarbageAndTruncation(t *testing.T) {
	t.Parallel()
	q := openQueue(t)
	addr := serve(t, ingest.FeedConfig{}, q)
	c := dial(t, addr)
	if code := c.roundTrip(adt("G1", "9990000018", "")); code != hl7.AA {
		t.Fatalf("first: %s", code)
	}
	c.write([]byte("garbage \x00\xff bytes"))
	c.write([]byte{mllp.StartBlock})
	c.write([]byte("MSH|^~\\&|PAS|RRV|CR|CR|2026")) // cut short by the next start block
	if code := c.roundTrip(adt("G2", "9990000018", "")); code != hl7.AA {
		t.Fatalf("after garbage: %s", code)
	}
	c.write(frame("not HL7 at all"))
	if !c.closed() {
		t.Errorf("connection left open after an unreadable header")
	}
	c2 := dial(t, addr)
	if code := c2.roundTrip(adt("G3", "9990000018", "")); code != hl7.AA {
		t.Fatalf("new connection: %s", code)
	}
	// A truncated frame at the end of a connection.
	c3 := dial(t, addr)
	c3.write([]byte("\x0bMSH|^~\\&|PAS|RRV|CR|CR|2026"))
	c3.conn.Close()

	got := consume(t, q).wait(t, 3)
	if s := strings.Join(ids(got, "nhs:9990000018"), ","); s != "G1,G2,G3" {
		t.Errorf("queued %s", s)
	}
}

// A frame over the limit closes the connection; the listener goes on.
func TestOversizeRefused(t *testing.T) {
	t.Parallel()
	q := openQueue(t)
	addr := serve(t, ingest.FeedConfig{MaxFrameBytes: 4 << 10}, q)
	c := dial(t, addr)
	big := adt("BIG", "9990000018", "") + "NTE|1||" + strings.Repeat("x", 64<<10) + "\r"
	go c.conn.Write(frame(big)) // the server may close before reading it all
	if !c.closed() {
		t.Errorf("oversize frame acknowledged")
	}
	if code := dial(t, addr).roundTrip(adt("S1", "9990000018", "")); code != hl7.AA {
		t.Errorf("after an oversize frame: %s", code)
	}
	if n := liveCount(t, q); n != 1 {
		t.Errorf("%d messages queued, want 1", n)
	}
}

// Thousands of connections opened and dropped leave the listener working,
// and a connection over the limit is closed at once.
func TestConnectionFlood(t *testing.T) {
	t.Parallel()
	q := openQueue(t)
	addr := serve(t, ingest.FeedConfig{MaxConns: 8, IdleTimeout: 2 * time.Second}, q)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 250 {
				conn, err := net.Dial("tcp", addr)
				if err != nil {
					continue
				}
				conn.Write([]byte{mllp.StartBlock, 'M'})
				conn.Close()
			}
		})
	}
	wg.Wait()
	deadline := time.Now().Add(wait)
	for {
		c := dial(t, addr)
		c.send(adt("F1", "9990000018", ""))
		f, err := c.r.ReadFrame()
		if err == nil {
			if a, _ := hl7.Parse(f); a == nil || a.Get("MSA-1") != "AA" {
				t.Fatalf("after the flood: %q", f)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("listener not answering after the flood: %v", err)
		}
		time.Sleep(20 * time.Millisecond) // slots still held by dropped connections
	}
}

// A resent message is acknowledged each time but queued once.
func TestDuplicateQueuedOnce(t *testing.T) {
	t.Parallel()
	q := openQueue(t)
	c := dial(t, serve(t, ingest.FeedConfig{}, q))
	m := adt("D1", "9990000018", "")
	for range 2 {
		if code := c.roundTrip(m); code != hl7.AA {
			t.Fatalf("ack %s", code)
		}
	}
	if n := liveCount(t, q); n != 1 {
		t.Errorf("%d messages queued, want 1", n)
	}
}

// When the queue cannot store a message the sender gets AE, never AA.
func TestPublishFailureAE(t *testing.T) {
	t.Parallel()
	t.Run("refused", func(t *testing.T) {
		t.Parallel()
		q := openQueue(t)
		c := dial(t, serve(t, ingest.FeedConfig{}, &failingQueue{Queue: q, n: 1}))
		if code := c.roundTrip(adt("E1", "9990000018", "")); code != hl7.AE {
			t.Errorf("refused publish: %s, want AE", code)
		}
		if code := c.roundTrip(adt("E1", "9990000018", "")); code != hl7.AA {
			t.Errorf("resend: %s, want AA", code)
		}
	})
	t.Run("too large", func(t *testing.T) {
		t.Parallel()
		q := openQueue(t)
		c := dial(t, serve(t, ingest.FeedConfig{}, &failingQueue{Queue: q, n: 1, err: queue.ErrTooLarge}))
		if code := c.roundTrip(adt("E3", "9990000018", "")); code != hl7.AR {
			t.Errorf("message the queue cannot take: %s, want AR", code)
		}
	})
	t.Run("closed", func(t *testing.T) {
		t.Parallel()
		q := openQueue(t)
		c := dial(t, serve(t, ingest.FeedConfig{}, q))
		q.Close()
		if code := c.roundTrip(adt("E2", "9990000018", "")); code != hl7.AE {
			t.Errorf("closed queue: %s, want AE", code)
		}
	})
}

// Enhanced mode: CA after queueing, no ack when MSH-15 is NE, CR for a
// malformed message.
func TestEnhancedMode(t *testing.T) {
	t.Parallel()
	q := openQueue(t)
	c := dial(t, serve(t, ingest.FeedConfig{}, q))
	if code := c.roundTrip(adt("N1", "9990000018", "AL|NE")); code != hl7.CA {
		t.Errorf("MSH-15 AL: %s, want CA", code)
	}
	c.send(adt("N2", "9990000018", "NE|AL")) // no commit ack wanted
	if code := c.roundTrip(adt("N3", "9990000018", "AL|AL")); code != hl7.CA {
		t.Errorf("after NE: %s, want CA for N3", code)
	}
	if code := c.roundTrip(malformed("N4", "AL|AL")); code != hl7.CR {
		t.Errorf("malformed: %s, want CR", code)
	}
	got := consume(t, q).wait(t, 3)
	if s := strings.Join(ids(got, "nhs:9990000018"), ","); s != "N1,N2,N3" {
		t.Errorf("queued %s", s)
	}
}

// A feed with an unusable configuration does not start.
func TestServeBadConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		feed ingest.FeedConfig
	}{
		{"no name", ingest.FeedConfig{}},
		{"name with a dot", ingest.FeedConfig{Name: "pas.adt"}},
		{"negative limit", ingest.FeedConfig{Name: "pas", MaxConns: -1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			err = ingest.Serve(context.Background(), ln, tc.feed, nil, nil)
			if !errors.Is(err, ingest.ErrConfig) {
				t.Errorf("Serve: %v, want ErrConfig", err)
			}
		})
	}
}

// Connections over MaxConns are closed at once; one freed slot is reused.
func TestMaxConns(t *testing.T) {
	t.Parallel()
	q := openQueue(t)
	addr := serve(t, ingest.FeedConfig{MaxConns: 2}, q)
	a, b := dial(t, addr), dial(t, addr)
	if a.roundTrip(adt("M1", "9990000018", "")) != hl7.AA || b.roundTrip(adt("M2", "9990000018", "")) != hl7.AA {
		t.Fatal("first two connections not served")
	}
	if !dial(t, addr).closed() {
		t.Error("third connection not closed")
	}
	a.conn.Close()
	deadline := time.Now().Add(wait)
	for {
		c := dial(t, addr)
		c.send(adt("M3", "9990000018", ""))
		if _, err := c.r.ReadFrame(); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("freed slot not reused")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
