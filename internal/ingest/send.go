package ingest

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net"
	"os"
	"time"

	"carerecord/internal/hl7"
	"carerecord/internal/mllp"
)

// SendOptions tune Send; zero values take the defaults.
type SendOptions struct {
	// Retries is how many times a message answered AE (or CE), or whose
	// connection broke, is sent again (default 3).
	Retries int
	// Backoff is the delay before the first retry (default 1s), doubled for
	// each further one.
	Backoff time.Duration
	// AckTimeout is how long to wait for each acknowledgement (default 30s).
	AckTimeout time.Duration
	// Progress, if set, is called after each message with the totals so far.
	Progress func(Summary)
}

// Summary counts what the receiver said about the messages sent.
type Summary struct {
	Sent     int // messages sent and answered (or given up on)
	Accepted int // AA or CA
	Errors   int // AE or CE after the last retry, or no answer
	Rejected int // AR or CR: the receiver will never take them as they are
	Invalid  int // items that did not parse (SendFiles) or had no readable header, not sent
	Retries  int // resends after AE, CE or a broken connection
}

// ErrUnsendable means a message has no readable header, so no
// acknowledgement could be matched to it; Send skips it.
var ErrUnsendable = errors.New("ingest: message has no readable header")

// ErrAck means the receiver's answer was not an acknowledgement of the
// message sent.
var ErrAck = errors.New("ingest: bad acknowledgement")

// SendFiles sends every message of the files (read with hl7.NewScanner, so
// with or without batch envelopes) to the MLLP listener at addr, one at a
// time, each after the last was acknowledged. Items that do not parse are
// counted as Invalid and not sent. It stops at the first file or connection
// error it cannot recover from.
func SendFiles(ctx context.Context, addr string, paths []string, opts SendOptions) (Summary, error) {
	var invalid int
	var ferr error
	msgs := func(yield func([]byte) bool) {
		for _, p := range paths {
			f, err := os.Open(p)
			if err != nil {
				ferr = fmt.Errorf("ingest: send: %w", err)
				return
			}
			sc := hl7.NewScanner(f)
			for sc.Scan() {
				if sc.ItemErr() != nil || sc.Message() == nil {
					invalid++
					continue
				}
				if sc.Control() {
					continue
				}
				if !yield(sc.Message().Encode()) {
					f.Close()
					return
				}
			}
			f.Close()
			if err := sc.Err(); err != nil {
				ferr = fmt.Errorf("ingest: send %s: %w", p, err)
				return
			}
		}
	}
	sum, err := Send(ctx, addr, msgs, opts)
	sum.Invalid += invalid
	if err == nil {
		err = ferr
	}
	return sum, err
}

// Send sends each message (wire form, one message each) to the MLLP
// listener at addr over one connection, waits for its acknowledgement and
// counts the answers. A message answered AE or CE, or whose connection broke
// before the answer, is sent again after a backoff, up to opts.Retries times;
// the receiver drops duplicates. Every message must be acknowledged, so one
// in enhanced mode that asks for no commit acknowledgement is sent with
// MSH-15 AL. Send returns the counts and the error that
// stopped it, if any.
func Send(ctx context.Context, addr string, msgs iter.Seq[[]byte], opts SendOptions) (Summary, error) {
	if opts.Retries == 0 {
		opts.Retries = 3
	}
	if opts.Backoff == 0 {
		opts.Backoff = time.Second
	}
	if opts.AckTimeout == 0 {
		opts.AckTimeout = 30 * time.Second
	}
	s := &sender{addr: addr, opts: opts}
	defer s.close()
	var sum Summary
	for body := range msgs {
		code, retries, err := s.send(ctx, body)
		sum.Retries += retries
		if errors.Is(err, ErrUnsendable) {
			sum.Invalid++
			continue
		}
		sum.Sent++
		switch {
		case err != nil:
			sum.Errors++
			return sum, err
		case code == hl7.AA || code == hl7.CA:
			sum.Accepted++
		case code == hl7.AR || code == hl7.CR:
			sum.Rejected++
		default:
			sum.Errors++
		}
		if opts.Progress != nil {
			opts.Progress(sum)
		}
	}
	return sum, nil
}

