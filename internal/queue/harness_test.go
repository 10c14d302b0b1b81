package queue_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"carerecord/internal/queue"
)

// The suite runs every test against each backend: the embedded server
// (always) and an external NATS server, CARERECORD_TEST_NATS_URL or
// nats://127.0.0.1:4222, which is skipped when unreachable except under
// CI=true, where that fails.
const defaultNATS = "nats://127.0.0.1:4222"

// wait is the generous bound of every "eventually"; no test asserts timing.
const wait = 60 * time.Second

type backend struct {
	name     string
	external bool
}

var backends = []backend{{"embedded", false}, {"external", true}}

func externalURL(t *testing.T) string {
	t.Helper()
	u := os.Getenv("CARERECORD_TEST_NATS_URL")
	if u == "" {
		u = defaultNATS
	}
	pu, err := url.Parse(u)
	if err != nil {
		t.Fatalf("CARERECORD_TEST_NATS_URL: %v", err)
	}
	c, err := net.DialTimeout("tcp", pu.Host, 2*time.Second)
	if err != nil {
		msg := "NATS with JetStream is not reachable at " + u + " (" + err.Error() + "); start nats-server -js or set CARERECORD_TEST_NATS_URL"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	c.Close()
	return u
}

// fixture is one test's queue on one backend, with a unique prefix so tests
// share an external server without meeting, and a way to reopen it.
type fixture struct {
	t   *testing.T
	cfg queue.Config
	q   *queue.Queue
}

// forEach runs f as a parallel subtest per backend.
func forEach(t *testing.T, cfg queue.Config, f func(t *testing.T, fx *fixture)) {
	t.Parallel()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			c := cfg
			if b.external {
				c.URL = externalURL(t)
			} else {
				c.DataDir = t.TempDir()
			}
			c.Prefix = "t" + randomHex(6)
			// Stream limits are reserved from the server's store: keep
			// them small so parallel tests fit on a nearly full disk.
			if c.MaxBytes == 0 {
				c.MaxBytes = 64 << 20
			}
			c.DeadLetterMaxBytes = 16 << 20
			c.Logger = slog.New(slog.DiscardHandler)
			if os.Getenv("CARERECORD_TEST_QUEUE_LOG") != "" {
				c.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil)).With("test", t.Name())
			}
			fx := &fixture{t: t, cfg: c}
			fx.open()
			t.Cleanup(func() {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				if err := fx.q.DeleteAll(ctx); err != nil {
					t.Errorf("delete streams: %v", err)
				}
				fx.q.Close()
			})
			f(t, fx)
		})
	}
}

func (fx *fixture) open() {
	fx.t.Helper()
	q, err := queue.Open(context.Background(), fx.cfg)
	if err != nil {
		fx.t.Fatalf("open: %v", err)
	}
	fx.q = q
}

// reopen closes the queue (for the embedded backend, the server too) and
// opens it again on the same store.
func (fx *fixture) reopen() {
	fx.t.Helper()
	fx.q.Close()
	fx.open()
}

// consume runs Consume until the test ends (or stop is called) and returns
// stop, which cancels it and waits for it to return.
func (fx *fixture) consume(h queue.Handler, opts queue.ConsumeOptions) (stop func()) {
	fx.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- fx.q.Consume(ctx, h, opts) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					fx.t.Errorf("consume: %v", err)
				}
			case <-time.After(wait):
				fx.t.Errorf("consume did not stop")
			}
		})
	}
	fx.t.Cleanup(stop)
	return stop
}

func (fx *fixture) publish(m queue.Message) {
	fx.t.Helper()
	if err := fx.q.Publish(context.Background(), m); err != nil {
		fx.t.Fatalf("publish: %v", err)
	}
}

// eventually polls cond until it holds or the generous bound passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// recv waits for one value from ch.
func recv[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(wait):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// fastRetry makes retries quick enough for tests.
var fastRetry = queue.ConsumeOptions{Backoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond}

// log collects handled deliveries safely.
type log struct {
	mu  sync.Mutex
	got []queue.Delivery
}

func (l *log) add(d queue.Delivery) {
	l.mu.Lock()
	l.got = append(l.got, d)
	l.mu.Unlock()
}

func (l *log) all() []queue.Delivery {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]queue.Delivery(nil), l.got...)
}

func (l *log) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.got)
}

// bodies of the handled deliveries, in order.
func (l *log) bodies() []string {
	var out []string
	for _, d := range l.all() {
		out = append(out, string(d.Body))
	}
	return out
}

var errBad = errors.New("bad message")
