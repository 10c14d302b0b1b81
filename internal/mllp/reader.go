// Package mllp owns the Minimal Lower Layer Protocol framing that carries HL7
// v2 over TCP: each message is sent as a start block (0x0B), the message,
// and an end block (0x1C 0x0D). It reads frames from an io.Reader and writes
// them to an io.Writer; connections, listeners, timeouts and
// acknowledgements belong to higher layers. It is layer 0: it imports only
// the standard library, and anyone may import it.
//
// Reader is tolerant where that is safe and says so when it is: bytes
// outside a frame, an oversized frame, a frame cut short by a new start
// block, or an end block without its CR are reported as *FrameError, and the
// Reader resynchronises on the next start block, so one bad frame does not
// end the connection. Errors never contain frame content.
package mllp

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// The framing bytes.
const (
	StartBlock     = 0x0B
	EndBlock       = 0x1C
	CarriageReturn = 0x0D
)

// DefaultMaxFrameSize is the largest frame a Reader accepts unless told
// otherwise.
const DefaultMaxFrameSize = 16 << 20

// Sentinel errors, wrapped by *FrameError.
var (
	ErrOutsideFrame = errors.New("data outside a frame")
	ErrTooLarge     = errors.New("frame larger than the limit")
	ErrTruncated    = errors.New("frame truncated")
	ErrMissingCR    = errors.New("end block not followed by CR")
	ErrContent      = errors.New("message contains a framing byte")
)

// FrameError is a framing problem and where in the stream it was. After a
// FrameError the Reader can go on: call ReadFrame again. Truncation at the
// end of the input also wraps io.ErrUnexpectedEOF.
type FrameError struct {
	Err    error
	Offset int64 // stream offset where the problem starts
	Len    int64 // bytes concerned (skipped, or read of the bad frame)
}

func (e *FrameError) Error() string {
	return fmt.Sprintf("mllp: %v: %d bytes at offset %d", e.Err, e.Len, e.Offset)
}

func (e *FrameError) Unwrap() error { return e.Err }

// Reader reads MLLP frames. It is not safe for concurrent use.
type Reader struct {
	r   *bufio.Reader
	max int
	off int64 // stream offset of the next byte in r

	inFrame    bool // a start block has been read and its frame not yet
	skip       bool // discarding the rest of an oversized frame
	lineBreaks bool // CR and LF between frames are skipped silently
	buf        []byte
}

// NewReader returns a Reader of frames from r, with DefaultMaxFrameSize.
func NewReader(r io.Reader) *Reader {
	return &Reader{r: bufio.NewReaderSize(r, 64<<10), max: DefaultMaxFrameSize}
}

// SetMaxFrameSize sets the largest frame content accepted.
func (r *Reader) SetMaxFrameSize(n int) { r.max = n }

// AllowLineBreaks makes the Reader skip CR and LF bytes between frames
// without reporting them, for senders that end each frame with 0x1C 0x0D
// 0x0A or put a line break before the start block.
func (r *Reader) AllowLineBreaks(allow bool) { r.lineBreaks = allow }

// ReadFrame returns the content of the next frame, without the framing
// bytes, in a new slice the caller owns. At the end of the input it returns
// io.EOF. A *FrameError reports a framing problem after which ReadFrame may
// be called again; any other error is the underlying reader's.
func (r *Reader) ReadFrame() ([]byte, error) {
	if r.skip {
		if err := r.discardFrame(); err != nil {
			return nil, err
		}
	}
	if !r.inFrame {
		if err := r.findStart(); err != nil {
			return nil, err
		}
	}
	return r.readContent()
}