// sender holds the connection Send uses, reopened after a failure.
type sender struct {
	addr string
	opts SendOptions
	conn net.Conn
	r    *mllp.Reader
}

func (s *sender) close() {
	if s.conn != nil {
		s.conn.Close()
		s.conn = nil
	}
}

// send delivers one message, retrying, and returns the last answer's code.
func (s *sender) send(ctx context.Context, body []byte) (hl7.AckCode, int, error) {
	body, controlID, err := askForAck(body)
	if err != nil {
		return "", 0, err
	}
	backoff := s.opts.Backoff
	for attempt := 0; ; attempt++ {
		code, err := s.roundTrip(ctx, controlID, body)
		if err != nil {
			s.close()
		}
		if err == nil && code != hl7.AE && code != hl7.CE {
			return code, attempt, nil
		}
		if attempt == s.opts.Retries || ctx.Err() != nil || errors.Is(err, ErrAck) {
			return code, attempt, err
		}
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
			return code, attempt, ctx.Err()
		}
		backoff *= 2
	}
}

// askForAck returns the message to send and its control id. A message in
// enhanced mode that asks for no commit acknowledgement (MSH-15 NE, ER or
// SU) gets MSH-15 AL: the point of sending is to know each message was
// stored. A message whose body does not parse is sent as it is, for the
// receiver to reject; one without a readable header is not sent.
func askForAck(body []byte) ([]byte, string, error) {
	msg, err := hl7.Parse(body)
	if err != nil {
		hdr, herr := hl7.ParseHeader(body)
		if herr != nil {
			return nil, "", fmt.Errorf("%w: %w", ErrUnsendable, herr)
		}
		return body, hdr.ControlID(), nil
	}
	if msg.AcceptAckType() != "" && !hl7.AckRequested(msg, hl7.CA) {
		if err := msg.Set("MSH-15", "AL"); err != nil {
			return nil, "", fmt.Errorf("%w: %w", ErrUnsendable, err)
		}
		body = msg.Bytes()
	}
	return body, msg.ControlID(), nil
}

// roundTrip writes one frame and reads its acknowledgement.
func (s *sender) roundTrip(ctx context.Context, controlID string, body []byte) (hl7.AckCode, error) {
	if s.conn == nil {
		var d net.Dialer
		conn, err := d.DialContext(ctx, "tcp", s.addr)
		if err != nil {
			return "", fmt.Errorf("ingest: send: %w", err)
		}
		s.conn, s.r = conn, mllp.NewReader(conn)
		s.r.AllowLineBreaks(true)
	}
	conn := s.conn // not s.conn in the func: send may close and clear it before the func has run
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) })
	defer stop()
	_ = s.conn.SetDeadline(time.Now().Add(s.opts.AckTimeout))
	if err := mllp.WriteFrame(s.conn, body); err != nil {
		return "", fmt.Errorf("ingest: send: %w", err)
	}
	for {
		frame, err := s.r.ReadFrame()
		var fe *mllp.FrameError
		if errors.As(err, &fe) && !errors.Is(err, mllp.ErrTooLarge) && !errors.Is(err, mllp.ErrTruncated) {
			continue // stray bytes between frames
		}
		if err != nil {
			return "", fmt.Errorf("ingest: send: read acknowledgement: %w", err)
		}
		ack, err := hl7.Parse(frame)
		if err != nil {
			return "", fmt.Errorf("%w: %w", ErrAck, err)
		}
		if got := ack.Get("MSA-2"); got != controlID {
			return "", fmt.Errorf("%w: MSA-2 %q does not echo control id %q", ErrAck, got, controlID)
		}
		return hl7.AckCode(ack.Get("MSA-1")), nil
	}
}
