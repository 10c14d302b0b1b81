package mllp

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

// FuzzReader checks that the Reader never panics or loops on any input,
// that frames it returns hold no framing bytes and fit the limit, and that
// frames written by WriteFrame come back identically.
func FuzzReader(f *testing.F) {
	f.Add([]byte(sb+"MSH|^~\\&|A\r"+eb+"junk"+sb+"b"+eb), 8)
	f.Add([]byte(sb+"a"+sb+"b\x1cx\x1c\r"), 3)
	f.Add([]byte("\x1c\r\x0b\x0b\x1c"), 1)
	f.Fuzz(func(t *testing.T, in []byte, limit int) {
		if limit <= 0 || limit > 1<<20 {
			limit = 1 << 20
		}
		for _, oneByte := range []bool{false, true} {
			var src io.Reader = bytes.NewReader(in)
			if oneByte {
				src = iotest.OneByteReader(src)
			}
			r := NewReader(src)
			r.SetMaxFrameSize(limit)
			for n := 0; ; n++ {
				if n > len(in)+2 {
					t.Fatal("more results than input bytes")
				}
				fr, err := r.ReadFrame()
				if err == io.EOF {
					break
				}
				var fe *FrameError
				if err != nil && !errors.As(err, &fe) {
					t.Fatalf("unexpected error %v", err)
				}
				if err == nil && (bytes.ContainsAny(fr, "\x0b\x1c") || len(fr) > limit) {
					t.Fatalf("bad frame of %d bytes", len(fr))
				}
			}
		}

		// Round trip: split the input into messages at the framing bytes.
		msgs := bytes.FieldsFunc(in, func(c rune) bool { return c == StartBlock || c == EndBlock })
		var buf bytes.Buffer
		w := NewWriter(&buf)
		for _, m := range msgs {
			if err := w.WriteFrame(m); err != nil {
				t.Fatal(err)
			}
		}
		r := NewReader(&buf)
		for i, m := range msgs {
			got, err := r.ReadFrame()
			if err != nil || !bytes.Equal(got, m) {
				t.Fatalf("frame %d: %v, read back differently", i, err)
			}
		}
		if _, err := r.ReadFrame(); err != io.EOF {
			t.Fatalf("after the last frame: %v", err)
		}
	})
}
