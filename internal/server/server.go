// Package server is carerecord's wiring and lifecycle: it chooses the record
// store the configuration asks for, mounts the FHIR API and the pages, loads
// the demo population, and starts and stops the HTTP listener cleanly.
//
// It is the top layer (6): it may import every internal package; nothing but
// the command line (internal/cli) and tests import it. servertest starts a
// whole server inside a test.
package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"carerecord/internal/config"
	"carerecord/internal/fhir"
	"carerecord/internal/fhirapi"
	"carerecord/internal/search"
	"carerecord/internal/store"
	"carerecord/internal/store/postgres"
	"carerecord/internal/store/sqlite"
	"carerecord/internal/synthetic"
)

// Version is the software version reported in the CapabilityStatement.
var Version = "0.1.0-dev"

// OpenStore opens the record store the configuration selects.
func OpenStore(ctx context.Context, cfg config.Config) (store.Store, error) {
	if cfg.PostgresDSN != "" {
		st, err := postgres.Open(ctx, cfg.PostgresDSN)
		if err != nil {
			return nil, fmt.Errorf("open PostgreSQL store: %w", err)
		}
		return st, nil
	}
	st, err := sqlite.Open(ctx, cfg.DataDir)
	if err != nil {
		return nil, fmt.Errorf("open SQLite store in %s: %w", cfg.DataDir, err)
	}
	return st, nil
}

// Options are the parts of a server that are not configuration.
type Options struct {
	// Demo loads the synthetic population into an empty store and says so.
	Demo bool
	// Out receives the human-readable start-up lines (nil: discarded).
	Out io.Writer
	// Logger receives structured logs (nil: slog.Default()).
	Logger *slog.Logger
	// DemoFeed, when no feed is configured, is where the demo listens for
	// HL7 v2 over MLLP (carerecord demo: 127.0.0.1:2575). Unlike a
	// configured feed, an address already in use only costs a warning.
	// With the demo's live feeds on (config Demo.LiveFeeds) it is the first
	// of four feeds on consecutive ports (see demofeeds.go).
	DemoFeed string
	// DemoFeedEvery is how often the live feeds send (0: every 1.5 s).
	DemoFeedEvery time.Duration
}

// Server is one running carerecord: a store, a listener and the handlers.
type Server struct {
	cfg      config.Config
	opts     Options
	store    store.Store
	listener net.Listener
	http     *http.Server
	baseURL  string // e.g. http://127.0.0.1:8080, no trailing slash
	ready    chan struct{}
	reg      *search.Registry // search parameters, shared by the API and the demo loader
	engine   *engine          // the integration engine; nil when no feed is configured
	demoFeed bool             // the feeds are the demo's (Options.DemoFeed)
	live     bool             // the demo's feeds are the live synthetic ones
}

// New opens the store and the listener; Serve starts answering. On error
// everything New opened is closed again.
func New(ctx context.Context, cfg config.Config, opts Options) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("configuration: %w", err)
	}
	if opts.Out == nil {
		opts.Out = io.Discard
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	st, err := OpenStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	s := &Server{cfg: cfg, opts: opts, store: st, listener: ln, ready: make(chan struct{}),
		reg: search.NewRegistry(search.FHIRPath)}
	s.baseURL = strings.TrimSuffix(cfg.PublicURL, "/")
	if s.baseURL == "" {
		s.baseURL = "http://" + ln.Addr().String()
	}
	if len(cfg.Feeds) == 0 && opts.DemoFeed != "" {
		s.demoFeed = true
		if feeds, ok := liveFeedConfig(opts.DemoFeed); ok && opts.Demo && cfg.Demo.LiveFeeds {
			s.cfg.Feeds, s.live = feeds, true
		} else {
			s.cfg.SetMLLP(opts.DemoFeed)
		}
	}
	if s.engine, err = s.openEngine(ctx); err != nil {
		ln.Close()
		st.Close()
		return nil, err
	}
	s.http = &http.Server{
		Handler:           s.routes(),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(opts.Logger.Handler(), slog.LevelWarn),
	}
	return s, nil
}

// Ready is closed once the server answers requests (after any demo load).
func (s *Server) Ready() <-chan struct{} { return s.ready }

// Store is the server's record store.
func (s *Server) Store() store.Store { return s.store }

// URL is the server's base URL (no trailing slash); the FHIR API is URL()+"/fhir".
func (s *Server) URL() string { return s.baseURL }

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	api := fhirapi.New(s.store, fhirapi.Options{
		BaseURL:      s.baseURL + "/fhir",
		MaxBodyBytes: s.cfg.MaxBodyBytes,
		Logger:       s.opts.Logger,
		Version:      Version,
		Registry:     s.reg,
	})
	s.engineRoutes(mux)
	mux.Handle("/fhir/", http.StripPrefix("/fhir", api))
	mux.Handle("/fhir", http.StripPrefix("/fhir", api))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET /{$}", s.home)
	return mux
}

