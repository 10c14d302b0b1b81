package main_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"carerecord/internal/hl7"
	"carerecord/internal/mllp"
	"carerecord/internal/nhsnumber"
	"carerecord/internal/store"
	"carerecord/internal/store/sqlite"
)

// TestKillMidFeed sends 100,000 HL7 v2 messages over MLLP to the real
// binary, SIGKILLs it in the middle, restarts it on the same data folder,
// and has the senders do what an interface engine does: send again every
// message they were not acknowledged for. Then it opens the record and
// proves that every message was applied exactly once and in order:
//
//   - each patient gets one admission and four updates, each update a new
//     address line, so a patient whose Patient has other than exactly five
//     versions lost a message (fewer) or applied one twice (more: an
//     update applied again after a later one would write a version);
//   - the current address is the last update's, and the versions hold the
//     lines in the order sent;
//   - no dead letters, and every acknowledged message is in the record.
//
// CARERECORD_CRASH_MESSAGES sets another count (a multiple of 5 and 8).
func TestKillMidFeed(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test: builds and kills the real binary (skipped with -short)")
	}
	total := 100_000
	if s := os.Getenv("CARERECORD_CRASH_MESSAGES"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 || n%40 != 0 {
			t.Fatalf("CARERECORD_CRASH_MESSAGES=%q: want a positive multiple of 40", s)
		}
		total = n
	}
	const updates, conns = 5, 8
	patients := total / updates
	binary(t)
	dir := t.TempDir()
	mllpAddr := freeAddr(t)

	// Each connection sends its patients' messages round by round, so a
	// patient's five messages are spread across the run.
	type sender struct {
		msgs  []string
		acked int // the messages before this one are acknowledged
	}
	senders := make([]*sender, conns)
	for c := range senders {
		senders[c] = &sender{}
	}
	for r := range updates {
		for p := range patients {
			s := senders[p%conns]
			s.msgs = append(s.msgs, crashADT(p, r))
		}
	}

	var ackedTotal atomic.Int64
	run := func(p *proc, killAt int64) {
		var wg sync.WaitGroup
		for _, s := range senders {
			wg.Go(func() { s.acked += sendUntilError(mllpAddr, s.msgs[s.acked:], &ackedTotal) })
		}
		sent := make(chan struct{})
		go func() { wg.Wait(); close(sent) }()
		if killAt > 0 {
		wait:
			for ackedTotal.Load() < killAt {
				select {
				case <-sent:
					break wait
				case <-p.done:
					break wait
				case <-time.After(time.Millisecond):
				}
			}
			p.kill()
		}
		<-sent
	}

	p := serveFeed(t, dir, mllpAddr)
	start := time.Now()
	run(p, int64(total*2/5))
	before := ackedTotal.Load()
	t.Logf("SIGKILL after %d of %d messages acknowledged (%v)", before, total, time.Since(start).Round(time.Millisecond))
	if before >= int64(total) {
		t.Fatal("every message was acknowledged before the kill: the test proved nothing")
	}

	p = serveFeed(t, dir, mllpAddr)
	base := fhirBase(t, p)
	run(p, 0)
	if got := ackedTotal.Load(); got != int64(total) {
		t.Fatalf("%d of %d messages acknowledged after the restart; stderr:\n%s", got, total, p.stderr)
	}
	t.Logf("all %d acknowledged after %v", total, time.Since(start).Round(time.Millisecond))

	// Wait for the engine to drain its queue into the record.
	c := newClient(base)
	defer c.close()
	deadline := time.Now().Add(10 * time.Minute)
	for {
		st := engineStatus(t, c)
		if st.waiting == 0 && st.dead == 0 && countPatients(t, c) == patients {
			break
		}
		if st.dead > 0 {
			t.Fatalf("%d dead letters; the messages are all valid", st.dead)
		}
		if time.Now().After(deadline) {
			t.Fatalf("the record did not catch up: %+v", st)
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("applied after %v", time.Since(start).Round(time.Millisecond))
	p.kill()

	verifyFeed(t, dir, patients, updates)
}

// crashADT is patient p's message r: an admission (r = 0) or an update
// with a new address line; the event times follow r.
func crashADT(p, r int) string {
	event := "A08"
	if r == 0 {
		event = "A01"
	}
	ts := fmt.Sprintf("202403120%d0000", r+1)
	return fmt.Sprintf("MSH|^~\\&|PAS|RZZ|CARERECORD|ICS|%s||ADT^%s^ADT_A01|K%07d-%d|P|2.4|||AL|NE\r"+
		"EVN|%s|%s\r"+
		"PID|1||CR%07d^^^RZZMRN^MR~%s^^^NHS^NH||CRASH^PATIENT||19800214|F|||%s^^LEEDS^^LS1 4AB^GBR^H\r"+
		"PV1|1|I|WARD7^BAY2^BED3^LGI||||C1234567^WHO^JOHN^^^DR^^^GMC||||||||||||V%07d|||||||||||||||||||||||||20240312090000|\r",
		ts, event, p, r, event, ts, p, nhsnumber.Test(p), addressLine(r), p)
}

func addressLine(r int) string { return fmt.Sprintf("%d UPDATE STREET", r+1) }

// sendUntilError sends msgs in order on one connection, each after the
// previous one's AA, and returns how many were acknowledged before the
// connection failed (the server was killed) or all were.
func sendUntilError(addr string, msgs []string, acked *atomic.Int64) int {
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return 0
	}
	defer conn.Close()
	r := mllp.NewReader(bufio.NewReader(conn))
	w := mllp.NewWriter(conn)
	for i, m := range msgs {
		conn.SetDeadline(time.Now().Add(time.Minute))
		if err := w.WriteFrame([]byte(m)); err != nil {
			return i
		}
		frame, err := r.ReadFrame()
		if err != nil {
			return i
		}
		ack, err := hl7.Parse(frame)
		if err != nil {
			return i
		}
		if code := hl7.AckCode(ack.Get("MSA-1")); code != hl7.AA && code != hl7.CA {
			return i // AE or CE: not queued; sent again after the restart
		}
		acked.Add(1)
	}
	return len(msgs)
}

