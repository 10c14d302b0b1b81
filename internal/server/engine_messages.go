package server

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"carerecord/internal/fhir"
	"carerecord/internal/store"
)

// The message log's operator endpoints (the log itself is the store's:
// store.MessageRecord, written by ingest.Applier with each message):
//
//	GET /engine/messages?feed=&type=&controlId=&patient=&status=&since=&until=&_count=&cursor=
//	    messages newest first, without their bodies, each with what it became;
//	    "next" is the cursor of the page after, when there may be one
//	GET /engine/messages/{id}   one, with the raw message (segments end in CR)
//
// type is "ADT" (every ADT message) or "ADT^A01"; patient is
// "system|value" or a bare identifier value; since and until bound the
// time the message was received (RFC 3339, or a date: midnight UTC; until
// is exclusive). Messages hold patient data: like the dead letters, these
// are served on the API's address (loopback by default) until the access
// issue puts them behind the operator role. They read the store, so they
// answer also on a server with no feed configured.

func (s *Server) messageRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /engine/messages", s.searchMessages)
	mux.HandleFunc("GET /engine/messages/{id}", s.message)
}

// MessageJSON is a logged message as the endpoints answer it (the command
// line decodes the same type).
type MessageJSON struct {
	ID        int64        `json:"id"`
	Feed      string       `json:"feed"`
	ControlID string       `json:"controlId"`
	Type      string       `json:"type"`
	Received  time.Time    `json:"received"`
	EventTime string       `json:"eventTime,omitempty"`
	Status    string       `json:"status"`
	Patients  []string     `json:"patients,omitempty"`
	Became    []BecameJSON `json:"became,omitempty"`
	Message   string       `json:"message,omitempty"`
}

// BecameJSON is what one entry of a message became: the version it wrote
// (or the current one it left as it was), and how.
type BecameJSON struct {
	Reference string `json:"reference"` // Type/id/_history/N, or Type/id when nothing is stored
	Result    string `json:"result"`    // written, unchanged, superseded or not stored
}

func messageOut(m store.MessageRecord) MessageJSON {
	out := MessageJSON{ID: m.ID, Feed: m.Feed, ControlID: m.ControlID, Type: m.Type, Received: m.Received,
		EventTime: m.EventTime, Status: string(m.Status), Patients: m.Patients, Message: string(m.Body)}
	for _, line := range m.Outcome {
		ref, result, ok := strings.Cut(line, " ")
		if !ok {
			result = "written"
		}
		out.Became = append(out.Became, BecameJSON{ref, result})
	}
	return out
}

func (s *Server) searchMessages(w http.ResponseWriter, r *http.Request) {
	f, err := messageFilter(r)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	ms, err := s.store.SearchMessages(r.Context(), f)
	if err != nil {
		s.messageLogError(w, r, err)
		return
	}
	out := struct {
		Messages []MessageJSON `json:"messages"`
		Next     string        `json:"next,omitempty"`
	}{Messages: make([]MessageJSON, 0, len(ms))}
	for _, m := range ms {
		out.Messages = append(out.Messages, messageOut(m))
	}
	if len(ms) == f.Limit {
		out.Next = ms[len(ms)-1].Cursor().String()
	}
	writeJSON(w, http.StatusOK, out)
}

// messageFilter reads the query of GET /engine/messages. Its errors name
// the parameter and never echo a value.
func messageFilter(r *http.Request) (store.MessageFilter, error) {
	q := r.URL.Query()
	f := store.MessageFilter{Feed: q.Get("feed"), Type: q.Get("type"), ControlID: q.Get("controlId"),
		Patient: q.Get("patient"), Status: store.MessageStatus(q.Get("status")), Limit: store.DefaultMessageLimit}
	if f.Status != "" && !f.Status.Valid() {
		return f, errors.New("status: want applied, unsupported or duplicate")
	}
	var err error
	if f.Since, err = messageTime(q.Get("since")); err != nil {
		return f, errors.New("since: want a date or an RFC 3339 time")
	}
	if f.Until, err = messageTime(q.Get("until")); err != nil {
		return f, errors.New("until: want a date or an RFC 3339 time")
	}
	if c := q.Get("_count"); c != "" {
		n, err := strconv.Atoi(c)
		if err != nil || n < 1 || n > store.MaxMessageLimit {
			return f, errors.New("_count: want 1 to " + strconv.Itoa(store.MaxMessageLimit))
		}
		f.Limit = n
	}
	if f.After, err = store.ParseMessageCursor(q.Get("cursor")); err != nil {
		return f, errors.New("cursor: use the next of the previous page")
	}
	return f, nil
}

// messageTime reads an RFC 3339 time or a date (midnight UTC); "" is zero.
func messageTime(v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	return time.Parse(time.DateOnly, v)
}

func (s *Server) message(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "want a message id"})
		return
	}
	m, err := s.store.Message(r.Context(), id)
	if err != nil {
		s.messageLogError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, messageOut(*m))
}

// messageLogError answers a store error without its detail.
func (s *Server) messageLogError(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, store.ErrNotFound):
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such message (it may have been pruned)"})
	case r.Context().Err() != nil:
		// The client went away: nobody to answer.
	default:
		s.opts.Logger.Error("message log", "err", err)
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "the message log cannot be read"})
	}
}

// logRecord is what the engine knows of a message for the message log;
// ingest.Applier adds what the mapping and the record say. A message the
// mapping found no patient in (an unsupported type) is still found by the
// NHS number the queue ordered it by, when it has one.
func (m mapped) logRecord() *store.MessageRecord {
	r := &store.MessageRecord{Feed: m.feed, ControlID: m.msg.ID, Received: m.at, Body: m.msg.Body}
	if nhs, ok := strings.CutPrefix(m.msg.Key, "nhs:"); ok && m.res != nil && m.res.Patient == nil && len(m.res.Merges) == 0 {
		r.Patients = []string{fhir.NHSNumberSystem + "|" + nhs}
	}
	return r
}

// pruneMessages deletes the messages older than the retention from the
// message log (with the inbox, once at start and then every hour).
func (e *engine) pruneMessages(ctx context.Context, st store.Store, log *slog.Logger) {
	if e.retention <= 0 {
		return // kept for ever
	}
	if n, err := st.PruneMessages(ctx, time.Now().Add(-e.retention)); err != nil && ctx.Err() == nil {
		log.Warn("prune the message log", "err", err)
	} else if n > 0 {
		log.Info("pruned the message log", "messages", n, "retention", e.retention)
	}
}
