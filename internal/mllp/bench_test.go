package mllp

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

func benchMessage() []byte {
	var b strings.Builder
	b.WriteString("MSH|^~\\&|LAB|RXX01|CR|ICS|20260314093000||ORU^R01^ORU_R01|1|P|2.4\r")
	for range 20 {
		b.WriteString("OBX|1|NM|T01^Test^WINPATH||101.5|g/L|120-160|N|||F|||20260314090000\r")
	}
	return []byte(b.String())
}

func BenchmarkReadFrame(b *testing.B) {
	msg := benchMessage()
	var stream bytes.Buffer
	for range 100 {
		_ = WriteFrame(&stream, msg)
	}
	in := stream.Bytes()
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		r := NewReader(bytes.NewReader(in))
		for {
			if _, err := r.ReadFrame(); err == io.EOF {
				break
			} else if err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.N*100)/b.Elapsed().Seconds(), "frames/s")
}

func BenchmarkWriteFrame(b *testing.B) {
	msg := benchMessage()
	w := NewWriter(io.Discard)
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		if err := w.WriteFrame(msg); err != nil {
			b.Fatal(err)
		}
	}
}
