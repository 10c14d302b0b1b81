// The crash tests kill the real carerecord binary with SIGKILL while it
// writes and prove, after a restart on the same data directory, that every
// acknowledged write survived with its content, that every transaction is
// all or nothing, and that the change feed lists every version exactly once.
package main_test

import (
	"context"
	crand "crypto/rand"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"carerecord/internal/nhsnumber"
)

const (
	crashRounds  = 3   // kill/restart rounds
	crashClients = 16  // concurrent writers
	maxOpsRound  = 400 // per client per round: a bound, the kill comes first
	// A round is killed after 400-1200ms, or as soon as it has sent this
	// many resources, which bounds the verification's work.
	maxRoundResources = 6000
)

func TestKillMidWrite(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test: builds and kills the real binary (skipped with -short)")
	}
	binary(t)
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(uint64(seed), 0))
	dir := t.TempDir()
	w := newWorkload()
	clients := make([]*writer, crashClients)
	for i := range clients {
		clients[i] = &writer{w: w, rng: rand.New(rand.NewPCG(uint64(seed), uint64(i+1)))}
	}
	inFlightAtKill := 0
	for round := 1; round <= crashRounds; round++ {
		p, base := serve(t, dir)
		c := newClient(base)
		var (
			stop     atomic.Bool
			inflight atomic.Int64
			wg       sync.WaitGroup
		)
		for _, cl := range clients {
			wg.Go(func() { cl.run(t, c, &stop, &inflight) })
		}
		w.waitRound(time.Duration(400+rng.IntN(800))*time.Millisecond, maxRoundResources)
		n := inflight.Load()
		p.kill()
		stop.Store(true)
		wg.Wait()
		c.close()
		if n > 0 {
			inFlightAtKill++
		}
		t.Logf("round %d: SIGKILL with %d writes in flight; %s", round, n, w.summary())
	}
	if inFlightAtKill == 0 {
		t.Error("no round had a write in flight at the kill, so the test proved nothing about torn writes")
	}
	_, base := serve(t, dir)
	c := newClient(base)
	defer c.close()
	start := time.Now()
	w.verify(t, c)
	t.Logf("verified after restart in %v", time.Since(start).Round(time.Millisecond))
}

// workload is the record of every write attempted, by its marker tag.
type workload struct {
	mu        sync.Mutex
	attempt   map[string]*attempt // marker -> attempt
	singles   []*single           // resources created by an acknowledged POST
	txns      []*txn              // every transaction id tried
	acked     int
	unacked   int
	resources int // resources sent, acknowledged or not
	entries   int // transaction entries attempted
}

func newWorkload() *workload { return &workload{attempt: map[string]*attempt{}} }

// attempt is one write request: a single create or update, or one
// transaction attempt.
type attempt struct {
	marker string
	sent   []byte // single: the body sent
	single *single
	typ    string // single: resource type (the id of an unacknowledged POST is unknown)
	txn    *txn
	index  int // txn: which attempt
	acked  bool
}

// single is one resource written by single requests: a POST, then PUTs.
type single struct {
	typ, id string
	mu      sync.Mutex
	acked   map[int64]ackedVersion // version -> what was acknowledged
}

type ackedVersion struct {
	marker string
	sent   []byte // the body the client sent
	stored []byte // the body the server answered with
}

// txn is one transaction id: entries <id>-0 (a Patient) .. <id>-(n-1)
// (Observations), PUT with client-chosen ids, perhaps several times.
type txn struct {
	id       string
	n        int
	mu       sync.Mutex
	attempts []*txnAttempt
}

type txnAttempt struct {
	marker  string
	bodies  [][]byte // entry resources sent
	acked   bool
	version int64 // from the transaction-response, when acked
}

func (w *workload) add(a *attempt) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.attempt[a.marker] = a
	if a.txn != nil {
		w.resources += a.txn.n
	} else {
		w.resources++
	}
}

func (w *workload) done(a *attempt, acked bool, n int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	a.acked = acked
	if acked {
		w.acked++
	} else {
		w.unacked++
	}
	w.entries += n
}

