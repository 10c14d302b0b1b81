package mllp

import (
	"fmt"
	"io"
	"net"
	"testing"
)

// TestPipe streams frames both ways over a synchronous net.Pipe, where every
// Write blocks until the other side reads it.
func TestPipe(t *testing.T) {
	client, server := net.Pipe()
	const n = 50
	errc := make(chan error, 1)
	go func() {
		defer server.Close()
		r, w := NewReader(server), NewWriter(server)
		for {
			msg, err := r.ReadFrame()
			if err == io.EOF {
				errc <- nil
				return
			}
			if err != nil {
				errc <- err
				return
			}
			if err := w.WriteFrame(append([]byte("ACK "), msg...)); err != nil {
				errc <- err
				return
			}
		}
	}()
	r, w := NewReader(client), NewWriter(client)
	for i := range n {
		msg := fmt.Sprintf("MSH|^~\\&|A|||||||%d|P|2.5\r", i)
		if err := w.WriteFrame([]byte(msg)); err != nil {
			t.Fatal(err)
		}
		ack, err := r.ReadFrame()
		if err != nil || string(ack) != "ACK "+msg {
			t.Fatalf("ack %d = %q, %v", i, ack, err)
		}
	}
	client.Close()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}
