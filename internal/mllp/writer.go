package mllp

import (
	"bytes"
	"io"
)

// WriteFrame writes msg to w as one frame, in a single Write call so that
// frames from one writer are never interleaved at the byte level. It refuses
// a message holding a start or end block, which would break the framing.
func WriteFrame(w io.Writer, msg []byte) error {
	var fw Writer
	fw.w = w
	return fw.WriteFrame(msg)
}

// Writer writes frames to an io.Writer, reusing one buffer. It is not safe
// for concurrent use.
type Writer struct {
	w   io.Writer
	buf []byte
}

// NewWriter returns a Writer of frames to w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// WriteFrame writes msg as one frame; see the package function WriteFrame.
func (w *Writer) WriteFrame(msg []byte) error {
	if i := bytes.IndexAny(msg, "\x0b\x1c"); i >= 0 {
		return &FrameError{Err: ErrContent, Offset: int64(i), Len: int64(len(msg))}
	}
	w.buf = append(w.buf[:0], StartBlock)
	w.buf = append(w.buf, msg...)
	w.buf = append(w.buf, EndBlock, CarriageReturn)
	_, err := w.w.Write(w.buf)
	return err
}