// findStart reads up to and including the next start block.
func (r *Reader) findStart() error {
	start := r.off
	for {
		c, err := r.r.ReadByte()
		if err != nil {
			if err == io.EOF && r.off > start {
				return &FrameError{Err: ErrOutsideFrame, Offset: start, Len: r.off - start}
			}
			return err
		}
		r.off++
		if r.lineBreaks && (c == '\r' || c == '\n') && r.off-1 == start {
			start = r.off
			continue
		}
		if c == StartBlock {
			r.inFrame = true
			if skipped := r.off - 1 - start; skipped > 0 {
				return &FrameError{Err: ErrOutsideFrame, Offset: start, Len: skipped}
			}
			return nil
		}
		// Skip quickly to the next start block, if it is buffered.
		if chunk, _ := r.r.Peek(r.r.Buffered()); len(chunk) > 0 {
			i := bytes.IndexByte(chunk, StartBlock)
			if i < 0 {
				i = len(chunk)
			}
			_, _ = r.r.Discard(i)
			r.off += int64(i)
		}
	}
}

// readContent reads a frame's content after its start block.
func (r *Reader) readContent() ([]byte, error) {
	start := r.off - 1 // the start block
	r.buf = r.buf[:0]
	for {
		if _, err := r.r.Peek(1); err != nil {
			r.inFrame = false
			if err == io.EOF {
				return nil, &FrameError{Err: fmt.Errorf("%w: %w", ErrTruncated, io.ErrUnexpectedEOF), Offset: start, Len: r.off - start}
			}
			return nil, err
		}
		chunk, _ := r.r.Peek(r.r.Buffered())
		i := indexFraming(chunk)
		n := i
		if i < 0 {
			n = len(chunk)
		}
		if len(r.buf)+n > r.max {
			r.inFrame, r.skip = false, true
			_, _ = r.r.Discard(n)
			r.off += int64(n)
			return nil, &FrameError{Err: ErrTooLarge, Offset: start, Len: r.off - start}
		}
		r.buf = append(r.buf, chunk[:n]...)
		_, _ = r.r.Discard(n)
		r.off += int64(n)
		if i < 0 {
			continue
		}
		c, _ := r.r.ReadByte()
		r.off++
		if c == StartBlock {
			// The sender began a new frame before ending this one.
			return nil, &FrameError{Err: ErrTruncated, Offset: start, Len: r.off - 1 - start}
		}
		r.inFrame = false
		next, err := r.r.Peek(1)
		if err == io.EOF {
			return nil, &FrameError{Err: fmt.Errorf("%w: %w", ErrTruncated, io.ErrUnexpectedEOF), Offset: start, Len: r.off - start}
		}
		if err != nil {
			return nil, err
		}
		if next[0] != CarriageReturn {
			return nil, &FrameError{Err: ErrMissingCR, Offset: start, Len: r.off - start}
		}
		_, _ = r.r.Discard(1)
		r.off++
		return bytes.Clone(r.buf), nil
	}
}

// discardFrame skips the rest of an oversized frame: up to its end block
// (and CR), or up to a start block, which begins the next frame.
func (r *Reader) discardFrame() error {
	for {
		if _, err := r.r.Peek(1); err != nil {
			r.skip = false
			return err
		}
		chunk, _ := r.r.Peek(r.r.Buffered())
		i := indexFraming(chunk)
		if i < 0 {
			_, _ = r.r.Discard(len(chunk))
			r.off += int64(len(chunk))
			continue
		}
		_, _ = r.r.Discard(i + 1)
		r.off += int64(i + 1)
		r.skip = false
		if chunk[i] == StartBlock {
			r.inFrame = true
			return nil
		}
		if next, err := r.r.Peek(1); err == nil && next[0] == CarriageReturn {
			_, _ = r.r.Discard(1)
			r.off++
		}
		return nil
	}
}

// indexFraming returns the index of the first start or end block in b, or -1.
func indexFraming(b []byte) int {
	i := bytes.IndexByte(b, EndBlock)
	if i < 0 {
		i = len(b)
	}
	if j := bytes.IndexByte(b[:i], StartBlock); j >= 0 {
		return j
	}
	if i == len(b) {
		return -1
	}
	return i
}
