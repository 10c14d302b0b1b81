package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"carerecord/internal/config"
	"carerecord/internal/hl7"
	"carerecord/internal/ingest"
	"carerecord/internal/queue"
	"carerecord/internal/store"
	"carerecord/internal/v2fhir"
)

// engine is the integration engine a server runs when feeds are
// configured: for each feed an MLLP listener that queues each message
// durably before acknowledging it (ingest.Serve) and/or a drop folder
// (dropfolder.go), files posted to /engine/feeds/{feed}/messages
// (engine_ingest.go), and one consumer that
// maps each queued message to FHIR (v2fhir) and applies it to the record
// (ingest.Applier), per patient in order: the messages waiting on one
// partition are applied together in one transaction. A message that cannot
// be mapped goes to the dead-letter store with its reason; a failing write
// is retried on its own and then dead-lettered.
type engine struct {
	q      *queue.Queue
	feeds  []config.Feed
	lns    []net.Listener
	apply  *ingest.Applier
	byName map[string]v2fhir.Feed // mapping settings by feed name
	beat   heartbeat

	mu      sync.Mutex
	pending map[batchKey][]mapped // mapped messages awaiting their partition's flush

	retention time.Duration // how long the message log keeps a message; 0: for ever (engine_messages.go)
}

// openEngine opens the queue, the feeds' listeners and their drop folders;
// nil when no feed is configured.
func (s *Server) openEngine(ctx context.Context) (*engine, error) {
	if len(s.cfg.Feeds) == 0 {
		return nil, nil
	}
	q, err := queue.Open(ctx, queue.Config{URL: s.cfg.NATSURL, DataDir: s.cfg.DataDir, Logger: s.opts.Logger})
	if err != nil {
		return nil, fmt.Errorf("open the queue: %w", err)
	}
	e := &engine{q: q, apply: ingest.NewApplier(s.store, s.reg), byName: map[string]v2fhir.Feed{}, pending: map[batchKey][]mapped{}, retention: s.cfg.MessageRetention}
	for _, f := range s.cfg.Feeds {
		f = f.FeedDefaults()
		if err := prepareDrop(f.Drop); err != nil {
			e.close()
			return nil, fmt.Errorf("feed %s: %w", f.Name, err)
		}
		var ln net.Listener // nil for a feed that takes files only
		if f.MLLP != "" {
			ln, err = net.Listen("tcp", f.MLLP)
		}
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
		loc, err := f.Location()
		if err != nil {
			e.close()
			return nil, fmt.Errorf("feed %s: %w", f.Name, err)
		}
		e.byName[f.Name] = v2fhir.Feed{Name: f.Name, Organisation: f.ODS, LocalSystem: f.LocalSystem, Location: loc}
	}
	return e, nil
}

// MLLPAddrs are the addresses the feeds listen on, in configuration order;
// "" for a feed with no MLLP listener.
func (s *Server) MLLPAddrs() []string {
	if s.engine == nil {
		return nil
	}
	out := make([]string, len(s.engine.lns))
	for i, ln := range s.engine.lns {
		if ln != nil {
			out[i] = ln.Addr().String()
		}
	}
	return out
}

// run serves the feeds and consumes the queue until ctx ends.
func (e *engine) run(ctx context.Context, s *Server) *sync.WaitGroup {
	var wg sync.WaitGroup
	e.beat.start()
	for i, f := range e.feeds {
		ln := e.lns[i]
		if ln == nil {
			continue
		}
		fc := ingestFeed(f)
		fc.Stats = e.beat.door(f.Name)
		wg.Go(func() {
			if err := ingest.Serve(ctx, ln, fc, e.q, s.opts.Logger); err != nil {
				s.opts.Logger.Error("feed stopped", "feed", f.Name, "err", err)
			}
		})
	}
	wg.Go(func() {
		err := e.q.Consume(ctx, e.handle, queue.ConsumeOptions{Flush: e.flush})
		if err != nil && !errors.Is(err, context.Canceled) {
			s.opts.Logger.Error("queue consumer stopped", "err", err)
		}
	})
	wg.Go(func() { e.watchDrops(ctx, s.opts.Logger) })
	wg.Go(func() { e.pruneInbox(ctx, s.store, s.opts.Logger) })
	return &wg
}

