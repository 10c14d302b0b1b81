// Package servertest starts a whole carerecord server inside a test: real
// store (SQLite in a temporary folder unless told otherwise), real HTTP on
// 127.0.0.1 port 0, stopped when the test ends.
//
// Only tests import it.
package servertest

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"

	"carerecord/internal/config"
	"carerecord/internal/server"
)

// Server is a running test server.
type Server struct {
	*server.Server
	// FHIR is the FHIR base URL, e.g. http://127.0.0.1:41234/fhir.
	FHIR string

	cancel context.CancelFunc
	done   chan error
	once   sync.Once
}

// Option adjusts the configuration before start.
type Option func(*config.Config, *server.Options)

// WithConfig lets a test change any setting.
func WithConfig(f func(*config.Config)) Option {
	return func(c *config.Config, _ *server.Options) { f(c) }
}

// WithDemo loads a synthetic population of n patients before serving.
func WithDemo(patients int, seed int64) Option {
	return func(c *config.Config, o *server.Options) {
		o.Demo = true
		c.Demo.Patients, c.Demo.Seed = patients, seed
	}
}

// Start starts a server and registers its shutdown with t.Cleanup.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	cfg := config.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	so := server.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, o := range opts {
		o(&cfg, &so)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s, err := server.New(ctx, cfg, so)
	if err != nil {
		cancel()
		t.Fatalf("servertest: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	select {
	case <-s.Ready():
	case err := <-done:
		cancel()
		t.Fatalf("servertest: server stopped at start: %v", err)
	}
	ts := &Server{Server: s, FHIR: s.URL() + "/fhir", cancel: cancel, done: done}
	t.Cleanup(func() { ts.Close(t) })
	return ts
}

// Close stops the server and waits for it; later calls do nothing.
func (s *Server) Close(t testing.TB) {
	s.once.Do(func() {
		s.cancel()
		if err := <-s.done; err != nil {
			t.Errorf("servertest: shutdown: %v", err)
		}
	})
}