// freeAddr returns a loopback address no one listens on now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

var feedLine = regexp.MustCompile(`HL7 v2 over MLLP at (127\.0\.0\.1:\d+)`)

// serveFeed starts `carerecord serve` with an MLLP feed on addr and waits
// until the feed listens.
func serveFeed(t *testing.T, dir, addr string) *proc {
	t.Helper()
	p := start(t, "serve", "--listen", "127.0.0.1:0", "--data", dir, "--mllp", addr, "--log-level", "warn")
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if feedLine.MatchString(p.stdout.String()) && servingLine.MatchString(p.stdout.String()) {
			return p
		}
		if p.exited() {
			t.Fatalf("carerecord serve exited before it was ready (%v); stderr:\n%s", p.err, p.stderr)
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("carerecord serve with a feed did not get ready within 60s; stdout %q stderr:\n%s", p.stdout, p.stderr)
	return nil
}

func fhirBase(t *testing.T, p *proc) string {
	t.Helper()
	m := servingLine.FindStringSubmatch(p.stdout.String())
	if m == nil {
		t.Fatalf("no FHIR address in %q", p.stdout)
	}
	return m[1]
}

type feedState struct{ waiting, dead int }

// engineStatus reads the backlog and dead-letter count from /engine/status.
func engineStatus(t *testing.T, c *client) feedState {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	root := &client{base: strings.TrimSuffix(c.base, "/fhir"), http: c.http}
	r, err := root.do(ctx, "GET", "/engine/status", nil, "")
	if err != nil || r.status != 200 {
		t.Fatalf("/engine/status: %v %s", err, statusOf(r))
	}
	var st struct {
		Live        []int `json:"liveWaitingByPartition"`
		DeadLetters int   `json:"deadLetters"`
	}
	if err := json.Unmarshal(r.body, &st); err != nil {
		t.Fatalf("/engine/status: %v: %s", err, r.body)
	}
	fs := feedState{dead: st.DeadLetters}
	for _, n := range st.Live {
		fs.waiting += n
	}
	return fs
}

func countPatients(t *testing.T, c *client) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r, err := c.do(ctx, "GET", "/Patient?_summary=count", nil, "")
	if err != nil || r.status != 200 {
		t.Fatalf("count patients: %v %s", err, statusOf(r))
	}
	var b struct {
		Total int `json:"total"`
	}
	if err := json.Unmarshal(r.body, &b); err != nil {
		t.Fatal(err)
	}
	return b.Total
}

// verifyFeed opens the stopped server's record and checks every patient's
// versions: exactly one per message, in the order sent.
func verifyFeed(t *testing.T, dir string, patients, updates int) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	lines := map[string][]string{} // patient id -> address lines, oldest first
	var before int64
	for {
		page, err := st.History(ctx, store.HistoryQuery{Type: "Patient", BeforeSeq: before, Count: 1000})
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		for _, v := range page { // newest first
			var p struct {
				Address []struct {
					Line []string `json:"line"`
				} `json:"address"`
			}
			if err := json.Unmarshal(v.Body, &p); err != nil || len(p.Address) == 0 || len(p.Address[0].Line) == 0 {
				t.Fatalf("Patient/%s version %d has no address: %s", v.ID, v.Version, v.Body)
			}
			lines[v.ID] = append([]string{p.Address[0].Line[0]}, lines[v.ID]...)
		}
		before = page[len(page)-1].Seq
	}
	if len(lines) != patients {
		t.Fatalf("%d patients in the record, want %d", len(lines), patients)
	}
	want := make([]string, updates)
	for r := range want {
		want[r] = addressLine(r)
	}
	bad := 0
	for id, got := range lines {
		if strings.Join(got, "|") != strings.Join(want, "|") {
			if bad++; bad <= 5 {
				t.Errorf("Patient/%s versions say %q, want %q", id, got, want)
			}
		}
	}
	if bad > 0 {
		t.Fatalf("%d of %d patients do not show each message applied once, in order", bad, patients)
	}
	t.Logf("%d patients, each with exactly %d versions in the order sent", patients, updates)
}