// handle maps one queued message and buffers what it became for its lane
// and partition; flush applies the buffer. A message that cannot be mapped
// is a permanent failure (dead-lettered at once).
func (e *engine) handle(ctx context.Context, d queue.Delivery) error {
	res, err := e.mapMessage(d)
	if err != nil || res == nil {
		e.beat.note(d.Feed, d.Queued, err)
		return err
	}
	k := batchKey{d.Lane, d.Partition}
	e.mu.Lock()
	e.pending[k] = append(e.pending[k], mapped{feed: d.Feed, key: applyKey(d.Message), res: res, at: d.Queued, msg: d.Message})
	e.mu.Unlock()
	return nil
}

// mapMessage parses and maps a delivery. An unsupported type (or a message
// with nothing for the record) is applied too, to be logged as unsupported
// in the record's message log, not dropped silently.
func (e *engine) mapMessage(d queue.Delivery) (*v2fhir.Result, error) {
	feed, ok := e.byName[d.Feed]
	if !ok {
		return nil, queue.Permanent(fmt.Errorf("no feed named %q is configured", d.Feed))
	}
	if isFHIR(d.Body) {
		return mapFHIR(d) // a FHIR resource posted to /engine/feeds/{feed}/fhir (engine_fhir.go)
	}
	msg, err := hl7.Parse(d.Body)
	if err != nil {
		return nil, queue.Permanent(err)
	}
	res, err := v2fhir.Map(msg, feed)
	if err != nil {
		var me *v2fhir.Error
		if errors.As(err, &me) {
			return nil, queue.Permanent(queue.At(me.Location, err))
		}
		return nil, queue.Permanent(err)
	}
	return res, nil
}

// flush applies what one lane's partition has buffered in one transaction.
// The buffer is emptied whatever happens: on failure the queue hands the
// messages over again one at a time.
func (e *engine) flush(ctx context.Context, lane queue.Lane, part int) error {
	k := batchKey{lane, part}
	e.mu.Lock()
	batch := e.pending[k]
	delete(e.pending, k)
	e.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	ms := make([]ingest.Keyed, len(batch))
	for i, m := range batch {
		ms[i] = ingest.Keyed{Key: m.key, Result: m.res, Log: m.logRecord()}
	}
	_, err := e.apply.ApplyKeyed(ctx, ms)
	for i, m := range batch {
		unsupported := err == nil && ms[i].Log != nil && ms[i].Log.Status == store.MessageUnsupported
		e.beat.noteApplied(m.feed, m.at, err, unsupported)
	}
	return err
}

// batchKey names one lane's partition: the unit the queue hands out in
// order and flushes as one.
type batchKey struct {
	lane queue.Lane
	part int
}

// mapped is a message mapped and waiting for its partition's flush.
type mapped struct {
	feed string
	key  string // the message's key in the record's inbox
	res  *v2fhir.Result
	at   time.Time // when the queue stored it: the processing lag starts there
	// msg is the message as queued (control id, raw body), for the message log.
	msg queue.Message
}

// applyKey names a message in the record's inbox of applied messages: its
// feed, control id and content (the queue's de-duplication id), so that a
// message delivered again after a crash, or sent again later, is applied
// once. A corrected message under a reused control id is a new message.
// An id too long for the inbox is hashed.
func applyKey(m queue.Message) string {
	k := m.DedupID()
	if len(k) > store.MaxOnceKey-len(ingest.KeyPrefix) {
		sum := sha256.Sum256([]byte(k))
		k = "h:" + hex.EncodeToString(sum[:])
	}
	return k
}

// inboxRetention is how long the record remembers an applied message's
// key. A message delivered again later than this (it would have to wait
// in the queue, applied but unacknowledged, for as long) or sent again is
// still recognised when it matches the current record.
const inboxRetention = 30 * 24 * time.Hour

// pruneInbox forgets applied-message keys older than inboxRetention, once
// at start and then every hour, so the inbox does not grow without bound.
func (e *engine) pruneInbox(ctx context.Context, st store.Store, log *slog.Logger) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		if n, err := st.PruneOnce(ctx, time.Now().Add(-inboxRetention)); err != nil && ctx.Err() == nil {
			log.Warn("prune the inbox of applied messages", "err", err)
		} else if n > 0 {
			log.Info("pruned the inbox of applied messages", "keys", n)
		}
		e.pruneMessages(ctx, st, log)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (e *engine) close() {
	for _, ln := range e.lns {
		if ln != nil {
			ln.Close()
		}
	}
	_ = e.q.Close()
}
