package mllp_test

import (
	"fmt"
	"net"

	"carerecord/internal/mllp"
)

// Frames go over any connection; here one end of a TCP loopback sends a
// message and the other replies with an acknowledgement.
func Example() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer ln.Close()
	done := make(chan error, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			done <- err
			return
		}
		defer conn.Close()
		msg, err := mllp.NewReader(conn).ReadFrame()
		if err != nil {
			done <- err
			return
		}
		fmt.Printf("received %q\n", msg)
		done <- mllp.WriteFrame(conn, []byte("MSH|^~\\&|CR|ICS|PAS|RXX01|||ACK^A01^ACK|2|P|2.5\rMSA|AA|1\r"))
	}()

	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer conn.Close()
	if err := mllp.WriteFrame(conn, []byte("MSH|^~\\&|PAS|RXX01|CR|ICS|||ADT^A01|1|P|2.5\r")); err != nil {
		fmt.Println(err)
		return
	}
	ack, err := mllp.NewReader(conn).ReadFrame()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("acknowledged %q\n", ack)
	if err := <-done; err != nil {
		fmt.Println(err)
	}
	// Output:
	// received "MSH|^~\\&|PAS|RXX01|CR|ICS|||ADT^A01|1|P|2.5\r"
	// acknowledged "MSH|^~\\&|CR|ICS|PAS|RXX01|||ACK^A01^ACK|2|P|2.5\rMSA|AA|1\r"
}