// Serve answers requests until ctx is cancelled, then shuts down gracefully:
// in-flight requests finish (up to 10 s), then the store closes. When the
// demo is on, an empty store is filled before the ready line is printed.
func (s *Server) Serve(ctx context.Context) error {
	if _, err := fhirapi.LoadSearchParameters(ctx, s.store, s.reg, s.opts.Logger); err != nil {
		s.abandon()
		return err
	}
	if err := s.reindexIfEmpty(ctx); err != nil {
		s.abandon()
		return err
	}
	if s.opts.Demo {
		if err := s.loadDemo(ctx); err != nil {
			s.abandon()
			return err
		}
	}
	errc := make(chan error, 1)
	go func() { errc <- s.http.Serve(s.listener) }()
	var engineDone func()
	if s.engine != nil {
		ectx, stopEngine := context.WithCancel(ctx)
		wg := s.engine.run(ectx, s)
		if s.live {
			s.runLiveFeeds(ectx, wg)
		}
		engineDone = func() { stopEngine(); wg.Wait(); s.engine.close() }
		for i, addr := range s.MLLPAddrs() {
			f := s.engine.feeds[i]
			if addr != "" {
				fmt.Fprintf(s.opts.Out, "carerecord: feed %s: HL7 v2 over MLLP at %s\n", f.Name, addr)
			}
			if f.Drop != "" {
				fmt.Fprintf(s.opts.Out, "carerecord: feed %s: HL7 v2 files dropped in %s\n", f.Name, f.Drop)
			}
		}
	}
	close(s.ready)
	fmt.Fprintf(s.opts.Out, "carerecord: serving FHIR R4 at %s/fhir (store: %s)\n", s.baseURL, s.describeStore())
	if s.opts.Demo {
		s.printHints(ctx)
	}
	s.opts.Logger.Info("serving", "url", s.baseURL+"/fhir", "store", s.cfg.Backend())

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.http.Shutdown(shutCtx); err != nil {
		s.opts.Logger.Warn("shutdown", "err", err)
	}
	if engineDone != nil {
		engineDone() // listeners and consumer stop before the store closes
	}
	closeErr := s.store.Close()
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return fmt.Errorf("http: %w", serveErr)
	}
	if closeErr != nil {
		return fmt.Errorf("close store: %w", closeErr)
	}
	s.opts.Logger.Info("stopped")
	return nil
}

func (s *Server) describeStore() string {
	if s.cfg.PostgresDSN != "" {
		return "PostgreSQL"
	}
	return "SQLite in " + s.cfg.DataDir
}

// Run is New then Serve.
func Run(ctx context.Context, cfg config.Config, opts Options) error {
	s, err := New(ctx, cfg, opts)
	if err != nil {
		return err
	}
	return s.Serve(ctx)
}

// printHints tells a new user where everything is.
func (s *Server) printHints(ctx context.Context) {
	w := s.opts.Out
	fmt.Fprintf(w, "  home page:           %s/\n", s.baseURL)
	fmt.Fprintf(w, "  capability:          curl %s/fhir/metadata\n", s.baseURL)
	if id, nhs := examplePatient(ctx, s.store, s.reg); id != "" {
		fmt.Fprintf(w, "  a patient:           curl %s/fhir/Patient/%s\n", s.baseURL, id)
		fmt.Fprintf(w, "  by NHS number:       curl '%s/fhir/Patient?identifier=%s|%s'\n", s.baseURL, fhir.NHSNumberSystem, nhs)
		fmt.Fprintf(w, "  vital signs:         curl '%s/fhir/Observation?patient=Patient/%s&category=vital-signs&_sort=-date&_count=50'\n", s.baseURL, id)
		fmt.Fprintf(w, "  everything:          curl '%s/fhir/Patient/%s/$everything'\n", s.baseURL, id)
	}
	fmt.Fprintf(w, "  bulk export:         curl -i -H 'Prefer: respond-async' '%s/fhir/$export?_type=Patient,Condition'\n", s.baseURL)
	fmt.Fprintf(w, "  latest changes:      curl '%s/fhir/_history?_count=10'\n", s.baseURL)
	if addrs := s.MLLPAddrs(); len(addrs) > 0 {
		fmt.Fprintf(w, "  an HL7 v2 admission: go run ./cmd/carerecord send --to %s docs/examples/adt_a01.hl7\n", addrs[0])
		fmt.Fprintf(w, "    then:              curl '%s/fhir/Patient?identifier=%s|9990000026&_revinclude=Encounter:patient'\n", s.baseURL, fhir.NHSNumberSystem)
	}
	if s.live && s.engine != nil {
		fmt.Fprintf(w, "  live HL7 v2 feeds:   adt, results, documents, appointments (synthetic; off with --demo-feeds=false)\n")
		fmt.Fprintf(w, "    watch them:        curl %s/engine/status\n", s.baseURL)
		fmt.Fprintf(w, "    what they wrote:   curl '%s/fhir/Encounter?identifier=%s/visit-number|&_sort=-_lastUpdated'\n", s.baseURL, synthetic.LocalSystem(synthetic.FeedTrust))
	}
	fmt.Fprintf(w, "  stop with Ctrl-C; data stays in %s\n", s.cfg.DataDir)
}

// reindexIfEmpty builds the search index of a store that has resources
// and no index (written by a carerecord from before the index), so that
// search and conditional writes find them.
func (s *Server) reindexIfEmpty(ctx context.Context) error {
	rx, ok := s.store.(store.Reindexer)
	if !ok {
		return nil
	}
	empty, err := rx.IndexEmpty(ctx)
	if err != nil || !empty {
		return err
	}
	fmt.Fprintf(s.opts.Out, "carerecord: the store has no search index yet; building it...\n")
	n, err := fhirapi.Reindex(ctx, s.store, s.reg, nil, nil)
	if err != nil {
		return fmt.Errorf("build the search index: %w", err)
	}
	fmt.Fprintf(s.opts.Out, "carerecord: indexed %d resources\n", n)
	return nil
}

// abandon closes what New opened, when Serve fails before serving.
func (s *Server) abandon() {
	s.listener.Close()
	if s.engine != nil {
		s.engine.close()
	}
	s.store.Close()
}
