package server

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"sync"
	"time"

	"carerecord/internal/config"
	"carerecord/internal/ingest"
	"carerecord/internal/search"
	"carerecord/internal/store"
	"carerecord/internal/synthetic"
)

// The demo's live feeds: while `carerecord demo` serves, the systems of the
// synthetic acute trust (synthetic.FeedTrust) send HL7 v2 over MLLP to the
// demo's own listeners, one feed per system as a real integrated care
// system has one interface per system: adt (the PAS), results (pathology),
// documents (discharge summaries and clinic letters) and appointments
// (outpatient scheduling), on consecutive ports from Options.DemoFeed
// (2575-2578). The messages are about people the record already holds,
// with their NHS numbers and MRNs, so /engine/status and the FHIR API show
// the engine at work. Turned off with --demo-feeds=false.
//
// All four feeds carry the trust's ODS code: v2fhir scopes resource ids by
// the sending organisation, so until the patient index joins identities
// across organisations, results from another organisation would refer to a
// Patient that no ADT message created.

// liveFeedEvery is how often each live feed sends, unless
// Options.DemoFeedEvery says otherwise.
const liveFeedEvery = 1500 * time.Millisecond

// liveFeedPeople bounds how many people the live feeds speak of.
const liveFeedPeople = 50

// liveFeedConfig returns the four feeds of the live demo, the first at
// addr and the others on the next ports (all on port 0 when addr's port is
// 0); false when addr is not host:port.
func liveFeedConfig(addr string) ([]config.Feed, bool) {
	host, p, err := net.SplitHostPort(addr)
	port, perr := strconv.Atoi(p)
	if err != nil || perr != nil || port < 0 || port > 65535-len(synthetic.MessageKinds) {
		return nil, false
	}
	var feeds []config.Feed
	for i, k := range synthetic.MessageKinds {
		at := port
		if port != 0 {
			at += i
		}
		feeds = append(feeds, config.Feed{Name: k.String(), MLLP: net.JoinHostPort(host, strconv.Itoa(at)),
			ODS: synthetic.FeedTrust, LocalSystem: synthetic.LocalSystem(synthetic.FeedTrust),
			Heartbeat: 20 * liveFeedEvery}) // a demo feed silent for 30 s is flagged
	}
	return feeds, true
}

// runLiveFeeds starts, in wg, one generator that makes the messages every
// tick and one MLLP sender per feed; all stop when ctx ends. They log at
// debug level only and never stop the server.
func (s *Server) runLiveFeeds(ctx context.Context, wg *sync.WaitGroup) {
	log := s.opts.Logger.With("component", "demo-feeds")
	every := s.opts.DemoFeedEvery
	if every <= 0 {
		every = liveFeedEvery
	}
	addrs := s.MLLPAddrs()
	queues := make([]chan []byte, len(synthetic.MessageKinds))
	for i, k := range synthetic.MessageKinds {
		queues[i] = make(chan []byte, 16)
		addr := ""
		for j, f := range s.engine.feeds {
			if f.Name == k.String() {
				addr = addrs[j]
			}
		}
		if addr == "" {
			continue // not listening: its messages are dropped
		}
		wg.Go(func() {
			defer quiet(log, k.String())
			sendLive(ctx, k.String(), addr, queues[i], log)
		})
	}
	wg.Go(func() {
		defer quiet(log, "generator")
		s.generateLive(ctx, every, queues, log)
	})
}

// quiet keeps a failure of the demo's feeds from taking the server down.
func quiet(log *slog.Logger, what string) {
	if r := recover(); r != nil {
		log.Debug("live feed stopped", "feed", what, "panic", fmt.Sprint(r))
	}
}

// generateLive makes one message per feed every tick (when the feed has
// something to say) for the people of the demo store.
func (s *Server) generateLive(ctx context.Context, every time.Duration, queues []chan []byte, log *slog.Logger) {
	people := demoPeople(ctx, s.store, s.reg, liveFeedPeople)
	feed, err := synthetic.NewFeed(synthetic.FeedOptions{Seed: s.cfg.Demo.Seed, People: people, Now: time.Now()})
	if err != nil {
		log.Debug("no live feeds", "err", err, "people", len(people))
		return
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		now := time.Now()
		for i, k := range synthetic.MessageKinds {
			msg := feed.Next(k, now)
			if msg == nil {
				continue
			}
			select {
			case queues[i] <- msg:
			default:
				log.Debug("live feed behind; message dropped", "feed", k.String())
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// sendLive sends a feed's messages over one MLLP connection, as an
// interface engine does, reconnecting after a failure.
func sendLive(ctx context.Context, feed, addr string, queue <-chan []byte, log *slog.Logger) {
	msgs := func(yield func([]byte) bool) {
		for {
			select {
			case <-ctx.Done():
				return
			case m := <-queue:
				if !yield(m) {
					return
				}
			}
		}
	}
	for ctx.Err() == nil {
		sum, err := ingest.Send(ctx, addr, msgs, ingest.SendOptions{Retries: 2, Backoff: 500 * time.Millisecond, AckTimeout: 10 * time.Second,
			Progress: func(sum ingest.Summary) {
				log.Debug("live feed message acknowledged", "feed", feed, "sent", sum.Sent, "accepted", sum.Accepted)
			}})
		if ctx.Err() != nil {
			return
		}
		log.Debug("live feed connection lost; reconnecting", "feed", feed, "err", err, "sent", sum.Sent)
		select {
		case <-ctx.Done():
		case <-time.After(2 * time.Second):
		}
	}
}

// demoPeople reads up to n living people of the synthetic acute trust from
// the store, so that the live feeds speak of the very people it holds
// (whatever day their population was generated), each once.
func demoPeople(ctx context.Context, st store.Store, reg *search.Registry, n int) []synthetic.Person {
	sr, ok := st.(store.Searcher)
	if !ok {
		return nil
	}
	q, _, err := search.Parse(reg, "Patient", url.Values{
		"identifier": {synthetic.LocalSystem(synthetic.FeedTrust) + "/local-patient-identifier|"},
		"_count":     {strconv.Itoa(n)},
	}, true)
	if err != nil {
		return nil
	}
	page, err := sr.Search(ctx, q, store.SearchOptions{Registry: reg})
	if err != nil {
		return nil
	}
	var out []synthetic.Person
	seen := map[string]bool{}
	for _, r := range page.Matches {
		if p, ok := synthetic.PersonOf(r.Body); ok && !seen[p.NHSNumber] {
			seen[p.NHSNumber] = true
			out = append(out, p)
		}
	}
	return out
}