// waitRound returns after d, or earlier once the workload has sent limit
// more resources than when it was called.
func (w *workload) waitRound(d time.Duration, limit int) {
	w.mu.Lock()
	target := w.resources + limit
	w.mu.Unlock()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		w.mu.Lock()
		n := w.resources
		w.mu.Unlock()
		if n >= target {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (w *workload) summary() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return fmt.Sprintf("%d writes acknowledged, %d not; %d transactions (%d entries attempted), %d single resources",
		w.acked, w.unacked, len(w.txns), w.entries, len(w.singles))
}

// writer is one client goroutine's state, kept across rounds.
type writer struct {
	w        *workload
	rng      *rand.Rand
	own      []*single // acknowledged creates this writer may update
	patients []*single // the Patients among them (Observation subjects)
	ownTxn   []*txn    // transactions whose first attempt was acknowledged
}

func (wr *writer) run(t *testing.T, c *client, stop *atomic.Bool, inflight *atomic.Int64) {
	ctx := context.Background()
	for i := 0; i < maxOpsRound && !stop.Load(); i++ {
		inflight.Add(1)
		switch r := wr.rng.IntN(100); {
		case r < 35 || (r < 50 && len(wr.own) == 0):
			wr.create(t, ctx, c)
		case r < 50:
			wr.update(t, ctx, c)
		case r < 90 || len(wr.ownTxn) == 0:
			wr.transaction(t, ctx, c, nil)
		default:
			wr.transaction(t, ctx, c, wr.ownTxn[wr.rng.IntN(len(wr.ownTxn))])
		}
		inflight.Add(-1)
	}
}

// create POSTs a Patient or an Observation.
func (wr *writer) create(t *testing.T, ctx context.Context, c *client) {
	a := &attempt{marker: newUUID()}
	if len(wr.patients) == 0 || wr.rng.IntN(2) == 0 {
		a.typ, a.sent = "Patient", patientJSON("", "urn:test:op", a.marker, wr.rng.IntN(1000000))
	} else {
		subject := wr.patients[wr.rng.IntN(len(wr.patients))]
		a.typ, a.sent = "Observation", observationJSON("", "urn:test:op", a.marker, "Patient/"+subject.id, wr.rng.IntN(200))
	}
	wr.w.add(a)
	resp, err := c.do(ctx, http.MethodPost, "/"+a.typ, a.sent, "")
	if !acknowledged(t, "POST /"+a.typ, resp, err) {
		wr.w.done(a, false, 0)
		return
	}
	typ, id, v, ok := parseLocation(c.base, resp.header.Get("Location"))
	if !ok || typ != a.typ || v != 1 {
		t.Errorf("POST /%s: 201 with Location %q, want %s/<id>/_history/1", a.typ, resp.header.Get("Location"), a.typ)
		wr.w.done(a, false, 0)
		return
	}
	if err := sameContent(a.sent, resp.body); err != nil {
		t.Errorf("POST /%s: the stored resource differs from the one sent: %v", a.typ, err)
	}
	s := &single{typ: typ, id: id, acked: map[int64]ackedVersion{1: {a.marker, a.sent, resp.body}}}
	a.single = s
	wr.w.mu.Lock()
	wr.w.singles = append(wr.w.singles, s)
	wr.w.mu.Unlock()
	wr.w.done(a, true, 0)
	wr.own = append(wr.own, s)
	if typ == "Patient" {
		wr.patients = append(wr.patients, s)
	}
}

// update PUTs a new version of a resource this writer created.
func (wr *writer) update(t *testing.T, ctx context.Context, c *client) {
	s := wr.own[wr.rng.IntN(len(wr.own))]
	a := &attempt{marker: newUUID(), single: s, typ: s.typ}
	if s.typ == "Patient" {
		a.sent = patientJSON(s.id, "urn:test:op", a.marker, wr.rng.IntN(1000000))
	} else {
		subject := wr.patients[wr.rng.IntN(len(wr.patients))]
		a.sent = observationJSON(s.id, "urn:test:op", a.marker, "Patient/"+subject.id, wr.rng.IntN(200))
	}
	wr.w.add(a)
	path := "/" + s.typ + "/" + s.id
	resp, err := c.do(ctx, http.MethodPut, path, a.sent, "")
	if !acknowledged(t, "PUT "+path, resp, err) {
		wr.w.done(a, false, 0)
		return
	}
	v, verr := parseETag(resp.header.Get("ETag"))
	if resp.status != http.StatusOK || verr != nil || v < 2 {
		t.Errorf("PUT %s: HTTP %d with ETag %q, want 200 and a version above 1", path, resp.status, resp.header.Get("ETag"))
		wr.w.done(a, false, 0)
		return
	}
	if err := sameContent(a.sent, resp.body); err != nil {
		t.Errorf("PUT %s: the stored resource differs from the one sent: %v", path, err)
	}
	s.mu.Lock()
	s.acked[v] = ackedVersion{a.marker, a.sent, resp.body}
	s.mu.Unlock()
	wr.w.done(a, true, 0)
}

// transaction PUTs 20-50 entries with client-chosen ids in one transaction
// Bundle: a new transaction (tx nil) or a new attempt at an existing one.
func (wr *writer) transaction(t *testing.T, ctx context.Context, c *client, tx *txn) {
	if tx == nil {
		tx = &txn{id: newUUID(), n: 20 + wr.rng.IntN(31)}
		wr.w.mu.Lock()
		wr.w.txns = append(wr.w.txns, tx)
		wr.w.mu.Unlock()
	}
	ta := &txnAttempt{marker: newUUID(), bodies: make([][]byte, tx.n)}
	tx.mu.Lock()
	tx.attempts = append(tx.attempts, ta)
	a := &attempt{marker: ta.marker, txn: tx, index: len(tx.attempts) - 1}
	tx.mu.Unlock()
	entries := make([]string, tx.n)
	for i := range tx.n {
		id := fmt.Sprintf("%s-%d", tx.id, i)
		typ := "Observation"
		if i == 0 {
			typ = "Patient"
			ta.bodies[i] = patientJSON(id, "urn:test:txn", ta.marker, wr.rng.IntN(1000000))
		} else {
			ta.bodies[i] = observationJSON(id, "urn:test:txn", ta.marker, "Patient/"+tx.id+"-0", wr.rng.IntN(200))
		}
		entries[i] = fmt.Sprintf(`{"fullUrl":"urn:uuid:%s","resource":%s,"request":{"method":"PUT","url":"%s/%s"}}`,
			newUUID(), ta.bodies[i], typ, id)
	}
	body := []byte(`{"resourceType":"Bundle","type":"transaction","entry":[` + strings.Join(entries, ",") + `]}`)
	wr.w.add(a)
	resp, err := c.do(ctx, http.MethodPost, "", body, "return=minimal")
	if !acknowledged(t, "transaction", resp, err) {
		wr.w.done(a, false, tx.n)
		return
	}
	v, err := checkTransactionResponse(tx, resp.body)
	if err != nil {
		t.Errorf("transaction %s: %v", tx.id, err)
		wr.w.done(a, false, tx.n)
		return
	}
	tx.mu.Lock()
	ta.acked, ta.version = true, v
	tx.mu.Unlock()
	wr.w.done(a, true, tx.n)
	if a.index == 0 {
		wr.ownTxn = append(wr.ownTxn, tx)
	}
}

// acknowledged reports whether a write got a 2xx answer. A 4xx answer is a
// test failure (the workload sends only valid writes); no answer or a 5xx is
// an unacknowledged write.
func acknowledged(t *testing.T, what string, resp *response, err error) bool {
	switch {
	case err != nil:
		return false
	case resp.status >= 200 && resp.status < 300:
		return true
	case resp.status >= 400 && resp.status < 500:
		t.Errorf("%s: %s (the workload's writes are all valid)", what, statusOf(resp))
	}
	return false
}

// checkTransactionResponse checks a transaction-response names every entry
// in order, all at one version, and returns that version.
func checkTransactionResponse(tx *txn, body []byte) (int64, error) {
	var b struct {
		Type  string `json:"type"`
		Entry []struct {
			Response struct {
				Status   string `json:"status"`
				Location string `json:"location"`
				Etag     string `json:"etag"`
			} `json:"response"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(body, &b); err != nil || b.Type != "transaction-response" || len(b.Entry) != tx.n {
		return 0, fmt.Errorf("2xx answer is not a transaction-response with %d entries (%v): %.300s", tx.n, err, body)
	}
	var version int64
	for i, e := range b.Entry {
		v, err := parseETag(e.Response.Etag)
		want := fmt.Sprintf("%s-%d/_history/%d", tx.id, i, v)
		if err != nil || !strings.HasSuffix(e.Response.Location, want) || !strings.HasPrefix(e.Response.Status, "20") {
			return 0, fmt.Errorf("entry %d answered %q location %q etag %q", i, e.Response.Status, e.Response.Location, e.Response.Etag)
		}
		if i > 0 && v != version {
			return 0, fmt.Errorf("entry %d is at version %d, entry 0 at %d: one transaction, one attempt each", i, v, version)
		}
		version = v
	}
	return version, nil
}

// parseLocation splits base/Type/id/_history/v.
func parseLocation(base, loc string) (typ, id string, version int64, ok bool) {
	rest, found := strings.CutPrefix(loc, base+"/")
	parts := strings.Split(rest, "/")
	if !found || len(parts) != 4 || parts[2] != "_history" {
		return "", "", 0, false
	}
	v, err := parseETag(parts[3])
	return parts[0], parts[1], v, err == nil
}

// Synthetic resources: NHS numbers from the 999 test range only.
func patientJSON(id, system, marker string, n int) []byte {
	idPart := ""
	if id != "" {
		idPart = fmt.Sprintf(`"id":%q,`, id)
	}
	return fmt.Appendf(nil, `{"resourceType":"Patient",%s"meta":{"tag":[{"system":%q,"code":%q}]},`+
		`"identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":%q}],`+
		`"name":[{"family":"Crashtest","given":["Patient%d"]}],"gender":"unknown","birthDate":"1970-01-01"}`,
		idPart, system, marker, nhsnumber.Test(n%nhsnumber.TestCount), n)
}

func observationJSON(id, system, marker, subject string, value int) []byte {
	idPart := ""
	if id != "" {
		idPart = fmt.Sprintf(`"id":%q,`, id)
	}
	return fmt.Appendf(nil, `{"resourceType":"Observation",%s"meta":{"tag":[{"system":%q,"code":%q}]},`+
		`"status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8867-4","display":"Heart rate"}]},`+
		`"subject":{"reference":%q},"effectiveDateTime":"2024-01-01T00:00:00Z",`+
		`"valueQuantity":{"value":%d,"unit":"/min","system":"http://unitsofmeasure.org","code":"/min"}}`,
		idPart, system, marker, subject, value)
}

// newUUID returns a random version 4 UUID.
func newUUID() string {
	var b [16]byte
	crand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
