package mllp

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

const (
	sb = "\x0b"
	eb = "\x1c\r"
)

// frames reads every frame of in, recording errors by their sentinel.
func frames(t *testing.T, r *Reader) (got []string, errs []error) {
	t.Helper()
	for range 1000 {
		f, err := r.ReadFrame()
		if err == io.EOF {
			return got, errs
		}
		if err != nil {
			var fe *FrameError
			if !errors.As(err, &fe) {
				t.Fatalf("non-frame error %v", err)
			}
			errs = append(errs, fe.Err)
			continue
		}
		got = append(got, string(f))
	}
	t.Fatal("ReadFrame does not stop")
	return
}

func TestReader(t *testing.T) {
	msg := "MSH|^~\\&|A\rPID|1\r"
	for _, tt := range []struct {
		name   string
		in     string
		want   []string
		errs   []error
		breaks bool
	}{
		{"one", sb + msg + eb, []string{msg}, nil, false},
		{"three", sb + "a" + eb + sb + "b" + eb + sb + eb, []string{"a", "b", ""}, nil, false},
		{"empty input", "", nil, nil, false},
		{"garbage before", "junk" + sb + "a" + eb, []string{"a"}, []error{ErrOutsideFrame}, false},
		{"garbage between", sb + "a" + eb + "\r\n" + sb + "b" + eb, []string{"a", "b"}, []error{ErrOutsideFrame}, false},
		{"line breaks allowed", sb + "a" + eb + "\n" + sb + "b" + eb + "\r\n", []string{"a", "b"}, nil, true},
		{"line breaks then junk", sb + "a" + eb + "\njunk" + sb + "b" + eb, []string{"a", "b"}, []error{ErrOutsideFrame}, true},
		{"garbage after", sb + "a" + eb + "tail", []string{"a"}, []error{ErrOutsideFrame}, false},
		{"truncated by new start", sb + "a" + sb + "b" + eb, []string{"b"}, []error{ErrTruncated}, false},
		{"truncated at EOF", sb + "a" + eb + sb + "partial", []string{"a"}, []error{ErrTruncated}, false},
		{"end block then EOF", sb + "a\x1c", nil, []error{ErrTruncated}, false},
		{"end block without CR", sb + "a\x1cx" + sb + "b" + eb, []string{"b"}, []error{ErrMissingCR, ErrOutsideFrame}, false},
		{"stray end block", "\x1c\r" + sb + "b" + eb, []string{"b"}, []error{ErrOutsideFrame}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for _, oneByte := range []bool{false, true} {
				var src io.Reader = strings.NewReader(tt.in)
				if oneByte {
					src = iotest.OneByteReader(src)
				}
				r := NewReader(src)
				r.AllowLineBreaks(tt.breaks)
				got, errs := frames(t, r)
				if strings.Join(got, "|") != strings.Join(tt.want, "|") || len(got) != len(tt.want) {
					t.Errorf("frames %q, want %q", got, tt.want)
				}
				if len(errs) != len(tt.errs) {
					t.Fatalf("errors %v, want %v", errs, tt.errs)
				}
				for i := range errs {
					if !errors.Is(errs[i], tt.errs[i]) {
						t.Errorf("error %d = %v, want %v", i, errs[i], tt.errs[i])
					}
				}
			}
		})
	}
}

func TestReaderTruncatedEOFIsUnexpectedEOF(t *testing.T) {
	_, err := NewReader(strings.NewReader(sb + "MSH|secret")).ReadFrame()
	if !errors.Is(err, ErrTruncated) || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(err.Error(), "secret") {
		t.Errorf("error %q shows frame content", err)
	}
	var fe *FrameError
	if errors.As(err, &fe); fe.Offset != 0 || fe.Len != 11 {
		t.Errorf("offset %d len %d", fe.Offset, fe.Len)
	}
}

func TestReaderMaxFrameSize(t *testing.T) {
	big := strings.Repeat("x", 100)
	in := sb + "small" + eb + sb + big + eb + sb + "next" + eb + sb + big + sb + "after" + eb
	for _, oneByte := range []bool{false, true} {
		var src io.Reader = strings.NewReader(in)
		if oneByte {
			src = iotest.OneByteReader(src)
		}
		r := NewReader(src)
		r.SetMaxFrameSize(10)
		got, errs := frames(t, r)
		if strings.Join(got, ",") != "small,next,after" || len(errs) != 2 || !errors.Is(errs[0], ErrTooLarge) || !errors.Is(errs[1], ErrTooLarge) {
			t.Errorf("frames %q errors %v", got, errs)
		}
	}
}

func TestReaderReadError(t *testing.T) {
	boom := errors.New("connection reset")
	r := NewReader(io.MultiReader(strings.NewReader(sb+"a"+eb+sb+"b"), iotest.ErrReader(boom)))
	if f, err := r.ReadFrame(); err != nil || string(f) != "a" {
		t.Fatalf("first frame %q %v", f, err)
	}
	if _, err := r.ReadFrame(); !errors.Is(err, boom) {
		t.Fatalf("err = %v, want the reader's error", err)
	}
}

func TestWriteFrame(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteFrame(&buf, []byte("MSH|x\r")); err != nil {
		t.Fatal(err)
	}
	w := NewWriter(&buf)
	if err := w.WriteFrame(nil); err != nil {
		t.Fatal(err)
	}
	if got := buf.String(); got != sb+"MSH|x\r"+eb+sb+eb {
		t.Errorf("wrote %q", got)
	}
	for _, bad := range []string{"a\x0bb", "a\x1cb"} {
		if err := w.WriteFrame([]byte(bad)); !errors.Is(err, ErrContent) {
			t.Errorf("WriteFrame(%q) err = %v", bad, err)
		}
	}
	if err := WriteFrame(iotest.TruncateWriter(io.Discard, 0), []byte("x")); err != nil {
		t.Errorf("err = %v", err)
	}
}
