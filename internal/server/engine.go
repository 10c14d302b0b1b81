package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"

	"carerecord/internal/config"
	"carerecord/internal/hl7"
	"carerecord/internal/ingest"
	"carerecord/internal/queue"
	"carerecord/internal/v2fhir"
)

// engine is the integration engine a server runs when feeds are
// configured: for each feed an MLLP listener that queues each message
// durably before acknowledging it (ingest.Serve), and one consumer that
// maps each queued message to FHIR (v2fhir) and applies it to the record
// (ingest.Applier), per patient in order. A message that cannot be mapped
// goes to the dead-letter store with its reason; a failing write is
// retried.
type engine struct {
	q      *queue.Queue
	feeds  []config.Feed
	lns    []net.Listener
	apply  *ingest.Applier
	byName map[string]v2fhir.Feed // mapping settings by feed name
	beat   heartbeat
}

// openEngine opens the queue and the feeds' listeners; nil when no feed is
// configured.
func (s *Server) openEngine(ctx context.Context) (*engine, error) {
	if len(s.cfg.Feeds) == 0 {
		return nil, nil
	}
	q, err := queue.Open(ctx, queue.Config{URL: s.cfg.NATSURL, DataDir: s.cfg.DataDir, Logger: s.opts.Logger})
	if err != nil {
		return nil, fmt.Errorf("open the queue: %w", err)
	}
	e := &engine{q: q, apply: ingest.NewApplier(s.store, s.reg), byName: map[string]v2fhir.Feed{}}
	for _, f := range s.cfg.Feeds {
		f = f.FeedDefaults()
		ln, err := net.Listen("tcp", f.MLLP)
		if err != nil && s.demoFeed {
			e.close()
			fmt.Fprintf(s.opts.Out, "carerecord: the demo's HL7 v2 feed cannot listen on %s (%v); running without it\n", f.MLLP, err)
			return nil, nil
		}
		if err != nil {
			e.close()
			return nil, fmt.Errorf("feed %s: listen on %s: %w", f.Name, f.MLLP, err)
		}
		e.feeds = append(e.feeds, f)
		e.lns = append(e.lns, ln)
		e.byName[f.Name] = v2fhir.Feed{Name: f.Name, Organisation: f.ODS, LocalSystem: f.LocalSystem}
	}
	return e, nil
}

// MLLPAddrs are the addresses the feeds listen on, in configuration order.
func (s *Server) MLLPAddrs() []string {
	if s.engine == nil {
		return nil
	}
	out := make([]string, len(s.engine.lns))
	for i, ln := range s.engine.lns {
		out[i] = ln.Addr().String()
	}
	return out
}

// run serves the feeds and consumes the queue until ctx ends.
func (e *engine) run(ctx context.Context, s *Server) *sync.WaitGroup {
	var wg sync.WaitGroup
	for i, f := range e.feeds {
		ln := e.lns[i]
		fc := ingest.FeedConfig{Name: f.Name, Listen: f.MLLP, SourceODS: f.ODS}
		wg.Go(func() {
			if err := ingest.Serve(ctx, ln, fc, e.q, s.opts.Logger); err != nil {
				s.opts.Logger.Error("feed stopped", "feed", f.Name, "err", err)
			}
		})
	}
	wg.Go(func() {
		err := e.q.Consume(ctx, e.handle, queue.ConsumeOptions{})
		if err != nil && !errors.Is(err, context.Canceled) {
			s.opts.Logger.Error("queue consumer stopped", "err", err)
		}
	})
	return &wg
}

// handle maps and applies one queued message, noting the feed's heartbeat.
func (e *engine) handle(ctx context.Context, d queue.Delivery) error {
	err := e.handle1(ctx, d)
	e.beat.note(d.Feed, err)
	return err
}

func (e *engine) handle1(ctx context.Context, d queue.Delivery) error {
	feed, ok := e.byName[d.Feed]
	if !ok {
		return queue.Permanent(fmt.Errorf("no feed named %q is configured", d.Feed))
	}
	msg, err := hl7.Parse(d.Body)
	if err != nil {
		return queue.Permanent(err)
	}
	res, err := v2fhir.Map(msg, feed)
	if err != nil {
		var me *v2fhir.Error
		if errors.As(err, &me) {
			return queue.Permanent(queue.At(me.Location, err))
		}
		return queue.Permanent(err)
	}
	if res.Unsupported || len(res.Entries) == 0 {
		return nil // kept in the queue's history; nothing for the record
	}
	_, err = e.apply.Apply(ctx, res)
	return err
}

func (e *engine) close() {
	for _, ln := range e.lns {
		ln.Close()
	}
	_ = e.q.Close()
}
