package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"carerecord/internal/hl7"
	"carerecord/internal/mllp"
	"carerecord/internal/queue"
)

// Timeouts of one message's round trip inside the listener.
const (
	publishTimeout = 30 * time.Second
	writeTimeout   = 30 * time.Second
)

// Serve accepts MLLP connections for feed on ln until ctx is cancelled or ln
// fails, and handles each as the package comment says. It closes ln, closes
// every connection when ctx ends, waits for their handlers and returns nil
// after a cancellation, or the accept error otherwise.
func Serve(ctx context.Context, ln net.Listener, feed FeedConfig, q Queue, log *slog.Logger) error {
	cfg, err := feed.withDefaults()
	if err != nil {
		ln.Close()
		return err
	}
	if log == nil {
		log = slog.Default()
	}
	log = log.With("feed", cfg.Name)
	q = counted(q, cfg.Stats)
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()

	var wg sync.WaitGroup
	defer wg.Wait()
	slots := make(chan struct{}, cfg.MaxConns)
	full := false // whether the last accepted connection was refused
	for {
		conn, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				time.Sleep(10 * time.Millisecond)
				continue
			}
			ln.Close()
			return fmt.Errorf("ingest: feed %s: accept: %w", cfg.Name, err)
		}
		select {
		case slots <- struct{}{}:
			full = false
		default:
			if !full {
				log.Warn("too many connections; refusing new ones", "remote", conn.RemoteAddr().String(), "max_conns", cfg.MaxConns)
			}
			full = true
			conn.Close()
			continue
		}
		if cfg.Stats != nil {
			cfg.Stats.Connected()
		}
		wg.Go(func() {
			defer func() { <-slots }()
			if cfg.Stats != nil {
				defer cfg.Stats.Disconnected()
			}
			c := &connection{cfg: cfg, q: q, conn: conn, log: log.With("remote", conn.RemoteAddr().String())}
			c.serve(ctx)
		})
	}
}

// connection is one sender's MLLP connection.
type connection struct {
	cfg   FeedConfig
	q     Queue
	conn  net.Conn
	log   *slog.Logger
	acker hl7.Acker
}

func (c *connection) serve(ctx context.Context) {
	defer c.conn.Close()
	stop := context.AfterFunc(ctx, func() { c.conn.Close() })
	defer stop()
	r := mllp.NewReader(c.conn)
	r.SetMaxFrameSize(c.cfg.MaxFrameBytes)
	r.AllowLineBreaks(true)
	w := mllp.NewWriter(c.conn)
	c.log.Debug("connection opened")
	for {
		_ = c.conn.SetReadDeadline(time.Now().Add(c.cfg.IdleTimeout))
		frame, err := r.ReadFrame()
		var fe *mllp.FrameError
		switch {
		case err == nil:
		case errors.Is(err, io.EOF) && !errors.As(err, &fe):
			c.log.Debug("connection closed by the sender")
			return
		case errors.As(err, &fe) && errors.Is(err, mllp.ErrTooLarge):
			c.log.Warn("frame larger than the limit; closing the connection", "offset", fe.Offset, "max_bytes", c.cfg.MaxFrameBytes)
			return
		case errors.As(err, &fe) && !errors.Is(err, io.ErrUnexpectedEOF):
			c.log.Warn("framing error; skipped", "err", err)
			continue
		default:
			if ctx.Err() == nil {
				c.log.Info("connection ended", "err", err)
			}
			return
		}
		ack, keep := c.handle(ctx, frame)
		if ack != nil {
			_ = c.conn.SetWriteDeadline(time.Now().Add(writeTimeout))
			if err := w.WriteFrame(ack); err != nil {
				c.log.Info("cannot send the acknowledgement", "err", err)
				return
			}
		}
		if !keep {
			return
		}
	}
}

// handle queues one frame's message (or dead-letters it) and returns the
// acknowledgement to send (nil when none is wanted) and whether the
// connection goes on.
func (c *connection) handle(ctx context.Context, frame []byte) (ack []byte, keep bool) {
	msg, perr := hl7.Parse(frame)
	if perr != nil {
		return c.reject(ctx, frame, perr)
	}
	log := c.log.With("control_id", msg.ControlID(), "type", msg.Type().String())
	m := QueueMessage(c.cfg, msg, frame)
	pctx, cancel := context.WithTimeout(ctx, publishTimeout)
	err := c.q.Publish(pctx, m)
	cancel()
	enhanced := msg.AcceptAckType() != ""
	if errors.Is(err, queue.ErrInvalid) {
		// Resending cannot help (a message larger than the queue takes).
		code := hl7.AR
		if enhanced {
			code = hl7.CR
		}
		log.Warn("message refused by the queue", "ack", string(code), "bytes", len(frame), "err", err)
		return c.acker.ACK(msg, code, hl7.ErrDetail{
			Code: hl7.CodeInternalError, Severity: hl7.SeverityError,
			Text: "message cannot be stored: too large",
		}), true
	}
	if err != nil {
		code := hl7.AE
		if enhanced {
			code = hl7.CE
		}
		log.Error("message not queued; sender told to resend", "ack", string(code), "err", err)
		return c.acker.ACK(msg, code, hl7.ErrDetail{
			Code: hl7.CodeInternalError, Severity: hl7.SeverityError,
			Text: "message not stored, please resend",
		}), true
	}
	code := hl7.AA
	if enhanced {
		code = hl7.CA
	}
	log.Debug("message queued", "bytes", len(frame))
	return c.acker.ACK(msg, code), true
}

// reject dead-letters a message that did not parse and builds its negative
// acknowledgement from its header, if that can be read.
func (c *connection) reject(ctx context.Context, frame []byte, perr error) (ack []byte, keep bool) {
	detail := errDetail(perr)
	loc := location(detail.Location)
	hdr, herr := hl7.ParseHeader(frame)
	log := c.log
	m := queue.Message{Feed: c.cfg.Name, Body: frame}
	if herr == nil {
		log = log.With("control_id", hdr.ControlID(), "type", hdr.Type().String())
		m.ID = hdr.ControlID()
	}
	pctx, cancel := context.WithTimeout(ctx, publishTimeout)
	derr := c.q.Reject(pctx, m, perr.Error(), loc)
	cancel()
	if herr != nil {
		log.Warn("unreadable message header; closing the connection", "err", herr, "location", loc, "bytes", len(frame), "dead_lettered", derr == nil)
		return nil, false
	}
	enhanced := hdr.AcceptAckType() != ""
	code := hl7.AR
	if enhanced {
		code = hl7.CR
	}
	if derr != nil && !errors.Is(derr, queue.ErrInvalid) {
		// Not stored: a reject would lose it, so ask the sender to resend.
		code = hl7.AE
		if enhanced {
			code = hl7.CE
		}
		log.Error("malformed message not dead-lettered; sender told to resend", "err", derr)
	} else {
		log.Warn("malformed message rejected", "err", perr, "location", loc, "dead_lettered", derr == nil)
	}
	return c.acker.ACK(hdr, code, detail), true
}

// location writes an ERR location as a dead letter keeps it, e.g. "PID-3".
func location(l hl7.Location) string {
	if l.Segment == "" {
		return ""
	}
	p := hl7.Path{Segment: l.Segment, Field: l.Field, Component: l.Component, Sub: l.Sub}
	if l.Seq > 1 {
		p.SegRep = l.Seq
	}
	if l.Rep > 1 {
		p.Rep = l.Rep
	}
	return p.String()
}
