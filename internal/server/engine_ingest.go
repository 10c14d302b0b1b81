package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"carerecord/internal/config"
	"carerecord/internal/hl7"
	"carerecord/internal/ingest"
	"carerecord/internal/queue"
)

// Files of HL7 v2 messages into the engine, for backloads and for systems
// that write files rather than speak MLLP:
//
//	POST /engine/feeds/{feed}/messages?lane=bulk|live
//
// The body is a file as it is (one or more messages, CR, LF or CRLF segment
// endings, FHS/BHS batches or none), read as a stream and queued by
// ingest.QueueFile, the same code a feed's drop folder uses: on the bulk
// lane by default, the live lane with ?lane=live. A message that does not
// parse goes to the dead-letter store with its reason. The answer is an
// ingest.FileReport: 202 when the whole body was read, else the report so
// far with "error" saying why it stopped (413 body or message too large,
// 400 unreadable body, 503 the queue refused). Sending the file again after
// a failure is safe: duplicates are dropped.

// MaxIngestBytes bounds one body posted to /engine/feeds/{feed}/messages;
// `carerecord ingest` sends each file as one body, so split larger files.
const MaxIngestBytes = 256 << 20

// ingestFeed is the ingest side's view of a configured feed.
func ingestFeed(f config.Feed) ingest.FeedConfig {
	return ingest.FeedConfig{Name: f.Name, Listen: f.MLLP, SourceODS: f.ODS}
}

// feed returns the configured feed named name.
func (e *engine) feed(name string) (config.Feed, bool) {
	for _, f := range e.feeds {
		if f.Name == name {
			return f, true
		}
	}
	return config.Feed{}, false
}

// queueFile queues the messages of one file for feed f on lane: the one
// path of the endpoint and of the drop folders.
func (e *engine) queueFile(ctx context.Context, f config.Feed, r io.Reader, lane queue.Lane) (ingest.FileReport, error) {
	return ingest.QueueFile(ctx, ingest.CountFiles(e.q, e.beat.door(f.Name)), ingestFeed(f), r, lane)
}

// feedAndLane reads the {feed} of a posting endpoint and its ?lane=
// (default def), answering 404 or 400 itself when they are wrong.
func (s *Server) feedAndLane(w http.ResponseWriter, r *http.Request, def string) (*engine, config.Feed, queue.Lane, bool) {
	e := s.engineOr404(w)
	if e == nil {
		return nil, config.Feed{}, 0, false
	}
	name := r.PathValue("feed")
	f, ok := e.feed(name)
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": fmt.Sprintf("no feed named %q is configured", name)})
		return nil, f, 0, false
	}
	laneName := r.URL.Query().Get("lane")
	if laneName == "" {
		laneName = def
	}
	lane, ok := ingest.ParseLane(laneName)
	if !ok {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "lane: want bulk or live"})
		return nil, f, 0, false
	}
	return e, f, lane, true
}

func (s *Server) ingestMessages(w http.ResponseWriter, r *http.Request) {
	e, f, lane, ok := s.feedAndLane(w, r, "bulk")
	if !ok {
		return
	}
	if r.ContentLength > MaxIngestBytes {
		writeJSON(w, http.StatusRequestEntityTooLarge, map[string]string{"error": tooLargeBody})
		return
	}
	rep, err := e.queueFile(r.Context(), f, http.MaxBytesReader(w, r.Body, MaxIngestBytes), lane)
	log := s.opts.Logger.With("feed", f.Name, "lane", lane.String(), "messages", rep.Messages, "queued", rep.Queued, "rejected", len(rep.Rejected))
	if err != nil {
		var status int
		status, rep.Error = ingestFailure(err, rep)
		log.Warn("file of messages: stopped", "status", status, "err", err)
		writeJSON(w, status, rep)
		return
	}
	log.Info("file of messages queued")
	writeJSON(w, http.StatusAccepted, rep)
}

var tooLargeBody = "the body is larger than " + strconv.Itoa(MaxIngestBytes>>20) + " MiB: split the file"

// ingestFailure maps why queuing a file stopped to a status and a message
// for the client; the error's detail stays in the log.
func ingestFailure(err error, rep ingest.FileReport) (int, string) {
	after := fmt.Sprintf(" (stopped after message %d; sending the file again is safe)", rep.Messages)
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return http.StatusRequestEntityTooLarge, tooLargeBody + after
	case errors.Is(err, hl7.ErrTooLarge):
		return http.StatusRequestEntityTooLarge, fmt.Sprintf("message %d is larger than %d MiB", rep.Messages+1, hl7.DefaultMaxSize>>20) + after
	case errors.Is(err, ingest.ErrRead):
		return http.StatusBadRequest, "the body could not be read to its end" + after
	case errors.Is(err, queue.ErrFull):
		return http.StatusServiceUnavailable, "the queue is full" + after
	default:
		return http.StatusServiceUnavailable, "the queue is not answering" + after
	}
}
