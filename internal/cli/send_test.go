package cli

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"carerecord/internal/hl7"
	"carerecord/internal/mllp"
)

// fakeReceiver is an MLLP listener on loopback that records each message
// and answers AA, or AR for a message whose control id starts with "BAD".
func fakeReceiver(t *testing.T) (addr string, got func() []string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var ids []string
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := mllp.NewReader(c)
				for {
					frame, err := r.ReadFrame()
					if err != nil {
						return
					}
					msg, err := hl7.Parse(frame)
					if err != nil {
						return
					}
					mu.Lock()
					ids = append(ids, msg.ControlID())
					mu.Unlock()
					code := hl7.AA
					if strings.HasPrefix(msg.ControlID(), "BAD") {
						code = hl7.AR
					}
					if err := mllp.WriteFrame(c, hl7.ACK(msg, code)); err != nil {
						return
					}
				}
			}()
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return ln.Addr().String(), func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), ids...)
	}
}

func writeMessages(t *testing.T, ids ...string) string {
	t.Helper()
	var b bytes.Buffer
	for _, id := range ids {
		b.WriteString("MSH|^~\\&|PAS|RZZ|CR|ICS|20240101120000||ADT^A01|" + id + "|P|2.4\r")
		b.WriteString("PID|1||RZZ1^^^RZZMRN^MR~9990000018^^^NHS^NH||SMITH^JANE\r\n")
	}
	p := filepath.Join(t.TempDir(), "msgs.hl7")
	if err := os.WriteFile(p, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSendCommand(t *testing.T) {
	addr, got := fakeReceiver(t)
	file := writeMessages(t, "M1", "M2", "M3")
	var out, errOut bytes.Buffer
	// Flags after the files work too.
	if code := Main([]string{"send", file, "--to", addr}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out.String(), errOut.String())
	}
	if ids := got(); strings.Join(ids, ",") != "M1,M2,M3" {
		t.Errorf("receiver got %v, want M1,M2,M3 in order", ids)
	}
	if !strings.Contains(out.String(), "sent 3 messages") || !strings.Contains(out.String(), "3 accepted") {
		t.Errorf("summary %q", out.String())
	}
}

func TestSendCommandRejected(t *testing.T) {
	addr, _ := fakeReceiver(t)
	file := writeMessages(t, "M1", "BAD2")
	var out, errOut bytes.Buffer
	if code := Main([]string{"send", "--to", addr, file}, &out, &errOut); code != 1 {
		t.Fatalf("exit %d with a rejected message, want 1; stdout %q", code, out.String())
	}
	if !strings.Contains(out.String(), "1 accepted, 1 rejected") {
		t.Errorf("summary %q", out.String())
	}
}

func TestSendCommandUsage(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := Main([]string{"send", "x.hl7"}, &out, &errOut); code != 2 {
		t.Errorf("send without --to: exit %d, want 2", code)
	}
	if !strings.Contains(errOut.String(), "--to HOST:PORT") {
		t.Errorf("usage not shown: %q", errOut.String())
	}
}
